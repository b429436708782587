// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF peer of loadavg_rs's walk, for `make bench`: what the module counts, counted the way
 * eBPF tools walk every thread (0x.tools xcapture v3 does it with the same iterator), so that
 * the two can be timed side by side. Built by scripts/bench/build-bpf-peer.sh, loaded and run by
 * peer.c, which computes the load averages from the counts.
 *
 * One pass is one full run of a task iterator (SEC("iter/task")): the program runs once per
 * thread, then once more with ctx->task == NULL, where it prints one line:
 *
 *   pass threads T runnable R delayed X uninterruptible D iowait I blocked B kthreads K
 *   cgroups C ns N
 *
 * N is bpf_ktime_get_ns() at that last call minus at the first thread's. It counts per thread
 * what rust/model/accounting.rs (Counts::add_many()) counts, from the facts
 * rust/glue/threads.c (task_facts()) reads, in the same order:
 *
 * - on_rq, sched_contributes_to_load and in_iowait first: a thread off its runqueue with
 *   neither bit is a thread and nothing else (the hot path, most threads);
 * - any other thread is also read for se.sum_exec_runtime, __state, flags and se.sched_delayed:
 *   a new task (TASK_NEW, or off its runqueue and never run) and the walker (the thread that
 *   reads the iterator, peer.c's) count as threads only; on a runqueue, a delayed dequeue
 *   counts in delayed, else in runnable; off it, contributing to load counts in
 *   uninterruptible (and in blocked unless in IO wait), in_iowait counts in iowait; kernel
 *   threads among the runnable, delayed or uninterruptible count in kthreads.
 *
 * Per cgroup v2 (key: the cgroup's id, cgroup_id(): its kernfs node id), the same counts in a
 * hash map bounded at MAX_CGROUPS, as the module's per-cgroup table; a thread's cgroup is read
 * only when its css_set differs from the previous thread's, as the module does, and the
 * threads in between are added to their cgroup's row at once. Rows no thread of a pass touched
 * (removed cgroups, emptied ones) are deleted at the end of that pass.
 *
 * What the peer does NOT mirror, and why:
 *
 * - CFS bandwidth (p->throttled) and deadline (dl.dl_throttled) throttling: a throttled task
 *   keeps on_rq and counts as runnable here; the module counts it apart, in no definition. The
 *   summary line has no such count, and the benchmark's guest throttles nothing.
 * - Proxy-execution donors (CONFIG_SCHED_PROXY_EXEC, p->is_blocked off its CPU): counted as
 *   runnable here, as blocked (and in all) by the module. Debian's kernel, the one this peer
 *   runs on, has no proxy execution.
 * - The module's seqcount-style re-read: for a thread off the hot path it reads
 *   se.sum_exec_runtime, then on_rq a second time, with acquire, and the bits again after it;
 *   the peer reads each fact once, on_rq first, a compiler barrier keeping it before the
 *   others (x86 keeps loads in order; weakly ordered CPUs may not: the BPF load-acquire
 *   instruction is newer than the clang-19 this is built with). A thread that
 *   blocks or wakes between the reads may count where neither the old nor the new state
 *   would. The bits are plain loads of their word (BPF_CORE_READ_BITFIELD).
 * - The walk itself: the iterator steps by PID in the reader's PID namespace (find_ge_pid(),
 *   a reference taken and dropped per task, the program called once per task under its own
 *   rcu_read_lock()), not along the task lists as for_each_process_thread() and the module
 *   do, and it may reschedule between any two tasks; it sees only threads with a PID in that
 *   namespace (run it in the initial one). Threads that exit or fork meanwhile are seen or
 *   not, as in either walk.
 * - The per-cgroup table: rows are flat (a thread in its own cgroup only; the module also adds
 *   every cgroup's counts to its ancestors'), have no averages, and take no cgroup reference;
 *   with the map full, a new cgroup's threads count in the totals only (the module counts them
 *   in their nearest tracked ancestor), and there is no depth bound.
 * - (Not a difference: RT group throttling counts as runnable in both; neither can read it.)
 *
 * One pass at a time: the state lives in one global (an array map), so two readers of the
 * iterator at once would mix their counts.
 */

