"""What the scenarios read from a guest: memory blocks, meminfo, iomem.

Each helper takes a harness.vm.VM and returns plain Python values, read in
one guest command where it can, so that scenarios stay short.
"""

import os
import re
import subprocess
import time

import vm as vmlib

MEM = "/sys/devices/system/memory"
NODE = "/sys/devices/system/node"
ACPI = "/sys/bus/acpi/devices"
PARAMS = "/sys/module/memory_hotplug/parameters"


def block_size(vm):
    """Bytes per memory block (block_size_bytes)."""
    return int(vm.read(f"{MEM}/block_size_bytes"), 16)


def blocks(vm):
    """{block id: state} of every memoryN directory."""
    # bash builtins only: a fork costs milliseconds under TCG.
    out = vm.sh(f"cd {MEM} && for b in memory[0-9]*; do read -r s < $b/state; "
                "echo ${b#memory} $s; done")
    return {int(i): s for i, s in (line.split() for line in out.splitlines())}


def block_table(vm, ids=None):
    """{block id: (state, valid_zones, node)} of the given blocks (default:
    all), read in one command; valid_zones keeps its spaces, node is the
    number of the block's nodeN link (None without one)."""
    which = " ".join(f"memory{i}" for i in ids) if ids is not None else "memory[0-9]*"
    out = vm.sh(f"cd {MEM} && for b in {which}; do [ -d $b ] || continue; "
                "read -r s < $b/state; read -r z < $b/valid_zones; n=($b/node[0-9]*); "
                "echo \"${b#memory}|$s|$z|${n[0]##*/node}\"; done")
    table = {}
    for line in out.splitlines():
        i, state, zones, node = line.split("|")
        table[int(i)] = (state, zones, int(node) if node.isdigit() else None)
    return table


def zones(vm, ids):
    """{block id: valid_zones} of the given blocks."""
    return {i: z for i, (_, z, _) in block_table(vm, ids).items()}


def meminfo(vm, node=None):
    """/proc/meminfo (or nodeN/meminfo) as {field: kB}."""
    if node is None:
        out = vm.sh("cat /proc/meminfo")
        return {k.strip(): int(v.split()[0]) for k, v in
                (line.split(":", 1) for line in out.splitlines())}
    out = vm.sh(f"cat {NODE}/node{node}/meminfo")
    # "Node 1 MemTotal:       1048576 kB"
    return {line.split(":")[0].split()[-1]: int(line.split(":")[1].split()[0])
            for line in out.splitlines() if ":" in line}


def node_masks(vm):
    """{file: contents} of the node state masks under /sys/devices/system/node."""
    out = vm.sh(f"cd {NODE} && for f in possible online has_cpu has_memory has_normal_memory; "
                "do echo $f $(cat $f); done")
    return dict(line.split(" ", 1) for line in out.splitlines())


def zone_pages(vm, zone, node=0):
    """(present, managed) pages of a zone of a node, from /proc/zoneinfo."""
    out = vm.sh(f"awk '/^Node {node}, zone/ {{z=$4}} z==\"{zone}\" && "
                "($1==\"present\" || $1==\"managed\") {print $1, $2}' /proc/zoneinfo")
    d = dict(line.split() for line in out.splitlines())
    return int(d.get("present", 0)), int(d.get("managed", 0))


def zone_free(vm, zone, node=0):
    """Free pages of a zone of a node ("pages free" of /proc/zoneinfo), 0
    if the node has no such zone."""
    out = vm.sh(f"awk '/^Node / {{z = $2 == \"{node},\" && $4 == \"{zone}\"}} "
                "z && $1 == \"pages\" && $2 == \"free\" {print $3}' /proc/zoneinfo")
    return int(out.split()[0]) if out.split() else 0


