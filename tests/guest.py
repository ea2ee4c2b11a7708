"""What the scenarios read from a guest: memory blocks, meminfo, iomem.

Each helper takes a harness.vm.VM and returns plain Python values, read in
one guest command where it can, so that scenarios stay short.
"""

import time

MEM = "/sys/devices/system/memory"


def block_size(vm):
    """Bytes per memory block (block_size_bytes)."""
    return int(vm.read(f"{MEM}/block_size_bytes"), 16)


def blocks(vm):
    """{block id: state} of every memoryN directory."""
    out = vm.sh(f"cd {MEM} && for b in memory[0-9]*; do echo ${{b#memory}} $(cat $b/state); done")
    return {int(i): s for i, s in (line.split() for line in out.splitlines())}


def meminfo(vm):
    """/proc/meminfo as {field: kB}."""
    out = vm.sh("cat /proc/meminfo")
    return {k.strip(): int(v.split()[0]) for k, v in
            (line.split(":", 1) for line in out.splitlines())}


def wait_for(fn, timeout=60, interval=0.3):
    """Call fn until it returns something true; return that, or the last
    (false) value once timeout seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def set_auto_online(vm, policy):
    vm.sh(f"echo {policy} > {MEM}/auto_online_blocks")


def online(vm, ids, how="online"):
    """Write how to the state of each block; return the ids that failed."""
    script = "".join(f"echo {how} > {MEM}/memory{i}/state || echo FAIL {i}\n" for i in ids)
    rc, out = vm.run(script)
    return [int(line.split()[1]) for line in out.splitlines() if line.startswith("FAIL ")]
