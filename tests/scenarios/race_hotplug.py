"""Everything at once: for RACE_SECONDS (default 120) seconds,

- two loops toggle the blocks of two DIMMs between offline and
  online_movable, one in ascending and one in descending block order;
- a reader reads every file of every memoryN (and its node link) and runs
  lsmem, over and over;
- a process keeps 384 MiB of anonymous memory filled with a pattern and
  re-verifies every word of it, refilling with a new pattern every other pass
  and into fresh pages (from ZONE_MOVABLE first) every fourth;
- the host resizes a virtio-mem device between 0 and 512 MiB, in 128 MiB
  steps, and plugs and ejects one of the two DIMMs;
- a udev rule reads valid_zones of every block that is added.

Afterwards: each actor did its work, no write to state got an errno other
than the ones a lost race gives (EBUSY, EINVAL, EINTR on our own alarm,
ENOENT/ENODEV for a block gone), no read failed on a block that was there,
valid_zones was never empty, the filler never saw a wrong word, udev's
reads all worked, no block is left going-offline, and MemTotal moved by
exactly what the online blocks and the plugged virtio-mem memory account
for. Then, with the filler gone, the DIMMs eject and virtio-mem unplugs,
and the blocks and MemTotal are those of the start. The runner's console
check after the test catches splats, lockdep reports and hung tasks.

RACE_SECONDS sets the duration, RACE_SEED the host's choices (printed, so a
run can be replayed as far as the host decides)."""

import hashlib
import json
import os
import random
import subprocess
import time

import vm as vmlib
from guest import block_size, dimm_blocks, sane, set_auto_online, wait_for

DEBUG = True
VM = dict(mem="2G", smp=2, udev=True,
          virtio_mem=[dict(id="vmem0", size="1G", node=0, requested=0)])

VMEM = "vmem0"
DIMM = "512M"
FILL_MIB = 384
VMEM_SIZES = [0, 128 << 20, 256 << 20, 384 << 20, 512 << 20]
DIR = "/tmp/race"
MEM = "/sys/devices/system/memory"

# ---- guest programs --------------------------------------------------------

# The filler, compiled on the host (the guest runs the host's libc).
FILLER_C = r'''
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t *mem;
static size_t words;
static unsigned long fills, verifies, bad_words;
static int pagemap = -1;

static uint64_t pattern(size_t i, uint64_t gen)
{
	return (i * 0x9e3779b97f4a7c15ULL) ^ (gen * 0xbf58476d1ce4e5b9ULL) ^ 0x5a5a5a5a5a5a5a5aULL;
}

static void status(const char *path, const char *what)
{
	char tmp[256];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s fills=%lu verifies=%lu bad=%lu mib=%zu\n", what, fills,
		verifies, bad_words, words >> 17);
	fclose(f);
	rename(tmp, path);
}

static void fill(uint64_t gen)
{
	for (size_t i = 0; i < words; i++)
		mem[i] = pattern(i, gen);
	fills++;
}

static void verify(uint64_t gen)
{
	unsigned long bad = 0;

	for (size_t i = 0; i < words; i++) {
		uint64_t want = pattern(i, gen), got = mem[i];

		if (got == want)
			continue;
		if (bad_words + bad < 20) {
			uint64_t ent = 0;
			uintptr_t va = (uintptr_t)&mem[i];

			if (pagemap >= 0)
				pread(pagemap, &ent, 8, (va / 4096) * 8);
			fprintf(stderr, "BAD word %zu (va %#lx pfn %#llx) pass %lu: got %#018llx want %#018llx\n",
				i, (unsigned long)va,
				(unsigned long long)(ent & ((1ULL << 55) - 1)), verifies,
				(unsigned long long)got, (unsigned long long)want);
		}
		bad++;
	}
	bad_words += bad;
	verifies++;
}

int main(int argc, char **argv)
{
	struct timespec start, now, pause = { 0, 500 * 1000 * 1000 };
	const char *path, *stop;
	double limit;
	uint64_t gen = 1;
	size_t bytes;

	if (argc != 5) {
		fprintf(stderr, "usage: filler MIB STATUS STOPFILE MAXSECONDS\n");
		return 2;
	}
	bytes = strtoull(argv[1], NULL, 0) << 20;
	path = argv[2];
	stop = argv[3];
	limit = atof(argv[4]);
	words = bytes / sizeof(*mem);
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	fill(gen);
	status(path, "READY");
	for (;;) {
		int last;

		clock_gettime(CLOCK_MONOTONIC, &now);
		last = access(stop, F_OK) == 0 || now.tv_sec - start.tv_sec > limit;
		verify(gen);
		if (last)
			break;
		if (verifies % 4 == 0) {
			/*
			 * Fresh pages come from ZONE_MOVABLE first: give the
			 * DIMMs and virtio-mem data to migrate again.
			 */
			madvise(mem, bytes, MADV_DONTNEED);
			fill(++gen);
		} else if (verifies % 2 == 0) {
			fill(++gen);
		}
		status(path, "RUNNING");
		nanosleep(&pause, NULL);
	}
	status(path, "DONE");
	return bad_words != 0;
}
'''

