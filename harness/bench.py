#!/usr/bin/env python3
"""make bench: the same memory hot(un)plug workloads on our kernel and on the
reference (upstream) kernel, alternating ours/upstream runs so that machine
noise hits both alike. Prints per workload the median time of each kernel,
the ratio ours/upstream (< 1 is faster) and the min-max spread, and writes
to build/bench/: results.json (every run's figures), results.md (the table,
with the commit and machine it came from) and results.svg (the scale rows'
chart). make bench-snapshot copies the last two into docs/.

Times are taken inside the guest with the monotonic clock around the
operation itself (the sysfs writes, or from just before the QMP command until
the guest shows the result), never around QEMU start-up; boot time is the
kernel's own timestamp of starting init.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vm as vmlib  # noqa: E402

MEM = "/sys/devices/system/memory"
BENCH = os.path.join(vmlib.BUILD, "bench")

# Guest-side helpers, sent with each watcher. now: monotonic nanoseconds.
# count_blocks STATE: how many memory blocks have that state ('-': any).
# Bash builtins only, apart from the one fork of $(...): a watcher polling
# while the kernel works must take as little of the guest's CPUs as it can.
GUEST_LIB = r"""
now() { date +%s%N; }
count_blocks() {
	local f s n=0
	for f in /sys/devices/system/memory/memory[0-9]*/state; do
		[ -e "$f" ] || continue
		if [ "$1" != - ]; then
			read -r s <"$f" 2>/dev/null || continue
			[ "$s" = "$1" ] || continue
		fi
		n=$((n + 1))
	done
	echo $n
}
"""


def guest_timer(vm, name, condition):
    """Start a guest watcher that records the time from now until condition
    (a bash test) holds; returns a function that waits for it and returns
    the seconds. The watcher has taken its start time when this returns, so
    the QMP command that follows is inside the measured span."""
    vm.sh(f"""rm -f /tmp/{name}.t0 /tmp/{name}.ns
