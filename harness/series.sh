#!/bin/bash
# series.sh [--check [--no-build]]: this tree as a `git format-patch`
# series against the pristine base, in build/series/, and a cover letter
# (--states, --refresh and --diff: see docs/series.md): first the rewrite,
# one patch per group of MANIFEST files (core and block layer, ACPI driver,
# documentation, selftests) holding those files as they are with every
# additions/*.patch undone; then one patch per patches/*.patch; then one
# patch per additions/*.patch, in order (docs/series.md). Author, dates and
# so the commit ids are fixed: the same tree gives the same series.
#
# With --check (make check), also:
#  - checkpatch --strict on every patch;
#  - git am of the series, one patch at a time, onto a git repository of the
#    base, building the kernel after each patch with the callers config
#    (build/kernel/ours-callers/.config: guest.config plus every in-tree
#    user of our headers, so each patch also builds every caller;
#    O=build/kernel/series); a patch of only Documentation/ or
#    tools/testing/ is not built; skipped when this exact series already built
#    patch by patch;
#  - the tree at the end of the series must be byte for byte the tree
#    harness/prepare.sh made (build/src/ours): same git tree object.
# --no-build (make check) leaves the kernel builds out: about 14 minutes
# here, most of it the first build with the callers config.
#
# The base is committed once per base tarball (build/series-git, ~40 s);
# the work tree build/series-tree is a hard-link copy of the base that is
# kept between runs, so kbuild rebuilds only what the patches change.
. "$(dirname "$0")/common.sh"

base=$(base_dir)
[ -d "$base" ] || die "no base tree: run make base first"
ours=$BUILD/src/ours
[ -d "$ours" ] || die "no prepared tree: run make tree"
out=$BUILD/series
export GIT_DIR=$BUILD/series-git
tree=$BUILD/series-tree
kout=$BUILD/kernel/series

# Who and when, fixed so that the series is reproducible.
export GIT_AUTHOR_NAME=${SERIES_NAME:-Memory Hotplug Rewrite}
export GIT_AUTHOR_EMAIL=${SERIES_EMAIL:-mhp-rewrite@example.org}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_AUTHOR_DATE="2026-01-01 00:00:00 +0000" GIT_COMMITTER_DATE="2026-01-01 00:00:00 +0000"
signoff="Signed-off-by: $GIT_AUTHOR_NAME <$GIT_AUTHOR_EMAIL>"

# The groups, in series order: NAME;paths (extended regex on MANIFEST
# lines);subject. The body is in group_body below. A header goes in the
# group of the code that implements it; two groups whose files need each
# other to build must become one group, or the series is not bisectable.
SERIES_GROUPS='core;^(include/linux/memory(_hotplug)?\.h|include/trace/events/memory_hotplug\.h|drivers/base/|mm/);mm/memory_hotplug: the core and the memory block devices written anew
acpi;^drivers/acpi/;ACPI: memhotplug: the PNP0C80 memory device driver written anew
docs;^Documentation/;Documentation/mm: memory hot(un)plug guides written anew
selftests;^tools/testing/selftests/;selftests/memory-hotplug: tests of the sysfs ABI, onlining and offlining'

group_body() {
	case $1 in
	core) cat <<'EOF'
Replace the memory hot(un)plug core and the memory block layer. The core:
adding and removing physical memory, onlining and offlining page ranges,
the choice of zone, memmap_on_memory, node onlining and the memory_hotplug
module parameters. The block layer: the devices of the "memory" bus and
their sysfs files, the memory notifier chain, memory groups,
auto_online_blocks and probe. They are one patch because each calls the
other through interfaces of its own (block devices are created with their
node; both assert the locking rules the core defines). The code is a new
implementation of the same user-visible ABI (files, accepted words, error
codes) and of the same interface to the rest of the kernel: the exported
functions keep their names and contracts, so every caller builds and
behaves as before.

This patch is 6.12's behaviour in this code's shape: each piece of work
beyond 6.12 comes in a patch of its own later in the series.

