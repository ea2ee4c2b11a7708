"""memory_hotplug.init_threads: when a DIMM is added and onlined at once
(auto_online_blocks), the kernel first initializes its new memmap on every
online CPU for the zone the first block will get, then onlines block after
block as before, without initializing it again. Users see only the
parameter and the time; so each test checks that the end state is the one
a kernel without the pass reaches: every block online in the zone asked
for (ZONE_MOVABLE; ZONE_NORMAL with online_kernel), MemTotal and the
zone's present/managed pages grown by the DIMM, every page of it handed
to the allocator (/proc/kpageflags: none left PageOffline, free ones in
the buddy), its memory usable and read back as written, and the DIMM
ejectable (but from ZONE_NORMAL). Blocks added offline and onlined by hand
get workers that write the rest of the memmap from the first online on
(memory_hotplug.prefault_threads) and free each block's pages on several
CPUs (free_threads): the same end state, and a removal right after must
wait for them."""

from guest import (MEM, PARAMS, blocks, check_cpu_count_param, meminfo, online, plug, sane,
                   set_auto_online, settle, wait_for, zone_pages)

REQUIRES = "ours"
WHY = "memory_hotplug.init_threads, free_threads and prefault_threads are new in ours"
# hugetlb_vmemmap runs in the debug pass too, where DEBUG_VM checks every
# struct page of a huge page given back: patches/0009 fixes the base's
# restore of an optimized vmemmap, which without it fails that check.
# every_cpu does not: the pass it tests runs at its default (init_threads
# 0) in every debug scenario that auto-onlines a DIMM of more than a
# section (numa_memoryless_node, starved_hot_add, race_hotplug).
DEBUG = ["removed_while_written", "hugetlb_vmemmap"]

VM = dict(mem="2G", smp=2)

CPU = "/sys/devices/system/cpu"

# Run in the guest: count, over a pfn range, the pages /proc/kpageflags
# shows in the buddy allocator (bit 10, head pages only), still
# PageOffline (bit 23), or with every bit set (an uninitialized memmap).
_KPF = r'''
import struct, sys
lo, n = int(sys.argv[1]), int(sys.argv[2])
with open("/proc/kpageflags", "rb") as f:
    f.seek(lo * 8)
    flags = struct.unpack(f"{n}Q", f.read(n * 8))
print(sum(x >> 10 & 1 for x in flags), sum(x >> 23 & 1 for x in flags),
      sum(x == (1 << 64) - 1 for x in flags))
'''

# Run in the guest: fill MiB of anonymous memory with a pattern, read it
# back. Movable user memory comes from ZONE_MOVABLE first: the new DIMM.
_FILL = r'''
import sys
n = int(sys.argv[1]) << 20
buf = bytearray(b"\xa5") * n
print("OK" if buf.count(b"\xa5") == n else "BAD")
'''


def kpageflags(vm, dev):
    """(buddy heads, PageOffline pages, uninitialized pages) of a DIMM."""
    d = vm.dimms()[dev]
    out = vm.sh(f"python3 -c '{_KPF}' {d['addr'] >> 12} {d['size'] >> 12}", timeout=300)
    return tuple(int(x) for x in out.split())


def add_online(vm, t, what, zone="Movable"):
    """Plug a 1 GiB DIMM that auto-onlines to zone; check what the user
    sees; return (dev, ids, grown (present, managed) of the zone)."""
    total0 = meminfo(vm)["MemTotal"]
    zone0 = zone_pages(vm, zone)
    dev, ids = plug(vm, "1G")
    states = settle(vm, ids)
    t.ok(ids and all(s == "online" for s in states.values()),
         f"{what}: the 8 blocks are online", diag=str(states))
    zones = vm.sh(f"cd {MEM} && for b in {' '.join(f'memory{i}' for i in ids)}; "
                  "do cat $b/valid_zones; done").split()
    t.eq(set(zones), {zone}, f"{what}: all in {zone}")
    t.eq(meminfo(vm)["MemTotal"] - total0, 1 << 20, f"{what}: MemTotal grew by 1 GiB")
    zone1 = zone_pages(vm, zone)
    grown = (zone1[0] - zone0[0], zone1[1] - zone0[1])
    t.eq(grown[0], 262144, f"{what}: {zone} present grew by the DIMM's pages")
    buddy, offline, poisoned = kpageflags(vm, dev)
    t.ok(buddy > 0 and offline == 0 and poisoned == 0,
         f"{what}: kpageflags: every page was handed to the allocator",
         diag=f"buddy heads {buddy}, PageOffline {offline}, uninitialized {poisoned}")
    return dev, ids, grown


