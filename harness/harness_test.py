#!/usr/bin/env python3
"""Tests of the harness itself, on saved logs (harness/testdata/): how it
reads KUnit and kselftest results, finds splats and kmemleak reports of
base code, which tests each pass selects, vm.py's pure parts (sizes, QMP
framing, console scanning), and the benchmark's table and chart.
tests/lib/lib_test.py tests the helpers scenarios share. `make
harness-test` runs both, and so does `make check`; they need the base
tree (`make tree`) for the KUnit parser, nothing else: no kernel, no guest.
"""

import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import console  # noqa: E402
import ktap  # noqa: E402
import runtests  # noqa: E402
import tap  # noqa: E402
import vm as vmlib  # noqa: E402


def data(name):
    with open(os.path.join(HERE, "testdata", name)) as f:
        return f.read()


class FakeResults(tap.Results):
    """Results keeping its TAP lines in a list, not on stdout."""

    def __init__(self):
        self.lines = []
        super().__init__(os.devnull)

    def emit(self, line):
        self.lines.append(line)


def results(case):
    res = FakeResults()
    case.addCleanup(res.log.close)
    return res


class KUnit(unittest.TestCase):
    def setUp(self):
        self.parser = ktap.load_parser(runtests.base_tree())

    def test_cases_of_a_boot_console(self):
        cases = ktap.kunit_cases(self.parser, data("kunit_console.log"))
        self.assertEqual([(s, c, st) for s, c, st, _ in cases], [
            ("memory_hotplug", "mhp_test_online_type", "ok"),
            ("memory_hotplug", "mhp_test_memmap_mode", "not ok"),
            ("memory_hotplug", "mhp_test_online_policy", "ok"),
            ("memory_hotplug", "mhp_test_try_online_node", "skip")])

    def test_failure_keeps_its_diagnostic(self):
        cases = ktap.kunit_cases(self.parser, data("kunit_console.log"))
        self.assertIn("EXPECTATION FAILED", cases[1][3])

    def test_skip_keeps_its_reason(self):
        cases = ktap.kunit_cases(self.parser, data("kunit_console.log"))
        self.assertEqual(cases[3][3], "no possible node is offline here")

    def test_no_ktap_no_cases(self):
        console = "[    0.000000] Linux version 6.12.117\nharness: guest up\n"
        self.assertEqual(ktap.kunit_cases(self.parser, console), [])

    def test_missing_suite_fails_on_ours(self):
        res = results(self)
        args = type("Args", (), dict(kernel="ours", only=""))()
        runtests.kunit_layer(res, "[    0.000000] no tests here\n", args)
        self.assertEqual(res.failed, 1)
        self.assertIn("not ok 1 - kunit/memory_hotplug: the suite ran", res.lines)

    def test_missing_suite_is_a_note_on_upstream(self):
        res = results(self)
        args = type("Args", (), dict(kernel="upstream", only=""))()
        runtests.kunit_layer(res, "[    0.000000] no tests here\n", args)
        self.assertEqual((res.n, res.failed), (0, 0))


class Kselftest(unittest.TestCase):
    def test_program_output(self):
        res = results(self)
        out = tap.ProgramOutput(res, "kselftest/memory-hotplug/x.sh")
        text = data("kselftest_output.txt")
        out.feed(text[:50])             # results arrive in pieces
        out.feed(text[50:])
        self.assertEqual((res.passed, res.failed, res.skipped), (1, 1, 2))
        self.assertIn("ok 3 - kselftest/memory-hotplug/x.sh: probe adds a block "
                      "# SKIP no RAM without a block here", res.lines)
        # The lines before a failure are its diagnostic.
        self.assertIn("# # memory32/state: online, want offline", res.lines)


