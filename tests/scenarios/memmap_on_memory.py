"""memory_hotplug.memmap_on_memory=1: the memmap of a hot-added block is
carved from the block itself (64 bytes of struct page per 4 KiB page: 2 MiB
of each 128 MiB block), so plugging takes no boot memory for it and
onlining adds 126 MiB per block to MemTotal; offline and unplug still work."""

from guest import (PARAMS, blocks, meminfo, online, param, plug, sane, set_auto_online, wait_for,
                   zone_pages)

DEBUG = True
VM = dict(mem="2G", append="memory_hotplug.memmap_on_memory=1")

MEMMAP_KB = 2048          # per 128 MiB block


def test_parameter(vm, t):
    t.eq(param(vm, "memmap_on_memory"), "Y", "the parameter reads Y")
    rc, out = vm.write(f"{PARAMS}/memmap_on_memory", "N")
    t.ok(rc != 0 and param(vm, "memmap_on_memory") == "Y",
         "it is read-only at runtime (mode 0444): a write fails and it stays Y", diag=out)


def test_memmap_comes_from_the_dimm(vm, t):
    set_auto_online(vm, "offline")
    before = blocks(vm)
    m0 = meminfo(vm)
    dev, ids = plug(vm, "1G")
    m1 = meminfo(vm)
    t.ok(m0["MemFree"] - m1["MemFree"] < 8 * 1024,
         "plugging 1 GiB takes well under its 16 MiB memmap from free memory",
         diag=f"MemFree dropped by {m0['MemFree'] - m1['MemFree']} kB")
    t.eq(m1["MemTotal"], m0["MemTotal"], "offline blocks add nothing to MemTotal")

    t.eq(online(vm, ids, "online_movable"), [], "the blocks online movable")
    grew = meminfo(vm)["MemTotal"] - m0["MemTotal"]
    t.eq(grew, (1 << 20) - len(ids) * MEMMAP_KB,
         "MemTotal grows by the DIMM less its memmap (2 MiB per block)")
    present, managed = zone_pages(vm, "Movable")
    t.eq((present, present - managed), (262144, len(ids) * 512),
         "ZONE_MOVABLE counts the memmap pages as present, not managed")

    t.eq(online(vm, ids, "offline"), [], "the blocks offline again")
    t.eq(meminfo(vm)["MemTotal"], m0["MemTotal"], "MemTotal is back")
    t.ok(vm.remove_dimm(dev, 60) and wait_for(lambda: blocks(vm) == before, 30),
         "device_del removes the DIMM and its blocks")
    sane(vm, t)
