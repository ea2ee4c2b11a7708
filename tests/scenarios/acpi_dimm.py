"""pc-dimm hot-add and hot-remove through ACPI (PNP0C80 devices)."""

from guest import blocks, block_size, meminfo, online, set_auto_online, wait_for

# Not in the debug pass: the same plug, online by hand and eject run there
# in acpi_unplug_refused, numa_memoryless_node and offline_under_load.
VM = dict(mem="2G")


def test_plug_online_unplug(vm, t):
    """A 1 GiB DIMM: its blocks appear offline, online movable, then
    device_del takes them away and MemTotal returns to where it was."""
    set_auto_online(vm, "offline")
    bsz = block_size(vm)
    before_blocks = blocks(vm)
    before_total = meminfo(vm)["MemTotal"]

    dimm = vm.add_dimm("1G")
    want = (1 << 30) // bsz
    new = wait_for(lambda: len(set(blocks(vm)) - set(before_blocks)) >= want and
                   {i: s for i, s in blocks(vm).items() if i not in before_blocks})
    t.eq(len(new or {}), want, "a 1 GiB DIMM adds 1 GiB of memory blocks")
    t.ok(new and all(s == "offline" for s in new.values()),
         "with auto_online_blocks=offline they stay offline", diag=str(new))
    t.eq(meminfo(vm)["MemTotal"], before_total, "offline blocks do not count in MemTotal")

    t.eq(online(vm, sorted(new or {}), "online_movable"), [], "each block onlines movable")
    t.eq(meminfo(vm)["MemTotal"] - before_total, 1 << 20, "MemTotal grows by 1 GiB")

    t.ok(vm.remove_dimm(dimm), "device_del ends in QEMU's DEVICE_DELETED")
    t.eq(wait_for(lambda: blocks(vm) == before_blocks, 30), True,
         "the DIMM's blocks are gone")
    t.eq(meminfo(vm)["MemTotal"], before_total, "MemTotal is back where it started")
