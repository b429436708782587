// SPDX-License-Identifier: GPL-2.0
/*
 * A container's own load wherever it is read (rust/virtualize.rs): probes on the two functions
 * every reader's load comes through. get_avenrun() is called by do_sysinfo() (kernel/sys.c:
 * sysinfo(2), which glibc's getloadavg() and busybox uptime call) and by loadavg_proc_show()
 * (fs/proc/loadavg.c); nr_running() by /proc/loadavg and /proc/stat's procs_running.
 *
 * For a caller inside a container, the probe's pre-handler does the function's work itself with
 * the container's figures, from the rows the walker last published
 * (loadavg_rs_container_figures(), in Rust): get_avenrun()'s stores into the caller's array, in
 * the caller's fixed point, or nr_running()'s count. It then sends the call to
 * loadavg_rs_virt_return(), which returns to the caller with that count as the value: the
 * probed function's body never runs. Every other call, the host's, goes on into the kernel's own
 * function untouched. This is the kprobe way of replacing a function's result (as error
 * injection's override_function_with_return()): a pre-handler that changes the instruction
 * pointer returns non-zero, and kprobes, on ftrace or on a breakpoint, resumes there.
 *
 * No return probe: nothing is held from a call's entry to its return, so no call can miss for
 * want of an instance, and the kernel's return trampoline is not involved. A probe with a
 * post-handler is one ftrace knows modifies the instruction pointer (FTRACE_OPS_FL_IPMODIFY, so
 * registering it fails where a live patch already replaces the function) and one kprobes never
 * turns into a jump, where a changed instruction pointer would be lost; the post-handler does
 * nothing, and runs only for the host's calls.
 *
 * The pre-handlers run in the caller's context, with preemption off (on ftrace) or as an NMI (on
 * a breakpoint): they take no lock but the RCU read lock, and allocate nothing (the rows are an
 * RcuArc, rust/rcu_arc.rs). A redirected call runs loadavg_rs_virt_return() with preemption on, so a
 * task may be preempted inside it: stopping waits for every task to pass a voluntary context
 * switch (synchronize_rcu_tasks(), as ftrace does before it frees a trampoline) before the
 * module's text may go.
 */
#include <linux/cgroup.h>
#include <linux/kprobes.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "glue.h"

#if IS_ENABLED(CONFIG_KPROBES) && IS_ENABLED(CONFIG_X86_64)

struct loadavg_rs_virt {
	struct kprobe avenrun;
	struct kprobe running;
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

/*
 * Where a redirected call goes, entered as the probed function would have been (the caller's
 * return address on the stack, the caller's arguments in registers): back to the caller with
 * @value, which the pre-handler put in the first argument's register. For get_avenrun(), which
 * returns nothing, the value is ignored. Not traced: it must not be probed or traced itself.
 */
static noinline notrace unsigned long loadavg_rs_virt_return(unsigned long value)
{
	return value;
}

/* Sends the probed call to loadavg_rs_virt_return() with @value: the pre-handler's return. */
static int loadavg_rs_virt_redirect(struct pt_regs *regs, unsigned long value)
{
	regs->di = value;
	instruction_pointer_set(regs, (unsigned long)loadavg_rs_virt_return);
	/* Non-zero: kprobes resumes at the new instruction pointer. */
	return 1;
}

/*
 * The container the current task is in, by its root cgroup's id and depth: a PID namespace of
 * its own, and a cgroup namespace whose root is not the hierarchy's (the initial namespace's,
 * and any made at the root, see the whole machine). Both, as a runtime makes a container: a
 * monitoring agent given the host's PIDs (Kubernetes' hostPID) stays on the machine's figures,
 * and so does a task that only unshared its cgroup namespace. The task's own nsproxy changes
 * only by the task itself (and is NULL once it exits), and a css_set's default cgroup never
 * changes. Then the container's figures, from the walker's last rows; false, and counted, if it
 * has none that are its own (then the machine's stay).
 */
static bool loadavg_rs_virt_figures(struct loadavg_rs_virt *v, unsigned long loads[3],
				    unsigned int *running)
{
	struct nsproxy *ns = current->nsproxy;
	struct cgroup *root;

	if (!ns || task_active_pid_ns(current) == &init_pid_ns)
		return false;
	root = ns->cgroup_ns->root_cset->dfl_cgrp;
	if (root == &cgrp_dfl_root.cgrp)
		return false;
	if (loadavg_rs_container_figures(v->data, cgroup_id(root), root->level, loads, running))
		return true;
	atomic_long_inc(&v->host_figures);
	return false;
}

/* get_avenrun(unsigned long *loads, unsigned long offset, int shift), for a container. */
static int loadavg_rs_avenrun_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct loadavg_rs_virt *v = container_of(p, struct loadavg_rs_virt, avenrun);
	unsigned long avgs[3], *loads, offset;
	unsigned int running;
	int shift, i;