# Toggle loop: over the blocks listed in DIR/blocks, in the given order,
# offline what is online and online_movable what is offline. Each write is
# bounded by an alarm: offlining answers a signal with EINTR; onlining has
# no reason to take long, so an online write that outlives its alarm is a
# 'stuck' write.
TOGGLE_PY = r'''
import errno, json, os, signal, sys, time
name, order, stop, offline_alarm, online_alarm, limit = sys.argv[1:]
offline_alarm, online_alarm, limit = int(offline_alarm), int(online_alarm), float(limit)
MEM = "/sys/devices/system/memory"
out = f"/tmp/race/{name}.json"

class Alarm(Exception):
    pass

def on_alarm(sig, frame):
    raise Alarm()

signal.signal(signal.SIGALRM, on_alarm)
c = dict(passes=0, online=0, offline=0, EBUSY=0, EINVAL=0, EINTR=0, absent=0,
         stuck=0, other=0, max_online=0.0, max_offline=0.0, done=False)
others = []

def save():
    c["others"] = others[:20]
    with open(out + ".tmp", "w") as f:
        json.dump(c, f)
    os.rename(out + ".tmp", out)

start = time.monotonic()

def finished():
    """Told to stop (or past the limit), and done at least one of each."""
    over = time.monotonic() - start > limit
    return over or (os.path.exists(stop) and c["online"] and c["offline"])

while not finished():
    with open("/tmp/race/blocks") as f:
        ids = sorted({int(x) for x in f.read().split()})
    if order == "down":
        ids.reverse()
    for i in ids:
        if finished():
            break
        path = f"{MEM}/memory{i}/state"
        try:
            with open(path) as f:
                state = f.read().strip()
        except OSError:
            c["absent"] += 1
            continue
        op = "offline" if state == "online" else "online_movable"
        key = "offline" if op == "offline" else "online"
        t0 = time.monotonic()
        try:
            try:
                signal.alarm(offline_alarm if key == "offline" else online_alarm)
                fd = os.open(path, os.O_WRONLY)
                try:
                    os.write(fd, op.encode())
                finally:
                    os.close(fd)
            finally:
                signal.alarm(0)
            c[key] += 1
        except Alarm:
            c["EINTR" if key == "offline" else "stuck"] += 1
            if key == "online":
                others.append(f"memory{i} {op}: no answer in {online_alarm} s")
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ENODEV):
                c["absent"] += 1
            elif e.errno in (errno.EBUSY, errno.EINVAL, errno.EINTR):
                c[errno.errorcode[e.errno]] += 1
            else:
                c["other"] += 1
                others.append(f"memory{i} {op}: {errno.errorcode.get(e.errno, e.errno)}")
        dt = time.monotonic() - t0
        c["max_" + key] = max(c["max_" + key], round(dt, 2))
    c["passes"] += 1
    save()
    time.sleep(0.05)
c["done"] = True
save()
'''

