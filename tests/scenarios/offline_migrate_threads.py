"""memory_hotplug.migrate_threads: an offline that has more than 16 MiB to
migrate shares the migration among CPUs. Users see the parameter and the
time; so each test checks what an offline of a block full of a process's
memory must leave, on every CPU and on one: each block offline, the
process reads back every word it wrote, /proc/vmstat counts at least
the pages that had to move (memory_offline_pgmigrate_success), MemTotal
shrank by the DIMM and it ejects. The workqueue's trace events show
whether the helpers ran: on a 2-CPU guest with the default they must,
with migrate_threads=1 they must not."""

import os
import subprocess

import vm as vmlib
from guest import (MEM, PARAMS, check_cpu_count_param, meminfo, plug, sane, set_auto_online,
                   settle, unplug)

REQUIRES = "ours"
WHY = "memory_hotplug.migrate_threads is new in ours"

VM = dict(mem="2G", smp=2)

TRACE = "/sys/kernel/tracing"
FILL_MIB = 256


def build_fill():
    """harness/bench/fill.c, compiled on the host (the guest runs its libc)."""
    src = os.path.join(vmlib.TOP, "harness", "bench", "fill.c")
    out_dir = os.path.join(vmlib.BUILD, "bench")
    exe = os.path.join(out_dir, "fill")
    os.makedirs(out_dir, exist_ok=True)
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        subprocess.run(["gcc", "-O2", "-Wall", "-o", exe + ".part", src], check=True)
        os.rename(exe + ".part", exe)
    return exe


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


def migrated(vm):
    """Pages offlining migrated, as /proc/vmstat counts them."""
    for line in vm.read("/proc/vmstat").splitlines():
        name, value = line.split()
        if name == "memory_offline_pgmigrate_success":
            return int(value)
    raise AssertionError("no memory_offline_pgmigrate_success in /proc/vmstat")


def offline_filled_dimm(vm, t, what):
    """Plug a 1 GiB DIMM onlined movable, fill FILL_MIB of it with a
    process's memory, offline its blocks one by one with the workqueue's
    trace events on; check what the user sees; return how many times the
    migration helper ran."""
    fill = build_fill()
    set_auto_online(vm, "online_movable")
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "1G")
    states = settle(vm, ids)
    t.ok(ids and all(s == "online" for s in states.values()),
         f"{what}: the DIMM's 8 blocks are online", diag=str(states))
    set_auto_online(vm, "offline")
    # Movable user memory comes from ZONE_MOVABLE first: the new DIMM.
    vm.sh(f"{fill} {FILL_MIB} >/tmp/fill.out 2>&1 & echo $! >/tmp/fill.pid; "
          "until grep -q READY /tmp/fill.out; do sleep 0.5; "
          "kill -0 $(cat /tmp/fill.pid) || exit 1; done", timeout=600)
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
    out = vm.sh("kill -USR1 $(cat /tmp/fill.pid); "
                "while kill -0 $(cat /tmp/fill.pid) 2>/dev/null; do sleep 0.5; done; "
                "cat /tmp/fill.out", timeout=600)
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
