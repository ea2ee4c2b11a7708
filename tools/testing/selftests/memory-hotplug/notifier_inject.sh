#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The memory notifier chain can veto onlining and offlining: with the
# notifier error injection module set to fail MEM_GOING_ONLINE or
# MEM_GOING_OFFLINE, the request fails with the injected error and the
# block keeps its state; cleared, the same request works.

. "$(dirname "$0")/mhp_lib.sh"

INJ=/sys/kernel/debug/notifier-error-inject/memory/actions
MODULE=memory-notifier-error-inject

cand=
for id in $(offline_block_ids | sort -rn); do
	read_line z "$MEM/memory$id/valid_zones"
	[[ $z == *Movable* ]] && { cand=$id; break; }
done
[ -n "$cand" ] || skip_all "no offline block that may go to ZONE_MOVABLE"
[ -d /sys/module/memory_notifier_error_inject ] ||
	mhp_modprobe "$MODULE" || skip_all "cannot load $MODULE"
[ -d "$INJ" ] || skip_all "no $INJ (is debugfs mounted?)"

cleanup()
{
	echo 0 >"$INJ/MEM_GOING_ONLINE/error"
	echo 0 >"$INJ/MEM_GOING_OFFLINE/error"
	restore_blocks
	rmmod memory_notifier_error_inject 2>/dev/null
}
trap cleanup EXIT

b=$cand
B=$MEM/memory$b
total0=$(meminfo_kb MemTotal)
ok "loaded $MODULE"

# --- MEM_GOING_ONLINE ---------------------------------------------------------
expect_write "MEM_GOING_ONLINE takes an error of -12" "$INJ/MEM_GOING_ONLINE/error" -12
expect_eq "and reads it back" "$(cat "$INJ/MEM_GOING_ONLINE/error")" -12
expect_write_error "memory$b: online_movable fails with the injected ENOMEM" \
	"$B/state" online_movable "Cannot allocate memory"
expect_write_error "memory$b: 1 to online fails with ENOMEM too" \
	"$B/online" 1 "Cannot allocate memory"
expect_eq "memory$b: still offline" "$(block_state "$b")" offline
expect_eq "MemTotal unchanged" "$(meminfo_kb MemTotal)" "$total0"
try_write "$INJ/MEM_GOING_ONLINE/error" -16
expect_write_error "memory$b: another injected error (EBUSY) comes back as is" \
	"$B/state" online_movable "Device or resource busy"
expect_eq "memory$b: still offline after that" "$(block_state "$b")" offline

try_write "$INJ/MEM_GOING_ONLINE/error" 0
track_blocks "$b"
expect_write "memory$b: with the error cleared, online_movable works" \
	"$B/state" online_movable
expect_eq "memory$b: online in Movable" \
	"$(block_state "$b") $(cat "$B/valid_zones")" "online Movable"

# --- MEM_GOING_OFFLINE --------------------------------------------------------
total1=$(meminfo_kb MemTotal)
expect_write "MEM_GOING_OFFLINE takes an error of -12" "$INJ/MEM_GOING_OFFLINE/error" -12
expect_write_error "memory$b: offline fails with the injected ENOMEM" \
	"$B/state" offline "Cannot allocate memory"
expect_write_error "memory$b: 0 to online fails with ENOMEM too" \
	"$B/online" 0 "Cannot allocate memory"
expect_eq "memory$b: still online in Movable" \
	"$(block_state "$b") $(cat "$B/valid_zones")" "online Movable"
expect_eq "MemTotal unchanged by the failed offline" "$(meminfo_kb MemTotal)" "$total1"

try_write "$INJ/MEM_GOING_OFFLINE/error" 0
expect_write "memory$b: with the error cleared, offline works" "$B/state" offline
expect_eq "memory$b: offline" "$(block_state "$b")" offline
expect_eq "MemTotal back where it started" "$(meminfo_kb MemTotal)" "$total0"

cleanup
trap - EXIT
expect "$MODULE unloads" test ! -d /sys/module/memory_notifier_error_inject

done_testing
