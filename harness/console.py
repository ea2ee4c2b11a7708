"""Console checks after each test, and the one list of known defects of the
base kernel that the harness excuses.

After every test the guest console is searched for kernel splats (vm.SPLAT):
one is a failure (health()). On a kmemleak kernel every guest ends with a
scan (leak_check()). A few reports come from base code that this project
does not own and cannot fix in its tests; each is listed in KNOWN with the
kernels it applies to and the evidence it was taken on, and the code that
lets it through names its entry. docs/debug-pass.md says the same in prose.
"""

import os
import re


class Known:
    """A defect of the base kernel that a test would otherwise fail on."""

    def __init__(self, key, kernels, shows, evidence, handling):
        self.key = key
        self.kernels = kernels      # build variants it applies to (prefixes)
        self.shows = shows          # what a run sees
        self.evidence = evidence    # where and how it was established
        self.handling = handling    # what the harness does about it

    def applies(self, variant):
        return any(variant == k or variant.startswith(k + "-") for k in self.kernels)


KNOWN = {k.key: k for k in (
    Known("early-boot-kasan", ("ours", "upstream"),
          "a KASAN wild access in an interrupt's spinlock while the boot CPU is "
          "still in early setup, before 'smp: Brought up'",
          "debug kernels under TCG, on both kernels, at 0.007 s and 1.03 s of boot, "
          "never twice in a row; no memory hotplug code runs before SMP bring-up "
          "(harness/testdata/early_splat_console.log)",
          "vm.VM.start() boots again once and keeps console.early-splat.log; the run "
          "notes it in a '#' line"),
    Known("reference-lockdep-kn-active", ("upstream",),
          "lockdep: possible circular locking dependency of mem_hotplug_lock against "
          "kn->active (remove_memory_block_devices)",
          "6.12 deletes the block devices of a removed range under mem_hotplug_lock, "
          "and a writer of a block's state file takes that lock to offline; both "
          "paths need device_hotplug_lock, so they never meet. Seen in the debug "
          "pass's race_hotplug (harness/testdata/reference_lockdep_console.log); "
          "ours deletes the devices outside mem_hotplug_lock",
          "reference_lockdep(): the report's two splat lines are a note, not a failure"),
    Known("acpica-parse-op-leak", ("ours", "upstream"),
          "kmemleak: parse ops allocated by acpi_ps_alloc_op() and never freed",
          "ACPICA leaves them behind when a control method fails with AE_NO_MEMORY, "
          "which only fault injection causes (harness/testdata/kmemleak_acpica.txt)",
          "base_acpica_leak(): such a report is a note once the console shows the "
          "AE_NO_MEMORY"),
    Known("acpica-serialized-mutex", ("ours", "upstream"),
          "after a failed slab allocation in ACPICA, every later DIMM hangs in _CRS",
          "acpi_ds_call_control_method() ends a Serialized method whose walk state it "
          "could not allocate without releasing the method's mutex; QEMU's "
          "\\_SB.MHPC.MCRS then stays locked and the next _CRS waits forever holding "
          "acpi_scan_lock (a 200-attempt fault injection run hung at attempt 83)",
          "tests/lib/faults.py: failslab's reject range covers ACPICA's text"),
    Known("x86-direct-map-null", ("upstream",),
          "an Oops in the direct-map code after a failed page allocation",
          "phys_p4d_init() .. phys_pmd_init() under init_memory_mapping() use the "
          "page table alloc_low_page() returns without checking it for NULL; "
          "patches/0012 makes ours fail the add with -ENOMEM instead",
          "tests/lib/faults.py: on the reference kernel, fail_page_alloc's reject "
          "range covers init_memory_mapping()"),
    Known("reference-resource-eexist", ("upstream",),
          "after a failed allocation in register_memory_resource(), ACPI keeps a "
          "DIMM that was never added bound (WARN at its eject) and virtio-mem marks "
          "its device broken",
          "6.12 reports the failure of __request_region() as EEXIST; it is the first "
          "fault point under mm/memory_hotplug.o of both paths. Ours asks for the "
          "resource again before it calls the range taken",
          "scenario/fault_injection skips its DIMM and virtio-mem paths on the reference"),
    Known("acpica-prt-loop-timeout", ("ours-debug", "upstream-debug"),
          "AE_AML_LOOP_TIMEOUT in PCI _PRT at boot; INTx devices get no GSI and "
          "virtio-mem's interrupts may never arrive",
          "the debug kernel under TCG needs more than ACPICA's 30 s loop limit for "
          "the _PRT method of QEMU's pc machine; seen as a virtio-mem resize the "
          "guest never heard of",
          "vm.VM boots debug kernels with acpi=noirq (PCI interrupts by the BIOS's "
          "$PIR table; ACPI hotplug events unchanged)"),
    Known("kasan-vmap-area-pin", ("ours-debug", "upstream-debug"),
          "the lowest block of a multi-block kernel-zone DIMM on node 1 does not offline",
          "vmalloc keeps the vmap_area objects of the node's other blocks' freed "
          "KASAN shadows in a slab page of that block",
          "scenario/numa_memoryless_node plugs a one-block kernel DIMM"),
    Known("reference-starved-hot-add", ("upstream",),
          "memory hot-added into a guest that a process has filled (scenario/"
          "starved_hot_add) is paid for first from what is left: the filler is "
          "OOM-killed or an allocation fails, each report with its stack dump; with "
          "nothing left to kill the guest panics (Out of memory and no killable "
          "processes)",
          "issue 30, a tester's runs: a 2 GiB guest held to MemAvailable <= 48 MiB, "
          "then a 4 GiB pc-dimm onlined movable: 6.12 OOM-kills the holder (an "
          "order-0 allocation of the add path), then panics; a virtio-mem grow of "
          "4 GiB at 16 MiB kills the holder. 6.12 takes the new range's memmap, "
          "direct-map page tables and block devices from boot memory. make starved "
          "KERNEL=upstream prints the whole baseline, cell by cell",
          "starved_hot_add notes the reference's outcome per cell instead of failing "
          "(a panic too); reference_starved(): the stack dumps of its OOM and "
          "allocation-failure reports, and the WARNING x86's add_pages() gives when "
          "__add_pages() fails (patches/0003 drops it from ours), are a note, any "
          "other splat still fails"),
    Known("reference-valid-zones-no-node", ("upstream",),
          "an Oops (NULL pointer dereference at 0x98) in a process that reads a "
          "hot-added memory block's files the instant its add uevent arrives",
          "6.12 creates a block's device, and so sends its add uevent, before it "
          "sets the block's node; valid_zones then looks up NODE_DATA(NUMA_NO_NODE), "
          "node_data[-1], which is NULL (RBP -1, RDX 0 at the faulting load). "
          "scenario/clients_uevent_readers hit it in a make check KERNEL=upstream of "
          "210dd98 with other work on the host (harness/testdata/"
          "reference_uevent_oops_console.log); ours sets node and group before the "
          "device appears",
          "clients_uevent_readers notes the reference's Oops and ends instead of "
          "failing; reference_uevent_oops(): the Oops report's lines are a note"),
)}


