"""The auto-movable online policy with pc-dimms, set on the command line:
a DIMM goes to ZONE_MOVABLE as a whole while MOVABLE stays within
auto_movable_ratio % of the boot-time kernel memory, else to ZONE_NORMAL
as a whole; hot-added ZONE_NORMAL memory of one DIMM buys no MOVABLE for
another; with auto_movable_numa_aware the ratio also holds per node.

Boot memory is 2 GiB on node 0 (all DMA32: 524158 present pages, a little
under 2 GiB); node 1 is memoryless. Blocks are 128 MiB."""

from guest import PARAMS, param, plug, sane, settle, zones

VM = dict(mem="2G", numa=["2G", 0],
          append="memhp_default_state=online memory_hotplug.online_policy=auto-movable"
                 " memory_hotplug.auto_movable_ratio=60")


def dimm_zones(vm, size, node=None):
    """Plug a DIMM (auto-onlined) and return the set of its blocks' zones."""
    dev, ids = plug(vm, size, node=node)
    settle(vm, ids)
    return set(zones(vm, ids).values()) if ids else set()


def test_parameters_from_cmdline(vm, t):
    t.eq((param(vm, "online_policy"), param(vm, "auto_movable_ratio"),
          param(vm, "auto_movable_numa_aware")), ("auto-movable", "60", "Y"),
         "online_policy and auto_movable_ratio read what the command line set; numa_aware defaults Y")


def test_ratio_bounds_movable(vm, t):
    # 60 % of the boot kernel memory is just under 1229 MiB of MOVABLE.
    t.eq(dimm_zones(vm, "1G"), {"Movable"}, "a 1 GiB DIMM fits the ratio: all Movable")
    t.eq(dimm_zones(vm, "256M"), {"Normal"},
         "1.25 GiB would exceed it: the next 256 MiB DIMM is all Normal")
    t.eq(dimm_zones(vm, "256M"), {"Normal"},
         "the Normal DIMM does not raise the limit: another 256 MiB DIMM is Normal too")
    t.eq(dimm_zones(vm, "128M"), {"Movable"}, "a 128 MiB DIMM (1.125 GiB MOVABLE) still fits")


def test_numa_aware(vm, t):
    vm.sh(f"echo 301 > {PARAMS}/auto_movable_ratio")
    t.eq(param(vm, "auto_movable_ratio"), "301", "auto_movable_ratio can be changed at runtime")
    t.eq(dimm_zones(vm, "128M", node=0), {"Movable"}, "with 301 %, a node 0 DIMM goes Movable")
    t.eq(dimm_zones(vm, "128M", node=1), {"Normal"},
         "numa_aware: node 1 has no boot kernel memory, so its DIMM goes Normal")
    vm.sh(f"echo N > {PARAMS}/auto_movable_numa_aware")
    t.eq(dimm_zones(vm, "128M", node=1), {"Movable"},
         "with auto_movable_numa_aware=N only the system ratio counts: node 1's DIMM goes Movable")


def test_ratio_zero_means_kernel(vm, t):
    vm.sh(f"echo 0 > {PARAMS}/auto_movable_ratio")
    t.eq(dimm_zones(vm, "128M"), {"Normal"}, "auto_movable_ratio=0 onlines everything to Normal")
    sane(vm, t)
