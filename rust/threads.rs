// SPDX-License-Identifier: GPL-2.0

//! The walk over every thread, and the clock: the only places the engine's inputs touch the
//! kernel's memory.
//!
//! The walk is `for_each_process_thread()` written out in Rust (the C macros are not in the
//! bindings): every process on `init_task.tasks`, then every thread on its
//! `signal->thread_head`, under `rcu_read_lock()`, broken every [`STRETCH_THREADS`] threads as
//! the hung-task detector breaks its own walk (`kernel/hung_task.c`). Each thread's facts are
//! read by `rust/glue/threads.c` the way the scheduler's lockless readers read them, with no lock
//! the scheduler needs; see [`crate::model::accounting`] for what they mean.

use core::marker::PhantomData;
use core::ptr::{addr_of, read_volatile, NonNull};

use kernel::bindings;
use kernel::sync::rcu;
use kernel::time::{Instant, Monotonic};

use crate::glue;
use crate::model::accounting::{Counts, ThreadState};
use crate::model::calc_load::Load;
use crate::model::config::MAX_TEST_STATE_DELAY_US;
use crate::model::engine::Jiffies;
use crate::model::walks::Walk;

/// The kernel's own averages, `avenrun`, as they are now (what `/proc/loadavg` prints).
pub fn kernel_avenrun() -> [Load; 3] {
    let mut loads = [0; 3];
    // SAFETY: `loads` is a valid array of three `unsigned long`s (`Load` is `usize`).
    unsafe { glue::kernel_avenrun(loads.as_mut_ptr()) };
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

/// Tests only: pauses `us` microseconds (at most [`MAX_TEST_STATE_DELAY_US`]) between the read
/// of a task's `on_rq` and its other facts, to widen the window in which a task may block or
/// wake between them. Set before the walker starts.
pub fn set_test_state_delay_us(us: u32) {
    // SAFETY: A plain store of an integer the C side reads with `READ_ONCE`.
    unsafe { glue::set_test_state_delay(us.min(MAX_TEST_STATE_DELAY_US)) }
}

/// A thread the walk reached on the task lists, valid while the RCU read lock `'g` it was reached
/// under is held: the walk's lock break borrows that lock mutably, so no `Thread` outlives one.
#[derive(Clone, Copy)]
pub struct Thread<'g> {
    /// INVARIANT: A task on the task lists when the walk reached it under the RCU read lock
    /// `'g`, so valid (RCU frees tasks only after a grace period) until that lock is released.
    task: NonNull<bindings::task_struct>,
    _rcu: PhantomData<&'g rcu::Guard>,
}