	if (!loadavg_rs_virt_figures(v, avgs, &running))
		return 0;
	loads = (unsigned long *)regs_get_kernel_argument(regs, 0);
	offset = regs_get_kernel_argument(regs, 1);
	shift = (int)regs_get_kernel_argument(regs, 2);
	/* As get_avenrun() stores the kernel's own: the caller's rounding and fixed point. */
	for (i = 0; i < 3; i++)
		loads[i] = (avgs[i] + offset) << shift;
	return loadavg_rs_virt_redirect(regs, 0);
}

/* nr_running(void), for a container. */
static int loadavg_rs_running_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct loadavg_rs_virt *v = container_of(p, struct loadavg_rs_virt, running);
	unsigned long avgs[3];
	unsigned int running;

	if (!loadavg_rs_virt_figures(v, avgs, &running))
		return 0;
	return loadavg_rs_virt_redirect(regs, running);
}

/* Nothing: its presence makes the probe an IPMODIFY one on ftrace, and never a jump. */
static void loadavg_rs_virt_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
}

/* A zeroed state, or NULL. */
static struct loadavg_rs_virt *loadavg_rs_virt_alloc(void)
{
	struct loadavg_rs_virt *v = kzalloc(sizeof(*v), GFP_KERNEL);

	return v;
}

/*
 * Probes both functions for @data (the sampler, which loadavg_rs_container_figures() reads),
 * the state into *@out; or -EOPNOTSUPP without CONFIG_KPROBES or off x86-64, or
 * register_kprobes()'s error (a kernel that refuses to probe them, or a live patch that
 * replaces one).
 */
int loadavg_rs_virtualize_start(const void *data, struct loadavg_rs_virt **out)
{
	struct kprobe *kps[2];
	struct loadavg_rs_virt *v;
	int err;

	v = loadavg_rs_virt_alloc();
	if (!v)
		return -ENOMEM;
	v->data = data;
	v->avenrun.symbol_name = "get_avenrun";
	v->avenrun.pre_handler = loadavg_rs_avenrun_pre;
	v->avenrun.post_handler = loadavg_rs_virt_post;
	v->running.symbol_name = "nr_running";
	v->running.pre_handler = loadavg_rs_running_pre;
	v->running.post_handler = loadavg_rs_virt_post;
	kps[0] = &v->avenrun;
	kps[1] = &v->running;
	/* Both or neither. */
	err = register_kprobes(kps, ARRAY_SIZE(kps));
	if (err) {
		/*
		 * register_kprobes() arms one probe after the other: the first may have sent calls to
		 * loadavg_rs_virt_return() before the second failed, and it has removed the first.
		 */
		synchronize_rcu_tasks();
		kfree(v);
		return err;
	}
	*out = v;
	WRITE_ONCE(loadavg_rs_virt_current, v);
	return 0;
}

/*
 * Removes both probes and frees @v; returns once no pre-handler runs and no task is left in
 * loadavg_rs_virt_return(), so the module's text may go.
 */
void loadavg_rs_virtualize_stop(struct loadavg_rs_virt *v)
{
	struct kprobe *kps[2] = { &v->avenrun, &v->running };

	WRITE_ONCE(loadavg_rs_virt_current, NULL);
	/* Waits for the handlers running (synchronize_rcu()). */
	unregister_kprobes(kps, ARRAY_SIZE(kps));
	/*
	 * A call redirected before may be in loadavg_rs_virt_return(), preempted: every task has
	 * left it once it has switched voluntarily or been in user space since.
	 */
	synchronize_rcu_tasks();
	kfree(v);
}

/*
 * With the probes in place: the calls that went on unprobed because another probe was running
 * on the CPU (kprobes counts them, the host's among them: from a container, they had the
 * machine's figures), and
 * the calls from a container handed the machine's figures for want of its own; false without
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
