"""memory_hotplug.migrate_threads: an offline that has more than 16 MiB to
migrate shares the migration among CPUs. Users see the parameter and the
time; so each test checks what an offline of a block full of a process's
memory must leave, on every CPU and on one: each block offline, the
process reads back every word it wrote, /proc/vmstat counts at least
the pages that had to move (memory_offline_pgmigrate_success), MemTotal
shrank by the DIMM and it ejects. The workqueue's trace events show
whether the helpers ran: on a 2-CPU guest with the default they must,
with migrate_threads=1 they must not.

memory_hotplug.offline_timeout_ms is looked at before every 16 MiB chunk
is claimed, not once per round over the whole block: with a timeout of a
few milliseconds an offline of a nearly full ZONE_MOVABLE block gives up
(EBUSY, offline_failure: timeout) having migrated no more than the
chunks the migrating CPUs had in hand, where a check per round let the
first round migrate the whole block and then succeed. With the timeout
back at 0 the same block goes offline and the process keeps every byte."""

import os
import re

import vm as vmlib
from guest import (MEM, PARAMS, block_size, check_cpu_count_param, fill_start, fill_verify,
                   meminfo, online, plug, sane, set_auto_online, settle, unplug, zone_free,
                   zone_pages)

REQUIRES = "ours"
WHY = "memory_hotplug.migrate_threads is new in ours"

VM = dict(mem="2G", smp=2)

TRACE = "/sys/kernel/tracing"
FILL_MIB = 256
CHUNK = 4096            # pages a migrating CPU claims at a time (16 MiB)
MAX_THREADS = 8         # most CPUs an offline migrates on


def helper_address(vm):
    """mhp_migrate_work's address, as the guest's trace prints it when the
    kernel has no kallsyms (the normal build; the debug one prints the
    name): the kernels are not relocatable, so it is the System.map's."""
    with open(os.path.join(vmlib.BUILD, "kernel", vm.kernel, "System.map")) as f:
        for line in f:
            addr, _, name = line.split()
            if name == "mhp_migrate_work":
                return "0x" + addr
    raise AssertionError(f"no mhp_migrate_work in the System.map of {vm.kernel}")


def stats(vm):
    """The memory hotplug counters of /proc/vmstat as {counter: value}."""
    return {k: int(v) for k, v in (line.split() for line in
                                   vm.read("/proc/vmstat").splitlines())
            if k.startswith("memory_")}


def migrated(vm):
    """Pages offlining migrated, as /proc/vmstat counts them."""
    s = stats(vm)
    if "memory_offline_pgmigrate_success" not in s:
        raise AssertionError("no memory_offline_pgmigrate_success in /proc/vmstat")
    return s["memory_offline_pgmigrate_success"]


def offline_filled_dimm(vm, t, what):
    """Plug a 1 GiB DIMM onlined movable, fill FILL_MIB of it with a
    process's memory, offline its blocks one by one with the workqueue's
    trace events on; check what the user sees; return how many times the
    migration helper ran."""
    set_auto_online(vm, "online_movable")
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "1G")
    states = settle(vm, ids)
    t.ok(ids and all(s == "online" for s in states.values()),
         f"{what}: the DIMM's 8 blocks are online", diag=str(states))
    set_auto_online(vm, "offline")
    # Movable user memory comes from ZONE_MOVABLE first: the new DIMM.
    t.require(fill_start(vm, FILL_MIB), f"{what}: a process fills {FILL_MIB} MiB",
              diag=vm.read("/tmp/fill.out"))
    moved0 = migrated(vm)
    vm.run(f"mountpoint -q {TRACE} || mount -t tracefs nodev {TRACE}")
    vm.sh(f"echo > {TRACE}/trace; echo 1 > {TRACE}/events/workqueue/workqueue_execute_start/enable")
    failed = []
    for i in ids:
        rc, out = vm.write(f"{MEM}/memory{i}/state", "offline")
        if rc:
            failed.append(f"memory{i}: {out.strip()}")
    vm.sh(f"echo 0 > {TRACE}/events/workqueue/workqueue_execute_start/enable")
    helpers = int(vm.sh(f"grep -Ec 'function ({helper_address(vm)}|mhp_migrate_work)$' "
                        f"{TRACE}/trace || true"))
    t.eq(failed, [], f"{what}: every block of the filled DIMM goes offline")
    moved = migrated(vm) - moved0
    t.ok(moved >= FILL_MIB * 256 * 9 // 10,
         f"{what}: /proc/vmstat counts the filled pages as migrated",
         diag=f"memory_offline_pgmigrate_success grew by {moved}, "
              f"{FILL_MIB * 256} pages were filled")
    out = fill_verify(vm)
    t.ok("VERIFIED" in out, f"{what}: the process reads back every word it wrote",
         diag=out)
    t.eq(meminfo(vm)["MemTotal"], total0, f"{what}: MemTotal is back to what it was")
    t.ok(unplug(vm, dev, ids, 120), f"{what}: the DIMM ejects")
    return helpers


def test_parameter(vm, t):
    check_cpu_count_param(vm, t, "migrate_threads")


