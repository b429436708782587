# SPDX-License-Identifier: GPL-2.0
# A thread storm: 10,000 sleeping threads and a fork/exit churn while the module samples every
# 100 ms. Samples stay on period, the thread count is right, and the walk raises no soft-lockup
# or RCU-stall report (the console checks catch those).
. /tests/lib.sh

N=${N:-10000}
echo 131072 >/proc/sys/kernel/pid_max
echo 200000 >/proc/sys/kernel/threads-max
loadgen threads "$N" 600 >/tmp/threads.log 2>&1 &
storm=$!
# Creating them takes a while on a debug kernel under emulation: up to 5 minutes.
i=0
until grep -q started /tmp/threads.log || [ "$i" -ge 300 ]; do sleep 1; i=$((i + 1)); done
check "loadgen started $N threads ($(cat /tmp/threads.log), after $i s)" grep -q "threads $N started" /tmp/threads.log
loadgen churn 20 >/tmp/churn.log 2>&1 &
check "module loads with a 100 ms period" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000
sleep 2
snapshot
k0=$(snap_value samples) up0=$SNAP_UPTIME
sleep 10
snapshot
echo "$TABLE" | sed 's/^/# /'
threads=$(snap_value threads)
on_period "storm" "$k0" "$up0"
check "no window needed catching up ($(snap_value windows_caught_up))" test "$(snap_value windows_caught_up)" -eq 0
check "the walk sees the storm: $threads threads >= $N" test "$threads" -ge "$N"
# The churn's parent and child, the test's own commands: a few; the storm's threads: none.
check "the sleeping threads count nowhere: all's count $(snap_active all) is small" below "$(snap_active all)" 6
echo "# walk: last $(snap_value last_sample_ns) ns, max $(snap_value max_sample_ns) ns for $threads threads"
kill "$storm"
wait
cat /tmp/churn.log | sed 's/^/# /'
check "module unloads" unload
finish
