# Memory hot(un)plug for Linux 6.12, rewritten: build, boot and test.
# `make help` lists the targets; README.md explains them.

KERNEL ?= ours
FLAVOUR ?=
VARIANT := $(KERNEL)$(if $(FLAVOUR),-$(FLAVOUR))
ONLY ?=
# make check's debug pass runs tests a second time on the debug build
# (lockdep, KASAN, kmemleak, hung-task, fault injection): every KUnit case
# and kselftest, and what each scenario file declares (DEBUG = True, or a
# list of its cases). DEBUG_ONLY= (empty) leaves the pass out; a list of
# test-name substrings runs those tests there instead (docs/debug-pass.md).
ifeq ($(origin DEBUG_ONLY),undefined)
DEBUG_ARGS := --debug
else
DEBUG_ARGS := $(if $(DEBUG_ONLY),--debug --debug-only '$(DEBUG_ONLY)')
endif
export BUILD := $(CURDIR)/build
# make check says how long it took, from here.
ifneq ($(filter check,$(MAKECMDGOALS)),)
export CHECK_START := $(shell date +%s)
endif

ifeq ($(filter $(KERNEL),ours upstream),)
$(error unknown KERNEL=$(KERNEL): use KERNEL=ours (this tree) or KERNEL=upstream (the base))
endif

.NOTPARALLEL:
.PHONY: all help deps base tree kernel selftests check test lint demo bench shell clean distclean \
	series series-check series-apply callers diagram check-tests harness-test \
	debug-kernel-background bench-snapshot

all: kernel

help:
	@echo 'make demo        build, boot, hot-plug and unplug a 1 GiB DIMM, narrated'
	@echo 'make check       lint, the series, every test layer, then the safety-net tests'
	@echo '                 again on the debug kernel; ends with "N passed, N failed"'
	@echo 'make test        the test layers only (ONLY=substring picks tests)'
	@echo 'make starved     the starved hot-add scenario, full matrix (KERNEL=upstream: the baseline)'
	@echo 'make busy        offline, shrink and eject under load at full size (500, 20, 20)'
	@echo 'make bench       the same workloads on ours and upstream: table and chart in build/bench'
	@echo 'make bench-snapshot  copy the last bench table and chart to docs/ (to commit)'
	@echo 'make lint        checkpatch --strict, sparse, W=1, kernel-doc and the docs on our files'
	@echo 'make harness-test  tests of the harness itself, on saved logs (no kernel, no guest)'
	@echo 'make series      this tree as a git format-patch series against the base, in build/series'
	@echo 'make series-check  the series applied and built after each patch with every caller (about 1 h)'
	@echo 'make kernel      build the kernel (KERNEL=ours|upstream, FLAVOUR=debug)'
	@echo 'make callers     build with every in-tree user of our headers enabled'
	@echo 'make shell       boot the guest with its console on this terminal'
	@echo 'make deps|base|tree|selftests   the steps kernel and check are made of'
	@echo 'make clean       remove kernel builds and run folders (keeps the base)'
	@echo 'make distclean   remove build/ entirely'

deps:
	@harness/deps.sh

base: deps
	@harness/base.sh

tree: base
	@harness/prepare.sh

kernel: tree
	@harness/kernel.sh $(VARIANT)

selftests: tree
	@harness/selftests.sh

lint: tree
	@harness/lint.sh

test: kernel selftests
	@harness/runtests.py --kernel $(KERNEL) --flavour '$(FLAVOUR)' --only '$(ONLY)'

# The series as make check sees it: it applies patch by patch, checkpatch
# --strict is clean, and it gives this tree. Its kernel builds (every caller
# of our headers, after each patch: about 14 minutes) are make series-check's.
check: debug-kernel-background lint harness-test series-apply check-tests

# make check starts the debug kernel's build first, at nice 19, so that it
# has what lint, the series and the normal build leave of the CPU too.
debug-kernel-background: tree
	@$(if $(DEBUG_ARGS),$(if $(FLAVOUR),,harness/kernel.sh $(KERNEL)-debug --background))