cat >/tmp/{name}.sh <<'EOF'
{GUEST_LIB}
t0=$(now)
echo $t0 >/tmp/{name}.t0
until {condition}; do sleep 0.01; done
echo $(( $(now) - t0 )) >/tmp/{name}.ns
EOF
setsid bash /tmp/{name}.sh </dev/null >/dev/null 2>&1 &
until [ -s /tmp/{name}.t0 ]; do sleep 0.01; done""")

    def finish(timeout=600):
        out = vm.sh(f"for i in $(seq {timeout * 10}); do [ -s /tmp/{name}.ns ] && break; "
                    f"sleep 0.1; done; cat /tmp/{name}.ns", timeout=timeout + 30)
        return int(out.split()[-1]) / 1e9
    return finish


def timed(vm, script, timeout=900):
    """Seconds a guest script takes, measured in the guest."""
    out = vm.sh(f"t0=$(date +%s%N); {script}\nt1=$(date +%s%N); echo BENCH $((t1 - t0))",
                timeout=timeout)
    return int(re.search(r"BENCH (\d+)", out).group(1)) / 1e9


def memtotal_kb(vm):
    return int(vm.sh("awk '/^MemTotal/ {print $2}' /proc/meminfo"))


def kernel_cost(vm):
    """{MemTotal, MemFree, Slab, VmallocUsed, Percpu} in kB."""
    out = vm.sh("sync; echo 3 > /proc/sys/vm/drop_caches; "
                "grep -E '^(MemTotal|MemFree|Slab|VmallocUsed|Percpu):' /proc/meminfo")
    vals = {k: int(v.split()[0]) for k, v in (line.split(":") for line in out.splitlines())}
    return vals


def blocks_present(vm):
    return int(vm.sh(f"ls -d {MEM}/memory[0-9]* | wc -l"))


def dimm_cycle(vm, size, prefix, res):
    """Workloads 1-3 (and 8): add a DIMM with auto-online off, online each
    block movable, offline all and remove; then add again with auto-online
    on. Records seconds under prefix+name in res."""
    bsz = int(vm.read(f"{MEM}/block_size_bytes"), 16)
    nblocks = size // bsz
    vm.sh(f"echo offline > {MEM}/auto_online_blocks")
    base_blocks = blocks_present(vm)
    cost0 = kernel_cost(vm)

    done = guest_timer(vm, "add", f"[ $(count_blocks -) -ge {base_blocks + nblocks} ]")
    dimm = vm.add_dimm(size)
    res[prefix + "hot-add (blocks appear)"] = done()

    new = vm.sh(f"cd {MEM}; grep -lx offline memory*/state | cut -d/ -f1").split()
    res[prefix + "online_movable each block"] = timed(
        vm, "for b in " + " ".join(new) + f"; do echo online_movable > {MEM}/$b/state; done")
    cost1 = kernel_cost(vm)
    gib = size / vmlib.GiB
    used0 = cost0["MemTotal"] - cost0["MemFree"]
    used1 = cost1["MemTotal"] - cost1["MemFree"]
    # What the kernel spends per hot-added GiB: memory in use grows (memmap
    # from the old memory), or MemTotal grows by less (memmap_on_memory).
    res[prefix + "memory cost: kernel kB per GiB added"] = round(
        ((used1 - used0) + ((size >> 10) - (cost1["MemTotal"] - cost0["MemTotal"]))) / gib)
    if not prefix:
        for k in ("Slab", "VmallocUsed", "Percpu"):
            res[f"memory cost: {k} kB per GiB added"] = round((cost1[k] - cost0[k]) / gib)

    res[prefix + "offline each block (idle)"] = timed(
        vm, "for b in " + " ".join(new) + f"; do echo offline > {MEM}/$b/state; done")
    done = guest_timer(vm, "remove", f"[ $(count_blocks -) -le {base_blocks} ]")
    if not vm.remove_dimm(dimm, timeout=600):
        raise vmlib.VMError("the guest refused to eject an offline DIMM")
    res[prefix + "remove (blocks gone)"] = done()

    vm.sh(f"echo online_movable > {MEM}/auto_online_blocks")
    done = guest_timer(vm, "addon", f"[ $(count_blocks online) -ge {base_blocks + nblocks} ]")
    dimm = vm.add_dimm(size)
    res[prefix + "hot-add with auto-online, until all online"] = done()
    vm.sh(f"echo offline > {MEM}/auto_online_blocks")
    done = guest_timer(vm, "remove2", f"[ $(count_blocks -) -le {base_blocks} ]")
    if not vm.remove_dimm(dimm, timeout=600):
        raise vmlib.VMError("the guest refused to eject an idle online movable DIMM")
    res[prefix + "eject online movable DIMM (offline+remove)"] = done()


def block_names(vm):
    return set(vm.sh(f"cd {MEM} && ls -d memory[0-9]*").split())


def migrate(vm, size, res, filler):
    """Workload 4: offline online-movable memory that a process filled."""
    bsz = int(vm.read(f"{MEM}/block_size_bytes"), 16)
    vm.sh(f"echo online_movable > {MEM}/auto_online_blocks")
    before = block_names(vm)
    done = guest_timer(vm, "mig", f"[ $(count_blocks online) -ge {len(before) + size // bsz} ]")
    dimm = vm.add_dimm(size)
    done()
    new = sorted(block_names(vm) - before)
    vm.sh(f"echo offline > {MEM}/auto_online_blocks")
    fill = size * 3 // 4
    # Movable user memory comes from ZONE_MOVABLE first: the filler's data
    # lands on the new DIMM, and offlining it migrates the data away.
    vm.sh(f"{filler} {fill >> 20} >/tmp/fill.out 2>&1 & echo $! >/tmp/fill.pid; "
          "until grep -q READY /tmp/fill.out; do sleep 0.5; "
          "kill -0 $(cat /tmp/fill.pid) || exit 1; done", timeout=900)
    secs = timed(vm, "for b in " + " ".join(new)
                 + f"; do echo offline > {MEM}/$b/state || exit 1; done")
    res["offline 3/4-full movable memory"] = secs
    res["migration throughput (GiB/s)"] = round(fill / vmlib.GiB / secs, 3)
    out = vm.sh("kill -USR1 $(cat /tmp/fill.pid); "
                "while kill -0 $(cat /tmp/fill.pid) 2>/dev/null; do sleep 0.5; done; "
                "cat /tmp/fill.out", timeout=900)
    if "VERIFIED" not in out:
        raise vmlib.VMError(f"data not verified after migration: {out}")
    if not vm.remove_dimm(dimm, timeout=600):
        raise vmlib.VMError("the guest refused to eject the offlined DIMM")


def memset_bandwidth(vm, tool, mib=256):
    """Guest memset over a mib MiB buffer: (bandwidth in bytes/s, seconds
    the first pass took beyond a warm one), the latter being what writing
    memory the host has not given the guest yet costs the first time."""
    out = vm.sh(f"{tool} {mib}", timeout=300)
    bw = float(re.search(r"BYTES_PER_S (\S+)", out).group(1))
    first = float(re.search(r"FIRST_PASS_S (\S+)", out).group(1))
    return bw, first - (mib << 20) / bw


def build_tools():
    """Compile the guest helpers (same libc as the guest's root)."""
    os.makedirs(BENCH, exist_ok=True)
    src = os.path.join(HERE, "bench")
    for name in ("fill", "memset_bw"):
        out = os.path.join(BENCH, name)
        c = os.path.join(src, name + ".c")
        if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(c):
            subprocess.run(["gcc", "-O2", "-Wall", "-o", out, c], check=True)
    return os.path.join(BENCH, "fill"), os.path.join(BENCH, "memset_bw")


WORKLOADS = ("dimm", "migrate", "virtio-mem", "memmap-on-memory", "scale", "boot", "busy",
             "starved")

# MemAvailable (MiB) the starved workload tries, lowest first.
STARVED_GRID = (4, 8, 16, 32, 64, 128, 256, 512, 1024)


def scale_row(size):
    return f"first hot-add with auto-online, {size}, until all online"


def scale_per_gib_row(size):
    return f"first hot-add with auto-online, {size}: s per GiB"


def scale(kernel, args, tools, res):
    """Workload 6: in a fresh guest, the first DIMM of each size, onlined
    movable by the kernel (auto_online_blocks): how the time grows with
    size. A fresh guest per size, so that each add writes a memmap the
    host has never given the guest (what a VM's first hot-add does)."""
    for size in args.scale.split(","):
        nbytes = vmlib.parse_size(size)
        vm = vmlib.VM(kernel=kernel, name=f"bench-{kernel}-scale", mem=args.boot_mem,
                      maxmem="256G", slots=4)
        vm.start()
        try:
            base = len(block_names(vm))
            bsz = int(vm.read(f"{MEM}/block_size_bytes"), 16)
            vm.sh(f"echo online_movable > {MEM}/auto_online_blocks")
            done = guest_timer(vm, "scale",
                               f"[ $(count_blocks online) -ge {base + nbytes // bsz} ]")
            # Larger than this host's memory: QEMU must not reserve it.
            vm.add_dimm(size, reserve=False)
            secs = done()
            res[scale_row(size)] = secs
            res[scale_per_gib_row(size)] = round(secs / (nbytes / vmlib.GiB), 4)
            # The floor of memory the host has not given the guest yet:
            # write as much as the add's memmap (64 bytes per 4 KiB page)
            # for the first time. User memory now comes from the new
            # movable blocks, as untouched as the memmap's was.
            mib = max(1, nbytes // 4096 * 64 >> 20)
            _, cold = memset_bandwidth(vm, tools[1], mib)
            row = f"first hot-add with auto-online, {size}"
            res[f"{row}: cold memmap write floor (s)"] = round(cold, 4)
            res[f"{row}: time / cold memmap write floor"] = round(secs / cold, 3) if cold > 0 else 0
        finally:
            vm.poweroff()


def write_svg(table, kernels, sizes, path):
    """A line chart of seconds per GiB by DIMM size (the scale rows'
    medians), one line per kernel, as plain SVG."""
    rows = {r["workload"]: r for r in table}
    pts = {k: [(size, rows[scale_per_gib_row(size)][k]["median"]) for size in sizes
               if scale_per_gib_row(size) in rows] for k in kernels}
    if not any(pts.values()):
        return False
    top = max(v for p in pts.values() for _, v in p) * 1.15 or 1
    width, height, left, right, y0, y1 = 640, 400, 70, 30, 40, 330
    n = max(len(p) for p in pts.values())

    def x(i):
        return left + (width - left - right) * (i + 0.5) / n

    def y(v):
        return y1 - (y1 - y0) * v / top

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14">'
           'First hot-add with auto-online: seconds per GiB (median, lower is better)</text>',
           f'<line x1="{left}" y1="{y1}" x2="{width - right}" y2="{y1}" stroke="black"/>',
           f'<line x1="{left}" y1="{y0}" x2="{left}" y2="{y1}" stroke="black"/>']
    for j in range(5):
        v = top * j / 4
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.3f}</text>')
        out.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" '
                   'stroke="#ddd"/>')
    for i, size in enumerate(sizes[:n]):
        out.append(f'<text x="{x(i):.1f}" y="{y1 + 18}" text-anchor="middle">{size} DIMM</text>')
    colours = ("#1f77b4", "#d62728", "#2ca02c")
    for c, k in enumerate(kernels):
        colour = colours[c % len(colours)]
        line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(pts[k]))
        out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, (_, v) in enumerate(pts[k]):
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="4" fill="{colour}"/>')
            out.append(f'<text x="{x(i) + 7:.1f}" y="{y(v) - 6:.1f}" '
                       f'fill="{colour}">{v:.3f}</text>')
        out.append(f'<text x="{left + 10 + 110 * c}" y="{height - 20}" fill="{colour}" '
                   f'font-size="13">&#9632; {k}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True


def one_run(kernel, args, tools):
    res = {}
    fill, memset_bw = tools
    want = args.workloads
    if {"dimm", "migrate", "virtio-mem"} & want:
        vm = vmlib.VM(kernel=kernel, name=f"bench-{kernel}", mem=args.boot_mem,
                      maxmem="128G", slots=8)
        vm.start()
        try:
            if "dimm" in want:
                dimm_cycle(vm, vmlib.parse_size(args.dimm), "", res)
                bw, _ = memset_bandwidth(vm, memset_bw)
                res["guest memset bandwidth (GiB/s)"] = round(bw / vmlib.GiB, 3)
                # Workload 2's physical limit: memmap bytes written / memset bandwidth.
                memmap = vmlib.parse_size(args.dimm) // 4096 * 64
                res["memmap write floor for the online (s)"] = round(memmap / bw, 4)
                res["memmap write floor, share of the online time"] = round(
                    memmap / bw / res["online_movable each block"], 4)
            if "migrate" in want:
                migrate(vm, vmlib.parse_size(args.migrate), res, fill)
            if "virtio-mem" in want:
                for size in args.virtio_mem.split(","):
                    virtio_mem_cycle(vm, size, res)
        finally:
            vm.poweroff()

    if "memmap-on-memory" in want:
        vm = vmlib.VM(kernel=kernel, name=f"bench-{kernel}-mom", mem=args.boot_mem,
                      maxmem="128G", slots=8, append="memory_hotplug.memmap_on_memory=1")
        vm.start()
        try:
            dimm_cycle(vm, vmlib.parse_size(args.dimm), "memmap_on_memory: ", res)
        finally:
            vm.poweroff()

    if "scale" in want:
        scale(kernel, args, tools, res)

    if "busy" in want:
        busy(kernel, args, res)

    if "starved" in want:
        starved(kernel, args, res)

    if "boot" in want:
        vm = vmlib.VM(kernel=kernel, name=f"bench-{kernel}-big", mem=args.big_mem,
                      maxmem="256G", slots=4)
        vm.start()
        try:
            console = vm.console()
            m = re.search(r"\[\s*(\d+\.\d+)\] Run \S+ as init process", console)
            res[f"boot -m {args.big_mem} to init"] = float(m.group(1))
            # driver_init() prints "devtmpfs: initialized" first, and the
            # block size when memory_dev_init() creates the boot blocks;
            # the next line comes from the first initcall after it. The
            # time between is block creation plus the rest of driver_init.
            m = re.search(r"\[\s*(\d+\.\d+)\] devtmpfs: initialized\n"
                          r"(?:.*\n)*?.*Memory block size.*\n"
                          r"\[\s*(\d+\.\d+)\]", console)
            if m:
                res[f"boot -m {args.big_mem}: driver_init incl. block creation (ms)"] = round(
                    (float(m.group(2)) - float(m.group(1))) * 1000, 2)
        finally:
            vm.poweroff()
    return res


def busy(kernel, args, res):
    """Workload 9: scenario/offline_under_load's guest and workload (the
    scenario's own code), args.busy offlines of its DIMMs' blocks, 3
    virtio-mem halvings and 3 ejects; success rates and seconds, workload
    errors and OOM kills. Ours has offline_avoid_oom set by the
    scenario's Load.memory()."""
    sys.path[:0] = [os.path.join(vmlib.TOP, "tests", d) for d in ("lib", "scenarios")]
    import offline_under_load as load_mod

    class Notes:
        prefix = "bench/busy"

        def note(self, text):
            print(text, flush=True)

    vm = vmlib.VM(kernel=kernel, name=f"bench-{kernel}-busy", **load_mod.VM)
    vm.start()
    try:
        pos = len(vm.console())
        load = load_mod.Load(vm, Notes())
        # The load, as make busy.
        if not load.memory() or not load.start(load_mod.count("BUSY_LOAD", 85))[0]:
            raise vmlib.VMError("busy: the guest's memory or workload did not come up")
        tries = load.offline_attempts(args.busy)
        good = sorted(secs for _, rc, secs, _ in tries if rc == 0)
        res["busy: offline succeeded (%)"] = round(100 * len(good) / max(1, len(tries)), 1)
        if good:
            res["busy: offline median (s)"] = statistics.median(good)
            res["busy: offline p99 (s)"] = load_mod.pct(good, 99)
        shrinks = load.shrink(3)
        half = [r[1] for r in shrinks if r[0]]
        res["busy: virtio-mem 2G -> 1G reached (%)"] = round(100 * len(half) / len(shrinks), 1)
        if half:
            res["busy: virtio-mem 2G -> 1G median (s)"] = statistics.median(half)
        ejects = load.ejects(3)
        done = [r[1] for r in ejects if r[0]]
        res["busy: DIMM eject succeeded (%)"] = round(100 * len(done) / len(ejects), 1)
        if done:
            res["busy: DIMM eject median (s)"] = statistics.median(done)
        got, _ = load.stop()
        res["busy: workload errors"] = sum(e if e is not None else 1 for _, e in got.values())
        res["busy: OOM kills"] = len(re.findall(r"Killed process", vm.console()[pos:]))
    finally:
        vm.poweroff()


def starved(kernel, args, res):
    """Workload 10: the least MemAvailable (MiB, from STARVED_GRID) at which
    a STARVED_DIMM pc-dimm and a STARVED_VMEM virtio-mem grow still arrive
    fully online with nothing killed, each kernel at its default settings.
    Each try is a cell of scenario/starved_hot_add, run by the scenario's
    own code in a fresh 2 GiB guest and judged by its checks: it passes
    when the cell's outcome is "arrived" and none of its checks failed.
    Bisection over the grid assumes that more memory never hurts; a size
    that fails even at the grid's top is reported as infinite."""
    sys.path[:0] = [os.path.join(vmlib.TOP, "tests", d) for d in ("lib", "scenarios")]
    import starved_hot_add as cell_mod
    from tap import Checker, Results, Stop

    class QuietResults(Results):
        def emit(self, line):
            self.log.write(line + "\n")
            self.log.flush()

    os.makedirs(BENCH, exist_ok=True)
    log = os.path.join(BENCH, f"starved-{kernel}.tap")
    results = QuietResults(log)
    vm = vmlib.VM(kernel=kernel, name=f"bench-{kernel}-starved", **cell_mod.VM)

    def passes(path, size, n):
        if not vm.alive():
            vm.poweroff()
            vm.start()
        name = cell_mod.case_name(path, size, n)
        failed = results.failed
        try:
            cell_mod.run_cell(vm, Checker(results, f"bench/starved/{name}"), path, size, n)
        except Stop:
            pass
        what = cell_mod.OUTCOMES.pop(name, ("",) * 3 + ("stopped early", None))[3]
        ok = what == "arrived" and results.failed == failed
        print(f"bench: starved {kernel} {path} {size} at {n} MiB: {what}"
              + ("" if ok else " (fails)"), flush=True)
        return ok

    vm.start()
    try:
        for path, size in (("dimm", args.starved_dimm), ("virtio_mem", args.starved_vmem)):
            # The answer's index: 0 .. len(grid), len(grid) for none.
            lo, hi = 0, len(STARVED_GRID)
            while lo < hi:
                mid = (lo + hi) // 2
                if passes(path, size, STARVED_GRID[mid]):
                    hi = mid
                else:
                    lo = mid + 1
            least = STARVED_GRID[lo] if lo < len(STARVED_GRID) else float("inf")
            what = "pc-dimm" if path == "dimm" else "virtio-mem grow"
            res[f"least MemAvailable (MiB) for a {size} {what}"] = least
    finally:
        vm.poweroff()
        print(f"bench: starved {kernel}: every check in {log}", flush=True)


def virtio_mem_cycle(vm, size, res):
    """Workload 5: a virtio-mem device of size (e.g. "8G"), requested-size
    0 -> size -> 0, onlined movable by the kernel. Each size gets its own
    device; its backend is not reserved, so that it may be larger than
    this host's memory (the guest writes only the memmap of what it adds)."""
    nbytes = vmlib.parse_size(size)
    vm.sh(f"echo online_movable > {MEM}/auto_online_blocks")
    dev = vm.add_virtio_mem(size=nbytes, requested=0, reserve=False)
    time.sleep(1)
    total = memtotal_kb(vm)
    done = guest_timer(vm, "vup", f"[ $(awk '/^MemTotal/ {{print $2}}' /proc/meminfo) "
                                  f"-ge {total + (nbytes >> 10)} ]")
    vm.virtio_mem_size(dev, nbytes, timeout=900)
    res[f"virtio-mem grow 0 -> {size}"] = done()
    done = guest_timer(vm, "vdown", f"[ $(awk '/^MemTotal/ {{print $2}}' /proc/meminfo) "
                                    f"-le {total} ]")
    vm.virtio_mem_size(dev, 0, timeout=900)
    res[f"virtio-mem shrink {size} -> 0"] = done()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 3)))
    ap.add_argument("--dimm", default=os.environ.get("DIMM", "16G"))
    ap.add_argument("--migrate", default=os.environ.get("MIGRATE", "2G"))
    ap.add_argument("--virtio-mem", default=os.environ.get("VIRTIO_MEM", "8G,32G"),
                    help="virtio-mem device sizes, each grown from 0 and shrunk back")
    ap.add_argument("--boot-mem", default=os.environ.get("BOOT_MEM", "6G"))
    # x86 picks 128 MiB blocks only while boot memory ends below 64 GiB;
    # 62G (plus the PCI hole) is the largest guest with 500+ such blocks.
    ap.add_argument("--big-mem", default=os.environ.get("BIG_MEM", "62G"))
    ap.add_argument("--scale", default=os.environ.get("SCALE", "1G,16G,64G"),
                    help="DIMM sizes of the scale workload, each in a fresh guest")
    ap.add_argument("--busy", type=int, default=int(os.environ.get("BUSY_ATTEMPTS", 50)),
                    help="offline attempts of the busy workload")
    ap.add_argument("--starved-dimm", default=os.environ.get("STARVED_DIMM", "16G"),
                    help="pc-dimm size of the starved workload")
    ap.add_argument("--starved-vmem", default=os.environ.get("STARVED_VMEM", "4G"),
                    help="virtio-mem size of the starved workload")
    ap.add_argument("--kernels", default="ours,upstream")
    ap.add_argument("--workloads", default=os.environ.get("WORKLOADS", ",".join(WORKLOADS)),
                    help="comma-separated subset of: " + ", ".join(WORKLOADS))
    args = ap.parse_args()
    args.workloads = set(args.workloads.split(","))
    if args.workloads - set(WORKLOADS):
        ap.error(f"unknown workload(s) {', '.join(sorted(args.workloads - set(WORKLOADS)))}: "
                 f"use {', '.join(WORKLOADS)}")
    kernels = args.kernels.split(",")
    tools = build_tools()
    runs = {k: [] for k in kernels}
    for i in range(args.runs):
        for k in (kernels if i % 2 == 0 else list(reversed(kernels))):
            start = time.monotonic()
            print(f"bench: run {i + 1}/{args.runs} on {k} ...", flush=True)
            runs[k].append(one_run(k, args, tools))
            print(f"bench: run {i + 1}/{args.runs} on {k}: {time.monotonic() - start:.0f} s",
                  flush=True)

    table = summarize(runs, kernels)
    os.makedirs(BENCH, exist_ok=True)
    with open(os.path.join(BENCH, "results.json"), "w") as f:
        json.dump({"args": dict(vars(args), workloads=sorted(args.workloads)),
                   "workloads": table}, f, indent=1)
    print("\n".join(format_table(table, kernels, args.runs)))
    svg = os.path.join(BENCH, "results.svg")
    chart = write_svg(table, kernels, args.scale.split(","), svg)
    if chart:
        print(f"chart of the scale rows: {svg}")
    md = os.path.join(BENCH, "results.md")
    with open(md, "w") as f:
        f.write(format_markdown(table, kernels, args.runs, provenance(args),
                                "bench-scale.svg" if chart else None))
    print(f"table as markdown: {md} (make bench-snapshot copies it to docs/)")


