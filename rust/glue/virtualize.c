// SPDX-License-Identifier: GPL-2.0
/*
 * A container's own load wherever it is read (rust/virtualize.rs): return probes on the two
 * functions every reader's load comes through. get_avenrun() is called by do_sysinfo()
 * (kernel/sys.c: sysinfo(2), which glibc's getloadavg() and busybox uptime call) and by
 * loadavg_proc_show() (fs/proc/loadavg.c); nr_running() by /proc/loadavg and /proc/stat's
 * procs_running. For a caller whose cgroup namespace is not the initial one, the return
 * handlers put the figures of the namespace's root cgroup, the container, in place of the
 * machine's, from the rows the walker last published (loadavg_rs_container_figures(), in Rust).
 * The initial namespace, the host, is left alone: its entry handlers refuse the call, and its
 * return handlers never run.
 *
 * The handlers run in the caller's context with preemption off: they take no sleeping lock and
 * allocate nothing. A call that finds no free instance (more callers at once than maxactive)
 * runs unprobed, with the machine's figures: kretprobe counts it (nmissed), and so do the
 * files. unregister_kretprobe() returns once no handler runs any more.
 */
#include <linux/cgroup.h>
#include <linux/cpumask.h>
#include <linux/kprobes.h>
#include <linux/minmax.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "glue.h"

#if IS_ENABLED(CONFIG_KRETPROBES)

struct loadavg_rs_virt {
	struct kretprobe avenrun;
	struct kretprobe running;
	/* What loadavg_rs_container_figures() is given. */
	const void *data;
	/* Calls from a container handed the machine's figures, for want of the container's. */
	atomic_long_t host_figures;
};

/*
 * The probes in place, for the table's figures (loadavg_rs_virtualize_stats()): set before the
 * module's files are made, cleared after they are removed (rust/loadavg_rs_main.rs's order).
 */
static struct loadavg_rs_virt *loadavg_rs_virt_current;

/* A probed call's caller, a container: its root cgroup, and get_avenrun()'s arguments. */
struct loadavg_rs_call {
	u64 id;
	int level;
	unsigned long *loads;
	unsigned long offset;
	int shift;
};

/*
 * Whether the current task is in a container: a PID namespace of its own, and a cgroup namespace
 * whose root is not the hierarchy's (the initial namespace's, and any made at the root, see the
 * whole machine); if so, that root cgroup's id and depth into @c. Both, as a runtime makes a
 * container: a monitoring agent given the host's PIDs (Kubernetes' hostPID) stays on the
 * machine's figures, and so does a task that only unshared its cgroup namespace. The task's own
 * nsproxy changes only by the task itself (and is NULL once it exits), and a css_set's default
 * cgroup never changes.
 */
static bool loadavg_rs_in_container(struct loadavg_rs_call *c)
{
	struct nsproxy *ns = current->nsproxy;
	struct cgroup *root;

	if (!ns || task_active_pid_ns(current) == &init_pid_ns)
		return false;
	root = ns->cgroup_ns->root_cset->dfl_cgrp;
	if (root == &cgrp_dfl_root.cgrp)
		return false;
	c->id = cgroup_id(root);
	c->level = root->level;
	return true;
}

/*
 * The container's figures for @c; false, and counted, if it has none that are its own (then
 * the machine's stay).
 */
static bool loadavg_rs_figures(struct loadavg_rs_virt *v, struct loadavg_rs_call *c,
			       unsigned long loads[3], unsigned int *running)
{
	if (loadavg_rs_container_figures(v->data, c->id, c->level, loads, running))
		return true;
	atomic_long_inc(&v->host_figures);
	return false;
}

static int loadavg_rs_avenrun_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct loadavg_rs_call *c = (struct loadavg_rs_call *)ri->data;

	/* Non-zero: no return handler for this call (the host's). */
	if (!loadavg_rs_in_container(c))
		return 1;
	/* get_avenrun(unsigned long *loads, unsigned long offset, int shift) */
	c->loads = (unsigned long *)regs_get_kernel_argument(regs, 0);
	c->offset = regs_get_kernel_argument(regs, 1);
	c->shift = (int)regs_get_kernel_argument(regs, 2);
	return 0;
}

