#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The probe file: adding one memory block by its physical start address.
# The refusals are checked always: a misaligned address, an address whose
# block is already present, one beyond what the machine can address, and
# text that is no number. None of them may add a block.
#
# A probe that succeeds adds a block that can never be removed again, and
# onlining a block with no RAM behind it brings the kernel down; later
# tests online every offline block they find. So the successful probe is
# made only where the firmware reports RAM that no block covers yet (the
# kernel was booted with part of its RAM hidden), or above the last block
# when MHP_PROBE_UNBACKED=1 says the guest is thrown away after this test
# and nothing will online the new block.

. "$(dirname "$0")/mhp_lib.sh"

P=$MEM/probe
[ -e $P ] || skip_all "no $P: kernel without CONFIG_ARCH_MEMORY_PROBE"

bsz=$((16#$(cat $MEM/block_size_bytes)))
nblocks() { local d=("$MEM"/memory[0-9]*); echo ${#d[@]}; }
n0=$(nblocks)
top=$(block_ids | tail -n 1)
hex() { printf '0x%x' "$1"; }

expect_eq "probe is write-only, for root" "$(stat -c %a $P)" 200
err=$(cat $P 2>&1 >/dev/null)
expect "probe cannot be read" test -n "$err" -a -z "${err##*Permission denied*}"

present=$(hex $((top * bsz)))
expect_write_error "probe of present memory$top's start ($present) fails with EEXIST" \
	$P "$present" "File exists"
free=$((top + 1))
for off in 0x1000 $((bsz / 2)); do
	addr=$(hex $((free * bsz + off)))
	expect_write_error "probe of a misaligned address ($addr) fails with EINVAL" \
		$P "$addr" "Invalid argument"
done
expect_write_error "probe of a misaligned address inside memory$top fails with EINVAL" \
	$P "$(hex $((top * bsz + 0x1000)))" "Invalid argument"
expect_write_error "probe beyond the addressable range fails with E2BIG" \
	$P 0x4000000000000000 "Argument list too long"
for bad in xyz 0xg "$(hex $((free * bsz)))x" -1; do
	expect_write_error "probe refuses '$bad' with EINVAL" $P "$bad" "Invalid argument"
done
expect_eq "none of that added a block" "$(nblocks)" "$n0"
expect "memory$free does not exist" test ! -e "$MEM/memory$free"

# Where may a block be added safely?
target="" why=""
for d in /sys/firmware/memmap/*; do
	[ "$(cat "$d/type" 2>/dev/null)" = "System RAM" ] || continue
	lo=$(($(cat "$d/start"))) hi=$(($(cat "$d/end")))
	for ((a = (lo + bsz - 1) / bsz * bsz; a + bsz - 1 <= hi; a += bsz)); do
		if [ ! -e "$MEM/memory$((a / bsz))" ]; then
			target=$a why="firmware RAM with no block"
			break 2
		fi
	done
done
if [ -z "$target" ] && [ "${MHP_PROBE_UNBACKED:-0}" = 1 ]; then
	target=$((free * bsz)) why="above the last block (MHP_PROBE_UNBACKED=1)"
fi

if [ -n "$target" ]; then
	id=$((target / bsz))
	echo "# probing $(hex "$target"): $why"
	expect_write "probe of $(hex "$target") succeeds" $P "$(hex "$target")"
	expect_eq "exactly one block appeared" "$(nblocks)" $((n0 + 1))
	expect_eq "it is memory$id and it is offline" "$(block_state "$id")" offline
	expect_eq "memory$id: phys_index" "$(cat "$MEM/memory$id/phys_index")" \
		"$(printf '%08x' "$id")"
	read_line z "$MEM/memory$id/valid_zones"
	expect "memory$id: valid_zones offers Movable" test -z "${z##*Movable*}"
	range=$(printf '%08x-%08x' "$target" $((target + bsz - 1)))
	expect "its range is System RAM in /proc/iomem" \
		grep -q "^$range : System RAM" /proc/iomem
	expect_write_error "probing it again fails with EEXIST" $P "$(hex "$target")" "File exists"
	expect_eq "still one block more" "$(nblocks)" $((n0 + 1))
else
	skip "a probe that adds a block" \
		"no RAM without a block here; MHP_PROBE_UNBACKED=1 probes above the last block"
fi

done_testing