Changes outside mm/ and drivers/base/memory.c come with it, folded in
from patches/: the driver core's device_hotplug_assert_held(), for those
assertions; register_memory_blocks_under_node() returning the error of a
hot-added block it cannot link to its node, so that such a hot-add undoes
itself instead of leaving a block without its node links; and the
Makefile and MAINTAINERS lines of the files.
EOF
		;;
	acpi) cat <<'EOF'
Replace the ACPI memory device driver: hot-add the ranges of a PNP0C80
device when it is inserted, offline and remove them when it is ejected, and
refuse the eject while memory of the device cannot be offlined.
EOF
		;;
	docs) cat <<'EOF'
Rewrite both guides for this implementation: for administrators, every
sysfs file and parameter with its errors, automatic onlining, how to keep
memory unpluggable and why an offline fails; for kernel developers, the
interface, the notifiers and their priorities, the locking rules and how a
driver such as virtio-mem uses it, with the kernel-doc of the sources.
EOF
		;;
	selftests) cat <<'EOF'
Test the sysfs ABI, onlining into each zone, offlining with busy, pinned
and migrating memory, notifier errors and probing, including the error code
of every refused write, so that a change of behaviour shows.
EOF
		;;
	esac
}

# git_base: the repository holding the base as one commit, tagged "base",
# and the index of that commit with the stat data of the base's files.
git_base() {
	local key c
	key=$(base_key)
	if [ "$(cat "$GIT_DIR/base-key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	say "series: committing the base to $GIT_DIR (once per base)"
	rm -rf "$GIT_DIR" "$tree"
	git init -q --bare "$GIT_DIR" || die "git init $GIT_DIR failed"
	git config core.bare false
	git config core.trustctime false	# hard links change ctime
	git config core.checkStat minimal
	git config gc.auto 0
	# -f: Debian's top-level .gitignore ignores everything.
	step series-base.log "git add the base" git --work-tree="$base" -C "$base" add -f -A
	c=$(git commit-tree "$(git write-tree)" -m "Linux ${base##*/linux-}") ||
		die "series: committing the base failed"
	git tag -f base "$c" >/dev/null
	cp "$GIT_DIR/index" "$GIT_DIR/index-base"
	echo "$key" >"$GIT_DIR/base-key"
}

# The work beyond 6.12, one patch each, in series order: additions/NN-NAME.patch.
additions() { ls "$TOP"/additions/[0-9]*.patch 2>/dev/null; }
addition_name() { basename "$1" .patch | sed 's/^[0-9]*-//'; }

# Header of a patches/*.patch or additions/*.patch: "Subject:" and optional "Series-group:"
# lines, a blank line, the body (ending with Signed-off-by: lines), "---",
# then the diff (git format-patch output has this shape).
patch_field() { sed -n "s/^$1:[[:space:]]*//p;/^\$/q" "$2" | head -n 1; }
patch_body() {
	awk 'h && /^(---|diff --git |Index: )/ { exit }
	     h { print }
	     !h && /^$/ { h = 1 }' "$1"
}

# commit SUBJECT BODYFILE: commit the index (tmp) on top of $parent.
commit() {
	local t msg=$BUILD/series-git/msg
	t=$(GIT_INDEX_FILE=$idx git write-tree) || die "git write-tree failed"
	if [ "$t" = "$(git rev-parse "$parent^{tree}")" ]; then
		say "series: no patch '$1' (none of its files in MANIFEST)"
		return 0
	fi
	{
		printf '%s\n\n' "$1"
		sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$2"	# no trailing blank lines
		grep -qx "$signoff" "$2" || printf '\n%s\n' "$signoff"
	} >"$msg"
	parent=$(git commit-tree "$t" -p "$parent" -F "$msg") || die "git commit-tree failed"
	count=$((count + 1))
}

# apply_group NAME: every patches/*.patch that says "Series-group: NAME".
apply_group() {
	local p
	for p in "$TOP"/patches/*.patch; do
		[ -e "$p" ] && [ "$(patch_field Series-group "$p")" = "$1" ] && apply_patch "$p"
	done
}

apply_patch() {	# apply_patch FILE: onto the index, as prepare.sh does on the tree
	GIT_INDEX_FILE=$idx git apply --cached -p1 "$1" 2>"$LOGS/series-apply.log" ||
		{ cat "$LOGS/series-apply.log" >&2; die "series: $(basename "$1") does not apply with git apply: refresh it against the base"; }
}

# rewrite_state: the tree id of the base with the MANIFEST files as they
# are here, then every addition undone, the last first (git apply -R).
# An addition may change MANIFEST files only; what it needs elsewhere is a
# patches/ patch that names it in Series-group. $GIT_DIR/states lists the
# tree after each addition, the rewrite first: "NAME TREE" lines.
rewrite_state() {
	local ridx=$GIT_DIR/index-rewrite f mode a p i
	local -a adds
	rm -f "$ridx"
	GIT_INDEX_FILE=$ridx git read-tree base
	for f in $files; do
		mode=100644
		[ -x "$TOP/$f" ] && mode=100755
		GIT_INDEX_FILE=$ridx git update-index --add \
			--cacheinfo "$mode,$(git hash-object -w "$TOP/$f"),$f"
	done
	mapfile -t adds < <(additions)
	: >"$GIT_DIR/states.rev"
	for ((i = ${#adds[@]} - 1; i >= 0; i--)); do
		a=${adds[i]}
		echo "$(basename "$a" .patch) $(GIT_INDEX_FILE=$ridx git write-tree)" >>"$GIT_DIR/states.rev"
		for p in $(git apply --numstat "$a" | cut -f3); do
			printf '%s\n' $files | grep -qxF "$p" ||
				die "series: additions/$(basename "$a") changes $p, which is not in MANIFEST: put that change in a patches/ patch with 'Series-group: $(addition_name "$a")'"
		done
		GIT_INDEX_FILE=$ridx git apply --cached -R "$a" 2>"$LOGS/series-apply.log" ||
			{ cat "$LOGS/series-apply.log" >&2; die "series: additions/$(basename "$a") cannot be undone from this tree: the code it adds has changed since; refresh it (docs/series.md)"; }
	done
	echo "00-rewrite $(GIT_INDEX_FILE=$ridx git write-tree)" >>"$GIT_DIR/states.rev"
	tac "$GIT_DIR/states.rev" >"$GIT_DIR/states"
	tail -n 1 "$GIT_DIR/states.rev" | cut -d' ' -f2
}

# write_states DIR: the MANIFEST files at each state of the series, as
# the last rewrite_state listed them, one folder each: DIR/00-rewrite,
# then DIR/NN-NAME after additions/NN-NAME.patch.
write_states() {
	local name t
	rm -rf "$1" && mkdir -p "$1" || die "cannot make $1"
	while read -r name t; do
		mkdir "$1/$name"
		# shellcheck disable=SC2046
		git archive "$t" -- $(for f in $files; do git ls-tree --name-only "$t" -- "$f"; done) |
			tar -x -C "$1/$name" || die "series: writing $1/$name failed"
	done <"$GIT_DIR/states"
	say "series: $(wc -l <"$GIT_DIR/states") state(s) in $1: $(cut -d' ' -f1 "$GIT_DIR/states" | tr '\n' ' ')"
}

# states DIR: write_states without a series generated first (--states).
states() {
	files=$(manifest)
	git_base
	rewrite_state >/dev/null || exit 1
	write_states "$1"
}

# state_refs: every state's .rst files refer only to sections they have
# (`Title`_): a section an addition brings must not be named before it.
# The states are those generate() found.
state_refs() {
	local dir=$BUILD/series-states files
	files=$(manifest)
	write_states "$dir" >/dev/null
	python3 - "$dir" <<'EOF' || die "series: a state of the series refers to a section it does not have"
import os, re, sys
bad = 0
for st in sorted(os.listdir(sys.argv[1])):
    for root, _, names in os.walk(os.path.join(sys.argv[1], st)):
        for name in (n for n in names if n.endswith(".rst")):
            text = open(os.path.join(root, name)).read()
            lines = text.splitlines()
            titles = {a for a, b in zip(lines, lines[1:])
                      if a and re.fullmatch(r"([=~^\"'-])\1+", b) and len(b) >= len(a)}
            for ref in sorted(set(re.findall(r"`([^`<>]+)`_", text)) - titles):
                print(f"series: {st}: {name} refers to section '{ref}', which it does not have",
                      file=sys.stderr)
                bad = 1
sys.exit(bad)
EOF
	say "  section references: none dangling in $(ls "$dir" | wc -l) state(s)"
}

# refresh DIR: write additions/ again from the states in DIR (as --states
# wrote them, then edited): additions/NN-NAME.patch becomes the diff from
# the state before it to DIR/NN-NAME, under the header of the addition of
# that NAME (renumbered if need be; a new NAME gets a header to fill in).
# The last state must be this tree's MANIFEST files.
refresh() {
	local dir=$1 prev= st name old new last f
	[ -d "$dir/00-rewrite" ] || die "usage: series.sh --refresh DIR (DIR/00-rewrite, DIR/01-NAME, ... as --states writes them)"
	last=$(ls "$dir" | sort | tail -n 1)
	for f in $(manifest); do
		if [ -e "$TOP/$f" ] || [ -e "$dir/$last/$f" ]; then
			cmp -s "$TOP/$f" "$dir/$last/$f" ||
				die "series: $dir/$last/$f is not this tree's $f: the last state must be the tree as it is"
		fi
	done
	for st in $(ls "$dir" | sort); do
		if [ "$st" = 00-rewrite ]; then
			prev=$st
			continue
		fi
		name=${st#[0-9]*-}
		old=$(ls "$TOP"/additions/[0-9]*-"$name".patch 2>/dev/null | head -n 1)
		new=$TOP/additions/$st.patch
		{
			if [ -n "$old" ]; then
				sed '/^diff --git /,$d' "$old"
			else
				printf 'From: %s <%s>\nSubject: FIXME %s\n\nFIXME: what, why and what it measured.\n\n%s\n---\n' \
					"$GIT_AUTHOR_NAME" "$GIT_AUTHOR_EMAIL" "$name" "$signoff"
			fi
			diff_states "$dir/$prev" "$dir/$st"
		} >"$new.tmp" || die "series: writing $new failed"
		[ -z "$old" ] || [ "$old" = "$new" ] || rm -f "$old"
		mv "$new.tmp" "$new"
		say "series: additions/$st.patch: $(grep -c '^[-+][^-+]' "$new") changed line(s)"
		prev=$st
	done
}

# diff OLD NEW: the diff between two folders of MANIFEST files (as states
# writes them), in the form an additions/ patch carries after its header.
diff_states() {
	local o n
	o=$(realpath "$1") && n=$(realpath "$2") || die "usage: series.sh --diff OLD NEW"
	(cd / && git diff --no-index --src-prefix=a/ --dst-prefix=b/ "${o#/}" "${n#/}") |
		sed -e "s#^diff --git a/\(${o#/}\|${n#/}\)/\(.*\) b/\(${o#/}\|${n#/}\)/#diff --git a/\2 b/#" \
		    -e "s#^--- a/${o#/}/#--- a/#" -e "s#^+++ b/${n#/}/#+++ b/#"
}

generate() {
	local files g paths subject f p pg body left rewrite entry a
	git_base
	idx=$GIT_DIR/index-series
	rm -f "$idx"
	GIT_INDEX_FILE=$idx git read-tree base
	parent=$(git rev-parse base)
	count=0
	files=$(manifest)
	left=$files
	body=$GIT_DIR/body
	rewrite=$(rewrite_state) || exit 1
	while IFS=';' read -r g paths subject; do
		for f in $(printf '%s\n' $left | grep -E "$paths"); do
			# "MODE blob ID<TAB>PATH"; none for a file an addition adds
			entry=$(git ls-tree "$rewrite" -- "$f")
			[ -n "$entry" ] || continue
			entry=${entry%%$'\t'*}
			GIT_INDEX_FILE=$idx git update-index --add \
				--cacheinfo "${entry%% *},${entry##* },$f"
		done
		left=$(printf '%s\n' $left | grep -Ev "$paths")
		# patches/*.patch that say "Series-group: NAME" belong to this one
		apply_group "$g"
		group_body "$g" >"$body"
		commit "$subject" "$body"
	done <<<"$SERIES_GROUPS"
	[ -z "$left" ] ||
		die "series: MANIFEST file(s) in no group of harness/series.sh: $(echo $left): add their folder to a group there"

	for p in "$TOP"/patches/*.patch; do
		[ -e "$p" ] || continue
		pg=$(patch_field Series-group "$p")
		if [ -n "$pg" ]; then
			{ printf '%s\n' "$SERIES_GROUPS" | cut -d';' -f1
			  for a in $(additions); do addition_name "$a"; done; } | grep -qx "$pg" ||
				die "series: $(basename "$p") says Series-group: $pg, which is no group of harness/series.sh and no additions/NN-$pg.patch"
			continue
		fi
		subject=$(patch_field Subject "$p" | sed 's/^\[[^]]*\][[:space:]]*//')
		[ -n "$subject" ] || die "series: $(basename "$p") has no 'Subject:' line: see docs/series.md"
		apply_patch "$p"
		patch_body "$p" >"$body"
		commit "$subject" "$body"
	done

	for a in $(additions); do
		apply_group "$(addition_name "$a")"
		subject=$(patch_field Subject "$a")
		case $subject in
		'' | FIXME*) die "series: additions/$(basename "$a") has no 'Subject:' line yet: see docs/series.md" ;;
		esac
		apply_patch "$a"
		patch_body "$a" >"$body"
		commit "$subject" "$body"
	done
	[ $count -gt 0 ] || die "series: nothing in MANIFEST or patches/ differs from the base"
	git update-ref refs/heads/series "$parent"

	rm -rf "$out"
	git format-patch -q --cover-letter --base=base --no-signature -o "$out" base..series ||
		die "git format-patch failed"
	cover_letter "$out/0000-cover-letter.patch"
	say "series: $count patch(es) and a cover letter in $out"
}

