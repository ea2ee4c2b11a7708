"""An ACPI eject the kernel cannot honour: a DIMM onlined as kernel memory
and holding unmovable kernel allocations cannot be offlined, so device_del
must be refused (QEMU sees a 'device busy' _OST and never DEVICE_DELETED)
while the guest keeps the memory and stays healthy. A movable DIMM plugged
beside it still ejects."""

from guest import (block_table, eject_osts, meminfo, pin_unmovable, plug, sane,
                   set_auto_online, settle, online, unpin, wait_for, blocks)

DEBUG = True
VM = dict(mem="2G")

OST_BUSY = 0x82        # _OST status: device busy


def test_kernel_dimm_with_unmovable_pages_refuses_eject(vm, t):
    set_auto_online(vm, "offline")
    dev, ids = plug(vm, "1G")
    t.eq(online(vm, ids, "online_kernel"), [], "every block of the DIMM onlines as kernel memory")
    t.eq(sorted({z for _, z, _ in block_table(vm, ids).values()}), ["Normal"],
         "the DIMM is all ZONE_NORMAL (the only ZONE_NORMAL memory of this guest)")
    t.ok(pin_unmovable(vm, 64), "a guest process holds 64 MiB of pipe buffers (unmovable)")
    total = meminfo(vm)["MemTotal"]

    vm.qmp("device_del", id=dev)

    def busy_seen():
        vm.qmp("query-status")  # reads the events that came before its answer
        return OST_BUSY in eject_osts(vm, dev)

    busy = wait_for(busy_seen, 60, interval=0.5)
    t.ok(busy, "the guest answered the eject with _OST 'device busy' (0x82)",
         diag=f"eject _OST statuses seen: {eject_osts(vm, dev)}")
    # QEMU deletes the DIMM only on a success status; give a late one time.
    ev = vm.wait_event("DEVICE_DELETED", 5, device=dev)
    t.ok(ev is None, "no DEVICE_DELETED after that answer: the eject is refused")
    t.ok(dev in vm.dimms(), "QEMU still has the DIMM")
    table = block_table(vm, ids)
    t.ok(len(table) == len(ids) and all(s == "online" and z == "Normal"
                                        for s, z, _ in table.values()),
         "all its blocks are still there, online, in ZONE_NORMAL", diag=str(table))
    t.eq(meminfo(vm)["MemTotal"], total, "MemTotal did not change")


def test_movable_dimm_still_ejects(vm, t):
    """With the unmovable memory still held, a movable DIMM unplugs."""
    set_auto_online(vm, "online_movable")
    dev, ids = plug(vm, "512M")
    settle(vm, ids)
    total = meminfo(vm)["MemTotal"]
    t.ok(vm.remove_dimm(dev, 60) and wait_for(lambda: not set(ids) & set(blocks(vm)), 30),
         "device_del of an online movable DIMM completes beside the refused one")
    t.eq(total - meminfo(vm)["MemTotal"], 512 * 1024, "MemTotal shrank by 512 MiB")
    unpin(vm)
    sane(vm, t)
