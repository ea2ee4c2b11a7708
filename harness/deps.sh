#!/bin/bash
# Install the Debian packages the build, the guest and the checks need.
# As root: apt-get update once, then install what is missing. Otherwise:
# print the one command that would do it and stop.
. "$(dirname "$0")/common.sh"

PACKAGES="linux-source-6.12 qemu-system-x86 gcc make flex bison bc libelf-dev
libssl-dev cpio python3 util-linux udev kmod sparse perl xz-utils rsync
coreutils bash procps dwarves git python3-sphinx graphviz ndctl daxctl"

# The guest binds its kernel's modules on the host's /lib/modules (its root
# is the host's, read-only): the folder has to exist, even empty.
if [ ! -d /lib/modules ]; then
	[ "$(id -u)" -eq 0 ] || die "/lib/modules is missing: run as root: mkdir -p /lib/modules"
	mkdir -p /lib/modules
fi

missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	die "missing Debian packages; run as root: apt-get update && apt-get install -y$missing"
fi
say "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
step apt-update.log "apt-get update" apt-get update
# shellcheck disable=SC2086
step apt-install.log "apt-get install" apt-get install -y --no-install-recommends $missing
