#!/usr/bin/env python3
"""Boot the test guest and give this terminal a shell in it (make shell).

The console stays in build/run/shell/console.log; the shell talks to the
guest's agent, one command line at a time. QMP commands can be typed as
':qmp COMMAND {json arguments}'; ':dimm SIZE [NODE]' and ':unplug ID' plug
and unplug pc-dimms. End with ':quit' or Ctrl-D.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm as vmlib  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default="ours")
    ap.add_argument("--append", default="", help="extra kernel command line")
    ap.add_argument("--udev", action="store_true", help="run udevd with our rule")
    args = ap.parse_args()
    vm = vmlib.VM(kernel=args.kernel, name="shell", append=args.append,
                  udev=args.udev, udev_rules=args.udev)
    print(f"booting {args.kernel} ...", flush=True)
    vm.start()
    print(f"up in {vm.boot_seconds:.1f} s; console: {vm.rundir}/console.log")
    try:
        while True:
            try:
                line = input("guest# ")
            except EOFError:
                break
            try:
                if line.startswith(":quit"):
                    break
                if line.startswith(":qmp "):
                    cmd, _, rest = line[5:].partition(" ")
                    print(json.dumps(vm.qmp(cmd, **json.loads(rest or "{}")), indent=1))
                elif line.startswith(":dimm "):
                    size, *node = line.split()[1:]
                    print(vm.add_dimm(size, int(node[0]) if node else None))
                elif line.startswith(":unplug "):
                    print("unplugged" if vm.remove_dimm(line.split()[1]) else "refused")
                elif line.strip():
                    rc, out = vm.run(line, timeout=3600)
                    sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
                    if rc:
                        print(f"[exit {rc}]")
            except vmlib.VMError as e:
                print(f"error: {e}")
                if not vm.alive():
                    break
    finally:
        vm.poweroff()


if __name__ == "__main__":
    main()
