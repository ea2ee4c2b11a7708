"""Memory that arrives because the guest is running out of it (issue 30).
A process holds anonymous memory, each word written with a pattern of its
address (harness/bench/hold.c), until MemAvailable is at most N MiB; then
S of memory arrives one of three ways:

  dimm        a pc-dimm of S, onlined movable by auto_online_blocks
  virtio_mem  a virtio-mem device (hot-plugged empty beforehand) grown from
              0 to S, onlined movable by auto_online_blocks
  dax         an NVDIMM of S made a devdax namespace beforehand, then
              daxctl reconfigure-device -m system-ram, which onlines it
              movable itself (auto_online_blocks stays offline, as daxctl
              wants it)

and the user must see: every block of it present and online, MemTotal
grown by at least 63/64 of it (its memmap may come out of it), the holder
still alive and reading back every byte, and no OOM kill, allocation
failure or panic on the console. Then, the holder gone, the memory leaves
again (eject; shrink to 0; daxctl offline-memory and back to devdax) and
MemTotal is what it was.

Each cell (path, S, N) runs in a fresh 2 GiB guest without swap. The DIMM
and virtio-mem backends are not reserved (only what the guest touches
costs the host), as make bench does. dax cells are 4 GiB at most: the
NVDIMM's backend is reserved host memory, so the full matrix has no dax
cell above 4 GiB. A devdax namespace keeps its info block and the memmap
of its pages at its start, so kmem adds the device's range aligned to
blocks (one block less than S): that is what a dax cell expects.

make check runs CHECK_CELLS. STARVED_CELLS=all (make starved) runs the
full matrix, N in 256, 64, 16 MiB by S in 4, 16, 64 GiB for each path
(dax 4 GiB only), and CHECK_CELLS; STARVED_CELLS=dimm:4G:48,dax:2G:16
runs those cells. Each cell says in a note what happened (arrived, holder
OOM-killed, allocation failure, panic, timed out) and how many seconds
the memory took to arrive; the last case prints all as a table. On the
reference (console.KNOWN['reference-starved-hot-add']) each of those
checks that fails is a note, not a failure: the table is the baseline.
On a KASAN kernel (the debug pass) the holder leaves S/8 more: the new
memory's shadow, which such a kernel takes from boot memory whatever the
hot-add path does."""

import os
import re
import shutil
import time

import vm as vmlib
from console import KNOWN, health, known_note
from guest import blocks, dimm_blocks, meminfo, set_auto_online, bench_program, wait_for

# 2 GiB of boot memory; room for a 256 GiB DIMM or virtio-mem device
# (STARVED_CELLS=dimm:256G:16: not in the matrix, the unplug of 256 GiB of
# virtio-mem takes longer under TCG than a cell waits).
VM = dict(mem="2G", maxmem="300G")

CHECK_CELLS = [("dimm", "4G", 256), ("dimm", "4G", 16), ("virtio_mem", "4G", 16),
               ("dax", "2G", 16)]
MATRIX = [(path, size, n) for path in ("dimm", "virtio_mem", "dax")
          for size in ("4G", "16G", "64G") for n in (256, 64, 16)
          if path != "dax" or size == "4G"]

# The debug pass runs one cell. On a KASAN kernel each new block's shadow
# (1/8 of it) comes from boot memory when it goes online, whatever the add
# does: at N = 16 the last blocks find none, and a shell of the test
# itself, forking, calls the OOM killer. At N = 256 the cell passes there.
DEBUG = ["dimm_4G_256"]

KEY = "reference-starved-hot-add"
ARRIVE_SECONDS = 120
DAX = "/sys/bus/dax/devices/dax0.0"
# What the console must not show, as a user reads it: the OOM killer, an
# allocation failure (of pages, of a memmap, of vmalloc), a panic.
ALLOC_FAILURE = r"page allocation failure|vmemmap alloc failure|vmalloc error"
REPORTS = re.compile(r"Out of memory|Killed process|oom-kill|Kernel panic|" + ALLOC_FAILURE)
# The kernel giving up on a DIMM (the reference's words, then ours).
ADD_FAILED = re.compile(r"add_memory failed|cannot add memory|could be added")