cover_letter() {
	local intro=$GIT_DIR/cover
	{
		cat <<'EOF'
This series replaces the memory hot(un)plug subsystem of Linux 6.12 (the
files MAINTAINERS lists under "MEMORY HOT(UN)PLUG", and the ACPI memory
device driver) with a new implementation written from scratch, without
reusing the base's code or prose.

What changed against the base implementation: the code, not the contract.
The sysfs ABI (files, accepted words, error codes), the kernel parameters,
the memory_hotplug module parameters and the interface to the rest of the
kernel (the exported functions, struct memory_notify and the notifier
priorities, memory groups, the online page callback) are the base's; every
caller in the base builds against the new headers unchanged. The guides in
Documentation/ are new, and a kselftest suite pins the behaviour.

How it was tested: on x86_64 under QEMU, the kselftests of this series,
the base's own mem-on-off-test.sh, KUnit, and host-driven scenarios
(ACPI pc-dimm plug and eject, virtio-mem, NUMA, kernel command lines,
udev onlining), each run both on this series and on the unchanged base
with the same config; any kernel warning fails a test. A debug build
(lockdep, KASAN, kmemleak, hung-task detection, fault injection) runs the
KUnit tests, the kselftests and the plug/unplug, race and fault-injection
scenarios again. The series builds after every patch, with every in-tree
user of the memory hotplug headers that x86_64 can enable.
EOF
		# Only a finished run: make check runs this during its own.
		if tail -n 1 "$LOGS/check-ours.tap" 2>/dev/null | grep -Eq '^[0-9]+ passed'; then
			printf '\nThe last make check in this checkout (%s):\n%s.\n' \
				"$(date -u -r "$LOGS/check-ours.tap" '+%Y-%m-%d %H:%M UTC')" \
				"$(tail -n 1 "$LOGS/check-ours.tap")"
		fi
		printf '\nBenchmark, from make bench (seconds unless the row says otherwise;\nmedian of the runs; ratio below 1: this series is faster):\n\n'
		bench_table
	} >"$intro"
	python3 - "$1" "$intro" <<'EOF'
import sys
path, intro = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
text = open(path).read()
text = text.replace("*** SUBJECT HERE ***", "memory hot(un)plug, written anew")
text = text.replace("*** BLURB HERE ***", intro)
open(path, "w").write(text)
EOF
}

