// SPDX-License-Identifier: GPL-2.0

//! What each load definition counts.
//!
//! The sampler reads three facts of every thread, the same ones the scheduler's own counters
//! rest on (`kernel/sched/core.c`):
//!
//! - `on_rq`: the thread is on a runqueue, running or waiting for a CPU. This is what
//!   `nr_running()` counts.
//! - `sched_contributes_to_load`: set by `block_task()` when a thread leaves its runqueue in an
//!   uninterruptible sleep that counts as load (not `TASK_NOLOAD`, not frozen). Taken with
//!   `!on_rq`, this is the kernel's `nr_uninterruptible`, the D of Linux's R + D.
//! - `in_iowait`: set by `io_schedule_prepare()` while the thread waits for IO. Taken with
//!   `!on_rq`, this is `nr_iowait()`, the `procs_blocked` of `/proc/stat`. io_uring waits in
//!   iowait while sleeping interruptibly, so IO waiters are not a subset of D.
//!
//! Two more facts keep the counts the kernel's in corners the three do not cover:
//!
//! - a task that `fork()` has made but `wake_up_new_task()` has not yet put on a runqueue
//!   (`TASK_NEW`) carries its parent's `sched_contributes_to_load`; the kernel counts it
//!   nowhere, so it counts only as a thread ([`ThreadState::new`]);
//! - a task of a cgroup that CFS bandwidth control (`cpu.max`) throttles keeps `on_rq` set while
//!   the kernel takes it out of `nr_running` (`throttle_cfs_rq_work()`), and so does a
//!   `SCHED_DEADLINE` task that has used its runtime (`dequeue_dl_entity()`); it is counted as
//!   neither runnable nor blocked, as the kernel counts it, and shown on its own
//!   ([`Counts::throttled`]): demand the limit holds back;
//! - a task that went to sleep while EEVDF owed the others CPU time stays on its runqueue, its
//!   dequeue delayed until it is picked again or woken (`se.sched_delayed`, since 6.12; see
//!   `DELAY_DEQUEUE` in `kernel/sched/fair.c`). The kernel's `nr_running` counts it, and so
//!   does `all`, which must stay `/proc/loadavg`; but it is asleep and wants no CPU, so `cpu`
//!   and `cpuio` leave it out and it is shown on its own ([`Counts::delayed`]);
//! - with proxy execution (`CONFIG_SCHED_PROXY_EXEC`), a task that blocks on a mutex stays on
//!   its runqueue as a donor (`p->is_blocked` set, not delayed; `find_proxy_task()` in
//!   `kernel/sched/core.c`), in `nr_running`: the kernel counts it as runnable, `all` counts it
//!   too, but it waits for a lock, so it counts as blocked, not as CPU demand
//!   ([`ThreadState::proxied`]);
//! - the walker itself, running while it counts, is a thread and nothing else: it is the
//!   sampler's own work, not the load it measures ([`ThreadState::walker`]).
//!
//! From those counts come the accountings, each a load average of its own
//! ([`Accounting`]).

/// What the sampler reads of one thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadState {
    /// On a runqueue: running or runnable.
    pub on_rq: bool,
    /// Left its runqueue in an uninterruptible sleep that counts as load.
    pub contributes_to_load: bool,
    /// Waiting for IO.
    pub in_iowait: bool,
    /// A kernel thread (`PF_KTHREAD`): counted like any thread, and also on its own, so that
    /// a reader can tell the kernel's own transient work from user tasks.
    pub kthread: bool,
    /// Made by `fork()`, not yet woken for the first time (`TASK_NEW`).
    pub new: bool,
    /// Held off its runqueue by CFS bandwidth control, or by its own deadline bandwidth, while
    /// `on_rq` stays set.
    pub throttled: bool,
    /// Asleep, but still on its runqueue until its delayed dequeue (`se.sched_delayed`).
    pub delayed: bool,
    /// Blocked on a mutex, but kept on its runqueue by proxy execution (`p->is_blocked`).
    pub proxied: bool,
    /// The thread doing the walk.
    pub walker: bool,
}

impl ThreadState {
    /// A thread asleep interruptibly, no fact set: counted as a thread only.
    pub const ASLEEP: ThreadState = ThreadState {
        on_rq: false,
        contributes_to_load: false,
        in_iowait: false,
        kthread: false,
        new: false,
        throttled: false,
        delayed: false,
        proxied: false,
        walker: false,
    };
}