/*
 * The few UAPI bits this and libbpf's headers need, without <linux/types.h> (whose <asm/types.h>
 * a BPF target has not) and <linux/bpf.h>.
 */
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

#define BPF_MAP_TYPE_HASH	1
#define BPF_NOEXIST		1

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* Named by the pruning callback; bpf_helper_defs.h passes maps as void *. */
struct bpf_map;

/* include/linux/sched.h */
#define TASK_NEW		0x00000800
#define PF_KTHREAD		0x00200000

/* Rows of the per-cgroup map, as loadavg_rs's default max_cgroups (1024) and then some. */
#define MAX_CGROUPS		4096

/* Keeps the compiler from moving the loads after it before it. */
static __always_inline void compiler_barrier(void)
{
	asm volatile("" ::: "memory");
}

/*
 * The kernel types read, as far as this program reads them: CO-RE relocates every access to
 * the running kernel's layout (its BTF), so neither order nor other fields matter.
 */
struct kernfs_node {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup {
	struct kernfs_node *kn;
} __attribute__((preserve_access_index));

struct css_set {
	struct cgroup *dfl_cgrp;
} __attribute__((preserve_access_index));

struct sched_entity {
	__u64 sum_exec_runtime;
	unsigned char sched_delayed;
} __attribute__((preserve_access_index));

struct task_struct {
	unsigned int __state;
	unsigned int flags;
	/* An int before 7.3, a u8 since: read with BPF_CORE_READ_BITFIELD, which takes any size. */
	int on_rq;
	struct sched_entity se;
	unsigned int sched_contributes_to_load:1;
	unsigned int in_iowait:1;
	struct css_set *cgroups;
} __attribute__((preserve_access_index));

/* kernel/bpf/bpf_iter.c, kernel/bpf/task_iter.c */
struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __attribute__((preserve_access_index));

/* struct Counts of rust/model/accounting.rs, without throttled. */
struct counts {
	__u32 threads;
	__u32 runnable;
	__u32 delayed;
	__u32 uninterruptible;
	__u32 iowait;
	__u32 blocked;
	__u32 kthreads;
};

/* One cgroup's row: its threads' counts at the pass that last touched it. */
struct cgroup_row {
	struct counts counts;
	__u64 pass;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct cgroup_row);
} cgroups SEC(".maps");

/* The state of the pass under way (.bss: an array map of one element). */
struct pass_state {
	/* Passes begun: the stamp of the rows this pass has touched. */
	__u64 pass;
	__u64 start_ns;
	/* The task reading the iterator: the walker. */
	__u64 walker;
	/* The css_set of the threads in run, and its cgroup's id. */
	__u64 cset;
	__u64 cgroup_id;
	/* Cgroups with a row this pass. */
	__u32 cgroups;
	/* Every thread's counts, but run's. */
	struct counts total;
	/* The threads since the last change of css_set, added to their row at the next one. */
	struct counts run;
};

struct pass_state state;

static __always_inline void add_counts(struct counts *to, const struct counts *from)
{
	to->threads += from->threads;
	to->runnable += from->runnable;
	to->delayed += from->delayed;
	to->uninterruptible += from->uninterruptible;
	to->iowait += from->iowait;
	to->blocked += from->blocked;
	to->kthreads += from->kthreads;
}

/* Adds the run to the totals and to its cgroup's row, which it makes or resets if needed. */
static __always_inline void end_run(struct pass_state *s)
{
	struct cgroup_row *row;

	if (!s->run.threads)
		return;
	add_counts(&s->total, &s->run);
	row = bpf_map_lookup_elem(&cgroups, &s->cgroup_id);
	if (!row) {
		struct cgroup_row fresh = { .counts = s->run, .pass = s->pass };

		/* A full map: the run counts in the totals only. */
		if (!bpf_map_update_elem(&cgroups, &s->cgroup_id, &fresh, BPF_NOEXIST))
			s->cgroups++;
	} else {
		if (row->pass != s->pass) {
			__builtin_memset(&row->counts, 0, sizeof(row->counts));
			row->pass = s->pass;
			s->cgroups++;
		}
		add_counts(&row->counts, &s->run);
	}
	__builtin_memset(&s->run, 0, sizeof(s->run));
}

