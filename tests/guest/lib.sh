# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest tests (busybox sh). Source it: `. /tests/lib.sh`.
#
# Each check prints one TAP line, `ok - NAME` or `not ok - NAME: WHY`, which the host counts;
# `finish` ends a test script with status 1 if any check failed. What the kernel lacks (a
# kernel of the user's own, `make test KDIR=...`) is `ok - NAME # SKIP WHY`, counted apart.

MODULE=/lib/modules/loadavg_rs.ko
# The definitions of load, and the files in the format of /proc/loadavg, one for each: from the
# module's own list (rust/model/accounting.rs, through loadgen). The table, and the recent samples.
ACCOUNTINGS=$(loadgen verify definitions)
LOADAVG_FILES=$(for a in $ACCOUNTINGS; do printf 'loadavg_%s ' "$a"; done)
TABLE_FILE=loadavg_rs
SAMPLES_FILE=loadavg_rs_samples
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
# skip NAME WHY: checks NAME cannot run on this kernel, because WHY.
skip() { echo "ok - $1 # SKIP $2"; }
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
	# Once is enough: later loads (hundreds, in the unload race) run no suite. A kernel
	# without KUnit has no such parameter.
	echo "loadavg_rs_ran_once" >/sys/module/kunit/parameters/filter_glob 2>/dev/null || true
}

# run_tests TEST...: runs /tests/TEST.sh for each, in order; fails if any of them fails. Says
# how long each took, by the guest's clock (shown, never judged).
run_tests() {
	local t status=0 begun ended
	for t in "$@"; do
		echo "# $t"
		read -r begun _ </proc/uptime
		sh "/tests/$t.sh" || status=1
		read -r ended _ </proc/uptime
		echo "# $t took $(awk -v a="$begun" -v b="$ended" 'BEGIN { printf "%.0f", b - a }') s"
	done
	return "$status"
}

# Reading the table in one go (for `make bench`): `snapshot` keeps it in $TABLE, and snap_value
# reads a row from that copy.
snapshot() {
	read -r SNAP_UPTIME _ </proc/uptime
	TABLE=$(cat "/proc/$TABLE_FILE")
}
snap_value() { printf '%s\n' "$TABLE" | awk -v k="$1" '$1 == k { print $2 }'; }

# The value of `NAME VALUE` row $2 of the table /proc/loadavg_rs.
table_value() { awk -v k="$1" '$1 == k { print $2 }' "/proc/$TABLE_FILE"; }

# The average in column $2 (1, 2, 3) of accounting $1 in the table.
table_avg() { awk -v k="$1" -v c="$2" '$1 == k { print $(c + 1) }' "/proc/$TABLE_FILE"; }

# approx A B TOLERANCE: |A - B| <= TOLERANCE.
approx() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# below A B: A < B.
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# Starts $1 busy loops: `loadgen cpu`, whose children spin from the moment fork() returns,
# without a system call, so they are on a runqueue from then on. Returns once they are forked;
# their PIDs and loadgen's go to $BUSY_PIDS.
BUSY_PIDS=
busy() {
	local out
	out=$(mktemp)
	loadgen cpu "$1" 86400 >"$out" &
	BUSY_PIDS="$BUSY_PIDS $! $(wait_started "$out")"
	rm -f "$out"
}
stop_busy() {
	[ -z "$BUSY_PIDS" ] || kill -KILL $BUSY_PIDS 2>/dev/null
	wait 2>/dev/null
	BUSY_PIDS=
}

# The kernel's fixed-point load arithmetic is the module's own rust/model/calc_load.rs (checked on
# the host against the kernel's C), through `loadgen verify` (tests/workload/src/verify.rs).
# shown FIXED...: as /proc/loadavg prints each.
shown() { loadgen verify shown "$@"; }

# Exact checks from the samples the module actually took.
#
# /proc/loadavg_rs_samples holds, read in one go, the engine's averages in fixed point and a
# record of each of the last 64 samples: its counts per accounting, how many kernel threads it
# counted, how late it was and how many windows it closed. A test takes the history before and
# after an interval (take_history FILE), and checks the samples in between:
#
# - counts_floor / counts_ceiling: a transient (a kernel thread woken at that instant, a test
#   command) can only add to a count, or only take from one; so over the interval the minimum
#   (or maximum) is exactly the number of tasks the test started, and it is reached: no
#   tolerance. Which way each count can move is argued where the check is made.
# - replay_exact: the kernel's calc_load()/calc_load_n() (loadgen verify), replayed from the first
#   history's averages over the recorded counts and windows, lands exactly on the second's.
# - schedule_exact: every sample closed one window plus one for each full period it was late,
#   no sample is missing, and at least one was on time.
#
# Every check needs the second history to still hold every sample after the first: an interval
# must stay under 64 samples (history_complete says when it did not).