bench_table() {
	python3 - "$BUILD/bench/results.json" <<'EOF'
import json, sys
try:
    data = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("  (not run: make bench writes build/bench/results.json)")
    sys.exit(0)
kernels = data["args"]["kernels"].split(",")
rows = data["workloads"]
w = max(len(r["workload"]) for r in rows)
print("  " + "workload".ljust(w) + "".join(k.rjust(10) for k in kernels) +
      ("     ratio" if len(kernels) > 1 else ""))
for r in rows:
    cells = "".join(("%10.3f" % r[k]["median"]) if k in r else "%10s" % "-"
                    for k in kernels)
    ratio = ("%10.3f" % r["ratio"]) if "ratio" in r else ""
    print("  " + r["workload"].ljust(w) + cells + ratio)
print("  (%d run(s) each; DIMM %s)" % (data["args"]["runs"], data["args"]["dimm"]))
EOF
}

# --- the check ---------------------------------------------------------------

# covered FILE: MAINTAINERS at the end of the series has FILE in the
# "MEMORY HOT(UN)PLUG" entry (an F: folder/ or F: pattern).
covered() {
	local pat
	for pat in $maint_f; do
		case $pat in
		*/) case $1 in "$pat"*) return 0 ;; esac ;;
		*) # shellcheck disable=SC2254
		   case $1 in $pat) return 0 ;; esac ;;
		esac
	done
	return 1
}

