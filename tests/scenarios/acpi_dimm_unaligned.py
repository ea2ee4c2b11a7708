"""A PNP0C80 device whose memory cannot be added: a 64 MiB pc-dimm is half a
memory block, which memory hotplug refuses. The kernel says so in a clear
line naming the device and adds nothing; the DIMM plugged before it keeps
working, and both can still be ejected."""

from guest import block_size, blocks, meminfo, plug, sane, set_auto_online, settle, wait_for

VM = dict(mem="2G")


def pnp_lines(vm):
    rc, out = vm.run("dmesg | grep PNP0C80; true")
    return [line for line in out.splitlines() if "PNP0C80" in line]


def test_half_block_dimm_is_refused_and_reported(vm, t):
    set_auto_online(vm, "online_movable")
    t.eq(block_size(vm), 128 << 20, "memory blocks are 128 MiB in this guest")
    before = blocks(vm)
    total0 = meminfo(vm)["MemTotal"]
    log0 = pnp_lines(vm)

    # The good DIMM first: QEMU packs DIMMs, so one placed after the 64 MiB
    # DIMM would start half a block off and be refused as well.
    good, ids = plug(vm, "512M")
    t.ok(ids and all(s == "online" for s in settle(vm, ids).values()),
         "a 512 MiB DIMM comes up")
    total1 = meminfo(vm)["MemTotal"]
    blocks1 = blocks(vm)

    bad = vm.add_dimm("64M")
    new = wait_for(lambda: [line for line in pnp_lines(vm) if line not in log0], 20)
    t.ok(new, "the kernel logs a line naming the PNP0C80 device", diag=str(new))
    t.note("\n".join(new or []))
    t.eq(blocks(vm), blocks1, "no memory block appears for it")
    t.eq(meminfo(vm)["MemTotal"], total1, "MemTotal is unchanged")
    t.ok(vm.remove_dimm(bad, 60), "device_del of the refused DIMM completes")
    t.ok(vm.remove_dimm(good, 60) and wait_for(lambda: blocks(vm) == before, 30),
         "device_del of the good DIMM completes and its blocks go")
    t.eq(meminfo(vm)["MemTotal"], total0, "MemTotal is back")
    sane(vm, t)