def remove(vm, t, dev, ids, what):
    t.ok(vm.remove_dimm(dev, 120) and wait_for(lambda: not set(ids) & set(blocks(vm)), 60),
         f"{what}: the DIMM ejects")


def test_parameter(vm, t):
    for name in ("init_threads", "free_threads", "prefault_threads"):
        check_cpu_count_param(vm, t, name)


def test_every_cpu(vm, t):
    set_auto_online(vm, "online_movable")
    dev, ids, grown = add_online(vm, t, "init_threads=0")
    out = vm.sh(f"python3 -c '{_FILL}' 1200", timeout=600)
    t.eq(out.strip(), "OK", "1200 MiB filled (the DIMM's pages among them) read back as written")
    remove(vm, t, dev, ids, "init_threads=0")

    vm.write(f"{PARAMS}/init_threads", "1")
    dev, ids, grown1 = add_online(vm, t, "init_threads=1")
    t.eq(grown1, grown, "ZONE_MOVABLE grew the same (present, managed) with and without the pass")
    remove(vm, t, dev, ids, "init_threads=1")
    vm.write(f"{PARAMS}/init_threads", "0")
    set_auto_online(vm, "offline")
    sane(vm, t)


def test_one_cpu_offline(vm, t):
    rc, _ = vm.run(f"echo 0 > {CPU}/cpu1/online")
    t.eq((rc, vm.read(f"{CPU}/cpu1/online")), (0, "0"), "cpu1 goes offline")
    # Two CPUs asked for, one online: the adding CPU does it all.
    vm.write(f"{PARAMS}/init_threads", "2")
    set_auto_online(vm, "online_movable")
    dev, ids, _ = add_online(vm, t, "init_threads=2, cpu1 offline")
    remove(vm, t, dev, ids, "init_threads=2, cpu1 offline")
    set_auto_online(vm, "offline")
    vm.write(f"{PARAMS}/init_threads", "0")
    rc, _ = vm.run(f"echo 1 > {CPU}/cpu1/online")
    t.eq((rc, vm.read(f"{CPU}/cpu1/online")), (0, "1"), "cpu1 comes back")
    sane(vm, t)


def check_dimm(vm, t, dev, ids, total0, zone0, what):
    """The DIMM's blocks are online movable and in use, as the user sees."""
    zones = vm.sh(f"cd {MEM} && for b in {' '.join(f'memory{i}' for i in ids)}; "
                  "do cat $b/valid_zones; done").split()
    t.eq(set(zones), {"Movable"}, f"{what}: all in Movable")
    size = vm.dimms()[dev]["size"]
    t.eq(meminfo(vm)["MemTotal"] - total0, size >> 10, f"{what}: MemTotal grew by the DIMM")
    zone1 = zone_pages(vm, "Movable")
    t.eq(zone1[0] - zone0[0], size >> 12, f"{what}: Movable present grew by the DIMM's pages")
    buddy, offline, poisoned = kpageflags(vm, dev)
    t.ok(buddy > 0 and offline == 0 and poisoned == 0,
         f"{what}: kpageflags: every page was handed to the allocator",
         diag=f"buddy heads {buddy}, PageOffline {offline}, uninitialized {poisoned}")


def test_by_hand(vm, t):
    # Blocks onlined one by one after the add: from the first one on,
    # workers write the rest of the DIMM's memmap from its end
    # (prefault_threads), and each block's pages are freed on several CPUs
    # (free_threads).
    for threads in ("0", "1"):
        what = f"by hand, prefault_threads=free_threads={threads}"
        vm.write(f"{PARAMS}/prefault_threads", threads)
        vm.write(f"{PARAMS}/free_threads", threads)
        total0, zone0 = meminfo(vm)["MemTotal"], zone_pages(vm, "Movable")
        dev, ids = plug(vm, "2G")
        t.eq(online(vm, ids, "online_movable"), [], f"{what}: each of the 16 blocks onlines")
        check_dimm(vm, t, dev, ids, total0, zone0, what)
        out = vm.sh(f"python3 -c '{_FILL}' 1200", timeout=600)
        t.eq(out.strip(), "OK", f"{what}: 1200 MiB filled and read back as written")
        t.eq(online(vm, ids, "offline"), [], f"{what}: each block offlines")
        remove(vm, t, dev, ids, what)
    vm.write(f"{PARAMS}/prefault_threads", "0")
    vm.write(f"{PARAMS}/free_threads", "0")
    sane(vm, t)