class Splats(unittest.TestCase):
    def test_splat_lines(self):
        found = vmlib.VM.splats(None, data("splat_console.log"))
        self.assertEqual([line.split("] ", 1)[1] for line in found], [
            "Call Trace:",
            "WARNING: possible circular locking dependency detected",
            "INFO: task kworker/u8:1:51 blocked for more than 120 seconds.",
            "BUG: KASAN: slab-use-after-free in online_pages+0x1a/0x370",
            "kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)"])

    def test_report_excerpt_carries_rip_and_trace(self):
        text = data("reference_uevent_oops_console.log")
        first = vmlib.VM.splats(None, text)[0]
        got = console.report_excerpt(text, first)
        self.assertEqual(got[0], "# report:")
        self.assertTrue(any("RIP: 0010:" in line for line in got))
        self.assertTrue(any("Comm: python3" in line for line in got))
        self.assertIn("---[ end trace", got[-1])
        # A report that never ends is cut; a line not in the text gives none.
        self.assertEqual(len(console.report_excerpt(text, first, most=3)), 4)
        self.assertEqual(console.report_excerpt(text, "[ 1.0] BUG: gone"), [])

    def test_early_boot_splats_stop_at_smp_bring_up(self):
        found = vmlib.early_boot_splats(data("early_splat_console.log"))
        self.assertEqual([line.split("] ", 1)[1] for line in found], [
            "BUG: KASAN: wild-memory-access in do_raw_spin_lock+0x10d/0x240",
            "Call Trace:"])
        # After bring-up, a splat is never thrown away with its boot...
        self.assertEqual(vmlib.early_boot_splats(
            "[ 2.3] smp: Brought up 1 node, 2 CPUs\n[ 3.0] WARNING: CPU: 0\n"), [])
        # ... nor when the console never reached it (a boot that hung).
        self.assertEqual(vmlib.early_boot_splats("[ 0.1] BUG: KASAN: x\n"), [])

    def test_reference_lockdep_report_is_noted_on_upstream_only(self):
        text = data("reference_lockdep_console.log")
        extra = "[ 101.0] BUG: KASAN: slab-out-of-bounds in x\n"
        for kernel, left in (("upstream-debug", 1), ("ours-debug", 3)):
            guest = vmlib.VM.__new__(vmlib.VM)
            guest.kernel = kernel
            bad = vmlib.VM.splats(None, text + extra)
            self.assertEqual(len(bad), 3)
            self.assertEqual(len(console.reference_lockdep(guest, text + extra, bad)), left)
        # Another lock cycle is not that report.
        other = text.replace("(mem_hotplug_lock)", "(cpu_hotplug_lock)")
        guest.kernel = "upstream-debug"
        bad = vmlib.VM.splats(None, other)
        self.assertEqual(console.reference_lockdep(guest, other, bad), bad)

    def test_reference_starved_lets_through_oom_stack_dumps_only(self):
        text = ("[ 50.1] hold invoked oom-killer: gfp_mask=0x140dca, order=0, oom_score_adj=0\n"
                "[ 50.1] CPU: 1 UID: 0 PID: 230 Comm: hold Not tainted 6.12.0 #1\n"
                "[ 50.1] Call Trace:\n"
                "[ 50.2] Out of memory: Killed process 230 (hold)\n"
                "[ 50.3] kworker/u8:2: page allocation failure: order:0, mode:0xcc0\n"
                "[ 50.3] CPU: 0 UID: 0 PID: 40 Comm: kworker/u8:2 Not tainted 6.12.0 #1\n"
                "[ 50.3] Call Trace:\n"
                "[ 51.0] WARNING: CPU: 0 PID: 40 at mm/x.c:1 f+0x1/0x2\n"
                "[ 51.0] Call Trace:\n" + "[ 51.1] filler\n" * 10 + "[ 52.0] Call Trace:\n"
                + "[ 53.0] filler\n" * 10
                + "[ 53.1] WARNING: CPU: 1 PID: 25 at arch/x86/mm/init_64.c:986 0xffff\n"
                "[ 53.1] Modules linked in:\n"
                "[ 53.1] Call Trace:\n")
        bad = vmlib.VM.splats(None, text)
        self.assertEqual(len(bad), 7)
        guest = vmlib.VM.__new__(vmlib.VM)
        name = "scenario/starved_hot_add/dimm_4G_16"
        for kernel, where, left in (("upstream", name, 3), ("upstream-debug", name, 3),
                                    ("ours", name, 7), ("upstream", "scenario/x/y", 7)):
            guest.kernel = kernel
            kept = console.reference_starved(guest, where, text, bad)
            self.assertEqual(len(kept), left, (kernel, where))
        guest.kernel = "upstream"
        kept = console.reference_starved(guest, name, text, bad)
        self.assertEqual([x[:15] for x in kept],
                         ["[ 51.0] WARNING", "[ 51.0] Call Tr", "[ 52.0] Call Tr"])

    def test_reference_uevent_oops_is_a_note_there_only(self):
        text = data("reference_uevent_oops_console.log")
        bad = vmlib.VM.splats(None, text)
        self.assertEqual(len(bad), 3)           # BUG, Oops, Call Trace
        guest = vmlib.VM.__new__(vmlib.VM)
        name = "scenario/clients_uevent_readers/files_complete_at_add_uevent"
        for kernel, where, left in (("upstream", name, 0), ("ours", name, len(bad)),
                                    ("upstream", "scenario/x/y", len(bad))):
            guest.kernel = kernel
            kept = console.reference_uevent_oops(guest, where, text, bad)
            self.assertEqual(len(kept), left, (kernel, where))
        guest.kernel = "upstream"
        other = text.replace("Comm: python3", "Comm: udevadm")
        self.assertEqual(console.reference_uevent_oops(guest, name, other, bad), bad)

    def test_reference_starved_on_an_interleaved_console(self):
        """Two CPUs' reports interleave: add_pages()'s WARNING, an OOM
        report's first line, then the WARNING's dump; each trace is matched
        by its task (a make check KERNEL=upstream of 210dd98)."""
        text = data("reference_starved_console.log")
        bad = vmlib.VM.splats(None, text)
        self.assertEqual(len(bad), 4)
        guest = vmlib.VM.__new__(vmlib.VM)
        guest.kernel = "upstream"
        name = "scenario/starved_hot_add/dimm_4G_16"
        self.assertEqual(console.reference_starved(guest, name, text, bad), [])
        other = text.replace("Comm: base64", "Comm: sshd")
        self.assertEqual([x[15:26] for x in console.reference_starved(guest, name, other, bad)],
                         ["Call Trace:"])

    def test_acpica_parse_op_leak_is_base_code(self):
        first, second = data("kmemleak_acpica.txt").split("unreferenced object")[1:]
        text = "ACPI Error: AE_NO_MEMORY, While parsing a method"
        self.assertTrue(console.base_acpica_leak(first, text))
        self.assertFalse(console.base_acpica_leak(first, "no error on the console"))
        self.assertFalse(console.base_acpica_leak(second, text))


