"""dax/kmem, the third way memory arrives, driven by ndctl and daxctl as
their users drive it: an NVDIMM (QEMU nvdimm, an ACPI NFIT region on
node 1, which has no boot memory) gets a devdax namespace; a process maps
/dev/dax0.0 (ZONE_DEVICE pages, made through move_pfn_range_to_zone());
daxctl turns it into System RAM (add_memory_driver_managed(): "System
RAM (kmem)" in /proc/iomem; its one static memory group has no sysfs
view), onlined movable, or with --no-movable into ZONE_NORMAL, and back;
daxctl refuses -N while a kernel policy would online the memory; a
removal refused by a page that cannot move leaves the memory in use, and
a retry works; with the dax device's memmap_on_memory the memmap comes
out of the range itself.

Each check is what daxctl, lsmem, /proc/iomem, /proc/meminfo and the node
masks show."""

import json

from guest import (MEM, block_size, block_table, blocks, hold_page, meminfo, node_masks,
                   release_page, sane, set_auto_online, zone_pages)

# memmap_on_memory=1 only allows it: dax devices ask for it one by one.
VM = dict(mem="2G", numa=["2G", 0], nvdimms=[("2G", 1)],
          append="memory_hotplug.memmap_on_memory=1")

MEMMAP_KB = 2048          # of struct pages per 128 MiB block

DEV = "dax0.0"
DAX = f"/sys/bus/dax/devices/{DEV}"

# Python run in the guest: map /dev/dax0.0, write a pattern into every
# page, unmap, map again and count the pages that do not read it back.
_MAP = r'''
import mmap, os, sys
size = int(sys.argv[1])
fd = os.open("/dev/dax0.0", os.O_RDWR)
def mapping():
    return mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m = mapping()
for off in range(0, size, 4096):
    m[off:off + 16] = b"dax%013d" % off
m[:1 << 20] = bytes(range(256)) * 4096
m.close()
m = mapping()
bad = sum(m[off:off + 16] != b"dax%013d" % off for off in range(1 << 20, size, 4096))
bad += m[:1 << 20] != bytes(range(256)) * 4096
print("BAD", bad, flush=True)
'''


def tool(vm, command, timeout=300):
    """Run an ndctl/daxctl command line; return (exit status, its JSON on
    stdout or None, stderr)."""
    rc, out = vm.run(f"{command} >/tmp/tool.out 2>/tmp/tool.err; rc=$?; cat /tmp/tool.out; "
                     "echo TOOL-STDERR; cat /tmp/tool.err; exit $rc", timeout)
    stdout, _, err = out.partition("TOOL-STDERR\n")
    try:
        data = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        data = None
    return rc, data, err.strip()


def mode(vm):
    """The dax device's mode as daxctl lists it."""
    rc, data, _ = tool(vm, f"daxctl list -d {DEV}")
    return data[0].get("mode") if rc == 0 and data else None


def kmem_ranges(vm):
    """[(start, end)] of the "System RAM (kmem)" entries of /proc/iomem."""
    out = vm.sh("grep 'System RAM (kmem)' /proc/iomem || true")
    return [tuple(int(x, 16) for x in line.split(" : ")[0].strip().split("-"))
            for line in out.splitlines()]


def online_bytes(vm):
    """lsmem's "Total online memory", in bytes."""
    out = vm.sh("lsmem -b --summary=only")
    return int(next(line.split(":")[1] for line in out.splitlines()
                    if line.startswith("Total online memory")))


