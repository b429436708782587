// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroups for rust/cgroup_walk.rs: which cgroup (v2) a task is in, a cgroup's parent, id,
 * references, path and pressure. The kernel's cgroup API is inline functions and macros, which
 * Rust cannot call; these wrappers are each one of them.
 *
 * A struct cgroup is freed an RCU grace period after its last reference goes: the pointers
 * these return under rcu_read_lock() may be used until the caller unlocks, and longer once
 * loadavg_rs_cgroup_tryget() succeeded, until loadavg_rs_cgroup_put().
 */
#include <linux/cgroup.h>
#include <linux/nsproxy.h>
#include <linux/psi_types.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>

struct cgroup *loadavg_rs_task_cgroup(struct task_struct *p);
struct cgroup *loadavg_rs_cgroup_parent(struct cgroup *cg);
u64 loadavg_rs_cgroup_id(struct cgroup *cg);
struct cgroup *loadavg_rs_root_cgroup(void);
bool loadavg_rs_cgroup_tryget(struct cgroup *cg);
void loadavg_rs_cgroup_put(struct cgroup *cg);
bool loadavg_rs_cgroup_removed(struct cgroup *cg);
unsigned int loadavg_rs_cgroup_count(void);
int loadavg_rs_current_cgroup_ids(u64 *ids, int max);
int loadavg_rs_cgroup_path(struct cgroup *cg, char *buf, size_t len);
bool loadavg_rs_cgroup_psi(struct cgroup *cg, unsigned long *avgs);

/* Under RCU: the task's cgroup on the default (v2) hierarchy. */
struct cgroup *loadavg_rs_task_cgroup(struct task_struct *p)
{
	return task_dfl_cgroup(p);
}

/* Under RCU, or with a reference: its parent, NULL for the root. */
struct cgroup *loadavg_rs_cgroup_parent(struct cgroup *cg)
{
	return cgroup_parent(cg);
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

/* Under RCU: a reference, unless the cgroup is being freed. */
bool loadavg_rs_cgroup_tryget(struct cgroup *cg)
{
	return cgroup_tryget(cg);
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

/* The cgroups of the default hierarchy that exist: the root and its live descendants. */
unsigned int loadavg_rs_cgroup_count(void)
{
	return data_race(cgrp_dfl_root.cgrp.nr_descendants) + 1;
}

/*
 * The ids of the current task's cgroup and of its ancestors, nearest first, up to @max;
 * returns how many.
 */
int loadavg_rs_current_cgroup_ids(u64 *ids, int max)
{
	struct cgroup *cg;
	int n = 0;

	rcu_read_lock();
	for (cg = task_dfl_cgroup(current); cg && n < max; cg = cgroup_parent(cg))
		ids[n++] = cgroup_id(cg);
	rcu_read_unlock();
	return n;
}

/*
 * The cgroup's path as the current task's cgroup namespace sees it, NUL-terminated in @buf;
 * returns its length, or a negative errno (-ENAMETOOLONG if @len is too short). Sleeps.
 */
int loadavg_rs_cgroup_path(struct cgroup *cg, char *buf, size_t len)
{
	return cgroup_path_ns(cg, buf, len, current->nsproxy->cgroup_ns);
}

/*
 * The cgroup's pressure averages, "some", as cgroup.pressure files show them: cpu over 10, 60
 * and 300 s, then io; percent in fixed point (FIXED_1 = 100%). False when the cgroup has none:
 * the root's are the system's (psi_system, which modules cannot reach), and a kernel without
 * CONFIG_PSI, or booted with psi=0 or cgroup_disable=pressure, keeps none.
 */
bool loadavg_rs_cgroup_psi(struct cgroup *cg, unsigned long *avgs)
{
#ifdef CONFIG_PSI
	struct psi_group *psi;
	int w;

	if (!cgroup_parent(cg))
		return false;
	psi = cg->psi;
	if (!psi)
		return false;
	for (w = 0; w < 3; w++) {
		avgs[w] = data_race(psi->avg[PSI_CPU_SOME][w]);
		avgs[3 + w] = data_race(psi->avg[PSI_IO_SOME][w]);
	}
	return true;
#else
	return false;
#endif
}