class Tap(unittest.TestCase):
    def test_closing_line_stands_alone_after_the_duration(self):
        res = results(self)
        res.result(True, "a")
        res.result(False, "b", diag="why")
        res.result(True, "c", skip="not here")
        self.assertEqual(res.finish("make check took 55 min 18 s"), 1)
        self.assertEqual(res.lines[-4:], ["1..3", "# failed: b", "# make check took 55 min 18 s",
                                          "1 passed, 1 failed, 1 skipped"])

    def test_require_stops_the_function(self):
        res = results(self)
        t = tap.Checker(res, "scenario/x/y")
        self.assertTrue(t.require(True, "fine"))
        with self.assertRaises(tap.Stop):
            t.require(False, "broken")
        self.assertEqual(res.lines[-1], "not ok 2 - scenario/x/y: broken")

    def test_duration_from_check_start(self):
        os.environ["CHECK_START"] = str(int(runtests.time.time()) - 125)
        try:
            self.assertRegex(runtests.duration(), r"^make check took 2 min [56] s$")
            self.assertRegex(runtests.elapsed("debug pass starts"),
                             r"^debug pass starts at 2 min [56] s of make check$")
        finally:
            del os.environ["CHECK_START"]
        self.assertIsNone(runtests.duration())
        self.assertEqual(runtests.elapsed("tests start"), "tests start")


class Known(unittest.TestCase):
    def test_each_defect_says_kernels_evidence_and_handling(self):
        for k in console.KNOWN.values():
            self.assertTrue(k.kernels and k.shows and k.evidence and k.handling, k.key)

    def test_kernels_match_variants(self):
        ref = console.KNOWN["reference-lockdep-kn-active"]
        self.assertTrue(ref.applies("upstream") and ref.applies("upstream-debug"))
        self.assertFalse(ref.applies("ours-debug"))
        prt = console.KNOWN["acpica-prt-loop-timeout"]
        self.assertTrue(prt.applies("ours-debug") and not prt.applies("ours"))


