#!/bin/bash
# kernel.sh VARIANT [--config]: configure (and, without --config, build) one kernel out of tree, in
# build/kernel/VARIANT. VARIANT is ours or upstream, optionally followed by
# -FLAVOUR (debug, ...): configs/FLAVOUR.config is then merged on top.
#
# The .config is tinyconfig + configs/guest.config + the kselftest config +
# the flavour, regenerated only when one of those changes; every option a
# fragment asks for is checked to have survived olddefconfig.
. "$(dirname "$0")/common.sh"

variant=${1:?usage: kernel.sh VARIANT [--config]}
kernel=${variant%%-*}
flavour=${variant#"$kernel"}
flavour=${flavour#-}
src=$(variant_src "$kernel") || exit 1
[ -d "$src" ] || die "no source tree for $kernel at $src: run make tree"
out=$BUILD/kernel/$variant

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
