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
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what" "'$*' failed"; fi
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

# run_tests TEST...: runs /tests/TEST.sh for each, in order; fails if any of them fails.
run_tests() {
	local t status=0
	for t in "$@"; do
		echo "# $t"
		sh "/tests/$t.sh" || status=1
	done
	return "$status"
}

# Reading the table in one go: `snapshot` keeps it in $TABLE, and snap_value, snap_avg and
# snap_active read from that copy. Measurements use it, and no polling: a test command that
# runs while a sample is taken is counted like any other task (on a busy guest, waiting for a
# CPU makes that likely), and it would skew the counts it checks.
snapshot() {
	read -r SNAP_UPTIME _ </proc/uptime
	TABLE=$(cat "/proc/$TABLE_FILE")
}
snap_value() { printf '%s\n' "$TABLE" | awk -v k="$1" '$1 == k { print $2 }'; }
snap_avg() { printf '%s\n' "$TABLE" | awk -v k="$1" -v c="$2" '$1 == k { print $(c + 1) }'; }
snap_active() { printf '%s\n' "$TABLE" | awk -v k="$1" '$1 == k { print $5 }'; }

# on_period NAME K0 UPTIME0 PERIOD_MS: checks that the samples since snapshot K0 (taken at
# UPTIME0, from /proc/uptime) are as many as the guest time since, over the period in ticks
# (PERIOD_MS rounded up to ticks, plus one: 104 ms for 100 ms at HZ=250), within 2. Measured on
# the guest's own clock, so that a sleep that overshoots (a busy host) does not count.
on_period() {
	local k elapsed want
	k=$(snap_value samples)
	elapsed=$(awk -v a="$3" -v b="$SNAP_UPTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
	want=$(awk -v e="$elapsed" -v t="$(snap_value period_ticks)" 'BEGIN { printf "%d", e / (t * 4) }')
	check "$1: the sampler keeps its period: $((k - $2)) samples in $elapsed ms, $want expected (+-2)" \
		approx $((k - $2)) "$want" 2
}

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
# (busybox awk has no exp(): see exp_neg in LOAD_AWK below.)
expected_load() {
	awk -v n="$1" -v l="$2" -v k="$3" -v p="$4" -v w="$5" "$LOAD_AWK"'
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


# The kernel's fixed-point load arithmetic (include/linux/sched/loadavg.h, kernel/sched/loadavg.c)
# as awk functions, exact: every value stays far below 2^53.
LOAD_AWK='
function calc_load(load, e, active,   newload) {
	newload = load * e + active * (2048 - e)
	if (active >= load) newload += 2047
	return int(newload / 2048)
}
function fixed_power_int(x, n,   result) {
	result = 2048
	while (n > 0) {
		if (n % 2 == 1) result = int((result * x + 1024) / 2048)
		n = int(n / 2)
		if (n == 0) break
		x = int((x * x + 1024) / 2048)
	}
	return result
}
function calc_load_n(load, e, active, n) { return calc_load(load, fixed_power_int(e, n), active) }
function exp_neg(x,   m, r, t, i) {
	for (m = 0; x > 1; m++) x -= 1
	r = 1; t = 1
	for (i = 1; i <= 30; i++) { t = -t * x / i; r += t }
	for (; m > 0; m--) r /= 2.718281828459045
	return r
}
function decay(period, window) { return int(2048 * exp_neg(period / window) + 0.5) }
function shown(load,   r) { r = load + 10; return sprintf("%d.%02d", int(r / 2048), int((r % 2048) * 100 / 2048)) }
'

# in_range VALUE LOW HIGH: LOW <= VALUE <= HIGH, integers.
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# A slow disk: /dev/nullb0 from null_blk, completing every request from a timer after $1 ms,
# so a reader with direct IO waits in D with in_iowait almost all the time.
slow_disk() {
	[ -b /dev/nullb0 ] && return 0
	insmod /lib/modules/configfs.ko 2>/dev/null
	insmod /lib/modules/null_blk.ko irqmode=2 completion_nsec=$(($1 * 1000000)) nr_devices=1 gb=1 || return 1
	i=0
	while [ ! -b /dev/nullb0 ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b /dev/nullb0 ]
}