class Selection(unittest.TestCase):
    """Which tests each pass runs: --only, then in the debug pass the
    declarations (or --debug-only)."""

    def args(self, only="", debug_pass=False, debug_only=""):
        return runtests.argparse.Namespace(only=only, debug_pass=debug_pass,
                                           debug_only=debug_only)

    def test_normal_pass_runs_everything_only_picks(self):
        self.assertTrue(runtests.selected(self.args(), "scenario/a/b", False))
        self.assertFalse(runtests.selected(self.args(only="x,y"), "scenario/a/b", True))
        self.assertTrue(runtests.selected(self.args(only="x,a/"), "scenario/a/b", False))

    def test_debug_pass_runs_what_is_declared(self):
        a = self.args(debug_pass=True)
        self.assertTrue(runtests.selected(a, "kunit/s: c", True))
        self.assertFalse(runtests.selected(a, "base/mem-on-off-test.sh", False))
        self.assertFalse(runtests.selected(self.args(only="zz", debug_pass=True), "kunit/s", True))

    def test_debug_only_overrides_the_declarations(self):
        a = self.args(debug_pass=True, debug_only="race_,kunit/")
        self.assertTrue(runtests.selected(a, "scenario/race_hotplug/x", False))
        self.assertFalse(runtests.selected(a, "scenario/virtio_mem/x", True))

    def test_debug_declared(self):
        every = type("M", (), dict(DEBUG=True))
        some = type("M", (), dict(DEBUG=["every_cpu"]))
        self.assertTrue(runtests.debug_declared(every, "anything"))
        self.assertTrue(runtests.debug_declared(some, "every_cpu"))
        self.assertFalse(runtests.debug_declared(some, "every_cpu_but"))
        self.assertFalse(runtests.debug_declared(object(), "every_cpu"))

    def test_scenario_files_declare_well(self):
        """Every scenario file loads without a guest; its DEBUG, if any, is
        True or a list of case names; its REQUIRES, if any, a kernel."""
        files = runtests.scenario_files()
        self.assertTrue(files)
        for base, mod, cases in files:
            self.assertTrue(cases, f"{base}: no test_ function")
            debug = getattr(mod, "DEBUG", False)
            self.assertTrue(debug is True or debug is False or (
                isinstance(debug, list) and all(isinstance(c, str) for c in debug)), base)
            self.assertIn(getattr(mod, "REQUIRES", "ours"), ("ours", "upstream"), base)


class VMPure(unittest.TestCase):
    """vm.py's parts that need no QEMU."""

    def test_parse_size(self):
        self.assertEqual(vmlib.parse_size("512M"), 512 << 20)
        self.assertEqual(vmlib.parse_size("1G"), 1 << 30)
        self.assertEqual(vmlib.parse_size(" 1.5g "), 3 << 29)
        self.assertEqual(vmlib.parse_size("4k"), 4096)
        self.assertEqual(vmlib.parse_size(1073741824), 1 << 30)
        self.assertEqual(vmlib.parse_size("2T"), 2 << 40)
        with self.assertRaises(ValueError):
            vmlib.parse_size("lots")

    def test_qmp_message(self):
        self.assertEqual(vmlib.qmp_message("qmp_capabilities"),
                         b'{"execute": "qmp_capabilities"}\n')
        msg = vmlib.qmp_message("device_del", id="dimm1")
        self.assertTrue(msg.endswith(b"\n") and msg.count(b"\n") == 1)
        self.assertEqual(vmlib.json.loads(msg), {"execute": "device_del",
                                                 "arguments": {"id": "dimm1"}})

    def test_qmp_split_waits_for_a_whole_line(self):
        self.assertEqual(vmlib.qmp_split(b'{"return": {}'), (None, b'{"return": {}'))
        msg, rest = vmlib.qmp_split(b'{"return": {}}\r\n{"event": "X"')
        self.assertEqual((msg, rest), ({"return": {}}, b'{"event": "X"'))

    def test_qmp_reply(self):
        events = []
        self.assertIsNone(vmlib.qmp_reply({"event": "DEVICE_DELETED"}, "device_del", events))
        self.assertEqual(events, [{"event": "DEVICE_DELETED"}])
        self.assertEqual(vmlib.qmp_reply({"return": []}, "query-memory-devices", events), ([],))
        with self.assertRaisesRegex(vmlib.VMError, "QMP device_add: no slot"):
            vmlib.qmp_reply({"error": {"desc": "no slot"}}, "device_add", events)

    def test_console_scanning(self):
        guest = vmlib.VM.__new__(vmlib.VM)
        guest.rundir = tempfile.mkdtemp()
        self.addCleanup(lambda: (os.unlink(os.path.join(guest.rundir, "console.log")),
                                 os.rmdir(guest.rundir)))
        guest._console_pos = 0
        with open(os.path.join(guest.rundir, "console.log"), "w") as f:
            f.write("[ 1.0] fine\n[ 2.0] WARNING: CPU: 1 PID: 5 at x\n")
        self.assertEqual(guest.splats(), ["[ 2.0] WARNING: CPU: 1 PID: 5 at x"])
        self.assertEqual(guest.splats(), [])        # only what is new
        with open(os.path.join(guest.rundir, "console.log"), "a") as f:
            f.write("[ 3.0] Call Trace:\n")
        self.assertEqual(guest.new_console(), "[ 3.0] Call Trace:\n")
        self.assertIn("    | [ 3.0] Call Trace:", guest.console_tail(1))

    def test_machine_options(self):
        """The QEMU command line a VM's shape gives (no kernel needed)."""
        guest = vmlib.VM(kernel="ours-debug", numa=["2G", 0], dimms=[("1G", 1)],
                         virtio_mem=[dict(id="vmem0", size="1G", requested="256M")],
                         accel="tcg", name="t")
        old = vmlib.kernel_paths
        vmlib.kernel_paths = lambda kernel: ("/k/bzImage", "/k/modules")
        try:
            args = " ".join(guest.command_line())
        finally:
            vmlib.kernel_paths = old
        self.assertIn("-m 2048M,slots=16,maxmem=65536M", args)
        self.assertIn("-numa node,nodeid=0,memdev=ram0,cpus=0-1 -numa node,nodeid=1", args)
        self.assertIn("pc-dimm,id=boot-dimm0,memdev=mem-boot-dimm0,node=1", args)
        self.assertIn("requested-size=268435456", args)
        self.assertIn("acpi=noirq", args)           # console.KNOWN: debug kernels only


