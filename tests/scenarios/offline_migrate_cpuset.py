"""An offline migrates where the offlining task's cpuset lets it allocate.
6.12 migrates in the task that writes "offline", so the target pages come
only from the nodes of its cpuset.mems; ours shares the migration among
helper kworkers, which have no cpuset of their own, so it must give them
the offlining task's nodes.

A guest with three NUMA nodes (boot memory on each, CPUs on node 0), a
512 MiB pc-dimm on node 2 onlined movable, and a process in a cgroup with
cpuset.mems=2 whose 256 MiB of memory is in that DIMM. A shell in a cgroup
with cpuset.mems=0 offlines every block of the DIMM: each goes offline,
/proc/PID/numa_maps of the process shows its pages on node 0 and none on
node 1, node 1's meminfo did not grow by the data, the process reads back
every word it wrote, and the DIMM ejects. Then the same with
cpuset.mems=1, the data on node 1 and none on node 0, so that a kernel
whose fallback order happens to prefer one node cannot pass both. On a
kernel with migration helpers (ours, 2 CPUs) the workqueue trace must show
them at work, or their allocations would have gone untested."""

import os
import re

import vm as vmlib
from guest import (MEM, block_table, blocks, fill_start, fill_verify, meminfo, online, plug,
                   sane, set_auto_online, unplug, zone_free)

VM = dict(mem="2G", numa=["1G", "512M", "512M"], smp=2)

CG = "/sys/fs/cgroup"
DATA_NODE = 2           # the DIMM's node, where the process's memory is
FILL_MIB = 256
SLACK_KB = 32 << 10     # what a node's MemUsed may grow by meanwhile
TRACE = "/sys/kernel/tracing"
EVENT = f"{TRACE}/events/workqueue/workqueue_execute_start"


def cpusets(vm, t, groups):
    """Mount cgroup2 if needed, enable the cpuset controller and make one
    child cgroup per {name: mems} of groups, on every CPU."""
    script = [f"mountpoint -q {CG} || mount -t cgroup2 none {CG} || exit 1",
              f"grep -qw cpuset {CG}/cgroup.controllers || {{ echo NO CPUSET; exit 1; }}",
              f"echo +cpuset > {CG}/cgroup.subtree_control || exit 1"]
    for name, mems in groups.items():
        script += [f"mkdir -p {CG}/{name}",
                   f"cat {CG}/cpuset.cpus.effective > {CG}/{name}/cpuset.cpus || exit 1",
                   f"echo {mems} > {CG}/{name}/cpuset.mems || exit 1",
                   f"echo {name} $(cat {CG}/{name}/cpuset.mems.effective)"]
    rc, out = vm.run("\n".join(script))
    got = dict(line.split(" ", 1) for line in out.splitlines() if line.split(" ")[0] in groups)
    t.require(rc == 0 and got == {n: str(m) for n, m in groups.items()},
              "cgroup2 with cpuset: " + ", ".join(f"{n} has cpuset.mems={m}"
                                                 for n, m in groups.items()),
              diag=out)


def drop_cpusets(vm, groups):
    vm.run("".join(f"rmdir {CG}/{name} 2>/dev/null\n" for name in groups))


def numa_pages(vm, pid):
    """{node: pages} of the process's biggest mapping (the data), from
    /proc/PID/numa_maps."""
    best = {}
    for line in vm.sh(f"cat /proc/{pid}/numa_maps").splitlines():
        nodes = {int(n): int(p) for n, p in re.findall(r"\bN(\d+)=(\d+)", line)}
        if sum(nodes.values()) > sum(best.values()):
            best = nodes
    return best


def helper_names(vm):
    """How the workqueue trace names ours's migration helper: its name, or
    without kallsyms its System.map address; empty for a kernel that has
    none (the reference migrates in the offlining task alone)."""
    with open(os.path.join(vmlib.BUILD, "kernel", vm.kernel, "System.map")) as f:
        for line in f:
            addr, _, name = line.split()[:3]
            if name == "mhp_migrate_work":
                return {name, f"0x{addr}"}
    return set()


def helper_runs(vm):
    """Runs of the migration helper since the trace was turned on."""
    vm.sh(f"echo 0 > {EVENT}/enable")
    names = helper_names(vm)
    return sum(1 for m in re.finditer(r"function (\S+)", vm.sh(f"cat {TRACE}/trace"))
               if m.group(1) in names)


def used_kb(vm, node):
    """MemUsed of a node, kB."""
    return meminfo(vm, node)["MemUsed"]


