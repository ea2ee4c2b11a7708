#!/bin/bash
# docs.sh: build the .rst files this tree owns (MANIFEST) with Sphinx and the
# kernel's own Sphinx extensions (kernel-doc, kfigure, ...), warnings as
# errors. Not the whole `make htmldocs` (many minutes): a throwaway Sphinx
# project in build/docs holding only our documents, whose kernel-doc
# directives read the sources of the prepared tree build/src/ours.
. "$(dirname "$0")/common.sh"

src=$BUILD/src/ours
[ -d "$src" ] || die "no prepared tree: run make tree"
docs=$(manifest | grep '^Documentation/.*\.rst$')
if [ -z "$docs" ]; then
	say "docs: no .rst file in MANIFEST"
	exit 0
fi
sphinx=$(PATH=/usr/bin:$PATH command -v sphinx-build) ||
	die "sphinx-build is missing: run make deps (Debian's python3-sphinx)"

work=$BUILD/docs
rm -rf "$work"
mkdir -p "$work/src"
{
	echo 'Memory hot(un)plug'
	echo '=================='
	echo
	echo '.. toctree::'
	echo
	for f in $docs; do
		mkdir -p "$work/src/$(dirname "${f#Documentation/}")"
		cp "$src/$f" "$work/src/${f#Documentation/}"
		echo "   ${f#Documentation/}"
	done
} >"$work/src/index.rst"

# The kernel's Documentation/conf.py, cut down to what our documents use.
# c_id_attributes (the kernel's macros the C domain must skip) is read
# from it so that it stays the base's list.
cat >"$work/src/conf.py" <<EOF
import ast, sys
srctree = '$src'
sys.path.insert(0, srctree + '/Documentation/sphinx')
project = 'memory hot(un)plug'
extensions = ['kerneldoc', 'rstFlatTable', 'kernel_include', 'kfigure',
              'automarkup']
for node in ast.parse(open(srctree + '/Documentation/conf.py').read()).body:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assign) and \\
           getattr(sub.targets[0], 'id', '') == 'c_id_attributes':
            c_id_attributes = ast.literal_eval(sub.value)
kerneldoc_bin = srctree + '/scripts/kernel-doc'
kerneldoc_srctree = srctree
kerneldoc_verbosity = 1
highlight_language = 'none'
html_theme = 'alabaster'
EOF

say "docs: $(echo $docs | wc -w) .rst file(s), kernel-doc from $src"
# Sphinx warnings fail the build (-W); so do kernel-doc's own warnings
# (stderr) about the comments of a file we own.
PATH=/usr/bin:$PATH "$sphinx" -W --keep-going -q -b html -d "$work/doctrees" \
	"$work/src" "$work/html" >"$LOGS/docs.log" 2>&1
rc=$?
# kernel-doc's complaints about base files we do not own are not ours to fix.
own=$(manifest | sed 's/[.]/[.]/g' | paste -sd'|')
grep -Ev "^$src/" "$LOGS/docs.log" >"$work/problems"
grep -E "^$src/($own):" "$LOGS/docs.log" >>"$work/problems"
if [ $rc -ne 0 ] || grep -q . "$work/problems"; then
	sed 's/^/docs: /' "$work/problems" >&2
	die "docs: Sphinx found problems (log: $LOGS/docs.log)"
fi
say "docs: clean ($work/html/index.html)"