static int loadavg_rs_avenrun_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct loadavg_rs_virt *v = container_of(get_kretprobe(ri), struct loadavg_rs_virt,
						 avenrun);
	struct loadavg_rs_call *c = (struct loadavg_rs_call *)ri->data;
	unsigned long loads[3];
	unsigned int running;
	int i;

	if (!loadavg_rs_figures(v, c, loads, &running))
		return 0;
	/* As get_avenrun() writes the kernel's own: the caller's rounding and fixed point. */
	for (i = 0; i < 3; i++)
		c->loads[i] = (loads[i] + c->offset) << c->shift;
	return 0;
}

static int loadavg_rs_running_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return loadavg_rs_in_container((struct loadavg_rs_call *)ri->data) ? 0 : 1;
}

static int loadavg_rs_running_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct loadavg_rs_virt *v = container_of(get_kretprobe(ri), struct loadavg_rs_virt,
						 running);
	unsigned long loads[3];
	unsigned int running;

	if (loadavg_rs_figures(v, (struct loadavg_rs_call *)ri->data, loads, &running))
		regs_set_return_value(regs, running);
	return 0;
}

/* A zeroed state, or NULL. */
static struct loadavg_rs_virt *loadavg_rs_virt_alloc(void)
{
	struct loadavg_rs_virt *v = kzalloc(sizeof(*v), GFP_KERNEL);

	return v;
}

/*
 * Probes both functions for @data (the sampler, which loadavg_rs_container_figures() reads),
 * the state into *@out; or -EOPNOTSUPP without CONFIG_KRETPROBES, or register_kretprobe()'s
 * error (a kernel that refuses to probe them).
 */
int loadavg_rs_virtualize_start(const void *data, struct loadavg_rs_virt **out)
{
	/*
	 * Instances: a call holds one from its entry to its return, a few instructions with
	 * preemption possible between them; every CPU may be in one while more tasks wait
	 * preempted in others. Four a CPU, and at least 64.
	 */
	int maxactive = max_t(int, 64, 4 * num_possible_cpus());
	struct loadavg_rs_virt *v;
	int err;

	/*
	 * The return handlers run with preemption off, and look the figures up under a spinlock,
	 * which PREEMPT_RT makes a sleeping lock.
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return -EOPNOTSUPP;
	v = loadavg_rs_virt_alloc();
	if (!v)
		return -ENOMEM;
	v->data = data;
	v->avenrun.kp.symbol_name = "get_avenrun";
	v->avenrun.entry_handler = loadavg_rs_avenrun_entry;
	v->avenrun.handler = loadavg_rs_avenrun_ret;
	v->avenrun.data_size = sizeof(struct loadavg_rs_call);
	v->avenrun.maxactive = maxactive;
	v->running.kp.symbol_name = "nr_running";
	v->running.entry_handler = loadavg_rs_running_entry;
	v->running.handler = loadavg_rs_running_ret;
	v->running.data_size = sizeof(struct loadavg_rs_call);
	v->running.maxactive = maxactive;
	err = register_kretprobe(&v->avenrun);
	if (err)
		goto free;
	err = register_kretprobe(&v->running);
	if (err) {
		unregister_kretprobe(&v->avenrun);
		goto free;
	}
	*out = v;
	WRITE_ONCE(loadavg_rs_virt_current, v);
	return 0;
free:
	kfree(v);
	return err;
}

/* Removes both probes, once no handler runs, and frees @v. */
void loadavg_rs_virtualize_stop(struct loadavg_rs_virt *v)
{
	WRITE_ONCE(loadavg_rs_virt_current, NULL);
	unregister_kretprobe(&v->running);
	unregister_kretprobe(&v->avenrun);
	kfree(v);
}

/*
 * With the probes in place: the calls that ran unprobed for want of an instance (kretprobe
 * counts them before its entry handler tells the host's calls from a container's, so the host's
 * are among them), and the calls from a container handed the machine's figures; false without
 * probes.
 */
bool loadavg_rs_virtualize_stats(u64 *missed, u64 *host_figures)
{
	struct loadavg_rs_virt *v = READ_ONCE(loadavg_rs_virt_current);

	if (!v)
		return false;
	/* Counters of kprobes, written by other CPUs: racy reads of statistics. */
	*missed = (u64)data_race(v->avenrun.nmissed) + data_race(v->running.nmissed);
	*host_figures = atomic_long_read(&v->host_figures);
	return true;
}

#else

int loadavg_rs_virtualize_start(const void *data, struct loadavg_rs_virt **out)
{
	return -EOPNOTSUPP;
}

void loadavg_rs_virtualize_stop(struct loadavg_rs_virt *v)
{
}

bool loadavg_rs_virtualize_stats(u64 *missed, u64 *host_figures)
{
	return false;
}

#endif
