#!/usr/bin/env python3
"""Tests of the helpers scenarios share (guest.py, faults.py), on canned
guest output: a FakeVM answers each command from a table, so no guest and
no kernel is needed. `make harness-test` runs them.
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "harness"))
import faults  # noqa: E402
import guest  # noqa: E402
import tap  # noqa: E402
import vm as vmlib  # noqa: E402


class FakeVM:
    """Answers run()/sh()/read() with the first (regex, (rc, output)) of
    answers whose regex the script matches; remembers the scripts."""

    def __init__(self, *answers, kernel="ours", console=""):
        self.answers = list(answers)
        self.scripts = []
        self.kernel = kernel
        self.text = console
        self.pos = 0

    def run(self, script, timeout=120, sink=None):
        self.scripts.append(script)
        for pattern, answer in self.answers:
            if re.search(pattern, script):
                return answer
        raise AssertionError(f"no answer for {script!r}")

    def sh(self, script, timeout=120):
        rc, out = self.run(script, timeout)
        if rc:
            raise vmlib.VMError(out)
        return out

    # The real VM's file helpers, on top of the canned run() above.
    read = vmlib.VM.read
    write = vmlib.VM.write

    def new_console(self):
        new, self.pos = self.text[self.pos:], len(self.text)
        return new


class FakeResults(tap.Results):
    def __init__(self):
        self.lines = []
        super().__init__(os.devnull)

    def emit(self, line):
        self.lines.append(line)


class Guest(unittest.TestCase):
    def test_blocks_and_block_size(self):
        vm = FakeVM(("block_size_bytes", (0, "8000000\n")),
                    ("read -r s < \\$b/state; echo", (0, "0 online\n1 online\n32 offline\n")))
        self.assertEqual(guest.block_size(vm), 128 << 20)
        self.assertEqual(guest.blocks(vm), {0: "online", 1: "online", 32: "offline"})

    def test_block_table_with_and_without_node(self):
        vm = FakeVM(("valid_zones", (0, "32|online|Movable|1\n33|offline|Normal Movable|\n")))
        self.assertEqual(guest.block_table(vm, [32, 33]),
                         {32: ("online", "Movable", 1), 33: ("offline", "Normal Movable", None)})
        self.assertIn("memory32 memory33", vm.scripts[0])
        self.assertEqual(guest.zones(vm, [32]), {32: "Movable", 33: "Normal Movable"})

    def test_meminfo_whole_and_per_node(self):
        vm = FakeVM(("/proc/meminfo", (0, "MemTotal:  2000 kB\nHugePages_Total:  0\n")),
                    ("node1/meminfo", (0, "Node 1 MemTotal:  1048576 kB\nNode 1 MemFree: 5 kB\n")))
        self.assertEqual(guest.meminfo(vm), {"MemTotal": 2000, "HugePages_Total": 0})
        self.assertEqual(guest.meminfo(vm, 1), {"MemTotal": 1048576, "MemFree": 5})

    def test_online_reports_the_failures(self):
        vm = FakeVM(("state", (0, "bash: echo: write error\nFAIL 33\n")))
        self.assertEqual(guest.online(vm, [32, 33], "online_movable"), [33])
        self.assertIn("echo online_movable > /sys/devices/system/memory/memory32/state",
                      vm.scripts[0])

    def test_iomem_and_firmware_memmap(self):
        vm = FakeVM(("iomem", (0, "00001000-0009fbff : System RAM\n"
                                  "  01000000-01ffffff : Kernel code\n"
                                  "100000000-13fffffff : System RAM\n"
                                  "140000000-17fffffff : System RAM (virtio_mem)\n")),
                    ("memmap", (0, "0x0 0x9fbff System RAM\n0x100000000 0x13fffffff System RAM\n")))
        ram = guest.system_ram(vm)
        self.assertEqual(ram, [(0x1000, 0x9fbff), (0x100000000, 0x13fffffff)])
        self.assertTrue(guest.covers(ram, 0x100000000, 0x13fffffff))
        self.assertFalse(guest.covers(ram, 0x100000000, 0x17fffffff))
        self.assertEqual(guest.firmware_memmap(vm)[1], (0x100000000, 0x13fffffff, "System RAM"))

    def test_bound_acpi_devices(self):
        vm = FakeVM(("PNP0C80", (0, "PNP0C80:00 memory33\nPNP0C80:00 memory32\n"
                                    "PNP0C80:01 something\n")))
        self.assertEqual(guest.bound(vm), {"PNP0C80:00": [32, 33]})

    def test_wait_for(self):
        calls = []
        self.assertEqual(guest.wait_for(lambda: calls.append(1) or len(calls) >= 3 and "x",
                                        5, 0), "x")
        self.assertEqual(guest.wait_for(lambda: 0, 0, 0), 0)

    def test_zone_free_reads_the_zone_of_the_node(self):
        zoneinfo = ("Node 0, zone    DMA32\n  pages free     100\n"
                    "Node 0, zone  Movable\n  pages free     200\n"
                    "Node 2, zone  Movable\n  pages free     300\n")
        vm = FakeVM()

        def answer(script):
            # The awk program itself, on canned /proc/zoneinfo text.
            prog = re.search(r"awk '(.*)' /proc/zoneinfo", script).group(1)
            res = subprocess.run(["awk", prog], input=zoneinfo, capture_output=True, text=True)
            return res.returncode, res.stdout
        vm.run = lambda script, timeout=120, sink=None: answer(script)
        self.assertEqual(guest.zone_free(vm, "Movable"), 200)
        self.assertEqual(guest.zone_free(vm, "Movable", 2), 300)
        self.assertEqual(guest.zone_free(vm, "DMA32", 0), 100)
        self.assertEqual(guest.zone_free(vm, "Normal", 2), 0)

    def test_build_fill_compiles_once(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        old = vmlib.BUILD
        vmlib.BUILD = tmp.name
        self.addCleanup(setattr, vmlib, "BUILD", old)
        exe = guest.build_fill()
        self.assertEqual(exe, os.path.join(tmp.name, "bench", "fill"))
        self.assertTrue(os.access(exe, os.X_OK))
        mtime = os.path.getmtime(exe)
        self.assertEqual(guest.build_fill(), exe)
        self.assertEqual(os.path.getmtime(exe), mtime)

    def test_fill_start_and_verify(self):
        vm = FakeVM(("READY", (0, "PID 321\n")),
                    ("USR1", (0, "READY 8 MiB\nVERIFIED 0 bad words\n")))
        self.assertEqual(guest.fill_start(vm, 8, "/sys/fs/cgroup/x"), 321)
        self.assertIn("echo $BASHPID > /sys/fs/cgroup/x/cgroup.procs && exec ", vm.scripts[0])
        self.assertIn("/bench/fill 8 ) >/tmp/fill.out", vm.scripts[0])
        self.assertIn("VERIFIED", guest.fill_verify(vm))
        vm = FakeVM(("READY", (1, "")))
        self.assertIsNone(guest.fill_start(vm, 8))
        self.assertNotIn("cgroup.procs", vm.scripts[0])

    def test_check_cpu_count_param(self):
        state = {"v": "0"}

        def answer(script):
            m = re.match(r"echo (\S+) > ", script)
            if m:
                if m.group(1).isdigit():
                    state["v"] = m.group(1)
                    return 0, ""
                return 1, "Invalid argument"
            return 0, state["v"] + "\n"
        vm = FakeVM()
        vm.run = lambda script, timeout=120, sink=None: answer(script)
        res = FakeResults()
        self.addCleanup(res.log.close)
        guest.check_cpu_count_param(vm, tap.Checker(res, "scenario/x/parameter"), "init_threads")
        self.assertEqual((res.passed, res.failed), (7, 0))


SNAP_TEXT = """@blocks
0 online 1 0
32 online 1 1
33 offline 0 1
@iomem
00001000-0009fbff : System RAM
100000000-10fffffff : System RAM
140000000-147ffffff : System RAM (virtio_mem)
@memmap
0x0 0x9fbff System RAM
@total
2000000
@zones
0 DMA32 500000 480000
1 Movable 32768 32768
@nodes
online 0-1
has_memory 0,1
has_normal_memory 0
@acpi
PNP0C80:00 15 2
@end
"""


class Faults(unittest.TestCase):
    def test_parse_snap(self):
        s = faults.parse_snap(SNAP_TEXT)
        self.assertEqual(s["blocks"], {0: ("online", 0), 32: ("online", 1), 33: ("offline", 1)})
        self.assertEqual(s["unlinked"], [33])
        self.assertEqual(s["ram"], [(0x1000, 0x9fbff), (0x100000000, 0x10fffffff)])
        self.assertEqual(s["vram"], [(0x140000000, 0x147ffffff)])
        self.assertEqual(s["memmap"], [(0, 0x9fbff, "System RAM")])
        self.assertEqual(s["total"], 2000000)
        self.assertEqual(s["zones"][(1, "Movable")], (32768, 32768))
        self.assertEqual(s["nodes"]["has_memory"], {0, 1})
        self.assertEqual(s["acpi"], {"PNP0C80:00": (15, 2)})
        self.assertTrue(s["complete"])
        self.assertFalse(faults.parse_snap(SNAP_TEXT.replace("@end", ""))["complete"])

    def test_node_list_and_left(self):
        self.assertEqual(faults.node_list("0-1,3"), {0, 1, 3})
        self.assertEqual(faults.node_list(""), set())
        self.assertEqual(faults.parse_left("ARMED 5\nLEFT 12:0 13:7\n"), {12: 0, 13: 7})
        self.assertEqual(faults.parse_left("nothing"), {})

    def test_schedule(self):
        self.assertEqual(faults.schedule(3, 7), [1, 2, 3, 1, 2, 3, 1])
        self.assertEqual(faults.schedule(0, 2), [0, 0])
        self.assertEqual(faults.schedule(5, 0), [])
        many = faults.schedule(100, 10)
        self.assertEqual(many[:5], [1, 2, 3, 4, 5])     # the first half: each point
        self.assertEqual(many[-1], 100)                 # the rest spread up to k
        self.assertEqual(many, sorted(many))

    def test_log_lets_warn_alloc_through(self):
        console = ("[ 1.0] kworker: page allocation failure: order:0\n"
                   "[ 1.0] Call Trace:\n[ 1.0]  <TASK>\n[ 1.0]  dump_stack_lvl+0x5/0x9\n"
                   "[ 1.0]  warn_alloc+0x1/0x2\n"
                   "[ 2.0] BUG: KASAN: use-after-free in x+0x1/0x2\n")
        log = faults.Log("online")
        self.assertTrue(log.console(FakeVM(console=console), "online 3"))
        self.assertEqual(log.warn_alloc, 1)
        self.assertEqual(log.splats, ["online 3: [ 2.0] BUG: KASAN: use-after-free in x+0x1/0x2"])
        log.problem("online", "attempt 3", "block 32 is going-offline")
        self.assertEqual(log.counts["online"], {"INCONSISTENT": 1})

    def test_outcome_words(self):
        self.assertEqual(faults.outcome(0, False, True), "no fault armed, succeeded")
        self.assertEqual(faults.outcome(4, False, False), "path ended before the fault point, FAILED")
        self.assertEqual(faults.outcome(4, True, False), "injected, failed and rolled back")
        self.assertTrue(faults.outcome(4, True, True).startswith(faults.OUTCOMES[0]))

    def expect(self, base):
        vm = FakeVM(("block_size_bytes", (0, "8000000\n")))
        vm.qmp = lambda cmd: []
        return faults.Expect(vm, base, hot_node=1, vmem="vmem0")

    def test_expect_finds_a_dimm_half_added(self):
        base = faults.parse_snap("@blocks\n0 online 1 0\n@iomem\n@memmap\n@total\n2000000\n"
                                 "@zones\n0 DMA32 500000 480000\n@nodes\nonline 0\n"
                                 "has_memory 0\nhas_normal_memory 0\n@acpi\n@end\n")
        ex = self.expect(base)
        self.assertEqual(ex.problems(base), [])
        half = faults.parse_snap(SNAP_TEXT)
        bad = ex.problems(half, dimms=[(0x100000000, 0x10fffffff)])
        self.assertTrue(any("node1 has no link back" in b for b in bad), bad)
        self.assertTrue(any(b.startswith("System RAM") for b in bad), bad)

    def test_reference_skips_the_resource_paths(self):
        t = type("T", (), dict(skip=lambda self, what, why: None))()
        self.assertIn("reference-resource-eexist",
                      faults.skip_reason(FakeVM(kernel="upstream-debug"), ours_only=True))
        vm = FakeVM(("failslab", (1, "")), kernel="ours-debug")
        self.assertIn("FLAVOUR=debug", faults.skip_reason(vm, ours_only=True))
        self.assertIsNone(faults.start(vm, t, "x"))


if __name__ == "__main__":
    unittest.main()
