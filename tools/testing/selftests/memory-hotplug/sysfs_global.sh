#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The files directly under /sys/devices/system/memory: what they read as,
# and that a value they do not accept is refused with EINVAL and changes
# nothing.

. "$(dirname "$0")/mhp_lib.sh"

# block_size_bytes: bare hex, a power of two, and the spacing of the blocks.
bsz=$(cat $MEM/block_size_bytes)
expect "block_size_bytes is bare lower-case hex" \
	grep -qxE '[0-9a-f]+' <<<"$bsz"
size=$((16#$bsz))
expect "block_size_bytes is a power of two of at least 1 MiB" \
	test $size -ge $((1 << 20)) -a $((size & (size - 1))) -eq 0

first=$(ls -d $MEM/memory[0-9]* | head -n 1)
id=${first##*memory}
expect_eq "phys_index of memory$id is its id in hex" \
	"$(cat "$first/phys_index")" "$(printf '%08x' "$id")"

# auto_online_blocks: every documented policy is accepted and read back.
orig=$(cat $MEM/auto_online_blocks)
expect "auto_online_blocks reads as a known policy" \
	grep -qxE 'offline|online|online_kernel|online_movable' <<<"$orig"
for policy in online online_kernel online_movable offline; do
	try_write $MEM/auto_online_blocks "$policy"
	expect_eq "auto_online_blocks accepts $policy" \
		"$(cat $MEM/auto_online_blocks)" "$policy"
done
try_write $MEM/auto_online_blocks online_kernel
for bad in $'\n' onlin online_movable_ 1 bogus; do
	shown=$(printf %q "$bad")
	expect "auto_online_blocks refuses $shown with EINVAL" \
		write_fails_with $MEM/auto_online_blocks "$bad" "Invalid argument"
	expect_eq "auto_online_blocks unchanged after $shown" \
		"$(cat $MEM/auto_online_blocks)" online_kernel
done
try_write $MEM/auto_online_blocks "$orig"

# mode FILE: its permission bits in octal, printed
mode()
{
	stat -c %a "$1"
}

# read_fails_with FILE ERROR: reading FILE is refused with ERROR
read_fails_with()
{
	local err

	err=$(cat "$1" 2>&1 >/dev/null) && { echo "# reading $1 succeeded"; return 1; }
	[ -z "${err##*"$2"}" ] && return 0
	echo "# reading $1: '$err', want '$2'"
	return 1
}

# crash_hotplug: whether the kernel itself updates a loaded crash kernel's
# view of memory; read-only.
if [ -e $MEM/crash_hotplug ]; then
	read_line v $MEM/crash_hotplug
	expect "crash_hotplug reads 0 or 1" grep -qx '[01]' <<<"$v"
	expect_eq "crash_hotplug is read-only" "$(mode $MEM/crash_hotplug)" 444
	expect_write_error "crash_hotplug refuses a write" \
		$MEM/crash_hotplug 1 "Permission denied"
	expect_eq "crash_hotplug unchanged" "$(cat $MEM/crash_hotplug)" "$v"
else
	skip "crash_hotplug" "no $MEM/crash_hotplug: kernel without CONFIG_CRASH_HOTPLUG"
fi

# uevent: the generic device file; a write asks for a synthetic event.
expect_eq "uevent is read-write for root" "$(mode $MEM/uevent)" 644
expect_write "uevent accepts a synthetic change event" $MEM/uevent change
expect_write_error "uevent refuses an unknown action" $MEM/uevent bogus "Invalid argument"

# probe and the hwpoison files: write-only for root.
for f in probe hard_offline_page soft_offline_page; do
	if [ ! -e $MEM/$f ]; then
		skip "$f is write-only" "no $MEM/$f in this configuration"
		continue
	fi
	expect_eq "$f is write-only, for root" "$(mode $MEM/$f)" 200
	expect "$f cannot be read" read_fails_with $MEM/$f "Permission denied"
done

# hard_offline_page and soft_offline_page take a physical address. Only
# addresses that cannot hurt are given: no page of online memory is touched.
if [ -e $MEM/soft_offline_page ] && [ -e $MEM/hard_offline_page ]; then
	bsz=$((16#$(cat $MEM/block_size_bytes)))
	for f in hard_offline_page soft_offline_page; do
		for bad in xyz 0x -1 12ab; do
			expect_write_error "$f refuses '$bad' with EINVAL" \
				$MEM/$f "$bad" "Invalid argument"
		done
	done
	beyond=$(printf '0x%x' $((($(block_ids | tail -n 1) + 64) * bsz)))
	expect_write_error "soft_offline_page of $beyond, where no memory is, fails with ENXIO" \
		$MEM/soft_offline_page "$beyond" "No such device or address"
	expect_write_error "hard_offline_page of $beyond fails with ENXIO" \
		$MEM/hard_offline_page "$beyond" "No such device or address"
	off=$(offline_block_ids | head -n 1)
	if [ -n "$off" ]; then
		addr=$(printf '0x%x' $((off * bsz + 0x1000)))
		what="soft_offline_page in offline memory$off ($addr) fails with EIO"
		expect_write_error "$what" \
			$MEM/soft_offline_page "$addr" "Input/output error"
		expect_write_error "hard_offline_page in offline memory$off fails with ENXIO" \
			$MEM/hard_offline_page "$addr" "No such device or address"
		expect_eq "memory$off is still offline" "$(block_state "$off")" offline
	else
		skip "hwpoison files and offline memory" "no offline block"
	fi
else
	skip "hwpoison files" "kernel without CONFIG_MEMORY_FAILURE"
fi

done_testing