# case name: (path, S, N, outcome, seconds to arrive or None), for the table.
OUTCOMES = {}


def cells():
    """The (path, S, N MiB) cells this run has: STARVED_CELLS=all, a list
    of path:S:N, or CHECK_CELLS."""
    want = os.environ.get("STARVED_CELLS", "")
    if want == "all":
        return MATRIX + [c for c in CHECK_CELLS if c not in MATRIX]
    if want:
        return [(p, s, int(n)) for p, s, n in (c.split(":") for c in want.split(","))]
    return CHECK_CELLS


def case_name(path, size, n):
    return f"{path}_{size}_{n}"


def fresh(vm, nvdimms):
    """Boot the guest again unless it has run no cell yet and has the
    NVDIMMs wanted (the runner's VM, as faults.py reboots it)."""
    if vm.nvdimms != nvdimms or vm.run("test -e /tmp/starved.used")[0] == 0:
        vm.poweroff()
        vm.nvdimms = nvdimms
        vm.start()
    vm.sh("touch /tmp/starved.used")


def vmem_range(vm, dev):
    for d in vm.qmp("query-memory-devices"):
        if d.get("type") == "virtio-mem" and d["data"].get("id") == dev:
            return d["data"]["memaddr"], d["data"]["max-size"]
    return None


