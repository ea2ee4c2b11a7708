"""virtio-mem: raising the device's requested-size adds memory blocks (onlined
per auto_online_blocks), lowering it unplugs online movable memory and
removes the emptied blocks. Its memory is driver-managed: /proc/iomem names
it "System RAM (virtio_mem)" and no firmware memmap entry describes it."""

from guest import (block_table, blocks, firmware_memmap, meminfo, online, sane,
                   set_auto_online, wait_for)

# Not in the debug pass (make check's budget): virtio-mem grows and shrinks
# there in race_hotplug, offline_under_load's cell (under load) and
# fault_injection's virtio-mem path (with allocations failing).
VM = dict(mem="2G", virtio_mem=[dict(id="vmem0", size="2G", node=0, requested=0)])

DEV = "vmem0"


def device_addr(vm):
    for dev in vm.qmp("query-memory-devices"):
        if dev.get("type") == "virtio-mem" and dev["data"].get("id") == DEV:
            return dev["data"]["memaddr"]
    return None


def virtio_ram(vm):
    """[(start, end)] of the 'System RAM (virtio_mem)' resources in /proc/iomem."""
    out = vm.sh("grep 'System RAM (virtio_mem)' /proc/iomem || true")
    return [tuple(int(x, 16) for x in line.split(" : ")[0].split("-"))
            for line in out.splitlines() if line.strip()]


def new_blocks(vm, base, count):
    """Wait until exactly count blocks beyond base exist; return {id: state}."""
    def check():
        extra = {i: s for i, s in blocks(vm).items() if i not in base}
        return [extra] if len(extra) == count else None
    found = wait_for(check, 30)
    return found[0] if found else {i: s for i, s in blocks(vm).items() if i not in base}


def test_grow_and_shrink_online_movable(vm, t):
    set_auto_online(vm, "online_movable")
    base = blocks(vm)
    total0 = meminfo(vm)["MemTotal"]
    addr = device_addr(vm)

    t.eq(vm.virtio_mem_size(DEV, "1G"), 1 << 30, "raising requested-size to 1 GiB plugs 1 GiB")
    new = new_blocks(vm, base, 8)
    t.eq(len(new), 8, "8 memory blocks appear")
    table = block_table(vm, sorted(new))
    t.ok(all(s == "online" and z == "Movable" for s, z, _ in table.values()),
         "auto_online_blocks=online_movable onlined them all to ZONE_MOVABLE", diag=str(table))
    t.eq(meminfo(vm)["MemTotal"] - total0, 1 << 20, "MemTotal grew by 1 GiB")
    t.eq(virtio_ram(vm), [(addr, addr + (1 << 30) - 1)],
         "/proc/iomem shows the plugged range as System RAM (virtio_mem)")
    t.ok(not any(s <= addr <= e for s, e, _ in firmware_memmap(vm)),
         "no /sys/firmware/memmap entry covers driver-managed memory")
    rc, out = vm.run(f"ls /sys/devices/system/memory/memory{min(new)}/")
    t.note("files of a virtio-mem block: " + " ".join(out.split())
           + " (nothing names the memory group)")

    t.eq(vm.virtio_mem_size(DEV, "512M"), 512 << 20, "lowering to 512 MiB unplugs half")
    left = new_blocks(vm, base, 4)
    t.ok(len(left) == 4 and all(s == "online" for s in left.values()),
         "4 blocks are removed, 4 stay online", diag=str(left))
    t.eq(meminfo(vm)["MemTotal"] - total0, 512 << 10, "MemTotal shrank by 512 MiB")

    t.eq(vm.virtio_mem_size(DEV, "0"), 0, "lowering to 0 unplugs everything")
    t.eq(new_blocks(vm, base, 0), {}, "no block of the device is left")
    t.eq(meminfo(vm)["MemTotal"], total0, "MemTotal is back")
    t.eq(virtio_ram(vm), [], "no System RAM (virtio_mem) is left in /proc/iomem")


def test_offline_policy_and_partial_block(vm, t):
    """auto_online_blocks=offline: plugged memory waits offline; a block the
    device only partly plugged adds only its plugged part when onlined."""
    set_auto_online(vm, "offline")
    base = blocks(vm)
    total0 = meminfo(vm)["MemTotal"]
    t.eq(vm.virtio_mem_size(DEV, "300M"), 300 << 20, "requesting 300 MiB plugs 300 MiB")
    new = new_blocks(vm, base, 3)
    t.ok(len(new) == 3 and set(new.values()) == {"offline"},
         "3 blocks appear (the last one partly plugged), all offline", diag=str(new))
    t.eq(meminfo(vm)["MemTotal"], total0, "MemTotal unchanged while they are offline")
    t.eq(online(vm, sorted(new), "online_movable"), [], "they online movable")
    t.eq(meminfo(vm)["MemTotal"] - total0, 300 << 10,
         "MemTotal grows by the plugged 300 MiB, not by 3 whole blocks")
    t.eq(vm.virtio_mem_size(DEV, "0"), 0, "lowering to 0 unplugs it")
    t.ok(new_blocks(vm, base, 0) == {} and meminfo(vm)["MemTotal"] == total0,
         "the blocks are gone and MemTotal is back")
    sane(vm, t)
