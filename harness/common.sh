# Shared by the harness shell scripts: paths, messages, and the one way a
# long step runs (output to a log file, tail printed when it fails).
# Sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
LOGS=$BUILD/logs
TARBALL=${BASE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
mkdir -p "$LOGS"

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# step LOG DESCRIPTION CMD...: run CMD with its output in $LOGS/LOG; on
# failure show the last lines of the log and where the whole log is.
step() {
	local log=$LOGS/$1 what=$2 start rc
	shift 2
	start=$(date +%s)
	say "  $what ..."
	"$@" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		printf 'error: %s failed (exit %d); last lines of %s:\n' "$what" $rc "$log" >&2
		tail -n 30 "$log" | sed 's/^/    /' >&2
		exit 1
	fi
	say "  $what: done in $(($(date +%s) - start)) s"
}

# build_lock WHAT: one kernel build at a time on this machine, whoever starts
# it (another checkout, a helper's BUILD=): two at once on 2 cores take
# longer than one after the other. Held until the calling script exits.
# The build kernel.sh --background runs (MHP_BACKGROUND_BUILD) is the one
# exception: at nice 19 it only gets the CPU foreground builds leave, so it
# takes no lock and holds none of them up.
build_lock() {
	[ -n "$MHP_BACKGROUND_BUILD" ] && return 0
	exec 9>/tmp/mhp-kernel-build.lock
	flock -n 9 && return 0
	say "$1: waiting for another kernel build on this machine to finish"
	flock 9
}

# The base: one unpacked copy of the Debian tarball, reused while the
# tarball stays the same. base_dir prints its path once it exists.
base_key() { stat -c '%s-%Y' "$TARBALL" 2>/dev/null; }
base_dir() { cat "$BUILD/base/current" 2>/dev/null; }

# variant_src KERNEL: the source tree a kernel is built from.
variant_src() {
	case $1 in
	ours) echo "$BUILD/src/ours" ;;
	upstream) base_dir ;;
	*) die "unknown KERNEL=$1: use KERNEL=ours or KERNEL=upstream" ;;
	esac
}

# need_disk GIB: stop early with a clear line rather than half-way through.
need_disk() {
	local avail
	mkdir -p "$BUILD"
	avail=$(df -Pk "$BUILD" | awk 'NR == 2 { print int($4 / 1048576) }')
	[ "$avail" -ge "$1" ] ||
		die "only ${avail} GiB free under $BUILD, this step needs $1 GiB: free some disk (make clean removes kernel builds)"
}

# The files this tree owns: the manifest without comments and blank lines.
# MANIFEST_FILE= points at another list (to try a file out before it joins).
MANIFEST_FILE=${MANIFEST_FILE:-$TOP/MANIFEST}
manifest() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$MANIFEST_FILE"; }
