#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The files of every memory block directory, read without changing
# anything: ids and addresses, state and online agreeing, the zones shown
# for online and offline blocks, the node links in both directions, and
# the read-only files refusing writes.

. "$(dirname "$0")/mhp_lib.sh"

bsz=$((16#$(cat $MEM/block_size_bytes)))
ids=$(block_ids)
nblocks=$(wc -w <<<"$ids")
[ "$nblocks" -gt 0 ] || skip_all "no memory blocks"
echo "# $nblocks memory blocks of $((bsz >> 20)) MiB"

# One result per property over all blocks; the offenders are listed.
bad_index='' bad_dev='' bad_rem='' bad_state='' bad_online=''
bad_zone_on='' bad_zone_off='' bad_node='' bad_back='' bad_uevent=''
v='' st='' on='' zones='' before='' after=''

zone_word='(DMA|DMA32|Normal|Movable|none)'
for id in $ids; do
	d=$MEM/memory$id
	read_line v "$d/phys_index"
	[ "$v" = "$(printf '%08x' "$id")" ] || bad_index+=" memory$id($v)"
	read_line v "$d/phys_device"
	[[ $v =~ ^[0-9]+$ ]] || bad_dev+=" memory$id($v)"
	read_line v "$d/removable"
	[ "$v" = 1 ] || bad_rem+=" memory$id($v)"
	[ -f "$d/uevent" ] || bad_uevent+=" memory$id"
	read_line st "$d/state"
	read_line on "$d/online"
	read_line zones "$d/valid_zones"
	case $st in
	online)
		[ "$on" = 1 ] || bad_online+=" memory$id($st/$on)"
		[[ $zones =~ ^$zone_word$ ]] || bad_zone_on+=" memory$id($zones)"
		;;
	offline)
		[ "$on" = 0 ] || bad_online+=" memory$id($st/$on)"
		# the zone onlining would pick now, then any other allowed zone
		[[ $zones =~ ^$zone_word(\ $zone_word)+$ ]] && [[ $zones == *Movable* ]] ||
			bad_zone_off+=" memory$id($zones)"
		;;
	*)
		bad_state+=" memory$id($st)"
		;;
	esac
	links=("$d"/node[0-9]*)
	if [ ${#links[@]} -ne 1 ] || [ ! -e "${links[0]}" ]; then
		bad_node+=" memory$id(${#links[@]} links)"
		continue
	fi
	node=${links[0]##*/}
	[ "$(readlink -f "${links[0]}")" = "$(readlink -f "/sys/devices/system/node/$node")" ] ||
		bad_node+=" memory$id($(readlink "${links[0]}"))"
	[ "$(readlink -f "/sys/devices/system/node/$node/memory$id")" = "$(readlink -f "$d")" ] ||
		bad_back+=" memory$id"
done

for check in \
	"bad_index:phys_index of every block is its id as 8 hex digits" \
	"bad_dev:phys_device of every block is a decimal number" \
	"bad_rem:removable of every block reads 1 (offlining is supported)" \
	"bad_uevent:every block has a uevent file" \
	"bad_state:every block is online or offline at rest" \
	"bad_online:online reads 1 for online blocks and 0 for offline ones" \
	"bad_zone_on:valid_zones of an online block is one zone" \
	"bad_zone_off:valid_zones of an offline block lists its choices, Movable among them" \
	"bad_node:every block links to exactly one node, which exists" \
	"bad_back:that node links back to the block"; do
	var=${check%%:*}
	if [ -z "${!var}" ]; then
		ok "${check#*:}"
	else
		echo "# offenders:${!var}"
		not_ok "${check#*:}"
	fi
done

# Every link under a node directory is a block whose own link names that node.
stray=
total=0
for n in /sys/devices/system/node/node[0-9]*; do
	for l in "$n"/memory[0-9]*; do
		[ -e "$l" ] || continue
		total=$((total + 1))
		[ -e "$l/${n##*/}" ] || stray+=" ${n##*/}/${l##*/}"
	done
done
expect_eq "node directories link to no block that does not link back" "$stray" ""
expect_eq "node directories link to every block once" "$total" "$nblocks"

# Each System RAM range of /proc/iomem is covered by blocks: block N is the
# range [N * block size, (N + 1) * block size).
missing=
while read -r range colon name; do
	[ "$colon $name" = ": System RAM" ] || continue
	lo=$((16#${range%-*}))
	hi=$((16#${range#*-}))
	for ((b = lo / bsz; b <= hi / bsz; b++)); do
		[ -d "$MEM/memory$b" ] || missing+=" memory$b"
	done
done <<<"$(grep -v '^ ' /proc/iomem)"
expect_eq "every System RAM range lies in blocks whose ids are address / block size" \
	"$missing" ""

# The read-only files refuse to be written, even by root.
id=$(head -n 1 <<<"$ids")
for f in phys_index phys_device removable valid_zones; do
	read_line before "$MEM/memory$id/$f"
	expect_write_error "memory$id/$f cannot be written" \
		"$MEM/memory$id/$f" 1 "Permission denied"
	read_line after "$MEM/memory$id/$f"
	expect_eq "memory$id/$f unchanged by the attempt" "$after" "$before"
done

done_testing
