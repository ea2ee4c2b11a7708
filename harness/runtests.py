#!/usr/bin/env python3
"""Run every test layer against one kernel and print TAP as results come.

Layers, in order:
  kunit      KUnit results the kernel printed while booting the first guest
  kselftest  each program of tools/testing/selftests/memory-hotplug, run in
             that guest; its KTAP subtests are results of their own
  base       the base tree's own mem-on-off-test.sh, unchanged, same guest
  scenario   tests/scenarios/*.py: each file boots its own guest (its VM
             dict), then runs its test_* functions, which drive QEMU over QMP
             and assert on what the guest shows

After each test the guest's console is searched for kernel splats (vm.SPLAT);
one is a failure. With --debug-only, the tests it names run a second time on
the debug build of the same kernel (lockdep, KASAN, kmemleak, hung-task,
fault injection), their names prefixed "debug: ", and a kmemleak report
counts as a failure. The last line is 'N passed, N failed, N skipped' over
both passes; the exit status is 1 if anything failed.
"""

import argparse
import glob
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import ktap  # noqa: E402
import vm as vmlib  # noqa: E402

TOP = vmlib.TOP
BUILD = vmlib.BUILD


class Results:
    """Numbered TAP output, a full log, and the final tally."""

    def __init__(self, log_path):
        self.n = self.passed = self.failed = self.skipped = 0
        self.failures = []
        self.prefix = ""
        self.log = open(log_path, "w")
        self.emit("TAP version 13")

    def emit(self, line):
        print(line, flush=True)
        self.log.write(line + "\n")
        self.log.flush()

    def note(self, text):
        for line in str(text).rstrip("\n").splitlines():
            self.emit("# " + line)

    def result(self, ok, name, skip=None, diag=None):
        self.n += 1
        name = self.prefix + name
        if skip is not None:
            self.skipped += 1
            self.emit(f"ok {self.n} - {name} # SKIP {skip}")
            return True
        if ok:
            self.passed += 1
            self.emit(f"ok {self.n} - {name}")
        else:
            self.failed += 1
            self.failures.append(name)
            self.emit(f"not ok {self.n} - {name}")
            if diag:
                self.note(diag)
        return bool(ok)

    def finish(self):
        self.emit(f"1..{self.n}")
        for name in self.failures:
            self.emit(f"# failed: {name}")
        line = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            line += f", {self.skipped} skipped"
        self.emit(line)
        return 1 if self.failed or not self.n else 0


class Stop(Exception):
    """Raised by Checker.require(): the rest of the test cannot run."""


class Checker:
    """What a scenario function asserts with: t.ok(), t.eq(), t.skip(), and
    t.require() for a check the rest of the test depends on."""

    def __init__(self, results, prefix):
        self.results = results
        self.prefix = prefix

    def ok(self, cond, desc, diag=None):
        return self.results.result(cond, f"{self.prefix}: {desc}", diag=diag)

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, diag=f"got:  {got!r}\nwant: {want!r}")

    def require(self, cond, desc, diag=None):
        """t.ok(), and on failure end the test function there (the next
        test of the file still runs)."""
        if not self.ok(cond, desc, diag=diag):
            raise Stop(desc)
        return True

    def skip(self, desc, reason):
        self.results.result(True, f"{self.prefix}: {desc}", skip=reason)

    def note(self, text):
        self.results.note(text)


# A lockdep report of the reference kernel's own (KERNEL=upstream, debug
# flavour; scenario/race_hotplug, 2026-12-02): 6.12 deletes the memory block
# devices of a removed range under mem_hotplug_lock, which makes kernfs wait
# for the writers of their state files, and such a writer takes
# mem_hotplug_lock to offline. The two never meet (both need
# device_hotplug_lock, which the writer only tries), but lockdep cannot see
# that. Ours deletes the devices outside mem_hotplug_lock. Noted, not failed.
REFERENCE_LOCKDEP = ("possible circular locking dependency", "(mem_hotplug_lock)",
                     "kn->active", "remove_memory_block_devices")


