#!/bin/bash
# apply-to-tree.sh DIR: put this project into your own Linux 6.12.y tree.
#
# Copies every file MANIFEST lists into DIR, then applies patches/*.patch in
# order, exactly as the build here makes build/src/ours from the base.
# Everything is tried on the side first: on a tree that is not a 6.12.y,
# or where a patch does not apply, DIR is left untouched. The files it
# replaces are saved under DIR/.memory-hotplug-backup/, and it prints what
# it did and how to undo it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
me=${0##*/}

die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $me DIR (the top of a Linux 6.12.y source tree)"
dir=$(cd "$1" 2>/dev/null && pwd) || die "$1: no such directory"

field() { sed -n "s/^$1 = *//p" "$dir/Makefile" | head -n 1; }
[ -f "$dir/Makefile" ] && [ -f "$dir/mm/Makefile" ] ||
	die "$dir is not a kernel source tree (no Makefile, no mm/): give the top folder of a Linux 6.12.y tree"
version="$(field VERSION).$(field PATCHLEVEL).$(field SUBLEVEL)"
case $version in
6.12.*) ;;
*) die "$dir is Linux $version, not 6.12.y: this project replaces files of Linux 6.12 only; use a 6.12.y tree (on Debian: apt-get install linux-source-6.12)" ;;
esac

files=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$top/MANIFEST" | tr '\n' ' ')
patches=$(ls "$top"/patches/*.patch 2>/dev/null)

# Build the result on the side: the MANIFEST files, then every file a
# patch touches, taken from DIR (or from us when MANIFEST has it) and
# patched there.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for f in $files; do
	[ -f "$top/$f" ] || die "MANIFEST lists $f but $top has no such file: this checkout is incomplete"
	mkdir -p "$stage/$(dirname "$f")"
	cp -p "$top/$f" "$stage/$f"
done
patched=
for p in $patches; do
	for f in $(sed -n 's|^+++ b/||p' "$p"); do
		[ -e "$stage/$f" ] && continue
		mkdir -p "$stage/$(dirname "$f")"
		[ -f "$dir/$f" ] && cp -p "$dir/$f" "$stage/$f"
		patched="$patched $f"
	done
	patch -d "$stage" -p1 --forward --quiet <"$p" >"$stage/.patch.log" 2>&1 ||
		die "patches/${p##*/} does not apply to $dir (your tree differs from the 6.12.y it was made for there): nothing was changed: start from a clean 6.12.y, or refresh the patch for your tree. patch said: $(tr '\n' ' ' <"$stage/.patch.log")"
done
rm -f "$stage/.patch.log"

# Nothing to do when DIR already has all of it.
todo=
for f in $files $patched; do
	cmp -s "$stage/$f" "$dir/$f" || todo="$todo $f"
done
if [ -z "$todo" ]; then
	echo "$me: $dir (Linux $version) already has this project: nothing to do"
	exit 0
fi

backup=$dir/.memory-hotplug-backup/$(date +%Y%m%d-%H%M%S)
replaced=0 added=0 changed=0
for f in $todo; do
	if [ -f "$dir/$f" ]; then
		mkdir -p "$backup/$(dirname "$f")"
		cp -p "$dir/$f" "$backup/$f"
	fi
	case " $files " in
	*" $f "*) if [ -f "$dir/$f" ]; then what=replaced; replaced=$((replaced + 1))
		  else what=added; added=$((added + 1)); fi ;;
	*) what=patched; changed=$((changed + 1)) ;;
	esac
	mkdir -p "$dir/$(dirname "$f")"
	rm -f "$dir/$f"	# a hard-linked tree keeps its other copies
	cp -p "$stage/$f" "$dir/$f"
	printf '  %-8s %s\n' "$what" "$f"
done
echo "$me: Linux $version in $dir: $replaced file(s) replaced, $added added, $changed patched ($(echo $patches | wc -w) patch(es) from patches/)"
[ -d "$backup" ] && echo "$me: the previous copies are in $backup; to undo: cp -a $backup/. $dir/ (and delete the added files)"
echo "$me: next: build as usual (make olddefconfig && make); CONFIG_MEMORY_HOTPLUG, CONFIG_MEMORY_HOTREMOVE and CONFIG_ACPI_HOTPLUG_MEMORY enable it"
echo "$me: to online hot-added memory with udev: cp $top/udev/80-memory-hotplug-online.rules /etc/udev/rules.d/"
