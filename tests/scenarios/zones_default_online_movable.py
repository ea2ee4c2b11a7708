"""memhp_default_state=online_movable on the command line: plugged DIMMs
come up online in ZONE_MOVABLE with no help from user space; changing
auto_online_blocks later affects only memory added after the change."""

from guest import MEM, block_table, blocks, meminfo, plug, sane, set_auto_online, settle, wait_for

VM = dict(mem="2G", append="memhp_default_state=online_movable")


def test_cmdline_online_movable(vm, t):
    t.eq(vm.read(f"{MEM}/auto_online_blocks"), "online_movable",
         "auto_online_blocks reads what memhp_default_state set")
    before = blocks(vm)
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "1G")
    states = settle(vm, ids)
    t.ok(ids and all(s == "online" for s in states.values()),
         "the DIMM's blocks are online without user space", diag=str(states))
    t.eq({z for _, z, _ in block_table(vm, ids).values()}, {"Movable"}, "all in ZONE_MOVABLE")
    t.eq(meminfo(vm)["MemTotal"] - total0, 1 << 20, "MemTotal grew by 1 GiB")
    t.ok(vm.remove_dimm(dev, 60) and wait_for(lambda: blocks(vm) == before, 30),
         "device_del removes it again")


def test_change_affects_only_new_memory(vm, t):
    before = blocks(vm)
    dev_a, ids_a = plug(vm, "256M")
    settle(vm, ids_a)
    rc, out = vm.write(f"{MEM}/auto_online_blocks", "bogus")
    t.ok(rc != 0 and vm.read(f"{MEM}/auto_online_blocks") == "online_movable",
         "an unknown auto_online_blocks value is refused and the old one kept", diag=out)
    set_auto_online(vm, "offline")
    t.eq({s for s, _, _ in block_table(vm, ids_a).values()}, {"online"},
         "switching to offline leaves the plugged DIMM online")
    dev_b, ids_b = plug(vm, "256M")
    t.eq({s for s, _, _ in block_table(vm, ids_b).values()}, {"offline"},
         "a DIMM plugged after the switch stays offline")
    t.ok(all(vm.remove_dimm(d, 60) for d in (dev_a, dev_b)) and
         wait_for(lambda: blocks(vm) == before, 30), "both unplug")
    sane(vm, t)