checkpatch() {
	local p bad=0 res f ignore=
	# checkpatch asks whether MAINTAINERS needs updating whenever a patch
	# adds a file; here the answer is known: it does not when the
	# subsystem's entry covers every file the series adds.
	maint_f=$(git show series:MAINTAINERS |
		awk '/^MEMORY HOT\(UN\)PLUG$/ { s = 1; next } s && /^$/ { exit } s && /^F:/ { print $2 }')
	for f in $(git diff --name-only --diff-filter=A base series); do
		covered "$f" || die "series: $f is new and MAINTAINERS' MEMORY HOT(UN)PLUG entry does not list it: add an F: line (a patches/ patch to MAINTAINERS, Series-group: the group of $f)"
	done
	ignore="--ignore FILE_PATH_CHANGES"
	for p in "$out"/0*.patch; do
		case $p in *0000-cover-letter.patch) continue ;; esac
		# shellcheck disable=SC2086
		res=$(cd "$base" && env -u GIT_DIR scripts/checkpatch.pl --strict --terse \
			--no-summary --show-types $ignore "$p" 2>&1)
		if [ -n "$res" ]; then
			printf '%s\n' "$res" | sed "s|^|series: checkpatch: |" >&2
			bad=1
		fi
	done
	[ $bad -eq 0 ] || die "series: checkpatch --strict found problems"
	say "  checkpatch --strict: clean on $count patch(es)"
}

