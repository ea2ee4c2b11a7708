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

After each test the guest's console is checked (console.py). With --debug,
the debug pass follows: the tests that declare it (every KUnit case and
kselftest, and the scenario cases each file names in its DEBUG) run a
second time on the debug build of the same kernel (lockdep, KASAN,
kmemleak, hung-task, fault injection), their names prefixed "debug: ";
--debug-only picks them by name instead. The last line is
'N passed, N failed, N skipped' over both passes; the exit status is 1 if
anything failed. --list prints which tests each pass would run, and boots
nothing.

The TAP stream and the test object are tap.py's; the console checks and
the known defects of the base kernel are console.py's.
"""

import argparse
import glob
import importlib.util
import os
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# The helpers scenarios share (from guest import ...), in tests/lib.
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lib"))
import ktap  # noqa: E402
import vm as vmlib  # noqa: E402
from console import early_splat_note, health, leak_check  # noqa: E402
from tap import Checker, ProgramOutput, Results, Stop  # noqa: E402

TOP = vmlib.TOP
BUILD = vmlib.BUILD


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
        if selected(args, name, debug=True):
            results.result(status == "ok", name, skip=detail if status == "skip" else None,
                           diag=detail)
    if args.kernel == "ours" and selected(args, f"kunit/{OUR_SUITE}", debug=True):
        results.result(any(suite == OUR_SUITE for suite, _, _, _ in cases),
                       f"kunit/{OUR_SUITE}: the suite ran",
                       diag="no KUnit results of it on the console: is "
                            "CONFIG_MEMORY_HOTPLUG_KUNIT_TEST in the config?")
    elif not cases:
        results.note("kunit: this kernel has no KUnit suites")


# ---- kselftest and the base's own selftest -------------------------------

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
            if not selected(args, name, debug=True):
                continue
            run_program(results, vm, name,
                        f"cd {install}/{coll} && {getattr(args, 'guest_env', '')}exec ./{prog}",
                        args.timeout)
            if not vm.alive():
                return
        name = "base/mem-on-off-test.sh"
        if "base" in args.layers and selected(args, name, debug=False):
            run_program(results, vm, name,
                        f"exec bash {base_tree()}/tools/testing/selftests/memory-hotplug/"
                        "mem-on-off-test.sh", args.timeout)
        results.result(not vm.splats(vm.console()), "guest: kernel log clean all along")
        leak_check(results, vm, "guest")
    finally:
        vm.poweroff()
        results.note(elapsed("kunit, kselftest and base end"))


# ---- host-driven scenarios -----------------------------------------------

def scenario_files():
    """(file name, module, [(case, function)] in file order) of every
    tests/scenarios/*.py: a case is a test_* function without its prefix."""
    files = []
    for path in sorted(glob.glob(os.path.join(TOP, "tests/scenarios/*.py"))):
        base = os.path.basename(path)[:-3]
        spec = importlib.util.spec_from_file_location(f"scenario_{base}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        tests = [(n[5:], f) for n, f in vars(mod).items()
                 if n.startswith("test_") and callable(f)]
        tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        files.append((base, mod, tests))
    return files


def debug_declared(mod, case):
    """Whether a scenario file puts case in the debug pass: DEBUG = True
    (every case of the file), a list of case names, or none (no DEBUG)."""
    debug = getattr(mod, "DEBUG", False)
    return debug is True or (isinstance(debug, (list, tuple)) and case in debug)


def scenario_layer(results, args):
    for base, mod, cases in scenario_files():
        tests = [(f"test_{c}", f) for c, f in cases
                 if selected(args, f"scenario/{base}/{c}", debug_declared(mod, c))]
        if not tests:
            continue
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
    start_file = time.monotonic()
    boots = 0.0
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
                boots += vm.boot_seconds or 0.0
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
    # What the file costs make check: its tests, its boots, the leak scan
    # and the power-off (the per-test lines hold only the first).
    results.note(f"scenario/{base}: {time.monotonic() - start_file:.0f} s in all "
                 f"(boot {boots:.0f} s)")


# Layers whose every test runs in the debug pass too; scenario files say
# it themselves (DEBUG), the base's selftest never does.
DEBUG_LAYERS = ("kunit", "kselftest")


def selected(args, name, debug):
    """Whether test name runs in this pass: it matches --only, and in the
    debug pass it matches --debug-only or, without that, its layer or
    scenario file declares it (debug)."""
    def match(words):
        return any(p in name for p in words.split(","))
    if args.only and not match(args.only):
        return False
    if not getattr(args, "debug_pass", False):
        return True
    return match(args.debug_only) if args.debug_only else debug


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
    """The declared (or --debug-only) tests again, on the debug build of
    the same kernel."""
    dargs = argparse.Namespace(**vars(args))
    dargs.flavour = "debug"
    dargs.variant = f"{args.kernel}-debug"
    dargs.debug_pass = True
    # KASAN and lockdep under TCG: programs run many times slower.
    dargs.timeout = max(args.timeout, 1500)
    # The race scenario's own duration there (its setup and wind-down on
    # KASAN take minutes on their own): DEBUG_RACE_SECONDS, 20 by default.
    os.environ["RACE_SECONDS"] = os.environ.get("DEBUG_RACE_SECONDS", "20")
    # fuzz_writes' 72,000 writes take minutes there (seconds on the normal
    # kernel): one value in DEBUG_FUZZ_STRIDE (8) of its big classes.
    dargs.guest_env = f"MHP_FUZZ_STRIDE={int(os.environ.get('DEBUG_FUZZ_STRIDE', '8'))} "
    results.prefix = "debug: "
    results.note(elapsed("debug pass starts"))
    results.note(f"debug pass: {dargs.variant}, "
                 + (f"tests matching {args.debug_only}" if args.debug_only else
                    "the tests declared for it (" + ", ".join(DEBUG_LAYERS)
                    + ", the scenarios' DEBUG)"))
    if set(args.layers) & {"kunit", "kselftest", "base"}:
        guest_layers(results, dargs)
    if "scenario" in args.layers:
        scenario_layer(results, dargs)
    results.prefix = ""


def list_tests(args):
    """Print the scenario tests of each pass, and which layers run whole;
    boot nothing. A DEBUG list naming no case of its file is warned about
    (a case still to come from another branch, or a typo)."""
    dargs = argparse.Namespace(**vars(args), debug_pass=True)
    for layer in ("kunit", "kselftest", "base"):
        words = args.only.split(",") if args.only else [layer]
        if layer in args.layers and any(w in f"{layer}/" or w.startswith(f"{layer}/")
                                        for w in words):
            both = args.debug and selected(dargs, f"{layer}/", layer in DEBUG_LAYERS)
            print(f"{layer}/*\t{'normal, debug' if both else 'normal'}")
    for base, mod, cases in scenario_files() if "scenario" in args.layers else ():
        for c, _ in cases:
            name = f"scenario/{base}/{c}"
            passes = [p for p, a, d in (("normal", args, False),
                                        ("debug", dargs, debug_declared(mod, c)))
                      if (p == "normal" or args.debug) and selected(a, name, d)]
            if passes:
                print(f"{name}\t{', '.join(passes)}")
        debug = getattr(mod, "DEBUG", False)
        if isinstance(debug, (list, tuple)):
            for c in sorted(set(debug) - {c for c, _ in cases}):
                print(f"warning: tests/scenarios/{base}.py: DEBUG names {c!r}, "
                      "which is no test_ function of the file", file=sys.stderr)
    return 0


def check_seconds():
    """How long make check has run (CHECK_START, set by the Makefile), or None."""
    try:
        return int(time.time()) - int(os.environ["CHECK_START"])
    except (KeyError, ValueError):
        return None


def elapsed(what):
    """A note: WHAT, at how far into make check (when run by it)."""
    secs = check_seconds()
    return what if secs is None else f"{what} at {secs // 60} min {secs % 60} s of make check"


def duration():
    """The closing line's 'make check took ...', or None outside make check."""
    secs = check_seconds()
    return None if secs is None else f"make check took {secs // 60} min {secs % 60} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default="ours", choices=("ours", "upstream"))
    ap.add_argument("--flavour", default="", help="build flavour, e.g. debug")
    ap.add_argument("--only", default=os.environ.get("ONLY", ""),
                    help="comma-separated substrings of the test names to run")
    ap.add_argument("--layers", default="kunit,kselftest,base,scenario")
    ap.add_argument("--timeout", type=int, default=600,
                    help="seconds one kselftest program may take")
    ap.add_argument("--debug", action="store_true",
                    help="then run the tests declared for it again on the debug build")
    ap.add_argument("--debug-only", default="",
                    help="with --debug: comma-separated substrings of the test names "
                         "to run there instead of the declared ones")
    ap.add_argument("--debug-build", action="store_true",
                    help="build the debug kernel in the background during the normal pass")
    ap.add_argument("--list", action="store_true",
                    help="print the tests each pass would run; boot nothing")
    args = ap.parse_args()
    args.variant = args.kernel + (f"-{args.flavour}" if args.flavour else "")
    args.layers = args.layers.split(",")
    args.debug = args.debug or bool(args.debug_only)
    if args.list:
        sys.exit(list_tests(args))
    os.makedirs(os.path.join(BUILD, "logs"), exist_ok=True)
    results = Results(os.path.join(BUILD, "logs", f"check-{args.variant}.tap"))
    results.note(f"kernel under test: {args.variant}")
    results.note(elapsed("tests start"))
    builder = None
    debug = args.debug and not args.flavour
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
    sys.exit(results.finish(duration()))


if __name__ == "__main__":
    main()
