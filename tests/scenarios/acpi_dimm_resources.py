"""ACPI memory devices: what a pc-dimm plug creates in the guest (a present
PNP0C80 device bound to the DIMM's memory blocks, a "System RAM" resource
and a firmware memmap entry) and that device_del takes all of it away."""

from guest import (ACPI, blocks, block_table, bound, covers, firmware_memmap, meminfo, plug,
                   sane, set_auto_online, settle, system_ram, unplug, wait_for)

VM = dict(mem="2G")


def acpi_memory_devices(vm):
    """{PNP0C80 device name: _STA status} as the guest's ACPI layer sees them."""
    out = vm.sh(f"cd {ACPI} && for d in PNP0C80:*; do echo $d $(cat $d/status); done")
    return dict(line.split() for line in out.splitlines())


def dimm_range(vm, dev):
    d = vm.dimms()[dev]
    return d["addr"], d["addr"] + d["size"] - 1


def test_plug_creates_acpi_device_and_ranges(vm, t):
    """auto_online_blocks=offline: the DIMM's blocks stay offline, but the
    firmware views of memory already show the new range."""
    set_auto_online(vm, "offline")
    acpi0 = acpi_memory_devices(vm)
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "1G")
    t.eq(len(ids), 8, "a 1 GiB DIMM shows up as 8 memory blocks")
    start, end = dimm_range(vm, dev)

    acpi1 = acpi_memory_devices(vm)
    present = [n for n, s in acpi1.items() if s == "15" and acpi0.get(n) != "15"]
    t.eq(len(present), 1, "exactly one PNP0C80 device became present (_STA 15)")
    if present:
        t.eq(bound(vm).get(present[0], []), ids,
             "the PNP0C80 device is bound to exactly the DIMM's blocks (physical_node links)")
        rc, out = vm.run(f"readlink -f /sys/devices/system/memory/memory{ids[0]}/firmware_node")
        t.ok(out.strip().endswith("/" + present[0]),
             "a block's firmware_node is that PNP0C80 device", diag=out)

    t.ok(all(s == "offline" for s, _, _ in block_table(vm, ids).values()),
         "auto_online_blocks=offline is respected: the blocks stay offline")
    t.eq(meminfo(vm)["MemTotal"], total0, "offline blocks add nothing to MemTotal")
    t.ok(covers(system_ram(vm), start, end),
         "/proc/iomem has a System RAM resource for the DIMM's range",
         diag=f"want {start:#x}-{end:#x} in {[(hex(a), hex(b)) for a, b in system_ram(vm)]}")
    t.ok(any(e == (start, end, "System RAM") for e in firmware_memmap(vm)),
         "/sys/firmware/memmap has a System RAM entry for the DIMM's range")

    t.ok(unplug(vm, dev, ids), "device_del of the offline DIMM completes and its blocks go")
    t.ok(not covers(system_ram(vm), start, end) and
         not covers(firmware_memmap(vm), start, end),
         "its /proc/iomem resource and firmware memmap entry are gone")
    t.eq(acpi_memory_devices(vm), acpi0, "the PNP0C80 device is not present any more")


def test_online_movable_dimm_unplugs_cleanly(vm, t):
    """auto_online_blocks=online_movable onlines the DIMM without help;
    device_del offlines it, removes it and QEMU reports DEVICE_DELETED."""
    set_auto_online(vm, "online_movable")
    before = blocks(vm)
    acpi0 = acpi_memory_devices(vm)
    total0 = meminfo(vm)["MemTotal"]
    ram0, map0 = system_ram(vm), firmware_memmap(vm)

    dev, ids = plug(vm, "1G")
    states = settle(vm, ids)
    t.ok(ids and all(s == "online" for s in states.values()),
         "the kernel onlined every block of the DIMM itself", diag=str(states))
    t.eq(sorted({z for _, z, _ in block_table(vm, ids).values()}), ["Movable"],
         "online_movable put every block in ZONE_MOVABLE")
    t.eq(meminfo(vm)["MemTotal"] - total0, 1 << 20, "MemTotal grew by 1 GiB")

    t.ok(vm.remove_dimm(dev, 60), "device_del of the online DIMM ends in DEVICE_DELETED")
    t.ok(wait_for(lambda: blocks(vm) == before, 30), "all its blocks are gone (and no others)")
    t.eq(meminfo(vm)["MemTotal"], total0, "MemTotal is back where it was")
    t.eq(system_ram(vm), ram0, "/proc/iomem System RAM is as before the plug")
    t.eq(firmware_memmap(vm), map0, "/sys/firmware/memmap is as before the plug")
    t.eq(acpi_memory_devices(vm), acpi0, "the PNP0C80 device is not present any more")
    sane(vm, t)

