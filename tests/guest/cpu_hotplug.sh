# SPDX-License-Identifier: GPL-2.0
# A CPU goes offline and comes back while the module samples every 100 ms: sampling goes on, on
# its windows, the busy loop (migrated, never off a runqueue) is counted at every sample, and
# the averages stay the kernel's arithmetic.
. /tests/lib.sh

cpu1=/sys/devices/system/cpu/cpu1/online
if [ ! -w "$cpu1" ]; then
	skip "CPU hotplug" "this kernel cannot take CPUs offline (no $cpu1: CONFIG_HOTPLUG_CPU)"
	finish
fi
check "module loads with a 100 ms period" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000
busy 1
# hotplug NAME VALUE: writes VALUE to cpu1's online file, then checks the 10 samples after.
# The schedule and the averages are judged across the hotplug; the counts from the moment the
# write returned: while it runs, the writing shell is in the kernel, runnable, and on a slow
# guest that can last through every sample of a short interval.
hotplug() {
	take_history /tmp/h0
	check "$1" sh -c "echo $2 > $cpu1"
	take_history /tmp/hm
	wait_samples /tmp/hm 10
	take_history /tmp/h1
	history_complete "$1" /tmp/h0 /tmp/h1
	schedule_exact "$1" /tmp/h0 /tmp/h1
	# A migrating task keeps on_rq set (TASK_ON_RQ_MIGRATING): the loop counts at every sample,
	# and the hotplug's own threads, finishing, can only add.
	counts_floor "$1" /tmp/hm /tmp/h1 cpu 1
	replay_exact "$1" /tmp/h0 /tmp/h1
}
for round in 1 2 3; do
	hotplug "cpu1 goes offline (round $round)" 0
	hotplug "cpu1 comes back (round $round)" 1
done
stop_busy
check "module unloads" unload
finish