# The harness's own tests (KTAP reading, console checks, test selection,
# vm.py's pure parts, bench table) on the saved logs of harness/testdata,
# and those of the scenarios' helpers (tests/lib) on canned guest output;
# the KUnit parser comes from the base tree.
harness-test: tree
	@python3 harness/harness_test.py
	@python3 tests/lib/lib_test.py

# Every test layer, then the debug pass (if any): one TAP stream, the
# duration, one closing line. The fault injection scenario makes
# FAULT_ATTEMPTS (2) attempts per path there (docs/debug-pass.md: why not
# more). The debug kernel builds in the background (nice 19) during the
# normal pass (make check started it before lint).
check-tests: kernel selftests
	@FAULT_ATTEMPTS=$${FAULT_ATTEMPTS:-2} RACE_SECONDS=$${RACE_SECONDS:-60} \
		harness/runtests.py --kernel $(KERNEL) --flavour '$(FLAVOUR)' --only '$(ONLY)' \
		$(DEBUG_ARGS) --debug-build

# Every in-tree user of our headers (configs/callers.config) must compile
# and link against them.
callers: tree
	@harness/kernel.sh ours-callers

series: tree
	@harness/series.sh

# Before sending the series: git am of the series onto the base, a kernel
# build after each patch with the callers config, checkpatch --strict, and
# the same tree as make tree makes. series-apply (in make check) is the
# same without the builds.
series-check: tree
	@harness/series.sh --check

series-apply: tree
	@harness/series.sh --check --no-build

diagram: docs/lifecycle.svg

docs/lifecycle.svg: docs/lifecycle.dot
	dot -Tsvg $< >$@

bench: tree
	@harness/kernel.sh ours
	@harness/kernel.sh upstream
	@harness/bench.py

# The last make bench's table and chart become the committed snapshot that
# docs/benchmark.md links: docs/bench-latest.md and docs/bench-scale.svg.
bench-snapshot:
	@test -f build/bench/results.md || \
		{ echo 'bench-snapshot: no build/bench/results.md: run make bench first' >&2; exit 1; }
	cp build/bench/results.md docs/bench-latest.md
	@if [ -f build/bench/results.svg ]; then echo cp build/bench/results.svg docs/bench-scale.svg; \
		cp build/bench/results.svg docs/bench-scale.svg; fi

demo: kernel
	@harness/demo.py --kernel $(VARIANT)

shell: kernel
	@harness/shell.py --kernel $(VARIANT)

clean:
	rm -rf build/kernel build/run build/kselftest build/src build/lint \
		build/series build/series-tree build/docs

distclean:
	rm -rf build

# scenario/offline_under_load at the size of issue #31: 500 offlines of
# movable DIMM blocks, 20 virtio-mem shrinks, 20 DIMM ejects, under a
# workload that checks its bytes; make check runs 8, 2 and 2. Its notes
# are the figures (success rate, median, p99 and max time, failures).
.PHONY: busy
busy: kernel
	@BUSY_ATTEMPTS=500 BUSY_SHRINKS=20 BUSY_EJECTS=20 BUSY_LOAD=85 harness/runtests.py \
		--kernel $(KERNEL) --flavour '$(FLAVOUR)' --layers scenario \
		--only scenario/offline_under_load/

# scenario/starved_hot_add's full matrix: N in 256, 64, 16 MiB of MemAvailable
# left by S in 4, 16, 64 GiB arriving by DIMM, virtio-mem and dax (4 GiB
# only), one fresh guest per cell, about half a minute each; make check runs
# the file's CHECK_CELLS. It prints the outcomes as a table at the end.
.PHONY: starved
starved: kernel
	@STARVED_CELLS=all harness/runtests.py --kernel $(KERNEL) --flavour '$(FLAVOUR)' \
		--layers scenario --only scenario/starved_hot_add/
