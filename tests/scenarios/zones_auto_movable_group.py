"""auto-movable accounting per memory device: the blocks of one virtio-mem
device form one dynamic memory group, and its ZONE_NORMAL blocks allow more
ZONE_MOVABLE blocks within that same device (not for others).

auto_movable_ratio=30 with ~2 GiB (16 blocks less 130 pages) of boot kernel
memory allows 4.8 blocks of MOVABLE system-wide. A 1 GiB virtio-mem request
adds 8 blocks, onlined one by one in address order:
  blocks 1-4: MOVABLE fits (4 <= 4.8)                       -> Movable
  block 5:    5 > 4.8                                       -> Normal
  block 6:    the group's Normal block adds 0.3 block       -> Movable (5 <= 5.1)
  blocks 7-8: 6 > 5.1, 6 > 5.4                              -> Normal
A pc-dimm is its own static group: the virtio-mem device's Normal memory
buys it nothing, so it goes Normal.

No sysfs file shows memory groups; their effect on zones is what user
space can see."""

from guest import blocks, meminfo, plug, sane, settle, zones

VM = dict(mem="2G", virtio_mem=[dict(id="vmem0", size="2G", node=0, requested=0)],
          append="memhp_default_state=online memory_hotplug.online_policy=auto-movable"
                 " memory_hotplug.auto_movable_ratio=30")

SHORT = {"Movable": "M", "Normal": "N"}


def test_virtio_mem_device_is_one_group(vm, t):
    before = set(blocks(vm))
    total0 = meminfo(vm)["MemTotal"]
    t.eq(vm.virtio_mem_size("vmem0", "1G"), 1 << 30, "the device plugged the requested 1 GiB")
    new = sorted(set(blocks(vm)) - before)
    settle(vm, new)
    pattern = "".join(SHORT.get(z, "?") for z in (zones(vm, new)[i] for i in new))
    t.eq(pattern, "MMMMNMNN",
         "zones in address order: Movable up to the ratio, then Normal blocks of the "
         "device buy more Movable in it")
    t.eq(meminfo(vm)["MemTotal"] - total0, 1 << 20, "all of it is online: MemTotal +1 GiB")


def test_dimm_gets_nothing_from_the_device(vm, t):
    dev, ids = plug(vm, "128M")
    settle(vm, ids)
    t.eq(set(zones(vm, ids).values()), {"Normal"},
         "a 128 MiB DIMM goes Normal: another device's Normal memory does not count for it")
    sane(vm, t)
