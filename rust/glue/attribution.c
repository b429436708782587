// SPDX-License-Identifier: GPL-2.0
/*
 * Load attribution's C side (rust/attribution.rs): a task's process and kernel stack, read
 * under the walk's RCU read lock; the reference that keeps a process's struct pid while a key
 * names it; and, at read time, a frame's symbol and what the reader may see of a process.
 *
 * - A task's process is its thread group's struct pid (task_tgid()). It is freed by
 *   put_pid(), and the reference a task holds on it is put only an RCU grace period after the
 *   task is unhashed (free_pid() defers it with call_rcu()), so a pid read from a task under
 *   RCU has a count above zero for the rest of that read section, and get_pid() on it is safe,
 *   as get_task_pid() does. Once the thread group's leader is unhashed its task_tgid() is NULL.
 * - A kernel stack is unwound as /proc/PID/stack unwinds it: stack_trace_save_tsk(), which pins
 *   the stack (try_get_task_stack()) and leaves out the scheduler's own functions, so the
 *   innermost frame is the caller of schedule(), io_schedule(), or the lock's slow path: the
 *   wait site. A task may wake while it is unwound; the unwinder checks every frame against
 *   the stack's bounds, and reads the stack with KASAN's checks off, as for /proc/PID/stack.
 *   But it refuses only a task on a CPU when it starts: one that wakes and runs meanwhile
 *   rewrites the stack under it, and the frames may be plausible and wrong. The kernel's
 *   consistent readers (get_wchan()) hold the task's pi_lock, which no exported helper takes;
 *   here the task's context-switch counts, on_cpu and on_rq are read before and after the
 *   unwind, and a stack whose task ran or woke in between is not kept (no frames). A
 *   proxy-execution donor waits on its runqueue (threads.c): it is unwound while is_blocked
 *   stays set.
 * - Without CONFIG_STACKTRACE there is no unwinder: no stack is kept, and blocked tasks are
 *   attributed to their processes alone, under [no frames].
 * - A frame is named when a file is read; an address that is no longer kernel text (its
 *   module unloaded) is named [unknown], never printed as a number.
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/delay.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sprintf.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "glue.h"

static_assert(LOADAVG_RS_COMM_LEN == TASK_COMM_LEN);

/*
 * Under RCU, which keeps @t valid: @t's process, without a reference (NULL if its thread group
 * is being released), its tgid in the initial PID namespace into *@tgid, and its leader's comm
 * into @comm (LOADAVG_RS_COMM_LEN bytes, NUL-padded).
 */
struct pid *loadavg_rs_task_process(struct task_struct *t, int *tgid, char *comm)
{
	/* Cleared under tasklist_lock when the leader is unhashed: read once. */
	struct pid *pid = READ_ONCE(t->signal->pids[PIDTYPE_TGID]);
	struct task_struct *leader = READ_ONCE(t->group_leader);
	char buf[TASK_COMM_LEN];

	*tgid = pid_nr(pid);
	/* A racy copy, as /proc/PID/stat makes: set_task_comm() may write it meanwhile. */
	get_task_comm(buf, leader);
	memcpy(comm, buf, TASK_COMM_LEN);
	return pid;
}

/* Under RCU, @pid read from a task under it (see above): takes a reference. */
void loadavg_rs_pid_get(struct pid *pid)
{
	get_pid(pid);
}

/* Puts a reference taken by loadavg_rs_pid_get(). */
void loadavg_rs_pid_put(struct pid *pid)
{
	put_pid(pid);
}

#ifdef CONFIG_STACKTRACE
/* Whether @t is blocked (p->is_blocked, which exists with proxy execution to be read here). */
static bool loadavg_rs_is_blocked(struct task_struct *t)
{
#ifdef CONFIG_SCHED_PROXY_EXEC
	return READ_ONCE(t->is_blocked);
#else
	return false;
#endif
}
#endif

/*
 * Under RCU, which keeps @t valid: @t's kernel stack, innermost frame first, into @entries (at
 * most @max); returns the number of frames stored, 0 if it is on a CPU or queued (and no
 * proxy-execution donor) or its stack is gone, -EAGAIN if it ran or woke during the unwind.
 */
int loadavg_rs_task_stack(struct task_struct *t, unsigned long *entries, unsigned int max)
{
#ifdef CONFIG_STACKTRACE
	unsigned int delay = loadavg_rs_test_state_delay();
	unsigned long switches;
	unsigned int n;
	/* A proxy-execution donor waits on its runqueue (threads.c); any other task off it. */
	bool donor = IS_ENABLED(CONFIG_SCHED_PROXY_EXEC) && READ_ONCE(t->on_rq) &&
		     loadavg_rs_is_blocked(t);

	/* Pairs with finish_task()'s release of on_cpu: the counts of its last switch are seen. */
	if (smp_load_acquire(&t->on_cpu) || (READ_ONCE(t->on_rq) && !donor))
		return 0;
	switches = READ_ONCE(t->nvcsw) + READ_ONCE(t->nivcsw);
	/* As a seqcount's reader: the counts before the stack, the stack before the counts again. */
	smp_rmb();
	n = stack_trace_save_tsk(t, entries, max, 0);
	/*
	 * Tests only: a wide window for the task to wake in, as if the unwind were slow: ten times
	 * the pause between a task's reads (at most 2 ms; attribute_unwinds bounds how many a
	 * sample makes), longer than a test disk's IO takes.
	 */
	if (unlikely(delay))
		udelay(10 * delay);
	/*
	 * A task that woke meanwhile is on its runqueue, or on a CPU, or has been and blocked
	 * again: __schedule() counts the switch (nvcsw) before finish_task() clears on_cpu.
	 */
	smp_rmb(); /* The stack's reads before the checks below, as above. */
	if (smp_load_acquire(&t->on_cpu) || (READ_ONCE(t->on_rq) && !donor) ||
	    (donor && !loadavg_rs_is_blocked(t)) ||
	    READ_ONCE(t->nvcsw) + READ_ONCE(t->nivcsw) != switches)
		return -EAGAIN;
	return n;
#else
	return 0;
#endif
}