def summarize(runs, kernels):
    """Rows {workload, kernel: {median, min, max, runs}, ratio} from
    {kernel: [{workload: figure} per run]}; ratio = first kernel's median
    over the second's (absent when that is 0 or there is one kernel)."""
    table = []
    for n in runs[kernels[0]][0]:
        row = {"workload": n}
        for k in kernels:
            vals = [r[n] for r in runs[k]]
            row[k] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
                      "runs": vals}
        if len(kernels) == 2 and row[kernels[1]]["median"]:
            row["ratio"] = row[kernels[0]]["median"] / row[kernels[1]]["median"]
        table.append(row)
    return table


def format_table(table, kernels, nruns):
    """The printed table: one line per workload, median [min-max] per kernel
    and the ratio (nan where there is none)."""
    w = max(len(r["workload"]) for r in table)
    head = f"{'workload':<{w}}  " + "  ".join(f"{k:>22}" for k in kernels) + "   ratio"
    lines = [head, "-" * len(head)]
    for r in table:
        cells = "  ".join(f"{r[k]['median']:>9.3f} [{r[k]['min']:.3f}-{r[k]['max']:.3f}]"
                          .rjust(22) for k in kernels)
        lines.append(f"{r['workload']:<{w}}  {cells}   {r.get('ratio', float('nan')):.3f}")
    lines.append("Seconds unless the name says otherwise; median [min-max] of "
                 f"{nruns} runs each; ratio = {kernels[0]}/{kernels[-1]}; "
                 f"results: {BENCH}/results.json")
    return lines