def known_note(key, where):
    """The '#' line of a report let through as KNOWN[key]."""
    return f"{where}: known base-kernel defect {key}: {KNOWN[key].shows}"


# ---- splats ------------------------------------------------------------------

REFERENCE_LOCKDEP = ("possible circular locking dependency", "(mem_hotplug_lock)",
                     "kn->active", "remove_memory_block_devices")


def reference_lockdep(vm, text, bad):
    """bad less the two splat lines (the report's title and its Call Trace)
    of KNOWN['reference-lockdep-kn-active'] when vm runs a kernel it applies
    to and text holds that report; lockdep reports once per boot."""
    start = text.find(REFERENCE_LOCKDEP[0])
    if not KNOWN["reference-lockdep-kn-active"].applies(vm.kernel) or start < 0:
        return bad
    report = text[start:text.find("Call Trace:", start)]
    if not all(k in report for k in REFERENCE_LOCKDEP):
        return bad
    title = next(i for i, line in enumerate(bad) if REFERENCE_LOCKDEP[0] in line)
    trace = next((i for i, line in enumerate(bad) if i > title and "Call Trace:" in line), None)
    return [line for i, line in enumerate(bad) if i not in (title, trace)]


# The reports whose stack dump KNOWN['reference-starved-hot-add'] lets through.
STARVED_REPORTS = ("invoked oom-killer:", "page allocation failure:", "vmemmap alloc failure:",
                   "vmalloc error:")
# ... and the one WARNING it lets through, with its stack dump: add_pages()'s
# WARN_ON_ONCE() of a failed __add_pages() (at arch/x86/mm/init_64.c:986 in
# 6.12.118; the line number is left open).
STARVED_WARNING = re.compile(r"WARNING: CPU: \d+ PID: \d+ at arch/x86/mm/init_64\.c:\d+")


# The task a report line is about: "NAME invoked oom-killer:", "NAME: page
# allocation failure:", ...; and the task line of a stack dump.
STARVED_TASK = re.compile(r"\] (\S+?):? (?:" + "|".join(re.escape(r) for r in STARVED_REPORTS) + ")")
DUMP_TASK = re.compile(r"CPU: \d+ UID: \d+ PID: (\d+) Comm: (\S+)")


def _starved_owner(lines, i):
    """The header line index of the report whose 'Call Trace:' is lines[i],
    if it is one reference_starved() lets through, else None. The trace's
    own task line (CPU: .. PID: .. Comm: ..) is looked for first, then the
    nearest report line of that task or STARVED_WARNING of that PID before
    it: two CPUs' reports interleave on the console."""
    task = None
    for k in range(i - 1, max(-1, i - 30), -1):
        line = lines[k]
        if "Call Trace:" in line or "---[ end trace" in line:
            return None
        if STARVED_WARNING.search(line):
            return k
        m = DUMP_TASK.search(line)
        if m:
            task = (k, m.group(1), m.group(2))
            break
    if task is None:
        return None
    k0, pid, comm = task
    for k in range(k0 - 1, max(-1, k0 - 60), -1):
        m = STARVED_TASK.search(lines[k])
        if m and m.group(1) == comm:
            return k
        w = STARVED_WARNING.search(lines[k])
        if w and f" PID: {pid} " in lines[k]:
            return k
    return None


