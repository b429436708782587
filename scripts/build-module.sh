#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the module and the small modules the guest tests load beside it (tests/kmod); with
# --harness, the deliberately broken modules of the harness self-tests; with --bench, the
# benchmark's floor module (tests/bench): against a cached test kernel, building that kernel
# first if it is missing. Prints the folder holding the .ko files.
#
#   scripts/build-module.sh [default|debug|proxy] [--harness] [--bench]
#
# Objects go to build/<variant>/ in the clone (Kbuild's MO=), so the default and the debug
# kernels' builds never mix, and the source folders stay clean. To build against a kernel of
# your own, use the Makefile: `make KDIR=/path/to/kernel/build`; with KDIR set, this script
# builds against that kernel too (for the guest runs of `make test KDIR=...`).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=default harness= bench=
for arg in "$@"; do
	case $arg in
	default | debug | proxy) variant=$arg ;;
	--harness) harness=1 ;;
	--bench) bench=1 ;;
	*) die "unknown argument '$arg' (default|debug|proxy, --harness, --bench)" ;;
	esac
done

kdir=$("$PROJECT_DIR/scripts/build-kernel.sh" "$variant")
# Objects of different kernels never mix: build/<variant> for the 7.3 test kernels, with the
# kernel in the name for another (KERNEL=7.2, KERNEL=debian), build/kdir for a kernel of the
# user's own.
if [ -n "$KDIR" ]; then
	out=$PROJECT_DIR/build/kdir
elif [ "$KERNEL" = 7.3 ]; then
	out=$PROJECT_DIR/build/$variant
else
	out=$PROJECT_DIR/build/$KERNEL-$variant
fi
mkdir -p "$out/module"
# The Rust core sources the cached kernels were built with; a KDIR brings its own build.
if [ -z "$KDIR" ]; then
	RUST_LIB_SRC=${RUST_LIB_SRC:-$(rust_lib_src)}
	export RUST_LIB_SRC
fi

# Builds the out-of-tree module(s) in folder $1 into $2: for Debian's kernel, with the toolchain
# Debian built it with (scripts/debian-kernel.sh).
kbuild() {
	if [ "$KERNEL" = debian ] && [ -z "$KDIR" ]; then
		"$PROJECT_DIR/scripts/debian-kernel.sh" "$1" "$2" >/dev/null
		return
	fi
	make -s -C "$kdir" M="$1" MO="$2" LLVM="$(kdir_llvm "$kdir")" modules >&2 ||
		die "building the module in $1 against $kdir failed (see above)"
}
kbuild "$PROJECT_DIR" "$out/module"
# The small modules the guest tests load beside it (tests/kmod).
mkdir -p "$out/kmod"
kbuild "$PROJECT_DIR/tests/kmod" "$out/kmod"
if [ -n "$harness" ]; then
	mkdir -p "$out/harness"
	kbuild "$PROJECT_DIR/tests/harness" "$out/harness"
fi
if [ -n "$bench" ]; then
	mkdir -p "$out/bench"
	kbuild "$PROJECT_DIR/tests/bench" "$out/bench"
fi
printf '%s\n' "$out"