def provenance(args):
    """Where a table came from: commit (with -dirty), date, machine, the
    accelerator QEMU used, and the options of the run."""
    def out(*cmd):
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=vmlib.TOP)
        return r.stdout.strip() if r.returncode == 0 else "?"
    commit = out("git", "rev-parse", "--short", "HEAD")
    if out("git", "status", "--porcelain", "--untracked-files=no"):
        commit += "-dirty"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        with open(os.path.join(vmlib.BUILD, "accel")) as f:
            accel = f.read().strip()
    except OSError:
        accel = "?"
    return {"commit": commit, "date": time.strftime("%Y-%m-%d"),
            "machine": f"{os.cpu_count()} x {cpu}, {vmlib.host_memory() >> 30} GiB, "
                       f"{os.uname().sysname} {os.uname().release}, QEMU accel {accel}",
            "options": f"RUNS={args.runs} DIMM={args.dimm} MIGRATE={args.migrate} "
                       f"VIRTIO_MEM={args.virtio_mem} SCALE={args.scale} "
                       f"STARVED_DIMM={args.starved_dimm} STARVED_VMEM={args.starved_vmem} "
                       f"WORKLOADS={','.join(sorted(args.workloads))}"}


def format_markdown(table, kernels, nruns, prov, chart=None):
    """The table as markdown, headed by where it came from (provenance());
    chart: the file name of the SVG beside it, if any."""
    lines = ["# make bench: the last snapshot", "",
             "Generated by `make bench` (`build/bench/results.md`) and copied here by "
             "`make bench-snapshot`; do not edit by hand. docs/benchmark.md says how to "
             "read it.", "",
             f"- commit: {prov['commit']}, {prov['date']}",
             f"- machine: {prov['machine']}",
             f"- options: `{prov['options']}`", "",
             f"Seconds unless the row says otherwise; median [min-max] of {nruns} runs "
             f"each; ratio = {kernels[0]}/{kernels[-1]} (below 1: {kernels[0]} is faster).", "",
             "| workload | " + " | ".join(kernels) + " | ratio |",
             "| --- |" + " --- |" * (len(kernels) + 1)]
    for r in table:
        cells = " | ".join(f"{r[k]['median']:.3f} [{r[k]['min']:.3f}-{r[k]['max']:.3f}]"
                           for k in kernels)
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else ""
        lines.append(f"| {r['workload']} | {cells} | {ratio} |")
    if chart:
        lines += ["", f"![seconds per GiB of the first hot-add, by DIMM size]({chart})"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
