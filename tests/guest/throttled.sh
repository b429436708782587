# SPDX-License-Identifier: GPL-2.0
# Tasks throttled by CFS bandwidth control (cpu.max) are counted as the kernel counts them: not
# in nr_running, so in no accounting, and shown apart (`throttled`). Two busy loops in a cgroup
# allowed 10 ms of CPU every 100 ms spend most of each period throttled: off their cfs_rq with
# p->on_rq still set (throttle_cfs_rq_work(), kernel/sched/fair.c).
#
# Exact: at every sample each loop is either queued (cpu) or throttled, so the minimum of
# cpu + throttled over the interval is exactly 2 (anything else can only add to cpu); and the
# throttled count reaches 2, when the group's quota is spent, at some sample.
. /tests/lib.sh

capped_cgroup "tasks throttled by cpu.max"
check "module loads with a 100 ms period" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000
# The interval starts once the loops' parent sleeps (capped_loops): it does until the end.
capped_loops
take_history /tmp/h0
wait_samples /tmp/h0 30
take_history /tmp/h1
history_complete "capped" /tmp/h0 /tmp/h1
summary=$(columns /tmp/h0 /tmp/h1 cpu throttled | awk '
	{ s = $1 + $2; if (NR == 1 || s < lo) lo = s; if ($2 > hi) hi = $2; if ($2 > 0) t++ }
	END { printf "%d %d %d %d\n", lo, hi + 0, t + 0, NR }')
set -- $summary
check "capped: each loop is queued or throttled at every sample: min(cpu + throttled) = $1, 2 expected" \
	test "$1" -eq 2
check "capped: throttled tasks are seen and counted apart: up to $2 at once, at $3 of $4 samples" \
	test "$2" -eq 2
replay_exact "capped" /tmp/h0 /tmp/h1
capped_end
check "module unloads" unload
umount /sys/fs/cgroup
finish
