// SPDX-License-Identifier: GPL-2.0
/*
 * The walker: a kernel thread that the sampler's timer wakes at the end of each window, and
 * that walks every thread (rust/threads.rs) with interrupts on and the CPU given up every few
 * threads. Rust's kernel crate has no kernel-thread abstraction; these few functions are
 * kthread_create(), wake_up_process() and kthread_stop() with the waiting loop around them
 * (the walk's lock break is in threads.c).
 *
 * The thread is SCHED_FIFO at the lowest real-time priority (sched_set_fifo_low()) unless the
 * walker_fifo parameter says otherwise: it runs ahead of every normal task, so samples stay at
 * the end of their windows on a busy machine, and behind every other real-time task, which
 * preempts it at once (or, without preemption, at the walk's next lock break). `make bench`
 * measures what that costs the wake-up latency of others, and what a normal walker costs the
 * samples' timing.
 */
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/rcupdate_wait.h>
#include <linux/sched.h>
#include <linux/sched/loadavg.h>
#include <linux/seqlock.h>
#include <linux/slab.h>

#include "glue.h"

struct loadavg_rs_walker {
	struct task_struct *task;
	void (*walk)(const void *data);
	const void *data;
	/* A walk is wanted: set by the timer, taken by the thread. */
	bool pending;
	/*
	 * The kernel's avenrun as the last kick found it, for the walk it asked for: written by
	 * the kicks (one at a time, with preemption off), read by the walk.
	 */
	seqcount_t kicked;
	unsigned long avenrun_at_kick[3];
};

/* Its size, for the module's account of what it allocates. */
const size_t loadavg_rs_walker_bytes = sizeof(struct loadavg_rs_walker);


struct loadavg_rs_walker *loadavg_rs_walker_alloc(void)
{
	struct loadavg_rs_walker *w = kzalloc(sizeof(*w), GFP_KERNEL);

	if (w)
		seqcount_init(&w->kicked);
	return w;
}

/* The thread must be stopped (or never started). */
void loadavg_rs_walker_free(struct loadavg_rs_walker *w)
{
	kfree(w);
}

static int loadavg_rs_walker_fn(void *arg)
{
	struct loadavg_rs_walker *w = arg;

	for (;;) {
		/*
		 * The state is set before pending is read (set_current_state() is a full
		 * barrier), and the kick sets pending before wake_up_process() reads the state:
		 * a kick is never lost between the test and schedule().
		 */
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		if (!xchg(&w->pending, false)) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		w->walk(w->data);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* Creates and starts the thread; @walk(@data) runs for each kick, in the thread. */
int loadavg_rs_walker_start(struct loadavg_rs_walker *w, void (*walk)(const void *data),
			    const void *data, bool fifo)
{
	struct task_struct *task;

	if (w->task)
		return -EBUSY;
	w->walk = walk;
	w->data = data;
	task = kthread_create(loadavg_rs_walker_fn, w, "loadavg_rs");
	if (IS_ERR(task))
		return PTR_ERR(task);
	/* A kernel thread starts as a normal task (SCHED_NORMAL, nice 0). */
	if (fifo)
		sched_set_fifo_low(task);
	w->task = task;
	wake_up_process(task);
	return 0;
}

/*
 * Asks for a walk, and records the kernel's avenrun as it is now for that walk. Any context
 * but NMI, hard interrupts included, with preemption off, one kick at a time (the sampler's
 * timer). Recorded here, in C, the timer's work is this one call: from Rust each atomic access
 * of a sequence count would be a call of its own (the kernel crate's atomics are C helpers).
 */
void loadavg_rs_walker_kick(struct loadavg_rs_walker *w)
{
	int i;

	write_seqcount_begin(&w->kicked);
	for (i = 0; i < ARRAY_SIZE(w->avenrun_at_kick); i++)
		w->avenrun_at_kick[i] = READ_ONCE(avenrun[i]);
	write_seqcount_end(&w->kicked);
	WRITE_ONCE(w->pending, true);
	if (w->task)
		wake_up_process(w->task);
}

/* The kernel's avenrun as the last kick recorded it (zero before a first kick). Not in NMI. */
void loadavg_rs_walker_avenrun_at_kick(struct loadavg_rs_walker *w, unsigned long loads[3])
{
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&w->kicked);
		loads[0] = w->avenrun_at_kick[0];
		loads[1] = w->avenrun_at_kick[1];
		loads[2] = w->avenrun_at_kick[2];
	} while (read_seqcount_retry(&w->kicked, seq));
}

/*
 * Stops the thread and waits until it has exited; a walk in progress ends at its next lock
 * break. Nothing may kick the walker any more (the timer is cancelled first).
 */
void loadavg_rs_walker_stop(struct loadavg_rs_walker *w)
{
	if (!w->task)
		return;
	kthread_stop(w->task);
	w->task = NULL;
}

/*
 * synchronize_rcu(), but asleep as TASK_IDLE: synchronize_rcu() waits in TASK_UNINTERRUPTIBLE,
 * which the kernel's load average counts, and the walker waits for a grace period after each
 * walk (rust/rcu_arc.rs): it must never be load itself. The same wait, with the same hurried
 * callback (not a lazy one, which could hold the walker for seconds).
 */
void loadavg_rs_synchronize_rcu_noload(void)
{
	might_sleep();
	wait_rcu_gp_state(TASK_IDLE, call_rcu_hurry);
}

/* A tick's sleep as TASK_IDLE, for the walker: never load (a mutex's waiter would be). */
void loadavg_rs_sleep_noload(void)
{
	schedule_timeout_idle(1);
}