/* Whether stacks can be unwound at all (CONFIG_STACKTRACE). */
bool loadavg_rs_can_unwind(void)
{
	return IS_ENABLED(CONFIG_STACKTRACE);
}

/*
 * The name of the function that return address @addr returns into, as %ps prints it (`name`,
 * or `name [module]`), into @buf: the name at @addr - 1, as %pB finds it for /proc/PID/stack
 * (a call that ends its function returns to the next one's first byte); `[unknown]` when the
 * address is in no symbol.
 */
int loadavg_rs_symbol(unsigned long addr, char *buf, size_t len)
{
	int n = addr ? snprintf(buf, len, "%ps", (void *)(addr - 1)) : 0;

	/*
	 * %ps prints an address it finds no symbol for (no longer kernel text: its module went
	 * away) as a number, 0x..., which no symbol's name starts with: not here.
	 */
	if (!addr || (len > 2 && buf[0] == '0' && buf[1] == 'x'))
		return snprintf(buf, len, "[unknown]");
	return n;
}

/* Whether @pid's thread group has exited: no task has it as its tgid any more. */
bool loadavg_rs_pid_exited(struct pid *pid)
{
	/* A racy read of a list head, as a statistic: the walk's next sample reads it again. */
	return !data_race(pid_has_task(pid, PIDTYPE_TGID));
}

/* @pid's number in the reader's PID namespace, 0 if it has none there (it cannot see it). */
int loadavg_rs_pid_vnr(struct pid *pid)
{
	return pid_vnr(pid);
}

/*
 * Whether the reading task may see the kernel stacks of any process: CAP_SYS_ADMIN and
 * CAP_SYS_PTRACE in the initial user namespace, checked at each read with the reader's own
 * credentials, as proc_pid_stack() checks its reader's at each read (an open file handed to
 * another task shows it nothing).
 */
bool loadavg_rs_reader_may_see_stacks(void)
{
	return ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN) &&
	       ns_capable_noaudit(&init_user_ns, CAP_SYS_PTRACE);
}

/* Whether the reader is in the initial PID namespace, which sees every process. */
bool loadavg_rs_reader_in_init_pid_ns(void)
{
	return task_active_pid_ns(current) == &init_pid_ns;
}

/*
 * The cgroup (v2) of @pid's process, now, as a path below @ns_root (the reader's cgroup
 * namespace root) in @buf: as loadavg_rs_cgroup_path_from() returns it, or -ESRCH if the
 * process has exited, -EACCES if its cgroup is outside @ns_root.
 */
int loadavg_rs_pid_cgroup_path(struct pid *pid, struct cgroup *ns_root, char *buf, size_t len)
{
	struct task_struct *task;
	struct cgroup *cg;
	int ret;

	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_TGID);
	if (!task) {
		ret = -ESRCH;
	} else {
		cg = task_dfl_cgroup(task);
		if (cgroup_is_descendant(cg, ns_root))
			ret = loadavg_rs_cgroup_path_from(cg, ns_root, buf, len);
		else
			ret = -EACCES;
	}
	rcu_read_unlock();
	return ret;
}

/*
 * Code that goes away: a module's text when it is unloaded (MODULE_STATE_GOING, after its exit
 * function), and its init text once it is live (do_init_module() frees it then), or with it
 * if its load fails. Frames into it would later name nothing, or another module loaded at
 * the same address: the attribution forgets them (loadavg_rs_code_going(), in Rust) before
 * the module's memory is freed.
 */
static void *loadavg_rs_code_data;

static int loadavg_rs_module_event(struct notifier_block *nb, unsigned long action, void *arg)
{
	struct module *mod = arg;
	const struct module_memory *text = &mod->mem[MOD_TEXT];
	const struct module_memory *init = &mod->mem[MOD_INIT_TEXT];

	switch (action) {
	case MODULE_STATE_GOING:
		if (text->size)
			loadavg_rs_code_going(loadavg_rs_code_data, (unsigned long)text->base,
					      text->size);
		fallthrough;
	case MODULE_STATE_LIVE:
		if (init->size)
			loadavg_rs_code_going(loadavg_rs_code_data, (unsigned long)init->base,
					      init->size);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block loadavg_rs_module_nb = {
	.notifier_call = loadavg_rs_module_event,
};

/* Calls loadavg_rs_code_going(@data, ...) for code that goes away, until unwatched. */
int loadavg_rs_watch_code(void *data)
{
	loadavg_rs_code_data = data;
	return register_module_notifier(&loadavg_rs_module_nb);
}

/* Returns once no call of loadavg_rs_code_going() is in flight, and none will come. */
void loadavg_rs_unwatch_code(void)
{
	unregister_module_notifier(&loadavg_rs_module_nb);
}
