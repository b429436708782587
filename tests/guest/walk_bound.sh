# SPDX-License-Identifier: GPL-2.0
# The walk breaks its RCU read lock every STRETCH threads (rust/threads.rs), so the longest
# stretch without a break is the same at 1,000 threads as at 10,000, and the walk still counts
# every thread exactly once across its breaks. Judged on the module's own figures, exactly:
#
# - the most threads any stretch visited (stretch_threads_max) is STRETCH, whatever the count;
# - a walk of T threads breaks floor((T - 1) / STRETCH) times (a break comes before thread
#   STRETCH + 1, 2 STRETCH + 1, ...), when no walk had to restart; a restart (a thread held at a
#   break exited) only adds breaks;
# - the threads a walk saw are exactly the tasks /proc lists at that instant, counted by the
#   shell's own glob (no process started, so no PID allocated), while no PID was allocated and
#   the count did not move from before the sample to after it.
#
# The times (the walk's, its longest stretch's) are printed, not judged: under emulation they
# are the host's scheduling as much as the module's; `make bench` compares them side by side.
. /tests/lib.sh

STRETCH=128
echo 131072 >/proc/sys/kernel/pid_max
echo 200000 >/proc/sys/kernel/threads-max
# No unwinds (attribute_unwinds=0): an unwind of a blocked task's stack counts as 16 threads
# in a stretch (rust/threads.rs, UNWIND_COST), so that any task the guest has in D would end
# a stretch early; the stretch of threads alone is what is judged here.
check "module loads with a 100 ms period" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000 attribute_unwinds=0

# table_read: the table's samples, threads, lock_breaks, walk_restarts and stretch_threads_max
# into T_SAMPLES, T_THREADS, T_BREAKS, T_RESTARTS, T_STRETCH, with shell builtins only.
table_read() {
	local key value rest
	while read -r key value rest; do
		case $key in
		samples) T_SAMPLES=$value ;;
		threads) T_THREADS=$value ;;
		lock_breaks) T_BREAKS=$value ;;
		walk_restarts) T_RESTARTS=$value ;;
		stretch_threads_max) T_STRETCH=$value ;;
		esac
	done <"/proc/$TABLE_FILE"
}
# tasks_now: the number of tasks /proc lists, into TASKS, without starting a process.
tasks_now() {
	set -- /proc/[0-9]*/task/[0-9]*
	TASKS=$#
}
# last_pid: the last PID allocated, into LAST_PID, without starting a process.
last_pid() { read -r _ _ _ _ LAST_PID </proc/loadavg; }

# walk_sees_every_thread NAME: the next sample's thread count is /proc's, taken again until no
# task came or went around it (no PID allocated, the same count before and after).
walk_sees_every_thread() {
	local name=$1 s0 p0 n0 tries=0
	while :; do
		tries=$((tries + 1))
		last_pid
		p0=$LAST_PID
		tasks_now
		n0=$TASKS
		table_read
		s0=$T_SAMPLES
		while table_read && [ "$T_SAMPLES" -eq "$s0" ]; do :; done
		tasks_now
		last_pid
		if [ "$T_SAMPLES" -eq $((s0 + 1)) ] && [ "$LAST_PID" = "$p0" ] && [ "$TASKS" -eq "$n0" ]; then
			break
		fi
	done
	check "$name: the walk counted $T_THREADS threads, /proc lists $TASKS (still picture at try $tries)" \
		test "$T_THREADS" -eq "$TASKS"
}

for n in 1000 10000; do
	check "loadgen started $n threads" storm "$n"
	holder=$STORM_PID
	take_history /tmp/h0
	wait_samples /tmp/h0 30
	take_history /tmp/h1
	history_complete "$n threads" /tmp/h0 /tmp/h1
	for a in $ACCOUNTINGS; do
		counts_floor "$n threads" /tmp/h0 /tmp/h1 "$a" 0 "sleeping threads count nowhere"
	done
	walk_sees_every_thread "$n threads"
	table_read
	check "$n threads: no stretch visited more than $STRETCH threads, and one visited $STRETCH ($T_STRETCH)" \
		test "$T_STRETCH" -eq "$STRETCH"
	want=$(((T_THREADS - 1) / STRETCH))
	if [ "$T_RESTARTS" -eq 0 ]; then
		check "$n threads: a walk of $T_THREADS threads broke its lock $want times ($T_BREAKS)" \
			test "$T_BREAKS" -eq "$want"
	else
		check "$n threads: a walk of $T_THREADS threads broke its lock at least $want times ($T_BREAKS, after $T_RESTARTS restarts)" \
			test "$T_BREAKS" -ge "$want"
	fi
	echo "# $n threads: walk $(table_value walk_ns) ns, longest stretch $(table_value stretch_ns) ns;" \
		"medians over the interval: $(columns /tmp/h0 /tmp/h1 walk_ns | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') ns," \
		"$(columns /tmp/h0 /tmp/h1 stretch_ns | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') ns"
	kill "$holder"
	wait "$holder" 2>/dev/null
done
check "module unloads" unload
finish
