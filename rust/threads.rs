// SPDX-License-Identifier: GPL-2.0

//! The walk over every thread, and the clock: the only places the engine's inputs touch the
//! kernel's memory.
//!
//! The walk is `for_each_process_thread()` written out in Rust (the C macros are not in the
//! bindings): every process on `init_task.tasks`, then every thread on its
//! `signal->thread_head`, under `rcu_read_lock()`, broken every [`STRETCH_THREADS`] threads as
//! the hung-task detector breaks its own walk (`kernel/hung_task.c`). Each thread's facts are
//! read by `rust/task_glue.c` the way the scheduler's lockless readers read them, with no lock
//! the scheduler needs; see [`crate::accounting`] for what they mean.

use core::ptr::{addr_of, read_volatile};

use kernel::bindings;
use kernel::ffi::{c_int, c_void};
use kernel::sync::rcu;

use crate::accounting::{Counts, ThreadState};
use crate::calc_load::Load;
use crate::engine::{Jiffies, Walk};

extern "C" {
    /// Copies the kernel's `avenrun` into `loads` (`rust/proc_glue.c`).
    fn loadavg_rs_kernel_avenrun(loads: *mut [Load; 3]);
}

/// The kernel's own averages, `avenrun`, as they are now (what `/proc/loadavg` prints).
pub fn kernel_avenrun() -> [Load; 3] {
    let mut loads = [0; 3];
    // SAFETY: `loads` is a valid array of three `unsigned long`s (`Load` is `usize`).
    unsafe { loadavg_rs_kernel_avenrun(&mut loads) };
    loads
}

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
    /// Sets the tests' pause between the reads of a task (`rust/task_glue.c`).
    fn loadavg_rs_set_test_state_delay(us: u32);
}

/// The most a test may pause between the reads of one task: 200 µs, so that a stretch of
/// [`STRETCH_THREADS`] threads stays within 26 ms of RCU read section.
pub const MAX_TEST_STATE_DELAY_US: u32 = 200;

/// Tests only: pauses `us` microseconds (at most [`MAX_TEST_STATE_DELAY_US`]) between the read
/// of a task's `on_rq` and its other facts, to widen the window in which a task may block or
/// wake between them. Set before the walker starts.
pub fn set_test_state_delay_us(us: u32) {
    // SAFETY: A plain store of an integer the C side reads with `READ_ONCE`.
    unsafe { loadavg_rs_set_test_state_delay(us.min(MAX_TEST_STATE_DELAY_US)) }
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
const DELAYED: u32 = 1 << 6;
const WALKER: u32 = 1 << 7;

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
        delayed: facts & DELAYED != 0,
        walker: facts & WALKER != 0,
    }
}

/// The most threads a walk visits between two lock breaks: its longest stretch with the RCU
/// read lock held (and, without `CONFIG_PREEMPT_RCU`, its CPU kept).
///
/// A thread costs a few cache misses (its `task_struct` and list links): about 40 ns on
/// hardware, 370 ns under emulation (a 50,039-thread walk took 18.4 ms under TCG), so a stretch
/// of 128 is some 5 µs on hardware. A break costs two reference counts and an RCU
/// unlock/lock, a small fraction of that.
pub const STRETCH_THREADS: u32 = 128;

/// Restarts after which a walk runs to its end without lock breaks, so that it ends even when
/// threads exit at every break (counted in `walks_unbroken`).
pub const MAX_RESTARTS: u32 = 8;

extern "C" {
    /// `rcu_lock_break()` of `kernel/hung_task.c` (`rust/walker_glue.c`): 0 to go on from
    /// `t`, 1 if `g` or `t` exited during the break, 2 if the walker must stop. `g` and `t` are
    /// `struct task_struct *`.
    fn loadavg_rs_lock_break(g: *mut c_void, t: *mut c_void) -> c_int;
}

/// What else a walk does with each thread it counts (per-cgroup counts).
pub trait Visit {
    /// A pass over the lists starts (again, after a restart): forget the threads visited.
    fn start(&mut self);
    /// The walk is about to leave the RCU read-side critical section: anything kept from it
    /// but the threads the break holds may be freed before the next [`Visit::thread`].
    fn lock_break(&mut self);
    /// Visits `thread`, whose state the walk just read.
    ///
    /// # Safety
    ///
    /// The caller holds the RCU read lock, and `thread` is a task valid under it.
    unsafe fn thread(&mut self, thread: *mut bindings::task_struct, state: ThreadState);
}

