/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C glue of loadavg_rs: every function and constant its C files share with its Rust, in
 * one place. Each C file of rust/glue/ includes this header, so the compiler checks its
 * definitions against it; Kbuild runs bindgen on it (rust/glue/glue_generated.rs, included by
 * rust/glue.rs), so no Rust file declares a C prototype by hand.
 *
 * Each file serves the Rust module of its name: threads.c the walk (rust/threads.rs),
 * walker.c the walker's kernel thread (rust/walker.rs), cgroup_walk.c cgroups
 * (rust/cgroup_walk.rs), attribution.c load attribution (rust/attribution.rs), proc_files.c
 * procfs (rust/proc_files.rs), virtualize.c the probes of virtualize=1 (rust/virtualize.rs).
 * The kernel's own structs are only named here, never laid out, so bindgen makes them opaque
 * types (but task_struct, which Kbuild takes from the kernel crate's bindings), and the header
 * needs no kernel header but types.h.
 */
#ifndef LOADAVG_RS_GLUE_H
#define LOADAVG_RS_GLUE_H

#include <linux/types.h>

struct cgroup;
struct pid;
struct proc_dir_entry;
struct seq_file;
struct task_struct;

/* threads.c: the walk's steps through the task lists, what it reads of a task, avenrun. */

/*
 * The facts of one task, as bits of struct loadavg_rs_run's facts (rust/model/accounting.rs
 * says what each one means to the counts).
 */
enum loadavg_rs_fact {
	LOADAVG_RS_ON_RQ = 1U << 0,
	LOADAVG_RS_CONTRIB = 1U << 1,
	LOADAVG_RS_IOWAIT = 1U << 2,
	LOADAVG_RS_KTHREAD = 1U << 3,
	LOADAVG_RS_NEW = 1U << 4,
	LOADAVG_RS_THROTTLED = 1U << 5,
	LOADAVG_RS_DELAYED = 1U << 6,
	LOADAVG_RS_WALKER = 1U << 7,
	LOADAVG_RS_PROXIED = 1U << 8,
};

/* Where a walk is: @t, the next thread to read, of process @g; @t NULL: no thread left. */
struct loadavg_rs_cursor {
	struct task_struct *g;
	struct task_struct *t;
};

/*
 * Threads read one after the other with the same facts, in the same cgroup; when tasks are
 * asked for, a task with any fact is a run of its own, with its task.
 */
struct loadavg_rs_run {
	/* Their cgroup (v2), valid under the RCU read lock they were read under, or NULL. */
	struct cgroup *cgroup;
	/* The run's one task, valid under that lock too; NULL unless tasks were asked for. */
	struct task_struct *task;
	/* Their facts (enum loadavg_rs_fact). */
	unsigned int facts;
	/* How many: at least 1. */
	unsigned int threads;
};

/* Under RCU: @c at the walk's first thread. */
void loadavg_rs_walk_first(struct loadavg_rs_cursor *c);
/* Under RCU: up to @max_threads threads from @c on, in at most @max_runs runs (threads.c). */
unsigned int loadavg_rs_read_threads(struct loadavg_rs_cursor *c, unsigned int max_threads,
				     bool cgroups, bool tasks, struct loadavg_rs_run *runs,
				     unsigned int max_runs, unsigned int *threads);
/*
 * Tests only: a pause of @us microseconds between the read of on_rq and the others, and of ten
 * times that between a stack's unwind and the checks after it.
 */
void loadavg_rs_set_test_state_delay(unsigned int us);
unsigned int loadavg_rs_test_state_delay(void);
/* The kernel's avenrun, copied into @loads. */
void loadavg_rs_kernel_avenrun(unsigned long loads[3]);

/* How a lock break of the walk ended (loadavg_rs_lock_break()). */
enum loadavg_rs_break {
	/* Both tasks held are still on their lists: the walk goes on. */
	LOADAVG_RS_BREAK_GO,
	/* One of them exited meanwhile: its place in the lists is lost, the walk starts again. */
	LOADAVG_RS_BREAK_RESTART,
	/* The walker is asked to stop. */
	LOADAVG_RS_BREAK_STOP,
};

/* rcu_lock_break() of kernel/hung_task.c, holding process @g and its thread @t across it. */
enum loadavg_rs_break loadavg_rs_lock_break(struct task_struct *g, struct task_struct *t);

/* walker.c: the walker's kernel thread. */

struct loadavg_rs_walker;

extern const size_t loadavg_rs_walker_bytes;
struct loadavg_rs_walker *loadavg_rs_walker_alloc(void);
void loadavg_rs_walker_free(struct loadavg_rs_walker *w);
/* @fifo: SCHED_FIFO at the lowest real-time priority; else a normal task. */
int loadavg_rs_walker_start(struct loadavg_rs_walker *w, void (*walk)(const void *data),
			    const void *data, bool fifo);
/* Also records avenrun for that walk; one kick at a time, with preemption off. */
void loadavg_rs_walker_kick(struct loadavg_rs_walker *w);
void loadavg_rs_walker_avenrun_at_kick(struct loadavg_rs_walker *w, unsigned long loads[3]);
void loadavg_rs_walker_stop(struct loadavg_rs_walker *w);
/* synchronize_rcu() asleep as TASK_IDLE, so that the waiting thread is never load. */
void loadavg_rs_synchronize_rcu_noload(void);
void loadavg_rs_sleep_noload(void);

/* cgroup_walk.c: cgroups (v2). */

struct cgroup *loadavg_rs_cgroup_parent(struct cgroup *cg);
struct cgroup *loadavg_rs_cgroup_ancestor(struct cgroup *cg, int level);
int loadavg_rs_cgroup_level(struct cgroup *cg);
u64 loadavg_rs_cgroup_id(struct cgroup *cg);
struct cgroup *loadavg_rs_root_cgroup(void);
bool loadavg_rs_cgroup_tryget_online(struct cgroup *cg);
void loadavg_rs_cgroup_get(struct cgroup *cg);
void loadavg_rs_cgroup_put(struct cgroup *cg);
bool loadavg_rs_cgroup_removed(struct cgroup *cg);
unsigned int loadavg_rs_cgroup_subtree_count(struct cgroup *cg);
struct cgroup *loadavg_rs_reader_ns_root(void);
bool loadavg_rs_current_cgroup(struct cgroup *ns_root, u64 *id, int *level);
bool loadavg_rs_cgroup_is_descendant(struct cgroup *cg, struct cgroup *ancestor);
int loadavg_rs_cgroup_path_from(struct cgroup *cg, struct cgroup *from, char *buf, size_t len);
/* The resources of struct loadavg_rs_psi: cpu, then io. */
#define LOADAVG_RS_PSI_RESOURCES 2

/* A cgroup's pressure state, "some", for rust/model/pressure.rs (its struct Pressure). */
struct loadavg_rs_psi {
	unsigned long avg[LOADAVG_RS_PSI_RESOURCES][3];
	u64 total[LOADAVG_RS_PSI_RESOURCES];
	u64 avg_total[LOADAVG_RS_PSI_RESOURCES];
	u64 next_update;
	u64 last_update;
	u64 now;
	u64 period;
	bool clock_stopped;
};

/* Process context (it takes the group's mutex). */
bool loadavg_rs_cgroup_psi(struct cgroup *cg, struct loadavg_rs_psi *p);

/* attribution.c: a task's process and kernel stack, symbols, and what a reader may see. */

/* The length of a task's comm (TASK_COMM_LEN, checked in attribution.c). */
#define LOADAVG_RS_COMM_LEN 16

struct pid *loadavg_rs_task_process(struct task_struct *t, int *tgid, char *comm);
void loadavg_rs_pid_get(struct pid *pid);
void loadavg_rs_pid_put(struct pid *pid);
/*
 * The frames stored; 0 when the task is not blocked or the kernel has no CONFIG_STACKTRACE;
 * -EAGAIN when it ran or woke during the unwind (the frames are not kept).
 */
int loadavg_rs_task_stack(struct task_struct *t, unsigned long *entries, unsigned int max);
bool loadavg_rs_can_unwind(void);
int loadavg_rs_symbol(unsigned long addr, char *buf, size_t len);
bool loadavg_rs_pid_exited(struct pid *pid);
int loadavg_rs_pid_vnr(struct pid *pid);
bool loadavg_rs_reader_in_init_pid_ns(void);
bool loadavg_rs_reader_may_see_stacks(void);
int loadavg_rs_pid_cgroup_path(struct pid *pid, struct cgroup *ns_root, char *buf, size_t len);
/* Module text going away: loadavg_rs_code_going() is called for it, in process context. */
int loadavg_rs_watch_code(void *data);
void loadavg_rs_unwatch_code(void);
/* Defined in Rust (rust/sampler.rs): the @size bytes of code at @start are going away. */
void loadavg_rs_code_going(void *data, unsigned long start, unsigned int size);

/* virtualize.c: a container's own load through sysinfo() and /proc/loadavg. */

struct loadavg_rs_virt;

int loadavg_rs_virtualize_start(const void *data, struct loadavg_rs_virt **out);
void loadavg_rs_virtualize_stop(struct loadavg_rs_virt *v);
bool loadavg_rs_virtualize_stats(u64 *missed, u64 *host_figures);
/*
 * Defined in Rust (rust/virtualize.rs), called by the probes' pre-handlers, with preemption off
 * (on ftrace) or as an NMI (on a breakpoint), so under the RCU read lock alone: the figures
 * of the cgroup @id at depth @level for readers inside it (its averages of `all`, and its
 * tasks on a runqueue), false if it has none that are its own.
 */
bool loadavg_rs_container_figures(const void *data, u64 id, int level, unsigned long *loads,
				  unsigned int *running);

/* proc_files.c: procfs. */

/* Who may read a file (rust/model/files.rs, Access). */
enum loadavg_rs_access {
	/* Everyone: mode 0444. */
	LOADAVG_RS_EVERYONE,
	/* Root alone: mode 0400. */
	LOADAVG_RS_ROOT,
	/*
	 * Root with CAP_SYS_ADMIN and CAP_SYS_PTRACE in the initial user namespace, as
	 * /proc/PID/stack of any process: mode 0400, and the capabilities checked at open.
	 */
	LOADAVG_RS_ADMIN,
};

struct proc_dir_entry *loadavg_rs_proc_create(const char *name, void *data,
					      enum loadavg_rs_access access);
void loadavg_rs_proc_remove(struct proc_dir_entry *entry);
int loadavg_rs_last_pid(void);
/* Defined in Rust (rust/proc_files.rs): prints the file whose data is @data. */
int loadavg_rs_show(struct seq_file *m, void *data);
/* Defined in Rust (rust/proc_files.rs): about how many bytes that file prints now. */
size_t loadavg_rs_size_hint(void *data);

#endif /* LOADAVG_RS_GLUE_H */