# The work tree: a hard-link copy of the base, kept between runs. git
# writes a file it changes as a new file, so the base is never touched.
work_tree() {
	if [ "$(cat "$tree/.series-key" 2>/dev/null)" != "$(base_key)" ]; then
		rm -rf "$tree" "$kout"
		cp -al "$base" "$tree"
		cp "$GIT_DIR/index-base" "$GIT_DIR/index"
		base_key >"$tree/.series-key"
	fi
	export GIT_WORK_TREE=$tree
	git am --abort >/dev/null 2>&1
	git checkout -q -f --detach base || die "series: git checkout of the base in $tree failed"
	git clean -q -fdx -e /.series-key
}

am() {	# am PATCH: git am one patch of the series onto the work tree
	git am -q "$1" >"$LOGS/series-am.log" 2>&1 ||
		{ cat "$LOGS/series-am.log" >&2; die "series: git am of $(basename "$1") onto the base failed"; }
}

apply_all() {
	local p
	for p in "$out"/0*.patch; do
		case $p in *0000-cover-letter.patch) continue ;; esac
		am "$p"
	done
	say "  git am: the $count patch(es) apply one after the other (not built: make series-check builds them)"
}

bisect_build() {
	local stamp p n=0
	stamp=$(cat $(ls "$out"/0*.patch | grep -v cover-letter) "$config" | sha1sum | cut -d' ' -f1)
	if [ "$(cat "$kout/.series-built" 2>/dev/null)" = "$stamp" ]; then
		say "  bisect build: this series already built after each of its patches"
		build=0
	else
		build=1
		need_disk 3
		build_lock "series"
		mkdir -p "$kout"
		cmp -s "$config" "$kout/.config" || cp "$config" "$kout/.config"
		rm -f "$kout/.series-built"
	fi
	for p in "$out"/0*.patch; do
		case $p in *0000-cover-letter.patch) continue ;; esac
		n=$((n + 1))
		am "$p"
		[ $build -eq 1 ] || continue
		# A patch of documentation or selftests changes nothing kbuild
		# compiles: the previous patch's build stands for it.
		if ! git diff --name-only HEAD~1 HEAD | grep -vE '^(Documentation|tools/testing)/' >/dev/null; then
			say "  patch $n/$count: only Documentation/ or tools/testing/: nothing to build"
			continue
		fi
		step series-build.log "patch $n/$count: build" \
			env -u GIT_DIR -u GIT_WORK_TREE make -C "$tree" O="$kout" -j"$(nproc)" olddefconfig bzImage modules
	done
	[ $build -eq 0 ] || echo "$stamp" >"$kout/.series-built"
}

