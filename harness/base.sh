#!/bin/bash
# Unpack the base kernel (Debian's linux-source-6.12) once under build/base,
# check that it is a 6.12.y, and reuse it while the tarball is the same.
. "$(dirname "$0")/common.sh"

[ -f "$TARBALL" ] ||
	die "$TARBALL is missing: apt-get install linux-source-6.12 (or set BASE_TARBALL=)"

key=$(base_key)
describe() {
	say "base: Linux ${1#"$BUILD"/base/linux-} from $(dpkg-query -W -f='Debian ${Package} ${Version}' linux-source-6.12 2>/dev/null || echo "$TARBALL")"
}

if [ "$(cat "$BUILD/base/key" 2>/dev/null)" = "$key" ] && [ -d "$(base_dir)" ]; then
	describe "$(base_dir)"
	exit 0
fi

need_disk 4
rm -rf "$BUILD/base"
mkdir -p "$BUILD/base/unpack"
say "base: unpacking $TARBALL"
step base-unpack.log "unpack" tar -xf "$TARBALL" -C "$BUILD/base/unpack"
src=$(find "$BUILD/base/unpack" -mindepth 2 -maxdepth 2 -name Makefile -printf '%h\n' | head -n 1)
[ -n "$src" ] || die "no kernel tree inside $TARBALL: reinstall linux-source-6.12"

ver=$(make -s -C "$src" kernelversion 2>/dev/null)
case $ver in
6.12.*) ;;
*) rm -rf "$BUILD/base"
   die "base is Linux '$ver', not 6.12.y: install Debian's linux-source-6.12 (or point BASE_TARBALL at a 6.12.y tarball)" ;;
esac
mv "$src" "$BUILD/base/linux-$ver"
rmdir "$BUILD/base/unpack" 2>/dev/null
echo "$BUILD/base/linux-$ver" >"$BUILD/base/current"
echo "$key" >"$BUILD/base/key"
describe "$BUILD/base/linux-$ver"