def reference_lockdep(vm, text, bad):
    """bad less the two splat lines (the report's title and its Call Trace)
    of REFERENCE_LOCKDEP when vm runs the reference kernel and text holds
    that report; lockdep reports once per boot."""
    start = text.find(REFERENCE_LOCKDEP[0])
    if not vm.kernel.startswith("upstream") or start < 0:
        return bad
    report = text[start:text.find("Call Trace:", start)]
    if not all(k in report for k in REFERENCE_LOCKDEP):
        return bad
    title = next(i for i, line in enumerate(bad) if REFERENCE_LOCKDEP[0] in line)
    trace = next((i for i, line in enumerate(bad) if i > title and "Call Trace:" in line), None)
    return [line for i, line in enumerate(bad) if i not in (title, trace)]


def health(results, vm, name):
    """A failure for every kernel splat the console gained since last time
    (but see reference_lockdep())."""
    text = vm.new_console()
    bad = vm.splats(text)
    kept = reference_lockdep(vm, text, bad)
    if kept != bad:
        results.note(f"{name}: the reference kernel's lockdep report of mem_hotplug_lock "
                     "against kn->active (base code, cannot deadlock; see runtests.py)")
    bad = kept
    if bad:
        results.result(False, f"{name}: kernel log clean",
                       diag="\n".join(bad[:20]) + f"\n(console: {vm.rundir}/console.log)")
    return not bad


ALLOCATOR = re.compile(r"(__)?(kmem_cache_alloc|kmalloc|kzalloc|acpi_os_allocate)")


def base_acpica_leak(report, console):
    """True for a leak of ACPICA's own parser: a parse op allocated by
    acpi_ps_alloc_op() and left behind when a control method failed for
    lack of memory (only fault injection makes one fail). Base code, not
    ours: such a report is noted, not failed, once the console shows the
    AE_NO_MEMORY that caused it."""
    frames = [f.split("+")[0] for f in report.split("backtrace", 1)[-1].split()
              if "+0x" in f]
    frames = [f for f in frames if not ALLOCATOR.match(f)]
    return bool(frames) and frames[0] == "acpi_ps_alloc_op" and "AE_NO_MEMORY" in console


def leak_check(results, vm, name):
    """On a kmemleak kernel (FLAVOUR=debug): scan now and fail on any report
    (but see base_acpica_leak())."""
    rc, out = vm.run("k=/sys/kernel/debug/kmemleak; [ -e $k ] || exit 4; "
                     "echo scan > $k; echo scan > $k; cat $k", timeout=600)
    if rc != 4:
        reports = ["unreferenced object" + r for r in out.split("unreferenced object")[1:]]
        console = vm.console()
        base = [r for r in reports if base_acpica_leak(r, console)]
        leaks = [r for r in reports if r not in base]
        if base:
            results.note(f"{name}: {len(base)} kmemleak report(s) of ACPICA parse ops left "
                         "by a control method that failed with AE_NO_MEMORY (base code)")
        results.result(rc == 0 and not leaks, f"{name}: kmemleak finds no leak",
                       diag="\n".join(("".join(leaks) or out).splitlines()[:40]))


def base_tree():
    """The unpacked base kernel tree (make tree)."""
    with open(os.path.join(BUILD, "base/current")) as f:
        return f.read().strip()


# ---- kunit ---------------------------------------------------------------

# The suite of our own KUnit tests (mm/memory_hotplug_test.c).
OUR_SUITE = "memory_hotplug"


