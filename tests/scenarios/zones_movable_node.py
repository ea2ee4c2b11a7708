"""movable_node on the command line: with contig-zones, hot-added memory
that no zone surrounds defaults to ZONE_MOVABLE, unless a kernel zone
around it can be kept contiguous."""

from guest import blocks, meminfo, online, plug, sane, set_auto_online, settle, wait_for, zones

VM = dict(mem="2G", append="movable_node")


def test_new_blocks_default_to_movable(vm, t):
    set_auto_online(vm, "offline")
    dev, b = plug(vm, "1G")
    t.eq(set(zones(vm, b).values()), {"Movable Normal"},
         "fresh offline blocks default to Movable (Normal allowed)")
    online(vm, [b[0]])
    t.eq(zones(vm, [b[0]])[b[0]], "Movable", "`online` puts a block in ZONE_MOVABLE")

    t.eq(online(vm, [b[2], b[4]], "online_kernel"), [], "two blocks online_kernel")
    z = zones(vm, b)
    t.eq((z[b[1]], z[b[3]], z[b[5]]), ("Movable Normal", "Normal Movable", "Movable Normal"),
         "between the kernel blocks the default is Normal, elsewhere still Movable")
    online(vm, [b[1], b[3], b[5]])
    z = zones(vm, b)
    t.eq((z[b[1]], z[b[3]], z[b[5]]), ("Movable", "Normal", "Movable"),
         "`online` follows: the kernel zone stays contiguous")


def test_auto_online_goes_movable_and_unplugs(vm, t):
    set_auto_online(vm, "online")
    before = blocks(vm)
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "512M")
    settle(vm, ids)
    t.eq(set(zones(vm, ids).values()), {"Movable"},
         "auto_online_blocks=online with movable_node onlines a DIMM to ZONE_MOVABLE")
    t.eq(meminfo(vm)["MemTotal"] - total0, 512 << 10, "MemTotal grew by 512 MiB")
    t.ok(vm.remove_dimm(dev, 60) and wait_for(lambda: blocks(vm) == before, 30),
         "and it unplugs again")
    sane(vm, t)
