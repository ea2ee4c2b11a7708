"""util-linux's lsmem and chmem, real clients of the ABI: lsmem reports the
blocks, states, zones and nodes sysfs has; chmem onlines and offlines the
blocks it is asked to, by block range, by size and by address range.

chmem's own rules (util-linux 2.38): without -z it writes online_movable
when valid_zones lists Movable, else online; by size it enables the lowest
offline blocks first and disables the highest online ones first."""

import json

from guest import block_size, block_table, online, plug, sane, set_auto_online

VM = dict(mem="2G")

COLS = "RANGE,SIZE,STATE,BLOCK,NODE,ZONES"


def compare_lsmem(vm, t, when):
    """Assert lsmem --json -a agrees with sysfs block by block, and its
    summary with the counts of online and offline blocks."""
    bsz = block_size(vm)
    sysfs = block_table(vm)
    rows = json.loads(vm.sh(f"lsmem --json -a -o {COLS}"))["memory"]
    lsmem = {int(r["block"]): r for r in rows}
    t.eq(sorted(lsmem), sorted(sysfs), f"{when}: lsmem lists every block sysfs has")
    bad = []
    for i, (state, zones, node) in sysfs.items():
        r = lsmem.get(i, {})
        start = i * bsz
        want = (state, zones.replace(" ", "/"), node,
                f"0x{start:016x}-0x{start + bsz - 1:016x}", f"{bsz >> 20}M")
        got = (r.get("state"), r.get("zones"), r.get("node"), r.get("range"), r.get("size"))
        if got != want:
            bad.append(f"block {i}: lsmem {got} sysfs {want}")
    t.ok(not bad, f"{when}: lsmem state, zones, node, range and size match sysfs for each block",
         diag="\n".join(bad[:20]))
    out = vm.sh("lsmem -b --summary=only")
    summary = {k.strip(): int(v) for k, v in (line.split(":") for line in out.splitlines() if ":" in line)}
    n_on = sum(1 for s, _, _ in sysfs.values() if s == "online")
    t.eq((summary.get("Total online memory"), summary.get("Total offline memory")),
         (n_on * bsz, (len(sysfs) - n_on) * bsz), f"{when}: lsmem's totals match sysfs")


def test_lsmem_reports_what_sysfs_says(vm, t):
    set_auto_online(vm, "offline")
    dev, b = plug(vm, "1G")
    online(vm, b[:2], "online_movable")
    online(vm, b[2:3], "online_kernel")
    compare_lsmem(vm, t, "Movable, Normal and offline blocks")


def states(vm, ids):
    return {i: (s, z) for i, (s, z, _) in block_table(vm, ids).items()}


def test_chmem(vm, t):
    b = sorted(i for i in block_table(vm) if i >= 32)   # the DIMM plugged above
    rc, out = vm.run(f"chmem -e -b {b[3]}-{b[4]}")
    t.ok(rc == 0 and states(vm, b[3:5]) == {b[3]: ("online", "Movable"), b[4]: ("online", "Movable")},
         "chmem -e -b onlines that block range (Movable, as valid_zones allows)",
         diag=f"rc={rc} {out}\n{states(vm, b)}")
    rc, out = vm.run(f"chmem -d -b {b[3]}-{b[4]}")
    t.ok(rc == 0 and {s for s, _ in states(vm, b[3:5]).values()} == {"offline"},
         "chmem -d -b offlines them again", diag=f"rc={rc} {out}")

    rc, out = vm.run("chmem -e 256M")
    on = sorted(i for i, (s, _) in states(vm, b).items() if s == "online")
    t.ok(rc == 0 and on == b[:5], "chmem -e 256M onlines the two lowest offline blocks",
         diag=f"rc={rc} {out}\nonline now: {on}")
    rc, out = vm.run("chmem -d 256M")
    on = sorted(i for i, (s, _) in states(vm, b).items() if s == "online")
    t.ok(rc == 0 and on == b[:3], "chmem -d 256M offlines the two highest online blocks",
         diag=f"rc={rc} {out}\nonline now: {on}")

    bsz = block_size(vm)
    rng = f"0x{b[5] * bsz:x}-0x{(b[7] + 1) * bsz - 1:x}"
    rc, out = vm.run(f"chmem -e {rng} -z Normal")
    t.ok(rc == 0 and set(states(vm, b[5:]).values()) == {("online", "Normal")},
         "chmem -e RANGE -z Normal onlines that address range to ZONE_NORMAL",
         diag=f"rc={rc} {out}\n{states(vm, b)}")
    compare_lsmem(vm, t, "after chmem")
    sane(vm, t)
