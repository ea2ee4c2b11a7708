"""The fault-injection framework of scenario/fault_injection: arming
fail-nth in the guest (Faults), one snapshot of everything an attempt may
leave behind (SNAP, parse_snap), the checks of a snapshot against the
documented state (Expect), the console and outcome tally (Log), and which
fault point each attempt fails (schedule). The scenario file says what is
tested and how; tests/lib/lib_test.py tests the parts that need no guest.
"""

import os
import re
import shutil
import subprocess

import vm as vmlib
from console import KNOWN
from guest import MEM

DRY = os.environ.get("FAULT_DRY") == "1"

DBG = "/sys/kernel/debug"
FAR = 1000000                # a fail-nth no path reaches: counts fault points
ULONG_MAX = (1 << 64) - 1

# Allocations under these are never failed (the stack-trace filter's reject
# range, one per fault type), because the base code there does not survive
# the failure, whatever the hotplug code does:
# - fail_page_alloc, on the reference kernel only (KNOWN['x86-direct-map-null']):
#   x86's direct-map code under init_memory_mapping() (phys_p4d_init() ..
#   phys_pmd_init() in arch/x86/mm/init_64.c) uses the page table that
#   alloc_low_page() returns without checking for NULL: an Oops.
#   (alloc_low_pages() tail-calls the page allocator: it is not on the stack
#   when the allocation fails.) patches/0012 makes ours fail the add instead,
#   so on ours these allocations are failed like any other.
# - failslab, on both (KNOWN['acpica-serialized-mutex']): ACPICA, the AML
#   interpreter that runs the DIMM's _STA/_CRS.
#   acpi_ds_call_control_method() ends a Serialized method whose walk state
#   it could not allocate with acpi_ds_terminate_control_method(obj, NULL),
#   which releases the method's mutex only when given a walk state: QEMU's
#   \_SB.MHPC.MCRS (Serialized, called by every slot's _CRS) then stays
#   locked, and the next _CRS of any memory device waits for it forever in
#   acpi_ex_system_wait_mutex(), holding acpi_scan_lock (seen at attempt 83
#   of 200). Its other AE_NO_MEMORY paths leak parse ops (kmemleak).
UNCHECKED_PAGE = "init_memory_mapping"
ACPICA_DIR = "drivers/acpi/acpica"

# The stack-trace filter's ranges per path: the text of these object files
# (those of them the build has; ours splits its core in four, linked one
# after the other), attempts alternating between the ranges: the driver's
# covers everything it does, the core's reaches deep allocations that the
# 32 frames the filter looks at would not trace back to the driver.
CORE_OBJS = ("mm/memory_hotplug.o", "mm/memory_hotplug_zones.o", "mm/memory_hotplug_online.o",
             "mm/memory_hotplug_parallel.o")
RANGES = {
    "dimm": (("drivers/acpi/acpi_memhotplug.o",), CORE_OBJS),
    "vmem": (("drivers/virtio/virtio_mem.o",), CORE_OBJS),
}

# ---- guest scripts ----------------------------------------------------------

# One look at everything an attempt may leave behind; bash builtins only.
SNAP = r'''
echo @blocks
for b in /sys/devices/system/memory/memory[0-9]*; do
	read -r s < $b/state; n=; back=0
	for l in $b/node[0-9]*; do [ -e "$l" ] && n=${l##*/node}; done
	[ -n "$n" ] && [ -e /sys/devices/system/node/node$n/${b##*/} ] && back=1
	echo "${b##*/memory} $s $back $n"
done
echo @iomem
while IFS= read -r l; do case $l in *"System RAM"*) echo "$l";; esac; done < /proc/iomem
echo @memmap
for e in /sys/firmware/memmap/*; do
	read -r a < $e/start; read -r z < $e/end; read -r t < $e/type; echo "$a $z $t"
done
echo @total
while read -r k v u; do [ "$k" = MemTotal: ] && echo $v; done < /proc/meminfo
echo @zones
while read -r a b c d; do
	case $a in Node) z="${b%,} $d";; present) p=$b;; managed) echo "$z $p $b";; esac
done < /proc/zoneinfo
echo @nodes
for f in online has_memory has_normal_memory; do
	v=; read -r v < /sys/devices/system/node/$f; echo "$f $v"
done
echo @acpi
for d in /sys/bus/acpi/devices/PNP0C80:*; do
	[ -e $d ] || continue; read -r st < $d/status; k=0
	for l in $d/physical_node*; do [ -L $l ] && k=$((k + 1)); done
	echo "${d##*/} $st $k"
done
echo @end
'''

