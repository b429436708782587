#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The harness's own checks: runs that must fail (a WARN, a failing KUnit case, missing KTAP, a
# hang) do fail, for the right reason; the guests' time limit; the guest library's recovery of
# the kernel's counts; `make shell` typed at through a pseudo-terminal; `make help`. TAP lines.
#
#   tests/harness/selftest.sh [NO_KUNIT_REASON]   (the reason the kernel has no KUnit, if so)
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
. "$PROJECT_DIR/tests/harness/tap.sh"
kunit=${1:-}

# harness_run JOB TIMEOUT [OPTION...]: runs tests/harness/jobs/JOB.sh, keeping status and output.
harness_run() {
	local job=$1 limit=$2
	shift 2
	run_status=0
	run_out=$("$PROJECT_DIR/scripts/guest-run.sh" --harness --quiet --name "harness-$job" \
		--timeout "$limit" "$@" "$PROJECT_DIR/tests/harness/jobs/$job.sh" 2>&1) || run_status=$?
}
# must_have_failed WHAT CHECK: the last harness run failed, and CHECK is among its failures.
must_have_failed() {
	local what=$1 want=$2
	if [ "$run_status" -eq 0 ]; then
		not_ok "harness: $what fails the run" "the runner passed it"
	elif ! printf '%s\n' "$run_out" | grep -q "^not ok - $want"; then
		not_ok "harness: $what fails the run" "it failed, but not on '$want': $(printf '%s\n' "$run_out" | grep '^not ok' | paste -sd' ')"
	else
		ok "harness: $what fails the run ($(printf '%s\n' "$run_out" | grep -m1 "^not ok - $want" | cut -c1-160))"
	fi
}

harness() {
	harness_run warn 120
	must_have_failed "a module that WARNs" "no kernel fault reports"
	must_have_failed "the W taint a WARN leaves" "kernel not tainted"
	if [ -n "$kunit" ]; then
		skip "harness: a failing KUnit case, and KUnit output that is missing, fail the run" "$kunit"
	else
		harness_run kunit_failure 120 --kunit harness_kunit_failure
		must_have_failed "a failing KUnit case" "KUnit suite harness_kunit_failure"
		harness_run silent_kunit 120 --kunit loadavg_rs_engine
		must_have_failed "KUnit output that is missing" "KUnit"
	fi
	harness_run hang 30
	must_have_failed "a guest that hangs" "guest finished"
	timelimit_checks
	recovery_checks
	shell_checks
	help_checks
}

# `make shell` through a pseudo-terminal, typed at as a person would (tests/harness/shell_pty.py).
shell_checks() {
	if ! python3 "$PROJECT_DIR/tests/harness/shell_pty.py" "$PROJECT_DIR"; then
		not_ok "make shell: tests/harness/shell_pty.py passes" "see the checks above"
	fi
}

# `make help` is the Makefile's header: every target the Makefile declares is in it.
help_checks() {
	local help targets missing=
	help=$(make -s -C "$PROJECT_DIR" help)
	targets=$(sed -n 's/^\.PHONY: *//p' "$PROJECT_DIR/Makefile")
	for t in $targets; do
		case $t in all | module) continue ;; esac # `make` alone
		grep -qE "^  make $t( |$)" <<<"$help" || missing="$missing $t"
	done
	if [ -n "$targets" ] && [ -z "$missing" ]; then
		ok "make help: lists every target of the Makefile ($(wc -w <<<"$targets") targets)"
	else
		not_ok "make help: lists every target of the Makefile" "missing:${missing:- the .PHONY line}"
	fi
}

# The guest library's recovery of the kernel's own counts from avenrun, on histories made on the
# host, run with the guest's shell and awk (busybox, as scripts/guest-run.sh puts it in the guest).
recovery_checks() {
	local bin
	bin=$(mktemp -d)
	ln -s /bin/busybox "$bin/awk"
	(cd "$PROJECT_DIR/tests/workload" && cargo build --quiet --release --locked) ||
		not_ok "harness: loadgen builds for the host" "cargo build failed"
	ln -s "$PROJECT_DIR/tests/workload/target/release/loadgen" "$bin/loadgen"
	if ! PATH="$bin:$PATH" /bin/busybox sh "$PROJECT_DIR/tests/harness/kernel_windows.sh"; then
		not_ok "harness: tests/harness/kernel_windows.sh runs to its end" "it stopped on an error"
	fi
	rm -rf "$bin"
}

# The guests' time limit (qemu/timelimit.sh) counts the time the host let the guest run. A
# command that sleeps is stopped at its limit; one that spins on a CPU it shares with another
# spinner gets half of that CPU (CFS shares it equally between two busy tasks of one weight), so
# its limit of L s is reached after about 2L s of wall-clock time, however busy the rest of the
# host is (busier can only hold it back more). Asked: more than 2L - 1 s. The one second of
# slack is far more than the share can stray from a half over 2L s (CFS/EEVDF alternate the two
# at slices of a few milliseconds).
# limited LIMIT COMMAND...: runs COMMAND under qemu/timelimit.sh; sets `status` and `took` (the
# wall-clock time, in tenths of a second).
limited() {
	local begun=${EPOCHREALTIME/./}
	status=0
	"$PROJECT_DIR/qemu/timelimit.sh" "$@" 2>/dev/null || status=$?
	took=$(((${EPOCHREALTIME/./} - begun) / 100000))
}
timelimit_checks() {
	local limit=3 status took spinner cpu
	limited "$limit" sleep 600
	if [ "$status" -eq 124 ] && [ "$took" -ge $((limit * 10)) ]; then
		ok "harness: the time limit stops a sleeping command at its limit ($((took / 10)).$((took % 10)) s for $limit s)"
	else
		not_ok "harness: the time limit stops a sleeping command at its limit" "status $status after $((took / 10)).$((took % 10)) s"
	fi
	# The first CPU this shell may run on, for both spinners.
	cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
	taskset -c "$cpu" sh -c 'while :; do :; done' &
	spinner=$!
	limited "$limit" taskset -c "$cpu" sh -c 'while :; do :; done'
	kill "$spinner"
	wait "$spinner" 2>/dev/null || true
	if [ "$status" -eq 124 ] && [ "$took" -gt $(((2 * limit - 1) * 10)) ]; then
		ok "harness: the time limit leaves out the time the host held the command back ($((took / 10)).$((took % 10)) s for $limit s on a shared CPU)"
	else
		not_ok "harness: the time limit leaves out the time the host held the command back" "status $status after $((took / 10)).$((took % 10)) s for $limit s on a shared CPU"
	fi
}

harness
