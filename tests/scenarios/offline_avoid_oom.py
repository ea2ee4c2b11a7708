"""An offline refuses what the machine cannot spare (memory_hotplug.offline_avoid_oom).

A 1 GiB guest gets a 1 GiB DIMM online movable and a process that fills
most of the memory, the DIMM's blocks included. With offline_avoid_oom=Y:

- while MemAvailable is smaller than a block (the process leaves SHORT
  MiB of it), offlining one of the DIMM's blocks fails at once with ENOMEM,
  offline_failure reads "oom", memory_offline_fail_oom in /proc/vmstat
  counts it, and the block stays online: nothing was migrated, nothing is
  OOM-killed, the process reads back every byte it wrote;
- with room (the process leaves ROOMY MiB), the same offline migrates the
  block's pages away and succeeds, as it would with N;
- with room at the start but not to the end: a page of a block is held
  (vmsplice), so its offline keeps retrying that page; meanwhile a second
  process allocates a MiB at a time until the offline ends. Once
  MemAvailable cannot spare the next migration target, the offline stops
  with ENOMEM and "oom", its block back in the allocator, before the
  second process has gone more than HUNGRY_OVER MiB past what was
  available, and nothing is OOM-killed.

With N, the default (6.12's behaviour), the first offline would migrate
until the free memory is gone and keep trying while the machine runs out,
the OOM killer acting if anything else allocates; that half is not run.
The parameter is ours only."""

import re
import time

from guest import MEM, PARAMS, block_size, block_table, fill_start, fill_verify, hold_page, \
    meminfo, plug, release_page, sane, wait_for

REQUIRES = "ours"
WHY = "memory_hotplug.offline_avoid_oom is new"

VM = dict(mem="1G", maxmem="4G", slots=2, append="memhp_default_state=online_movable")

SHORT = 64              # MiB of MemAvailable left when there is no room
ROOMY = 384             # ... and when there is
HUNGRY_OVER = 32        # MiB past MemAvailable the second process may go

# Python run in the guest: allocate and write a MiB at a time, at most
# argv[1] MiB, until the file argv[2] exists; then say how far it went and
# hold the memory until killed.
_HUNGRY = r'''
import os, signal, sys
most, stop = int(sys.argv[1]), sys.argv[2]
held = []
while len(held) < most and not os.path.exists(stop):
    held.append(b"\x5a" * (1 << 20))
print("HELD", len(held), "STOPPED" if os.path.exists(stop) else "CAPPED", flush=True)
signal.pause()
'''
OOM = re.compile(r"Out of memory|Killed process|oom-kill")


def vmstat(vm, name):
    """The /proc/vmstat counter name (None without it)."""
    out = vm.sh(f"grep '^{name} ' /proc/vmstat || true")
    return int(out.split()[1]) if out.strip() else None


def offline(vm, block):
    """Write offline to the block's state: (exit status, error text, s)."""
    _, out = vm.run(f"s=$(date +%s%N); echo offline 2>/tmp/off.err > {MEM}/memory{block}/state; "
                    "rc=$?; e=$(date +%s%N); echo RC $rc MS $(( (e - s) / 1000000 )); "
                    "cat /tmp/off.err", timeout=300)
    m = re.search(r"RC (\d+) MS (\d+)", out)
    return (int(m.group(1)), out, int(m.group(2)) / 1000) if m else (None, out, None)


def hold(vm, t, leave):
    """Start a process holding all of MemAvailable but leave MiB."""
    avail = meminfo(vm)["MemAvailable"] >> 10
    return t.require(fill_start(vm, avail - leave) is not None,
                     f"a process holds all but {leave} MiB of MemAvailable ({avail} MiB)")


