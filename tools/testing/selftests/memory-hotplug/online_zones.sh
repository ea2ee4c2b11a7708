#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Onlining and offlining through state and online: the words each file
# takes, the zone a block lands in, what the memory counters gain and lose,
# and the errors for a request that does not fit the block's state, which
# leave the block as it was.
#
# Hot-added blocks only ever go to ZONE_MOVABLE here: a hot-added block
# put in a kernel zone soon holds unmovable kernel allocations and may
# never go offline again, and every test must leave such blocks offline.
# Kernel-zone onlining is exercised on a boot block instead: offlined, then
# onlined back into the zone it came from.

. "$(dirname "$0")/mhp_lib.sh"

bsz=$((16#$(cat $MEM/block_size_bytes)))
kb=$((bsz >> 10))
pages=$((bsz / $(getconf PAGESIZE)))

# Offline blocks that may go to ZONE_MOVABLE, highest first.
cands=()
for id in $(offline_block_ids | sort -rn); do
	read_line z "$MEM/memory$id/valid_zones"
	[[ $z == *Movable* ]] && cands+=("$id")
done
[ ${#cands[@]} -ge 1 ] || skip_all "no offline block that may go to ZONE_MOVABLE"
policy=$(cat /sys/module/memory_hotplug/parameters/online_policy 2>/dev/null)

# --- one hot-added block through ZONE_MOVABLE --------------------------------
b=${cands[0]}
B=$MEM/memory$b
track_blocks "$b"
read_line z "$B/valid_zones"
if [ "$policy" = contig-zones ] && ! grep -qw movable_node /proc/cmdline; then
	expect_eq "memory$b: valid_zones offers Normal first, then Movable" "$z" "Normal Movable"
else
	skip "memory$b: valid_zones offers Normal first" "online_policy $policy"
fi

total0=$(meminfo_kb MemTotal)
present0=$(zone_field 0 Movable present)
managed0=$(zone_field 0 Movable managed)
expect_write "memory$b: online_movable is accepted" "$B/state" online_movable
expect_eq "memory$b: state reads online" "$(block_state "$b")" online
expect_eq "memory$b: online reads 1" "$(cat "$B/online")" 1
expect_eq "memory$b: valid_zones reads Movable" "$(cat "$B/valid_zones")" Movable
expect_eq "MemTotal grew by one block" "$(($(meminfo_kb MemTotal) - total0))" "$kb"
expect_eq "ZONE_MOVABLE present pages grew by one block" \
	"$(($(zone_field 0 Movable present) - present0))" "$pages"
expect_eq "ZONE_MOVABLE managed pages grew by one block" \
	"$(($(zone_field 0 Movable managed) - managed0))" "$pages"

# Asking an online block to go online again is an error...
for word in online online_movable online_kernel; do
	expect_write_error "memory$b: $word on an online block fails with EINVAL" \
		"$B/state" "$word" "Invalid argument"
done
expect_eq "memory$b: still online, still Movable" \
	"$(block_state "$b") $(cat "$B/valid_zones")" "online Movable"
# ...but online is a boolean: writing what it already reads is fine.
expect_write "memory$b: 1 to online of an online block is accepted" "$B/online" 1
expect_eq "memory$b: still Movable after that" "$(cat "$B/valid_zones")" Movable

for word in bogus onlin online_ Online "online " " online" offline_movable 1 0; do
	shown=$(printf %q "$word")
	expect_write_error "memory$b: state refuses $shown with EINVAL" \
		"$B/state" "$word" "Invalid argument"
done
for word in 2 -1 x o ox; do
	expect_write_error "memory$b: online refuses $word with EINVAL" \
		"$B/online" "$word" "Invalid argument"
done
expect_eq "memory$b: still online after the refused words" "$(block_state "$b")" online

expect_write "memory$b: 0 to online takes it offline" "$B/online" 0
expect_eq "memory$b: state reads offline" "$(block_state "$b")" offline
expect_eq "memory$b: online reads 0" "$(cat "$B/online")" 0
expect_eq "MemTotal is back where it was" "$(meminfo_kb MemTotal)" "$total0"
expect_eq "ZONE_MOVABLE present pages are back" "$(zone_field 0 Movable present)" "$present0"

expect_write_error "memory$b: offline on an offline block fails with EINVAL" \
	"$B/state" offline "Invalid argument"
expect_write "memory$b: 0 to online of an offline block is accepted" "$B/online" 0
for word in bogus online_ 1; do
	expect_write_error "memory$b: offline block's state refuses $word with EINVAL" \
		"$B/state" "$word" "Invalid argument"
done
expect_write_error "memory$b: offline block's online refuses 2 with EINVAL" \
	"$B/online" 2 "Invalid argument"
expect_eq "memory$b: still offline" "$(block_state "$b")" offline
restore_blocks

# --- zone choice next to ZONE_MOVABLE -----------------------------------------
# With blocks hi and lo online in ZONE_MOVABLE, the blocks between them lie
# inside the zone's span and onlining picks Movable for them; a block below
# lo lies outside it and is still offered Normal first.
if [ ${#cands[@]} -ge 5 ] && [ $((cands[0] - cands[4])) -eq 4 ] &&
   [ "$policy" = contig-zones ] && ! grep -qw movable_node /proc/cmdline; then
	hi=${cands[0]} mid=${cands[1]} mid2=${cands[2]} lo=${cands[3]} below=${cands[4]}
	track_blocks "$hi" "$lo" "$mid" "$mid2"
	try_write "$MEM/memory$hi/state" online_movable
	try_write "$MEM/memory$lo/state" online_movable
	expect_eq "memory$hi and memory$lo are online in Movable" \
		"$(cat $MEM/memory$hi/valid_zones) $(cat $MEM/memory$lo/valid_zones)" \
		"Movable Movable"
	expect_eq "memory$mid, inside ZONE_MOVABLE's span, is offered Movable first" \
		"$(cat $MEM/memory$mid/valid_zones)" "Movable Normal"
	expect_eq "memory$below, below it, is offered Normal first" \
		"$(cat $MEM/memory$below/valid_zones)" "Normal Movable"
	expect_write "memory$mid: online is accepted" "$MEM/memory$mid/state" online
	expect_eq "memory$mid: online picked Movable" "$(cat $MEM/memory$mid/valid_zones)" Movable
	expect_write "memory$mid2: 1 to online is accepted" "$MEM/memory$mid2/online" 1
	expect_eq "memory$mid2: that picked Movable too" \
		"$(cat $MEM/memory$mid2/valid_zones)" Movable
	restore_blocks
	states=
	for b4 in "$hi" "$mid" "$mid2" "$lo"; do
		states="$states $(block_state "$b4")"
	done
	expect_eq "all four are offline again" \
		"$(printf '%s\n' $states | sort -u)" offline
	expect_eq "memory$mid is offered Normal first again" \
		"$(cat $MEM/memory$mid/valid_zones)" "Normal Movable"
else
	skip "zone choice next to ZONE_MOVABLE" \
		"needs five consecutive offline blocks and the contig-zones policy"
fi

# --- a boot block through its kernel zone ------------------------------------
# Take the highest online block of a kernel zone that goes offline (most are
# nearly free at this point), then bring it back each way that picks a
# kernel zone for it: online_kernel, online and 1 to online.
kblock="" kzone=""
for id in $(block_ids | sort -rn); do
	[ "$(block_state "$id")" = online ] || continue
	read_line z "$MEM/memory$id/valid_zones"
	case $z in Movable|none) continue ;; esac
	total0=$(meminfo_kb MemTotal)
	present0=$(zone_field 0 "$z" present)
	if try_write "$MEM/memory$id/state" offline; then
		kblock=$id kzone=$z
		break
	fi
	echo "# memory$id ($z) does not go offline now: $WRITE_ERROR"
done
if [ -n "$kblock" ]; then
	K=$MEM/memory$kblock
	ok "memory$kblock ($kzone): offline succeeds"
	expect_eq "MemTotal fell by one block" "$((total0 - $(meminfo_kb MemTotal)))" "$kb"
	expect_eq "$kzone present pages fell by one block" \
		"$((present0 - $(zone_field 0 "$kzone" present)))" "$pages"
	read_line z "$K/valid_zones"
	expect_eq "memory$kblock: offered $kzone first, then Movable" "$z" "$kzone Movable"
	for how in state:online_kernel state:online online:1; do
		expect_write "memory$kblock: ${how#*:} to ${how%%:*} brings it back" \
			"$K/${how%%:*}" "${how#*:}"
		expect_eq "memory$kblock: back in $kzone" "$(cat "$K/valid_zones")" "$kzone"
		if [ "$how" != online:1 ]; then
			expect "memory$kblock: offline again" set_offline "$kblock"
		fi
	done
	expect_eq "MemTotal is back where it was" "$(meminfo_kb MemTotal)" "$total0"
	expect_eq "$kzone present pages are back" "$(zone_field 0 "$kzone" present)" "$present0"
	# Belt and braces: never leave a boot block offline.
	[ "$(block_state "$kblock")" = offline ] && try_write "$K/state" online_kernel
else
	skip "a boot block through its kernel zone" "no kernel-zone block would go offline"
fi

done_testing
