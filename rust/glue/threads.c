// SPDX-License-Identifier: GPL-2.0
/*
 * The thread walk's C side (rust/threads.rs): its steps through the task lists, into runs of
 * threads alike; what it reads of one task, read the way the scheduler's own lockless readers
 * read it; its lock breaks; the kernel's own averages.
 *
 * - on_rq is published by __block_task() with smp_store_release() after it has set
 *   sched_contributes_to_load and read in_iowait (kernel/sched/sched.h); it is read here with
 *   smp_load_acquire(), so a task seen off its runqueue is seen with the bits its block set,
 *   or newer ones. The state and the bits are read after it: a task that blocks or wakes
 *   between the reads is counted once, never nowhere: as runnable if on_rq was read set; else
 *   by the bits of its last block, which may be newer than the on_rq read (a task woken since,
 *   that has left io_schedule() already, counts in blocked rather than io; one woken and
 *   asleep again in S since counts as the sleeper it has become, in no load).
 * - Most threads sleep off their runqueue with neither bit: on_rq and the bits settle them
 *   (task_facts()'s hot path). Any other task is read again from its run time on, in the order
 *   below.
 * - The bits are bitfields sharing a word with others that other CPUs write (the task itself in
 *   io_schedule_prepare(), the scheduler in block_task(), proxy and wake-up paths too): C reads
 *   them with data_race(), a plain racy read the compiler may not tear or invent, and does not
 *   depend on how bindgen lays out bitfields.
 * - A task from fork() sits on the task lists with TASK_NEW, and then TASK_RUNNING, before
 *   wake_up_new_task() puts it on a runqueue, carrying its parent's
 *   sched_contributes_to_load; the kernel has counted it nowhere yet, so neither does the walk.
 *   Off its runqueue, a task is that new if it had never run when on_rq was read:
 *   se.sum_exec_runtime, read before on_rq, is 0 until it first runs (on a clock that ticks
 *   finer than its first slice, as the TSC does).
 * - CFS bandwidth throttling (cpu.max) takes a task off its cfs_rq, and out of nr_running,
 *   leaving p->on_rq set and p->throttled true (throttle_cfs_rq_work() in kernel/sched/fair.c);
 *   the walk reports it, so that it is counted where the kernel counts it.
 * - A SCHED_DEADLINE task that used up its runtime is throttled: dequeue_dl_entity() takes it
 *   out of nr_running (dec_dl_tasks()) with p->on_rq left set and dl.dl_throttled set, until
 *   its replenishment timer queues it again (update_curr_dl_se() in kernel/sched/deadline.c):
 *   reported as throttled, like the CFS case.
 * - A task asleep whose dequeue EEVDF delays stays on its runqueue with se.sched_delayed set
 *   (kernel/sched/fair.c, DELAY_DEQUEUE) and in nr_running; the walk reports it apart.
 * - With proxy execution (CONFIG_SCHED_PROXY_EXEC, on unless booted with sched_proxy_exec=0),
 *   a task blocked on a mutex stays on its runqueue as a donor (p->is_blocked set by
 *   try_to_block_task(), cleared by ttwu_do_wakeup(); find_proxy_task() in
 *   kernel/sched/core.c) and in nr_running: reported as proxied (in `all` as the kernel counts
 *   it, and in `blocked`, a lock wait; rust/model/accounting.rs). is_blocked is set for every
 *   task that blocks, for a moment under the runqueue lock, on its own CPU, before its
 *   dequeue clears on_rq: a task on a CPU is not taken for a donor (it counts as the
 *   runnable task nr_running still counts); the donors proxy execution keeps are off their
 *   CPUs. Whether it was turned off at boot (sched_proxy_exec=0) is a static key,
 *   __sched_proxy_exec, not exported to modules; off, no task stays queued blocked off its
 *   CPU.
 * - RT group throttling (CONFIG_RT_GROUP_SCHED) takes a throttled group's tasks out of
 *   nr_running with on_rq set, but whether a group is throttled lives in struct rt_rq, private
 *   to the scheduler (kernel/sched/sched.h): a module cannot read it, and such tasks count as
 *   runnable here (docs/design.md, "What it counts").
 * - The walker (the current task, which runs the walk) is told apart: it counts itself as a
 *   thread and nothing else.
 */
#include <linux/cgroup.h>
#include <linux/compiler.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/deadline.h>
#include <linux/sched/loadavg.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "glue.h"