# Reader: every file of every block, its node link, then lsmem; again.
# A block may vanish (or not be complete yet) under the reader: ENOENT and
# ENODEV are counted as 'vanished'; any other error, an empty valid_zones or
# a value that makes no sense is an error.
READER_PY = r'''
import errno, json, os, re, subprocess, sys, time
stop, limit = sys.argv[1], float(sys.argv[2])
MEM = "/sys/devices/system/memory"
out = "/tmp/race/reader.json"
ZONES = {"DMA", "DMA32", "Normal", "Movable", "none"}
STATES = {"online", "offline", "going-offline"}
# Ours only: why the last offline failed and what page was in the way,
# each empty or one word.
REASONS = {"unmovable", "isolation", "hugetlb", "notifier", "signal", "timeout", "holes",
           "zones", "oom"}
KINDS = {"slab", "pagetable", "reserved", "hugetlb", "driver", "pinned", "user", "movable",
         "kernel"}
FILES = ["state", "online", "phys_index", "phys_device", "removable", "valid_zones"]
if os.path.exists(f"{MEM}/memory1/offline_failure"):
    FILES += ["offline_failure", "offline_failure_page"]
c = dict(passes=0, reads=0, vanished=0, errors=0, lsmem=0, lsmem_raced=0, lsmem_failed=0,
         done=False)
errs, lsmem_errs = [], []

def save():
    c["errs"], c["lsmem_errs"] = errs[:20], lsmem_errs[:5]
    with open(out + ".tmp", "w") as f:
        json.dump(c, f)
    os.rename(out + ".tmp", out)

def bad(what):
    c["errors"] += 1
    errs.append(what)

def check(n, name, v):
    if name == "valid_zones":
        if not v or not set(v.split()) <= ZONES:
            bad(f"{n}/valid_zones: {v!r}")
    elif name == "state" and v not in STATES:
        bad(f"{n}/state: {v!r}")
    elif name in ("online", "removable") and v not in ("0", "1"):
        bad(f"{n}/{name}: {v!r}")
    elif name == "phys_index" and v != "%08x" % int(n[6:]):
        bad(f"{n}/phys_index: {v!r}")
    elif name == "phys_device" and not v.isdigit():
        bad(f"{n}/phys_device: {v!r}")
    elif name == "offline_failure" and v and v not in REASONS:
        bad(f"{n}/offline_failure: {v!r}")
    elif name == "offline_failure_page" and v and v not in KINDS:
        bad(f"{n}/offline_failure_page: {v!r}")

start = time.monotonic()
while c["passes"] == 0 or not (os.path.exists(stop) or time.monotonic() - start > limit):
    names = [n for n in os.listdir(MEM) if n.startswith("memory") and n[6:].isdigit()]
    for n in names:
        d = f"{MEM}/{n}"
        for name in FILES:
            try:
                with open(f"{d}/{name}") as f:
                    v = f.read()
            except OSError as e:
                if e.errno in (errno.ENOENT, errno.ENODEV):
                    c["vanished"] += 1
                    break
                bad(f"{n}/{name}: {errno.errorcode.get(e.errno, e.errno)}")
                continue
            c["reads"] += 1
            check(n, name, v.strip())
        try:
            for e in os.listdir(d):
                if e.startswith("node"):
                    os.readlink(f"{d}/{e}")
                    c["reads"] += 1
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ENODEV):
                c["vanished"] += 1
            else:
                bad(f"{n}/node link: {errno.errorcode.get(e.errno, e.errno)}")
    p = subprocess.run(["lsmem", "-a", "-J", "-o", "RANGE,SIZE,STATE,BLOCK,NODE,ZONES"],
                       capture_output=True, text=True)
    c["lsmem"] += 1
    try:
        rows = json.loads(p.stdout)["memory"] if p.returncode == 0 else None
    except ValueError:
        rows = None
    if p.returncode and re.fullmatch(r"lsmem: Failed to open memory\d+: No such file or directory",
                                     p.stderr.strip()):
        c["lsmem_raced"] += 1  # lsmem found a block in the directory, then it was gone
    elif not rows:
        c["lsmem_failed"] += 1
        lsmem_errs.append(f"rc {p.returncode}: {p.stderr.strip()[:300]} {p.stdout[:200]!r}")
    c["passes"] += 1
    save()
    time.sleep(0.1)
c["done"] = True
save()
'''

