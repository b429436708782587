#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make matrix`: the whole suite (scripts/test.sh) on every kernel the project supports, one
# after the other, and a Markdown table of kernel, rustc, result and time in build/matrix.md.
#
#   scripts/matrix.sh [ROW...]
#
# Rows (all by default):
#   7.3        KERNEL=7.3, the default test kernels
#   7.2        KERNEL=7.2
#   7.3-kdir   KDIR=<a 7.3 kernel built without KUnit>, as a user's own kernel: the KDIR path,
#              and the KUnit checks reported as skipped
#   debian     KERNEL=debian, Debian's own stock kernel 7.3.4+deb13-amd64, as Debian ships it
# Each row's log is build/matrix-ROW.log. Exits non-zero if any row failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(7.3 7.2 7.3-kdir debian)
table=$PROJECT_DIR/build/matrix.md
mkdir -p "$PROJECT_DIR/build"
{
	printf '| kernel | how | rustc | result | time |\n'
	printf '|---|---|---|---|---|\n'
} >"$table"

status=0
for row in "${rows[@]}"; do
	case $row in
	7.3 | 7.2)
		kdir=$(LOADAVG_RS_KERNEL=$row KDIR= "$PROJECT_DIR/scripts/build-kernel.sh" default) || die "building the $row test kernel failed"
		env=(LOADAVG_RS_KERNEL="$row" KDIR=) how="KERNEL=$row"
		;;
	7.3-kdir)
		kdir=$(LOADAVG_RS_KERNEL=7.3 KDIR= "$PROJECT_DIR/scripts/build-kernel.sh" nokunit) || die "building the 7.3 kernel without KUnit failed"
		env=(LOADAVG_RS_KERNEL=7.3 KDIR="$kdir") how="KDIR=..., no CONFIG_KUNIT"
		;;
	debian)
		if [ "$(id -u)" -ne 0 ]; then
			printf '| 7.3.4+deb13-amd64 | KERNEL=debian | 1.85.1 | skipped: needs root (a chroot of its toolchain) | |\n' >>"$table"
			log "matrix: debian: skipped, not root (its toolchain is a chroot)"
			continue
		fi
		kdir=$(LOADAVG_RS_KERNEL=debian KDIR= "$PROJECT_DIR/scripts/build-kernel.sh" default) || die "preparing Debian's kernel failed"
		env=(LOADAVG_RS_KERNEL=debian KDIR=) how="KERNEL=debian, Debian's stock kernel"
		;;
	*) die "unknown row '$row' (7.3, 7.2, 7.3-kdir, debian)" ;;
	esac
	release=$(cat "$kdir/include/config/kernel.release")
	log="$PROJECT_DIR/build/matrix-$row.log"
	log "matrix: $row ($how), log: $log"
	started=$(date +%s)
	result=0
	env "${env[@]}" "$PROJECT_DIR/scripts/test.sh" >"$log" 2>&1 || result=$?
	took=$(($(date +%s) - started))
	[ "$result" -eq 0 ] || status=1
	# The rustc the kernel was built with, which the module is too.
	rustc=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="rustc \([^ ]*\).*/\1/p' "$kdir/.config")
	printf '| %s | %s | %s | %s | %d min %d s |\n' "$release" "$how" "$rustc" \
		"$(tail -n1 "$log")" $((took / 60)) $((took % 60)) >>"$table"
	log "matrix: $row: $(tail -n1 "$log")"
done
cat "$table"
exit "$status"
