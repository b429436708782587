# SPDX-License-Identifier: GPL-2.0
# Each kind of task alone, and mixed, counts where its definition says and nowhere else, and
# every average is the kernel's arithmetic over what was counted. Compressed time: a 100 ms
# period (26 ticks, 104 ms), windows of 2, 10, 30 s.
#
#   kind                      cpu  io  all        cpuio  blocked
#   busy loop (R)             +1   .   +1         +1     .
#   direct IO reader (D, io)  .    +1  +1         +1     .
#   vfork parent (D, not io)  .    .   +1         .      +1
#   interruptible sleeper     .    .   .          .      .
#
# Exact by construction, whatever the guest's speed:
# - the interval starts once every task is where it stays (vfork parents and readers seen in D
#   by /proc/PID/stat, busy loops forked, which puts them on a runqueue);
# - at every sample of the interval each task counts where the table says, with one exception:
#   a reader between two requests (microseconds in every 100 ms) is runnable, which moves it
#   from io to cpu and leaves all and cpuio unchanged; one that blocked while EEVDF owed the
#   others CPU time is in `delayed` (and all) until its dequeue completes, so cpuio is judged
#   with the delayed sleepers added;
# - anything else running at a sample (a kernel thread, the test's own `sleep` or `cat` at the
#   interval's edges) can only add to cpu, all, cpuio and blocked, and nothing else here waits for
#   IO, so io can only drop below the readers;
# so the minimum of cpu, all, cpuio and blocked over the interval, and the maximum of io, is
# exactly the number of tasks started.
. /tests/lib.sh

P=100 W1=2000 W2=10000 W3=30000
# The tasks' deadline, far beyond the 3 s a scenario measures: they are killed after it.
LIFE=120

# scenario NAME CPU IO UNINTERRUPTIBLE SLEEPING
scenario() {
	name=$1 c=$2 i=$3 u=$4 s=$5
	echo "# scenario $name: $c busy, $i in IO, $u uninterruptible, $s sleeping"
	rm -f /tmp/started.*
	[ "$c" -eq 0 ] || loadgen cpu "$c" $LIFE >/tmp/started.cpu &
	[ "$i" -eq 0 ] || loadgen io "$i" $LIFE /dev/nullb0 >/tmp/started.io &
	[ "$u" -eq 0 ] || loadgen uninterruptible "$u" $LIFE >/tmp/started.u &
	[ "$s" -eq 0 ] || loadgen sleep "$s" $LIFE >/tmp/started.s &
	[ "$c" -eq 0 ] || wait_started /tmp/started.cpu >/dev/null
	[ "$i" -eq 0 ] || wait_state D $(wait_started /tmp/started.io)
	[ "$u" -eq 0 ] || wait_state D $(wait_started /tmp/started.u)
	[ "$s" -eq 0 ] || wait_state S $(wait_started /tmp/started.s)
	take_history /tmp/h0
	# 30 samples: the interval stays well inside the 64 the history keeps.
	wait_samples /tmp/h0 30
	take_history /tmp/h1
	history_complete "$name" /tmp/h0 /tmp/h1
	counts_floor "$name" /tmp/h0 /tmp/h1 cpu "$c"
	counts_ceiling "$name" /tmp/h0 /tmp/h1 io "$i"
	counts_floor "$name" /tmp/h0 /tmp/h1 all $((c + i + u))
	# A reader that blocks while EEVDF owes the others CPU time stays on its runqueue, dequeue
	# delayed, until it is picked or woken: then it is in `delayed` (and all), not in io or
	# cpu. Sleepers delayed at a sample can only add to `delayed`.
	counts_floor "$name" /tmp/h0 /tmp/h1 cpuio+delayed $((c + i))
	counts_floor "$name" /tmp/h0 /tmp/h1 blocked "$u"
	replay_exact "$name" /tmp/h0 /tmp/h1
	schedule_exact "$name" /tmp/h0 /tmp/h1
	# /proc/stat's procs_blocked is the kernel's own nr_iowait(), read now rather than at a
	# sample: it too sees a reader between requests now and then, so it must reach the readers'
	# number, not hold it at every read.
	tries=0
	while :; do
		blocked_stat=$(awk '$1 == "procs_blocked" { print $2 }' /proc/stat)
		[ "$blocked_stat" -ne "$i" ] && [ "$tries" -lt 50 ] || break
		tries=$((tries + 1))
		sleep 0.05
	done
	check "$name: /proc/stat's procs_blocked reaches the $i readers, as io does ($blocked_stat, read $((tries + 1)) times)" \
		test "$blocked_stat" -eq "$i"
	# End every task (vfork parents wait killably; IO readers die when their IO completes).
	killall -KILL loadgen 2>/dev/null
	wait
	while pidof loadgen >/dev/null; do sleep 0.1; done
}

# Readers in IO need the slow disk; without it, the scenarios without readers still run.
readers=2
if has_slow_disk; then
	check "a slow disk: null_blk completing each request after 100 ms" slow_disk 100
else
	skip "the scenarios with tasks in IO" "$NO_SLOW_DISK"
	readers=0
fi
check "module loads with period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3" \
	load period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3
scenario "busy" 2 0 0 0
[ "$readers" -eq 0 ] || scenario "disk" 0 "$readers" 0 0
scenario "uninterruptible" 0 0 3 0
scenario "sleeping" 0 0 0 3
scenario "mixed" 1 "$readers" 1 2
check "module unloads" unload
finish