/// Threads of the kinds the tests count.
#[cfg(any(test, CONFIG_KUNIT = "y"))]
impl ThreadState {
    /// On a runqueue (R).
    pub const RUNNABLE: ThreadState = ThreadState {
        on_rq: true,
        ..ThreadState::ASLEEP
    };
    /// Blocked in IO wait (D, in iowait).
    pub const IO_WAIT: ThreadState = ThreadState {
        contributes_to_load: true,
        in_iowait: true,
        ..ThreadState::ASLEEP
    };
    /// Blocked, uninterruptible, not for IO (D: a lock, or another wait).
    pub const LOCK_WAIT: ThreadState = ThreadState {
        contributes_to_load: true,
        ..ThreadState::ASLEEP
    };
}

/// The counts of one walk over every thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Threads seen.
    pub threads: u32,
    /// On a runqueue (R) and wanting a CPU: running or waiting for one.
    pub runnable: u32,
    /// On a runqueue only because its dequeue is delayed: asleep, yet in the kernel's
    /// `nr_running`, so counted in `all` (R as the kernel sees it) and nowhere else.
    pub delayed: u32,
    /// Blocked, counting as load: off the runqueue (D), or a proxy-execution donor, which the
    /// kernel keeps on it (and so counts in `nr_running`).
    pub uninterruptible: u32,
    /// Off the runqueue, waiting for IO.
    pub iowait: u32,
    /// Blocked, counting as load, not waiting for IO: locks and other waits.
    pub blocked: u32,
    /// Kernel threads among those counted in `all` (runnable or uninterruptible).
    pub kthreads: u32,
    /// Throttled by CFS or deadline bandwidth control: queued in the task's view, not in the
    /// kernel's `nr_running`, counted in no accounting.
    pub throttled: u32,
}

impl Counts {
    /// No thread at all.
    pub const ZERO: Counts = Counts {
        threads: 0,
        runnable: 0,
        delayed: 0,
        uninterruptible: 0,
        iowait: 0,
        blocked: 0,
        kthreads: 0,
        throttled: 0,
    };

    /// Every count at its largest: what prints widest, for the sizes measured from the formats.
    pub const WIDEST: Counts = Counts {
        threads: u32::MAX,
        runnable: u32::MAX,
        delayed: u32::MAX,
        uninterruptible: u32::MAX,
        iowait: u32::MAX,
        blocked: u32::MAX,
        kthreads: u32::MAX,
        throttled: u32::MAX,
    };

    /// Adds `other`'s counts to these: a cgroup's and its children's.
    pub fn merge(&mut self, other: &Counts) {
        self.threads = self.threads.saturating_add(other.threads);
        self.runnable = self.runnable.saturating_add(other.runnable);
        self.delayed = self.delayed.saturating_add(other.delayed);
        self.uninterruptible = self.uninterruptible.saturating_add(other.uninterruptible);
        self.iowait = self.iowait.saturating_add(other.iowait);
        self.blocked = self.blocked.saturating_add(other.blocked);
        self.kthreads = self.kthreads.saturating_add(other.kthreads);
        self.throttled = self.throttled.saturating_add(other.throttled);
    }

    /// Counts one thread.
    pub fn add(&mut self, t: ThreadState) {
        self.add_many(t, 1);
    }

    /// Counts `n` threads in the state `t`: what `n` calls of [`Counts::add`] count (the walk
    /// reads threads in runs of one state).
    pub fn add_many(&mut self, t: ThreadState, n: u32) {
        self.threads = self.threads.saturating_add(n);
        if t.new || t.walker {
            return;
        }
        if t.on_rq && t.throttled {
            self.throttled = self.throttled.saturating_add(n);
            return;
        }
        if t.kthread && (t.on_rq || t.contributes_to_load) {
            self.kthreads = self.kthreads.saturating_add(n);
        }
        if t.on_rq {
            if t.delayed {
                self.delayed = self.delayed.saturating_add(n);
            } else if t.proxied {
                // A lock wait, in `all` as the kernel counts it (in `nr_running`), and in
                // `blocked`; not in `io` (`nr_iowait` counts only tasks off their runqueues).
                self.uninterruptible = self.uninterruptible.saturating_add(n);
                if !t.in_iowait {
                    self.blocked = self.blocked.saturating_add(n);
                }
            } else {
                self.runnable = self.runnable.saturating_add(n);
            }
            return;
        }
        if t.contributes_to_load {
            self.uninterruptible = self.uninterruptible.saturating_add(n);
            if !t.in_iowait {
                self.blocked = self.blocked.saturating_add(n);
            }
        }
        if t.in_iowait {
            self.iowait = self.iowait.saturating_add(n);
        }
    }

