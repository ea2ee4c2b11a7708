"""Several pc-dimms spread over three NUMA nodes: each PNP0C80 device puts
its memory on the node of its _PXM, is bound to exactly its own blocks, and
device_del in an order unrelated to the plug order takes away exactly that
DIMM and that node's share. No driver message for any of it.

Every node has boot memory: QEMU's SRAT only names the proximity domains
that have some (and the hotpluggable range, given to the last one), so a
second memoryless node would have no Linux node for its _PXM; the
memoryless case is numa_memoryless_node.py."""

from guest import (NODE, block_table, blocks, bound, meminfo, plug, sane, set_auto_online,
                   settle, wait_for)

VM = dict(mem="2G", numa=["1G", "512M", "512M"])

MiB_kB = 1024


def node_mem(vm):
    """{node: MemTotal kB} of the online nodes."""
    out = vm.sh(f"cd {NODE} && for n in node[0-9]*; do "
                "echo ${n#node} $(grep MemTotal $n/meminfo | awk '{print $4}'); done")
    return {int(n): int(kb) for n, kb in (line.split() for line in out.splitlines())}


def driver_lines(vm):
    """Kernel log lines that name an ACPI memory device."""
    rc, out = vm.run("dmesg | grep PNP0C80; true")
    return [line for line in out.splitlines() if "PNP0C80" in line]


# name: (size, node); plugged in this order, removed in REMOVE order.
DIMMS = {"A": ("512M", 1), "B": ("512M", 2), "C": ("1G", 1), "D": ("512M", 0)}
REMOVE = ("C", "D", "A", "B")
SIZE_KB = {"512M": 512 * MiB_kB, "1G": 1024 * MiB_kB}


def test_dimms_on_three_nodes_removed_out_of_order(vm, t):
    set_auto_online(vm, "online_movable")
    base_blocks = blocks(vm)
    node0 = node_mem(vm)
    t.eq(sorted(node0), [0, 1, 2], "at boot nodes 0, 1 and 2 are online")
    log0 = driver_lines(vm)

    plugged = {}
    for name, (size, node) in DIMMS.items():
        dev, ids = plug(vm, size, node=node)
        settle(vm, ids)
        plugged[name] = (dev, ids)
        t.ok(ids and {n for _, _, n in block_table(vm, ids).values()} == {node},
             f"DIMM {name} ({size}): its {len(ids)} blocks are online on node {node}",
             diag=str(block_table(vm, ids)))

    groups = sorted(bound(vm).values())
    t.eq(groups, sorted(ids for _, ids in plugged.values()),
         "four PNP0C80 devices, each bound to exactly one DIMM's blocks")
    want = {0: node0[0] + SIZE_KB["512M"], 1: node0[1] + SIZE_KB["512M"] + SIZE_KB["1G"],
            2: node0[2] + SIZE_KB["512M"]}
    t.eq(node_mem(vm), want, "each node's MemTotal counts its own DIMMs")

    left = dict(plugged)
    for name in REMOVE:
        dev, ids = left.pop(name)
        ok = vm.remove_dimm(dev, 60)
        want_blocks = dict(base_blocks)
        for _, other in left.values():
            want_blocks.update({i: "online" for i in other})
        got = wait_for(lambda: blocks(vm) == want_blocks and want_blocks, 30) or blocks(vm)
        t.ok(ok and got == want_blocks,
             f"device_del of DIMM {name} removes its blocks and no other",
             diag=f"DEVICE_DELETED: {ok}\ngot {sorted(got.items())}")
        want_nodes = dict(node0)
        for other in left:
            size, node = DIMMS[other]
            want_nodes[node] += SIZE_KB[size]
        t.eq(node_mem(vm), want_nodes,
             f"after {name}: each node's MemTotal counts the DIMMs left on it")
        t.eq(sorted(bound(vm).values()), sorted(ids for _, ids in left.values()),
             f"after {name}: the remaining devices keep their bindings")

    t.eq(vm.dimms(), {}, "QEMU has no DIMM left")
    t.eq(driver_lines(vm), log0, "no kernel message about the PNP0C80 devices on the way")


def test_offline_dimm_between_online_ones(vm, t):
    """Plug with auto-online off on nodes 2 and 1, online only one DIMM:
    device_del of the offline DIMM and of the online one both complete."""
    set_auto_online(vm, "offline")
    before = blocks(vm)
    total0 = meminfo(vm)["MemTotal"]
    dev_a, ids_a = plug(vm, "512M", node=2)
    dev_b, ids_b = plug(vm, "512M", node=1)
    t.ok(ids_a and ids_b and all(s == "offline" for s, _, _ in
                                 block_table(vm, ids_a + ids_b).values()),
         "both DIMMs' blocks are there, offline")
    rc, out = vm.run("".join(f"echo online_movable > /sys/devices/system/memory/memory{i}/state\n"
                             for i in ids_b))
    t.eq(meminfo(vm)["MemTotal"] - total0, 512 * MiB_kB, "only the node 1 DIMM is online")
    t.ok(vm.remove_dimm(dev_a, 60), "the offline DIMM on node 2 ejects")
    t.ok(vm.remove_dimm(dev_b, 60), "the online DIMM on node 1 ejects")
    t.ok(wait_for(lambda: blocks(vm) == before, 30), "all their blocks are gone")
    t.eq(meminfo(vm)["MemTotal"], total0, "MemTotal is back")
    sane(vm, t)