# take_history FILE: copies /proc/loadavg_rs_samples, read in one go, to FILE.
take_history() { cat "/proc/$SAMPLES_FILE" >"$1"; }
# hval FILE KEY: the value of row KEY in a history.
hval() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
# hfixed FILE ACCOUNTING COLUMN: an average in fixed point, from a history.
hfixed() { awk -v a="$2" -v c="$3" '$1 == "fixed" && $2 == a { print $(c + 2) }' "$1"; }
# rcol H NAME: the column of NAME in the records of history H (their header line names them).
rcol() { awk -v n="$2" '$1 == "sample" && NF > 2 { for (i = 1; i <= NF; i++) if ($i == n) { print i; exit } }' "$1"; }
# columns H0 H1 NAME...: the columns NAME of each record in H1 of the samples after H0's last.
columns() {
	local h0=$1 h1=$2
	shift 2
	awk -v k0="$(hval "$h0" samples)" -v names="$*" '
		$1 == "sample" && NF > 2 { for (i = 1; i <= NF; i++) col[$i] = i; nf = NF; k = split(names, want, " "); next }
		nf && NF == nf && $1 > k0 { line = ""; for (i = 1; i <= k; i++) line = line (i > 1 ? " " : "") $(col[want[i]]); print line }' "$h1"
}
# record_value H SEQ NAME: the value of column NAME in H's record of sample SEQ (`last`: its last).
record_value() {
	awk -v k="$2" -v c="$(rcol "$1" "$3")" '$1 == "sample" && NF > 2 { nf = NF; next }
		nf && NF == nf && (k == "last" || $1 == k) { v = $c } END { print v }' "$1"
}
# fixed_at H0 H1 SEQ ACCOUNTING COLUMN: an average in fixed point as sample SEQ left it, replayed
# exactly (loadgen verify replay) from H0's over H1's records: a file that showed sample SEQ,
# read between the two histories, is checked against it. Empty if SEQ is not between them.
fixed_at() {
	loadgen verify replay "$1" "$2" "$3" 2>/dev/null | awk -v a="$4" -v c="$5" '$1 == a { print $(c + 1) }'
}
# records H0 H1: the records in H1 of the samples after H0's last.
records() {
	awk -v k0="$(hval "$1" samples)" '$1 == "sample" && NF > 2 { nf = NF; next }
		nf && NF == nf && $1 > k0' "$2"
}

# kernel_windows H0 H1: the kernel's own count in each of its windows that closed between two
# consecutive records of the interval, one `SEQ COUNT` line each (SEQ: the later record), in
# order, recovered exactly from the kernel's averages the records hold; `SEQ -` for a stretch
# that no counts, or several, explain (loadgen verify windows says how).
kernel_windows() { loadgen verify windows "$1" "$2"; }

# kernel_summary H0 H1: `RECOVERED UNRECOVERED LOWEST HIGHEST` of the kernel's own counts in the
# interval (kernel_windows): how many of its windows were recovered, in how many stretches
# between records they were not, and the lowest and highest count recovered.
kernel_summary() {
	kernel_windows "$1" "$2" | awk '
		$2 == "-" { lost++; next }
		{ if (n == 0 || $2 < lo) lo = $2; if (n == 0 || $2 > hi) hi = $2; n++ }
		END { print n + 0, lost + 0, (n ? lo : "-"), (n ? hi : "-") }'
}

# history_complete NAME H0 H1: H1 holds every sample taken after H0, and there are some.
history_complete() {
	local k0 k1 n first
	k0=$(hval "$2" samples) k1=$(hval "$3" samples)
	n=$(records "$2" "$3" | wc -l)
	first=$(records "$2" "$3" | awk 'NR == 1 { print $1 }')
	check "$1: the history holds all $((k1 - k0)) samples since the first reading ($n, from ${first:-none})" \
		test "$n" -eq $((k1 - k0)) -a "$n" -gt 0 -a "${first:-0}" -eq $((k0 + 1))
}

