#!/bin/bash
# Prepare build/src/ours: the base tree with every file named in MANIFEST
# replaced by (or added as) this tree's copy, then patches/*.patch applied in
# order. The tree is a hard-link copy of the base, so only the files we touch
# are real copies; it is made anew when the base, the manifest or a patch
# changes, and otherwise only changed overlay files are copied in, so kbuild
# recompiles just what was edited.
. "$(dirname "$0")/common.sh"

base=$(base_dir)
[ -d "$base" ] || die "no base tree: run make base first"
dst=$BUILD/src/ours

# Every listed file must exist here: never fall back to the base's copy.
bad=0
for f in $(manifest); do
	if [ ! -f "$TOP/$f" ]; then
		echo "error: MANIFEST lists $f but this tree has no such file: add it or drop the line" >&2
		bad=1
	fi
done
[ $bad -eq 0 ] || exit 1

stamp=$( { base_key; cat "$MANIFEST_FILE"; cat "$TOP"/patches/*.patch 2>/dev/null; } | sha1sum | cut -d' ' -f1)

sync_overlay() {
	local f changed=0
	for f in $(manifest); do
		if ! cmp -s "$TOP/$f" "$1/$f"; then
			mkdir -p "$(dirname "$1/$f")"
			rm -f "$1/$f"	# break the hard link to the base first
			cp "$TOP/$f" "$1/$f"
			changed=$((changed + 1))
		fi
	done
	echo $changed
}

if [ "$(cat "$dst/.overlay-stamp" 2>/dev/null)" = "$stamp" ]; then
	n=$(sync_overlay "$dst")
	[ "$n" -eq 0 ] || say "tree: $n overlay file(s) updated in $dst"
	exit 0
fi

# own FILE: give FILE its own inode (and a fresh mtime) instead of the
# hard link it shares with the base.
own() {
	[ -f "$1" ] || return 0
	cp "$1" "$1.tmp" && mv "$1.tmp" "$1"
}

say "tree: preparing $dst from $base"
old=$(cat "$dst/.overlay-files" 2>/dev/null)
rm -rf "$dst.new" "$dst"
mkdir -p "$BUILD/src"
cp -al "$base" "$dst.new"
n=$(sync_overlay "$dst.new")
touched=$(manifest)
for p in "$TOP"/patches/*.patch; do
	[ -e "$p" ] || continue
	files=$(sed -n 's|^+++ b/||p' "$p")
	for f in $files; do own "$dst.new/$f"; done
	touched="$touched $files"
	patch -d "$dst.new" -p1 --quiet --forward <"$p" >"$LOGS/patch.log" 2>&1 ||
		{ cat "$LOGS/patch.log" >&2; rm -rf "$dst.new"; die "patch $(basename "$p") does not apply to the base: refresh it"; }
done
# A file we replaced before and no longer do is the base's again: give it a
# fresh mtime so kbuild does not keep the object built from our old copy.
for f in $old; do
	case " $(echo $touched) " in *" $f "*) ;; *) own "$dst.new/$f" ;; esac
done
echo "$touched" | tr ' ' '\n' | sed '/^$/d' >"$dst.new/.overlay-files"
echo "$stamp" >"$dst.new/.overlay-stamp"
mv "$dst.new" "$dst"
say "tree: $n file(s) from MANIFEST, $(find "$TOP/patches" -name '*.patch' 2>/dev/null | wc -l) patch(es)"