class BenchTable(unittest.TestCase):
    runs = {"ours": [{"online": 1.0, "cost": 0.0}, {"online": 3.0, "cost": 0.0},
                     {"online": 2.0, "cost": 0.0}],
            "upstream": [{"online": 4.0, "cost": 0.0}, {"online": 4.0, "cost": 0.0},
                         {"online": 5.0, "cost": 0.0}]}

    def test_medians_spreads_ratios(self):
        table = bench.summarize(self.runs, ["ours", "upstream"])
        self.assertEqual(table[0]["ours"]["median"], 2.0)
        self.assertEqual((table[0]["upstream"]["min"], table[0]["upstream"]["max"]), (4.0, 5.0))
        self.assertEqual(table[0]["ratio"], 0.5)
        self.assertNotIn("ratio", table[1])     # 0 over 0 has none

    def test_printed_table(self):
        lines = bench.format_table(bench.summarize(self.runs, ["ours", "upstream"]),
                                   ["ours", "upstream"], 3)
        self.assertTrue(lines[0].startswith("workload"))
        self.assertRegex(lines[2], r"^online\s+2\.000 \[1\.000-3\.000\]\s+4\.000 "
                                   r"\[4\.000-5\.000\]\s+0\.500$")
        self.assertTrue(lines[3].endswith("nan"))
        self.assertIn("median [min-max] of 3 runs each; ratio = ours/upstream", lines[-1])

    def test_markdown_table_says_where_it_came_from(self):
        table = bench.summarize(self.runs, ["ours", "upstream"])
        prov = {"commit": "abc1234", "date": "2026-12-02", "machine": "2 x CPU, 24 GiB",
                "options": "RUNS=3"}
        md = bench.format_markdown(table, ["ours", "upstream"], 3, prov, "bench-scale.svg")
        self.assertIn("- commit: abc1234, 2026-12-02", md)
        self.assertIn("- machine: 2 x CPU, 24 GiB", md)
        self.assertIn("| online | 2.000 [1.000-3.000] | 4.000 [4.000-5.000] | 0.50 |", md)
        self.assertIn("| cost | 0.000 [0.000-0.000] | 0.000 [0.000-0.000] |  |", md)
        self.assertTrue(md.rstrip().endswith("(bench-scale.svg)"))

    def test_provenance(self):
        args = type("A", (), dict(runs=3, dimm="16G", migrate="2G", virtio_mem="8G",
                                  scale="1G", starved_dimm="16G", starved_vmem="4G",
                                  workloads={"dimm"}))()
        prov = bench.provenance(args)
        self.assertRegex(prov["commit"], r"^[0-9a-f]{4,}(-dirty)?$")
        self.assertIn("RUNS=3", prov["options"])

    def test_scale_chart(self):
        runs = {k: [{bench.scale_per_gib_row("1G"): a, bench.scale_per_gib_row("16G"): b}]
                for k, a, b in (("ours", 0.05, 0.04), ("upstream", 0.08, 0.07))}
        table = bench.summarize(runs, ["ours", "upstream"])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "chart.svg")
            self.assertTrue(bench.write_svg(table, ["ours", "upstream"], ["1G", "16G"], path))
            with open(path) as f:
                svg = f.read()
        self.assertTrue(svg.startswith("<svg ") and svg.rstrip().endswith("</svg>"))
        self.assertEqual(svg.count("<polyline "), 2)     # one line per kernel
        self.assertIn(">0.040<", svg)                    # ours at 16G, labelled
        self.assertIn("16G DIMM", svg)
        # No scale rows (another workload ran): no chart.
        self.assertFalse(bench.write_svg(bench.summarize(self.runs, ["ours", "upstream"]),
                                         ["ours", "upstream"], ["1G"], path))


if __name__ == "__main__":
    unittest.main()
