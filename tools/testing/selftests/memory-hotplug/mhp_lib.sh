#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the memory-hotplug shell tests: KTAP reporting that needs no
# plan up front, and small helpers around /sys/devices/system/memory.
# Sourced by the tests; not a test itself.

MEM=/sys/devices/system/memory
MHP_N=0
MHP_FAILED=0
MHP_SKIPPED=0

echo "TAP version 13"

ok()
{
	MHP_N=$((MHP_N + 1))
	echo "ok $MHP_N $*"
}

not_ok()
{
	MHP_N=$((MHP_N + 1))
	MHP_FAILED=$((MHP_FAILED + 1))
	echo "not ok $MHP_N $*"
}

# skip DESC WHY
skip()
{
	MHP_N=$((MHP_N + 1))
	MHP_SKIPPED=$((MHP_SKIPPED + 1))
	echo "ok $MHP_N $1 # SKIP $2"
}

# expect DESC COMMAND...: one result, from the command's exit status
expect()
{
	local desc=$1

	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect_eq DESC GOT WANT
expect_eq()
{
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "# got '$2', want '$3'"
	fi
}

# done_testing: the plan, the totals, and the kselftest exit status
done_testing()
{
	echo "1..$MHP_N"
	echo "# Totals: pass:$((MHP_N - MHP_FAILED - MHP_SKIPPED)) fail:$MHP_FAILED skip:$MHP_SKIPPED"
	[ "$MHP_FAILED" -eq 0 ] || exit 1
	[ "$MHP_N" -gt 0 ] && [ "$MHP_SKIPPED" -eq "$MHP_N" ] && exit 4
	exit 0
}

# skip_all WHY: nothing here can be tested on this system
skip_all()
{
	echo "1..0 # SKIP $*"
	exit 4
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

[ "$(id -u)" -eq 0 ] || skip_all "must run as root"
[ -d "$MEM" ] || skip_all "no $MEM: kernel without CONFIG_MEMORY_HOTPLUG"