/// How one pass over the lists ended.
enum Pass {
    /// Every thread was visited.
    Done(Counts),
    /// A thread held across a lock break exited: the place in the lists is lost.
    Restart,
    /// The walker is asked to stop (the module is unloading).
    Stop,
}

/// `ktime_get()`, in ns.
fn now_ns() -> i64 {
    // SAFETY: `ktime_get()` may be called from any context once timekeeping runs.
    unsafe { bindings::ktime_get() }
}

/// Nanoseconds from `start` to now, 0 if the clock did not move on.
fn since(start: i64) -> u64 {
    u64::try_from(now_ns().saturating_sub(start)).unwrap_or(0)
}

/// Counts every thread on the system, in stretches of at most [`STRETCH_THREADS`] threads with
/// a lock break between them; `None` if the walker was asked to stop meanwhile.
///
/// Runs in the walker thread (`rust/walker.rs`), which may sleep: the lock breaks let the
/// scheduler run anything waiting, with interrupts on throughout. Every thread that exists from
/// the start of the walk to its end is counted exactly once: a lock break holds the process and
/// the next thread to count, and goes on from there if both are still on their lists. If one of
/// them exited meanwhile, its place in the lists is lost and the walk starts again from the
/// first thread with fresh counts ([`Walk::restarts`]); after [`MAX_RESTARTS`] it walks
/// without breaks ([`Walk::unbroken`]). Threads that come or go during the walk may be seen or
/// not, as with any walk of the lists; the kernel's own counters are equally a snapshot in
/// motion. The walker itself is told apart and counted as a thread only.
///
/// `visit` sees every thread counted, in the same pass (see [`Visit`]).
pub fn count_threads(visit: &mut impl Visit) -> Option<(Counts, Walk)> {
    let start = now_ns();
    let mut walk = Walk::default();
    loop {
        walk.unbroken = walk.restarts >= MAX_RESTARTS;
        match walk_once(&mut walk, visit) {
            Pass::Done(counts) => {
                walk.ns = since(start);
                return Some((counts, walk));
            }
            Pass::Restart => walk.restarts += 1,
            Pass::Stop => return None,
        }
    }
}

/// Notes the end of a stretch that began at `start` and visited `threads` threads.
fn end_stretch(walk: &mut Walk, start: i64, threads: u32) {
    walk.stretch_ns = walk.stretch_ns.max(since(start));
    walk.stretch_threads = walk.stretch_threads.max(threads);
}

/// One pass over every process and every thread, `for_each_process_thread()` written out in
/// Rust, with lock breaks unless `walk.unbroken`.
fn walk_once(walk: &mut Walk, visit: &mut impl Visit) -> Pass {
    let mut counts = Counts::default();
    visit.start();
    let _rcu = rcu::read_lock();
    let mut stretch_start = now_ns();
    let mut in_stretch = 0u32;
    // SAFETY: `init_task` is the static head of the process list; only the address of its
    // `tasks` member is taken here.
    let procs: *mut bindings::list_head = unsafe { &raw mut bindings::init_task.tasks };
    // SAFETY: `procs` is a valid list head, and processes on the list stay valid until an RCU
    // grace period after they are unlinked, which cannot end while the read lock is held.
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
            if in_stretch >= STRETCH_THREADS && !walk.unbroken {
                end_stretch(walk, stretch_start, in_stretch);
                walk.breaks = walk.breaks.saturating_add(1);
                visit.lock_break();
                // SAFETY: `task` and `thread` are valid under the read lock we hold. The call
                // pins both with references, leaves the read-side critical section and enters
                // it again, so the guard `_rcu` is still balanced. Every other pointer taken
                // before it may be stale after it; only `task` (with `threads`, in its `signal`,
                // which lives as long as it) and `thread` are used again, and only if the call
                // found both still on their lists, where RCU keeps them and their successors
                // valid from the new critical section on.
                match unsafe { loadavg_rs_lock_break(task.cast(), thread.cast()) } {
                    0 => {}
                    1 => return Pass::Restart,
                    _ => return Pass::Stop,
                }
                stretch_start = now_ns();
                in_stretch = 0;
            }
            // SAFETY: `thread` is on an RCU list we hold the read lock for.
            let state = unsafe { state_of(thread) };
            counts.add(state);
            // SAFETY: As above.
            unsafe { visit.thread(thread, state) };
            in_stretch += 1;
            // SAFETY: As for `next(threads)` above.
            t = unsafe { next(&raw const (*thread).thread_node) };
        }
        // SAFETY: As for `next(procs)` above.
        p = unsafe { next(&raw const (*task).tasks) };
    }
    end_stretch(walk, stretch_start, in_stretch);
    Pass::Done(counts)
}
