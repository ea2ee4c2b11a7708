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

done_testing
