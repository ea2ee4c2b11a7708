#!/bin/bash
# kernel.sh VARIANT [--config|--background]: configure (and, without --config, build) one kernel out of tree, in
# build/kernel/VARIANT. VARIANT is ours or upstream, optionally followed by
# -FLAVOUR (debug, ...): configs/FLAVOUR.config is then merged on top.
#
# --background starts the whole job at nice 19 and returns at once: its
# output goes to build/logs/background-VARIANT.log and, when it ends, its
# exit status to background-VARIANT.rc (runtests.py --debug-build waits for
# that file). A second --background while one runs leaves that one be.
#
# The .config is tinyconfig + configs/guest.config + the kselftest config +
# the flavour, regenerated only when one of those changes; every option a
# fragment asks for is checked to have survived olddefconfig.
. "$(dirname "$0")/common.sh"

variant=${1:?usage: kernel.sh VARIANT [--config|--background]}
kernel=${variant%%-*}
flavour=${variant#"$kernel"}
flavour=${flavour#-}
src=$(variant_src "$kernel") || exit 1
[ -d "$src" ] || die "no source tree for $kernel at $src: run make tree"
out=$BUILD/kernel/$variant

if [ "$2" = --background ]; then
	bg=$LOGS/background-$variant
	if [ ! -f "$bg.rc" ] && grep -qs kernel.sh "/proc/$(cat "$bg.pid" 2>/dev/null)/cmdline"; then
		say "kernel $variant: already building in the background (log: $bg.log)"
		exit 0
	fi
	rm -f "$bg.rc"
	# A process group of its own (job control on), which runtests.py
	# stops if the tests stop before they need the build. Not a session
	# of its own (setsid): with sched_autogroup, each session shares the
	# CPU equally whatever its nice value, and the build would take
	# half of it from the foreground build and the guests.
	set -m
	MHP_BACKGROUND_BUILD=1 nice -n 19 bash -c \
		'"$0" "$1" >"$2.log" 2>&1; echo $? >"$2.rc.new" && mv "$2.rc.new" "$2.rc"' \
		"$0" "$variant" "$bg" </dev/null >/dev/null 2>&1 &
	echo $! >"$bg.pid"
	set +m
	say "kernel $variant: building in the background at nice 19 (log: $bg.log)"
	exit 0
fi

frags="$TOP/configs/guest.config $TOP/tools/testing/selftests/memory-hotplug/config"
# Options only our tree's Kconfig defines.
[ "$kernel" = ours ] && frags="$frags $TOP/configs/ours.config"
if [ -n "$flavour" ]; then
	[ "$flavour" != ours ] && [ -f "$TOP/configs/$flavour.config" ] ||
		die "no configs/$flavour.config for variant $variant: use one of $(cd "$TOP/configs" && ls | sed -e 's/\.config$//' -e '/^ours$/d' -e '/^guest$/d' | tr '\n' ' ')"
	frags="$frags $TOP/configs/$flavour.config"
fi

need_disk 3
mkdir -p "$out"
key=$( { base_key; cat $frags; } | sha1sum | cut -d' ' -f1)
if [ "$(cat "$out/.config-key" 2>/dev/null)" != "$key" ] || [ ! -f "$out/.config" ]; then
	say "kernel $variant: configuring (tinyconfig + $(for f in $frags; do basename "$f"; done | tr '\n' ' '))"
	step "kconfig-$variant-1.log" "tinyconfig" make -C "$src" O="$out" tinyconfig
	# shellcheck disable=SC2086
	step "kconfig-$variant-2.log" "merge fragments" \
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" $frags
	step "kconfig-$variant-3.log" "olddefconfig" make -C "$src" O="$out" olddefconfig
	# A fragment line that kconfig dropped is a config bug: say which.
	miss=$(cat $frags | sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)/\1 \2/p' |
		while read -r sym val; do
			if [ "$val" = n ]; then
				grep -q "^$sym=" "$out/.config" && echo "$sym=n"
			else
				grep -qx "$sym=$val" "$out/.config" || echo "$sym=$val"
			fi
		done)
	[ -z "$miss" ] || die "kernel $variant: kconfig did not keep: $(echo $miss) (a dependency is missing from configs/)"
	echo "$key" >"$out/.config-key"
fi

[ "$2" = --config ] && exit 0

build_lock "kernel $variant"
say "kernel $variant: building from $src (log: $LOGS/build-$variant.log)"
step "build-$variant.log" "make bzImage modules" make -C "$src" O="$out" -j"$(nproc)" bzImage modules
# Install the modules for the guest only when one changed: a running guest
# may be using build/kernel/VARIANT/modroot.
if [ ! -f "$out/modroot/.installed" ] ||
   [ -n "$(find "$out" -name '*.ko' -newer "$out/modroot/.installed" -print -quit)" ]; then
	rm -rf "$out/modroot.new"
	step "modules-$variant.log" "modules_install" \
		make -C "$src" O="$out" INSTALL_MOD_PATH="$out/modroot.new" INSTALL_MOD_STRIP=1 modules_install
	touch "$out/modroot.new/.installed"
	rm -rf "$out/modroot" && mv "$out/modroot.new" "$out/modroot"
fi
say "kernel $variant: $out/arch/x86/boot/bzImage ($(cat "$out/include/config/kernel.release"))"