# counts_floor NAME H0 H1 ACCOUNTING N [WHY]: over the samples between, ACCOUNTING counted at
# least N every time and exactly N at least once. ACCOUNTING+delayed adds the delayed sleepers.
counts_floor() { counts_bound floor "$@"; }
# counts_ceiling NAME H0 H1 ACCOUNTING N [WHY]: at most N every time, exactly N at least once.
counts_ceiling() { counts_bound ceiling "$@"; }
counts_bound() {
	local kind=$1 name=$2 h0=$3 h1=$4 a=$5 n=$6 why=${7:-} summary
	# ACCOUNTING+delayed: the count plus the sleepers whose dequeue is delayed.
	local plus=0
	case $a in *+delayed) plus=$(rcol "$h1" delayed) ;; esac
	summary=$(records "$h0" "$h1" | awk -v c="$(rcol "$h1" "${a%+delayed}")" -v n="$n" -v plus="$plus" \
		-v kt="$(rcol "$h1" kthreads)" '
		{ v = $c + (plus ? $plus : 0); if (NR == 1 || v < lo) lo = v; if (NR == 1 || v > hi) hi = v
		  if (v == n) eq++; if (v > n) { above++; k += $kt } if (v < n) below++ }
		END { printf "%d %d %d %d %d %d %d\n", lo, hi, eq, above, below, k, NR }')
	set -- $summary
	local lo=$1 hi=$2 eq=$3 above=$4 below=$5 kthreads=$6 total=$7
	if [ "$kind" = floor ]; then
		check "$name: $a counts $n (at least, and exactly at $eq of $total samples; above at $above, with $kthreads kernel threads among them)${why:+: $why}" \
			test "$total" -gt 0 -a "$lo" -eq "$n"
	else
		check "$name: $a counts $n (at most, and exactly at $eq of $total samples; below at $below)${why:+: $why}" \
			test "$total" -gt 0 -a "$hi" -eq "$n"
	fi
}

# replay_exact NAME H0 H1: for every accounting and window, the kernel's arithmetic replayed
# from H0's averages over the records since lands exactly on H1's averages.
replay_exact() {
	local name=$1 h0=$2 h1=$3 a l1 l2 l3 n
	loadgen verify replay "$h0" "$h1" >/tmp/replay.$$
	while read -r a l1 l2 l3 n; do
		check "$name: $a's averages are the kernel's arithmetic over its $n samples: $l1 $l2 $l3 (fixed point) = $(hfixed "$h1" "$a" 1) $(hfixed "$h1" "$a" 2) $(hfixed "$h1" "$a" 3)" \
			test "$n" -gt 0 -a "$l1 $l2 $l3" = "$(hfixed "$h1" "$a" 1) $(hfixed "$h1" "$a" 2) $(hfixed "$h1" "$a" 3)"
	done </tmp/replay.$$
	rm -f /tmp/replay.$$
}