def kunit_layer(results, console, args):
    """Report each KUnit case the kernel printed at boot, as the base tree's
    kunit_parser reads it. A KERNEL=ours kernel without our suite fails."""
    cases = ktap.kunit_cases(ktap.load_parser(base_tree()), console)
    for suite, case, status, detail in cases:
        name = f"kunit/{suite}: {case}"
        if selected(args, name):
            results.result(status == "ok", name, skip=detail if status == "skip" else None,
                           diag=detail)
    if args.kernel == "ours" and selected(args, f"kunit/{OUR_SUITE}"):
        results.result(any(suite == OUR_SUITE for suite, _, _, _ in cases),
                       f"kunit/{OUR_SUITE}: the suite ran",
                       diag="no KUnit results of it on the console: is "
                            "CONFIG_MEMORY_HOTPLUG_KUNIT_TEST in the config?")
    elif not cases:
        results.note("kunit: this kernel has no KUnit suites")


# ---- kselftest and the base's own selftest -------------------------------

KTAP_RESULT = re.compile(r"^(not )?ok \d+ (.*?)(?:\s+#\s*(SKIP|skip|XFAIL|TODO)\b\s*(.*))?$")


class ProgramOutput:
    """Turns a guest program's streamed output into results as lines come:
    each KTAP 'ok'/'not ok' line at the top level is one result."""

    def __init__(self, results, name):
        self.results = results
        self.name = name
        self.partial = ""
        self.recent = []
        self.seen = self.failed = 0

    def feed(self, chunk):
        lines = (self.partial + chunk).split("\n")
        self.partial = lines.pop()
        for line in lines:
            self.line(line)

    def line(self, line):
        self.results.log.write(f"{self.name}| {line}\n")
        m = KTAP_RESULT.match(line)
        if not m:
            self.recent = (self.recent + [line])[-12:]
            return
        self.seen += 1
        skip = (m.group(4) or "skipped") if m.group(3) in ("SKIP", "skip") else None
        if not self.results.result(not m.group(1), f"{self.name}: {m.group(2)}", skip=skip,
                                   diag="\n".join(self.recent)):
            self.failed += 1
        self.recent = []


def run_program(results, vm, name, script, timeout):
    """Run one guest program; its KTAP results count, else its exit status."""
    out = ProgramOutput(results, name)
    start = time.monotonic()
    try:
        rc, rest = vm.run(script, timeout=timeout, sink=out.feed)
    except vmlib.VMError as e:
        results.result(False, f"{name}: finished", diag=str(e))
        return False
    out.feed(rest + "\n")
    results.note(f"{name}: {time.monotonic() - start:.1f} s")
    if rc == 4 and not out.seen:
        results.result(True, name, skip=(out.recent or ["exit 4"])[-1])
    elif not out.seen or (rc not in (0, 4) and not out.failed):
        results.result(rc == 0, f"{name}: exit status 0",
                       diag=f"exit status {rc}; last output:\n" + "\n".join(out.recent))
    return health(results, vm, name)


def kselftest_programs():
    """(collection, program) pairs of the installed memory-hotplug kselftests."""
    lst = os.path.join(BUILD, "kselftest/install/kselftest-list.txt")
    if not os.path.exists(lst):
        raise SystemExit(f"error: {lst} is missing: run make selftests")
    with open(lst) as f:
        return [tuple(line.strip().split(":", 1)) for line in f if ":" in line]


def early_splat_note(results, vm):
    """Say so when vm.start() threw away a boot that splatted in base code."""
    if vm.early_splats:
        results.note(f"{os.path.basename(vm.rundir)}: first boot splatted before SMP bring-up, before any "
                     f"memory hotplug code: booted again ({vm.early_splats[0].strip()}; "
                     f"console: {vm.rundir}/console.early-splat.log)")


