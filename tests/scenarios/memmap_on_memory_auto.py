"""memory_hotplug.memmap_on_memory=auto, ours' default: a hot-added range
gets its memmap from the memory that is left, as in 6.12, while the kernel
zones can spare it; when they cannot (the machine is out of memory, which
is when it is given more), each block carries its own memmap, as with
memmap_on_memory=1, the kernel log says so, and memoryN/memmap_on_memory
reads 1. Nothing is OOM-killed either way."""

from guest import (MEM, blocks, meminfo, param, plug, sane, set_auto_online, settle, wait_for,
                   zone_pages)

REQUIRES = "ours"
WHY = "memmap_on_memory=auto and memoryN/memmap_on_memory are new in ours (6.12 reads N)"

VM = dict(mem="2G")

MEMMAP_KB = 2048          # of struct pages per 128 MiB block
PLACED = "placed on itself"
BAD = ("Out of memory", "oom-kill", "Killed process", "page allocation failure")

# Run in the guest: fill a tmpfs (unreclaimable without swap) until
# MemAvailable is at most the MiB given, in one write to 128 MiB above it,
# then 8 MiB at a time; print what is left.
_STARVE = r'''
avail() { awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo; }
mkdir -p /tmp/hog && mount -t tmpfs -o size=4G tmpfs /tmp/hog || exit 1
first=$(( $(avail) - $1 - 128 ))
[ "$first" -gt 0 ] && { dd if=/dev/zero of=/tmp/hog/first bs=1M count=$first status=none || exit 1; }
i=0
while [ "$(avail)" -gt "$1" ]; do
	dd if=/dev/zero of=/tmp/hog/$i bs=1M count=8 status=none || break
	i=$((i + 1))
done
echo AVAIL $(avail)
'''


def memmap_flags(vm, ids):
    """{block id: its memmap_on_memory file} for the blocks."""
    out = vm.sh(f"cd {MEM} && for b in {' '.join(str(i) for i in ids)}; do "
                "echo $b $(cat memory$b/memmap_on_memory); done")
    return {int(b): v for b, v in (line.split() for line in out.splitlines())}


def dmesg_has(vm, words):
    return [w for w in words if w in vm.sh("dmesg")]


def add_online(vm, t, size, what):
    """Plug a DIMM that auto-onlines movable; return (dev, ids, MemTotal
    growth in kB)."""
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, size, timeout=120)
    states = settle(vm, ids, timeout=120)
    t.ok(ids and all(s == "online" for s in states.values()),
         f"{what}: every block of the DIMM is online", diag=str(states))
    return dev, ids, meminfo(vm)["MemTotal"] - total0


def eject(vm, t, dev, ids, what):
    t.ok(vm.remove_dimm(dev, 120) and wait_for(lambda: not set(ids) & set(blocks(vm)), 60),
         f"{what}: the DIMM ejects")


def test_parameter(vm, t):
    t.eq(param(vm, "memmap_on_memory"), "auto", "the parameter reads auto by default")
    t.eq(set(memmap_flags(vm, list(blocks(vm))[:4]).values()), {"0"},
         "boot memory's blocks say memmap_on_memory 0")


def test_memory_to_spare(vm, t):
    # As in 6.12: the memmap comes from the memory there is.
    set_auto_online(vm, "online_movable")
    dev, ids, grew = add_online(vm, t, "1G", "1 GiB, memory to spare")
    t.eq(set(memmap_flags(vm, ids).values()), {"0"},
         "each block says memmap_on_memory 0")
    t.eq(grew, 1 << 20, "MemTotal grew by the whole 1 GiB")
    t.eq(dmesg_has(vm, (PLACED,)), [], "the log says nothing of a memmap placed on itself")
    eject(vm, t, dev, ids, "1 GiB, memory to spare")
    set_auto_online(vm, "offline")
    sane(vm, t)


def test_starved(vm, t):
    # 4 GiB needs 64 MiB of memmap: more than a machine with 32 MiB
    # available has free above its watermarks (MemAvailable counts some
    # of the watermark reserves back in: 60 MiB available was seen with
    # more than 64 MiB free above them).
    rc, out = vm.run(f"cat > /tmp/starve.sh <<'EOF'\n{_STARVE}EOF\nbash /tmp/starve.sh 32",
                     timeout=600)
    t.require(rc == 0 and "AVAIL" in out, "tmpfs files hold the memory until 32 MiB is available",
              diag=out)
    t.note(f"MemAvailable before the add: {out.split('AVAIL')[-1].strip()} MiB")
    set_auto_online(vm, "online_movable")
    dev, ids, grew = add_online(vm, t, "4G", "4 GiB, starved")
    t.eq(set(memmap_flags(vm, ids).values()), {"1"}, "each block says memmap_on_memory 1")
    t.eq(grew, (4 << 20) - len(ids) * MEMMAP_KB,
         "MemTotal grew by 4 GiB less the memmap on it (2 MiB per block)")
    present, managed = zone_pages(vm, "Movable")
    t.eq(present - managed, len(ids) * 512,
         "ZONE_MOVABLE counts the memmap pages as present, not managed")
    t.eq(dmesg_has(vm, (PLACED,)), [PLACED], "the log says the memmap was placed on itself")
    t.eq(dmesg_has(vm, BAD), [], "no OOM kill, no allocation failure")
    vm.run("umount /tmp/hog")
    eject(vm, t, dev, ids, "4 GiB, starved")
    set_auto_online(vm, "offline")
    sane(vm, t)