# Arm or read the fail-nth of kworkers. arm PATTERN N remembers whom it
# armed in /tmp/fi.armed; left prints PID:LEFT for each; disarm also zeroes.
WORKERS = r'''
arm() {
	local p c out=
	for p in /proc/[0-9]*; do
		read -r c < $p/comm 2>/dev/null || continue
		case $c in $1) echo $2 > $p/fail-nth 2>/dev/null && out+=" ${p#/proc/}";; esac
	done
	echo "$out" > /tmp/fi.armed
	echo "ARMED$out"
}
left() {
	local p l out=
	for p in $(< /tmp/fi.armed); do
		read -r l < /proc/$p/fail-nth 2>/dev/null && out+=" $p:$l"
	done
	echo "LEFT$out"
}
disarm() {
	local p l out=
	for p in $(< /tmp/fi.armed); do
		read -r l < /proc/$p/fail-nth 2>/dev/null || continue
		echo 0 > /proc/$p/fail-nth 2>/dev/null
		out+=" $p:$l"
	done
	: > /tmp/fi.armed
	echo "LEFT$out"
}
'''

# A state write with this shell's fail-nth armed. Everything the shell
# opens is opened before the arming write, so the count starts with the
# state write itself; bash builtins only, and nothing printed until the
# count is read back and cleared.
WRITE = r'''
exec 3>/sys/devices/system/memory/memory{block}/state 4<>/proc/self/fail-nth 5>/dev/null
echo {n} >&4
echo {word} >&3 2>&5; rc=$?
read -r left <&4
echo 0 >&4
exec 3>&- 4>&- 5>&-
echo "WRITE $rc $left"
'''

PLAIN_WRITE = r'''
echo {word} > /sys/devices/system/memory/memory{block}/state 2>/dev/null; rc=$?
echo "WRITE $rc 0"
'''

# After a failed write: the state as it is, then the same write without
# the fault and the state after it (one guest command: each costs about a
# second on a debug kernel under TCG).
RETRY = r'''
if [ $rc != 0 ]; then
{snap}
echo {word} > /sys/devices/system/memory/memory{block}/state; echo "RETRY $?"
fi
'''

def parse_snap(text):
    s = dict(blocks={}, unlinked=[], ram=[], vram=[], memmap=[], total=None, zones={},
             nodes={}, acpi={})
    sec = None
    for line in text.splitlines():
        if line.startswith("@"):
            sec = line[1:].strip()
            continue
        if not line.strip() or sec is None:
            continue
        if sec == "blocks":
            # id, state, whether the node links back to the block, node
            f = line.split()
            s["blocks"][int(f[0])] = (f[1], int(f[3]) if len(f) > 3 else None)
            if f[2] != "1":
                s["unlinked"].append(int(f[0]))
        elif sec == "iomem":
            rng, _, name = line.strip().partition(" : ")
            lo, hi = (int(x, 16) for x in rng.split("-"))
            if name == "System RAM" and not line.startswith(" "):
                s["ram"].append((lo, hi))
            elif name == "System RAM (virtio_mem)":
                s["vram"].append((lo, hi))
        elif sec == "memmap":
            a, z, kind = line.split(" ", 2)
            s["memmap"].append((int(a, 16), int(z, 16), kind))
        elif sec == "total":
            s["total"] = int(line)
        elif sec == "zones":
            node, zone, present, managed = line.split()
            s["zones"][(int(node), zone)] = (int(present), int(managed))
        elif sec == "nodes":
            key, _, val = line.partition(" ")
            s["nodes"][key] = node_list(val.strip())
        elif sec == "acpi":
            dev, status, links = line.split()
            s["acpi"][dev] = (int(status), int(links))
    s["complete"] = "@end" in text
    return s