def guest_layers(results, args):
    """One guest for KUnit, the kselftests and the base's selftest: 2 GiB of
    boot memory and two 1 GiB DIMMs present at boot, whose blocks the
    kernel leaves offline (auto_online_blocks=offline) for the tests to use."""
    vm = vmlib.VM(kernel=args.variant, name=f"{args.variant}-kselftest",
                  dimms=["1G", "1G"])
    try:
        vm.start()
    except vmlib.VMError as e:
        results.result(False, "guest: boots to the test agent", diag=str(e))
        return
    results.note(f"guest booted in {vm.boot_seconds:.1f} s")
    early_splat_note(results, vm)
    try:
        if "kunit" in args.layers:
            kunit_layer(results, vm.console(), args)
        health(results, vm, "boot")
        install = os.path.join(BUILD, "kselftest/install")
        for coll, prog in kselftest_programs() if "kselftest" in args.layers else ():
            name = f"kselftest/{coll}/{prog}"
            if not selected(args, name):
                continue
            run_program(results, vm, name,
                        f"cd {install}/{coll} && {getattr(args, 'guest_env', '')}exec ./{prog}",
                        args.timeout)
            if not vm.alive():
                return
        name = "base/mem-on-off-test.sh"
        if "base" in args.layers and selected(args, name):
            run_program(results, vm, name,
                        f"exec bash {base_tree()}/tools/testing/selftests/memory-hotplug/"
                        "mem-on-off-test.sh", args.timeout)
        results.result(not vm.splats(vm.console()), "guest: kernel log clean all along")
        leak_check(results, vm, "guest")
    finally:
        vm.poweroff()


# ---- host-driven scenarios -----------------------------------------------

def scenario_layer(results, args):
    for path in sorted(glob.glob(os.path.join(TOP, "tests/scenarios/*.py"))):
        base = os.path.basename(path)[:-3]
        spec = importlib.util.spec_from_file_location(f"scenario_{base}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        tests = [(n, f) for n, f in vars(mod).items()
                 if n.startswith("test_") and callable(f)
                 and selected(args, f"scenario/{base}/{n[5:]}")]
        if not tests:
            continue
        tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        need = getattr(mod, "REQUIRES", None)
        if need and need != args.kernel:
            for n, _ in tests:
                results.result(True, f"scenario/{base}/{n[5:]}",
                               skip=f"needs KERNEL={need}: {getattr(mod, 'WHY', 'beyond the base')}")
            continue
        run_scenario_file(results, args, base, mod, tests)


def run_scenario_file(results, args, base, mod, tests):
    opts = dict(getattr(mod, "VM", {}))
    vm = None
    try:
        for n, fn in tests:
            prefix = f"scenario/{base}/{n[5:]}"
            if vm is None or not vm.alive():
                vm = vmlib.VM(kernel=args.variant, name=f"{args.variant}-{base}", **opts)
                try:
                    vm.start()
                except vmlib.VMError as e:
                    results.result(False, f"{prefix}: guest boots", diag=str(e))
                    vm = None
                    continue
                early_splat_note(results, vm)
            t = Checker(results, prefix)
            start = time.monotonic()
            try:
                fn(vm, t)
            except Stop as e:       # counted already by t.require()
                results.note(f"{prefix}: stopped: '{e}' failed")
            except Exception as e:  # a broken test or a dead guest: one failure
                results.result(False, f"{prefix}: runs to the end",
                               diag="".join(traceback.format_exception_only(type(e), e))
                               + traceback.format_exc(limit=-3))
            results.note(f"{prefix}: {time.monotonic() - start:.1f} s")
            if vm.alive():
                health(results, vm, prefix)
        if vm and vm.alive():
            leak_check(results, vm, f"scenario/{base}")
    finally:
        if vm:
            vm.poweroff()


def selected(args, name):
    def match(words):
        return not words or any(p in name for p in words.split(","))
    return match(args.only) and match(getattr(args, "debug_subset", ""))


def start_debug_build(args):
    """Have the debug kernel build in the background at nice 19 while the
    normal pass runs: its guests get the CPU they ask for and the build takes
    the rest. make check started it before lint already (kernel.sh
    --background then leaves that build be). Returns its log's path stem."""
    variant = f"{args.kernel}-debug"
    subprocess.run([os.path.join(TOP, "harness", "kernel.sh"), variant, "--background"],
                   check=True)
    return os.path.join(BUILD, "logs", f"background-{variant}")