def wait_for(fn, timeout=60, interval=0.3):
    """Call fn until it returns something true; return that, or the last
    (false) value once timeout seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def set_auto_online(vm, policy):
    vm.sh(f"echo {policy} > {MEM}/auto_online_blocks")


def online(vm, ids, how="online"):
    """Write how to the state of each block; return the ids that failed."""
    script = "".join(f"echo {how} > {MEM}/memory{i}/state || echo FAIL {i}\n" for i in ids)
    rc, out = vm.run(script)
    return [int(line.split()[1]) for line in out.splitlines() if line.startswith("FAIL ")]


def param(vm, name):
    """A memory_hotplug module parameter as the guest reads it."""
    return vm.read(f"{PARAMS}/{name}")


# ---- pc-dimms ------------------------------------------------------------

def dimm_blocks(vm, dev_id, bsz=None):
    """The block ids a plugged DIMM covers, from QEMU's address and size
    (and the guest's block size, read unless given)."""
    d = vm.dimms()[dev_id]
    bsz = bsz or block_size(vm)
    return list(range(d["addr"] // bsz, (d["addr"] + d["size"]) // bsz))


def plug(vm, size="1G", node=None, timeout=60):
    """Plug a DIMM and wait until all of its blocks exist in the guest;
    return (dev_id, block ids), the ids empty if they did not all show up."""
    dev = vm.add_dimm(size, node=node)
    ids = dimm_blocks(vm, dev)
    ok = wait_for(lambda: set(ids) <= set(blocks(vm)), timeout)
    return dev, ids if ok else []


def unplug(vm, dev, ids, timeout=60):
    """device_del a DIMM; True once QEMU deleted it and its blocks are gone."""
    if not vm.remove_dimm(dev, timeout):
        return False
    return bool(wait_for(lambda: not set(ids) & set(blocks(vm)), 30))


OST_EJECT = 3           # _OST source event: eject request


def eject_osts(vm, dev):
    """The _OST statuses the guest reported for ejects of the DIMM dev, in
    the QMP events read so far (a QMP command reads those before it)."""
    return [e["data"]["info"]["status"] for e in vm.events
            if e["event"] == "ACPI_DEVICE_OST" and e["data"]["info"].get("device") == dev
            and e["data"]["info"].get("source") == OST_EJECT]


def settle(vm, ids, timeout=30):
    """Wait until none of the blocks is still offline (auto-onlining or udev
    at work); return their {id: state}."""
    def done():
        states = {i: s for i, s in blocks(vm).items() if i in ids}
        return states if all(s == "online" for s in states.values()) else None
    return wait_for(done, timeout) or {i: s for i, s in blocks(vm).items() if i in ids}


# ---- firmware views of memory ------------------------------------------

def bound(vm):
    """{PNP0C80 device: sorted block ids of its physical_node links} of the
    ACPI memory devices that are bound to any block."""
    out = vm.sh(f"cd {ACPI} && for d in PNP0C80:*; do for l in $d/physical_node*; do "
                "[ -e $l ] && echo $d $(basename $(readlink $l)); done; done; true")
    links = {}
    for line in out.splitlines():
        dev, target = line.split()
        if target.startswith("memory"):
            links.setdefault(dev, []).append(int(target[len("memory"):]))
    return {d: sorted(ids) for d, ids in links.items()}


def system_ram(vm):
    """Top-level 'System RAM' ranges of /proc/iomem as [(start, end)]."""
    out = vm.sh("cat /proc/iomem")
    ranges = []
    for line in out.splitlines():
        if line[:1] != " " and line.split(" : ")[-1] == "System RAM":
            lo, hi = line.split(" : ")[0].split("-")
            ranges.append((int(lo, 16), int(hi, 16)))
    return ranges


def firmware_memmap(vm):
    """/sys/firmware/memmap entries as [(start, end, type)]."""
    out = vm.sh("cd /sys/firmware/memmap && for e in *; do "
                "echo \"$(cat $e/start) $(cat $e/end) $(cat $e/type)\"; done")
    entries = []
    for line in out.splitlines():
        start, end, kind = line.split(" ", 2)
        entries.append((int(start, 16), int(end, 16), kind))
    return entries


def covers(ranges, start, end):
    """Whether one (start, end, ...) entry is exactly [start, end]."""
    return any(r[0] == start and r[1] == end for r in ranges)


# ---- parameters ------------------------------------------------------------

def check_cpu_count_param(vm, t, name):
    """A memory_hotplug parameter that counts CPUs (0: every online CPU):
    0 by default, takes 1, 2 and 0 back, refuses what is no unsigned
    number with an error and keeps its value."""
    path = f"{PARAMS}/{name}"
    t.eq(vm.read(path), "0", f"{name} is 0 (every online CPU) by default")
    for good in ("1", "2", "0"):
        rc, out = vm.write(path, good)
        t.ok(rc == 0 and vm.read(path) == good, f"{name} takes {good}", diag=out)
    for bad in ("x", "-1", "1.5"):
        rc, out = vm.write(path, bad)
        t.ok(rc != 0 and vm.read(path) == "0", f"{name} refuses {bad!r} and keeps 0", diag=out)


# ---- a process's memory, checked ------------------------------------------

def bench_program(name, static=True):
    """harness/bench/NAME.c compiled on the host (static unless told
    otherwise), again when the source is newer; return the program's path,
    which the guest sees as the same (its root is the host's)."""
    src = os.path.join(vmlib.TOP, "harness", "bench", name + ".c")
    exe = os.path.join(vmlib.BUILD, "bench", name)
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        link = ["-static"] if static else []
        subprocess.run(["gcc", "-O2", "-Wall", *link, "-o", exe + ".part", src], check=True)
        os.rename(exe + ".part", exe)
    return exe


def build_fill():
    """harness/bench/fill.c, compiled on the host (the guest runs its libc)."""
    return bench_program("fill", static=False)


def fill_start(vm, mib, cgroup=None):
    """Start harness/bench/fill in the guest: mib MiB of anonymous memory
    written with a pattern, in the cgroup directory cgroup if given (it
    joins it before it allocates). Return its pid once it says READY, or
    None if it died first (its words are in /tmp/fill.out)."""
    join = f"echo $BASHPID > {cgroup}/cgroup.procs && " if cgroup else ""
    rc, out = vm.run(f"( {join}exec {build_fill()} {mib} ) >/tmp/fill.out 2>&1 & "
                     "echo $! >/tmp/fill.pid; "
                     "until grep -q READY /tmp/fill.out; do sleep 0.5; "
                     "kill -0 $(cat /tmp/fill.pid) 2>/dev/null || exit 1; done; "
                     "echo PID $(cat /tmp/fill.pid)", timeout=600)
    m = re.search(r"PID (\d+)", out)
    return int(m.group(1)) if rc == 0 and m else None


def fill_verify(vm):
    """Tell the fill_start() process to check every word it wrote; return
    its output once it has ended ("VERIFIED 0 bad words" if all was
    kept, "CORRUPT N bad words" if not)."""
    rc, out = vm.run("kill -USR1 $(cat /tmp/fill.pid); "
                     "while kill -0 $(cat /tmp/fill.pid) 2>/dev/null; do sleep 0.5; done; "
                     "cat /tmp/fill.out", timeout=600)
    return out


# ---- health ----------------------------------------------------------------

def sane(vm, t, what="the guest ends sane"):
    """One assertion that the guest still runs commands, no block is stuck
    going-offline and memory can still be allocated (64 MiB through a pipe
    and a tmpfs file)."""
    rc, out = vm.run("grep -l going-offline /sys/devices/system/memory/memory*/state;"
                     " head -c 64M /dev/zero > /tmp/.sane && rm /tmp/.sane && echo SANE",
                     timeout=120)
    return t.ok("SANE" in out and "going-offline" not in out, what, diag=out[-2000:])


# ---- unmovable kernel memory -----------------------------------------------

# Python run in the guest: hold pipes full of data. Pipe buffers are
# unmovable kernel pages (GFP_HIGHUSER, no __GFP_MOVABLE), so they can only
# come from kernel zones, and the allocator tries ZONE_NORMAL first: on this
# guest boot memory is all DMA32, so ZONE_NORMAL is hot-added memory only.
_PIN = r'''
import fcntl, os, signal, sys
pipes = []
for _ in range(int(sys.argv[1])):
    r, w = os.pipe()
    fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ: 1 MiB
    os.set_blocking(w, False)
    try:
        while True:
            os.write(w, b"p" * 65536)
    except BlockingIOError:
        pass
    pipes.append((r, w))
print("PINNED", flush=True)
signal.pause()
'''


def pin_unmovable(vm, mib=64):
    """Start a guest process holding about mib MiB of unmovable kernel
    memory (full pipes) until unpin(); return True once it holds it."""
    vm.sh("cat > /tmp/pin.py <<'PIN_EOF'\n" + _PIN + "PIN_EOF\n"
          f"setsid python3 /tmp/pin.py {mib} > /tmp/pin.out 2>&1 < /dev/null &\n"
          "echo $! > /tmp/pin.pid")
    return bool(wait_for(lambda: "PINNED" in vm.read("/tmp/pin.out"), 60))


def unpin(vm):
    """End the process pin_unmovable() started."""
    vm.run("kill $(cat /tmp/pin.pid) 2>/dev/null; sleep 0.5")


# ---- a user page migration cannot move ------------------------------------

# Python run in the guest: map some memory (preferring NUMA node argv[3] if
# given), find a page of it in the pfn range [lo, hi), hold it with
# vmsplice(2) (the pipe keeps a reference, so migration cannot move it) and
# print its pfn.
_HOLD = r'''
import ctypes, mmap, os, signal, struct, sys
lo, hi = int(sys.argv[1]), int(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
if len(sys.argv) > 3:
    mask = ctypes.c_ulong(1 << int(sys.argv[3]))
    libc.syscall(238, 1, ctypes.byref(mask), 64)  # set_mempolicy(MPOL_PREFERRED)
class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
size = 8 << 20
m = mmap.mmap(-1, size)
buf = (ctypes.c_char * size).from_buffer(m)
base = ctypes.addressof(buf)
for off in range(0, size, 4096):
    m[off] = 0x5a
with open("/proc/self/pagemap", "rb") as f:
    for i in range(size // 4096):
        f.seek((base // 4096 + i) * 8)
        e = struct.unpack("<Q", f.read(8))[0]
        pfn = e & ((1 << 55) - 1)
        if e >> 63 and lo <= pfn < hi:
            break
    else:
        print("NONE", flush=True)
        sys.exit(1)
r, w = os.pipe()
iov = IOVec(base + i * 4096, 4096)
if libc.vmsplice(w, ctypes.byref(iov), 1, 0) != 4096:
    print("VMSPLICE", ctypes.get_errno(), flush=True)
    sys.exit(1)
print("HELD", pfn, flush=True)
signal.pause()
'''


def hold_page(vm, lo, hi, node=None):
    """Start a guest process that holds one of its pages in the pfn range
    [lo, hi) with vmsplice(2) until release_page(); return that page's pfn,
    or None (the process's words are in /tmp/hold.out)."""
    vm.sh("cat > /tmp/hold.py <<'HOLD_EOF'\n" + _HOLD + "HOLD_EOF\n"
          f"setsid python3 /tmp/hold.py {lo} {hi} {'' if node is None else node} "
          "> /tmp/hold.out 2>&1 < /dev/null & echo $! > /tmp/hold.pid")
    out = wait_for(lambda: re.search(r"HELD (\d+)|NONE|VMSPLICE", vm.read("/tmp/hold.out")), 60)
    return int(out.group(1)) if out and out.group(1) else None


def release_page(vm):
    """End the process hold_page() started."""
    vm.run("kill $(cat /tmp/hold.pid) 2>/dev/null; sleep 0.5")