class Baseline:
    """What the guest shows before a test turns the device into RAM."""

    def __init__(self, vm):
        self.blocks = blocks(vm)
        self.total = meminfo(vm)["MemTotal"]
        self.online = online_bytes(vm)
        self.nodes = node_masks(vm)

    def new_blocks(self, vm):
        return sorted(set(blocks(vm)) - set(self.blocks))

    def restored(self, vm, t, what):
        """The device is devdax again and nothing of the RAM is left."""
        t.eq(mode(vm), "devdax", f"{what}: daxctl lists {DEV} as devdax")
        t.eq(blocks(vm), self.blocks, f"{what}: the memory blocks are the ones before")
        t.eq(kmem_ranges(vm), [], f"{what}: no System RAM (kmem) left in /proc/iomem")
        t.eq(meminfo(vm)["MemTotal"], self.total, f"{what}: MemTotal is back")
        t.eq(node_masks(vm), self.nodes, f"{what}: the node masks are back")
        t.ok(vm.run(f"[ -c /dev/{DEV} ]")[0] == 0, f"{what}: /dev/{DEV} is back")


def as_ram(vm, t, base, options, zone, memmap_kb=0):
    """daxctl reconfigure-device -m system-ram with options; check the
    blocks it made are online in zone and add up everywhere (less memmap_kb
    per block carved out for the memmap); return them."""
    rc, data, err = tool(vm, f"daxctl reconfigure-device -m system-ram {options} {DEV}")
    t.require(rc == 0 and data and data[0].get("mode") == "system-ram",
              f"daxctl reconfigure-device -m system-ram {options}".rstrip() + " works",
              diag=f"rc={rc}\n{data}\n{err}")
    t.ok("race" not in err.lower() and "warn" not in err.lower(),
         "daxctl warns of nothing (no other agent onlined the memory)", diag=err)
    ids = base.new_blocks(vm)
    t.require(ids, "the device's memory blocks appear")
    bsz = block_size(vm)
    size = int(vm.read(f"{DAX}/size"))
    t.ok(size - 2 * bsz < len(ids) * bsz <= size,
         f"{len(ids)} blocks: the device's range aligned to blocks",
         diag=f"device size {size:#x}, {len(ids)} blocks of {bsz:#x}")
    t.eq(ids, list(range(ids[0], ids[-1] + 1)), "the blocks are contiguous")
    table = block_table(vm, ids)
    t.eq({(s, z, n) for s, z, n in table.values()}, {("online", zone, 1)},
         f"every block is online in {zone} on node 1")
    t.eq((data[0].get("online_memblocks"), data[0].get("total_memblocks")),
         (len(ids), len(ids)), "daxctl counts all of them online")
    t.eq(kmem_ranges(vm), [(ids[0] * bsz, (ids[-1] + 1) * bsz - 1)],
         "/proc/iomem has one System RAM (kmem) entry, exactly the blocks")
    grew = (len(ids) * bsz >> 10) - len(ids) * memmap_kb
    t.eq(meminfo(vm)["MemTotal"] - base.total, grew,
         "MemTotal grew by the blocks" + (", less their memmap" if memmap_kb else ""))
    t.eq(online_bytes(vm) - base.online, len(ids) * bsz, "lsmem counts the blocks online")
    t.eq(meminfo(vm, 1)["MemTotal"], grew, "all of it on node 1")
    present, managed = zone_pages(vm, zone, node=1)
    t.eq((present, present - managed), (len(ids) * bsz // 4096, len(ids) * memmap_kb // 4),
         f"node 1's {zone} zone: the blocks present, "
         + ("their memmap pages not managed" if memmap_kb else "all of them managed"))
    return ids


def back_to_devdax(vm, t, base, what):
    # A block of a kernel zone may hold a short-lived kernel allocation for
    # a moment (the same retry as the kselftests' set_offline).
    for _ in range(5):
        rc, _, err = tool(vm, f"daxctl offline-memory {DEV}")
        if rc == 0:
            break
        vm.run("echo 3 > /proc/sys/vm/drop_caches; sleep 1")
    t.ok(rc == 0, f"{what}: daxctl offline-memory works", diag=err)
    t.eq(meminfo(vm)["MemTotal"], base.total, f"{what}: MemTotal is back once offline")
    rc, data, err = tool(vm, f"daxctl reconfigure-device -m devdax {DEV}")
    t.ok(rc == 0 and data and data[0].get("mode") == "devdax",
         f"{what}: daxctl reconfigure-device -m devdax works", diag=f"rc={rc}\n{data}\n{err}")
    base.restored(vm, t, what)


def test_devdax_namespace(vm, t):
    set_auto_online(vm, "offline")
    rc, data, err = tool(vm, "ndctl list -N")
    t.require(rc == 0 and data and [(n.get("dev"), n.get("mode")) for n in data]
              == [("namespace0.0", "raw")],
              "ndctl lists the NVDIMM's namespace (label-less, raw)",
              diag=f"rc={rc}\n{data}\n{err}")
    rc, data, err = tool(vm, "ndctl create-namespace -f -e namespace0.0 -m devdax")
    t.require(rc == 0 and data and data.get("mode") == "devdax",
              "ndctl create-namespace -m devdax turns it into a devdax namespace",
              diag=f"rc={rc}\n{data}\n{err}")
    devs = data.get("daxregion", {}).get("devices", [])
    t.require([d.get("chardev") for d in devs] == [DEV], f"its device is {DEV}", diag=str(data))
    t.eq(devs[0].get("target_node"), 1, "on node 1, the NVDIMM's node")
    t.ok(vm.run(f"[ -c /dev/{DEV} ]")[0] == 0, f"/dev/{DEV} is a character device")
    t.eq(vm.read(f"{DAX}/memmap_on_memory"), "0", "its memmap_on_memory is off by default")


def test_devdax_mapping(vm, t):
    rc, out = vm.run("cat > /tmp/map.py <<'MAP_EOF'\n" + _MAP + "MAP_EOF\n"
                     "python3 /tmp/map.py $((64 << 20))", timeout=600)
    t.ok(rc == 0 and "BAD 0" in out,
         "a process maps 64 MiB of /dev/dax0.0, writes it and reads it back", diag=out[-2000:])


def test_system_ram_movable_and_back(vm, t):
    base = Baseline(vm)
    t.eq(base.nodes["has_memory"], "0", "before: node 1 has no memory")
    free = meminfo(vm, 0)["MemFree"]
    ids = as_ram(vm, t, base, "", "Movable")
    took = free - meminfo(vm, 0)["MemFree"]
    t.ok(took >= len(ids) * MEMMAP_KB * 3 // 4,
         "the memmap came from node 0 (the device's memmap_on_memory is off)",
         diag=f"node 0's MemFree dropped by {took} kB")
    nodes = node_masks(vm)
    t.eq((nodes["has_memory"], nodes["has_normal_memory"]), ("0-1", "0"),
         "node 1 has memory, none of it normal")
    back_to_devdax(vm, t, base, "movable")


def test_system_ram_normal_and_back(vm, t):
    base = Baseline(vm)
    as_ram(vm, t, base, "--no-movable", "Normal")
    t.eq(node_masks(vm)["has_normal_memory"], "0-1", "node 1 has normal memory")
    back_to_devdax(vm, t, base, "no-movable")


def test_policy_refusal(vm, t):
    base = Baseline(vm)
    for policy in ("online", "online_movable"):
        set_auto_online(vm, policy)
        rc, _, err = tool(vm, f"daxctl reconfigure-device -m system-ram -N {DEV}")
        t.ok(rc != 0 and "kernel policy will auto-online memory" in err,
             f"with auto_online_blocks={policy}, daxctl refuses -N", diag=f"rc={rc}\n{err}")
        t.eq((mode(vm), blocks(vm)), ("devdax", base.blocks),
             f"auto_online_blocks={policy}: {DEV} stays devdax, no block added")
    set_auto_online(vm, "offline")
    rc, data, err = tool(vm, f"daxctl reconfigure-device -m system-ram -N {DEV}")
    t.require(rc == 0 and data and data[0].get("mode") == "system-ram",
              "with auto_online_blocks=offline, daxctl -N adds the memory",
              diag=f"rc={rc}\n{err}")
    t.ok("race" not in err.lower(), "without a warning of a race", diag=err)
    ids = base.new_blocks(vm)
    t.ok(ids and {s for s, _, _ in block_table(vm, ids).values()} == {"offline"},
         "its blocks are present and offline", diag=str(block_table(vm, ids)))
    t.eq(meminfo(vm)["MemTotal"], base.total, "MemTotal has not moved")
    rc, _, err = tool(vm, f"daxctl online-memory {DEV}")
    t.ok(rc == 0 and "race" not in err.lower(), "daxctl online-memory onlines them", diag=err)
    t.eq({z for _, z, _ in block_table(vm, ids).values()}, {"Movable"}, "movable")
    back_to_devdax(vm, t, base, "-N")


def test_refused_removal(vm, t):
    base = Baseline(vm)
    ids = as_ram(vm, t, base, "", "Movable")
    per = block_size(vm) // 4096
    pfn = hold_page(vm, ids[0] * per, (ids[-1] + 1) * per, node=1)
    t.require(pfn is not None, "a process holds a page of the dax memory (vmsplice)",
              diag=vm.read("/tmp/hold.out"))
    rc, data, err = tool(vm, f"timeout -s INT 20 daxctl reconfigure-device -m devdax {DEV}")
    t.ok(rc != 0, "daxctl reconfigure-device -m devdax cannot finish (interrupted)",
         diag=f"rc={rc}\n{data}\n{err}")
    t.eq(mode(vm), "system-ram", f"{DEV} is still System RAM")
    t.eq(set(base.new_blocks(vm)), set(ids), "all its blocks are still there")
    t.eq(vm.read(f"{MEM}/memory{pfn // per}/state"), "online", "the held page's block is online")
    t.eq(kmem_ranges(vm), [(ids[0] * per * 4096, (ids[-1] + 1) * per * 4096 - 1)],
         "its System RAM (kmem) range is still in /proc/iomem")
    up = [i for i, (s, _, _) in block_table(vm, ids).items() if s == "online"]
    t.eq(meminfo(vm)["MemTotal"] - base.total, len(up) * per * 4,
         "MemTotal counts exactly the blocks still online")
    rc, _, err = tool(vm, "ndctl disable-namespace namespace0.0")
    t.ok(rc != 0 and mode(vm) == "system-ram",
         "ndctl cannot disable the namespace while it is System RAM", diag=err)
    sane(vm, t, "memory can still be allocated and used")
    release_page(vm)
    if len(up) < len(ids):
        rc, _, err = tool(vm, f"daxctl online-memory {DEV}")
        t.ok(rc == 0, "daxctl onlines what the interrupted attempt offlined", diag=err)
    t.eq({s for s, _, _ in block_table(vm, ids).values()}, {"online"},
         "every block is online again")
    back_to_devdax(vm, t, base, "after the page is let go")
    sane(vm, t)


def test_memmap_on_memory(vm, t):
    base = Baseline(vm)
    rc, out = vm.run(f"echo 1 > {DAX}/memmap_on_memory")
    t.require(rc == 0 and vm.read(f"{DAX}/memmap_on_memory") == "1",
              f"{DEV}/memmap_on_memory takes 1", diag=out)
    free = meminfo(vm, 0)["MemFree"]
    ids = as_ram(vm, t, base, "", "Movable", MEMMAP_KB)
    took = free - meminfo(vm, 0)["MemFree"]
    t.ok(took < len(ids) * MEMMAP_KB // 2,
         f"node 0 (boot memory) gave well under the {len(ids) * MEMMAP_KB} kB of memmap",
         diag=f"node 0's MemFree dropped by {took} kB")
    rc, out = vm.run(f"bash -c 'echo 0 > {DAX}/memmap_on_memory'")
    t.ok(rc != 0 and "busy" in out and vm.read(f"{DAX}/memmap_on_memory") == "1",
         "it cannot change while the device is System RAM (EBUSY)", diag=out)
    back_to_devdax(vm, t, base, "memmap_on_memory")
    rc, out = vm.run(f"echo 0 > {DAX}/memmap_on_memory")
    t.ok(rc == 0 and vm.read(f"{DAX}/memmap_on_memory") == "0",
         "once devdax again it goes back to 0", diag=out)