def build_pid(stem):
    """The pid (and process group) of the background build of STEM.pid
    while it runs, else None."""
    try:
        with open(stem + ".pid") as f:
            pid = int(f.read())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return pid if b"kernel.sh" in f.read() else None
    except (OSError, ValueError):
        return None


def wait_debug_build(results, stem):
    """Wait for the background debug build; False (a failure) if it failed."""
    t0 = time.monotonic()
    while not os.path.exists(stem + ".rc") and build_pid(stem):
        time.sleep(2)
    try:
        with open(stem + ".rc") as f:
            rc = int(f.read())
    except (OSError, ValueError):
        rc = -1     # it ended without a status: killed
    results.note(f"debug kernel build: waited {time.monotonic() - t0:.0f} s for it")
    if rc:
        with open(stem + ".log") as f:
            tail = f.read()[-3000:]
        results.result(False, "the debug kernel builds", diag=tail)
    return rc == 0


def debug_pass(results, args):
    """The --debug-only tests again, on the debug build of the same kernel."""
    dargs = argparse.Namespace(**vars(args))
    dargs.flavour = "debug"
    dargs.variant = f"{args.kernel}-debug"
    dargs.debug_subset = args.debug_only
    # KASAN and lockdep under TCG: programs run many times slower.
    dargs.timeout = max(args.timeout, 1500)
    # The race scenario's own duration there (its setup and wind-down on
    # KASAN take minutes on their own): DEBUG_RACE_SECONDS, 30 by default.
    os.environ["RACE_SECONDS"] = os.environ.get("DEBUG_RACE_SECONDS", "30")
    # fuzz_writes' 72,000 writes take 107 s there (3 s on the normal
    # kernel): one value in DEBUG_FUZZ_STRIDE (4) of its big classes.
    dargs.guest_env = f"MHP_FUZZ_STRIDE={int(os.environ.get('DEBUG_FUZZ_STRIDE', '4'))} "
    results.prefix = "debug: "
    results.note(f"debug pass: {dargs.variant}, tests matching {args.debug_only}")
    if set(args.layers) & {"kunit", "kselftest", "base"}:
        guest_layers(results, dargs)
    if "scenario" in args.layers:
        scenario_layer(results, dargs)
    results.prefix = ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default="ours", choices=("ours", "upstream"))
    ap.add_argument("--flavour", default="", help="build flavour, e.g. debug")
    ap.add_argument("--only", default=os.environ.get("ONLY", ""),
                    help="comma-separated substrings of the test names to run")
    ap.add_argument("--layers", default="kunit,kselftest,base,scenario")
    ap.add_argument("--timeout", type=int, default=600,
                    help="seconds one kselftest program may take")
    ap.add_argument("--debug-only", default="",
                    help="comma-separated substrings: run these tests again on the debug build")
    ap.add_argument("--debug-build", action="store_true",
                    help="build the debug kernel in the background during the normal pass")
    args = ap.parse_args()
    args.variant = args.kernel + (f"-{args.flavour}" if args.flavour else "")
    os.makedirs(os.path.join(BUILD, "logs"), exist_ok=True)
    results = Results(os.path.join(BUILD, "logs", f"check-{args.variant}.tap"))
    results.note(f"kernel under test: {args.variant}")
    args.layers = args.layers.split(",")
    builder = None
    debug = bool(args.debug_only and not args.flavour)
    if debug and args.debug_build:
        builder = start_debug_build(args)
    try:
        if set(args.layers) & {"kunit", "kselftest", "base"}:
            guest_layers(results, args)
        if "scenario" in args.layers:
            scenario_layer(results, args)
        if builder:
            # builder exists only when there is a debug pass to run
            debug = wait_debug_build(results, builder)
            builder = None
        if debug:
            debug_pass(results, args)
    except BaseException:
        pid = build_pid(builder) if builder else None
        if pid:
            os.killpg(pid, signal.SIGTERM)
        raise
    sys.exit(results.finish())


if __name__ == "__main__":
    main()