def node_list(text):
    """'0-1,3' -> {0, 1, 3}."""
    out = set()
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def parse_left(text):
    """{pid: fail-nth left} from a LEFT line."""
    for line in text.splitlines():
        if line.startswith("LEFT"):
            return {int(p): int(v) for p, v in (w.split(":") for w in line[4:].split())}
    return {}


# ---- console ------------------------------------------------------------------

# warn_alloc() (page allocator, vmalloc, vmemmap) prints a header, then
# dump_stack(): its trace starts with warn_alloc itself.
WARN_ALLOC = re.compile(r"\bwarn_alloc\+0x")


# A splat after which the guest cannot be trusted to go on (a worker that
# died holding device_hotplug_lock leaves every later attempt hanging).
FATAL = re.compile(r"Oops|BUG:|Kernel panic|general protection fault|kernel BUG at")
MAX_REBOOTS = 10


class Log:
    """Per-test tally: outcomes per path, unexpected console lines, problems."""

    def __init__(self, name):
        self.name = name
        self.counts = {}
        self.problems = []
        self.splats = []
        self.excerpts = []
        self.crashes = []
        self.warn_alloc = 0
        self.collateral = 0

    def count(self, path, outcome):
        self.counts.setdefault(path, {}).setdefault(outcome, 0)
        self.counts[path][outcome] += 1

    def problem(self, path, ctx, what):
        self.count(path, "INCONSISTENT")
        self.problems.append(f"{path} {ctx}: {what}")

    def console(self, vm, ctx):
        """Take the console printed since the last look: warn_alloc()'s
        own stack traces pass, any other splat line is kept for the end.
        Return True if the guest crashed (FATAL)."""
        lines = vm.new_console().splitlines()
        fatal = False
        for i, line in enumerate(lines):
            if not vmlib.SPLAT.search(line):
                continue
            if "Call Trace:" in line and any(WARN_ALLOC.search(x) for x in lines[i + 1:i + 5]):
                self.warn_alloc += 1
                continue
            if not self.splats or not self.splats[-1].startswith(ctx + ":"):
                # The first splat line of this attempt, with its context.
                self.excerpts.append(f"{ctx}:\n" + "\n".join(
                    "    | " + x for x in lines[max(0, i - 3):i + 40]))
            self.splats.append(f"{ctx}: {line.strip()}")
            fatal = fatal or bool(FATAL.search(line))
        return fatal

    def reboot(self, vm, ctx):
        """Keep the console of a guest a fault brought down and boot a
        fresh one on the same VM (the runner's), so that the remaining
        attempts still run; False once MAX_REBOOTS is reached."""
        saved = os.path.join(vm.rundir, f"console.{self.name}.crash{len(self.crashes) + 1}.log")
        shutil.copy(os.path.join(vm.rundir, "console.log"), saved)
        self.crashes.append(f"{ctx}: {saved}")
        vm.stop()
        if len(self.crashes) > MAX_REBOOTS:
            return False
        # A new QEMU: the VM's console position and channel buffers start over.
        vm._console_pos = 0
        vm._agent_buf = vm._qmp_buf = b""
        vm.events = []
        vm.start()
        return True


# ---- fault injection set-up ---------------------------------------------------

