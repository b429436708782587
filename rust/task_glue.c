// SPDX-License-Identifier: GPL-2.0
/*
 * What the thread walk (rust/threads.rs) reads of one task, read the way the scheduler's own
 * lockless readers read it.
 *
 * - on_rq is published by __block_task() with smp_store_release() after it has set
 *   sched_contributes_to_load and read in_iowait (kernel/sched/sched.h); it is read here with
 *   smp_load_acquire(), so a task seen off its runqueue is seen with the bits its block set.
 * - The bits are bitfields sharing a word with others that other CPUs write (the task itself in
 *   io_schedule_prepare(), the scheduler in block_task(), proxy and wake-up paths too): C reads
 *   them with data_race(), a plain racy read the compiler may not tear or invent, and does not
 *   depend on how bindgen lays out bitfields.
 * - A task from fork() sits on the task lists with TASK_NEW, and then TASK_RUNNING, before
 *   wake_up_new_task() puts it on a runqueue, carrying its parent's
 *   sched_contributes_to_load; the kernel has counted it nowhere yet, so neither does the walk.
 * - CFS bandwidth throttling (cpu.max) takes a task off its cfs_rq, and out of nr_running,
 *   leaving p->on_rq set and p->throttled true (throttle_cfs_rq_work() in kernel/sched/fair.c);
 *   the walk reports it, so that it is counted where the kernel counts it.
 * - A task asleep whose dequeue EEVDF delays stays on its runqueue with se.sched_delayed set
 *   (kernel/sched/fair.c, DELAY_DEQUEUE) and in nr_running; the walk reports it apart.
 * - The walker (the current task, which runs the walk) is told apart: it counts itself as a
 *   thread and nothing else.
 */
#include <linux/compiler.h>
#include <linux/sched.h>

/* The facts, as bits of the value loadavg_rs_task_state() returns; rust/threads.rs agrees. */
#define LOADAVG_RS_ON_RQ	(1U << 0)
#define LOADAVG_RS_CONTRIB	(1U << 1)
#define LOADAVG_RS_IOWAIT	(1U << 2)
#define LOADAVG_RS_KTHREAD	(1U << 3)
#define LOADAVG_RS_NEW		(1U << 4)
#define LOADAVG_RS_THROTTLED	(1U << 5)
#define LOADAVG_RS_DELAYED	(1U << 6)
#define LOADAVG_RS_WALKER	(1U << 7)

unsigned int loadavg_rs_task_state(const struct task_struct *p);

/* The caller holds the RCU read lock, which keeps @p valid. */
unsigned int loadavg_rs_task_state(const struct task_struct *p)
{
	unsigned int state = READ_ONCE(p->__state);
	int on_rq = smp_load_acquire(&p->on_rq);
	unsigned int facts = 0;

	if (on_rq)
		facts |= LOADAVG_RS_ON_RQ;
	if (data_race((bool)p->sched_contributes_to_load))
		facts |= LOADAVG_RS_CONTRIB;
	if (data_race((bool)p->in_iowait))
		facts |= LOADAVG_RS_IOWAIT;
	if (READ_ONCE(p->flags) & PF_KTHREAD)
		facts |= LOADAVG_RS_KTHREAD;
	if ((state & TASK_NEW) || (state == TASK_RUNNING && !on_rq))
		facts |= LOADAVG_RS_NEW;
	if (READ_ONCE(p->se.sched_delayed))
		facts |= LOADAVG_RS_DELAYED;
	if (p == current)
		facts |= LOADAVG_RS_WALKER;
#ifdef CONFIG_CFS_BANDWIDTH
	if (READ_ONCE(p->throttled))
		facts |= LOADAVG_RS_THROTTLED;
#endif
	return facts;
}