# udev RUN program: log what valid_zones said when the block was added.
# 'gone' when the read failed and the block is gone a second later: it was
# removed before udev got to it.
VZ_SH = r'''#!/bin/sh
f=/sys$2/valid_zones
if z=$(cat $f 2>&1); then r=ok; else r=err; sleep 1; [ -d /sys$2 ] || r=gone; fi
echo "$1 $r [$z]" >> /tmp/race/vz.log
'''

VZ_RULE = ('SUBSYSTEM=="memory", ACTION=="add", '
           'RUN+="/bin/sh /tmp/race/vz.sh $kernel $devpath"\n')


def build_filler():
    """Compile FILLER_C into build/race (once per source version)."""
    out_dir = os.path.join(vmlib.BUILD, "race")
    os.makedirs(out_dir, exist_ok=True)
    tag = hashlib.sha1(FILLER_C.encode()).hexdigest()[:12]
    exe = os.path.join(out_dir, f"filler-{tag}")
    if not os.path.exists(exe):
        src = exe + ".c"
        with open(src, "w") as f:
            f.write(FILLER_C)
        subprocess.run(["gcc", "-O2", "-Wall", "-o", exe + ".part", src], check=True)
        os.rename(exe + ".part", exe)
    return exe


def put(vm, path, text):
    vm.sh(f"cat > {path} <<'RACE_EOF'\n{text}RACE_EOF\n")


def guest_json(vm, name):
    rc, out = vm.run(f"cat {DIR}/{name}.json")
    try:
        return json.loads(out) if rc == 0 else {}
    except ValueError:
        return {}


def vmem_range(vm):
    for dev in vm.qmp("query-memory-devices"):
        d = dev.get("data", {})
        if dev.get("type") == "virtio-mem" and d.get("id") == VMEM:
            return d["memaddr"], d["memaddr"] + d["max-size"]
    raise AssertionError("no virtio-mem device")


def snapshot(vm):
    """({block: state}, MemTotal kB) read in one guest command; a block
    that vanishes meanwhile is left out (guest.blocks() would choke)."""
    out = vm.sh(f"cd {MEM} && for b in memory[0-9]*; do "
                "{ read -r s < $b/state; } 2>/dev/null && echo ${b#memory} $s; done; "
                "grep MemTotal /proc/meminfo")
    states, total = {}, None
    for line in out.splitlines():
        if line.startswith("MemTotal:"):
            total = int(line.split()[1])
        else:
            i, s = line.split()
            states[int(i)] = s
    return states, total


def plug(vm, size, timeout):
    """guest.plug() for a guest whose blocks come and go meanwhile: plug a
    DIMM, wait for all its blocks; return (dev_id, ids or [])."""
    dev = vm.add_dimm(size)
    ids = dimm_blocks(vm, dev)
    ok = wait_for(lambda: set(ids) <= set(snapshot(vm)[0]), timeout, 0.5)
    return dev, ids if ok else []


def settle(vm, ids, timeout):
    """Wait until all the blocks are online; return their {id: state}."""
    def states():
        return {i: s for i, s in snapshot(vm)[0].items() if i in ids}
    wait_for(lambda: set(states().values()) == {"online"} and len(states()) == len(ids),
             timeout)
    return states()