    /// The number of active tasks as `accounting` defines them.
    pub fn active(&self, accounting: Accounting) -> u32 {
        match accounting {
            Accounting::Cpu => self.runnable,
            Accounting::Io => self.iowait,
            Accounting::All => self
                .runnable
                .saturating_add(self.delayed)
                .saturating_add(self.uninterruptible),
            Accounting::CpuIo => self.runnable.saturating_add(self.iowait),
            Accounting::Blocked => self.blocked,
        }
    }
}

/// A definition of load: which threads count as active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accounting {
    /// CPU demand: runnable threads only (TENEX, FreeBSD, OpenBSD), without the sleepers whose
    /// dequeue is delayed.
    Cpu,
    /// Disk demand: threads waiting for IO (`in_iowait`).
    Io,
    /// Linux's own definition, on a runqueue plus uninterruptible: `/proc/loadavg` recomputed.
    All,
    /// Physical resources, CPU plus disk: runnable plus IO wait, without lock waits.
    CpuIo,
    /// Uninterruptible waits that are not IO: locks and other software waits.
    Blocked,
}

impl Accounting {
    /// Every accounting, in the order the module's files and tables list them.
    pub const ALL: [Accounting; 5] = [
        Accounting::Cpu,
        Accounting::Io,
        Accounting::All,
        Accounting::CpuIo,
        Accounting::Blocked,
    ];

    /// Short name, as in `/proc/loadavg_<name>` and the table of `/proc/loadavg_rs`.
    pub fn name(self) -> &'static str {
        match self {
            Accounting::Cpu => "cpu",
            Accounting::Io => "io",
            Accounting::All => "all",
            Accounting::CpuIo => "cpuio",
            Accounting::Blocked => "blocked",
        }
    }

    /// Position in [`Accounting::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A count shown beside the definitions' own: tasks that no definition counts, or that one
/// counts and the files show apart. Every file lists them in [`Apart::ALL`]'s order, after the
/// definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apart {
    /// Kernel threads among the tasks `all` counts ([`Counts::kthreads`]).
    Kthreads,
    /// Tasks a bandwidth limit holds off their CPU ([`Counts::throttled`]).
    Throttled,
    /// Sleepers still on a runqueue, counted in `all` only ([`Counts::delayed`]).
    Delayed,
}

impl Apart {
    /// Every count shown apart, in the order the files list them.
    pub const ALL: [Apart; 3] = [Apart::Kthreads, Apart::Throttled, Apart::Delayed];

    /// Its column in the records of `/proc/loadavg_rs_samples` and the rows of
    /// `/proc/loadavg_rs_cgroups`.
    pub fn name(self) -> &'static str {
        match self {
            Apart::Kthreads => "kthreads",
            Apart::Throttled => "throttled",
            Apart::Delayed => "delayed",
        }
    }

    /// Its row in the table of `/proc/loadavg_rs`.
    pub fn row(self) -> &'static str {
        match self {
            Apart::Kthreads => "kernel_threads",
            other => other.name(),
        }
    }

    /// Its metric (`loadavg_rs_<name>`) and the metric's help, if the exposition has it.
    /// Kernel threads are not among the metrics: they are a detail of `all`, for the tables.
    pub fn metric(self) -> Option<(&'static str, &'static str)> {
        match self {
            Apart::Kthreads => None,
            Apart::Throttled => Some((
                "throttled_tasks",
                "Tasks held off their CPU by a bandwidth limit at the last sample.",
            )),
            Apart::Delayed => Some((
                "delayed_tasks",
                "Sleeping tasks still on a runqueue at the last sample (counted in all only).",
            )),
        }
    }

    /// Whether a cgroup's row shows it: kernel threads live in the root cgroup, so cgroup rows
    /// leave the count out.
    pub fn per_cgroup(self) -> bool {
        self != Apart::Kthreads
    }

    /// The count in `counts`.
    pub fn of(self, counts: &Counts) -> u32 {
        match self {
            Apart::Kthreads => counts.kthreads,
            Apart::Throttled => counts.throttled,
            Apart::Delayed => counts.delayed,
        }
    }
}

#[cfg(any(test, CONFIG_KUNIT = "y"))]
mod tests;
