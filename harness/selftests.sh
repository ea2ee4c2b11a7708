#!/bin/bash
# Build and install this tree's memory-hotplug kselftests (from the prepared
# tree, so exactly what the overlay ships) into build/kselftest/install,
# where the guest runs them. They test the ABI, so the same install serves
# KERNEL=ours and KERNEL=upstream.
. "$(dirname "$0")/common.sh"

src=$BUILD/src/ours/tools/testing/selftests
[ -d "$src" ] || die "no prepared tree: run make tree"
rm -rf "$BUILD/kselftest/install.new"
mkdir -p "$BUILD/kselftest/obj"
step selftests.log "kselftests: build and install" \
	make -C "$src" TARGETS=memory-hotplug O="$BUILD/kselftest/obj" \
	INSTALL_PATH="$BUILD/kselftest/install.new" install
rm -rf "$BUILD/kselftest/install"
mv "$BUILD/kselftest/install.new" "$BUILD/kselftest/install"