# schedule_exact NAME H0 H1: the samples between are consecutive, each closed 1 + late / period
# windows (one, plus those it caught up), they add up to the windows the engine counts, and at
# least one was on time. (How late they were is shown, not judged: under emulation that is the
# host's scheduling.)
schedule_exact() {
	local name=$1 h0=$2 h1=$3 p summary
	p=$(hval "$h1" period_ticks)
	summary=$(records "$h0" "$h1" | awk -v p="$p" -v k0="$(hval "$h0" samples)" \
		-v lc="$(rcol "$h1" late)" -v cc="$(rcol "$h1" closed)" '
		{ if ($1 != k0 + NR) gap++; if ($cc != 1 + int($lc / p)) bad++
		  closed += $cc; if ($lc < p) ontime++; late[NR] = $lc }
		END { n = asort_late(late, NR); printf "%d %d %d %d %d %d\n", gap, bad, closed, ontime, NR, n }
		function asort_late(a, n,   i, j, t) {
			for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
			return n ? a[int((n + 1) / 2)] : -1 }')
	set -- $summary
	check "$name: $5 consecutive samples, each closing 1 + late/period windows ($2 not), $3 windows in all = $(($(hval "$h1" windows) - $(hval "$h0" windows))) counted; $4 on time (median lateness $6 ticks)" \
		test "$1" -eq 0 -a "$2" -eq 0 -a "$3" -eq $(($(hval "$h1" windows) - $(hval "$h0" windows))) -a "$4" -gt 0 -a "$5" -gt 0
}

# wait_samples H0 N: waits until N samples have been taken since history H0 (reading the table
# with shell builtins, no fork). An interval measured in samples, not seconds, holds about N
# samples on any guest, fast or slow: well inside the history when N is 30.
wait_samples() {
	local want key value rest n
	want=$(($(hval "$1" samples) + $2))
	while :; do
		n=0
		while read -r key value rest; do
			[ "$key" != samples ] || n=$value
		done <"/proc/$TABLE_FILE"
		[ "$n" -lt "$want" ] || return 0
		sleep 0.2
	done
}

# still_pair CMD...: runs CMD (which sets $before and $after from two reads) until no
# sample fell between its first and last read (the samples count did not move), so that a
# comparison of the two is not spoiled by a sample landing in between. Sets $still, and $tries.
# No limit of its own (a slow guest may need many tries; the job's time limit ends a run that
# hangs): 10 tries were seen to fall short on a loaded host.
still_pair() {
	local k0 k1
	still=no tries=0
	while :; do
		tries=$((tries + 1))
		k0=$(table_value samples)
		"$@"
		k1=$(table_value samples)
		if [ "$k0" = "$k1" ]; then
			still=yes
			return 0
		fi
	done
}

# wait_state STATE PID...: waits until every PID is in STATE (/proc/PID/stat's third field), each
# checked in turn; for tasks that flicker (a reader between two IOs), once is enough. No time
# limit of its own: the job's time limit ends a run that hangs.
wait_state() {
	local want=$1 pid st
	shift
	for pid in "$@"; do
		while :; do
			read -r _ _ st _ <"/proc/$pid/stat" 2>/dev/null || return 1
			[ "$st" = "$want" ] && break
			sleep 0.05
		done
	done
}

# The cgroup table (/proc/loadavg_rs_cgroups), read by its header's column names.
# field TABLE COLUMN PATH: COLUMN of PATH's row in a copy of the table; every row's path is the
# rest of the line after the header's last column, escaped as the table prints it (`\\` for a
# backslash, `\xNN` for a byte that is not UTF-8 or a control): given through the environment,
# since awk -v would read those backslashes as escapes of its own.
field() {
	p=$3 awk -v c="$2" '
		$1 == "threads" { for (i = 1; i <= NF; i++) col[$i] = i; n = NF; next }
		n && NF >= n { path = $0; for (i = 1; i < n; i++) sub(/^[^ ]+ /, "", path)
			if (path == ENVIRON["p"]) print $(col[c]) }' "$1"
}
# fields TABLE PATH COLUMN...: the COLUMNs of PATH's row, on one line.
fields() {
	local t=$1 p=$2
	shift 2
	p=$p awk -v names="$*" '
		$1 == "threads" { for (i = 1; i <= NF; i++) col[$i] = i; n = NF; k = split(names, want, " "); next }
		n && NF >= n { path = $0; for (i = 1; i < n; i++) sub(/^[^ ]+ /, "", path)
			if (path == ENVIRON["p"]) { line = ""; for (i = 1; i <= k; i++) line = line (i > 1 ? " " : "") $(col[want[i]]); print line } }' "$t"
}
# pressure_of PATTERN: `some` avg10 avg60 avg300 of PATTERN with cpu, then with io, for %s.
pressure_of() {
	for r in cpu io; do
		# shellcheck disable=SC2059 # the pattern is ours
		awk '$1 == "some" { for (i = 2; i <= 4; i++) { sub(/^avg[0-9]+=/, "", $i); printf "%s ", $i } }' "$(printf "$1" "$r")"
	done | sed 's/ $//'
}
# storm N [SECONDS]: N sleeping threads in one process (loadgen threads) for SECONDS (3600), in
# the background, once all have started: STORM_PID is the process, STORM_LOG what it said.
# Creating them takes a while on a debug kernel under emulation: no limit of our own (a job's
# time limit ends a run that hangs); fails at once if the process died instead.
storm() {
	STORM_LOG=/tmp/storm.$$.log
	# A fresh log: one left by an earlier storm would say it had started.
	rm -f "$STORM_LOG"
	loadgen threads "$1" "${2:-3600}" >"$STORM_LOG" 2>&1 &
	STORM_PID=$!
	until grep -q "threads $1 started" "$STORM_LOG" 2>/dev/null; do
		kill -0 "$STORM_PID" 2>/dev/null || return 1
		sleep 1
	done
}
# paths TABLE: every row's path, one per line.
paths() {
	awk '$1 == "threads" { n = NF; next }
		n && NF >= n { path = $0; for (i = 1; i < n; i++) sub(/^[^ ]+ /, "", path); print path }' "$1"
}
# cgroup2_or_skip NAME: mounts cgroup v2 on /sys/fs/cgroup; on a kernel without it, reports NAME
# skipped and ends the test.
cgroup2_or_skip() {
	mkdir -p /sys/fs/cgroup
	mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null && return 0
	skip "$1" "this kernel has no cgroup v2 (CONFIG_CGROUPS)"
	finish
}
# remove_cgroup DIR: kills every task of cgroup DIR of /sys/fs/cgroup, waits until it is empty,
# and removes it.
remove_cgroup() {
	kill -KILL $(cat "/sys/fs/cgroup/$1/cgroup.procs") 2>/dev/null
	while [ -n "$(cat "/sys/fs/cgroup/$1/cgroup.procs")" ]; do sleep 0.05; done
	rmdir "/sys/fs/cgroup/$1"
}
# in_cgroup DIR CMD...: runs CMD in cgroup DIR of /sys/fs/cgroup (the shell moves itself there,
# then becomes it).
in_cgroup() {
	local dir=$1
	shift
	sh -c "echo \$\$ > /sys/fs/cgroup/$dir/cgroup.procs && exec $*"
}
# each_sample N CMD...: runs CMD on each of the next N samples of the cgroup table, with a copy
# of the table in /tmp/each.table (a sample may be skipped on a slow guest; none is read twice).
each_sample() {
	local want=$1 seen=0 last=0 k
	shift
	while [ "$seen" -lt "$want" ]; do
		cat /proc/loadavg_rs_cgroups >/tmp/each.table
		k=$(hval /tmp/each.table sample)
		[ "$k" -gt "$last" ] || continue
		last=$k seen=$((seen + 1))
		"$@"
	done
}

# debian NAME ARG...: runs Debian's NAME (procps `uptime`, `top`; node_exporter), put in
# /opt/debian with its libraries by scripts/guest-run.sh, through its loader, on a dumb terminal.
debian() {
	local name=$1
	shift
	TERM=dumb TERMINFO=/opt/debian/terminfo \
		/opt/debian/lib/ld-linux-x86-64.so.2 --library-path /opt/debian/lib "/opt/debian/bin/$name" "$@"
}

# wait_started FILE: waits until loadgen wrote its "started" line to FILE; prints its PIDs.
wait_started() {
	while ! grep -q ' started: ' "$1" 2>/dev/null; do sleep 0.05; done
	sed -n 's/.* started: //p' "$1"
}


# The cpu.max tests (throttled.sh, throttled_kernel.sh): two busy loops in a cgroup capped at
# 10 ms of CPU every 100 ms.
CAPPED=/sys/fs/cgroup/capped
# capped_cgroup NAME: mounts cgroup v2 with the cpu controller for children and makes the capped
# cgroup; on a kernel without them, reports NAME skipped and ends the test.
capped_cgroup() {
	mkdir -p /sys/fs/cgroup
	if ! mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || ! grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
		skip "$1" "this kernel has no cgroup v2 cpu controller (CONFIG_CGROUP_SCHED, CONFIG_CFS_BANDWIDTH)"
		finish
	fi
	check "the cpu controller is enabled for child cgroups" sh -c "echo +cpu > /sys/fs/cgroup/cgroup.subtree_control"
	check "a cgroup capped at 10 ms per 100 ms" sh -c "mkdir $CAPPED && echo '10000 100000' > $CAPPED/cpu.max"
}
# capped_loops: starts the two loops, born in the capped cgroup (the shell moves itself there,
# then becomes loadgen); CAPPED_PARENT is loadgen, CAPPED_PIDS the loops. Returns once the
# parent sleeps in waitpid(): until then it runs in the cgroup too, and can be throttled with
# them.
capped_loops() {
	rm -f /tmp/started.capped
	sh -c "echo \$\$ > $CAPPED/cgroup.procs && exec loadgen cpu 2 3600" >/tmp/started.capped &
	CAPPED_PARENT=$!
	CAPPED_PIDS=$(wait_started /tmp/started.capped)
	wait_state S "$CAPPED_PARENT"
}
# capped_end: ends the loops and removes the cgroup (cgroup v2 stays mounted).
capped_end() {
	kill -KILL $CAPPED_PARENT $CAPPED_PIDS 2>/dev/null
	wait
	while [ -n "$(cat $CAPPED/cgroup.procs)" ]; do sleep 0.1; done
	check "the cgroup goes away" rmdir "$CAPPED"
}

# has_slow_disk: the kernel has null_blk as a module, which slow_disk needs.
has_slow_disk() { [ -e /lib/modules/null_blk.ko ]; }
NO_SLOW_DISK="this kernel has no null_blk module (CONFIG_BLK_DEV_NULL_BLK=m)"
# A slow disk: /dev/nullb0 from null_blk, completing every request from a timer after $1 ms,
# so a reader with direct IO waits in D with in_iowait almost all the time.
slow_disk() {
	[ -b /dev/nullb0 ] && return 0
	insmod /lib/modules/configfs.ko 2>/dev/null
	insmod /lib/modules/null_blk.ko irqmode=2 completion_nsec=$(($1 * 1000000)) nr_devices=1 gb=1 || return 1
	# The device node comes from devtmpfs, soon; no limit of our own (the job's has one).
	while [ ! -b /dev/nullb0 ]; do sleep 0.1; done
}