class Faults:
    """fail-nth arming in the guest, with the debugfs attributes set so that
    every allocation counts: GFP_KERNEL ones (ignore-gfp-wait N), order 0
    pages (min-order 0), and nothing is printed (verbose 0)."""

    def __init__(self, vm):
        self.vm = vm
        self.filter = False
        self.ranges = {}
        self.reject = {"failslab": (0, 0), "fail_page_alloc": (0, 0)}

    def setup(self):
        out = self.vm.sh(f"""
for a in failslab fail_page_alloc; do d={DBG}/$a
	echo 0 > $d/probability; echo 0 > $d/verbose; echo N > $d/task-filter
	echo N > $d/ignore-gfp-wait; echo 0 > $d/space; echo -1 > $d/times
done
echo 0 > {DBG}/fail_page_alloc/min-order
[ -e /proc/self/fail-nth ] && echo NTH
[ -e {DBG}/failslab/require-start ] && echo FILTER; true""")
        self.filter = "FILTER" in out
        if self.filter:
            if KNOWN["x86-direct-map-null"].applies(self.vm.kernel):
                self.reject["fail_page_alloc"] = self.symbol_extent(UNCHECKED_PAGE)
            self.reject["failslab"] = self.acpica_extent()
        return "NTH" in out

    def acpica_extent(self):
        """[start, end) of ACPICA's text (its objects are linked one after
        the other); (0, 0) if the build has none."""
        out_dir = os.path.join(vmlib.BUILD, "kernel", self.vm.kernel)
        src = os.path.join(out_dir, ACPICA_DIR)
        objs = sorted(os.path.join(ACPICA_DIR, f) for f in os.listdir(src)
                      if f.endswith(".o") and f != "built-in.o") if os.path.isdir(src) else []
        rng = self.text_range(objs) if objs else None
        return rng[:2] if rng else (0, 0)

    def symbol_extent(self, name):
        """[start, end) of the text symbol name, from /proc/kallsyms (the
        next text symbol is where it ends); (0, 0) if there is none."""
        out = self.vm.sh(f"""awk 'found && $2 ~ /^[tT]$/ {{ print $1; exit }}
$3 == "{name}" && $2 ~ /^[tT]$/ {{ printf "%s ", $1; found = 1 }}' /proc/kallsyms""")
        f = out.split()
        return (int(f[0], 16), int(f[1], 16)) if len(f) == 2 else (0, 0)

    def restore(self):
        self.set_range(None)
        self.vm.run(f"""
for a in failslab fail_page_alloc; do d={DBG}/$a
	echo 2 > $d/verbose; echo Y > $d/ignore-gfp-wait; echo 1 > $d/times
done
echo 1 > {DBG}/fail_page_alloc/min-order""")

    def range_script(self, rng):
        """Count only allocations with an address of [lo, hi) on the stack,
        or all of them (None)."""
        if not self.filter:
            return ""
        lo, hi = rng[:2] if rng else (0, ULONG_MAX)
        script = ""
        for a, (rlo, rhi) in self.reject.items():
            rlo, rhi = (rlo, rhi) if rng else (0, 0)
            script += (f"d={DBG}/{a}; echo 32 > $d/stacktrace-depth; "
                       f"echo 0 > $d/require-start; echo {hi} > $d/require-end; "
                       f"echo {lo} > $d/require-start; echo 0 > $d/reject-start; "
                       f"echo {rhi} > $d/reject-end; echo {rlo} > $d/reject-start\n")
        return script

    def set_range(self, rng):
        if self.filter:
            self.vm.sh(self.range_script(rng))

    def prepare(self, pattern, n, rng, snap=False):
        """In one guest command: the stack-trace range, a snapshot (when
        snap; returned, else None) and the arming of the kworkers that
        match pattern with fail-nth n (none when n is 0)."""
        script = self.range_script(rng) + (SNAP if snap else "")
        if n:
            script += WORKERS + f"arm '{pattern}' {n}\n"
        if not script:
            return None
        out = self.vm.sh(script, timeout=600)
        return parse_snap(out) if snap else None

    def text_range(self, objs):
        """(lo, hi, name) of the text of the object files objs (those the
        build has), from their symbols' addresses in /proc/kallsyms; None
        if there is none."""
        out_dir = os.path.join(vmlib.BUILD, "kernel", self.vm.kernel)
        names, found = set(), []
        for obj in objs:
            path = os.path.join(out_dir, obj)
            if not os.path.exists(path):
                continue
            found.append(obj)
            nm = subprocess.run(["nm", "--defined-only", path], capture_output=True,
                                text=True).stdout
            names |= {f[2] for f in (line.split() for line in nm.splitlines())
                      if len(f) == 3 and f[1] in "tT"}
        if not names:
            return None
        self.vm.sh("cat > /tmp/fi.names <<'EOF'\n" + "\n".join(sorted(names)) + "\nEOF")
        # kallsyms is sorted by address: the text symbol after one of ours
        # is where it ends.
        out = self.vm.sh(r"""awk 'NR == FNR { want[$1] = 1; next }
$2 ~ /^[tT]$/ { if (prev) { print "NEXT", $1; prev = 0 }
	if ($3 in want) { print "SYM", $1, $3; prev = 1 } }' /tmp/fi.names /proc/kallsyms""",
                         timeout=300)
        syms, after, last = [], {}, None
        for line in out.splitlines():
            f = line.split()
            if f[0] == "SYM":
                last = int(f[1], 16)
                syms.append((last, f[2]))
            elif last is not None:
                after[last] = int(f[1], 16)
        # Only names no other object has (KASAN gives every object the same
        # _sub_I_65535_1 constructor, static helpers share names): then the
        # biggest cluster of addresses is our .text, not .init.text.
        seen = {}
        for _, name in syms:
            seen[name] = seen.get(name, 0) + 1
        addrs = sorted(a for a, name in syms if seen[name] == 1)
        if not addrs:
            return None
        clusters, cur = [], [addrs[0]]
        for a in addrs[1:]:
            if a - cur[-1] > (256 << 10):
                clusters.append(cur)
                cur = []
            cur.append(a)
        clusters.append(cur)
        best = max(clusters, key=len)
        names = [os.path.basename(o) for o in found]
        label = names[0] if len(names) == 1 else \
            os.path.commonprefix(names).rstrip("_") + "*.o"
        return best[0], after.get(best[-1], best[-1] + 4096), label

    # -- shells and workers --

    def write(self, block, word, n, retry=False):
        """Write word to the block's state, the n-th fault point of the
        write failing (n=0: none); return (rc, left, snapshot). With retry,
        a failed write is repeated without the fault at once, and the
        result has two more items: the retry's rc and the snapshot after
        it (None, None when the first write worked)."""
        script = (WRITE if n else PLAIN_WRITE).format(block=block, word=word, n=n)
        if retry:
            script += RETRY.format(block=block, word=word, snap=SNAP)
        rc, out = self.vm.run(script + SNAP, timeout=600)
        m = re.search(r"^WRITE (\d+) (\d+)$", out, re.M)
        if not m:
            raise vmlib.VMError(f"state write did not report: {out[-2000:]}")
        first, _, rest = out.partition("@end")
        r = re.search(r"^RETRY (\d+)$", out, re.M)
        if not retry:
            return int(m.group(1)), int(m.group(2)), parse_snap(out)
        if not r:
            return int(m.group(1)), int(m.group(2)), parse_snap(out), None, None
        return (int(m.group(1)), int(m.group(2)), parse_snap(first + "@end"),
                int(r.group(1)), parse_snap(rest))

    def arm(self, pattern, n):
        out = self.vm.sh(WORKERS + f"arm '{pattern}' {n}")
        return len(out.split()) - 1

    def disarm_and_snap(self):
        out = self.vm.sh(WORKERS + "disarm\n" + SNAP, timeout=600)
        return parse_left(out), parse_snap(out)

    def left(self):
        return parse_left(self.vm.sh(WORKERS + "left"))