class Cell:
    """One cell's guest, device and holder."""

    def __init__(self, vm, t, path, size, n):
        self.vm, self.t, self.path = vm, t, path
        self.size = vmlib.parse_size(size)
        self.n = n
        self.reference = KNOWN[KEY].applies(vm.kernel)
        self.dev = None
        self.ids = []
        self.said = None    # what daxctl said last

    def expect(self, cond, desc, diag=None):
        """An assertion on ours; on the reference a failure is a note."""
        if cond or not self.reference:
            return self.t.ok(cond, desc, diag=diag)
        self.t.note(f"{self.t.prefix}: the reference fails: {desc} (baseline; "
                    f"known base-kernel defect {KEY})")
        return False

    # ---- before the holder --------------------------------------------------

    def prepare(self):
        vm, t = self.vm, self.t
        bsz = int(vm.read("/sys/devices/system/memory/block_size_bytes"), 16)
        if self.path == "virtio_mem":
            self.dev = vm.add_virtio_mem(size=self.size, requested=0, reserve=False)
            t.require(wait_for(lambda: vm.run("ls /sys/bus/virtio/drivers/virtio_mem/ | "
                                              "grep -q virtio")[0] == 0, 60),
                      "the empty virtio-mem device is hot-plugged and its driver bound")
            addr, _ = vmem_range(vm, self.dev)
            self.ids = list(range(addr // bsz, (addr + self.size) // bsz))
        elif self.path == "dax":
            rc, out = vm.run("ndctl create-namespace -f -e namespace0.0 -m devdax", 300)
            t.require(rc == 0 and vm.run(f"test -d {DAX}")[0] == 0,
                      "ndctl create-namespace -m devdax makes dax0.0", diag=out)
            start = int(vm.read(f"{DAX}/resource"), 16)
            end = start + int(vm.read(f"{DAX}/size"))
            self.ids = list(range(-(-start // bsz), end // bsz))
        self.bsz = bsz
        set_auto_online(vm, "offline" if self.path == "dax" else "online_movable")

    def hold(self):
        """Start the holder; once MemAvailable is at most N MiB (N + S/8 on
        KASAN), return what it holds, in words."""
        vm = self.vm
        n = self.n + (self.size >> 23 if "debug" in vm.kernel else 0)
        vm.sh(f"setsid bash -c '{bench_program('hold')} {n} & echo $! > /tmp/hold.pid; wait $!; "
              "echo EXIT $?' > /tmp/hold.out 2>&1 < /dev/null &")
        out = wait_for(lambda: re.search(r"HELD (\d+) MiB MemAvailable (-?\d+)|EXIT",
                                         vm.read("/tmp/hold.out")), 600)
        self.t.require(out and out.group(1) and int(out.group(2)) <= n,
                       f"the holder takes memory until MemAvailable <= {n} MiB",
                       diag=vm.read("/tmp/hold.out"))
        return f"held {out.group(1)} MiB, MemAvailable {out.group(2)} MiB"

    # ---- the hot-add ----------------------------------------------------------

    def plug(self):
        vm = self.vm
        if self.path == "dimm":
            self.dev = vm.add_dimm(self.size, reserve=False)
            # Nothing read from the guest: 6.12 may be OOM-killing there
            # now, the agent's reads among the victims.
            self.ids = dimm_blocks(vm, self.dev, self.bsz)
        elif self.path == "virtio_mem":
            vm.qmp("qom-set", path=f"/machine/peripheral/{self.dev}",
                   property="requested-size", value=self.size)
        else:
            vm.sh("(daxctl reconfigure-device -m system-ram dax0.0; echo RC $?) "
                  "> /tmp/daxctl.out 2>&1 < /dev/null &")

    def arrived(self):
        states = blocks(self.vm)
        if not all(states.get(i) == "online" for i in self.ids):
            return False
        if self.path == "virtio_mem":
            return self.vm.qmp("qom-get", path=f"/machine/peripheral/{self.dev}",
                               property="size") == self.size
        return True

    def given_up(self, text):
        """Whether the kernel (a panic, the ACPI driver) or daxctl gave up."""
        if "Kernel panic" in text or (self.path == "dimm" and ADD_FAILED.search(text)):
            return True
        return self.path == "dax" and "RC " in self.vm.read("/tmp/daxctl.out")

    def wait_arrival(self, t0, pos):
        """Seconds from t0 until every block is online, or None once
        ARRIVE_SECONDS passed or the add was given up."""
        while time.monotonic() - t0 < ARRIVE_SECONDS:
            if self.arrived():
                return time.monotonic() - t0
            if self.given_up(self.vm.console()[pos:]):
                # It may have finished since the look above.
                return time.monotonic() - t0 if self.arrived() else None
            time.sleep(0.3)
        return None

    # ---- the memory goes again -------------------------------------------------

    def unplug(self):
        vm = self.vm
        if self.path == "dimm":
            ok = vm.remove_dimm(self.dev, 120)
        elif self.path == "virtio_mem":
            ok = vm.virtio_mem_size(self.dev, 0, 120) == 0
        else:
            # A block may hold a short-lived allocation for a moment (as
            # dax_kmem retries).
            for _ in range(5):
                rc, self.said = vm.run("daxctl offline-memory dax0.0", 300)
                if rc == 0:
                    break
                vm.run("echo 3 > /proc/sys/vm/drop_caches; sleep 1")
            if rc == 0:
                rc, self.said = vm.run("daxctl reconfigure-device -m devdax dax0.0", 300)
            ok = rc == 0
        return ok and wait_for(lambda: not set(self.ids) & set(blocks(vm)), 60)


def outcome(text, secs, holder, dead, hung):
    """The cell's outcome in words."""
    words = ["arrived" if secs is not None else "panic" if "Kernel panic" in text
             else "guest died" if dead else "timed out (the guest stopped answering)" if hung
             else "add failed" if ADD_FAILED.search(text) else "timed out"]
    if hung and secs is not None:
        words.append("then the guest stopped answering")
    if re.search(r"Killed process \d+ \(hold\)", text):
        words.append("holder OOM-killed")
    elif "Killed process" in text:
        words.append("another process OOM-killed")
    elif not dead and not hung and "VERIFIED" not in holder:
        words.append("holder lost its data" if "CORRUPT" in holder else "holder gone")
    if re.search(ALLOC_FAILURE, text):
        words.append("allocation failure")
    if words[0] != "panic" and "Kernel panic" in text:
        words.append("panic")
    return ", ".join(words)


def run_cell(vm, t, path, size, n):
    fresh(vm, [(size, None)] if path == "dax" else [])
    cell = Cell(vm, t, path, size, n)
    cell.prepare()
    total0 = meminfo(vm)["MemTotal"]
    held = cell.hold()
    avail = meminfo(vm)["MemAvailable"] >> 10
    pos = len(vm.console())
    secs, holder, dead, hung = None, "", False, False
    t0 = time.monotonic()
    try:
        cell.plug()
        secs = cell.wait_arrival(t0, pos)
        states = blocks(vm)
        missing = [i for i in cell.ids if states.get(i) != "online"]
        cell.expect(cell.ids and not missing,
                    f"all {len(cell.ids)} blocks of the {size} are there and online",
                    diag=f"not online: {missing[:20]} ({len(missing)})")
        grew = meminfo(vm)["MemTotal"] - total0
        want = len(cell.ids) * cell.bsz >> 10
        cell.expect(grew >= want * 63 // 64, "MemTotal grew by at least 63/64 of it",
                    diag=f"grew by {grew} kB of {want} kB")
        alive = vm.run("read -r p < /tmp/hold.pid && kill -0 $p")[0] == 0
        cell.expect(alive, "the holder is alive after the hot-add", diag=vm.read("/tmp/hold.out"))
        # Until the holder is gone (its wrapper, which prints EXIT, may be
        # OOM-killed too), a minute at most.
        _, holder = vm.run("read -r p < /tmp/hold.pid; kill -USR1 $p 2>/dev/null; "
                            "for i in $(seq 300); do kill -0 $p 2>/dev/null || break; "
                            "sleep 0.2; done; sleep 0.5; cat /tmp/hold.out", 300)
        cell.expect(alive and "VERIFIED" in holder and not re.search(r"EXIT [1-9]", holder),
                    "the holder reads back every byte", diag=holder)
        text = vm.console()[pos:]
        cell.expect(not REPORTS.search(text), "no OOM kill, allocation failure or panic",
                    diag="\n".join(line for line in text.splitlines()
                                   if REPORTS.search(line))[:2000])
        vm.run("read -r p < /tmp/hold.pid; kill -9 $p 2>/dev/null; sleep 0.5")
        cell.expect(cell.unplug(), "the memory goes away again",
                    diag=cell.said)
        cell.expect(meminfo(vm)["MemTotal"] == total0, "MemTotal is back")
    except vmlib.VMError as e:
        dead = not vm.alive()
        if not dead and str(e).startswith("QMP "):
            t.ok(False, "QEMU takes the device", diag=str(e))
            return
        if not dead:
            # A guest that stopped answering: check its console, then end it.
            hung = True
            health(t.results, vm, t.prefix)
            vm.stop()
        text = vm.console()[pos:]
        if cell.reference and "Kernel panic" in text:
            t.note(known_note(KEY, t.prefix))
        cell.expect(False, "the guest keeps running and answering", diag=str(e)[-3000:])
    text = vm.console()[pos:]
    what = outcome(text, secs, holder, dead or not (hung or vm.alive()), hung)
    OUTCOMES[t.prefix.rsplit("/", 1)[-1]] = (path, size, n, what, secs)
    shutil.copy(os.path.join(vm.rundir, "console.log"),
                os.path.join(vm.rundir, f"console.{case_name(path, size, n)}.log"))
    t.note(f"{t.prefix}: {what}; " + (f"arrived in {secs:.1f} s" if secs is not None
                                     else f"not arrived after {time.monotonic() - t0:.0f} s")
           + f" ({held}, {avail} MiB at the plug)")


def make_case(path, size, n):
    def case(vm, t):
        run_cell(vm, t, path, size, n)
    case.__doc__ = f"{path}: {size} arrives while MemAvailable <= {n} MiB."
    return case


for _cell in cells():
    globals()["test_" + case_name(*_cell)] = make_case(*_cell)


def test_table(vm, t):
    """Every cell of this run, one row each."""
    if not OUTCOMES:
        return
    what = ("baseline of the reference" if KNOWN[KEY].applies(vm.kernel)
            else f"outcomes on {vm.kernel}")
    t.note(f"starved_hot_add, {what}:")
    t.note(f"{'path':<11} {'S':>4} {'N MiB':>6}  {'arrived in':>10}  outcome")
    for path, size, n, what, secs in OUTCOMES.values():
        t.note(f"{path:<11} {size:>4} {n:>6}  "
               + (f"{secs:>8.1f} s" if secs is not None else f"{'-':>10}") + f"  {what}")