/* bpf_for_each_map_elem() callback: deletes a row the pass *@pass has not touched. */
static long prune_row(struct bpf_map *map, __u64 *id, struct cgroup_row *row, __u64 *pass)
{
	if (row->pass != *pass)
		bpf_map_delete_elem(map, id);
	return 0;
}

/* A new css_set: ends the run of the previous one, and reads the cgroup of the new one. */
static __always_inline void start_run(struct pass_state *s, struct css_set *cset)
{
	struct cgroup *cgrp;

	end_run(s);
	s->cset = (__u64)cset;
	s->cgroup_id = 0;
	/* An __rcu pointer, NULL for the verifier: with cset, the chain of cgroup_id(). */
	if (!cset)
		return;
	cgrp = cset->dfl_cgrp;
	if (cgrp && cgrp->kn)
		s->cgroup_id = cgrp->kn->id;
}

/* Counts @t in the run, as task_facts() reads it and Counts::add_many() counts it. */
static __always_inline void count_thread(struct pass_state *s, struct task_struct *t)
{
	struct counts *c = &s->run;
	int on_rq, contrib, iowait, delayed = 0;
	unsigned int state;
	__u64 ran;

	c->threads++;
	/* First, as the module (which reads it with acquire): see the header. */
	on_rq = BPF_CORE_READ_BITFIELD(t, on_rq);
	compiler_barrier();
	contrib = BPF_CORE_READ_BITFIELD(t, sched_contributes_to_load);
	iowait = BPF_CORE_READ_BITFIELD(t, in_iowait);
	if (!on_rq && !contrib && !iowait)
		return;

	ran = t->se.sum_exec_runtime;
	state = t->__state;
	/* Made by fork(), not yet woken; or the walker: a thread and nothing else. */
	if ((state & TASK_NEW) || (!on_rq && !ran) || (__u64)t == s->walker)
		return;
	/* Since 6.12 (EEVDF's DELAY_DEQUEUE). */
	if (bpf_core_field_exists(t->se.sched_delayed))
		delayed = t->se.sched_delayed;
	if ((t->flags & PF_KTHREAD) && (on_rq || contrib))
		c->kthreads++;
	if (on_rq) {
		if (delayed)
			c->delayed++;
		else
			c->runnable++;
		return;
	}
	if (contrib) {
		c->uninterruptible++;
		if (!iowait)
			c->blocked++;
	}
	if (iowait)
		c->iowait++;
}

SEC("iter/task")
int peer(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct pass_state *s = &state;
	struct css_set *cset;
	__u64 pass;

	if (!t) {
		/* Past the last thread: once per pass (and never before the first thread). */
		if (!s->start_ns)
			return 0;
		end_run(s);
		pass = s->pass;
		bpf_for_each_map_elem(&cgroups, prune_row, &pass, 0);
		BPF_SEQ_PRINTF(seq,
			       "pass threads %u runnable %u delayed %u uninterruptible %u iowait %u blocked %u kthreads %u cgroups %u ns %llu\n",
			       s->total.threads, s->total.runnable, s->total.delayed,
			       s->total.uninterruptible, s->total.iowait, s->total.blocked,
			       s->total.kthreads, s->cgroups, bpf_ktime_get_ns() - s->start_ns);
		s->start_ns = 0;
		return 0;
	}

	if (ctx->meta->seq_num == 0) {
		/* The first thread of a pass: a fresh state, all but the pass stamp. */
		pass = s->pass + 1;
		__builtin_memset(s, 0, sizeof(*s));
		s->pass = pass;
		s->walker = bpf_get_current_task();
		s->start_ns = bpf_ktime_get_ns();
	}

	cset = t->cgroups;
	if ((__u64)cset != s->cset)
		start_run(s, cset);
	count_thread(s, t);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
