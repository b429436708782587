# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest tests (busybox sh). Source it: `. /tests/lib.sh`.
#
# Each check prints one TAP line, `ok - NAME` or `not ok - NAME: WHY`, which the host counts;
# `finish` ends a test script with status 1 if any check failed.

MODULE=/lib/modules/loadavg_rs.ko
# The files in the format of /proc/loadavg, and the table.
LOADAVG_FILES="loadavg_cpu loadavg_io loadavg_all loadavg_cpuio loadavg_blocked"
TABLE_FILE=loadavg_rs
# /proc/loadavg's line: three averages with two decimals, running/threads, last PID.
LOADAVG_RE='^[0-9]+\.[0-9][0-9] [0-9]+\.[0-9][0-9] [0-9]+\.[0-9][0-9] [0-9]+/[0-9]+ -?[0-9]+$'

failures=0

pass() { echo "ok - $1"; }
fail() {
	echo "not ok - $1: $2"
	failures=$((failures + 1))
}
# check NAME COMMAND...: passes if COMMAND succeeds.
check() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "'$*' failed"; fi
}
finish() {
	[ "$failures" -eq 0 ]
	exit
}

# contains TEXT STRING: TEXT contains STRING.
contains() { printf '%s\n' "$1" | grep -qF -- "$2"; }
# matches TEXT REGEX: TEXT matches the extended regular expression.
matches() { printf '%s\n' "$1" | grep -Eq -- "$2"; }
# log_has STRING: the kernel log holds STRING.
log_has() { dmesg | grep -qF -- "$1"; }

# Writes a line to the kernel log, so that the host can find spots in the console log.
kmsg() { echo "loadavg-rs: $*" >/dev/kmsg; }

load() { insmod "$MODULE" "$@"; }
unload() { rmmod loadavg_rs; }
loaded() { grep -q '^loadavg_rs ' /proc/modules; }

# Loads the module once with its KUnit suites running, between markers the host looks for.
run_kunit() {
	kmsg "kunit begin"
	load || fail "module loads with its KUnit suites" "insmod failed"
	kmsg "kunit end"
	unload
}

# Reads the first line of file $1 without forking (so no PID is used up).
line_of() {
	IFS= read -r _line <"$1" && printf '%s\n' "$_line"
}

# Field $2 (1-based, space separated) of the first line of file $1.
field() { line_of "$1" | awk -v n="$2" '{ print $n }'; }

# The value of `NAME VALUE` row $2 of the table /proc/loadavg_rs.
table_value() { awk -v k="$1" '$1 == k { print $2 }' "/proc/$TABLE_FILE"; }

# The average in column $2 (1, 2, 3) of accounting $1 in the table.
table_avg() { awk -v k="$1" -v c="$2" '$1 == k { print $(c + 1) }' "/proc/$TABLE_FILE"; }

# approx A B TOLERANCE: |A - B| <= TOLERANCE.
approx() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# below A B: A < B.
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# expected_load N LOAD0 SAMPLES PERIOD_MS WINDOW_MS: the average after SAMPLES samples of N
# active tasks from LOAD0: N + (LOAD0 - N) * e^(-SAMPLES * PERIOD / WINDOW).
# (busybox awk has no exp(): e^-x is e^-(x - m) times e^-1, m times, the first from its series.)
expected_load() {
	awk -v n="$1" -v l="$2" -v k="$3" -v p="$4" -v w="$5" '
		function exp_neg(x,   m, r, t, i) {
			for (m = 0; x > 1; m++) x -= 1
			r = 1; t = 1
			for (i = 1; i <= 30; i++) { t = -t * x / i; r += t }
			for (; m > 0; m--) r /= 2.718281828459045
			return r
		}
		BEGIN { printf "%.3f\n", n + (l - n) * exp_neg(k * p / w) }'
}

# Starts $1 busy loops (each one always runnable); their PIDs go to $BUSY_PIDS.
BUSY_PIDS=
busy() {
	i=0
	while [ "$i" -lt "$1" ]; do
		sh -c 'while :; do :; done' &
		BUSY_PIDS="$BUSY_PIDS $!"
		i=$((i + 1))
	done
}
stop_busy() {
	[ -z "$BUSY_PIDS" ] || kill $BUSY_PIDS 2>/dev/null
	wait 2>/dev/null
	BUSY_PIDS=
}

# Waits until the sampler has taken at least $1 samples in all.
wait_samples() {
	while [ "$(table_value samples)" -lt "$1" ]; do sleep 0.05; done
}
