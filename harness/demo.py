#!/usr/bin/env python3
"""make demo: boot the kernel, hot-plug a 1 GiB DIMM through ACPI, let udev
online it, then unplug it again, saying at each step what it does and what it
saw. Exits non-zero if the guest does not do what the step expects."""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lib"))
import vm as vmlib  # noqa: E402
from guest import MEM, block_size, blocks, meminfo, wait_for  # noqa: E402


def say(text=""):
    print(text, flush=True)


def show(vm, command):
    say(f"  guest$ {command}")
    for line in vm.sh(command).rstrip("\n").splitlines():
        say(f"    {line}")


def expect(cond, saw):
    if not cond:
        say(f"  FAILED: {saw}")
        sys.exit(1)
    say(f"  saw: {saw}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default="ours")
    ap.add_argument("--size", default="1G")
    args = ap.parse_args()
    size = vmlib.parse_size(args.size)

    say(f"1. Boot kernel '{args.kernel}' under QEMU, "
        "2 GiB of RAM, 16 DIMM slots, systemd-udevd with udev/80-memory-hotplug-online.rules;")
    say("   memory_hotplug.online_policy=auto-movable, so memory onlined with 'online' "
        "goes to ZONE_MOVABLE while the movable:kernel ratio allows, and stays unpluggable")
    vm = vmlib.VM(kernel=args.kernel, name="demo", udev=True, udev_rules=True,
                  append="memory_hotplug.online_policy=auto-movable")
    vm.start()
    try:
        expect(True, f"guest up in {vm.boot_seconds:.1f} s under {vm.accel} "
               f"(console: {vm.rundir}/console.log)")
        show(vm, "uname -r; cat /sys/devices/system/memory/auto_online_blocks")
        bsz = block_size(vm)
        before = blocks(vm)
        total0 = meminfo(vm)["MemTotal"]
        say(f"  memory blocks of {bsz >> 20} MiB: {len(before)}, MemTotal {total0} kB")
        show(vm, "lsmem")

        say()
        say(f"2. Hot-plug a {size >> 20} MiB pc-dimm: QMP object-add + device_add; "
            "ACPI tells the guest, which adds a PNP0C80 device and its memory")
        t0 = time.monotonic()
        dimm = vm.add_dimm(size)
        want = size // bsz
        new = wait_for(lambda: sorted(set(blocks(vm)) - set(before))
                       if len(blocks(vm)) >= len(before) + want else None, 60)
        expect(new and len(new) == want,
               f"{len(new or [])} new blocks after {time.monotonic() - t0:.1f} s: "
               f"memory{new[0]} .. memory{new[-1]}" if new else "no new blocks")
        show(vm, "cd /sys/bus/acpi/devices && for d in PNP0C80:*; do "
             "[ $(cat $d/status) = 15 ] && echo $d present: $(ls -d $d/physical_node* | wc -l) "
             "memory blocks bound; done; true")

        say()
        say("3. udev saw each block's 'add' uevent; the rule writes 'online' to its state")
        onlined = wait_for(lambda: all(blocks(vm)[i] == "online" for i in new), 60)
        expect(onlined, "all new blocks online" if onlined else
               f"states: {[blocks(vm)[i] for i in new]}")
        show(vm, f"cat {MEM}/memory{new[0]}/valid_zones; grep -A3 'zone *Movable' /proc/zoneinfo "
             "| head -4")
        total1 = meminfo(vm)["MemTotal"]
        expect(total1 - total0 == size >> 10,
               f"MemTotal {total0} kB -> {total1} kB (+{(total1 - total0) >> 10} MiB)")
        show(vm, "lsmem")

        say()
        say("4. Unplug: QMP device_del; ACPI ejects the device, the kernel offlines "
            "its blocks (migrating whatever used them) and removes the memory")
        t0 = time.monotonic()
        gone = vm.remove_dimm(dimm)
        expect(gone, f"QEMU reported DEVICE_DELETED after {time.monotonic() - t0:.1f} s"
               if gone else "no DEVICE_DELETED: the guest refused the eject")
        back = wait_for(lambda: blocks(vm) == before, 30)
        expect(back, f"blocks back to {len(before)}" if back else "blocks still there")
        total2 = meminfo(vm)["MemTotal"]
        expect(total2 == total0, f"MemTotal {total2} kB, as before the plug")
        show(vm, "lsmem")
        bad = vm.splats(vm.console())
        expect(not bad, "no kernel warnings on the console" if not bad else "\n".join(bad))
        say()
        say("demo: done")
    finally:
        vm.poweroff()


if __name__ == "__main__":
    main()
