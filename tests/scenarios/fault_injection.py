"""Fault injection into memory hot(un)plug: failslab and fail_page_alloc.

Five paths, FAULT_ATTEMPTS attempts each (default 200): hot-add of a pc-dimm
through ACPI, online of a block, offline of a block, virtio-mem grow and
virtio-mem shrink. Each attempt makes exactly one allocation fail, chosen
with fail-nth (Documentation/fault-injection/fault-injection.rst): writing
N to /proc/PID/fail-nth makes the N-th fault-injection point that task
passes fail, and reading it back says whether it got there (0: injected).

Where the work runs decides whose fail-nth is armed:
  online, offline  the shell that writes the block's state file
  DIMM hot-add     a kacpi_hotplug worker (unbound kworker)
  virtio-mem       a system_freezable_wq worker (per-CPU kworker)
For the worker paths every kworker is armed. With
CONFIG_FAULT_INJECTION_STACKTRACE_FILTER the count only covers allocations
with a function of one object file on the stack (require-start/require-end
over its text, from /proc/kallsyms), so other work is never hit; attempts
alternate between the driver's object (acpi_memhotplug.o, virtio_mem.o:
all the work it does) and the core's (mm/memory_hotplug*.o: allocations
too deep under the driver for the filter's 32 frames). Without the filter
the kworkers of the right kind are armed, and an unrelated work item that
allocates meanwhile may take the fault instead (collateral).

Before the attempts each path is run once with fail-nth far out of reach:
what it consumed is the number K of fault points on the path, and attempt i
fails point 1 + i mod K (every point in turn) or, when K exceeds the
attempts, the first half of the attempts take points 1, 2, ... and the
rest are spread evenly up to K.

After every attempt the documented state is checked, from one snapshot of
the guest (blocks, /proc/iomem, /sys/firmware/memmap, MemTotal, zoneinfo,
node masks, PNP0C80 links): a DIMM is either completely added (all its
blocks, its System RAM resource and memmap entry, its ACPI binding; blocks
auto-onlining failed for may stay offline and online on a retry) or not at
all (everything as before the plug, the DIMM then leaves with device_del).
A block whose online or offline failed is in its previous state and a
retry without the fault succeeds. virtio-mem converges to the requested
size on a retry; a fault that makes it mark the device broken is a
failure (the driver is rebound to go on). MemTotal and the zone counters
agree throughout. Memory groups have no user-visible trace; a leaked one
would only show as a kmemleak report if its xarray entry went too.

A fault that crashes the guest (Oops, BUG) is a failure; the console is
kept as console.PATH.crashN.log in the run directory and a fresh guest boots
on the same VM for the remaining attempts, up to MAX_REBOOTS times.

Injected failures make the allocator print warn_alloc() reports, whose
stack trace the runner would count as a splat: the test reads the console
itself after each attempt, lets through exactly those "Call Trace:" lines
whose trace starts in warn_alloc(), and fails on any other splat line.
Fault-injection messages are off (verbose 0).

Needs a kernel with CONFIG_FAULT_INJECTION_DEBUG_FS (the debug flavour);
skipped elsewhere. The DIMM and virtio-mem paths are skipped on the
reference kernel, which fails them (console.KNOWN['reference-resource-eexist']). FAULT_DRY=1 runs the same attempts with nothing armed,
to check the bookkeeping and measure the time on any kernel.
"""

import os
import re
import time

import vm as vmlib
from faults import (DRY, FAR, FATAL, RANGES, WORKERS, Expect, Log, finish, note_counts, outcome,
                    parse_left, schedule, snapshot, start)
from guest import MEM, wait_for

DEBUG = True
VM = dict(mem="2G", numa=["2G", 0],
          virtio_mem=[dict(id="vmem0", size="1G", node=0, requested=0)])

ATTEMPTS = int(os.environ.get("FAULT_ATTEMPTS", "200"))
HOT_NODE = 1                 # memoryless at boot: a DIMM there onlines it
DIMM_SIZE = 256 << 20        # two blocks: a failure after the first undoes it
VMEM = "vmem0"
VMEM_SIZE = 256 << 20


# ---- online and offline ---------------------------------------------------------

