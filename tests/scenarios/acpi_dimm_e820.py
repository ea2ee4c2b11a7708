"""Memory the firmware reported twice: a pc-dimm present at boot whose range
the E820 map also lists as RAM (memmap= on the command line plays the part
of such firmware). The kernel has that memory as boot memory before the
ACPI scan; the PNP0C80 device must not add it a second time, but take it
over: bind its blocks, and give it back on eject. movable_node keeps the
kernel's own allocations out of the hotpluggable range (SRAT marks it),
so the range can be offlined: that needs the range on a node of its own,
since the kernel clears the hotplug mark of every node it occupies."""

from guest import block_table, blocks, bound, meminfo, sane, system_ram, wait_for

GiB = 1 << 30
DIMM_ADDR = 4 * GiB      # where QEMU's pc machine puts the first DIMM with 2G of RAM

# QEMU's SRAT gives the hotpluggable range to the last node, node 1 here;
# the DIMM is there too.
VM = dict(mem="2G", numa=["2G", 0], dimms=[("1G", 1)],
          append=f"memmap=1G@{DIMM_ADDR:#x} movable_node")


def test_e820_dimm_taken_over_and_ejected(vm, t):
    d = vm.dimms()["boot-dimm0"]
    t.eq((d["addr"], d["size"]), (DIMM_ADDR, GiB), "QEMU put the boot DIMM at 4 GiB")
    start, end = d["addr"], d["addr"] + d["size"] - 1
    bsz = int(vm.read("/sys/devices/system/memory/block_size_bytes"), 16)
    ids = list(range(start // bsz, (end + 1) // bsz))

    table = block_table(vm, ids)
    t.ok(len(table) == len(ids) and all(s == "online" and n == 1 for s, _, n in table.values()),
         "the range's blocks exist as online boot memory of node 1", diag=str(table))
    t.eq({z for _, z, _ in table.values()}, {"Movable"}, "movable_node put them in ZONE_MOVABLE")
    t.eq([r for r in system_ram(vm) if r[0] <= end and r[1] >= start], [(start, end)],
         "one System RAM resource covers the range: the memory was not added twice")
    t.ok(ids in bound(vm).values(), "a PNP0C80 device is bound to exactly those blocks",
         diag=str(bound(vm)))
    rc, out = vm.run("dmesg | grep -i 'PNP0C80' ; true")
    t.eq(out.strip(), "", "no kernel message about the device", )

    total = meminfo(vm)["MemTotal"]
    t.ok(vm.remove_dimm("boot-dimm0", 120) and
         wait_for(lambda: not set(ids) & set(blocks(vm)), 30),
         "device_del offlines and removes the boot memory, and its blocks go")
    # The boot-time memmap of the range (64 bytes per 4 KiB page, allocated
    # elsewhere) is freed with it and comes back to MemTotal.
    shrink = total - meminfo(vm)["MemTotal"]
    t.ok((GiB - GiB // 64) >> 10 <= shrink <= GiB >> 10,
         "MemTotal shrank by 1 GiB, less the range's memmap given back",
         diag=f"shrank by {shrink} kB")
    t.ok(not any(r[0] <= end and r[1] >= start for r in system_ram(vm)),
         "no System RAM resource is left in the range")
    sane(vm, t)
