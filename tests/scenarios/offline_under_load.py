"""Memory comes out of a guest that is busy, as a VM's memory does.

An 8 GiB guest, 6 GiB of it hot-added and online movable (four 1 GiB
pc-dimms and 2 GiB of a virtio-mem device), runs what a VM runs, each part
harness/bench/busy checking every byte it wrote: anonymous memory with
transparent huge pages, filling the workload up to BUSY_LOAD percent of
MemTotal (75; make busy 85), a sixteenth of it given back and faulted in
again each round, so that new allocations land everywhere, blocks
onlined a moment ago included; a file on tmpfs
written and read back through the page cache, the same on a virtio-blk
disk with fsync (pages under writeback), O_DIRECT reads from another disk
(short-term pins of the buffer), a hugetlb pool in use, pages spliced
into a pipe and read out at once (short extra references), and processes
forking, writing and exiting. Each part works a quarter of the time
(busy's BUSY_DUTY), so that the seven keep both vCPUs nearly busy without
taking every cycle from the kernel's own work. Then, while it runs:

  (a) BUSY_ATTEMPTS offlines of the DIMMs' blocks in turn, each onlined
      movable again (an attempt that has not finished in 30 s is ended);
  (b) BUSY_SHRINKS times, the virtio-mem device shrunk by half and grown
      back;
  (c) BUSY_EJECTS times, a DIMM ejected and a new one plugged.

make check runs a few of each (8, 2, 2) at 75 % load; make busy runs the
issue's 500, 20 and 20 at 85 % and prints the same table. On a debug
kernel (KASAN and lockdep make every kernel step several times slower;
make test FLAVOUR=debug) it runs a smaller guest: two DIMMs and 1 GiB of
virtio-mem at 60 % load, 2 offline attempts and one shrink, no eject,
with three times the time limits; make check's debug pass runs it (about
two and a half minutes on either kernel, guest boot included). Each kernel's
figures are notes: success rate, time per success (median, p99, max), every failure's
errno with ours's offline_failure, and what the workload verified. What
is asserted, on both kernels: the workload loses no byte, nothing is
OOM-killed (ours sets memory_hotplug.offline_avoid_oom, so an
offline that would cost a process fails instead; 6.12 has no such
choice), the guest keeps answering, every attempt ends (by itself or by
the 30 s signal) and leaves its block online, and the DIMMs and the
virtio-mem device end where they started."""

import os
import re
import statistics

from guest import MEM, PARAMS, block_size, blocks, eject_osts, meminfo, plug, sane, \
    bench_program, wait_for

DEBUG = True
VM = dict(mem="2G", maxmem="16G", slots=8, smp=2, append="memhp_default_state=online_movable",
          disks=["64M", "256M"],
          virtio_mem=[dict(id="vmem0", size="4G", requested=0)])

DIMMS = 4               # 1 GiB each
VMEM = "vmem0"
VMEM_SIZE = 2 << 30
ATTEMPT_SECONDS = 30
SHRINK_SECONDS = 120
# Percent of MemTotal the workload holds (BUSY_LOAD): make busy and the
# bench take the 85; make check's reduced size 75, because at 85 %
# an eject (1 GiB out of 8) leaves 97 % in use, and whether the OOM killer
# then acts depends on timing (it did once in make check, with the debug
# kernel building beside the guest).
LOAD_PCT = 75
# The debug pass's cell (see the top): DIMMs, virtio-mem bytes, load, the
# default counts of attempts, shrinks and ejects, and the time factor.
DEBUG_CELL = dict(dimms=2, vmem=1 << 30, load=60, attempts=2, shrinks=1, ejects=0, slow=3)
NORMAL_CELL = dict(dimms=DIMMS, vmem=VMEM_SIZE, load=LOAD_PCT, attempts=8, shrinks=2, ejects=2,
                   slow=1)
# part: (busy's mode, MiB, path); anon takes the rest up to BUSY_LOAD.
PARTS = {"anon": ("anon", None, ""),
         "file": ("file", 256, "/tmp/busy.data"),
         "disk": ("file", 128, "/dev/vdb"),
         "direct": ("direct", 32, "/dev/vda"),
         "hugetlb": ("hugetlb", 128, ""),
         "pins": ("pins", 64, ""),
         "fork": ("fork", 16, "")}