impl<'g> Thread<'g> {
    /// The thread `task`, as long as `rcu` is held.
    ///
    /// # Safety
    ///
    /// `task` must be a task on the task lists, reached under the RCU read lock `rcu` holds.
    unsafe fn new(_rcu: &'g rcu::Guard, task: NonNull<bindings::task_struct>) -> Thread<'g> {
        // INVARIANT: By the caller's guarantee.
        Thread {
            task,
            _rcu: PhantomData,
        }
    }

    /// The task, valid for as long as `self` (type invariant).
    pub fn as_ptr(self) -> *mut bindings::task_struct {
        self.task.as_ptr()
    }

    /// What the scheduler says of it.
    fn state(self) -> ThreadState {
        // SAFETY: The task is valid for the call (type invariant). The C helper reads `on_rq`
        // with acquire (pairing with the release in `__block_task()`), the bitfields with
        // `data_race()`, and writes nothing.
        let facts = unsafe { glue::task_state(self.as_ptr().cast()) };
        let has = |fact: glue::loadavg_rs_fact| facts & fact != 0;
        ThreadState {
            on_rq: has(glue::LOADAVG_RS_ON_RQ),
            contributes_to_load: has(glue::LOADAVG_RS_CONTRIB),
            in_iowait: has(glue::LOADAVG_RS_IOWAIT),
            kthread: has(glue::LOADAVG_RS_KTHREAD),
            new: has(glue::LOADAVG_RS_NEW),
            throttled: has(glue::LOADAVG_RS_THROTTLED),
            delayed: has(glue::LOADAVG_RS_DELAYED),
            walker: has(glue::LOADAVG_RS_WALKER),
        }
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

/// How a [`lock_break`] ended.
enum Break {
    /// Both tasks held are still on their lists: the walk goes on from the thread.
    Go,
    /// One of them exited during the break: its place in the lists is lost.
    Restart,
    /// The walker is asked to stop (the module is unloading).
    Stop,
}

/// `rcu_lock_break()` of `kernel/hung_task.c`: leaves the RCU read-side critical section `rcu`
/// holds, lets the scheduler run, and enters it again, holding process `g` and its thread `t`
/// by references across the break.
///
/// # Safety
///
/// `g` and `t` must be valid under the read lock `rcu` holds. Every other pointer taken under
/// it may be stale after the call; `g` and `t` too, unless it returns [`Break::Go`].
unsafe fn lock_break(
    _rcu: &mut rcu::Guard,
    g: *mut bindings::task_struct,
    t: *mut bindings::task_struct,
) -> Break {
    // SAFETY: `g` and `t` are valid under the read lock held (caller's guarantee). The call
    // pins both with references, leaves the read-side critical section and enters it again, so
    // the guard is still balanced.
    match unsafe { glue::lock_break(g.cast(), t.cast()) } {
        glue::LOADAVG_RS_BREAK_GO => Break::Go,
        glue::LOADAVG_RS_BREAK_RESTART => Break::Restart,
        _ => Break::Stop,
    }
}

/// What else a walk does with each thread it counts (per-cgroup counts).
pub trait Visit {
    /// A pass over the lists starts (again, after a restart): forget the threads visited.
    fn start(&mut self);
    /// The walk is about to leave the RCU read-side critical section: anything kept from it
    /// but the threads the break holds may be freed before the next [`Visit::thread`].
    fn lock_break(&mut self);
    /// Visits `thread`, whose state the walk just read.
    fn thread(&mut self, thread: Thread<'_>, state: ThreadState);
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

/// A point of the walk's clock (`CLOCK_MONOTONIC`).
type Clock = Instant<Monotonic>;

/// Nanoseconds from `start` to now, 0 if the clock did not move on.
fn since(start: Clock) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(0)
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
    let start = Clock::now();
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
fn end_stretch(walk: &mut Walk, start: Clock, threads: u32) {
    walk.stretch_ns = walk.stretch_ns.max(since(start));
    walk.stretch_threads = walk.stretch_threads.max(threads);
}

/// One pass over every process and every thread, `for_each_process_thread()` written out in
/// Rust, with lock breaks unless `walk.unbroken`.
fn walk_once(walk: &mut Walk, visit: &mut impl Visit) -> Pass {
    let mut counts = Counts::default();
    visit.start();
    let mut rcu = rcu::read_lock();
    let mut stretch_start = Clock::now();
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
                // SAFETY: `task` and `thread` are valid under the read lock `rcu` holds. Every
                // other pointer taken before the break may be stale after it; only `task` (with
                // `threads`, in its `signal`, which lives as long as it) and `thread` are used
                // again, and only if both are still on their lists, where RCU keeps them and
                // their successors valid from the new critical section on.
                match unsafe { lock_break(&mut rcu, task, thread) } {
                    Break::Go => {}
                    Break::Restart => return Pass::Restart,
                    Break::Stop => return Pass::Stop,
                }
                stretch_start = Clock::now();
                in_stretch = 0;
            }
            // SAFETY: `thread` is on an RCU list we hold the read lock for (`container_of!` of a
            // non-null entry is not null).
            let thread = unsafe { Thread::new(&rcu, NonNull::new_unchecked(thread)) };
            let state = thread.state();
            counts.add(state);
            visit.thread(thread, state);
            in_stretch += 1;
            // SAFETY: As for `next(threads)` above.
            t = unsafe { next(&raw const (*thread.as_ptr()).thread_node) };
        }
        // SAFETY: As for `next(procs)` above.
        p = unsafe { next(&raw const (*task).tasks) };
    }
    end_stretch(walk, stretch_start, in_stretch);
    Pass::Done(counts)
}