def snapshot(vm):
    return parse_snap(vm.sh(SNAP, timeout=600))


def schedule(k, attempts):
    """The fault point of each attempt, for a path with k of them."""
    if attempts <= 0:
        return []
    if k <= 0:
        return [0] * attempts
    if k <= attempts:
        return [1 + i % k for i in range(attempts)]
    dense = attempts // 2
    rest = attempts - dense
    return list(range(1, dense + 1)) + [dense + 1 + (j * (k - dense - 1)) // max(rest - 1, 1)
                                        for j in range(rest)]


# The DIMM and virtio-mem paths go through register_memory_resource(),
# which the reference fails in its own way (KNOWN['reference-resource-eexist']):
# they are skipped there; online and offline run on both kernels.
REFERENCE_EEXIST = KNOWN["reference-resource-eexist"]


def skip_reason(vm, ours_only=False):
    if ours_only and REFERENCE_EEXIST.applies(vm.kernel):
        return "needs KERNEL=ours: known base-kernel defect " + REFERENCE_EEXIST.key + \
            ": " + REFERENCE_EEXIST.shows
    if DRY:
        return None
    rc, _ = vm.run(f"[ -d {DBG}/failslab ] && [ -d {DBG}/fail_page_alloc ]")
    if rc:
        return ("no /sys/kernel/debug/failslab: needs CONFIG_FAULT_INJECTION_DEBUG_FS "
                "(FLAVOUR=debug)")
    return None