OOM = re.compile(r"Out of memory|Killed process|oom-kill")
OST_GOING = (0, 0x84)   # _OST statuses of an eject that succeeds or goes on


def count(name, default):
    return int(os.environ.get(name, default))


def pct(values, p):
    """The p-th percentile (nearest rank) of values."""
    v = sorted(values)
    return v[min(len(v) - 1, max(0, -(-len(v) * p // 100) - 1))]


def timing(values):
    if not values:
        return "no success"
    return (f"median {statistics.median(values):.2f} s, p99 {pct(values, 99):.2f} s, "
            f"max {max(values):.2f} s")


class Load:
    """The guest, its hot-added memory and the workload."""

    def __init__(self, vm, t):
        self.vm, self.t = vm, t
        self.dimms = {}     # dev id: block ids
        self.cell = DEBUG_CELL if "debug" in vm.kernel else NORMAL_CELL
        self.vmem = self.cell["vmem"]
        self.slow = self.cell["slow"]

    def memory(self):
        """Set offline_avoid_oom where the kernel has it (ours: the
        admin guide's advice for a busy machine; BUSY_AVOID_OOM=0 leaves
        it N, to measure what it changes), plug the DIMMs and grow
        virtio-mem: True when all of it is online (movable, by
        memhp_default_state)."""
        if count("BUSY_AVOID_OOM", 1):
            self.vm.run(f"f={PARAMS}/offline_avoid_oom; [ -e $f ] && echo Y > $f")
        for _ in range(self.cell["dimms"]):
            dev, ids = plug(self.vm, "1G")
            if not ids:
                return False
            self.dimms[dev] = ids
        if self.vm.virtio_mem_size(VMEM, self.vmem, timeout=120 * self.slow) != self.vmem:
            return False
        ids = [i for d in self.dimms.values() for i in d]
        return bool(wait_for(lambda: all(blocks(self.vm).get(i) == "online" for i in ids),
                             60 * self.slow))

    def start(self, load_pct=None):
        """Start every part, holding load_pct percent of MemTotal in all
        (default: BUSY_LOAD, else LOAD_PCT); True once each says READY."""
        exe = bench_program("busy")
        total = meminfo(self.vm)["MemTotal"] >> 10
        anon = (total * (load_pct or count("BUSY_LOAD", self.cell["load"])) // 100
                - sum(mib for _, mib, _ in PARTS.values() if mib))
        args = {part: f"{mode} {mib or anon} {path}" for part, (mode, mib, path) in PARTS.items()}
        # One part after the other: each has written all of its memory
        # once when it says READY.
        script = [f"echo {PARTS['hugetlb'][1] // 2} > /proc/sys/vm/nr_hugepages"]
        for part in PARTS:
            script.append(f"setsid bash -c '{exe} {args[part]} & "
                          f"echo $! > /tmp/busy.{part}.pid; wait $!; echo EXIT $?' "
                          f">/tmp/busy.{part} 2>&1 </dev/null & "
                          f"until [ -s /tmp/busy.{part}.pid ]; do sleep 0.1; done; "
                          f"until grep -q READY /tmp/busy.{part}; do "
                          f"kill -0 $(cat /tmp/busy.{part}.pid) 2>/dev/null || "
                          f"{{ echo DIED {part}; cat /tmp/busy.{part}; exit 1; }}; "
                          "sleep 0.5; done")
        rc, out = self.vm.run("\n".join(script), timeout=600)
        self.t.note(f"{self.t.prefix}: workload of MemTotal {total} MiB: "
                    + ", ".join(f"{p} {mib or anon} MiB" for p, (_, mib, _) in PARTS.items()))
        return rc == 0, out

    def stop(self):
        """End every part: {part: (verified bytes, errors)}, errors None
        for a part that did not report or did not exit 0."""
        script = "".join(f"p=$(cat /tmp/busy.{part}.pid); kill -TERM $p; "
                         f"while kill -0 $p 2>/dev/null; do sleep 0.2; done; "
                         f"sleep 0.3; echo PART {part}; cat /tmp/busy.{part}\n"
                         for part in PARTS)
        _, out = self.vm.run(script + "echo 0 > /proc/sys/vm/nr_hugepages", timeout=300)
        got = {}
        for part, (mode, _, _) in PARTS.items():
            m = re.search(rf"PART {part}\n(?:(?!PART ).*\n)*?DONE {mode} verified (\d+) errors (\d+).*\n"
                          r"EXIT (\d+)", out)
            got[part] = ((int(m.group(1)), int(m.group(2)) if m.group(3) == "0" else None)
                         if m else (0, None))
        return got, out

    def offline_attempts(self, n):
        """n offlines of the DIMMs' blocks in turn, each onlined movable
        again: [(block, errno or 0, seconds, why)]."""
        ids = [i for d in self.dimms.values() for i in d]
        order = [ids[k % len(ids)] for k in range(n)]
        script = f"""
for b in {' '.join(map(str, order))}; do
  s=$(date +%s%N)
  err=$(timeout -s INT {ATTEMPT_SECONDS * self.slow} sh -c "echo offline > {MEM}/memory$b/state" 2>&1)
  rc=$?
  e=$(date +%s%N)
  why=$(cat {MEM}/memory$b/offline_failure 2>/dev/null | tr '\\n' ' ')
  echo "A $b $rc $(( (e - s) / 1000000 )) ${{err##*: }} | $why"
  grep -q '^online' {MEM}/memory$b/state || echo online_movable > {MEM}/memory$b/state
done
"""
        _, out = self.vm.run(script, timeout=n * (ATTEMPT_SECONDS * self.slow + 10) + 60)
        res = []
        for line in out.splitlines():
            m = re.match(r"A (\d+) (\d+) (\d+) (.*)", line)
            if m:
                res.append((int(m.group(1)), int(m.group(2)), int(m.group(3)) / 1000,
                            m.group(4).strip()))
        return res

    def shrink(self, n):
        """n times: virtio-mem to half, then back: [(reached half, seconds,
        reached full, seconds)]."""
        res = []
        for _ in range(n):
            row = []
            for size in (self.vmem // 2, self.vmem):
                t0 = self.vm.run("date +%s%N")[1]
                got = self.vm.virtio_mem_size(VMEM, size, timeout=SHRINK_SECONDS * self.slow)
                t1 = self.vm.run("date +%s%N")[1]
                row += [got == size, (int(t1) - int(t0)) / 1e9]
            res.append(tuple(row))
        return res

    def eject(self, dev):
        """device_del a DIMM: True once QEMU deleted it (its backend then
        goes too), False once the guest answered the eject with a failing
        _OST (ours refuses an eject the workload has no room for) or after
        SHRINK_SECONDS."""
        vm = self.vm
        vm.qmp("device_del", id=dev)

        def answer():
            vm.qmp("query-status")  # reads the events that came before its answer
            if any(e["event"] == "DEVICE_DELETED" and e["data"].get("device") == dev
                   for e in vm.events):
                return "deleted"
            if any(s not in OST_GOING for s in eject_osts(vm, dev)):
                return "refused"
            return None

        got = wait_for(answer, SHRINK_SECONDS * self.slow, interval=0.5)
        vm.events[:] = [e for e in vm.events if dev not in (
            e.get("data", {}).get("device"), e.get("data", {}).get("info", {}).get("device"))]
        if got == "deleted":
            vm.qmp("object-del", id=f"mem-{dev}")
        return got == "deleted"

    def ejects(self, n):
        """n times: eject the first DIMM, plug a new one: [(ejected,
        seconds, plugged again)]."""
        res = []
        for _ in range(n):
            dev = next(iter(self.dimms))
            ids = self.dimms.pop(dev)
            t0 = self.vm.run("date +%s%N")[1]
            gone = self.eject(dev)
            gone = gone and bool(wait_for(lambda: not set(ids) & set(blocks(self.vm)), 30))
            t1 = self.vm.run("date +%s%N")[1]
            if not gone:
                self.dimms[dev] = ids
                res.append((False, (int(t1) - int(t0)) / 1e9, False))
                continue
            new, nids = plug(self.vm, "1G")
            if nids:
                self.dimms[new] = nids
            back = bool(nids) and bool(
                wait_for(lambda: all(blocks(self.vm).get(i) == "online" for i in nids),
                         60 * self.slow))
            res.append((True, (int(t1) - int(t0)) / 1e9, back))
        return res


def test_busy_guest(vm, t):
    """Offline, shrink and eject under a workload that checks its bytes."""
    pos = len(vm.console())
    load = Load(vm, t)
    cell = load.cell
    gib = cell["vmem"] >> 30
    t.require(load.memory(), f"{cell['dimms'] + gib} GiB hot-added: {cell['dimms']} 1 GiB DIMMs "
              f"and {gib} GiB of virtio-mem, online")
    total0 = meminfo(vm)["MemTotal"]
    ok, out = load.start()
    t.require(ok, "every part of the workload runs", diag=out)

    n = count("BUSY_ATTEMPTS", cell["attempts"])
    tries = load.offline_attempts(n)
    good = [secs for _, rc, secs, _ in tries if rc == 0]
    t.ok(len(tries) == n, f"all {n} offline attempts ended (each within "
         f"{ATTEMPT_SECONDS * load.slow} s or by the signal)", diag=f"{len(tries)} reported")
    t.note(f"{t.prefix}: (a) offline of movable DIMM blocks on {vm.kernel}: "
           f"{len(good)} of {len(tries)} succeeded ({100 * len(good) / max(1, len(tries)):.1f} %), "
           + timing(good))
    why = {}
    for b, rc, secs, text in tries:
        if rc:
            key = "timed out" if rc == 124 else text
            why[key] = why.get(key, 0) + 1
    for text, k in sorted(why.items(), key=lambda kv: -kv[1]):
        t.note(f"{t.prefix}:     failed {k}x: {text[:200]}")
    states = blocks(vm)
    left = [i for d in load.dimms.values() for i in d if states.get(i) != "online"]
    t.ok(not left, "every block offlined is online again", diag=f"not online: {left}")

    rows = load.shrink(count("BUSY_SHRINKS", cell["shrinks"]))
    half = [r[1] for r in rows if r[0]]
    t.note(f"{t.prefix}: (b) virtio-mem {gib} GiB -> {gib / 2:g} GiB on {vm.kernel}: reached "
           f"{len(half)} of {len(rows)}, " + timing(half)
           + f"; back to {gib} GiB {sum(r[2] for r in rows)} of {len(rows)}")
    t.ok(vm.virtio_mem_size(VMEM, load.vmem, timeout=120 * load.slow) == load.vmem,
         f"virtio-mem ends at its {gib} GiB")

    rows = load.ejects(count("BUSY_EJECTS", cell["ejects"]))
    done = [r[1] for r in rows if r[0]]
    t.note(f"{t.prefix}: (c) eject of a movable 1 GiB DIMM on {vm.kernel}: "
           f"{len(done)} of {len(rows)}, " + timing(done)
           + f"; plugged and online again {sum(r[2] for r in rows)} of {len(rows)}")
    t.ok(len(load.dimms) == cell["dimms"], f"{cell['dimms']} DIMMs plugged at the end",
         diag=str(load.dimms))

    got, out = load.stop()
    t.note(f"{t.prefix}: workload verified " + ", ".join(
        f"{p} {got[p][0] / 2**30:.1f} GiB" for p in PARTS))
    bad = {p: e for p, (v, e) in got.items() if e != 0}
    t.ok(not bad, "the workload read back every byte it wrote (each part ended "
         "with 0 errors)", diag=out[-3000:])
    text = vm.console()[pos:]
    t.ok(not OOM.search(text), "nothing is OOM-killed",
         diag="\n".join(line for line in text.splitlines() if OOM.search(line))[:2000])
    t.ok(meminfo(vm)["MemTotal"] >= total0 - block_size(vm) // 1024,
         "MemTotal is what it was before, to a block",
         diag=f"{meminfo(vm)['MemTotal']} kB, was {total0} kB")
    sane(vm, t)
