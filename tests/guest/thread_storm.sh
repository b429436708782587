# SPDX-License-Identifier: GPL-2.0
# A thread storm: 10,000 sleeping threads, then a fork/exit churn besides, while the module
# samples every 100 ms. The walk sees every thread, the sleeping ones count nowhere, samples stay
# on their windows, and the walk raises no soft-lockup or RCU-stall report (the console checks
# catch those).
. /tests/lib.sh

N=${N:-10000}
echo 131072 >/proc/sys/kernel/pid_max
echo 200000 >/proc/sys/kernel/threads-max
check "loadgen started $N threads" storm "$N"
storm=$STORM_PID
check "module loads with a 100 ms period" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000

# The storm alone: its threads sleep interruptibly, so they count nowhere; only a kernel thread
# or the test's shell, now and then, can add to a count.
take_history /tmp/h0
wait_samples /tmp/h0 30
take_history /tmp/h1
history_complete "storm" /tmp/h0 /tmp/h1
threads=$(table_value threads)
check "the walk sees the storm: $threads threads >= $N" test "$threads" -ge "$N"
for a in $ACCOUNTINGS; do
	counts_floor "storm" /tmp/h0 /tmp/h1 "$a" 0 "$N sleeping threads count nowhere"
done
schedule_exact "storm" /tmp/h0 /tmp/h1

# And a fork/exit churn besides: the task list changes under every walk.
loadgen churn 3600 >/tmp/churn.log 2>&1 &
churn=$!
take_history /tmp/h0
wait_samples /tmp/h0 30
take_history /tmp/h1
history_complete "storm and churn" /tmp/h0 /tmp/h1
schedule_exact "storm and churn" /tmp/h0 /tmp/h1
replay_exact "storm and churn" /tmp/h0 /tmp/h1
echo "# walk: last $(table_value walk_ns) ns, max $(table_value walk_ns_max) ns for $threads threads"
kill "$storm" "$churn"
wait
check "module unloads" unload
finish