/*
 * Tests only (module parameter test_state_delay_us, set at load before the walker starts): a
 * pause between the read of on_rq and the reads after it, for every task the hot path does not
 * settle (one on a runqueue, or with a load bit), to widen the window in which it may block or
 * wake; and, ten times as long, in attribution.c, between a blocked task's unwind and the
 * checks after it.
 */
static unsigned int loadavg_rs_test_state_delay_us;

void loadavg_rs_set_test_state_delay(unsigned int us)
{
	WRITE_ONCE(loadavg_rs_test_state_delay_us, us);
}

unsigned int loadavg_rs_test_state_delay(void)
{
	return READ_ONCE(loadavg_rs_test_state_delay_us);
}

/* @p's load bits: LOADAVG_RS_CONTRIB and LOADAVG_RS_IOWAIT, read after its on_rq. */
static __always_inline unsigned int load_bits(const struct task_struct *p)
{
	unsigned int bits = 0;

	/* Bitfields in words other CPUs write (see above): racy reads, never torn. */
	if (data_race((bool)p->sched_contributes_to_load))
		bits |= LOADAVG_RS_CONTRIB;
	/* As above. */
	if (data_race((bool)p->in_iowait))
		bits |= LOADAVG_RS_IOWAIT;
	return bits;
}

/*
 * Under RCU, which keeps @p valid: @p's facts (enum loadavg_rs_fact), with a pause of @delay
 * microseconds after the second read of on_rq (tests only). A task off its runqueue that neither
 * contributes to load nor waits for IO counts as a thread and nothing else, whatever its other
 * facts (rust/model/accounting.rs tests it): its facts are 0, told by on_rq and the two bits
 * alone. That is most tasks, and the walk's hot path.
 */
static __always_inline unsigned int task_facts(const struct task_struct *p, unsigned int delay)
{
	unsigned int state, facts;
	u64 ran;
	int on_rq;

	/* Pairs with the smp_store_release() of on_rq in __block_task(). */
	on_rq = smp_load_acquire(&p->on_rq);
	if (likely(!on_rq && !load_bits(p)))
		return 0;

	/* Any other task is read again, in the order the test of a new task needs. */
	ran = READ_ONCE(p->se.sum_exec_runtime);
	/* The run time as it was before on_rq (a task runs before it first blocks). */
	smp_rmb();
	/* Pairs with __block_task()'s release, as above. */
	on_rq = smp_load_acquire(&p->on_rq);
	if (unlikely(delay))
		udelay(delay);
	facts = load_bits(p);
	if (on_rq)
		facts |= LOADAVG_RS_ON_RQ;
	/* Off its runqueue now, with neither bit (asleep again, in S): as above. */
	if (!facts)
		return 0;

	state = READ_ONCE(p->__state);
	if (READ_ONCE(p->flags) & PF_KTHREAD)
		facts |= LOADAVG_RS_KTHREAD;
	if ((state & TASK_NEW) || (!on_rq && !ran))
		facts |= LOADAVG_RS_NEW;
	if (READ_ONCE(p->se.sched_delayed))
		facts |= LOADAVG_RS_DELAYED;
#ifdef CONFIG_SCHED_PROXY_EXEC
	/* Not on a CPU: a task blocking this moment still runs the scheduler there. */
	if (on_rq && READ_ONCE(p->is_blocked) && !(facts & LOADAVG_RS_DELAYED) &&
	    !READ_ONCE(p->on_cpu))
		facts |= LOADAVG_RS_PROXIED;
#endif
	if (p == current)
		facts |= LOADAVG_RS_WALKER;
#ifdef CONFIG_CFS_BANDWIDTH
	if (READ_ONCE(p->throttled))
		facts |= LOADAVG_RS_THROTTLED;
#endif
	/* A bitfield the deadline class writes under the runqueue lock: a racy read. */
	if (dl_prio(READ_ONCE(p->prio)) && data_race((bool)p->dl.dl_throttled))
		facts |= LOADAVG_RS_THROTTLED;
	return facts;
}

/*
 * Under RCU: the first thread of the first process after @g (for_each_process_thread()'s
 * order, from init_task, which it leaves out), or NULL past the last process. A process whose
 * threads have all been unlinked meanwhile is passed over.
 */
static struct task_struct *first_thread_after(struct task_struct **g)
{
	for (;;) {
		struct list_head *head, *first;

		*g = next_task(*g);
		if (*g == &init_task)
			return NULL;
		head = &(*g)->signal->thread_head;
		first = READ_ONCE(head->next);
		if (first != head)
			return list_entry(first, struct task_struct, thread_node);
	}
}

void loadavg_rs_walk_first(struct loadavg_rs_cursor *c)
{
	c->g = &init_task;
	c->t = first_thread_after(&c->g);
}