class Host:
    """The host's two actors, stepped from one loop: virtio-mem resizes and
    one DIMM plugged and ejected."""

    def __init__(self, vm, rng, slow, dev, ids):
        self.vm, self.rng, self.slow = vm, rng, slow
        self.c = dict(resize_up=0, resize_down=0, resize_late=0, plugs=1, ejects=0,
                      refused=0, eject_tries=0)
        self.max_eject = 0.0
        self.vmem_phase, self.vmem_since = "idle", time.monotonic()
        self.vmem_wait = rng.uniform(0.5, 3)
        self.requested = self.plugged = self.previous = 0
        self.dev, self.ids = dev, ids
        self.dimm_phase, self.dimm_since = "plugged", time.monotonic()
        self.dimm_wait = rng.uniform(2, 6)
        self.errors = []
        self.closing = False

    def busy(self):
        """Whether an operation is under way, or one of each kind is still
        to be done."""
        c = self.c
        return (self.vmem_phase == "resizing" or self.dimm_phase == "ejecting"
                or not (c["resize_up"] and c["resize_down"] and c["ejects"] and c["plugs"] > 1))

    def more(self, needed):
        """Whether to start another operation: until time is up, or while
        one of its kind is still needed."""
        return not self.closing or needed

    def step(self):
        now = time.monotonic()
        path = f"/machine/peripheral/{VMEM}"
        self.plugged = self.vm.qmp("qom-get", path=path, property="size")  # also drains events
        if self.vmem_phase == "resizing":
            if self.plugged == self.requested:
                self.c["resize_up" if self.requested > self.previous else "resize_down"] += 1
                self.vmem_phase, self.vmem_since = "idle", now
                self.vmem_wait = self.rng.uniform(0.5, 3)
            elif now - self.vmem_since > 120 * self.slow:
                # virtio-mem retries an unplug it could not finish only
                # after 50 s and more: move on to the next size.
                self.c["resize_late"] += 1
                self.vmem_phase, self.vmem_since = "idle", now
                self.vmem_wait = 0
        elif self.vmem_phase == "idle" and now - self.vmem_since > self.vmem_wait and \
                self.more(not (self.c["resize_up"] and self.c["resize_down"])):
            self.previous = self.plugged
            sizes = [s for s in VMEM_SIZES if s != self.plugged]
            if self.closing:  # the direction still missing, if it can be taken from here
                up = not self.c["resize_up"]
                sizes = [s for s in sizes if (s > self.plugged) == up] or sizes
            self.requested = self.rng.choice(sizes)
            self.vm.qmp("qom-set", path=path, property="requested-size", value=self.requested)
            self.vmem_phase, self.vmem_since = "resizing", now

        if self.dimm_phase == "plugged" and now - self.dimm_since > self.dimm_wait and \
                self.more(not self.c["ejects"]):
            self.vm.qmp("device_del", id=self.dev)
            self.c["eject_tries"] += 1
            self.dimm_phase, self.dimm_since = "ejecting", now
        elif self.dimm_phase == "ejecting":
            if self.take_event("DEVICE_DELETED", lambda d: d.get("device") == self.dev):
                self.vm.qmp("object-del", id=f"mem-{self.dev}")
                self.c["ejects"] += 1
                self.max_eject = max(self.max_eject, now - self.dimm_since)
                self.dimm_phase, self.dimm_since = "absent", now
                self.dimm_wait = self.rng.uniform(1, 3)
            elif self.take_event("ACPI_DEVICE_OST", lambda d: (
                    d["info"].get("device") == self.dev and d["info"].get("source") == 3
                    and d["info"].get("status") not in (0, 0x84))):
                self.c["refused"] += 1
                self.dimm_phase, self.dimm_since = "plugged", now
                self.dimm_wait = self.rng.uniform(2, 6)
            elif now - self.dimm_since > 300 * self.slow:
                self.errors.append(f"eject of {self.dev} neither done nor refused in "
                                   f"{300 * self.slow} s")
                self.dimm_phase = "lost"
        elif self.dimm_phase == "absent" and now - self.dimm_since > self.dimm_wait and \
                self.more(self.c["plugs"] < 2):
            dev, ids = plug(self.vm, DIMM, timeout=120 * self.slow)
            if not ids:
                self.errors.append(f"the blocks of {dev} did not all appear")
                self.dimm_phase = "lost"
                return
            if ids != self.ids:
                self.vm.sh(f"echo {' '.join(map(str, ids))} >> {DIR}/blocks")
            self.dev, self.ids = dev, ids
            self.c["plugs"] += 1
            self.dimm_phase, self.dimm_since = "plugged", time.monotonic()
            self.dimm_wait = self.rng.uniform(2, 6)

    def take_event(self, name, match):
        for ev in self.vm.events:
            if ev["event"] == name and match(ev.get("data", {})):
                self.vm.events.remove(ev)
                return ev
        return None


