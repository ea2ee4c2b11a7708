"""Why did my memory not go away? Each failed offline the guest can produce
is named in memoryN/offline_failure (one word: the reason) and
memoryN/offline_failure_page (one word: what the page in the way is),
counted in /proc/vmstat (memory_offline_fail_REASON), reported by the
memory_hotplug:mhp_offline_fail tracepoint (with the errno, the page's pfn
and the notifier, reason and page recorded as numbers and printed as the
words), and leaves the block online as it was; a successful offline
empties both files again. No physical address is in sysfs, for anyone.

Reasons made here: a signal and memory_hotplug.offline_timeout_ms (a user
page held by vmsplice(2) in a ZONE_MOVABLE block), a memory notifier's
veto (the notifier error injection module), unmovable kernel pages in a
ZONE_NORMAL block (pipe buffers, slab: the named page's kind must agree
with /proc/kpageflags), and a hole (memory0, below 1 MiB). Not made: a
free huge page that cannot be dissolved (needs a failing vmemmap
allocation) and a range spanning zones (the block layer never offlines
one). New files and counters: the reference kernel has none of them."""

import errno
import re

from guest import (MEM, PARAMS, block_size, hold_page, online, pin_unmovable, plug,
                   release_page, sane, unpin, wait_for)

REQUIRES = "ours"
WHY = "offline_failure(_page), the vmstat counters, offline_timeout_ms and the tracepoints are new in ours"

VM = dict(mem="2G")

TRACE = "/sys/kernel/tracing"
EVENTS = f"{TRACE}/events/memory_hotplug"
REASONS = ("unmovable", "isolation", "hugetlb", "notifier", "signal", "timeout", "holes", "zones",
           "oom")
KINDS = ("slab", "pagetable", "reserved", "hugetlb", "driver", "pinned", "user", "movable",
         "kernel")
INJ = "/sys/kernel/debug/notifier-error-inject/memory/actions/MEM_GOING_OFFLINE/error"

# /proc/kpageflags bits (Documentation/admin-guide/mm/pagemap.rst) that say
# what each page kind of offline_failure is.
KPF = dict(lru=5, slab=7, buddy=10, mmap=11, huge=17, offline=23, pgtable=26, reserved=32)


def kind_agrees(kind, flags):
    """Does the page kind offline_failure named match the page's
    /proc/kpageflags bits?"""
    has = {name for name, bit in KPF.items() if flags >> bit & 1}
    want = {"slab": {"slab"}, "pagetable": {"pgtable"}, "reserved": {"reserved"},
            "hugetlb": {"huge"}, "driver": {"offline"}}
    if kind == "pagetable" and not has & {"pgtable", "lru", "mmap", "slab"}:
        # The page tables of a process gone since (the shell that wrote
        # "offline") are free by the time kpageflags is read: in the
        # buddy, or on a per-cpu free list with no bit at all.
        return has <= {"buddy"}
    if kind in want:
        return want[kind] <= has
    if kind in ("user", "pinned"):
        return bool(has & {"lru", "mmap"})
    if kind == "kernel":
        return not has
    return False


