#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module's builds, checked: a user's `make KDIR=...`, kernels the module cannot be built for
# refused with one clear error, clippy and C -Werror, the benchmark's floor module. TAP lines.
#
#   tests/harness/build_checks.sh KDIR LLVM [RUST_LIB_SRC=...]
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
. "$PROJECT_DIR/tests/harness/tap.sh"
kdir=$1 llvm=$2
shift 2
rust_lib=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A user's build: `make KDIR=<kernel build>` in a copy of the sources, as anyone would run it.
mkdir -p "$tmp/user"
cp -r "$PROJECT_DIR/Makefile" "$PROJECT_DIR/Kbuild" "$PROJECT_DIR/rust" "$PROJECT_DIR/scripts" "$tmp/user/"
if make -s -C "$tmp/user" KDIR="$kdir" LLVM="$llvm" "${rust_lib[@]}" >"$tmp/kdir.log" 2>&1 &&
	[ -f "$tmp/user/loadavg_rs.ko" ]; then
	ok "make KDIR=<kernel build> builds loadavg_rs.ko the standard out-of-tree way"
else
	not_ok "make KDIR=<kernel build> builds loadavg_rs.ko" "$(tail -n5 "$tmp/kdir.log" | paste -sd' ')"
fi
# A kernel the module cannot be built for is refused before any build starts, with one
# clear error: copies of this kernel's build folder's files the check reads, with the
# .config changed. The build would run after the check, in the same make.
fake=$tmp/kdir-fake
other='rustc 1.85.1 (4eb161250 2025-03-15)'
for why in no-rust other-rustc missing-option; do
	case $why in
	no-rust) edit='/^CONFIG_RUST=y$/d' want="CONFIG_RUST is not set" ;;
	other-rustc)
		edit="s/^CONFIG_RUSTC_VERSION_TEXT=.*/CONFIG_RUSTC_VERSION_TEXT=\"$other\"/"
		want="built with '$other', but the rustc on PATH is '$(rustc --version)'"
		;;
	missing-option) edit='/^CONFIG_PROC_FS=y$/d' want="CONFIG_PROC_FS is not set: the module's files are in /proc" ;;
	esac
	rm -rf "$fake" && mkdir -p "$fake/rust"
	touch "$fake/Module.symvers" "$fake/rust/libkernel.rmeta"
	sed "$edit" "$kdir/.config" >"$fake/.config"
	status=0
	out=$(make -C "$tmp/user" KDIR="$fake" 2>&1) || status=$?
	if [ "$status" -ne 0 ] && grep -qF "$want" <<<"$out" && ! grep -qE "(^| )M=/" <<<"$out" &&
		[ "$(grep -c 'error:' <<<"$out")" -eq 1 ]; then
		ok "make KDIR=<a kernel $why> stops before building, with one error: $want"
	else
		not_ok "make KDIR=<a kernel $why> stops before building, with one error" "status $status: $(paste -sd' ' <<<"$out" | cut -c1-300)"
	fi
done
if grep -qF "merge_config.sh -m -O $fake $fake/.config" <<<"$out" && grep -qx 'CONFIG_PROC_FS=y' "$tmp/user/build/kernel-missing.config"; then
	ok "and the missing option comes with its fix: a fragment of it, merged with merge_config.sh, and a rebuild"
else
	not_ok "and the missing option comes with its fix" "$(paste -sd' ' <<<"$out" | cut -c1-300)"
fi

rm -rf "$PROJECT_DIR/build/clippy"
mkdir -p "$PROJECT_DIR/build/clippy"
if make -s -C "$kdir" M="$PROJECT_DIR" MO="$PROJECT_DIR/build/clippy" LLVM="$llvm" CLIPPY=1 \
	KCFLAGS=-Werror "${rust_lib[@]}" modules >"$tmp/clippy.log" 2>&1 &&
	! grep -q 'warning' "$tmp/clippy.log"; then
	ok "module builds with CLIPPY=1 and C -Werror, without a warning"
else
	cp "$tmp/clippy.log" "$PROJECT_DIR/build/clippy.log"
	not_ok "module builds with CLIPPY=1 and C -Werror, without a warning" "see build/clippy.log"
fi
# The C glue as a kernel without CONFIG_STACKTRACE compiles it (stack_trace_save_tsk() is then
# not declared): the option undefined after the kernel's own configuration header, for the glue's
# objects alone (a build check only: the objects are not loaded).
printf '#undef CONFIG_STACKTRACE\n' >"$tmp/no_stacktrace.h"
rm -rf "$PROJECT_DIR/build/no-stacktrace"
mkdir -p "$PROJECT_DIR/build/no-stacktrace"
glue_objs=$(cd "$PROJECT_DIR" && ls rust/glue/*.c | sed 's/\.c$/.o/')
# shellcheck disable=SC2086 # the objects are words
if make -s -C "$kdir" M="$PROJECT_DIR" MO="$PROJECT_DIR/build/no-stacktrace" LLVM="$llvm" \
	KCFLAGS="-Werror -include $tmp/no_stacktrace.h" "${rust_lib[@]}" $glue_objs >"$tmp/nostack.log" 2>&1 &&
	! grep -q 'warning' "$tmp/nostack.log"; then
	ok "the C glue builds for a kernel without CONFIG_STACKTRACE (attribution by process only)"
else
	not_ok "the C glue builds for a kernel without CONFIG_STACKTRACE" "$(tail -n5 "$tmp/nostack.log" | paste -sd' ' | cut -c1-300)"
fi
# The benchmark's floor module (tests/bench), which only `make bench` loads.
rm -rf "$PROJECT_DIR/build/bench-check"
mkdir -p "$PROJECT_DIR/build/bench-check"
if make -s -C "$kdir" M="$PROJECT_DIR/tests/bench" MO="$PROJECT_DIR/build/bench-check" LLVM="$llvm" \
	KCFLAGS=-Werror modules >"$tmp/bench.log" 2>&1 && ! grep -q 'warning' "$tmp/bench.log"; then
	ok "the benchmark's floor module (tests/bench) builds with C -Werror, without a warning"
else
	not_ok "the benchmark's floor module (tests/bench) builds" "$(tail -n5 "$tmp/bench.log" | paste -sd' ')"
fi