def test_offline_avoid_oom(vm, t):
    t.eq(vm.read(f"{PARAMS}/offline_avoid_oom"), "N", "offline_avoid_oom defaults to N")
    rc, _ = vm.run(f"echo maybe > {PARAMS}/offline_avoid_oom")
    t.ok(rc != 0 and vm.read(f"{PARAMS}/offline_avoid_oom") == "N",
         "a value that is not a boolean is refused and changes nothing")
    _, ids = plug(vm, "1G")
    t.require(ids and wait_for(lambda: all(s == "online" for s, _, _ in
                                           block_table(vm, ids).values()), 60),
              "a 1 GiB DIMM is online movable")
    block = ids[len(ids) // 2]
    failed = vmstat(vm, "memory_offline_fail_oom")
    t.require(failed is not None, "/proc/vmstat has memory_offline_fail_oom")
    vm.sh(f"echo Y > {PARAMS}/offline_avoid_oom")
    pos = len(vm.console())

    hold(vm, t, SHORT)
    moved = vmstat(vm, "memory_offline_pgmigrate_success")
    rc, err, secs = offline(vm, block)
    t.ok(rc not in (0, None) and "Cannot allocate memory" in err,
         "with no room, the offline fails with ENOMEM", diag=err)
    t.ok(secs is not None and secs < 5, f"... at once ({secs} s)")
    t.eq(vm.read(f"{MEM}/memory{block}/offline_failure"), "oom", "offline_failure says oom")
    t.eq(vmstat(vm, "memory_offline_fail_oom"), failed + 1, "memory_offline_fail_oom counts it")
    t.eq(vmstat(vm, "memory_offline_pgmigrate_success"), moved, "nothing was migrated")
    t.eq(vm.read(f"{MEM}/memory{block}/state"), "online", "the block is online as before")
    out = fill_verify(vm)
    t.ok("VERIFIED 0 bad words" in out, "the process reads back every byte", diag=out)

    hold(vm, t, ROOMY)
    rc, err, secs = offline(vm, block)
    t.ok(rc == 0, f"with room, the same offline succeeds ({secs} s)", diag=err)
    t.ok(vmstat(vm, "memory_offline_pgmigrate_success") > moved,
         "... having migrated the process's pages")
    t.eq(vm.read(f"{MEM}/memory{block}/offline_failure"), "", "offline_failure is empty again")
    out = fill_verify(vm)
    t.ok("VERIFIED 0 bad words" in out, "the process reads back every byte", diag=out)
    vm.sh(f"echo online_movable > {MEM}/memory{block}/state")
    t.eq(vm.read(f"{MEM}/memory{block}/state"), "online", "the block goes online again")

    per = block_size(vm) // 4096
    pfn = hold_page(vm, ids[0] * per, (ids[-1] + 1) * per)
    t.require(pfn is not None, "a page of the DIMM is held by vmsplice",
              diag=vm.read("/tmp/hold.out"))
    block = pfn // per
    hold(vm, t, ROOMY)
    # The signal only ends an offline that never stopped by itself.
    vm.sh("rm -f /tmp/off.rc /tmp/off.err; "
          f"( timeout -s INT 120 bash -c 'echo offline > {MEM}/memory{block}/state' "
          "2>/tmp/off.err; echo $? > /tmp/off.rc ) >/dev/null 2>&1 &")
    t.require(wait_for(lambda: vm.read(f"{MEM}/memory{block}/state") == "going-offline", 30),
              f"the offline of memory{block} keeps retrying the held page")
    time.sleep(3)       # its other pages migrate meanwhile
    avail = meminfo(vm)["MemAvailable"] >> 10
    vm.sh("cat > /tmp/hungry.py <<'HUNGRY_EOF'\n" + _HUNGRY + "HUNGRY_EOF\n"
          f"setsid python3 /tmp/hungry.py {avail + HUNGRY_OVER} /tmp/off.rc "
          "> /tmp/hungry.out 2>&1 < /dev/null & echo $! > /tmp/hungry.pid")
    t.ok(wait_for(lambda: vm.read("/tmp/off.rc") != "", 150), "the offline ends")
    rc, err = vm.read("/tmp/off.rc"), vm.read("/tmp/off.err")
    got = wait_for(lambda: re.search(r"HELD (\d+) (\w+)", vm.read("/tmp/hungry.out")), 60)
    t.ok(rc not in ("0", "124") and "Cannot allocate memory" in err,
         f"it fails with ENOMEM while a process takes MemAvailable ({avail} MiB) away",
         diag=f"rc {rc!r}: {err}; {vm.read('/tmp/hungry.out')}")
    t.ok(got and got.group(2) == "STOPPED",
         f"... before that process went {HUNGRY_OVER} MiB past it",
         diag=vm.read("/tmp/hungry.out"))
    if got:
        t.note(f"{t.prefix}: the second process got {got.group(1)} MiB of the {avail} MiB "
               "available when the offline stopped")
    t.eq(vm.read(f"{MEM}/memory{block}/offline_failure"), "oom", "offline_failure says oom")
    t.eq(vm.read(f"{MEM}/memory{block}/state"), "online", "the block is online as before")
    vm.run("kill $(cat /tmp/hungry.pid); sleep 0.5")
    release_page(vm)
    out = fill_verify(vm)
    t.ok("VERIFIED 0 bad words" in out, "the first process reads back every byte", diag=out)

    text = vm.console()[pos:]
    t.ok(not OOM.search(text), "nothing is OOM-killed",
         diag="\n".join(line for line in text.splitlines() if OOM.search(line))[:2000])
    vm.sh(f"echo N > {PARAMS}/offline_avoid_oom")
    sane(vm, t)