def offline_from_cpuset(vm, t, mems):
    """Plug, fill, offline from a cgroup with cpuset.mems=mems, check."""
    other = ({0, 1} - {mems}).pop()
    where = f"cpuset.mems={mems}"
    groups = {"mhp-data": DATA_NODE, "mhp-offline": mems}
    cpusets(vm, t, groups)

    set_auto_online(vm, "offline")
    dev, ids = plug(vm, "512M", node=DATA_NODE)
    t.require(ids and not online(vm, ids, "online_movable"),
              f"{where}: a 512 MiB DIMM on node {DATA_NODE} onlines to ZONE_MOVABLE")
    table = block_table(vm, ids)
    t.require({n for _, _, n in table.values()} == {DATA_NODE},
              f"{where}: its blocks are on node {DATA_NODE}", diag=str(table))

    free0 = zone_free(vm, "Movable", DATA_NODE)
    pid = fill_start(vm, FILL_MIB, f"{CG}/mhp-data")
    t.require(pid, f"{where}: a process with cpuset.mems={DATA_NODE} fills {FILL_MIB} MiB",
              diag=vm.read("/tmp/fill.out"))
    t.require(vm.run(f"test -r /proc/{pid}/numa_maps")[0] == 0,
              "/proc/PID/numa_maps is there (CONFIG_NUMA)")
    pages = FILL_MIB * 256
    in_dimm = free0 - zone_free(vm, "Movable", DATA_NODE)
    before = numa_pages(vm, pid)
    t.require(before.get(DATA_NODE, 0) >= pages and in_dimm >= pages * 9 // 10,
              f"{where}: its memory is on node {DATA_NODE}, nearly all in the DIMM",
              diag=f"numa_maps {before}; the DIMM's zone holds {in_dimm} more pages "
                   f"of the {pages} filled")

    used0 = {n: used_kb(vm, n) for n in (0, 1)}
    vm.run(f"mountpoint -q {TRACE} || mount -t tracefs nodev {TRACE}")
    vm.sh(f"echo 0 > {EVENT}/enable; echo > {TRACE}/trace; echo 1 > {EVENT}/enable")
    script = "".join(f"echo offline > {MEM}/memory{i}/state "
                     f"|| echo FAIL {i}\n" for i in ids)
    rc, out = vm.run(f"bash -c 'echo $$ > {CG}/mhp-offline/cgroup.procs || exit 9\n"
                     f"echo IN $(cat /proc/self/cgroup)\n{script}'", timeout=900)
    t.ok(rc == 0 and "IN 0::/mhp-offline" in out,
         f"{where}: the offlining shell runs in the cgroup", diag=out)
    states = {i: s for i, s in blocks(vm).items() if i in ids}
    t.ok("FAIL" not in out and set(states.values()) == {"offline"},
         f"{where}: every block of the DIMM goes offline", diag=f"{out}\n{states}")
    runs = helper_runs(vm)
    if helper_names(vm):
        # Else the helpers' allocations, the ones at stake, went untested.
        t.ok(runs > 0, f"{where}: migration helpers took part (workqueue trace)",
             diag=f"{runs} runs of mhp_migrate_work")
    else:
        t.note(f"{where}: this kernel has no migration helpers")

    after = numa_pages(vm, pid)
    t.eq(after.get(other, 0), 0, f"{where}: none of the process's pages is on node {other}")
    t.ok(after.get(mems, 0) >= pages * 9 // 10,
         f"{where}: its pages are on node {mems} now",
         diag=f"numa_maps before {before}, after {after}")
    used1 = {n: used_kb(vm, n) for n in (0, 1)}
    t.ok(used1[other] - used0[other] <= SLACK_KB,
         f"{where}: node {other}'s MemUsed did not grow by the data",
         diag=f"MemUsed kB before {used0}, after {used1}")
    t.note(f"{where}: numa_maps {before} -> {after}; MemUsed kB {used0} -> {used1}")

    out = fill_verify(vm)
    t.ok("VERIFIED" in out, f"{where}: the process reads back every word it wrote", diag=out)
    t.ok(unplug(vm, dev, ids, 120), f"{where}: the DIMM ejects")
    drop_cpusets(vm, groups)
    sane(vm, t, f"{where}: the guest ends sane")


def test_offline_from_cpuset_mems_0(vm, t):
    offline_from_cpuset(vm, t, 0)


def test_offline_from_cpuset_mems_1(vm, t):
    offline_from_cpuset(vm, t, 1)