# The tree git am made and the overlay tree, as git tree objects: equal ids
# mean equal trees, byte for byte (modes too).
compare() {
	local cmp_idx=$GIT_DIR/index-ours want got diff
	got=$(git rev-parse 'HEAD^{tree}')
	[ -z "$(git status --porcelain --untracked-files=all)" ] ||
		die "series: the work tree differs from the last commit after git am: $(git status --porcelain | head -5)"
	cp "$GIT_DIR/index-base" "$cmp_idx"
	# Not the tree's: the overlay's stamps, and the CamelCase cache that
	# make lint's checkpatch --strict may leave at the top of the tree.
	want=$(GIT_INDEX_FILE=$cmp_idx git --work-tree="$ours" -C "$ours" add -f -A -- . \
		':!.overlay-*' ':!.checkpatch-camelcase.*' &&
		GIT_INDEX_FILE=$cmp_idx git write-tree) || die "series: reading $ours into git failed"
	if [ "$want" != "$got" ]; then
		diff=$(git diff --stat "$want" "$got" | tail -n 20)
		die "series: applying the series does not give the tree make tree gives ($ours); they differ in:
$diff"
	fi
	say "  byte for byte: the series gives the tree of $ours ($(git diff --name-only base "$got" | wc -l) file(s) differ from the base, all alike)"
}

case $1 in
--states) states "$2"; exit ;;
--diff) diff_states "$2" "$3"; exit ;;
--refresh) refresh "$2"; exit ;;
esac

start=$(date +%s)
say "series: $(basename "$base") + $(manifest | wc -l) MANIFEST file(s) + $(find "$TOP/patches" -name '*.patch' | wc -l) patch(es)"
generate
if [ "$1" = --check ]; then
	checkpatch
	state_refs
	work_tree
	if [ "$2" = --no-build ]; then
		apply_all
	else
		env -u GIT_DIR "$TOP/harness/kernel.sh" ours-callers --config || exit 1
		config=$BUILD/kernel/ours-callers/.config
		bisect_build
	fi
	compare
	say "series: checked in $(($(date +%s) - start)) s"
fi
