"""The default online policy, contig-zones, with memhp_default_state=online
on the command line: hot-added memory with no zone around goes to the
kernel zone (ZONE_NORMAL); `online` on a block inside ZONE_MOVABLE's span
goes Movable, next to it or outside goes Normal, inside both goes Normal;
valid_zones names the default zone first and the allowed ones after it, and
what it allows is what a write accepts."""

from guest import (MEM, block_table, meminfo, online, param, plug, sane, set_auto_online,
                   settle, zones)

VM = dict(mem="2G", append="memhp_default_state=online")


def test_cmdline_online_gives_normal_dimm(vm, t):
    t.eq(vm.read(f"{MEM}/auto_online_blocks"), "online",
         "memhp_default_state=online shows in auto_online_blocks")
    t.eq(param(vm, "online_policy"), "contig-zones", "the default online_policy is contig-zones")
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "1G")
    states = settle(vm, ids)
    t.ok(ids and all(s == "online" for s in states.values()),
         "a plugged DIMM comes up online by itself", diag=str(states))
    t.eq(set(zones(vm, ids).values()), {"Normal"},
         "with no zone around it (and no movable_node) it goes to ZONE_NORMAL")
    t.eq(meminfo(vm)["MemTotal"] - total0, 1 << 20, "MemTotal grew by 1 GiB")


def test_zone_follows_the_neighbours(vm, t):
    set_auto_online(vm, "offline")
    dev, b = plug(vm, "1G")
    t.eq(set(zones(vm, b).values()), {"Normal Movable"},
         "fresh offline blocks outside every zone: default Normal, Movable allowed")

    t.eq(online(vm, [b[0], b[2]], "online_movable"), [], "two blocks online movable")
    z = zones(vm, b)
    t.eq((z[b[1]], z[b[3]]), ("Movable Normal", "Normal Movable"),
         "a block between them defaults to Movable; the block after them to Normal")
    online(vm, [b[1], b[3]])
    z = zones(vm, b)
    t.eq((z[b[1]], z[b[3]]), ("Movable", "Normal"), "plain `online` follows valid_zones")

    online(vm, [b[6]], "online_movable")
    z = zones(vm, b)
    t.eq((z[b[4]], z[b[5]]), ("Movable Normal", "Movable Normal"),
         "blocks inside the grown Movable span default to Movable")
    t.eq(online(vm, [b[5]], "online_kernel"), [],
         "online_kernel inside the Movable span is accepted, as valid_zones allows")
    t.eq(zones(vm, [b[5]])[b[5]], "Normal", "and the block is then Normal")
    t.eq(zones(vm, [b[4]])[b[4]], "Normal Movable",
         "a block in both spans defaults to the kernel zone (no movable_node)")
    online(vm, [b[4]])
    t.eq(zones(vm, [b[4]])[b[4]], "Normal", "and `online` puts it in Normal")
    t.eq(zones(vm, [b[7]])[b[7]], "Normal Movable", "the last block, outside, still defaults Normal")

    rc, out = vm.write(f"{MEM}/memory{b[4]}/state", "online_movable")
    t.ok(rc != 0 and block_table(vm, [b[4]])[b[4]][:2] == ("online", "Normal"),
         "online_movable on an online block fails and leaves it online in Normal", diag=out)
    t.eq(online(vm, [b[0], b[1], b[2], b[6]], "offline"), [], "the Movable blocks offline")
    sane(vm, t)
