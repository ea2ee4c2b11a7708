"""Helpers stay off isolated CPUs: on a 4-CPU guest booted with
isolcpus=2,3, the work items that initialize and free the memmap of a
DIMM added and onlined at once, those that migrate an offline's pages and
those that write the memmap of a range onlined later all run on CPUs 0-1,
as the workqueue:workqueue_execute_start tracepoint shows; CPUs 2-3 run
none of them, and the memory behaves as everywhere else. Each kind of
helper has a parameter of its own (init_threads, free_threads,
prefault_threads, migrate_threads): 1 in one of them stops that kind only."""

import os
import re

import vm as vmlib
from guest import (PARAMS, blocks, check_cpu_count_param, meminfo, online, plug, sane,
                   set_auto_online, settle, wait_for)

REQUIRES = "ours"
WHY = "the parallel helpers and their *_threads parameters are new in ours"

VM = dict(mem="2G", smp=4, append="isolcpus=2,3")

TRACE = "/sys/kernel/tracing"
EVENT = f"{TRACE}/events/workqueue/workqueue_execute_start"
HELPERS = ("mhp_job_work", "mhp_migrate_work", "mhp_prefault_work")


def trace_on(vm):
    vm.run(f"mountpoint -q {TRACE} || mount -t tracefs nodev {TRACE}")
    vm.sh(f"echo 0 > {EVENT}/enable; echo > {TRACE}/trace; echo 1 > {EVENT}/enable")


def helper_names(vm):
    """{address or name as the trace prints it: helper function}: without
    kallsyms the trace prints addresses, which System.map names."""
    names = {h: h for h in HELPERS}
    with open(os.path.join(vmlib.BUILD, "kernel", vm.kernel, "System.map")) as f:
        for line in f:
            addr, _, name = line.split()[:3]
            if name in HELPERS:
                names[f"0x{addr}"] = name
    return names


def helper_cpus(vm):
    """{helper function: set of CPUs it ran on} since trace_on()."""
    vm.sh(f"echo 0 > {EVENT}/enable")
    names = helper_names(vm)
    seen = {}
    for line in vm.sh(f"cat {TRACE}/trace", timeout=120).splitlines():
        m = re.search(r"\[(\d+)\].*function (\w+)", line)
        if m and m.group(2) in names:
            seen.setdefault(names[m.group(2)], set()).add(int(m.group(1)))
    return seen


def test_isolated(vm, t):
    t.eq(vm.read("/sys/devices/system/cpu/isolated"), "2-3", "CPUs 2-3 are isolated")
    t.eq(vm.read("/sys/devices/system/cpu/online"), "0-3", "all four CPUs are online")


def test_add_online_and_offline(vm, t):
    trace_on(vm)
    set_auto_online(vm, "online_movable")
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "2G")
    states = settle(vm, ids)
    t.ok(ids and all(s == "online" for s in states.values()),
         "a 2 GiB DIMM onlines movable", diag=str(states))
    t.eq(meminfo(vm)["MemTotal"] - total0, 2 << 20, "MemTotal grew by 2 GiB")
    # Anonymous memory goes to ZONE_MOVABLE first: the DIMM.
    vm.sh("python3 -c 'import signal; b = bytearray(b\"\\xa5\") * (1200 << 20); "
          "print(\"READY\", flush=True); signal.pause()' > /tmp/hold.out 2>&1 & "
          "echo $! > /tmp/hold.pid")
    t.require(wait_for(lambda: "READY" in vm.read("/tmp/hold.out"), 300),
              "a process holds 1200 MiB")
    t.eq(online(vm, ids, "offline"), [], "each block of the DIMM offlines (its pages migrate)")
    rc, _ = vm.run("kill -0 $(cat /tmp/hold.pid) && kill $(cat /tmp/hold.pid)")
    t.eq(rc, 0, "the holding process lived through it")
    seen = helper_cpus(vm)
    t.note(f"helpers ran on: { {k: sorted(v) for k, v in seen.items()} }")
    t.ok("mhp_job_work" in seen, "memmap helpers ran", diag=str(seen))
    t.ok("mhp_migrate_work" in seen, "migration helpers ran", diag=str(seen))
    t.eq(set().union(*seen.values()) & {2, 3} if seen else set(), set(),
         "no helper ran on CPU 2 or 3")
    t.ok(vm.remove_dimm(dev, 120) and wait_for(lambda: not set(ids) & set(blocks(vm)), 60),
         "the DIMM ejects")
    set_auto_online(vm, "offline")
    sane(vm, t)


def test_onlined_later(vm, t):
    trace_on(vm)
    set_auto_online(vm, "offline")
    dev, ids = plug(vm, "2G")
    t.eq(online(vm, ids[:1], "online_movable"), [], "the first block of a 2 GiB DIMM onlines")
    t.eq(online(vm, ids[1:], "online_movable"), [], "then the others")
    seen = helper_cpus(vm)
    t.note(f"helpers ran on: { {k: sorted(v) for k, v in seen.items()} }")
    t.ok("mhp_prefault_work" in seen, "memmap writers ran", diag=str(seen))
    t.eq(set().union(*seen.values()) & {2, 3} if seen else set(), set(),
         "no helper ran on CPU 2 or 3")
    t.eq(online(vm, ids, "offline"), [], "each block offlines")
    t.ok(vm.remove_dimm(dev, 120) and wait_for(lambda: not set(ids) & set(blocks(vm)), 60),
         "the DIMM ejects")
    sane(vm, t)


def test_parameters(vm, t):
    for name in ("init_threads", "free_threads", "prefault_threads", "migrate_threads"):
        check_cpu_count_param(vm, t, name)


def test_one_parameter_each(vm, t):
    # Blocks onlined by hand: prefault workers write the memmap ahead
    # (prefault_threads), each block's pages are freed by job helpers
    # (free_threads). Turning one kind off leaves the other running.
    set_auto_online(vm, "offline")
    for off, gone, kept in (("prefault_threads", "mhp_prefault_work", "mhp_job_work"),
                            ("free_threads", "mhp_job_work", "mhp_prefault_work")):
        vm.write(f"{PARAMS}/{off}", "1")
        trace_on(vm)
        dev, ids = plug(vm, "2G")
        t.eq(online(vm, ids, "online_movable"), [], f"{off}=1: each block of a 2 GiB DIMM onlines")
        seen = helper_cpus(vm)
        t.ok(gone not in seen and kept in seen,
             f"{off}=1: no {gone} ran, {kept} still did", diag=str(seen))
        vm.write(f"{PARAMS}/{off}", "0")
        t.eq(online(vm, ids, "offline"), [], f"{off}=1: each block offlines")
        t.ok(vm.remove_dimm(dev, 120) and wait_for(lambda: not set(ids) & set(blocks(vm)), 60),
             f"{off}=1: the DIMM ejects")
    sane(vm, t)