def reference_starved(vm, name, text, bad):
    """bad less each 'Call Trace:' line of an OOM-killer or allocation-failure
    report, and each STARVED_WARNING line with its 'Call Trace:', for
    scenario/starved_hot_add on a kernel KNOWN['reference-starved-hot-add']
    applies to (see _starved_owner())."""
    if (not KNOWN["reference-starved-hot-add"].applies(vm.kernel)
            or not name.startswith("scenario/starved_hot_add/")):
        return bad
    kept = list(bad)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "Call Trace:" not in line or line not in kept:
            continue
        head = _starved_owner(lines, i)
        if head is None:
            continue
        kept.remove(line)
        if STARVED_WARNING.search(lines[head]) and lines[head] in kept:
            kept.remove(lines[head])
    return kept


UEVENT_OOPS = "BUG: kernel NULL pointer dereference, address: 0000000000000098"


def reference_uevent_oops(vm, name, text, bad):
    """bad less the lines of each Oops of KNOWN['reference-valid-zones-no-node']
    (UEVENT_OOPS in a python3 process, to its '---[ end trace' line) for
    scenario/clients_uevent_readers on a kernel the entry applies to."""
    if (not KNOWN["reference-valid-zones-no-node"].applies(vm.kernel)
            or not name.startswith("scenario/clients_uevent_readers/")):
        return bad
    lines = text.splitlines()
    drop = set()
    for i, line in enumerate(lines):
        if UEVENT_OOPS not in line or not any("Comm: python3" in x for x in lines[i:i + 8]):
            continue
        end = next((j for j in range(i, len(lines)) if "---[ end trace" in lines[j]), i)
        drop.update(lines[i:end + 1])
    return [line for line in bad if line not in drop]


def health(results, vm, name):
    """A failure for every kernel splat the console gained since last time
    (but see reference_lockdep(), reference_starved() and
    reference_uevent_oops())."""
    text = vm.new_console()
    bad = vm.splats(text)
    kept = reference_lockdep(vm, text, bad)
    if kept != bad:
        results.note(known_note("reference-lockdep-kn-active", name))
    bad, kept = kept, reference_starved(vm, name, text, kept)
    if kept != bad:
        results.note(known_note("reference-starved-hot-add", f"{name}: {len(bad) - len(kept)} "
                                "stack dump(s) of OOM/allocation-failure reports"))
    bad, kept = kept, reference_uevent_oops(vm, name, text, kept)
    if kept != bad:
        results.note(known_note("reference-valid-zones-no-node", name))
    bad = kept
    if bad:
        results.result(False, f"{name}: kernel log clean",
                       diag="\n".join(bad[:20] + report_excerpt(text, bad[0]))
                       + f"\n(console: {vm.rundir}/console.log)")
    return not bad


def report_excerpt(text, first, most=40):
    """The lines of the report that starts with the splat line first (its
    task, RIP, registers and call trace), up to its '---[ end trace' line or
    most lines: a failure in CI must carry what explains it, because CI's
    console log is gone once the run ends."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line == first), None)
    if start is None:
        return []
    out = ["# report:"]
    for line in lines[start + 1:start + 1 + most]:
        out.append(line)
        if "---[ end trace" in line:
            break
    return out


def early_splat_note(results, vm):
    """Say so when vm.start() threw away a boot that splatted in base code."""
    if vm.early_splats:
        results.note(f"{os.path.basename(vm.rundir)}: first boot splatted before SMP bring-up, before any "
                     f"memory hotplug code: booted again ({vm.early_splats[0].strip()}; "
                     f"console: {vm.rundir}/console.early-splat.log)")


# ---- kmemleak ----------------------------------------------------------------

ALLOCATOR = re.compile(r"(__)?(kmem_cache_alloc|kmalloc|kzalloc|acpi_os_allocate)")


def base_acpica_leak(report, console, kernel="ours-debug"):
    """True for KNOWN['acpica-parse-op-leak']: a parse op allocated by
    acpi_ps_alloc_op() and left behind when a control method failed for
    lack of memory, once the console shows the AE_NO_MEMORY that caused it."""
    if not KNOWN["acpica-parse-op-leak"].applies(kernel):
        return False
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
        base = [r for r in reports if base_acpica_leak(r, console, vm.kernel)]
        leaks = [r for r in reports if r not in base]
        if base:
            results.note(known_note("acpica-parse-op-leak",
                                    f"{name}: {len(base)} kmemleak report(s)"))
        results.result(rc == 0 and not leaks, f"{name}: kmemleak finds no leak",
                       diag="\n".join(("".join(leaks) or out).splitlines()[:40]))