def test_every_cpu(vm, t):
    helpers = offline_filled_dimm(vm, t, "migrate_threads=0")
    t.ok(helpers > 0, "migrate_threads=0: a migration helper ran on the workqueue",
         diag=f"{helpers} runs of mhp_migrate_work")
    sane(vm, t)


def test_one_cpu(vm, t):
    vm.write(f"{PARAMS}/migrate_threads", "1")
    helpers = offline_filled_dimm(vm, t, "migrate_threads=1")
    vm.write(f"{PARAMS}/migrate_threads", "0")
    t.eq(helpers, 0, "migrate_threads=1: no migration helper ran")
    sane(vm, t)


def offline_timed(vm, block):
    """Write offline to the block's state as a user would; return (exit
    status, milliseconds, what bash said)."""
    rc, out = vm.run(f"s=$(date +%s%N); bash -c 'echo offline > {MEM}/memory{block}/state' 2>&1;"
                     " rc=$?; echo; echo RC $rc $(( ($(date +%s%N) - s) / 1000000 ))",
                     timeout=600)
    m = re.search(r"RC (\d+) (\d+)", out)
    return int(m.group(1)), int(m.group(2)), out[:m.start()].strip()


def test_timeout_per_chunk(vm, t):
    """A 256 MiB DIMM onlined movable, nearly full of a process's memory;
    offline its first block with offline_timeout_ms set. The deadline runs
    from the write, and the isolation before the migration takes a few
    jiffies of it under TCG: an attempt that ran out of time before it
    migrated anything says nothing, so the timeout starts at 1 ms and
    doubles until an attempt migrates. That attempt must still fail with
    EBUSY, reason=timeout, having migrated at most two chunks per
    migrating CPU, and leave the block online; then with the timeout at 0
    the block goes offline and the process reads back every word."""
    set_auto_online(vm, "offline")
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "256M")
    t.require(ids and not online(vm, ids, "online_movable"),
              "a 256 MiB DIMM onlines to ZONE_MOVABLE")
    per = block_size(vm) // 4096
    _, managed = zone_pages(vm, "Movable")
    free0 = zone_free(vm, "Movable")
    t.require(fill_start(vm, 224), "a process fills 224 MiB", diag=vm.read("/tmp/fill.out"))
    used = free0 - zone_free(vm, "Movable")
    t.require(used >= managed * 8 // 10,
              "its memory takes most of ZONE_MOVABLE, the DIMM",
              diag=f"{used} of {managed} pages")
    block = ids[0]
    cpus = min(int(vm.sh("nproc")), MAX_THREADS)
    bound = cpus * 2 * CHUNK
    failed0 = stats(vm)["memory_offline_fail_timeout"]

    tries = []
    for ms in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024):
        vm.sh(f"echo {ms} > {PARAMS}/offline_timeout_ms")
        before = migrated(vm)
        rc, took, out = offline_timed(vm, block)
        grew = migrated(vm) - before
        f = vm.read(f"{MEM}/memory{block}/offline_failure")
        tries.append(f"offline_timeout_ms={ms}: exit {rc} after {took} ms, migrated "
                     f"+{grew}, {out or 'no message'}, offline_failure '{f}'")
        if rc == 0 or grew:
            break
    vm.sh(f"echo 0 > {PARAMS}/offline_timeout_ms")
    t.note("\n".join(tries))
    t.ok(grew > 0, "an attempt with a timeout migrated something before it ended",
         diag="\n".join(tries))
    t.ok(rc != 0 and "Device or resource busy" in out,
         f"offline_timeout_ms={ms}: offlining memory{block} fails with EBUSY",
         diag=tries[-1])
    t.eq(f, "timeout", "offline_failure says timeout")
    t.ok(grew <= bound,
         f"it migrated at most {cpus} CPUs x 2 chunks of {CHUNK} pages ({bound}) of the block",
         diag=f"migrated pages grew by {grew}; {tries[-1]}")
    t.eq(stats(vm)["memory_offline_fail_timeout"] - failed0, len(tries),
         f"memory_offline_fail_timeout counts the {len(tries)} attempts as timed out")
    t.eq(vm.read(f"{MEM}/memory{block}/state"), "online", "the block is online again")

    # No timeout: the same block goes offline and keeps the data.
    t.eq(vm.read(f"{PARAMS}/offline_timeout_ms"), "0", "offline_timeout_ms is back to 0")
    before = migrated(vm)
    rc, took, out = (offline_timed(vm, block) if vm.read(f"{MEM}/memory{block}/state") == "online"
                     else (0, 0, "it was offline already"))
    rest = migrated(vm) - before
    t.ok(rc == 0 and vm.read(f"{MEM}/memory{block}/state") == "offline",
         f"with offline_timeout_ms=0 memory{block} goes offline ({took} ms)", diag=out)
    t.eq(vm.read(f"{MEM}/memory{block}/offline_failure"), "",
         "offline_failure is empty again")
    t.ok(grew + rest > bound,
         f"the block held more than that: {grew} + {rest} of its {per} pages migrated in all")
    out = fill_verify(vm)
    t.ok("VERIFIED" in out, "the process reads back every word it wrote", diag=out)
    t.ok(unplug(vm, dev, ids, 120), "the DIMM ejects")
    t.eq(meminfo(vm)["MemTotal"], total0, "MemTotal is back to what it was")
    sane(vm, t)