def test_everything_at_once(vm, t):
    seconds = int(os.environ.get("RACE_SECONDS", "120"))
    seed = int(os.environ.get("RACE_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    slow = 10 if "debug" in vm.kernel else 1
    t.note(f"race: {seconds} s, RACE_SEED={seed}")
    filler = build_filler()
    bsz = block_size(vm)
    vlo, vhi = vmem_range(vm)
    vmem_ids = set(range(vlo // bsz, vhi // bsz))

    set_auto_online(vm, "online_movable")
    vm.sh(f"mkdir -p {DIR}")
    put(vm, f"{DIR}/toggle.py", TOGGLE_PY)
    put(vm, f"{DIR}/reader.py", READER_PY)
    put(vm, f"{DIR}/vz.sh", VZ_SH)
    put(vm, "/run/udev/rules.d/99-race-valid-zones.rules", VZ_RULE)
    vm.sh("udevadm control --reload")
    states0, total0 = snapshot(vm)
    online0 = {i for i, s in states0.items() if s == "online"}

    # The loops' blocks: one DIMM that stays, one that comes and goes.
    fixed_dev, fixed_ids = plug(vm, DIMM, timeout=120 * slow)
    cyc_dev, cyc_ids = plug(vm, DIMM, timeout=120 * slow)
    settled = settle(vm, fixed_ids + cyc_ids, 60 * slow)
    if not t.ok(fixed_ids and cyc_ids and set(settled.values()) == {"online"},
                "two 512 MiB DIMMs plug and online movable", diag=str(settled)):
        return
    vm.sh(f"echo {' '.join(map(str, fixed_ids + cyc_ids))} > {DIR}/blocks")

    # The filler first, so that its memory is in the DIMMs' ZONE_MOVABLE.
    limit = seconds + 900 * slow
    vm.sh(f"setsid {filler} {FILL_MIB} {DIR}/filler {DIR}/stop {limit} "
          f"> {DIR}/filler.log 2>&1 < /dev/null & echo $! > {DIR}/filler.pid")
    if not t.ok(wait_for(lambda: vm.read(f"{DIR}/filler").startswith(("READY", "RUNNING")),
                         120 * slow, 1),
                f"the filler fills {FILL_MIB} MiB", diag=vm.read(f"{DIR}/filler.log")):
        return
    # An offline holds device_hotplug_lock while it migrates: the alarm
    # keeps that under the 120 s after which a debug kernel reports the
    # tasks waiting for the lock (ACPI, virtio-mem) as hung.
    offline_alarm = 90 if slow > 1 else 60
    for name, order in (("loop-up", "up"), ("loop-down", "down")):
        vm.sh(f"setsid python3 {DIR}/toggle.py {name} {order} {DIR}/stop {offline_alarm} "
              f"{300 * slow} {limit} > {DIR}/{name}.log 2>&1 < /dev/null &")
    vm.sh(f"setsid python3 {DIR}/reader.py {DIR}/stop {limit} "
          f"> {DIR}/reader.log 2>&1 < /dev/null &")

    host = Host(vm, rng, slow, cyc_dev, cyc_ids)
    start = time.monotonic()
    deadline = start + seconds
    hard = deadline + 600 * slow
    while True:
        host.step()
        now = time.monotonic()
        if now > deadline and not host.closing:
            # Time is up: the guest's actors stop, the host finishes what
            # it started (and does at least one of each of its operations).
            vm.sh(f"touch {DIR}/stop")
            host.closing = True
        if host.errors or now > hard or (host.closing and not host.busy()):
            break
        time.sleep(0.5)
    race = time.monotonic() - start
    t.ok(not host.errors and now <= hard, "the host's plugs, ejects and resizes all finished",
         diag="\n".join(host.errors) or f"still busy {hard - start:.0f} s after the start")

    vm.sh(f"touch {DIR}/stop")
    done = wait_for(lambda: all(guest_json(vm, n).get("done") for n in
                                ("loop-up", "loop-down", "reader"))
                    and vm.read(f"{DIR}/filler").startswith("DONE"), 400 * slow, 2)
    if not t.ok(done, "the guest's loops, reader and filler stop when told",
                diag=vm.sh(f"cd {DIR}; tail -n 5 *.log filler; ps -eo pid,stat,wchan:30,cmd "
                           "| grep -e toggle -e reader -e filler; true")):
        return

    # Back to a state that does not move: virtio-mem at its largest size
    # (growing never waits for migration), udev done with every event.
    final = max(VMEM_SIZES)
    t.eq(vm.virtio_mem_size(VMEM, final, timeout=180 * slow), final,
         f"virtio-mem then plugs {final >> 20} MiB")
    vm.run("udevadm settle --timeout=120", timeout=180 * slow)

    loops = {n: guest_json(vm, n) for n in ("loop-up", "loop-down")}
    reader = guest_json(vm, "reader")
    fill = dict(kv.split("=") for kv in vm.read(f"{DIR}/filler").split()[1:])
    fill_log = vm.read(f"{DIR}/filler.log")
    vz = vm.read(f"{DIR}/vz.log").splitlines()
    up, down = loops["loop-up"], loops["loop-down"]

    def both(key):
        return f"{up.get(key)}/{down.get(key)}"
    c = host.c
    t.note(f"race ran {race:.0f} s (seed {seed})\n"
           f"toggle loops (up/down): passes {both('passes')}, online {both('online')}, "
           f"offline {both('offline')}, EBUSY {both('EBUSY')}, EINVAL {both('EINVAL')}, "
           f"EINTR {both('EINTR')}, block absent {both('absent')}, other {both('other')}, "
           f"slowest online {both('max_online')} s, offline {both('max_offline')} s\n"
           f"reader: {reader.get('reads')} reads in {reader.get('passes')} passes, "
           f"{reader.get('lsmem')} lsmem runs ({reader.get('lsmem_raced')} saw a block vanish, "
           f"{reader.get('lsmem_failed')} failed otherwise), "
           f"{reader.get('vanished')} vanished, {reader.get('errors')} errors\n"
           f"filler: {fill.get('mib')} MiB, {fill.get('fills')} fills, "
           f"{fill.get('verifies')} verify passes, {fill.get('bad')} bad words\n"
           f"virtio-mem: {c['resize_up']} resizes up, {c['resize_down']} down, "
           f"{c['resize_late']} not done in {120 * slow} s\n"
           f"DIMM: {c['plugs']} plugs, {c['ejects']} ejects ({c['eject_tries']} tries, "
           f"{c['refused']} refused, slowest {host.max_eject:.1f} s)\n"
           f"udev: {len(vz)} valid_zones reads on add "
           f"({sum(' gone [' in v for v in vz)} of a block gone by then)")

    for n, l in loops.items():
        t.ok(l.get("online", 0) > 0 and l.get("offline", 0) > 0,
             f"{n} onlined and offlined blocks", diag=str(l))
        t.ok(l.get("other") == 0 and l.get("stuck") == 0,
             f"{n}: every write to state succeeded or failed as a lost race does",
             diag="\n".join(l.get("others", [])) or str(l))
    t.ok(reader.get("reads", 0) > 0 and reader.get("lsmem", 0) > 0,
         "the reader read the blocks and ran lsmem", diag=str(reader))
    t.ok(reader.get("errors") == 0, "no read of a present block failed or made no sense "
         "(valid_zones never empty)", diag="\n".join(reader.get("errs", [])))
    t.ok(reader.get("lsmem_failed") == 0, "lsmem always worked but when a block vanished under it",
         diag="\n".join(reader.get("lsmem_errs", [])))
    t.ok(int(fill.get("verifies", 0)) > 0 and fill.get("bad") == "0"
         and "BAD" not in fill_log,
         f"the filler verified all {FILL_MIB} MiB on every pass: no wrong word",
         diag=fill_log[-3000:])
    t.ok(c["resize_up"] > 0 and c["resize_down"] > 0, "virtio-mem grew and shrank", diag=str(c))
    t.ok(c["plugs"] > 1 and c["ejects"] > 0, "the DIMM was ejected and plugged again",
         diag=str(c))
    added = c["plugs"] * len(cyc_ids) + len(fixed_ids)
    zones = {"DMA", "DMA32", "Normal", "Movable", "none"}

    def vz_bad(line):
        f = line.split(" ", 2)
        if len(f) < 3 or f[1] not in ("ok", "gone"):
            return True
        z = f[2].strip("[]").split()
        return f[1] == "ok" and (not z or not set(z) <= zones)
    bad_vz = [line for line in vz if vz_bad(line)]
    t.ok(len(vz) >= added and not bad_vz,
         f"udev read valid_zones of every DIMM block added ({added}) and of the "
         "virtio-mem ones, never failing or empty",
         diag="\n".join(bad_vz[:20]) + f"\n{len(vz)} lines")

    # MemTotal against the blocks: boot blocks and DIMM blocks count whole
    # when online; virtio-mem counts what the device has plugged, all of
    # it online (auto_online_blocks=online_movable, the loops leave its
    # blocks alone).
    def account():
        states, total = snapshot(vm)
        plugged = vm.qmp("qom-get", path=f"/machine/peripheral/{VMEM}", property="size")
        online = {i for i, s in states.items() if s == "online" and i not in vmem_ids}
        vmem_off = [i for i, s in states.items() if i in vmem_ids and s != "online"]
        want = total0 + (len(online) - len(online0)) * (bsz >> 10) + (plugged >> 10)
        return dict(total=total, want=want, plugged=plugged, online=len(online),
                    online0=len(online0), vmem_not_online=vmem_off,
                    boot_left=sorted(online0 - online))
    acct = wait_for(lambda: (lambda a: a if a["total"] == a["want"] else None)(account()),
                    60 * slow, 2) or account()
    t.eq(acct["total"], acct["want"], "MemTotal is what the online blocks and the plugged "
         "virtio-mem memory add up to")
    t.ok(not acct["vmem_not_online"] and not acct["boot_left"],
         "every virtio-mem block and every boot block is online", diag=str(acct))

    # The filler is gone: what the race plugged unplugs without a fight,
    # and the guest is back where it started.
    dimms = sorted(vm.dimms())
    ejected = [d for d in dimms if vm.remove_dimm(d, 120 * slow)]
    vm.virtio_mem_size(VMEM, 0, timeout=180 * slow)
    end = wait_for(lambda: (lambda s: s if s == (states0, total0) else None)(snapshot(vm)),
                   60 * slow, 1) or snapshot(vm)
    t.ok(ejected == dimms and end == (states0, total0),
         f"then the DIMMs ({', '.join(dimms)}) eject and virtio-mem unplugs: the blocks "
         "and MemTotal are those of the start",
         diag=f"ejected {ejected}; MemTotal {end[1]} kB, at the start {total0} kB; blocks "
         f"not as at the start: {sorted(set(end[0].items()) ^ set(states0.items()))}")
    sane(vm, t)