def last_fail_event(vm, block):
    """The fields of the last mhp_offline_fail event of the block in the
    trace buffer (trace_on() before the offline), as {key: value}."""
    start = block * (block_size(vm) // 4096)
    found = {}
    for line in vm.sh(f"cat {TRACE}/trace", timeout=120).splitlines():
        if "mhp_offline_fail:" not in line:
            continue
        fields = dict(w.split("=", 1) for w in line.split("mhp_offline_fail:", 1)[1].split()
                      if "=" in w)
        if int(fields.get("pfn", "-1"), 0) == start:
            found = fields
    return found


def failure(vm, block):
    """What a user learns of the block's last failed offline: reason and
    page kind from its two files (absent when empty), and from its last
    mhp_offline_fail event the errno, the page's pfn and the notifier."""
    f = {}
    for key, name in (("reason", "offline_failure"), ("page", "offline_failure_page")):
        text = vm.read(f"{MEM}/memory{block}/{name}")
        if text:
            f[key] = text
    ev = last_fail_event(vm, block)
    if "ret" in ev:
        f["errno"] = errno.errorcode.get(-int(ev["ret"]), ev["ret"])
    if ev.get("page_pfn", "0xffffffffffffffff") != "0xffffffffffffffff":
        f["pfn"] = ev["page_pfn"]
    if ev.get("notifier", "0x0") not in ("0x0", "(null)"):
        f["notifier"] = ev["notifier"]
    return f


def no_address(t, vm, block, what):
    """User nobody reads the block's two files as root does, and neither
    holds an address (pagemap and kpageflags hide pfns from non-root)."""
    files = f"{MEM}/memory{block}/offline_failure {MEM}/memory{block}/offline_failure_page"
    root = vm.sh(f"cat {files}")
    rc, text = vm.run(f"setpriv --reuid=65534 --regid=65534 --clear-groups cat {files}")
    t.ok(rc == 0 and text == root and not re.search(r"0x|\d{4,}", text),
         f"{what}: user nobody reads offline_failure(_page) as root does, no address in it",
         diag=f"nobody: {text!r}, root: {root!r}")


def counters(vm):
    """The memory hotplug counters of /proc/vmstat, {name: value}."""
    return {k: int(v) for k, v in (line.split() for line in vm.read("/proc/vmstat").splitlines())
            if k.startswith("memory_")}


def offline(vm, block, prefix=""):
    """Write offline to the block's state; return (rc, seconds, stderr)."""
    rc, out = vm.run(f"s=$(date +%s%N); {prefix} bash -c 'echo offline > {MEM}/memory{block}/state'"
                     " 2>&1; rc=$?; echo; echo RC $rc $(( ($(date +%s%N) - s) / 1000000 ))",
                     timeout=300)
    m = re.search(r"RC (\d+) (\d+)", out)
    return int(m.group(1)), int(m.group(2)) / 1000, out


def trace_on(vm):
    """Clear the trace buffer and enable every memory_hotplug event."""
    vm.sh(f"echo > {TRACE}/trace; echo 1 > {EVENTS}/enable")


def trace_lines(vm, event):
    vm.sh(f"echo 0 > {EVENTS}/enable")
    return [line for line in vm.sh(f"cat {TRACE}/trace").splitlines() if f"{event}:" in line]


def in_block(vm, block, pfn_text):
    per = block_size(vm) // 4096
    try:
        return int(pfn_text, 16) // per == block
    except (TypeError, ValueError):
        return False


def same(t, got, want, desc, diag=None):
    """t.eq() with a diagnostic of its own."""
    return t.ok(got == want, desc,
                diag=f"got {got!r}, want {want!r}" + (f"\n{diag}" if diag else ""))


def recorded(t, vm, before, reason, block, state_desc):
    """The failure's event fired, its counter moved by one, the block is
    still online: what every failed offline must leave behind."""
    lines = trace_lines(vm, "mhp_offline_fail")
    t.ok(any(f"reason={reason}" in line for line in lines),
         f"mhp_offline_fail fired with reason={reason}", diag="\n".join(lines[-5:]))
    t.eq(counters(vm)[f"memory_offline_fail_{reason}"],
         before[f"memory_offline_fail_{reason}"] + 1,
         f"/proc/vmstat memory_offline_fail_{reason} moved by one")
    t.eq(vm.read(f"{MEM}/memory{block}/state"), "online", state_desc)


def param(vm):
    return vm.read(f"{PARAMS}/offline_timeout_ms")


def test_files_are_there(vm, t):
    vm.run(f"mountpoint -q {TRACE} || mount -t tracefs nodev {TRACE}")
    t.ok(vm.run(f"test -d {EVENTS}")[0] == 0, "tracefs has the memory_hotplug events")
    t.eq(param(vm), "0", "offline_timeout_ms is 0 by default (6.12's behaviour)")
    s = counters(vm)
    want = ["memory_block_online", "memory_block_offline", "memory_offline_pgmigrate_success",
            "memory_offline_pgmigrate_fail"] + [f"memory_offline_fail_{r}" for r in REASONS]
    same(t, sorted(s), sorted(want), "/proc/vmstat has the memory hotplug counters")
    t.ok(vm.run(f"test -e {MEM}/stats")[0] != 0, "there is no stats table in sysfs")
    for name in ("offline_failure", "offline_failure_page"):
        t.eq(vm.read(f"{MEM}/memory1/{name}"), "", f"{name} is empty before any attempt")
    # Reasons and page kinds are numbers in the ring buffer: the format
    # tools parse shows each value with its word, no enum name left.
    fmt = vm.read(f"{EVENTS}/mhp_offline_fail/format")
    pairs = [(i, w) for i, w in enumerate(("none",) + REASONS)] + \
            [(i, w) for i, w in enumerate(("none",) + KINDS)]
    missing = [p for p in pairs if not re.search(r"\{\s*%d,\s*\"%s\"\s*\}" % p, fmt)]
    t.ok("__print_symbolic" in fmt and "MHP_" not in fmt and not missing,
         "mhp_offline_fail prints reason and page from numbers, with the words of the files",
         diag=f"missing {missing}\n{fmt[-900:]}")
    rc, out = vm.run(f"grep -l duration_ns {EVENTS}/*/format")
    t.ok(rc != 0, "no event records a duration (the timestamps give it)", diag=out)


def test_hole(vm, t):
    before = counters(vm)
    trace_on(vm)
    rc, _, out = offline(vm, 0)
    t.ok(rc != 0 and "Invalid argument" in out, "memory0 (a hole below 1 MiB) refuses: EINVAL",
         diag=out)
    f = failure(vm, 0)
    same(t, (f.get("errno"), f.get("reason")), ("EINVAL", "holes"),
         "offline_failure: holes; the event: EINVAL", diag=str(f))
    recorded(t, vm, before, "holes", 0, "memory0 stays online")


def test_signal_timeout_and_success(vm, t):
    vm.sh(f"echo offline > {MEM}/auto_online_blocks")
    _, ids = plug(vm, "512M")
    t.require(ids and not online(vm, ids, "online_movable"),
              "a 512 MiB DIMM onlines to ZONE_MOVABLE")
    per = block_size(vm) // 4096
    pfn = hold_page(vm, ids[0] * per, (ids[-1] + 1) * per)
    t.require(pfn is not None, "a page of the DIMM is held by vmsplice",
              diag=vm.read("/tmp/hold.out"))
    block = pfn // per

    # A signal ends the attempt: EINTR, reason=signal.
    before = counters(vm)
    trace_on(vm)
    rc, secs, out = offline(vm, block, "timeout -s INT 5")
    t.ok(rc != 0, f"offlining memory{block} (held page) ends with the signal", diag=out)
    f = failure(vm, block)
    same(t, (f.get("errno"), f.get("reason"), f.get("page")), ("EINTR", "signal", "user"),
         "offline_failure: signal, offline_failure_page: user; the event: EINTR", diag=str(f))
    t.ok(in_block(vm, block, f.get("pfn")), "its pfn is in the block",
         diag=f"{f} (held pfn {pfn:#x})")
    no_address(t, vm, block, "signal")
    recorded(t, vm, before, "signal", block, "the block is online again")

    # The timeout: EBUSY, reason=timeout, after about the time set.
    for bad in ("-1", "abc", "4294967296", ""):
        rc = vm.run(f"printf '%s' '{bad}' > {PARAMS}/offline_timeout_ms")[0]
        t.ok(rc != 0 or bad == "", f"offline_timeout_ms refuses {bad!r}")
    t.eq(param(vm), "0", "and keeps 0")
    vm.sh(f"echo 1500 > {PARAMS}/offline_timeout_ms")
    before = counters(vm)
    trace_on(vm)
    rc, secs, out = offline(vm, block)
    vm.sh(f"echo 0 > {PARAMS}/offline_timeout_ms")
    t.ok(rc != 0 and "busy" in out, "with offline_timeout_ms=1500 the offline fails: EBUSY",
         diag=out)
    t.ok(1.4 <= secs < 60, f"after about 1.5 s ({secs:.1f} s)")
    f = failure(vm, block)
    same(t, (f.get("errno"), f.get("reason"), f.get("page")), ("EBUSY", "timeout", "user"),
         "offline_failure: timeout, offline_failure_page: user; the event: EBUSY", diag=str(f))
    t.ok(in_block(vm, block, f.get("pfn")), "its pfn is in the block", diag=str(f))
    lines = trace_lines(vm, "mhp_offline_fail")
    t.ok(any("reason=timeout" in line and "page=user" in line for line in lines),
         "mhp_offline_fail fired with reason=timeout page=user", diag="\n".join(lines[-5:]))
    s = counters(vm)
    t.eq(s["memory_offline_fail_timeout"], before["memory_offline_fail_timeout"] + 1,
         "memory_offline_fail_timeout moved by one")
    t.ok(s["memory_offline_pgmigrate_fail"] > before["memory_offline_pgmigrate_fail"],
         "memory_offline_pgmigrate_fail counts the held page's failed migrations")
    t.eq(vm.read(f"{MEM}/memory{block}/state"), "online", "the block is online again")

    # Let go of the page: the offline works and the file is empty again.
    release_page(vm)
    before = counters(vm)
    trace_on(vm)
    rc, _, out = offline(vm, block)
    same(t, rc, 0, f"once the page is free memory{block} offlines", diag=out)
    for name in ("offline_failure", "offline_failure_page"):
        t.eq(vm.read(f"{MEM}/memory{block}/{name}"), "", f"a successful offline empties {name}")
    lines = trace_lines(vm, "mhp_offline_end")
    t.ok(any("ret=0" in line for line in lines),
         "mhp_offline_end fired with ret=0", diag="\n".join(lines[-5:]))
    t.eq(counters(vm)["memory_block_offline"], before["memory_block_offline"] + 1,
         "memory_block_offline moved by one")
    before = counters(vm)
    t.eq(online(vm, [block], "online_movable"), [], "it onlines again")
    t.eq(counters(vm)["memory_block_online"], before["memory_block_online"] + 1,
         "memory_block_online moved by one")


def test_notifier_veto(vm, t):
    vm.sh(f"echo offline > {MEM}/auto_online_blocks")
    _, ids = plug(vm, "256M")
    t.require(ids and not online(vm, ids, "online_movable"),
              "a 256 MiB DIMM onlines to ZONE_MOVABLE")
    rc = vm.run("modprobe -q memory-notifier-error-inject || for o in $(cat /proc/cmdline); do "
                "case $o in harness.modules=*) d=${o#*=}; "
                "modprobe -q -d ${d%/lib/modules} memory-notifier-error-inject;; esac; done; "
                f"test -e {INJ}")[0]
    t.require(rc == 0, "the memory notifier error injection module is loaded")
    block = ids[-1]
    before = counters(vm)
    vm.sh(f"echo -16 > {INJ}")
    trace_on(vm)
    rc, _, out = offline(vm, block)
    vm.sh(f"echo 0 > {INJ}")
    t.ok(rc != 0 and "busy" in out, "with MEM_GOING_OFFLINE failing -16 the offline fails",
         diag=out)
    f = failure(vm, block)
    same(t, (f.get("errno"), f.get("reason"), f.get("page")), ("EBUSY", "notifier", None),
         "offline_failure: notifier, no page; the event: EBUSY", diag=str(f))
    # The event names the callback: by name with CONFIG_KALLSYMS (the
    # debug kernels), else by its address (tracefs is root's only).
    kallsyms = vm.run("test -e /proc/kallsyms")[0] == 0
    got = f.get("notifier", "")
    t.ok(got == "notifier_err_inject_callback" if kallsyms else re.fullmatch(r"0x[0-9a-f]+", got),
         "mhp_offline_fail names the notifier that refused", diag=str(f))
    no_address(t, vm, block, "notifier")
    recorded(t, vm, before, "notifier", block, "the block stays online")
    vm.run("rmmod memory_notifier_error_inject")


def test_unmovable_kernel_pages(vm, t):
    vm.sh(f"echo offline > {MEM}/auto_online_blocks")
    _, ids = plug(vm, "256M")
    t.require(ids and not online(vm, ids, "online_kernel"),
              "a 256 MiB DIMM onlines to ZONE_NORMAL")
    # Boot memory is all DMA32: pipe buffers and slab now come from the DIMM.
    t.require(pin_unmovable(vm, 128), "a process holds 128 MiB of pipe buffers")
    vm.run("mkdir -p /tmp/slab && cd /tmp/slab && python3 -c '"
           "import os\nfor i in range(20000): open(str(i), \"w\").close()'", timeout=300)
    before = counters(vm)
    trace_on(vm)
    refused = {}
    for b in ids:
        rc, _, _ = offline(vm, b)
        if rc == 0:
            online(vm, [b], "online_kernel")
            continue
        f = failure(vm, b)
        refused[b] = f
    t.require(refused, "a block of the DIMM refuses to offline")
    lines = [line for line in trace_lines(vm, "mhp_offline_fail") if "reason=unmovable" in line]
    t.eq(len(lines), len(refused), "mhp_offline_fail fired once per refusal, reason=unmovable")
    kinds = {}
    for b, f in refused.items():
        same(t, (f.get("errno"), f.get("reason")), ("EBUSY", "unmovable"),
             f"memory{b}: offline_failure: unmovable; the event: EBUSY", diag=str(f))
        t.ok(in_block(vm, b, f.get("pfn")), f"memory{b}: its pfn is in the block", diag=str(f))
        pfn = int(f.get("pfn", "0"), 16)
        flags = int(vm.sh(f"dd if=/proc/kpageflags bs=8 skip={pfn} count=1 2>/dev/null"
                          " | od -An -tu8").strip() or 0)
        t.ok(kind_agrees(f.get("page"), flags),
             f"memory{b}: page={f.get('page')} agrees with /proc/kpageflags ({flags:#x})")
        # After kpageflags: the reader is a new process, whose page
        # tables could take the named page if it was freed meanwhile.
        no_address(t, vm, b, f"memory{b}")
        kinds[f.get("page")] = kinds.get(f.get("page"), 0) + 1
        t.eq(vm.read(f"{MEM}/memory{b}/state"), "online", f"memory{b} stays online")
    t.note(f"pages named: {kinds}")
    t.eq(counters(vm)["memory_offline_fail_unmovable"],
         before["memory_offline_fail_unmovable"] + len(refused),
         "memory_offline_fail_unmovable moved by one per refusal")
    unpin(vm)
    vm.run("rm -rf /tmp/slab")
    sane(vm, t)
