#!/usr/bin/env python3
"""Tests of the harness itself, on saved logs (harness/testdata/): how it
reads KUnit and kselftest results, finds splats and kmemleak reports of
base code, and prints the benchmark table. `make harness-test` runs them,
and so does `make check`; they need the base tree (`make tree`) for the
KUnit parser, nothing else: no kernel, no guest.
"""

import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import ktap  # noqa: E402
import runtests  # noqa: E402
import vm as vmlib  # noqa: E402


def data(name):
    with open(os.path.join(HERE, "testdata", name)) as f:
        return f.read()


class FakeResults(runtests.Results):
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
        args = type("Args", (), dict(kernel="ours", only="", debug_subset=""))()
        runtests.kunit_layer(res, "[    0.000000] no tests here\n", args)
        self.assertEqual(res.failed, 1)
        self.assertIn("not ok 1 - kunit/memory_hotplug: the suite ran", res.lines)

    def test_missing_suite_is_a_note_on_upstream(self):
        res = results(self)
        args = type("Args", (), dict(kernel="upstream", only="", debug_subset=""))()
        runtests.kunit_layer(res, "[    0.000000] no tests here\n", args)
        self.assertEqual((res.n, res.failed), (0, 0))


class Kselftest(unittest.TestCase):
    def test_program_output(self):
        res = results(self)
        out = runtests.ProgramOutput(res, "kselftest/memory-hotplug/x.sh")
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
            self.assertEqual(len(runtests.reference_lockdep(guest, text + extra, bad)), left)
        # Another lock cycle is not that report.
        other = text.replace("(mem_hotplug_lock)", "(cpu_hotplug_lock)")
        guest.kernel = "upstream-debug"
        bad = vmlib.VM.splats(None, other)
        self.assertEqual(runtests.reference_lockdep(guest, other, bad), bad)

    def test_acpica_parse_op_leak_is_base_code(self):
        first, second = data("kmemleak_acpica.txt").split("unreferenced object")[1:]
        console = "ACPI Error: AE_NO_MEMORY, While parsing a method"
        self.assertTrue(runtests.base_acpica_leak(first, console))
        self.assertFalse(runtests.base_acpica_leak(first, "no error on the console"))
        self.assertFalse(runtests.base_acpica_leak(second, console))


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
