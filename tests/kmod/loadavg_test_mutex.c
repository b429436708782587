// SPDX-License-Identifier: GPL-2.0
/*
 * Two kernel threads, bound to CPU 0, that contend for one mutex: load that proxy execution
 * (CONFIG_SCHED_PROXY_EXEC) keeps on a runqueue (tests/guest/proxy.sh).
 *
 * "ldrs_towner" takes the mutex and holds it while busy (mdelay(), runnable all along) until
 * the module is removed. "ldrs_twaiter" asks for it from loadavg_test_mutex_wait() and waits
 * behind the owner all that time. With proxy execution the waiter stays queued as a donor
 * (is_blocked) while the owner, on the same CPU, runs in its place; without it, the waiter
 * sleeps in D. Either way it waits for a lock: load in `all` and `blocked`, never `cpu`.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>

static DEFINE_MUTEX(loadavg_test_mutex);
static struct task_struct *loadavg_test_owner, *loadavg_test_waiter;

static int loadavg_test_owner_thread(void *unused)
{
	mutex_lock(&loadavg_test_mutex);
	while (!kthread_should_stop()) {
		mdelay(1);
		cond_resched();
	}
	mutex_unlock(&loadavg_test_mutex);
	return 0;
}

/* Not inlined: the frame the test finds in the waiter's stack. */
static noinline void loadavg_test_mutex_wait(void)
{
	mutex_lock(&loadavg_test_mutex);
	mutex_unlock(&loadavg_test_mutex);
}

static int loadavg_test_waiter_thread(void *unused)
{
	while (!kthread_should_stop()) {
		loadavg_test_mutex_wait();
		cond_resched();
	}
	return 0;
}

static int __init loadavg_test_mutex_init(void)
{
	loadavg_test_owner = kthread_create(loadavg_test_owner_thread, NULL, "ldrs_towner");
	if (IS_ERR(loadavg_test_owner))
		return PTR_ERR(loadavg_test_owner);
	loadavg_test_waiter = kthread_create(loadavg_test_waiter_thread, NULL, "ldrs_twaiter");
	if (IS_ERR(loadavg_test_waiter)) {
		kthread_stop(loadavg_test_owner);
		return PTR_ERR(loadavg_test_waiter);
	}
	/* One CPU: proxy execution runs an owner in a donor's place on the donor's runqueue. */
	kthread_bind(loadavg_test_owner, 0);
	kthread_bind(loadavg_test_waiter, 0);
	wake_up_process(loadavg_test_owner);
	/* The owner holds the mutex before the waiter asks for it. */
	while (!mutex_is_locked(&loadavg_test_mutex))
		msleep(20);
	wake_up_process(loadavg_test_waiter);
	return 0;
}

static void __exit loadavg_test_mutex_exit(void)
{
	/* The owner first: the waiter can stop only once it has had the mutex. */
	kthread_stop(loadavg_test_owner);
	kthread_stop(loadavg_test_waiter);
}

module_init(loadavg_test_mutex_init);
module_exit(loadavg_test_mutex_exit);
MODULE_DESCRIPTION("loadavg-rs tests: two threads contending for a mutex");
MODULE_LICENSE("GPL");
