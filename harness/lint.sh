#!/bin/bash
# The kernel's own checks on every file this tree owns (MANIFEST) and every
# patch under patches/: checkpatch --strict, kernel-doc, get_abi.pl validate
# on the ABI entries, and a compile of each owned .c with sparse (C=2) and
# W=1 in a build folder of its own (build/lint), so the normal build's
# objects are left alone, whose objects checkstack.pl then measures. Any
# finding fails.
. "$(dirname "$0")/common.sh"

src=$BUILD/src/ours
[ -d "$src" ] || die "no prepared tree: run make tree"
cfg=$BUILD/kernel/ours/.config
"$TOP/harness/kernel.sh" ours --config || exit 1
report=$LOGS/lint.log
: >"$report"
fail=0

finding() {	# finding TOOL OUTPUT
	[ -n "$2" ] || return 0
	printf '%s\n' "$2" | sed "s|^|lint: $1: |" | tee -a "$report"
	fail=1
}

# The most stack one function of ours may take, in bytes.
STACK_MAX=768
files=$(manifest)
cfiles=$(printf '%s\n' $files | grep -E '\.[ch]$')
patches=$(ls "$TOP"/patches/*.patch 2>/dev/null)
say "lint: $(printf '%s\n' $files | grep -c .) owned file(s), $(printf '%s\n' $patches | grep -c .) patch(es)"

cd "$src" || exit 1
for f in $cfiles; do
	finding checkpatch "$(scripts/checkpatch.pl --strict --terse --no-summary --show-types -f "$f" 2>&1)"
	finding kernel-doc "$(scripts/kernel-doc -none -Wall "$f" 2>&1)"
done
# Every ABI entry, ours (Documentation/ABI/testing/sysfs-devices-memory-hotplug)
# among the base's, must parse: get_abi.pl reports what it cannot.
finding abi "$(perl scripts/get_abi.pl validate --dir Documentation/ABI 2>&1)"
for p in $patches; do
	finding checkpatch "$(scripts/checkpatch.pl --strict --terse --no-summary --show-types "$p" 2>&1)"
done

# Kernel objects only: the selftests' C files are userspace programs.
objs=$(printf '%s\n' $cfiles | grep -v '^tools/' | sed -n 's/\.c$/.o/p')
if [ -n "$objs" ]; then
	build_lock lint
	mkdir -p "$BUILD/lint"
	cmp -s "$cfg" "$BUILD/lint/.config" || cp "$cfg" "$BUILD/lint/.config"
	make -C "$src" O="$BUILD/lint" olddefconfig >"$LOGS/lint-build.log" 2>&1
	# shellcheck disable=SC2086
	make -C "$src" O="$BUILD/lint" -j"$(nproc)" C=2 W=1 $objs >>"$LOGS/lint-build.log" 2>&1 ||
		finding build "$(grep -E 'error|Error' "$LOGS/lint-build.log" | head -20)"
	finding "sparse/W=1" "$(grep -E '(warning|error):' "$LOGS/lint-build.log")"
	# Stack: no function of ours may take more than STACK_MAX bytes of
	# the kernel stack (checkstack.pl lists every one above 100).
	for o in $objs; do
		[ -f "$BUILD/lint/$o" ] || continue
		finding checkstack "$(objdump -d "$BUILD/lint/$o" | perl scripts/checkstack.pl x86_64 |
			awk -v max="$STACK_MAX" -v o="$o" '{ n = $NF + 0 } n > max { print o ": " $0 " (more than " max ")" }')"
	done
fi

# The documentation: our .rst files through Sphinx (harness/docs.sh), and
# the README's picture rendered from its source as it is committed.
if docs=$("$TOP/harness/docs.sh" 2>&1); then say "$docs"; else finding docs "$docs"; fi
dot -Tsvg "$TOP/docs/lifecycle.dot" 2>&1 | cmp -s - "$TOP/docs/lifecycle.svg" ||
	finding diagram "docs/lifecycle.svg is not what docs/lifecycle.dot renders to: run make diagram"

if [ $fail -ne 0 ]; then
	die "lint found problems (all of them: $report)"
fi
say "lint: clean in $SECONDS s"
