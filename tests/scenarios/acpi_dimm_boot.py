"""pc-dimms present at boot: the ACPI namespace scan finds their PNP0C80
devices and adds their memory once (one System RAM resource and one
firmware memmap entry each, every block once), binds each device to its
blocks, and device_del takes them away like hot-plugged ones; the freed
range can then be plugged again."""

from guest import (block_table, blocks, bound, covers, firmware_memmap, meminfo, plug, sane,
                   set_auto_online, settle, system_ram, wait_for)

VM = dict(mem="2G", numa=["2G", 0], dimms=[("1G", 0), ("512M", 1)])

MiB_kB = 1024


def dimm_span(vm, dev, bsz):
    d = vm.dimms()[dev]
    return (d["addr"], d["addr"] + d["size"] - 1,
            list(range(d["addr"] // bsz, (d["addr"] + d["size"]) // bsz)))


def test_boot_dimms_added_once_and_bound(vm, t):
    bsz = int(vm.read("/sys/devices/system/memory/block_size_bytes"), 16)
    ram, fmap = system_ram(vm), firmware_memmap(vm)
    links = sorted(bound(vm).values())
    for dev, node in (("boot-dimm0", 0), ("boot-dimm1", 1)):
        start, end, ids = dimm_span(vm, dev, bsz)
        table = block_table(vm, ids)
        t.ok(len(table) == len(ids) and {n for _, _, n in table.values()} == {node},
             f"{dev}: all {len(ids)} blocks exist, on node {node}", diag=str(table))
        t.eq([r for r in ram if r[0] <= end and r[1] >= start], [(start, end)],
             f"{dev}: exactly one System RAM resource, the DIMM's range")
        t.eq([e for e in fmap if e[0] <= end and e[1] >= start], [(start, end, "System RAM")],
             f"{dev}: exactly one firmware memmap entry, the DIMM's range")
        t.ok(ids in links, f"{dev}: one PNP0C80 device is bound to exactly its blocks",
             diag=str(links))


def test_boot_dimms_eject(vm, t):
    set_auto_online(vm, "online_movable")
    bsz = int(vm.read("/sys/devices/system/memory/block_size_bytes"), 16)
    spans = {dev: dimm_span(vm, dev, bsz) for dev in ("boot-dimm0", "boot-dimm1")}
    rc, out = vm.run("".join(f"echo online_movable > /sys/devices/system/memory/memory{i}/state\n"
                             for dev in spans for i in spans[dev][2]))
    total = meminfo(vm)["MemTotal"]
    t.ok(all(s == "online" for s, _, _ in
             block_table(vm, spans["boot-dimm0"][2] + spans["boot-dimm1"][2]).values()),
         "the boot DIMMs' blocks online movable")

    for dev, size_kb in (("boot-dimm1", 512 * MiB_kB), ("boot-dimm0", 1024 * MiB_kB)):
        start, end, ids = spans[dev]
        ok = vm.remove_dimm(dev, 60)
        t.ok(ok and wait_for(lambda: not set(ids) & set(blocks(vm)), 30),
             f"device_del of {dev} completes and its blocks go")
        t.eq(total - meminfo(vm)["MemTotal"], size_kb, f"MemTotal shrank by {dev}'s size")
        total = meminfo(vm)["MemTotal"]
        t.ok(not any(r[0] <= end and r[1] >= start for r in system_ram(vm)) and
             not any(e[0] <= end and e[1] >= start for e in firmware_memmap(vm)),
             f"{dev}: no System RAM resource or firmware memmap entry is left")

    dev, ids = plug(vm, "1G")
    states = settle(vm, ids)
    t.ok(ids and all(s == "online" for s in states.values()),
         "a DIMM plugged into the freed range comes up", diag=str(states))
    t.ok(vm.remove_dimm(dev, 60) and wait_for(lambda: not set(ids) & set(blocks(vm)), 30),
         "and goes again")
    sane(vm, t)