def test_removed_while_written(vm, t):
    # Onlining one block of a large DIMM starts the workers; offlining it
    # and having the guest eject the DIMM at once (one guest command, no
    # round trip through the host) must wait for them: they write the
    # memmap that the removal frees. The next DIMM still works.
    dev, ids = plug(vm, "16G")
    b = f"{MEM}/memory{ids[0]}" if ids else "/nonexistent"
    rc, out = vm.run(f"echo online_movable > {b}/state && echo offline > {b}/state && "
                     f"echo 1 > {b}/firmware_node/eject")
    t.ok(rc == 0, "16 GiB DIMM: its first block onlines and offlines, the guest ejects it",
         diag=out)
    gone = vm.wait_event("DEVICE_DELETED", 120, device=dev) is not None
    if gone:
        vm.qmp("object-del", id=f"mem-{dev}")
    t.ok(gone and wait_for(lambda: not set(ids) & set(blocks(vm)), 60),
         "16 GiB DIMM: QEMU deletes it and its blocks are gone")
    total0, zone0 = meminfo(vm)["MemTotal"], zone_pages(vm, "Movable")
    dev, ids = plug(vm, "1G")
    t.eq(online(vm, ids[::-1], "online_movable"), [],
         "the next DIMM's blocks online, last first")
    check_dimm(vm, t, dev, ids, total0, zone0, "next DIMM")
    t.eq(online(vm, ids, "offline"), [], "next DIMM: each block offlines")
    remove(vm, t, dev, ids, "next DIMM")
    sane(vm, t)

def test_kernel_zone(vm, t):
    # The add initializes the memmap for the zone the first block will
    # get, here ZONE_NORMAL; the onlining then uses it as it stands.
    set_auto_online(vm, "online_kernel")
    add_online(vm, t, "online_kernel", zone="Normal")
    out = vm.sh(f"python3 -c '{_FILL}' 1200", timeout=600)
    t.eq(out.strip(), "OK", "online_kernel: 1200 MiB filled and read back as written")
    # Kernel allocations may now sit in the DIMM: it stays.
    set_auto_online(vm, "offline")
    sane(vm, t)


# Run in the guest, one command so that nothing waits on the host. Online
# the DIMM's last block and fill it with huge pages at once, whose tail
# struct pages hugetlb_optimize_vmemmap maps read-only: the workers start
# on that block and walk down the DIMM. Then online blocks from further
# down, each at once filled with huge pages too: the workers, faster,
# catch up with the onlining on the way. Then give the huge pages back
# and offline the blocks (but the last, which the host offlines). Prints
# the number of huge pages held at the end.
_HVO = r'''
echo online_movable > {mem}/memory$1/state || exit 1
echo 64 > /proc/sys/vm/nr_hugepages
shift
n=64
for b in "$@"; do
	echo online_movable > {mem}/memory$b/state || exit 1
	n=$((n + 64))
	echo $n > /proc/sys/vm/nr_hugepages
done
held=$(cat /proc/sys/vm/nr_hugepages)
echo 0 > /proc/sys/vm/nr_hugepages
for b in "$@"; do
	echo offline > {mem}/memory$b/state || exit 2
done
echo HELD $held
'''


def test_hugetlb_vmemmap(vm, t):
    # A worker writes a section's memmap only while no online of it can
    # begin: otherwise a huge page allocated there, its tail struct pages
    # mapped read-only, would fault the worker's write (any splat fails
    # the test). Each round re-arms the workers with a new DIMM, and starts
    # the onlining further ahead of them.
    hvo = "/proc/sys/vm/hugetlb_optimize_vmemmap"
    t.require(vm.run(f"echo 1 > {hvo}")[0] == 0 and vm.read(hvo) == "1",
              "hugetlb_optimize_vmemmap can be turned on")
    set_auto_online(vm, "offline")
    vm.sh("cat > /tmp/hvo.sh <<'HVO_EOF'\n" + _HVO.replace("{mem}", MEM) + "HVO_EOF\n")
    ahead = (2, 4, 8) if "debug" in vm.kernel else (2, 4, 8, 16, 32, 64)
    for k in ahead:
        dev, ids = plug(vm, "16G")
        t.require(len(ids) == 128, f"{k} ahead: a 16 GiB DIMM shows its 128 blocks offline")
        order = [ids[-1]] + ids[-1 - k:-1 - k - 12:-1]
        rc, out = vm.run(f"bash /tmp/hvo.sh {' '.join(str(i) for i in order)}", timeout=600)
        held = int(out.split("HELD")[-1]) if rc == 0 and "HELD" in out else 0
        t.ok(rc == 0 and held > 0,
             f"{k} ahead: 12 blocks online, hold huge pages, give them back and offline",
             diag=out)
        vm.run(f"echo offline > {MEM}/memory{ids[-1]}/state")
        remove(vm, t, dev, ids, f"{k} ahead")
    vm.sh(f"echo 0 > {hvo}")
    sane(vm, t)
