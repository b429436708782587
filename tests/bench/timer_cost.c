// SPDX-License-Identifier: GPL-2.0
/*
 * timer_cost: how long loadavg_rs's hrtimer callback runs, for `make bench`.
 *
 * A kretprobe on the function named by `symbol` (the module's hrtimer trampoline, found by the
 * bench in /proc/kallsyms) times each call from its entry to its return with ktime_get_ns(),
 * in hard-interrupt context as the callback runs. The first `max_calls` times are kept; at
 * rmmod it prints their count, median, 99th percentile and maximum (after the probed module,
 * if that went first: the kernel then drops the probe without rewriting the module's text).
 * The probe's own cost (a breakpoint, with the bench's kprobes-optimization off, and the
 * return trampoline) is inside every time, alike for any build it is put on, so the bench
 * compares two builds' times measured this same way, never a time alone.
 */
#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

static char *symbol;
module_param(symbol, charp, 0444);
MODULE_PARM_DESC(symbol, "The function to time (a symbol in /proc/kallsyms)");

static unsigned int max_calls = 65536;
module_param(max_calls, uint, 0444);
MODULE_PARM_DESC(max_calls, "Calls whose times are kept, 1..=1048576 (default 65536)");

static u64 *times;
static atomic_t calls = ATOMIC_INIT(0);

static int timer_cost_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	*(u64 *)ri->data = ktime_get_ns();
	return 0;
}
NOKPROBE_SYMBOL(timer_cost_entry);

static int timer_cost_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	u64 ns = ktime_get_ns() - *(u64 *)ri->data;
	int i = atomic_inc_return(&calls) - 1;

	if (i < max_calls)
		times[i] = ns;
	return 0;
}
NOKPROBE_SYMBOL(timer_cost_return);

static struct kretprobe probe = {
	.entry_handler = timer_cost_entry,
	.handler = timer_cost_return,
	.data_size = sizeof(u64),
	/* maxactive 0: the kernel's default, more than one timer's calls at once can need. */
};

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int __init timer_cost_init(void)
{
	int err;

	if (!symbol || !*symbol || max_calls < 1 || max_calls > 1048576)
		return -EINVAL;
	times = vmalloc_array(max_calls, sizeof(*times));
	if (!times)
		return -ENOMEM;
	probe.kp.symbol_name = symbol;
	err = register_kretprobe(&probe);
	if (err) {
		pr_err("timer_cost: cannot probe %s: %d\n", symbol, err);
		vfree(times);
	}
	return err;
}

static void __exit timer_cost_exit(void)
{
	unsigned int n;

	unregister_kretprobe(&probe);
	n = min_t(unsigned int, atomic_read(&calls), max_calls);
	if (n) {
		sort(times, n, sizeof(*times), cmp_u64, NULL);
		/* Nearest rank: the p-th percentile is the ceil(p n / 100)-th time. */
		pr_info("timer_cost: %u calls, p50 %llu ns, p99 %llu ns, max %llu ns, missed %lu\n", n,
			times[(n * 50 + 99) / 100 - 1], times[(n * 99 + 99) / 100 - 1], times[n - 1],
			probe.nmissed + probe.kp.nmissed);
	} else {
		pr_info("timer_cost: 0 calls, missed %lu\n", probe.nmissed + probe.kp.nmissed);
	}
	vfree(times);
}

module_init(timer_cost_init);
module_exit(timer_cost_exit);
MODULE_DESCRIPTION("How long loadavg_rs's timer callback runs, for loadavg-rs's benchmark");
MODULE_LICENSE("GPL");