/*
 * Under RCU, which keeps c->g and c->t valid: reads up to @max_threads threads from c->t on,
 * in for_each_process_thread()'s order, into at most @max_runs runs of @runs: threads read one
 * after the other with the same facts (and, with @cgroups, in the same cgroup) make one run.
 * With @tasks (load attribution), a thread with any fact is a run of its own, which carries
 * it: those are the tasks that may count as load, few beside the sleepers with none.
 * Leaves @c at the next thread to read (c->t NULL: none left), *@threads at the number read,
 * and returns the number of runs filled.
 *
 * The per-thread work of the walk, kept in C and inline: its cost is compared with a bare
 * for_each_process_thread()'s by make bench (tests/bench/walk_floor.c). A thread's cgroup is
 * read from its css_set, shared by every task of the same cgroups: read again only when the
 * css_set differs from the previous thread's.
 */
unsigned int loadavg_rs_read_threads(struct loadavg_rs_cursor *c, unsigned int max_threads,
				     bool cgroups, bool tasks, struct loadavg_rs_run *runs,
				     unsigned int max_runs, unsigned int *threads)
{
	struct task_struct *g = c->g, *t = c->t;
	struct list_head *head = t ? &g->signal->thread_head : NULL;
	struct css_set *last_cset = NULL;
	struct cgroup *cg = NULL;
	unsigned int delay = READ_ONCE(loadavg_rs_test_state_delay_us);
	unsigned int read = 0, n = 0;

	while (t && read < max_threads) {
		struct list_head *next;
		unsigned int facts = task_facts(t, delay);

		if (cgroups) {
			struct css_set *cset = task_css_set(t);

			if (cset != last_cset) {
				last_cset = cset;
				cg = cset->dfl_cgrp;
			}
		}
		if (n && !runs[n - 1].task && !(tasks && facts) && runs[n - 1].facts == facts &&
		    runs[n - 1].cgroup == cg) {
			runs[n - 1].threads++;
		} else {
			if (n == max_runs)
				break;
			runs[n].cgroup = cg;
			runs[n].task = tasks && facts ? t : NULL;
			runs[n].facts = facts;
			runs[n].threads = 1;
			n++;
		}
		read++;
		/* list_for_each_entry_rcu()'s step: the next thread, or the next process's first. */
		next = READ_ONCE(t->thread_node.next);
		if (next != head) {
			t = list_entry(next, struct task_struct, thread_node);
		} else {
			t = first_thread_after(&g);
			if (t)
				head = &g->signal->thread_head;
		}
	}
	c->g = g;
	c->t = t;
	*threads = read;
	return n;
}

/* What /proc/loadavg prints, as it is now. */
void loadavg_rs_kernel_avenrun(unsigned long loads[3])
{
	loads[0] = READ_ONCE(avenrun[0]);
	loads[1] = READ_ONCE(avenrun[1]);
	loads[2] = READ_ONCE(avenrun[2]);
}

/*
 * rcu_lock_break() of kernel/hung_task.c: leave the RCU read-side critical section, call
 * cond_resched(), and enter it again. The break bounds the read section; cond_resched() gives
 * the CPU up only without full preemption (with it, a task of higher priority has preempted the
 * walker wherever it was), and never to a normal task, which cannot preempt a SCHED_FIFO one.
 * @g (a process) and @t (its thread, the next one to count) are pinned by references across
 * the break; they may have exited meanwhile, and then their places in the task lists are gone.
 *
 * pid_alive() is cleared under tasklist_lock in the same step that unlinks a task from the
 * process and thread lists (__unhash_process()). One more way off the process list keeps the
 * PID: an exec by a non-leader thread replaces the leader there (de_thread()) and makes the
 * exec'ing thread the group's leader, so @g must still be its own group leader as well.
 */
enum loadavg_rs_break loadavg_rs_lock_break(struct task_struct *g, struct task_struct *t)
{
	enum loadavg_rs_break ret;

	get_task_struct(g);
	get_task_struct(t);
	rcu_read_unlock();
	cond_resched();
	rcu_read_lock();
	if ((current->flags & PF_KTHREAD) && kthread_should_stop())
		ret = LOADAVG_RS_BREAK_STOP;
	else if (pid_alive(g) && pid_alive(t) && READ_ONCE(g->group_leader) == g)
		ret = LOADAVG_RS_BREAK_GO;
	else
		ret = LOADAVG_RS_BREAK_RESTART;
	put_task_struct(t);
	put_task_struct(g);
	return ret;
}
