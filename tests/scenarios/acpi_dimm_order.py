"""Several pc-dimms plugged together and unplugged in an order unrelated to
the plug order: each device_del takes exactly its own DIMM's blocks and
memory, and a range freed this way can be plugged again."""

from guest import block_table, blocks, meminfo, plug, sane, set_auto_online, settle, wait_for

VM = dict(mem="2G")

MiB_kB = 1024


def test_three_dimms_removed_middle_first_last(vm, t):
    set_auto_online(vm, "online_movable")
    base_blocks = blocks(vm)
    total0 = meminfo(vm)["MemTotal"]
    dimms = {}
    for name in ("A", "B", "C"):
        dev, ids = plug(vm, "512M")
        settle(vm, ids)
        dimms[name] = (dev, ids)
    all_ids = [i for _, ids in dimms.values() for i in ids]
    t.eq(len(set(all_ids)), 12, "three 512 MiB DIMMs give 12 distinct blocks")
    t.ok(all(s == "online" and z == "Movable" for s, z, _ in block_table(vm, all_ids).values()),
         "all of them online in ZONE_MOVABLE")
    t.eq(meminfo(vm)["MemTotal"] - total0, 1536 * MiB_kB, "MemTotal grew by 1.5 GiB")

    left = dict(dimms)
    for name in ("B", "A", "C"):
        dev, ids = left.pop(name)
        ok = vm.remove_dimm(dev, 60)
        want = dict(base_blocks)
        for _, other in left.values():
            want.update({i: "online" for i in other})
        got = wait_for(lambda: blocks(vm) == want and want, 30) or blocks(vm)
        t.ok(ok and got == want,
             f"device_del of DIMM {name} removes its blocks {ids[0]}-{ids[-1]} and only those",
             diag=f"DEVICE_DELETED: {ok}\ngot {sorted(got.items())}\nwant {sorted(want.items())}")
        t.eq(meminfo(vm)["MemTotal"] - total0, 512 * MiB_kB * len(left),
             f"MemTotal after removing {name} counts the {len(left)} DIMM(s) left")
    t.eq(vm.dimms(), {}, "QEMU has no DIMM left")


def test_freed_range_plugs_again(vm, t):
    """Plug two DIMMs, remove the first, plug a new one: QEMU puts it in the
    freed range, whose memory sections the guest must create anew."""
    set_auto_online(vm, "online_movable")
    total0 = meminfo(vm)["MemTotal"]
    dev_a, ids_a = plug(vm, "512M")
    dev_b, ids_b = plug(vm, "512M")
    settle(vm, ids_a + ids_b)
    t.ok(vm.remove_dimm(dev_a, 60) and
         wait_for(lambda: not set(ids_a) & set(blocks(vm)), 30),
         "the first DIMM goes away")
    dev_c, ids_c = plug(vm, "512M")
    t.note(f"first DIMM had blocks {ids_a}, the new one has {ids_c}")
    states = settle(vm, ids_c)
    t.ok(ids_c and all(s == "online" for s in states.values()),
         "the new DIMM's blocks appear and come online", diag=str(states))
    t.eq(meminfo(vm)["MemTotal"] - total0, 1024 * MiB_kB, "MemTotal counts the two plugged DIMMs")
    ok = all(vm.remove_dimm(d, 60) for d in (dev_b, dev_c))
    t.ok(ok and wait_for(lambda: not set(ids_b + ids_c) & set(blocks(vm)), 30)
         and meminfo(vm)["MemTotal"] == total0,
         "both go away again and MemTotal is back")
    sane(vm, t)
