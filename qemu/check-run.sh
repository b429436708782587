#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Judges one run of the test guest, from what qemu/boot.sh left in its folder, and prints one
# TAP line per check (`ok - ...` / `not ok - ...: why`). Exits 1 if any check failed.
#
#   qemu/check-run.sh DIR BOOT_STATUS [SUITE...]
#
# BOOT_STATUS is qemu/boot.sh's exit status. Each SUITE named must appear in the KUnit KTAP
# that the guest marked in the console log (between `loadavg-rs: kunit begin` and
# `loadavg-rs: kunit end`, see tests/guest/lib.sh), and KTAP must hold no failure, as the
# kernel's own parser (tools/testing/kunit/kunit.py) reads it.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

dir=$(realpath "$1") boot=$2
shift 2
console=$dir/console.log status=$dir/status.log
failed=0
# The serial console ends lines with CR LF.
[ ! -f "$console" ] || sed -i 's/\r$//' "$console"
ok() { printf 'ok - %s\n' "$1"; }
not_ok() {
	printf 'not ok - %s: %s\n' "$1" "$2"
	failed=1
}

# 1. The guest ended the VM itself, and its job succeeded.
if [ "$boot" -eq 124 ]; then
	not_ok "guest finished" "the guest did not end within the time limit and was killed (console: $console)"
elif ! grep -q '^exit ' "$status" 2>/dev/null; then
	not_ok "guest finished" "the VM stopped (QEMU status $boot) before the guest's init reported back: a crash or panic? (console: $console)"
else
	ok "guest finished"
	code=$(sed -n 's/^exit \([0-9]*\).*/\1/p' "$status" | tail -n1)
	if [ "$code" = 0 ]; then
		ok "guest job exit status 0"
	else
		not_ok "guest job exit status 0" "the job exited with $code"
	fi
fi

# 2. No kernel fault report on the console. Lockdep, KASAN, sleeping-in-atomic, soft lockups
# and RCU stalls all print one of these headers.
faults='BUG:|WARNING:|Oops|Call Trace|general protection fault|Kernel panic|KASAN|UBSAN|kmemleak: [0-9]+ new suspected|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|rcu: INFO|detected stalls? on|soft lockup|hard LOCKUP|blocked for more than|rust_panic|panicked at'
if [ ! -s "$console" ]; then
	not_ok "no kernel fault reports" "the console log is empty"
elif grep -En "$faults" "$console" >"$dir/faults.txt"; then
	not_ok "no kernel fault reports" "$(wc -l <"$dir/faults.txt") line(s), first: $(head -n1 "$dir/faults.txt")"
else
	ok "no kernel fault reports"
fi

# 3. Taint: only out-of-tree (O, bit 12), unsigned (E, bit 13) and test (N, bit 18) modules.
taint=$(sed -n 's/^taint \([0-9]*\).*/\1/p' "$status" 2>/dev/null | tail -n1)
allowed=$(((1 << 12) | (1 << 13) | (1 << 18)))
if [ -z "$taint" ]; then
	not_ok "kernel not tainted" "the guest did not report its taint"
elif ((taint & ~allowed)); then
	not_ok "kernel not tainted" "taint $taint has bits beyond O, E and N: $((taint & ~allowed))"
else
	ok "kernel not tainted"
fi

# 4. KUnit (skipped, with the reason in LOADAVG_RS_NO_KUNIT, on a kernel without it).
if [ $# -gt 0 ] && [ -n "${LOADAVG_RS_NO_KUNIT:-}" ]; then
	for suite in "$@"; do
		ok "KUnit suite $suite # SKIP $LOADAVG_RS_NO_KUNIT"
	done
elif [ $# -gt 0 ]; then
	ktap=$dir/kunit.log
	sed -n '/loadavg-rs: kunit begin/,/loadavg-rs: kunit end/p' "$console" |
		sed -e '1d' -e '$d' -e 's/^\(<[0-9]*>\)//' >"$ktap"
	if [ ! -s "$ktap" ]; then
		not_ok "KUnit" "no KTAP between the guest's kunit markers in $console"
	else
		python3 "$(kernel_src)/tools/testing/kunit/kunit.py" parse "$ktap" >"$dir/kunit.txt" 2>&1 &&
			kunit=0 || kunit=$?
		for suite in "$@"; do
			# "CASES FAILED RESULT" of the suite's top-level block, or nothing if it is absent.
			read -r cases bad result < <(awk -v s="$suite" '
				$0 == "    # Subtest: " s { inside = 1; next }
				inside && $0 ~ "^(not )?ok [0-9]+ " s "$" { result = $1; inside = 0 }
				inside && /^    (not )?ok [0-9]+ / { cases++; if ($1 == "not") bad++ }
				END { if (result != "") print cases + 0, bad + 0, result }' "$ktap") || true
			if [ -z "${result:-}" ]; then
				not_ok "KUnit suite $suite" "it did not run (no result in $ktap)"
			elif [ "$result" != ok ] || [ "$bad" -ne 0 ]; then
				not_ok "KUnit suite $suite" "$bad of $cases cases failed: $(grep -E '^    not ok' "$ktap" | head -n3 | tr -s ' ' | paste -sd';')"
			else
				ok "KUnit suite $suite ($cases cases)"
			fi
			result=
		done
		if [ "$kunit" -eq 0 ]; then
			ok "KUnit KTAP parses clean ($(grep -o 'Ran [0-9]* tests.*' "$dir/kunit.txt" | tail -n1))"
		else
			not_ok "KUnit KTAP parses clean" "kunit.py parse exited $kunit (see $dir/kunit.txt)"
		fi
	fi
fi
exit "$failed"
