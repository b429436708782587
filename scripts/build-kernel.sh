#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds a test kernel into the cache, unless it is there already, and prints its build folder.
#
#   scripts/build-kernel.sh [default|debug|nokunit|proxy]
#
# With KDIR set (a kernel of the user's own), nothing is built: KDIR is checked
# (scripts/check-kernel.sh suite) and printed; there is no debug variant of it.
#
# The kernel is `tinyconfig` plus qemu/kernel.config (and qemu/kernel-debug.config for the
# debug variant; qemu/kernel-nokunit.config for a kernel without KUnit, which `make matrix`
# tests as a user's own; qemu/kernel-proxy.config for proxy execution), built with the LLVM toolchain; LOADAVG_RS_KERNEL=7.2 (make's
# KERNEL=7.2) picks the 7.2 source. The build folder is keyed by the kernel version, the
# fragments and the toolchain, so an unchanged kernel is never built twice and an interrupted
# build resumes where it stopped. A cold build takes 8 to 13 minutes on 2 cores.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:-default}
case $variant in
default) fragments=("$PROJECT_DIR/qemu/kernel.config") ;;
debug) fragments=("$PROJECT_DIR/qemu/kernel.config" "$PROJECT_DIR/qemu/kernel-debug.config") ;;
nokunit) fragments=("$PROJECT_DIR/qemu/kernel.config" "$PROJECT_DIR/qemu/kernel-nokunit.config") ;;
proxy) fragments=("$PROJECT_DIR/qemu/kernel.config" "$PROJECT_DIR/qemu/kernel-proxy.config") ;;
*) die "unknown kernel variant '$variant' (default, debug, nokunit or proxy)" ;;
esac

# Debian's own kernel is not built: its build folder for modules is made from Debian's packages.
if [ "$KERNEL" = debian ] && [ -z "$KDIR" ]; then
	[ "$variant" = default ] || die "KERNEL=debian is Debian's one kernel: the $variant variant is the project's own test kernel"
	exec "$PROJECT_DIR/scripts/debian-kernel.sh"
fi

if [ -n "$KDIR" ]; then
	[ "$variant" = default ] || die "KDIR=$KDIR is one kernel: the debug variant is the project's own test kernel"
	"$PROJECT_DIR/scripts/check-kernel.sh" suite "$KDIR" --quiet || die "KDIR=$KDIR cannot run the suite (see above)"
	printf '%s\n' "$KDIR"
	exit 0
fi

"$PROJECT_DIR/scripts/provision.sh"
src=$(kernel_src)
out=$(kernel_build_dir "${fragments[@]}")
if [ -f "$out/.loadavg-rs-built" ]; then
	printf '%s\n' "$out"
	exit 0
fi

RUST_LIB_SRC=${RUST_LIB_SRC:-$(rust_lib_src)}
export RUST_LIB_SRC
kmake() { make -C "$src" O="$out" LLVM="$LLVM_FLAG" "$@"; }

mkdir -p "$out"
log="$out/build.log"
log "building the $variant test kernel $KERNEL_VERSION in $out (8 to 13 minutes on 2 cores; log: $log)"
started=$(date +%s)
{
	kmake rustavailable || die "this toolchain cannot build Rust for the kernel (see above)"
	kmake tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}"
	kmake olddefconfig
} >"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	die "configuring the test kernel failed (log: $log)"
}

# An option the fragments ask for that Kconfig dropped (an unmet dependency) is an error:
# the tests would silently run on a different kernel than the one described. A later fragment
# overrides an earlier one, `# CONFIG_X is not set` included.
missing=$(cat "${fragments[@]}" | awk '
	/^CONFIG_/ { split($0, kv, "="); want[kv[1]] = $0; if (!(kv[1] in seen)) { seen[kv[1]] = 1; order[++n] = kv[1] } }
	/^# CONFIG_.* is not set$/ { want[$2] = "unset"; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
	END { for (i = 1; i <= n; i++) print order[i], want[order[i]] }' | while read -r option want; do
	if [ "$want" = unset ]; then
		! grep -q "^$option=" "$out/.config" || printf ' %s' "# $option is not set"
	else
		grep -qxF "$want" "$out/.config" || printf ' %s' "$want"
	fi
done)
[ -z "$missing" ] || die "the kernel configuration did not take:$missing (see $out/.config)"

kmake -j"$(nproc)" >>"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	die "building the test kernel failed (log: $log)"
}
touch "$out/.loadavg-rs-built"
log "test kernel built in $(($(date +%s) - started)) s"
printf '%s\n' "$out"
