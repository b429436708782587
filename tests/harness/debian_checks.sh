#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module built for Debian's own kernel (KERNEL=debian), checked before it is loaded: built
# with the Rust metadata rebuilt from Debian's source, .config and compiler
# (scripts/debian-kernel.sh), its crates' hashes and every Rust symbol it imports Debian's, its
# vermagic Debian's; and a Module.symvers that lacks one of its imports stops the build with one
# error naming it. TAP lines.
#
#   tests/harness/debian_checks.sh
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
. "$PROJECT_DIR/tests/harness/tap.sh"
[ "$KERNEL" = debian ] || die "debian_checks.sh: run with KERNEL=debian"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if build=$("$PROJECT_DIR/scripts/debian-kernel.sh" "$PROJECT_DIR" "$tmp/module" 2>"$tmp/build.log") &&
	[ -f "$tmp/module/loadavg_rs.ko" ]; then
	ok "loadavg_rs.ko builds against Debian's $(cat "$build/include/config/kernel.release"), its Rust crates rebuilt with Debian's compiler (crate hashes Debian's)"
else
	not_ok "loadavg_rs.ko builds against Debian's kernel" "$(tail -n3 "$tmp/build.log" | paste -sd' ' | cut -c1-300)"
	exit 0
fi
ko=$tmp/module/loadavg_rs.ko
imports=$(nm -u "$ko" | awk '$2 ~ /^_R/ { print $2 }' | sort -u)
missing=$(comm -23 <(printf '%s\n' "$imports") <(cut -f2 "$build/Module.symvers" | sort -u) | wc -l)
check_ok() { if "$@"; then ok "$label"; else not_ok "$label" "'$*' failed"; fi; }
label="every Rust symbol it imports ($(printf '%s\n' "$imports" | grep -c .)) is in Debian's Module.symvers ($missing not)"
check_ok test "$(printf '%s\n' "$imports" | grep -c .)" -gt 0 -a "$missing" -eq 0
theirs=$(xz -dc "$(find "$build/debian-modules/" -name null_blk.ko.xz | head -n1)" >"$tmp/null_blk.ko" &&
	modinfo -F vermagic "$tmp/null_blk.ko")
label="its vermagic is that of Debian's own modules ('$(modinfo -F vermagic "$ko")')"
check_ok test -n "$theirs" -a "$(modinfo -F vermagic "$ko")" = "$theirs"

# A kernel that does not export one of the module's imports: the build stops, with one error that
# names the symbol.
first=$(printf '%s\n' "$imports" | head -n1)
grep -vF "	$first	" "$build/Module.symvers" >"$tmp/Module.symvers"
status=0
out=$(LOADAVG_RS_DEBIAN_SYMVERS=$tmp/Module.symvers "$PROJECT_DIR/scripts/debian-kernel.sh" \
	"$PROJECT_DIR" "$tmp/module" 2>&1 >/dev/null) || status=$?
label="without $first in Module.symvers, the build stops with one error naming it"
check_ok test "$status" -ne 0 -a "$(grep -c 'error:' <<<"$out")" -eq 1 -a "$(grep -cF "imports $first," <<<"$out")" -eq 1
