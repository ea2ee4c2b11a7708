"""A DIMM on a memoryless NUMA node: node 1 has no memory and no CPUs at
boot (possible, not online); plugging memory into it brings it online with
memory, unplugging takes it away again."""

import re

from guest import (NODE, block_table, blocks, meminfo, online, plug, sane, set_auto_online,
                   settle, wait_for)

DEBUG = True
VM = dict(mem="2G", numa=["2G", 0])


def node_state(vm):
    """{file: contents} of the node state masks, plus whether node1 exists."""
    out = vm.sh(f"cd {NODE} && for f in possible online has_memory has_normal_memory has_cpu; "
                "do echo $f $(cat $f); done; [ -d node1 ] && echo node1 yes || echo node1 no")
    return dict(line.split(" ", 1) for line in out.splitlines())


def node_links(vm, nid):
    out = vm.sh(f"cd {NODE}/node{nid} && ls -d memory[0-9]* 2>/dev/null; true")
    return sorted(int(w[len("memory"):]) for w in out.split())


def test_node1_starts_memoryless(vm, t):
    s = node_state(vm)
    t.eq((s["possible"], s["online"], s["has_memory"], s["node1"]), ("0-1", "0", "0", "no"),
         "node 1 is possible but neither online nor with memory (no node1 directory)")


def test_movable_dimm_on_node1_onlines_the_node(vm, t):
    set_auto_online(vm, "online_movable")
    before = blocks(vm)
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "1G", node=1)
    t.require(ids, "the DIMM's blocks appear")
    settle(vm, ids)
    t.eq({n for _, _, n in block_table(vm, ids).values()}, {1},
         "every block of the DIMM links to node1")
    t.eq(node_links(vm, 1), ids, "node1 has memoryN links to exactly the DIMM's blocks")
    s = node_state(vm)
    t.eq((s["online"], s["has_memory"], s["has_normal_memory"]), ("0-1", "0-1", "0"),
         "node 1 is online and has memory (movable only: not in has_normal_memory)")
    t.eq(meminfo(vm, node=1).get("MemTotal"), 1 << 20, "node1/meminfo MemTotal is 1 GiB")
    t.eq(meminfo(vm)["MemTotal"] - total0, 1 << 20, "system MemTotal grew by 1 GiB")

    t.ok(vm.remove_dimm(dev, 60) and wait_for(lambda: blocks(vm) == before, 30),
         "device_del removes the DIMM and its blocks")
    s = node_state(vm)
    t.eq((s["online"], s["has_memory"], s["node1"]), ("0", "0", "no"),
         "node 1 leaves has_memory and goes offline again (node1 directory gone)")
    t.eq(meminfo(vm)["MemTotal"], total0, "system MemTotal is back")


def test_kernel_dimm_on_node1_gives_normal_memory(vm, t):
    """One block: the first block of a node's kernel zone is where the
    kernel puts what it allocates on that node, and a second block gives
    it a reason to. A KASAN kernel allocates the shadow of each block it
    onlines on the block's node, and vmalloc keeps the vmap_area of a
    freed shadow (a slab object on node 1) until a lazy purge much later:
    the first of several blocks then cannot offline, on both kernels. A
    block onlined while its node has no memory gets nothing placed in it
    by its own onlining, so one block goes away on every kernel."""
    set_auto_online(vm, "online_kernel")
    before = blocks(vm)
    dev, ids = plug(vm, "128M", node=1)
    t.require(ids, "the DIMM's block appears")
    settle(vm, ids)
    t.eq({z for _, z, _ in block_table(vm, ids).values()}, {"Normal"},
         "online_kernel puts node 1's DIMM in ZONE_NORMAL")
    s = node_state(vm)
    t.eq((s["has_memory"], s["has_normal_memory"]), ("0-1", "0-1"),
         "node 1 now is in has_normal_memory too")
    t.eq(meminfo(vm, node=1).get("MemTotal"), 128 << 10, "node1/meminfo MemTotal is 128 MiB")
    t.eq(online(vm, ids, "offline"), [], "the idle kernel-zone block of the remote node offlines")
    t.ok(vm.remove_dimm(dev, 60) and wait_for(lambda: blocks(vm) == before, 30),
         "the idle kernel-zone DIMM of the remote node unplugs")
    s = node_state(vm)
    t.eq((s["online"], s["has_memory"], s["has_normal_memory"]), ("0", "0", "0"),
         "node 1 is back to offline and memoryless")
    sane(vm, t)


def test_kunit_leaves_node_1_alone(vm, t):
    """The KUnit suite runs at boot on whatever machine boots the kernel: it
    may not bring a real node online, not even for a moment. A node (or a
    zone) coming up rebuilds the zonelists, which the kernel logs ("Built N
    zonelists"); none may appear between the suite's first and last line.
    This guest boots with node 1 possible and offline."""
    console = re.sub(r"^\[\s*\d+\.\d+\]\s?", "", vm.console(), flags=re.M)
    start = console.find("# Subtest: memory_hotplug")
    if start < 0:
        t.skip("KUnit leaves node 1 alone", "this kernel has no memory_hotplug suite")
        return
    end = re.search(r"^\s*(not ok|ok) \d+ memory_hotplug\s*$", console[start:], re.M)
    t.require(end is not None, "the memory_hotplug suite ends in the console")
    suite = console[start:start + end.end()]
    rebuilt = [line for line in suite.splitlines()
               if ("Built " in line and "zonelists" in line) or "Fallback order for Node" in line]
    t.eq(rebuilt, [], "no zonelist was rebuilt while the KUnit suite ran: no node came online")
