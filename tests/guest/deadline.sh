# SPDX-License-Identifier: GPL-2.0
# A SCHED_DEADLINE task throttled by its own bandwidth counts where the kernel counts it: when
# it has used its runtime, dequeue_dl_entity() takes it out of nr_running while p->on_rq stays
# set (kernel/sched/deadline.c), so it is throttled, not runnable, and out of `all`.
#
# One busy loop with 1 ms of runtime every 100 ms (`loadgen deadline`), alone in cgroup `dl`
# with its idle parent. Exact at every sample read: the loop is queued (cpu) or throttled, so
# cpu + throttled is 1; `all` counts it only when queued (all = cpu). It is throttled 99% of
# the time, so at some of 30 samples throttled is 1: that at none of them it would be is below
# 0.01^30 (the walker, a SCHED_FIFO thread, cannot preempt a deadline task, but a sample falls
# at an instant independent of the loop's 100 ms period).
. /tests/lib.sh

cgroup2_or_skip "deadline throttling"
mkdir /sys/fs/cgroup/dl
in_cgroup dl loadgen deadline 1 3600 >/tmp/dl.started 2>&1 &
wait_started /tmp/dl.started >/dev/null
check "module loads with a 100 ms period" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000
take_history /tmp/h0 && wait_samples /tmp/h0 2
bad=0 throttled=0
dl_sample() {
	local c t a d
	c=$(field /tmp/each.table cpu /dl) t=$(field /tmp/each.table throttled /dl)
	a=$(field /tmp/each.table all /dl) d=$(field /tmp/each.table delayed /dl)
	[ "$t" -eq 0 ] || throttled=$((throttled + 1))
	if [ $((c + t + d)) -ne 1 ] || [ "$a" -ne "$((c + d))" ]; then
		bad=$((bad + 1))
		echo "# sample $(hval /tmp/each.table sample): cpu $c throttled $t delayed $d all $a"
	fi
}
each_sample 30 dl_sample
check "30 samples: the deadline loop is queued or throttled at each, and all counts it only when queued ($bad not)" test "$bad" -eq 0
check "it is throttled at some samples ($throttled of 30)" test "$throttled" -gt 0
echo "# $(grep -E '^(cpu|all|throttled) ' /proc/loadavg_rs | paste -sd' ')"
check "module unloads" unload
remove_cgroup dl
wait
umount /sys/fs/cgroup
finish