def start(vm, t, what, ours_only=False):
    """The Faults of this guest, or None (reported as skipped); ours_only
    for the paths through register_memory_resource() (REFERENCE_EEXIST)."""
    reason = skip_reason(vm, ours_only)
    if reason:
        t.skip(what, reason)
        return None
    fi = Faults(vm)
    if not DRY and not fi.setup():
        t.skip(what, "no /proc/self/fail-nth (CONFIG_FAULT_INJECTION)")
        return None
    return fi


# ---- the state checks ---------------------------------------------------------

class Expect:
    """What the guest was at the start, and the facts the checks need."""

    def __init__(self, vm, base, hot_node, vmem):
        """base: the snapshot before any attempt; hot_node: the node the
        DIMMs go to; vmem: the id of the virtio-mem device."""
        self.base = base
        self.hot_node = hot_node
        self.bsz = int(vm.read(f"{MEM}/block_size_bytes"), 16)
        self.bkb = self.bsz >> 10
        self.ppb = self.bsz >> 12
        self.vmem = None
        for dev in vm.qmp("query-memory-devices"):
            if dev.get("type") == "virtio-mem" and dev["data"].get("id") == vmem:
                lo = dev["data"]["memaddr"]
                self.vmem = (lo, lo + dev["data"]["max-size"])

    def vmem_block(self, i):
        return self.vmem and self.vmem[0] <= i * self.bsz < self.vmem[1]

    def problems(self, s, dimms=(), plugged=0, vmem_exact=True):
        """What is wrong with snapshot s, given the DIMM ranges [(lo, hi)]
        that should be fully added and the bytes virtio-mem has plugged
        (its memory must all be accounted for when vmem_exact)."""
        b0 = self.base
        bad = []
        if not s["complete"]:
            return ["snapshot incomplete"]
        for i, v in b0["blocks"].items():
            if s["blocks"].get(i) != v:
                bad.append(f"boot block {i}: {v} -> {s['blocks'].get(i)}")
        hot = {i: v for i, v in s["blocks"].items() if i not in b0["blocks"]}
        vblocks = {i: v for i, v in hot.items() if self.vmem_block(i)}
        dblocks = {i: v for i, v in hot.items() if i not in vblocks}
        want_d = {i for lo, hi in dimms for i in range(lo // self.bsz, (hi + 1) // self.bsz)}
        if set(dblocks) != want_d:
            bad.append(f"DIMM blocks {sorted(dblocks)}, want {sorted(want_d)}")
        for i, (state, node) in hot.items():
            if state not in ("online", "offline"):
                bad.append(f"block {i} is {state}")
            if node is None:
                bad.append(f"block {i} has no node link")
            elif i in s["unlinked"]:
                bad.append(f"block {i}: node{node} has no link back to it")
            elif i in dblocks and node != self.hot_node:
                bad.append(f"DIMM block {i} on node {node}")
        d_online = sum(1 for st, _ in dblocks.values() if st == "online")
        v_online = sum(1 for st, _ in vblocks.values() if st == "online")

        # Firmware views: one System RAM resource and memmap entry per DIMM.
        want_ram = sorted(b0["ram"] + list(dimms))
        if sorted(s["ram"]) != want_ram:
            bad.append(f"System RAM {hexr(s['ram'])}, want {hexr(want_ram)}")
        want_map = sorted(b0["memmap"] + [(lo, hi, "System RAM") for lo, hi in dimms])
        if sorted(s["memmap"]) != want_map:
            bad.append(f"firmware memmap {hexr(s['memmap'])}, want {hexr(want_map)}")
        covered = set()
        for lo, hi in s["vram"]:
            covered.update(range(lo // self.bsz, (hi + 1) // self.bsz))
        if covered != set(vblocks):
            bad.append(f"System RAM (virtio_mem) covers blocks {sorted(covered)}, "
                       f"virtio-mem blocks are {sorted(vblocks)}")

        # ACPI: a binding for every block of every added DIMM, nothing else.
        links = sorted(k for _, k in s["acpi"].values() if k)
        want_links = sorted((hi + 1 - lo) // self.bsz for lo, hi in dimms)
        if links != want_links:
            bad.append(f"PNP0C80 devices have {links} physical_node links, "
                       f"want {want_links} (one device per added DIMM)")

        # Memory: MemTotal, the zones, the nodes.
        dt = s["total"] - b0["total"]
        vkb = dt - d_online * self.bkb
        if vmem_exact and vkb != plugged >> 10:
            want = b0["total"] + d_online * self.bkb + (plugged >> 10)
            bad.append(f"MemTotal {s['total']} kB: {d_online} online DIMM blocks and "
                       f"{plugged >> 20} MiB virtio-mem want {want}")
        elif not vmem_exact and not (0 <= vkb <= plugged >> 10 and vkb <= v_online * self.bkb):
            bad.append(f"MemTotal {s['total']} kB: {vkb} kB beyond the DIMMs, with "
                       f"{plugged >> 10} kB plugged in {v_online} online virtio-mem blocks")
        managed = sum(m for _, m in s["zones"].values()) - sum(m for _, m in b0["zones"].values())
        if managed * 4 != dt:
            bad.append(f"zone managed pages moved by {managed * 4} kB, MemTotal by {dt} kB")
        hp = sum(p for (n, _), (p, _) in s["zones"].items() if n == self.hot_node)
        hm = sum(m for (n, _), (_, m) in s["zones"].items() if n == self.hot_node)
        if (hp, hm) != (d_online * self.ppb,) * 2:
            bad.append(f"node {self.hot_node} zones present {hp} managed {hm}, "
                       f"want {d_online * self.ppb} for {d_online} online blocks")
        nodes = s["nodes"]
        on = bool(dblocks) or self.hot_node in b0["nodes"].get("online", set())
        if (self.hot_node in nodes.get("online", set())) != on:
            bad.append(f"node {self.hot_node} online is {nodes.get('online')} "
                       f"with blocks {sorted(dblocks)}")
        if (self.hot_node in nodes.get("has_memory", set())) != bool(d_online):
            bad.append(f"has_memory {nodes.get('has_memory')} with {d_online} online blocks on "
                       f"node {self.hot_node}")
        normal = s["zones"].get((self.hot_node, "Normal"), (0, 0))[0]
        if (self.hot_node in nodes.get("has_normal_memory", set())) != bool(normal):
            bad.append(f"has_normal_memory {nodes.get('has_normal_memory')} with {normal} "
                       f"present pages in node {self.hot_node}'s Normal zone")
        return bad


def hexr(ranges):
    return [tuple(hex(x) if isinstance(x, int) else x for x in r) for r in ranges]


OUTCOMES = ("injected", "path ended", "no fault armed", "crashed")


def note_counts(t, log, timing):
    """Per path: attempts by outcome, then what else was seen (the
    INCONSISTENT ones are the problems finish() reports)."""
    lines = []
    for path, c in log.counts.items():
        done = {k: v for k, v in c.items() if k.startswith(OUTCOMES)}
        other = {k: v for k, v in c.items() if k not in done}
        lines.append(f"{path}: {sum(done.values())} attempts in {timing.get(path, 0):.0f} s: "
                     + ", ".join(f"{k} {v}" for k, v in sorted(done.items()))
                     + "".join(f"; {k} {v}" for k, v in sorted(other.items())))
    lines.append(f"warn_alloc reports let through: {log.warn_alloc}; "
                 f"faults taken by other kworkers: {log.collateral}")
    t.note("\n".join(lines))


def finish(t, log, what):
    t.eq(log.problems[:20], [], f"{what}: every attempt ends in a documented state")
    t.ok(not log.splats, f"{what}: no splat but warn_alloc reports",
         diag="\n".join(log.splats[:10] + log.excerpts[:3]
                        + [f"guest restarted after {c}" for c in log.crashes]))


def outcome(n, injected, ok):
    if not n:
        return "no fault armed, succeeded" if ok else "no fault armed, FAILED"
    if not injected:
        return "path ended before the fault point, succeeded" if ok else \
            "path ended before the fault point, FAILED"
    return "injected, succeeded anyway" if ok else "injected, failed and rolled back"
