# SPDX-License-Identifier: GPL-2.0
# The guest side of `make bench OLD=KO`'s second run (scripts/bench.sh): readers and the timer
# of this build against the older one, in a guest whose clock counts instructions (`--icount`,
# qemu/boot.sh), printed as `bench KEY VALUE` lines. Under TCG's own clock two builds of the
# same code read a file up to a third apart (the code's layout, the host's scheduling:
# BENCHMARKS.md); instructions are what the builds' code does, whatever the host does.
#
# Each build is loaded in turn with a 100 ms period (a sample published ten times a second), 3
# alternated rounds. Per round: reads of /proc/loadavg_cpu, of the samples file (the engine and
# its 64 records) and of the metrics, 20k each; and the wake-up probe while two readers loop on
# the samples file and one on the metrics, beside the timer and the walker (what a reader that
# holds interrupts off, or a timer that waits for a reader, costs the rest of the machine).
# Then, where the kernel has tracing (Debian's; the test kernels have none), the timer itself:
# each build loaded again with a 10 ms period (4 ticks at HZ=250: about 60 callbacks a second),
# the same three readers looping, and every call of its callback timed for 15 s by the kernel's
# own tracepoints around an hrtimer's callback (hrtimer_expire_entry and _exit, in
# __run_hrtimer(), enabled at boot), in TSC cycles: their median and 90th percentile, per arm
# the median over rounds. Most of a call is the kernel waking the walker, alike in both builds;
# what the timer does itself, the part the builds differ in (both reckon the next expiry before
# they kick), is timed in the same calls up to the walker's `sched_waking` event: its median,
# 90th and 99th percentiles. That span also holds the tracing's own work, alike in both (an
# event filtered, as the waking is, is stamped after its filter, the entry event as it is
# reserved). The tracepoints write nothing into the module's code and cost both builds the
# same. Each round's figures go to the run's output.log as `bench:` lines.
. /tests/lib.sh

old=/job/extra/old/loadavg_rs.ko
[ -f "$old" ] || { echo "readers.sh: no older build at $old" >&2; exit 1; }

mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
[ ! -e /sys/kernel/tracing/tracing_on ] || echo 0 >/sys/kernel/tracing/tracing_on
say() { echo "bench $*"; }
# The median of its arguments.
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# The figure loadgen printed before `ns per ...`.
ns_of() { sed -n 's/.* \([0-9]*\) ns per '"$1"'.*/\1/p' | tail -n1; }
# lat: one run of the wake-up probe, 10 s: its p99.9 and maximum, in us.
lat() { loadgen latency 10 | sed -n 's/.* p99.9 \([0-9]*\) us, max \([0-9]*\) us.*/\1 \2/p'; }
# looping_readers: starts two readers looping on the samples file and one on the metrics,
# for 30 s at most, their PIDs in $pids.
looping_readers() {
	local f
	pids=
	for f in loadavg_rs_samples loadavg_rs_samples loadavg_rs_metrics; do
		loadgen reader "/proc/$f" 30 >/dev/null &
		pids="$pids $!"
	done
}
# timer_symbol: the loaded module's hrtimer callback (Rust's mangled name, per build).
timer_symbol() {
	awk '$4 == "[loadavg_rs]" && $3 ~ /^_R.*RawHrTimerCallback3run/ { print $3; exit }' /proc/kallsyms
}
# timer_cycles FUNCTION: from the trace, each call of FUNCTION as an hrtimer callback, one a
# line: the cycles from its entry event to the exit event of the same timer on the same CPU (a
# CPU runs one hrtimer callback at a time, with interrupts off), and those from its entry to
# its waking of the walker (`sched_waking` of the thread `loadavg_rs`, on that CPU in the
# call), or "-" in a call that woke no sleeping walker.
timer_cycles() {
	awk -v fn="function=$1" '{
		cpu = ""; ev = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^\[[0-9]+\]$/) cpu = $i
			if ($i == "hrtimer_expire_entry:" || $i == "hrtimer_expire_exit:" || $i == "sched_waking:") {
				ev = $i; ts = $(i - 1); sub(/:$/, "", ts); h = $(i + 1); f = $(i + 2)
			}
		}
		if (ev == "hrtimer_expire_entry:") {
			if (f == fn) { start[cpu] = ts; timer[cpu] = h; woke[cpu] = "-" } else delete start[cpu]
		} else if (ev == "sched_waking:" && (cpu in start) && h == "comm=loadavg_rs" && woke[cpu] == "-") {
			woke[cpu] = ts - start[cpu]
		} else if (ev == "hrtimer_expire_exit:" && (cpu in start) && timer[cpu] == h) {
			print ts - start[cpu], woke[cpu]
			delete start[cpu]
		}
	}' "$tracing/trace"
}
# nearest_rank P: the P-th percentile of the numbers on stdin.
nearest_rank() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR * p + 99) / 100); print v[i < 1 ? 1 : i] }'; }
# readers_round ARM MODULE: one round of ARM (new or old) with MODULE loaded.
readers_round() {
	local arm=$1 ko=$2 f r pids calls round=
	if ! insmod "$ko" period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000; then
		fail "the $arm build loads" "insmod $ko failed"
		return 0
	fi
	for f in loadavg_cpu loadavg_rs_samples loadavg_rs_metrics; do
		r=$(loadgen readbench "/proc/$f" 20000 | ns_of read)
		eval "rd_${arm}_$f=\"\${rd_${arm}_$f:-} $r\""
		round="$round $f $r ns,"
	done
	looping_readers
	set -- $(lat)
	kill $pids 2>/dev/null
	wait $pids 2>/dev/null
	eval "rl_${arm}=\"\${rl_${arm}:-} $1\""
	# Every round's figures, for the spread the medians hide.
	echo "bench: the $arm build's round: reads of$round wake-up p99.9 $1 us" >&2
	unload
	[ -n "$traced" ] || return 0
	if ! insmod "$ko" period_ms=10 window1_ms=2000 window2_ms=10000 window3_ms=30000; then
		fail "the $arm build loads with a 10 ms period" "insmod $ko failed"
		return 0
	fi
	looping_readers
	sleep 2
	: >"$tracing/trace"
	echo 1 >"$tracing/tracing_on"
	sleep 15
	echo 0 >"$tracing/tracing_on"
	kill $pids 2>/dev/null
	wait $pids 2>/dev/null
	# Read while the module is loaded: the trace names a function at read time.
	timer_cycles "$(timer_symbol)" >/tmp/timer_cycles
	unload
	calls=$(wc -l </tmp/timer_cycles)
	echo "bench: the $arm build's timer: $calls calls traced" >&2
	if [ "$calls" -eq 0 ]; then
		eval "untimed_${arm}=1"
		return 0
	fi
	for q in 50 90; do
		eval "tp${q}_${arm}=\"\${tp${q}_${arm}:-} $(awk '{ print $1 }' /tmp/timer_cycles | nearest_rank $q)\""
	done
	# Before the wake: the calls that woke the walker (it is asleep between walks), each the
	# timer's own work up to the wake-up, which the two builds share from there on.
	awk '$2 != "-" { print $2 }' /tmp/timer_cycles >/tmp/timer_waking
	calls=$(wc -l </tmp/timer_waking)
	echo "bench: the $arm build's timer: $calls of them woke the walker" >&2
	if [ "$calls" -eq 0 ]; then
		eval "unwoken_${arm}=1"
		return 0
	fi
	for q in 50 90 99; do
		eval "tw${q}_${arm}=\"\${tw${q}_${arm}:-} $(nearest_rank $q </tmp/timer_waking)\""
	done
	echo "bench: the $arm build's timer: p50 $(awk '{ print $1 }' /tmp/timer_cycles | nearest_rank 50)," \
		"up to the wake p50 $(nearest_rank 50 </tmp/timer_waking) cycles" >&2
}
tracing=/sys/kernel/tracing traced=
# The events were enabled at boot (scripts/bench.sh: trace_event=): enabling one rewrites the
# code it sits in (__run_hrtimer(), try_to_wake_up()), unsafe while both CPUs run it under
# multi-threaded TCG (docs/test-runs-2026-12.md; this guest's TCG is single-threaded, and the
# code is the same in every round either way). Only the ring buffer and a filter are switched
# here, which rewrite no code.
if [ "$(cat "$tracing/events/timer/hrtimer_expire_entry/enable" 2>/dev/null)" = 1 ] &&
	[ "$(cat "$tracing/events/timer/hrtimer_expire_exit/enable" 2>/dev/null)" = 1 ] &&
	[ "$(cat "$tracing/events/sched/sched_waking/enable" 2>/dev/null)" = 1 ]; then
	traced=1
	# Of every wake-up, record only the walker's (a filter rewrites no code).
	echo 'comm == "loadavg_rs"' >"$tracing/events/sched/sched_waking/filter"
	clock=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$tracing/trace_clock")
	# Its first word: before a first use the file says "7 (expanded: 1408)".
	size=$(awk '{ print $1; exit }' "$tracing/buffer_size_kb")
	# A clock in cycles, which the trace prints as it is (a clock in ns it prints in us).
	echo x86-tsc >"$tracing/trace_clock"
	echo 4096 >"$tracing/buffer_size_kb"
fi
for round in 1 2 3; do
	readers_round new "$MODULE"
	readers_round old "$old"
done
if [ -n "$traced" ]; then
	: >"$tracing/trace"
	echo "$clock" >"$tracing/trace_clock"
	echo "$size" >"$tracing/buffer_size_kb"
	echo 0 >"$tracing/events/sched/sched_waking/filter"
fi
for arm in new old; do
	for f in loadavg_cpu loadavg_rs_samples loadavg_rs_metrics; do
		eval "say readers_${arm}_${f}_ns \"\$(median \$rd_${arm}_$f)\""
	done
	eval "say readers_${arm}_lat_p999_us \"\$(median \$rl_${arm})\""
	# An arm with a round that traced no call has no figure (not a median of fewer rounds).
	eval "untimed=\${untimed_${arm}:-}"
	[ -z "$traced" ] || [ -n "$untimed" ] || eval "say timer_${arm}_p50_cycles \"\$(median \$tp50_${arm})\""
	[ -z "$traced" ] || [ -n "$untimed" ] || eval "say timer_${arm}_p90_cycles \"\$(median \$tp90_${arm})\""
	eval "unwoken=\${unwoken_${arm}:-}"
	for q in 50 90 99; do
		[ -z "$traced" ] || [ -n "$untimed" ] || [ -n "$unwoken" ] ||
			eval "say timer_waking_${arm}_p${q}_cycles \"\$(median \$tw${q}_${arm})\""
	done
done
finish
