"""A CPU of a memoryless NUMA node: node 1 has no memory and one CPU, a
hot-removable vCPU device present at boot. Offlining that CPU leaves node 1
online; a DIMM plugged on node 1 gives it memory (movable) and takes it
away again; ejecting the CPU (ACPI, QMP device_del) takes node 1 offline,
since nothing is left on it.

Plugging the CPU back (the path where cpu_up() calls try_online_node() on
an offline node) cannot be driven here: QEMU 7.2 under TCG never completes
the unplug of a vCPU (no DEVICE_DELETED, and a device_add after it crashes
QEMU), and a guest that sees no hypervisor ignores the MADT's empty CPU
slots, so a vCPU plugged into one is refused ("Unable to map lapic"); and
x86 brings every node with a possible CPU online at boot. The KUnit case
mhp_test_try_online_node pins the online-node half of that contract only:
the suite may not bring a real node online (numa_memoryless_node checks)."""

from guest import (NODE, block_table, meminfo, node_masks, online, plug, set_auto_online,
                   unplug, wait_for)

DEBUG = True
VM = dict(mem="2G", smp=1, maxcpus=2, numa=["2G", 0], numa_cpus={1: "1"}, cpu_devices=[1])

CPU = "/sys/devices/system/cpu"


def exists(vm, path):
    return vm.run(f"[ -e {path} ]")[0] == 0


def test_cpu_of_memoryless_node_offline_and_eject(vm, t):
    s = node_masks(vm)
    t.eq((s["online"], s["has_cpu"], s["has_memory"]), ("0-1", "0-1", "0"),
         "at boot node 1 is online with cpu1 and no memory")
    t.ok(exists(vm, f"{NODE}/node1/cpu1"), "node1 links to cpu1")
    rc, out = vm.run("taskset -c 1 cat /proc/self/stat")
    t.ok(rc == 0 and out.split()[38] == "1", "a task runs on cpu1 (its memory comes from node 0)",
         diag=out)

    rc, _ = vm.run(f"echo 0 > {CPU}/cpu1/online")
    t.eq((rc, vm.read(f"{CPU}/cpu1/online")), (0, "0"), "cpu1 goes offline")
    s = node_masks(vm)
    t.eq((s["online"], s["has_cpu"]), ("0-1", "0"),
         "node 1 stays online while its offline CPU is present")
    rc, _ = vm.run(f"echo 1 > {CPU}/cpu1/online")
    t.eq((rc, vm.read(f"{CPU}/cpu1/online")), (0, "1"), "cpu1 comes back online with one write")

    # Memory joins the node of the CPU and leaves again; the CPU keeps it.
    set_auto_online(vm, "offline")
    dev, ids = plug(vm, "512M", node=1)
    t.require(ids and not online(vm, ids, "online_movable"),
              "a 512 MiB DIMM on node 1 onlines movable")
    t.eq({n for _, _, n in block_table(vm, ids).values()}, {1}, "its blocks link to node1")
    s = node_masks(vm)
    t.eq((s["online"], s["has_cpu"], s["has_memory"], s["has_normal_memory"]),
         ("0-1", "0-1", "0-1", "0"), "node 1 has memory, none of it normal")
    t.eq(meminfo(vm, 1)["MemTotal"], 512 << 10, "node1/meminfo counts 512 MiB")
    t.ok(not online(vm, ids, "offline") and unplug(vm, dev, ids),
         "the DIMM offlines and unplugs")
    s = node_masks(vm)
    t.eq((s["online"], s["has_cpu"], s["has_memory"], s["has_normal_memory"]),
         ("0-1", "0-1", "0", "0"), "node 1 is memoryless again, still online for its CPU")

    vm.run(f"echo 0 > {CPU}/cpu1/online")
    vm.qmp("device_del", id="boot-cpu0")
    t.ok(wait_for(lambda: not exists(vm, f"{CPU}/cpu1"), 60),
         "device_del ejects cpu1: it is gone from sysfs")
    s = node_masks(vm)
    t.eq((s["online"], s["has_cpu"], s["has_memory"]), ("0", "0", "0"),
         "node 1 is offline once its only CPU is gone")
    t.ok(not exists(vm, f"{NODE}/node1"), "the node1 directory is gone")
