// SPDX-License-Identifier: GPL-2.0

//! The walk over every thread, and the clock: the only places the engine's inputs touch the
//! kernel's memory.
//!
//! The walk is `for_each_process_thread()` written out in Rust (the C macros are not in the
//! bindings): every process on `init_task.tasks`, then every thread on its
//! `signal->thread_head`, all under `rcu_read_lock()`, as the kernel's own RCU walkers do
//! (hung-task detection, `/proc`). Each thread's facts are read by `rust/task_glue.c` the way
//! the scheduler's lockless readers read them, with no lock the scheduler needs; see
//! [`crate::accounting`] for what they mean. Threads that come and go during the walk may be seen or not, as with any RCU
//! walk; the kernel's own counters are equally a snapshot in motion.

use core::ptr::{addr_of, read_volatile};

use kernel::bindings;
use kernel::ffi::c_void;
use kernel::sync::rcu;

use crate::accounting::{Counts, ThreadState};
use crate::engine::Jiffies;

/// The current jiffies, read once.
pub fn jiffies() -> Jiffies {
    // SAFETY: `jiffies` is a valid, always-mapped kernel variable that the tick updates; a
    // volatile read of it is the C side's own access (`jiffies` is declared `volatile`).
    unsafe { read_volatile(addr_of!(bindings::jiffies)) as Jiffies }
}

/// Reads one `list_head::next` the way `list_for_each_entry_rcu()` does (`READ_ONCE`).
///
/// # Safety
///
/// `head` must point to a `list_head` that stays valid for the caller's RCU read-side
/// critical section.
unsafe fn next(head: *const bindings::list_head) -> *mut bindings::list_head {
    // SAFETY: By the caller's guarantee, `head` is valid to read.
    unsafe { read_volatile(addr_of!((*head).next)) }
}

extern "C" {
    /// The facts of one task as `LOADAVG_RS_*` bits (`rust/task_glue.c`). `task` is a
    /// `const struct task_struct *`, passed as `void *`: some of its members are structs that
    /// are empty in some configurations, which Rust does not accept in a C signature.
    fn loadavg_rs_task_state(task: *const c_void) -> u32;
}

// The bits of `loadavg_rs_task_state()`'s value, as `rust/task_glue.c` defines them.
const ON_RQ: u32 = 1 << 0;
const CONTRIB: u32 = 1 << 1;
const IOWAIT: u32 = 1 << 2;
const KTHREAD: u32 = 1 << 3;
const NEW: u32 = 1 << 4;
const THROTTLED: u32 = 1 << 5;

/// What the scheduler says of one thread.
///
/// # Safety
///
/// `task` must point to a `task_struct` that stays valid for the caller's RCU read-side
/// critical section.
unsafe fn state_of(task: *const bindings::task_struct) -> ThreadState {
    // SAFETY: By the caller's guarantee, `task` is valid to read for the call. The C helper
    // reads `on_rq` with acquire (pairing with the release in `__block_task()`), the bitfields
    // with `data_race()`, and writes nothing.
    let facts = unsafe { loadavg_rs_task_state(task.cast()) };
    ThreadState {
        on_rq: facts & ON_RQ != 0,
        contributes_to_load: facts & CONTRIB != 0,
        in_iowait: facts & IOWAIT != 0,
        kthread: facts & KTHREAD != 0,
        new: facts & NEW != 0,
        throttled: facts & THROTTLED != 0,
    }
}

/// Counts every thread on the system.
///
/// Runs in any context (the sampler calls it from its hard-interrupt timer): it takes only the
/// RCU read lock, never sleeps and never allocates. The thread it interrupted, if any, is
/// running and counts as such, exactly as the kernel's tick counts it.
pub fn count_threads() -> Counts {
    let mut counts = Counts::default();
    let _rcu = rcu::read_lock();
    // SAFETY: `init_task` is the static head of the process list; only the address of its
    // `tasks` member is taken here.
    let procs: *mut bindings::list_head = unsafe { &raw mut bindings::init_task.tasks };
    // SAFETY: `procs` is a valid list head, and processes on the list stay valid until an RCU
    // grace period after they are unlinked, which cannot end while `_rcu` is held.
    let mut p = unsafe { next(procs) };
    while p != procs {
        // SAFETY: Every entry of the `init_task.tasks` list but its head is the `tasks` member
        // of a `task_struct`.
        let task: *mut bindings::task_struct =
            unsafe { kernel::container_of!(p, bindings::task_struct, tasks) };
        // SAFETY: `task` is valid under RCU (above); `signal` is set at fork and freed only with
        // the last reference to the task (`__put_task_struct()`), after a grace period.
        let signal = unsafe { read_volatile(addr_of!((*task).signal)) };
        // SAFETY: `signal` is valid as long as `task` is.
        let threads: *mut bindings::list_head = unsafe { &raw mut (*signal).thread_head };
        // SAFETY: Threads on `thread_head` are unlinked with `list_del_rcu()` (`__unhash_process()`)
        // and freed after a grace period, so the list may be walked under RCU.
        let mut t = unsafe { next(threads) };
        while t != threads {
            // SAFETY: Every entry of `thread_head` but its head is the `thread_node` of a
            // `task_struct`.
            let thread: *mut bindings::task_struct =
                unsafe { kernel::container_of!(t, bindings::task_struct, thread_node) };
            // SAFETY: `thread` is on an RCU list we hold the read lock for.
            counts.add(unsafe { state_of(thread) });
            // SAFETY: As for `next(threads)` above.
            t = unsafe { next(&raw const (*thread).thread_node) };
        }
        // SAFETY: As for `next(procs)` above.
        p = unsafe { next(&raw const (*task).tasks) };
    }
    counts
}
