"""A failed offline is routine (virtio-mem and ACPI eject retry, so may an
administrator's loop): it must not flood the kernel log. A thousand
refused offlines of a block that holds unmovable kernel pages add a few
lines to dmesg at most, where one line (or a page dump) per attempt would
add a thousand. The reference kernel dumps the offending page on every
attempt, so this is ours only."""

from guest import MEM, online, pin_unmovable, plug, unpin

REQUIRES = "ours"
WHY = "the reference kernel logs a page dump per failed offline"

VM = dict(mem="2G")

ATTEMPTS = 1000


def test_refused_offlines_stay_quiet(vm, t):
    vm.sh(f"echo offline > {MEM}/auto_online_blocks")
    _, ids = plug(vm, "512M")
    t.eq(online(vm, ids, "online_kernel"), [], "the DIMM's blocks online to ZONE_NORMAL")
    # Boot memory is all DMA32 here: unmovable kernel pages now come from
    # the DIMM.
    t.ok(pin_unmovable(vm, 256), "a process holds 256 MiB of pipe buffers")
    rc, out = vm.run(
        f"for b in {' '.join(map(str, ids))}; do "
        f"  echo offline > {MEM}/memory$b/state 2>/dev/null || {{ echo $b; break; }}; done")
    busy = [int(w) for w in out.split()]
    t.ok(busy, "one of the DIMM's blocks holds unmovable pages and refuses offline",
         diag=out)
    if not busy:
        unpin(vm)
        return
    block = busy[0]
    script = (f"n0=$(dmesg | wc -l); fails=0; "
              f"for i in $(seq {ATTEMPTS}); do "
              f"  echo offline > {MEM}/memory{block}/state 2>/dev/null || fails=$((fails+1)); "
              f"done; echo $fails $(( $(dmesg | wc -l) - n0 ))")
    rc, out = vm.run(script, timeout=600)
    fails, lines = (int(w) for w in out.split()[-2:])
    t.eq(fails, ATTEMPTS, f"all {ATTEMPTS} offline attempts are refused")
    t.ok(lines <= 8, f"they add at most 8 lines to the kernel log (added {lines})",
         diag=vm.sh("dmesg | tail -20"))
    t.eq(vm.read(f"{MEM}/memory{block}/state"), "online", "the block stays online")
    # The DIMM stays: kernel memory in ZONE_NORMAL (slab, page tables)
    # lands on it as soon as it is online, so it may never offline again.
    unpin(vm)
