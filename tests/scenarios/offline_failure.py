"""Why did my memory not go away? Each failed offline the guest can produce
is named in memoryN/offline_failure ("errno=E... reason=... [pfn=0x...
page=...] [notifier=...]", the pfn for readers with CAP_SYS_ADMIN only),
counted in /sys/devices/system/memory/stats,
reported by the memory_hotplug:mhp_offline_fail tracepoint, and leaves the
block online as it was; a successful offline empties the file again.

Reasons made here: a signal and memory_hotplug.offline_timeout_ms (a user
page held by vmsplice(2) in a ZONE_MOVABLE block), a memory notifier's
veto (the notifier error injection module), unmovable kernel pages in a
ZONE_NORMAL block (pipe buffers, slab: the named page's kind must agree
with /proc/kpageflags), and a hole (memory0, below 1 MiB). Not made: a
free huge page that cannot be dissolved (needs a failing vmemmap
allocation) and a range spanning zones (the block layer never offlines
one). New files: the reference kernel has none of them."""

import re

from guest import (MEM, PARAMS, block_size, hold_page, online, pin_unmovable, plug,
                   release_page, sane, unpin, wait_for)

REQUIRES = "ours"
WHY = "offline_failure, stats, offline_timeout_ms and the tracepoints are new in ours"

VM = dict(mem="2G")

TRACE = "/sys/kernel/tracing"
EVENTS = f"{TRACE}/events/memory_hotplug"
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


def failure(vm, block):
    """memoryN/offline_failure as {key: value} ({} when empty)."""
    text = vm.read(f"{MEM}/memory{block}/offline_failure")
    return dict(w.split("=", 1) for w in text.split())


def failure_unprivileged(vm, block):
    """memoryN/offline_failure as user nobody reads it, as {key: value}."""
    rc, text = vm.run("setpriv --reuid=65534 --regid=65534 --clear-groups "
                      f"cat {MEM}/memory{block}/offline_failure")
    return dict(w.split("=", 1) for w in text.split()) if rc == 0 else {"read": "failed"}


def hides_pfn(t, vm, block, f, what):
    """An unprivileged reader sees every word of offline_failure but the
    pfn, which is a physical address (as /proc/PID/pagemap hides it)."""
    u = failure_unprivileged(vm, block)
    want = {k: v for k, v in f.items() if k != "pfn"}
    same(t, u, want, f"{what}: user nobody reads offline_failure without its pfn",
         diag=f"root reads {f}")


def stats(vm):
    return {k: int(v) for k, v in (line.split() for line in
                                   vm.read(f"{MEM}/stats").splitlines())}


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
    t.eq(stats(vm)[f"offline_failed_{reason}"], before[f"offline_failed_{reason}"] + 1,
         f"offline_failed_{reason} moved by one")
    t.eq(vm.read(f"{MEM}/memory{block}/state"), "online", state_desc)


def param(vm):
    return vm.read(f"{PARAMS}/offline_timeout_ms")


def test_files_are_there(vm, t):
    vm.run(f"mountpoint -q {TRACE} || mount -t tracefs nodev {TRACE}")
    t.ok(vm.run(f"test -d {EVENTS}")[0] == 0, "tracefs has the memory_hotplug events")
    t.eq(param(vm), "0", "offline_timeout_ms is 0 by default (6.12's behaviour)")
    s = stats(vm)
    t.ok({"blocks_onlined", "blocks_offlined", "pages_migrated", "pages_migration_failed",
          "offline_failed_unmovable", "offline_failed_timeout"} <= set(s),
         "the stats file has the counters", diag=str(s))
    t.eq(vm.read(f"{MEM}/memory1/offline_failure"), "",
         "offline_failure is empty before any attempt")


