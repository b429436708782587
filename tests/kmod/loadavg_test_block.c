// SPDX-License-Identifier: GPL-2.0
/*
 * A kernel thread that waits uninterruptibly in this module's own code: load (blocked) whose
 * kernel stack has a frame in a module that the test then unloads (tests/guest/attribution.sh).
 * The thread, "ldrs_tblock", sleeps in msleep() from loadavg_test_block_wait() until the
 * module is removed.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>

static struct task_struct *loadavg_test_block_task;

/* Not inlined: its return address into loadavg_test_block_thread() is the frame the test finds. */
static noinline void loadavg_test_block_wait(void)
{
	msleep(200);
}

static int loadavg_test_block_thread(void *unused)
{
	while (!kthread_should_stop())
		loadavg_test_block_wait();
	return 0;
}

static int __init loadavg_test_block_init(void)
{
	loadavg_test_block_task = kthread_run(loadavg_test_block_thread, NULL, "ldrs_tblock");
	return PTR_ERR_OR_ZERO(loadavg_test_block_task);
}

static void __exit loadavg_test_block_exit(void)
{
	kthread_stop(loadavg_test_block_task);
}

module_init(loadavg_test_block_init);
module_exit(loadavg_test_block_exit);
MODULE_DESCRIPTION("loadavg-rs tests: a thread blocked in a module's own code");
MODULE_LICENSE("GPL");
