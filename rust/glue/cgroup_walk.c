// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroups for rust/cgroup_walk.rs: which cgroup (v2) a task is in, a cgroup's parent, id,
 * references, path and pressure. The kernel's cgroup API is inline functions and macros, which
 * Rust cannot call; these wrappers are each one of them.
 *
 * A struct cgroup is freed an RCU grace period after its last reference goes: the pointers
 * these return under rcu_read_lock() may be used until the caller unlocks, and longer once
 * loadavg_rs_cgroup_tryget_online() succeeded, until loadavg_rs_cgroup_put().
 */
#include <linux/cgroup.h>
#include <linux/jiffies.h>
#include <linux/kernfs.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/psi_types.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/workqueue.h>

#include "glue.h"

/* Under RCU, or with a reference: its parent, NULL for the root. */
struct cgroup *loadavg_rs_cgroup_parent(struct cgroup *cg)
{
	return cgroup_parent(cg);
}

/* Under RCU, or with a reference: its ancestor at depth @level (0: the root), O(1). */
struct cgroup *loadavg_rs_cgroup_ancestor(struct cgroup *cg, int level)
{
	return cgroup_ancestor(cg, level);
}

/* Its depth: 0 for the root. */
int loadavg_rs_cgroup_level(struct cgroup *cg)
{
	return cg->level;
}

u64 loadavg_rs_cgroup_id(struct cgroup *cg)
{
	return cgroup_id(cg);
}

/* The root of the default hierarchy, which lives as long as the kernel. */
struct cgroup *loadavg_rs_root_cgroup(void)
{
	return &cgrp_dfl_root.cgrp;
}

/*
 * Under RCU: a reference, unless the cgroup was removed (rmdir takes it offline at once; a
 * zombie may still hold it until it is reaped) or is being freed.
 */
bool loadavg_rs_cgroup_tryget_online(struct cgroup *cg)
{
	return css_tryget_online(&cg->self);
}

/* Another reference, for a caller that holds one. */
void loadavg_rs_cgroup_get(struct cgroup *cg)
{
	cgroup_get(cg);
}

void loadavg_rs_cgroup_put(struct cgroup *cg)
{
	cgroup_put(cg);
}

/* Removed (rmdir took it offline): it will hold no task again. */
bool loadavg_rs_cgroup_removed(struct cgroup *cg)
{
	return cgroup_is_dead(cg);
}

/* The cgroup and its live descendants: how many exist in its subtree. */
unsigned int loadavg_rs_cgroup_subtree_count(struct cgroup *cg)
{
	/* Written under cgroup_mutex, which is not taken here: a hint, read racily. */
	return data_race(cg->nr_descendants) + 1;
}

/*
 * The root of the reading task's cgroup namespace on the default hierarchy: what it sees as
 * "/". No lock: a css_set's default cgroup never changes (init_css_set's is the root), and the
 * namespace holds a reference on its root css_set; valid while the task keeps its namespace.
 */
struct cgroup *loadavg_rs_reader_ns_root(void)
{
	return current->nsproxy->cgroup_ns->root_cset->dfl_cgrp;
}

/*
 * The current task's own cgroup (v2): its id and depth into @id and @level; returns whether it
 * is @ns_root or below it.
 */
bool loadavg_rs_current_cgroup(struct cgroup *ns_root, u64 *id, int *level)
{
	struct cgroup *cg;
	bool inside;

	rcu_read_lock();
	cg = task_dfl_cgroup(current);
	*id = cgroup_id(cg);
	*level = cg->level;
	inside = cgroup_is_descendant(cg, ns_root);
	rcu_read_unlock();
	return inside;
}

/* Whether @cg is @ancestor or below it: O(1), from the cgroup's array of ancestors. */
bool loadavg_rs_cgroup_is_descendant(struct cgroup *cg, struct cgroup *ancestor)
{
	return cgroup_is_descendant(cg, ancestor);
}

/*
 * The path of @cg below @from (its ancestor: "/" for @from itself), NUL-terminated in @buf;
 * returns the length written, @len - 1 if it may have been cut short, or a negative errno. Takes no lock: the cgroup hierarchy's kernfs root has
 * KERNFS_ROOT_INVARIANT_PARENT, so kernfs_path_from_node() walks the names under RCU alone.
 */
int loadavg_rs_cgroup_path_from(struct cgroup *cg, struct cgroup *from, char *buf, size_t len)
{
	return kernfs_path_from_node(cg->kn, from->kn, buf, len);
}

/*
 * PSI's period (PSI_FREQ in kernel/sched/psi.c, private to it: 2 s and a tick) on the
 * time line of psi_period, jiffies_to_nsecs(PSI_FREQ).
 */
#define LOADAVG_RS_PSI_FREQ (2 * HZ + 1)

#ifdef CONFIG_PSI
/* Whether no task of @psi's group is on a CPU's count of a state PSI tracks (racy reads). */
static bool loadavg_rs_psi_idle(struct psi_group *psi)
{
	int cpu, t;

	for_each_possible_cpu(cpu) {
		struct psi_group_cpu *c = per_cpu_ptr(psi->pcpu, cpu);

		for (t = 0; t < NR_PSI_TASK_COUNTS; t++) {
			/* Written under the CPU's runqueue lock, not taken here: a hint. */
			if (data_race(c->tasks[t]))
				return false;
		}
	}
	return true;
}
#endif

/*
 * What rust/model/pressure.rs needs of the cgroup's pressure, "some", cpu then io, to print
 * it as the cgroup's cpu.pressure and io.pressure files would now: read under the group's
 * avgs_lock, as psi_show() reads it (a mutex: process context only), with the time and
 * whether its averaging work is queued. False when the cgroup has none: the root's are the
 * system's (psi_system, which modules cannot reach), and a kernel without CONFIG_PSI, or
 * booted with psi=0 or cgroup_disable=pressure, keeps none.
 */
bool loadavg_rs_cgroup_psi(struct cgroup *cg, struct loadavg_rs_psi *p)
{
#ifdef CONFIG_PSI
	static const int states[LOADAVG_RS_PSI_RESOURCES] = { PSI_CPU_SOME, PSI_IO_SOME };
	struct psi_group *psi;
	int r, w;

	might_sleep();
	if (!cgroup_parent(cg))
		return false;
	psi = cg->psi;
	if (!psi)
		return false;
	mutex_lock(&psi->avgs_lock);
	p->now = sched_clock();
	p->period = jiffies_to_nsecs(LOADAVG_RS_PSI_FREQ);
	p->next_update = psi->avg_next_update;
	p->last_update = psi->avg_last_update;
	/*
	 * The clock is stopped, and every stall time folded, only if the averaging work is
	 * neither queued nor running (it clears its pending bit before it takes this lock), and
	 * no task of the group is in a state PSI counts: the work does not queue itself again for
	 * a lone task stalled on the CPU it runs on (psi.c, get_recent_times()), whose stall
	 * grows in the per-CPU buckets that only the kernel folds. A task's state change queues
	 * the work without this lock (psi_group_change()): then the change is a moment old.
	 */
	p->clock_stopped = !work_busy(&psi->avgs_work.work) && loadavg_rs_psi_idle(psi);
	for (r = 0; r < LOADAVG_RS_PSI_RESOURCES; r++) {
		p->total[r] = psi->total[PSI_AVGS][states[r]];
		p->avg_total[r] = psi->avg_total[states[r]];
		for (w = 0; w < 3; w++)
			p->avg[r][w] = psi->avg[states[r]][w];
	}
	mutex_unlock(&psi->avgs_lock);
	return true;
#else
	return false;
#endif
}