def test_hole(vm, t):
    before = stats(vm)
    trace_on(vm)
    rc, _, out = offline(vm, 0)
    t.ok(rc != 0 and "Invalid argument" in out, "memory0 (a hole below 1 MiB) refuses: EINVAL",
         diag=out)
    f = failure(vm, 0)
    same(t, (f.get("errno"), f.get("reason")), ("EINVAL", "holes"),
         "offline_failure says errno=EINVAL reason=holes", diag=str(f))
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
    before = stats(vm)
    trace_on(vm)
    rc, secs, out = offline(vm, block, "timeout -s INT 5")
    t.ok(rc != 0, f"offlining memory{block} (held page) ends with the signal", diag=out)
    f = failure(vm, block)
    same(t, (f.get("errno"), f.get("reason"), f.get("page")), ("EINTR", "signal", "user"),
         "offline_failure: errno=EINTR reason=signal page=user", diag=str(f))
    t.ok(in_block(vm, block, f.get("pfn")), "its pfn is in the block",
         diag=f"{f} (held pfn {pfn:#x})")
    hides_pfn(t, vm, block, f, "signal")
    recorded(t, vm, before, "signal", block, "the block is online again")

    # The timeout: EBUSY, reason=timeout, after about the time set.
    for bad in ("-1", "abc", "4294967296", ""):
        rc = vm.run(f"printf '%s' '{bad}' > {PARAMS}/offline_timeout_ms")[0]
        t.ok(rc != 0 or bad == "", f"offline_timeout_ms refuses {bad!r}")
    t.eq(param(vm), "0", "and keeps 0")
    vm.sh(f"echo 1500 > {PARAMS}/offline_timeout_ms")
    before = stats(vm)
    trace_on(vm)
    rc, secs, out = offline(vm, block)
    vm.sh(f"echo 0 > {PARAMS}/offline_timeout_ms")
    t.ok(rc != 0 and "busy" in out, "with offline_timeout_ms=1500 the offline fails: EBUSY",
         diag=out)
    t.ok(1.4 <= secs < 60, f"after about 1.5 s ({secs:.1f} s)")
    f = failure(vm, block)
    same(t, (f.get("errno"), f.get("reason"), f.get("page")), ("EBUSY", "timeout", "user"),
         "offline_failure: errno=EBUSY reason=timeout page=user", diag=str(f))
    t.ok(in_block(vm, block, f.get("pfn")), "its pfn is in the block", diag=str(f))
    lines = trace_lines(vm, "mhp_offline_fail")
    t.ok(any("reason=timeout" in line and "page=user" in line for line in lines),
         "mhp_offline_fail fired with reason=timeout page=user", diag="\n".join(lines[-5:]))
    s = stats(vm)
    t.eq(s["offline_failed_timeout"], before["offline_failed_timeout"] + 1,
         "offline_failed_timeout moved by one")
    t.ok(s["pages_migration_failed"] > before["pages_migration_failed"],
         "pages_migration_failed counts the held page's failed migrations")
    t.eq(vm.read(f"{MEM}/memory{block}/state"), "online", "the block is online again")

    # Let go of the page: the offline works and the file is empty again.
    release_page(vm)
    before = stats(vm)
    trace_on(vm)
    rc, _, out = offline(vm, block)
    same(t, rc, 0, f"once the page is free memory{block} offlines", diag=out)
    t.eq(vm.read(f"{MEM}/memory{block}/offline_failure"), "",
         "a successful offline empties offline_failure")
    lines = trace_lines(vm, "mhp_offline_end")
    t.ok(any("ret=0" in line and "duration_ns=" in line for line in lines),
         "mhp_offline_end fired with ret=0 and a duration", diag="\n".join(lines[-5:]))
    t.eq(stats(vm)["blocks_offlined"], before["blocks_offlined"] + 1,
         "blocks_offlined moved by one")
    before = stats(vm)
    t.eq(online(vm, [block], "online_movable"), [], "it onlines again")
    t.eq(stats(vm)["blocks_onlined"], before["blocks_onlined"] + 1,
         "blocks_onlined moved by one")


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
    before = stats(vm)
    vm.sh(f"echo -16 > {INJ}")
    trace_on(vm)
    rc, _, out = offline(vm, block)
    vm.sh(f"echo 0 > {INJ}")
    t.ok(rc != 0 and "busy" in out, "with MEM_GOING_OFFLINE failing -16 the offline fails",
         diag=out)
    f = failure(vm, block)
    # A name needs CONFIG_KALLSYMS (the debug kernels); never an address.
    name = ("notifier_err_inject_callback" if vm.run("test -e /proc/kallsyms")[0] == 0
            else "?")
    same(t, (f.get("errno"), f.get("reason"), f.get("notifier")),
         ("EBUSY", "notifier", name),
         "offline_failure names the notifier", diag=str(f))
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
    before = stats(vm)
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
             f"memory{b}: offline_failure says errno=EBUSY reason=unmovable", diag=str(f))
        t.ok(in_block(vm, b, f.get("pfn")), f"memory{b}: its pfn is in the block", diag=str(f))
        pfn = int(f.get("pfn", "0"), 16)
        flags = int(vm.sh(f"dd if=/proc/kpageflags bs=8 skip={pfn} count=1 2>/dev/null"
                          " | od -An -tu8").strip() or 0)
        t.ok(kind_agrees(f.get("page"), flags),
             f"memory{b}: page={f.get('page')} agrees with /proc/kpageflags ({flags:#x})")
        # After kpageflags: the reader is a new process, whose page
        # tables could take the named page if it was freed meanwhile.
        hides_pfn(t, vm, b, f, f"memory{b}")
        kinds[f.get("page")] = kinds.get(f.get("page"), 0) + 1
        t.eq(vm.read(f"{MEM}/memory{b}/state"), "online", f"memory{b} stays online")
    t.note(f"pages named: {kinds}")
    t.eq(stats(vm)["offline_failed_unmovable"],
         before["offline_failed_unmovable"] + len(refused),
         "offline_failed_unmovable moved by one per refusal")
    unpin(vm)
    vm.run("rm -rf /tmp/slab")
    sane(vm, t)
