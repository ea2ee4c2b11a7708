"""The udev rule we ship (udev/80-memory-hotplug-online.rules) with the
host's systemd-udevd: it onlines hot-added blocks the kernel left offline
(`online`: the kernel picks the zone, here by the auto-movable policy), and
leaves alone blocks the kernel onlined itself (auto_online_blocks
online_movable or online_kernel)."""

from guest import block_table, blocks, meminfo, plug, sane, set_auto_online, settle, wait_for

VM = dict(mem="2G", udev=True, udev_rules=True,
          append="memory_hotplug.online_policy=auto-movable")


def zone_set(vm, ids):
    return {(s, z) for s, z, _ in block_table(vm, ids).values()}


def round_trip(vm, t, policy, want_zone, unplug=True):
    set_auto_online(vm, policy)
    before = blocks(vm)
    total0 = meminfo(vm)["MemTotal"]
    dev, ids = plug(vm, "512M")
    vm.run("udevadm settle --timeout=60", timeout=90)
    settle(vm, ids, 60)
    t.eq(zone_set(vm, ids), {("online", want_zone)},
         f"auto_online_blocks={policy}: every block ends online in {want_zone}")
    t.eq(meminfo(vm)["MemTotal"] - total0, 512 << 10, f"auto_online_blocks={policy}: MemTotal +512 MiB")
    if unplug:
        t.ok(vm.remove_dimm(dev, 60) and wait_for(lambda: blocks(vm) == before, 30),
             f"auto_online_blocks={policy}: the DIMM unplugs")


def test_rule_onlines_offline_blocks(vm, t):
    t.eq(vm.sh("ls /run/udev/rules.d").split(), ["80-memory-hotplug-online.rules"],
         "udevd runs with our rule")
    round_trip(vm, t, "offline", "Movable")


def test_rule_leaves_online_movable(vm, t):
    round_trip(vm, t, "online_movable", "Movable")


def test_rule_leaves_online_kernel(vm, t):
    # auto-movable would pick Movable for `online`: Normal here proves the
    # rule did not re-online what the kernel onlined itself.
    round_trip(vm, t, "online_kernel", "Normal", unplug=False)
    sane(vm, t)
