"""memory_hotplug.memmap_on_memory=force (accepted by 6.12): the parameter
reads "force"; on x86_64 the 2 MiB memmap of a 128 MiB block is exactly one
pageblock, so nothing is wasted and a DIMM behaves as with =1."""

from guest import blocks, meminfo, param, plug, sane, set_auto_online, settle, wait_for

VM = dict(mem="2G", append="memory_hotplug.memmap_on_memory=force")


def test_force(vm, t):
    t.eq(param(vm, "memmap_on_memory"), "force", "the parameter reads force")
    set_auto_online(vm, "online_movable")
    before = blocks(vm)
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "512M")
    settle(vm, ids)
    t.eq(meminfo(vm)["MemTotal"] - total0, (512 << 10) - len(ids) * 2048,
         "MemTotal grows by 512 MiB less 2 MiB of memmap per block (no waste)")
    t.ok(vm.remove_dimm(dev, 60) and wait_for(lambda: blocks(vm) == before, 30)
         and meminfo(vm)["MemTotal"] == total0,
         "device_del offlines and removes it, MemTotal back")
    sane(vm, t)
