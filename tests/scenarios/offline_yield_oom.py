"""An offline gives way to the workload (memory_hotplug.offline_yield_on_oom).

A 1 GiB guest gets a 1 GiB DIMM online movable; a process fills all of the
memory but YIELD_SLACK MiB, the DIMM's blocks included. Offlining one of
those blocks then cannot finish: it migrates until the free memory is
gone and keeps retrying. A second process asks for HUNGRY MiB meanwhile,
which takes the machine to the OOM killer.

With offline_yield_on_oom=Y the offline gives up (ENOMEM), its block goes
back to the allocator, the second process gets its memory and nothing is
killed; the first process reads back every byte it wrote. offline_failure
reading "oom" is itself the proof that the OOM killer was reached: only
its notifier sets that reason. With N (the default, 6.12's behaviour) the
OOM killer kills a process here, whose report the console check would
count as a splat, so this scenario runs the Y half only; the parameter is
ours only."""

import re

from guest import MEM, PARAMS, block_table, build_fill, fill_start, fill_verify, meminfo, \
    plug, sane, wait_for

REQUIRES = "ours"
WHY = "memory_hotplug.offline_yield_on_oom is new"

VM = dict(mem="1G", maxmem="4G", slots=2, append="memhp_default_state=online_movable")

YIELD_SLACK = 96        # MiB of MemAvailable the first process leaves
HUNGRY = 48             # MiB the second process asks for during the offline
OOM = re.compile(r"Out of memory|Killed process|oom-kill")


def fail_oom(vm):
    """memory_offline_fail_oom in /proc/vmstat (None without it)."""
    out = vm.sh("grep memory_offline_fail_oom /proc/vmstat || true")
    return int(out.split()[1]) if out.strip() else None


def test_offline_yields_to_oom(vm, t):
    t.eq(vm.read(f"{PARAMS}/offline_yield_on_oom"), "N", "offline_yield_on_oom defaults to N")
    _, ids = plug(vm, "1G")
    t.require(ids and wait_for(lambda: all(s == "online" for s, _, _ in
                                           block_table(vm, ids).values()), 60),
              "a 1 GiB DIMM is online movable")
    block = ids[len(ids) // 2]
    before = fail_oom(vm)
    t.require(before is not None, "/proc/vmstat has memory_offline_fail_oom")
    pos = len(vm.console())
    vm.sh(f"echo Y > {PARAMS}/offline_yield_on_oom")
    avail = meminfo(vm)["MemAvailable"] >> 10
    t.require(fill_start(vm, avail - YIELD_SLACK) is not None,
              f"a process holds all but {YIELD_SLACK} MiB of MemAvailable ({avail} MiB)")

    vm.sh("rm -f /tmp/off.rc /tmp/off.err; "
          f"( echo offline 2>/tmp/off.err > {MEM}/memory{block}/state; echo $? > /tmp/off.rc ) "
          ">/dev/null 2>&1 &")
    # Not asserted: a command of the harness itself may be what runs out
    # first, and then the offline gives way before the second process asks.
    running = not wait_for(lambda: vm.read("/tmp/off.rc") != "", 3)
    t.note(f"{t.prefix}: the offline of block {block} is "
           f"{'still running' if running else 'over'} after 3 s")
    _, out = vm.run(f"{build_fill()} {HUNGRY} > /tmp/hungry.out 2>&1 & pid=$!; "
                    "for i in $(seq 240); do grep -q READY /tmp/hungry.out && break; "
                    "kill -0 $pid 2>/dev/null || break; sleep 0.5; done; "
                    "grep -q READY /tmp/hungry.out && echo GOT; kill $pid; wait $pid",
                    timeout=180)
    t.ok("GOT" in out, f"a second process gets its {HUNGRY} MiB", diag=out)
    done = wait_for(lambda: vm.read("/tmp/off.rc") != "", 60)
    rc, err = vm.read("/tmp/off.rc"), vm.read("/tmp/off.err")
    t.ok(done and rc != "0" and "Cannot allocate memory" in err,
         "the offline fails with ENOMEM", diag=f"rc {rc!r}: {err}")
    t.eq(vm.read(f"{MEM}/memory{block}/offline_failure"), "oom", "offline_failure says oom")
    t.eq(fail_oom(vm), before + 1, "memory_offline_fail_oom counts it")
    t.eq(vm.read(f"{MEM}/memory{block}/state"), "online", "the block is online as before")
    text = vm.console()[pos:]
    t.ok(not OOM.search(text), "nothing is OOM-killed",
         diag="\n".join(line for line in text.splitlines() if OOM.search(line))[:2000])
    out = fill_verify(vm)
    t.ok("VERIFIED 0 bad words" in out, "the first process reads back every byte", diag=out)
    vm.sh(f"echo N > {PARAMS}/offline_yield_on_oom")
    sane(vm, t)
