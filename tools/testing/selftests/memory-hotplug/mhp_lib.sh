#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the memory-hotplug shell tests: KTAP reporting that needs no
# plan up front (on the kselftest tree's ktap_helpers.sh), and small helpers
# around /sys/devices/system/memory.
# Sourced by the tests; not a test itself.

MEM=/sys/devices/system/memory

# KTAP output comes from the kselftest tree's own helpers (installed
# beside this directory by the kselftest install).
. "$(dirname "$(realpath "$0")")/../kselftest/ktap_helpers.sh"

ktap_print_header

# Those helpers echo a description unquoted: keep the shell from expanding
# a '*' in it into file names.
ok()
{
	set -f
	ktap_test_pass "$*"
	set +f
}

not_ok()
{
	set -f
	ktap_test_fail "$*"
	set +f
}

# skip DESC WHY
skip()
{
	set -f
	__ktap_test ok "$1" "SKIP $2"
	set +f
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
}

# expect DESC COMMAND...: one result, from the command's exit status
expect()
{
	local desc=$1

	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect_eq DESC GOT WANT (a failure's diagnostic comes first: the runner
# shows the lines before a result with it)
expect_eq()
{
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		echo "# got '$2', want '$3'"
		not_ok "$1"
	fi
}

# done_testing: the plan (at the end: the number of results is known only
# then), the totals, and the kselftest exit status (skip when every result
# was a skip)
done_testing()
{
	ktap_set_plan $((KTAP_TESTNO - 1))
	if [ "$KSFT_NUM_TESTS" -gt 0 ] && [ "$KTAP_CNT_SKIP" -eq "$KSFT_NUM_TESTS" ]; then
		ktap_print_totals
		exit "$KSFT_SKIP"
	fi
	ktap_finished
}

# skip_all WHY: nothing here can be tested on this system
skip_all()
{
	ktap_skip_all "$*"
	exit "$KSFT_SKIP"
}

# try_write FILE VALUE: one write(2) of VALUE; on failure the error text
# (strerror, e.g. "Invalid argument") is left in $WRITE_ERROR.
try_write()
{
	WRITE_ERROR=$( { printf '%s' "$2" >"$1"; } 2>&1)
	local rc=$?

	WRITE_ERROR=${WRITE_ERROR##*: }
	return $rc
}

# write_fails_with FILE VALUE ERROR: the write is refused with ERROR
write_fails_with()
{
	if try_write "$1" "$2"; then
		echo "# writing '$2' to $1 succeeded"
		return 1
	fi
	[ "$WRITE_ERROR" = "$3" ] && return 0
	echo "# writing '$2' to $1: '$WRITE_ERROR', want '$3'"
	return 1
}

# expect_write DESC FILE VALUE: one result, the write succeeds
expect_write()
{
	if try_write "$2" "$3"; then
		ok "$1"
	else
		echo "# writing '$3' to $2: $WRITE_ERROR"
		not_ok "$1"
	fi
}

# expect_write_error DESC FILE VALUE ERROR: one result, the write is
# refused with ERROR (strerror text)
expect_write_error()
{
	local desc=$1

	shift
	expect "$desc" write_fails_with "$@"
}

# read_line VAR FILE: the first line of FILE into VAR, with the shell's own
# read (no process is started, so nothing is allocated behind our back).
read_line()
{
	local -n _dst=$1

	_dst=
	IFS= read -r _dst <"$2"
}

# meminfo_kb KEY: a /proc/meminfo figure in kB, printed
meminfo_kb()
{
	local key val

	while read -r key val _; do
		[ "$key" = "$1:" ] && { echo "$val"; return 0; }
	done </proc/meminfo
	return 1
}

# zone_field NODE ZONE FIELD: one counter of one zone from /proc/zoneinfo
# ("present", "managed", "spanned" or a "nr_*" name), printed
zone_field()
{
	local a b c d in=0

	while read -r a b c d; do
		if [ "$a" = Node ]; then
			[ "$b" = "$1," ] && [ "$d" = "$2" ] && in=1 || in=0
			continue
		fi
		[ $in = 1 ] || continue
		if [ "$a" = "$3" ]; then
			echo "$b"
			return 0
		fi
		if [ "$a $b" = "pages $3" ]; then
			echo "$c"
			return 0
		fi
	done </proc/zoneinfo
	return 1
}

# block_ids: the ids of all memory blocks, in numeric order
block_ids()
{
	local d

	for d in "$MEM"/memory[0-9]*; do
		echo "${d##*memory}"
	done | sort -n
}

# offline_block_ids: the blocks offline right now, in numeric order
offline_block_ids()
{
	local id st

	for id in $(block_ids); do
		read_line st "$MEM/memory$id/state"
		[ "$st" = offline ] && echo "$id"
	done
}

# block_state ID: the state of memoryID, printed
block_state()
{
	local st

	read_line st "$MEM/memory$1/state"
	echo "$st"
}

# set_offline ID: bring memoryID offline, retrying a few times; a block in
# a kernel zone may hold short-lived kernel allocations for a moment.
set_offline()
{
	local i

	for ((i = 0; i < 10; i++)); do
		[ "$(block_state "$1")" = offline ] && return 0
		try_write "$MEM/memory$1/state" offline && return 0
		echo 3 >/proc/sys/vm/drop_caches
		sleep 1
	done
	echo "# memory$1 will not go offline: $WRITE_ERROR"
	return 1
}

# MHP_RESTORE: blocks this test onlined; restore_blocks puts them offline
# again (it runs from the EXIT trap that track_blocks installs).
MHP_RESTORE=""
restore_blocks()
{
	local id

	for id in $MHP_RESTORE; do
		set_offline "$id"
	done
	MHP_RESTORE=""
}

# track_blocks ID...: offline these blocks again when the test exits
track_blocks()
{
	MHP_RESTORE="$MHP_RESTORE $*"
	trap restore_blocks EXIT
}

# mhp_modprobe MODULE: load a module. Falls back to the module tree the
# harness names on the kernel command line when /lib/modules is missing.
mhp_modprobe()
{
	local opt dir

	modprobe -q "$1" 2>/dev/null && return 0
	for opt in $(</proc/cmdline); do
		case $opt in
		harness.modules=*)
			dir=${opt#*=}
			modprobe -q -d "${dir%/lib/modules}" "$1" && return 0
			;;
		esac
	done
	return 1
}

[ "$(id -u)" -eq 0 ] || skip_all "must run as root"
[ -d "$MEM" ] || skip_all "no $MEM: kernel without CONFIG_MEMORY_HOTPLUG"
