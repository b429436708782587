// SPDX-License-Identifier: GPL-2.0
/*
 * walk_floor: the floor of what a walk of every thread costs, for `make bench`.
 *
 * At load, walks every thread `rounds` times the way the kernel's own code does
 * (for_each_process_thread() under rcu_read_lock(), no lock breaks), reading only what the
 * kernel's load counters rest on: on_rq (with acquire), __state and sched_contributes_to_load,
 * and counting the tasks that would be load. Prints the median time of a walk and stays loaded
 * until rmmod. loadavg_rs's walk, per thread, is compared with it in the same guest run.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>

static unsigned int rounds = 7;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Walks to time, 1..=64 (default 7)");

static unsigned int gap_ms = 100;
module_param(gap_ms, uint, 0444);
MODULE_PARM_DESC(gap_ms, "Pause before each walk in ms, 0..=10000 (default 100)");

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int __init walk_floor_init(void)
{
	struct task_struct *g, *t;
	u64 times[64];
	unsigned int r, threads = 0, active = 0;

	if (rounds < 1 || rounds > ARRAY_SIZE(times) || gap_ms > 10000)
		return -EINVAL;
	for (r = 0; r < rounds; r++) {
		u64 start;

		/*
		 * As loadavg_rs's walks come, one a period: what ran in between has left the caches
		 * (and, under emulation, the TLB) as cold for this walk as for the module's.
		 */
		msleep(gap_ms);
		start = ktime_get_ns();

		threads = 0;
		active = 0;
		rcu_read_lock();
		for_each_process_thread(g, t) {
			/* As loadavg_rs reads it: pairs with the release in __block_task(). */
			int on_rq = smp_load_acquire(&t->on_rq);

			threads++;
			/* A bitfield other CPUs write: a racy read, as loadavg_rs's. */
			if (on_rq || (data_race((bool)t->sched_contributes_to_load) &&
				      READ_ONCE(t->__state) != TASK_RUNNING))
				active++;
		}
		rcu_read_unlock();
		times[r] = ktime_get_ns() - start;
	}
	sort(times, rounds, sizeof(times[0]), cmp_u64, NULL);
	pr_info("walk_floor: %u threads, %u active, %llu ns per walk (median of %u)\n", threads,
		active, times[rounds / 2], rounds);
	return 0;
}

static void __exit walk_floor_exit(void)
{
}

module_init(walk_floor_init);
module_exit(walk_floor_exit);
MODULE_DESCRIPTION("The floor of a walk of every thread, for loadavg-rs's benchmark");
MODULE_LICENSE("GPL");