def crashed_since(vm, pos):
    """Whether the console shows a FATAL splat after offset pos."""
    return bool(FATAL.search(vm.console()[pos:]))


def test_online_offline(vm, t):
    """A block of a DIMM on node 1 is onlined (movable and kernel in turn)
    and offlined with one allocation of the write failing each time."""
    fi = start(vm, t, "online/offline under failslab and fail_page_alloc")
    if not fi:
        return
    log, timing, g = Log("online_offline"), {}, {}

    def setup():
        """Fault attributes, policy, and a DIMM whose one block is used."""
        if not DRY:
            fi.setup()
        vm.sh(f"echo offline > {MEM}/auto_online_blocks")
        g["ex"] = ex = Expect(vm, snapshot(vm), HOT_NODE, VMEM)
        g["dev"] = vm.add_dimm(ex.bsz, node=HOT_NODE)
        d = vm.dimms()[g["dev"]]
        g["block"] = d["addr"] // ex.bsz
        g["rng"] = [(d["addr"], d["addr"] + d["size"] - 1)]
        ok = wait_for(lambda: g["block"] in snapshot(vm)["blocks"], 120)
        log.console(vm, "plug")
        return ok

    if not t.ok(setup(), "the DIMM's block appears"):
        return

    def write(path, w, n, ctx):
        """fi.write with retry; None if the guest crashed (and was
        restarted, or not: then the test ends)."""
        pos = len(vm.console())
        try:
            res = fi.write(g["block"], w, n, retry=True)
        except vmlib.VMError as e:
            if not crashed_since(vm, pos):
                raise
            res = None
            log.problem(path, ctx, f"the guest crashed: {str(e)[:200]}")
        if log.console(vm, f"{path} {ctx}") or res is None:
            if res is not None:
                log.problem(path, ctx, "the guest crashed")
            if not log.reboot(vm, f"{path} {ctx}") or not setup():
                raise vmlib.VMError(f"the guest crashed {len(log.crashes)} times: giving up")
            return None
        return res

    words = ("online_movable", "online_kernel")
    # Calibrate: how many fault points each write passes.
    k = {}
    for word in words:
        for path, w, want in (("online", word, "online"), ("offline", "offline", "offline")):
            n = 0 if DRY else FAR
            res = write(path, w, n, f"calibration {w}")
            if res is None:
                k[(path, word)] = 0
                continue
            rc, left, s, _, _ = res
            k[(path, word)] = FAR - left if n and left else 0
            bad = g["ex"].problems(s, g["rng"])
            if rc or s["blocks"][g["block"]][0] != want or bad:
                log.problem(path, f"calibration {w}", f"rc {rc} {bad}")
    t.note("fault points per write: " + ", ".join(f"{p} after {w}: {v}" for (p, w), v in k.items()))
    sched = {key: schedule(v, (ATTEMPTS + 1) // 2 if key[1] == words[0] else ATTEMPTS // 2)
             for key, v in k.items()}

    for i in range(ATTEMPTS):
        word = words[i % 2]
        for path, w, before, after in (("online", word, "offline", "online"),
                                       ("offline", "offline", "online", "offline")):
            t0 = time.monotonic()
            n = 0 if DRY else sched[(path, word)][i // 2]
            ctx = f"attempt {i} ({w}, fault point {n})"
            res = write(path, w, n, ctx)
            timing[path] = timing.get(path, 0) + time.monotonic() - t0
            if res is None:
                log.count(path, "crashed")
                break       # a fresh guest: its block is offline again
            rc, left, s, rc2, s2 = res
            block, ex = g["block"], g["ex"]
            state = s["blocks"].get(block, ("gone",))[0]
            log.count(path, outcome(n, bool(n) and left == 0, rc == 0))
            if rc == 0 and state != after:
                log.problem(path, ctx, f"write succeeded, block is {state}")
            if rc and state != before:
                log.problem(path, ctx, f"write failed, block went {before} -> {state}")
            bad = ex.problems(s, g["rng"])
            if bad:
                log.problem(path, ctx, "; ".join(bad))
            if rc:
                # The admin guide: a failed write leaves the block as it was,
                # so the same write without the fault must work.
                if rc2 or s2["blocks"].get(block, ("gone",))[0] != after:
                    log.problem(path, ctx, f"retry without the fault: rc {rc2}")
                    note_counts(t, log, timing)
                    finish(t, log, "online/offline")
                    return
                bad = ex.problems(s2, g["rng"])
                if bad:
                    log.problem(path, ctx + " retry", "; ".join(bad))
        if len(log.problems) > 20:
            break

    t.ok(vm.remove_dimm(g["dev"], 300), "the DIMM unplugs after the attempts")
    t.eq(g["ex"].problems(snapshot(vm)), [], "the guest is back to where it started")
    log.console(vm, "unplug")
    if not DRY:
        fi.restore()
    note_counts(t, log, timing)
    finish(t, log, "online/offline")


# ---- DIMM hot-add ---------------------------------------------------------------

def wait_ost(vm, dev, timeout, pos):
    """The _OST status the guest reported for the insertion of dev (QMP
    ACPI_DEVICE_OST, source 1: device check); None if it did not come,
    "crash" if the guest crashed meanwhile (console after pos). The guest
    reports it once the hotplug work is done with the device; the status
    says nothing about the add (the ACPI core answers success even when
    the scan handler refused the device), so only the snapshot decides."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ev = vm.wait_event("ACPI_DEVICE_OST", 3)
        if ev is None:
            if crashed_since(vm, pos):
                return "crash"
            continue
        info = ev.get("data", {}).get("info", {})
        if info.get("device") == dev and info.get("source") == 1:
            return info.get("status")
    return None


def test_dimm_hot_add(vm, t):
    """A 256 MiB pc-dimm on node 1 (memoryless until then), auto-onlined
    movable, plugged with one allocation of the kacpi_hotplug work failing;
    then ejected."""
    fi = start(vm, t, "DIMM hot-add under failslab and fail_page_alloc", ours_only=True)
    if not fi:
        return
    log, timing, g = Log("dimm"), {}, {}
    pending = []    # the attempt whose device_del the next snapshot checks

    def setup():
        if not DRY:
            fi.setup()
        vm.sh(f"echo online_movable > {MEM}/auto_online_blocks")
        g["ex"] = Expect(vm, snapshot(vm), HOT_NODE, VMEM)
        pending.clear()
        log.console(vm, "start")

    setup()
    ranges = [fi.text_range(objs) for objs in RANGES["dimm"]] if fi.filter else [None]
    ranges = [r for r in ranges if r is not None or not fi.filter]
    if fi.filter and not ranges:
        t.ok(False, "the hot-add path's object files give a stack-trace range")
        return
    pattern = "kworker/*" if fi.filter else "kworker/u*"
    if DRY:
        t.note("FAULT_DRY=1: nothing is armed")
    elif fi.filter:
        t.note("stack-trace filter: " + ", ".join(f"{o} [{lo:#x}, {hi:#x})"
                                                  for lo, hi, o in ranges))
    else:
        t.note(f"no stack-trace filter in this kernel: arming {pattern} (collateral possible)")

    def check_pending(s):
        if pending and s is not None:
            bad = g["ex"].problems(s)
            if bad:
                log.problem("dimm", pending[0] + " after device_del", "; ".join(bad))
        pending.clear()

    def crash(ctx):
        log.problem("dimm", ctx, "the guest crashed")
        log.console(vm, f"dimm {ctx}")
        if not log.reboot(vm, f"dimm {ctx}"):
            return False
        setup()
        return True

    def attempt(n, rng, ctx):
        """One plug and unplug; return (outcome, fault points the worker
        passed, whether to go on)."""
        ex = g["ex"]
        vm.events[:] = [e for e in vm.events if e["event"] != "ACPI_DEVICE_OST"]
        check_pending(fi.prepare(pattern, n, rng, snap=bool(pending)))
        pos = len(vm.console())
        dev = vm.add_dimm(DIMM_SIZE, node=HOT_NODE)
        status = wait_ost(vm, dev, 300, pos)
        if status == "crash" or log.console(vm, f"dimm {ctx}"):
            return "crashed", 0, crash(ctx)
        left, s = fi.disarm_and_snap() if n else ({}, snapshot(vm))
        hit = [p for p, v in left.items() if v == 0]
        consumed = max([n - v for v in left.values() if v] + [0]) if n else 0
        if len(hit) > 1:
            log.collateral += len(hit) - 1
        d = vm.dimms()[dev]
        lo, hi = d["addr"], d["addr"] + d["size"] - 1
        ids = set(range(lo // ex.bsz, (hi + 1) // ex.bsz))
        present = ids & set(s["blocks"])
        added = present == ids
        if present and not added:
            log.problem("dimm", ctx, f"only blocks {sorted(present)} of {sorted(ids)} exist")
        else:
            bad = ex.problems(s, [(lo, hi)] if added else [])
            if bad:
                log.problem("dimm", ctx, "; ".join(bad))
        if status is None:
            log.count("dimm", "(no _OST from the guest)")
        result = outcome(n, bool(hit), added)
        if added:
            # Auto-onlining may have failed: the blocks stay offline and
            # onlining them by hand must work.
            off = sorted(i for i in ids if s["blocks"][i][0] == "offline")
            if off:
                log.count("dimm", "added, auto-online failed")
                for i in off:
                    rc, _, _ = fi.write(i, "online_movable", 0)
                    if rc:
                        log.problem("dimm", ctx, f"block {i}: online retry failed")
        pos = len(vm.console())
        if not vm.remove_dimm(dev, 300):
            if crashed_since(vm, pos):
                return result, consumed, crash(ctx + " device_del")
            log.problem("dimm", ctx, "device_del did not complete")
            return result, consumed, False
        pending.append(ctx)
        if log.console(vm, f"dimm {ctx} device_del"):
            return result, consumed, crash(ctx + " device_del")
        return result, consumed, True

    # Calibrate each range with one plug that no fault can reach.
    sched = []
    per = [ATTEMPTS // len(ranges) + (1 if j < ATTEMPTS % len(ranges) else 0)
           for j in range(len(ranges))]
    for j, rng in enumerate(ranges):
        res, k, ok = attempt(0 if DRY else FAR, rng, f"calibration {j}")
        if not ok:
            finish(t, log, "DIMM hot-add")
            return
        t.note(f"DIMM hot-add: {k} fault points" + (f" under {rng[2]}" if rng else ""))
        sched.append(schedule(k, per[j]))

    t0 = time.monotonic()
    for i in range(ATTEMPTS):
        j = i % len(ranges)
        rng = ranges[j]
        n = 0 if DRY else sched[j][i // len(ranges)]
        res, _, ok = attempt(n, rng, f"attempt {i} (fault point {n}"
                             + (f" under {rng[2]})" if rng else ")"))
        log.count("dimm", res)
        if not ok or len(log.problems) > 20:
            break
    if vm.alive():
        check_pending(snapshot(vm))
        log.console(vm, "dimm end")
        if not DRY:
            fi.restore()
    timing["dimm"] = time.monotonic() - t0
    note_counts(t, log, timing)
    finish(t, log, "DIMM hot-add")


# ---- virtio-mem -----------------------------------------------------------------

def vmem_size(vm):
    return vm.qmp("qom-get", path=f"/machine/peripheral/{VMEM}", property="size")


def vmem_request(vm, size):
    vm.qmp("qom-set", path=f"/machine/peripheral/{VMEM}", property="requested-size", value=size)


def test_virtio_mem_grow_shrink(vm, t):
    """virtio-mem 0 -> 256 MiB -> 0, auto-onlined movable, one allocation of
    the virtio-mem work failing in each grow and each shrink."""
    fi = start(vm, t, "virtio-mem under failslab and fail_page_alloc", ours_only=True)
    if not fi:
        return
    log, timing, g = Log("virtio_mem"), {}, {}

    def setup():
        if not DRY:
            fi.setup()
        vm.sh(f"echo online_movable > {MEM}/auto_online_blocks")
        if vmem_size(vm):
            vmem_request(vm, 0)
            wait_for(lambda: vmem_size(vm) == 0, 120)
        g["ex"] = Expect(vm, snapshot(vm), HOT_NODE, VMEM)
        log.console(vm, "start")

    setup()
    ex = g["ex"]
    ranges = [fi.text_range(objs) for objs in RANGES["vmem"]] if fi.filter else [None]
    ranges = [r for r in ranges if r is not None or not fi.filter]
    if fi.filter and not ranges:
        t.ok(False, "the virtio-mem path's object files give a stack-trace range")
        return
    pattern = "kworker/*" if fi.filter else "kworker/[0-9]*"
    vlo = ex.vmem[0] // ex.bsz
    nblocks = (ex.vmem[1] - ex.vmem[0]) // ex.bsz
    look = (f"cd {MEM}; for b in memory[0-9]*; do n=${{b#memory}}; "
            f"[ $n -ge {vlo} ] && [ $n -lt {vlo + nblocks} ] "
            "&& read -r s < $b/state && echo B $n $s; done; true")

    def broken_since(pos):
        """virtio-mem's own word that it gave up on the device (an error it
        does not know: it stops serving requests until rebound)."""
        m = re.search(r"virtio_mem \S+: unknown error, marking device broken: (-?\d+)",
                      vm.console()[pos:])
        return m and m.group(0)

    def rebind():
        """Give a broken device with nothing plugged a fresh driver."""
        if vmem_size(vm):
            return False
        rc, out = vm.run("d=$(basename $(readlink -f /sys/bus/virtio/drivers/virtio_mem/virtio*))"
                         " && echo $d > /sys/bus/virtio/drivers/virtio_mem/unbind"
                         " && echo $d > /sys/bus/virtio/drivers/virtio_mem/bind && echo REBOUND")
        return "REBOUND" in out

    def converge(target, armed, timeout, pos):
        """Wait until the device has plugged target and all its blocks are
        there and online ('reached'); with a fault armed, also stop once it
        was injected and nothing moved for two looks ('settled'); 'broken'
        or 'crash' as soon as the console says so. QEMU's plugged size is
        cheap to ask, a guest command is not: the guest is looked at when
        the size is right or has stopped moving."""
        deadline = time.monotonic() + timeout
        last, since, seen = None, time.monotonic(), None
        want = target // ex.bsz
        while True:
            if crashed_since(vm, pos):
                return "crash"
            if broken_since(pos):
                return "broken"
            size = vmem_size(vm)
            now = time.monotonic()
            if size != last:
                last, since = size, now
            if size == target or now - since >= 2:
                out = vm.sh((WORKERS + "left\n" if armed else "") + look)
                states = tuple(tuple(line.split()[1:]) for line in out.splitlines()
                               if line.startswith("B "))
                if size == target and len(states) == want and \
                        all(st == "online" for _, st in states):
                    return "reached"
                hit = armed and any(v == 0 for v in parse_left(out).values())
                if hit and seen == (size, states) and size == vmem_size(vm):
                    return "settled"
                seen = (size, states)
            if now > deadline:
                return "timeout"
            time.sleep(0.3)

    def crash(path, ctx):
        log.problem(path, ctx, "the guest crashed")
        log.console(vm, f"{path} {ctx}")
        if not log.reboot(vm, f"{path} {ctx}"):
            return False
        setup()
        return True

    def attempt(path, target, n, rng, ctx):
        """Ask for target with the n-th fault point failing; return
        (outcome, fault points the worker passed, whether to go on)."""
        pos = len(vm.console())
        fi.prepare(pattern, n, rng)
        vmem_request(vm, target)
        how = converge(target, bool(n), 300, pos)
        if how == "crash":
            return "crashed", 0, crash(path, ctx)
        left, s = fi.disarm_and_snap() if n else ({}, snapshot(vm))
        hit = [p for p, v in left.items() if v == 0]
        consumed = max([n - v for v in left.values() if v] + [0]) if n else 0
        if len(hit) > 1:
            log.collateral += len(hit) - 1
        plugged = vmem_size(vm)
        bad = g["ex"].problems(s, plugged=plugged, vmem_exact=(how == "reached"))
        if bad:
            log.problem(path, ctx, "; ".join(bad))
        ok = how == "reached"
        result = outcome(n, bool(hit), ok)
        ex_now = g["ex"]
        vblocks = sorted(i for i in s["blocks"]
                         if ex_now.vmem_block(i) and i not in ex_now.base["blocks"]
                         and s["blocks"][i][0] == "offline")
        if not ok and vblocks:
            # Added, but auto-onlining failed: the blocks stay offline (the
            # add does not fail for that) and onlining them by hand works.
            log.count(path, "added, auto-online failed")
            for i in vblocks:
                rc, _, _ = fi.write(i, "online_movable", 0)
                if rc:
                    log.problem(path, ctx, f"block {i}: online retry failed")
        if not ok:
            broken = broken_since(pos)
            if broken:
                # Not a documented state: report it, and go on with the
                # other fault points on a rebound driver if that can be.
                log.problem(path, ctx, f"the fault broke the device for good: '{broken}'")
                log.count(path, "device marked broken")
                if not rebind():
                    log.console(vm, f"{path} {ctx}")
                    return result, consumed, False
                pos = len(vm.console())
            # virtio-mem retries by itself later; asking again (QEMU
            # notifies the guest even for the same size) retries now.
            vmem_request(vm, target)
            how2 = converge(target, False, 300, pos)
            if how2 == "crash":
                return result, consumed, crash(path, ctx + " retry")
            s2 = snapshot(vm)
            plugged = vmem_size(vm)
            if how2 != "reached":
                # Which task waits for what, and what the CPUs run, goes to
                # the console (sysrq w, l).
                vm.run("echo w > /proc/sysrq-trigger; echo l > /proc/sysrq-trigger")
                # Whether the config change reached the guest: its
                # interrupt count before and after one more request.
                irq = "grep -i virtio /proc/interrupts"
                before = vm.sh(irq + "; true")
                vmem_request(vm, target)
                time.sleep(5)
                log.problem(path, ctx, f"retry without the fault: {how2}, plugged "
                            f"{plugged >> 20} MiB of {target >> 20} MiB; virtio "
                            f"interrupts before one more request:\n{before}\nafter:\n"
                            f"{vm.sh(irq + '; true')}")
                log.console(vm, f"{path} {ctx}")
                return result, consumed, False
            bad = g["ex"].problems(s2, plugged=plugged)
            if bad:
                log.problem(path, ctx + " retry", "; ".join(bad))
        if log.console(vm, f"{path} {ctx}"):
            return result, consumed, crash(path, ctx)
        return result, consumed, True

    # Calibrate grow and shrink under each range.
    scheds = []
    for j, rng in enumerate(ranges):
        sc = {}
        for path, target in (("vmem-grow", VMEM_SIZE), ("vmem-shrink", 0)):
            _, k, ok = attempt(path, target, 0 if DRY else FAR, rng, f"calibration {j}")
            if not ok:
                finish(t, log, "virtio-mem")
                return
            t.note(f"{path}: {k} fault points" + (f" under {rng[2]}" if rng else ""))
            per = ATTEMPTS // len(ranges) + (1 if j < ATTEMPTS % len(ranges) else 0)
            sc[path] = schedule(k, per)
        scheds.append(sc)
    if DRY:
        t.note("FAULT_DRY=1: nothing is armed")
    elif fi.filter:
        t.note("stack-trace filter: " + ", ".join(f"{o} [{lo:#x}, {hi:#x})"
                                                  for lo, hi, o in ranges))
    else:
        t.note(f"no stack-trace filter in this kernel: arming {pattern} (collateral possible)")

    ok = True
    for i in range(ATTEMPTS):
        j = i % len(ranges)
        rng = ranges[j]
        for path, target in (("vmem-grow", VMEM_SIZE), ("vmem-shrink", 0)):
            t0 = time.monotonic()
            n = 0 if DRY else scheds[j][path][i // len(ranges)]
            res, _, ok = attempt(path, target, n, rng, f"attempt {i} (fault point {n}"
                                 + (f" under {rng[2]})" if rng else ")"))
            log.count(path, res)
            timing[path] = timing.get(path, 0) + time.monotonic() - t0
            if not ok or res == "crashed":
                break       # a fresh guest starts again with a grow
        if not ok or len(log.problems) > 20:
            break
    if vm.alive():
        if not DRY:
            fi.set_range(None)
            fi.restore()
    note_counts(t, log, timing)
    finish(t, log, "virtio-mem")
