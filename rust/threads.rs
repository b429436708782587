// SPDX-License-Identifier: GPL-2.0

//! The walk over every thread, and the clock: the only places the engine's inputs touch the
//! kernel's memory.
//!
//! The walk is `for_each_process_thread()`: every process on `init_task.tasks`, then every
//! thread on its `signal->thread_head`, under `rcu_read_lock()`, broken every
//! [`STRETCH_THREADS`] threads as the hung-task detector breaks its own walk
//! (`kernel/hung_task.c`). `rust/glue/threads.c` steps through the lists and reads each thread's
//! facts, inline, the way the scheduler's lockless readers read them, with no lock the scheduler
//! needs, into [`Run`]s of threads alike; see [`crate::model::accounting`] for what the facts
//! mean. This file holds the walk's course: its stretches, lock breaks, restarts and clock.

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

/// Tests only: pauses `us` microseconds (at most [`MAX_TEST_STATE_DELAY_US`]) between the
/// (second) read of a task's `on_rq` and its other facts, for every task on a runqueue or with a
/// load bit, to widen the window in which it may block or wake between them. Set before the
/// walker starts.
pub fn set_test_state_delay_us(us: u32) {
    // SAFETY: A plain store of an integer the C side reads with `READ_ONCE`.
    unsafe { glue::set_test_state_delay(us.min(MAX_TEST_STATE_DELAY_US)) }
}

/// Threads the walk read one after the other, with the same facts in the same cgroup, valid
/// while the RCU read lock `'g` they were read under is held: the walk's lock break borrows that
/// lock mutably, so no `Run` outlives one.
pub struct Run<'g> {
    /// Their state.
    pub state: ThreadState,
    /// How many: at least 1.
    pub threads: u32,
    /// INVARIANT: Null (cgroups not asked for), or their cgroup (v2), read under the RCU read lock
    /// `'g`, so valid (a cgroup is freed only a grace period after its last reference goes)
    /// until that lock is released.
    cgroup: *mut glue::cgroup,
    /// INVARIANT: Null (tasks not asked for, or a run of tasks with no fact), or the run's one
    /// task, read from the task lists under the RCU read lock `'g`, so valid (a task is freed
    /// only a grace period after it is unhashed) until that lock is released.
    task: *mut glue::task_struct,
    _rcu: PhantomData<&'g rcu::Guard>,
}

impl<'g> Run<'g> {
    /// The run the C side read into `run`, as long as `rcu` is held.
    ///
    /// # Safety
    ///
    /// `run` must have been filled by `glue::read_threads()` under the RCU read lock `rcu` holds.
    unsafe fn new(_rcu: &'g rcu::Guard, run: &glue::loadavg_rs_run) -> Run<'g> {
        let has = |fact: glue::loadavg_rs_fact| run.facts & fact != 0;
        // INVARIANT: By the caller's guarantee.
        Run {
            state: ThreadState {
                on_rq: has(glue::LOADAVG_RS_ON_RQ),
                contributes_to_load: has(glue::LOADAVG_RS_CONTRIB),
                in_iowait: has(glue::LOADAVG_RS_IOWAIT),
                kthread: has(glue::LOADAVG_RS_KTHREAD),
                new: has(glue::LOADAVG_RS_NEW),
                throttled: has(glue::LOADAVG_RS_THROTTLED),
                delayed: has(glue::LOADAVG_RS_DELAYED),
                proxied: has(glue::LOADAVG_RS_PROXIED),
                walker: has(glue::LOADAVG_RS_WALKER),
            },
            threads: run.threads,
            cgroup: run.cgroup,
            task: run.task,
            _rcu: PhantomData,
        }
    }

    /// The run's one task, for as long as `self`; `None` unless the walk's
    /// [`Visit::wants_tasks`] and the task has a fact.
    pub fn task(&self) -> Option<RcuTask<'_>> {
        // SAFETY: Null or valid under the RCU read lock `'g` (type invariant), which is held for
        // as long as `self` is borrowed.
        unsafe { Rcu::new(self.task) }
    }

    /// Their cgroup, for as long as `self`; `None` unless the walk's [`Visit::wants_cgroups`].
    pub fn cgroup(&self) -> Option<RcuCgroup<'_>> {
        // SAFETY: Null or valid under the RCU read lock `'g` (type invariant), which is held for
        // as long as `self` is borrowed.
        unsafe { Rcu::new(self.cgroup) }
    }
}

/// A kernel object read under the RCU read lock `'g`: valid (not freed) while that lock is held,
/// since tasks and cgroups are freed only a grace period after they leave the lists and lose
/// their last reference, but perhaps dying: a task exiting, a cgroup's count at zero. So no
/// `&T` is made of it (for a cgroup, `ARef::from` would count it up from zero): a reference on a
/// cgroup is taken, if it is still online, with `cgroup_tryget_online()`.
pub struct Rcu<'g, T> {
    /// INVARIANT: Valid while the RCU read lock `'g` is held.
    ptr: NonNull<T>,
    _rcu: PhantomData<&'g rcu::Guard>,
}

impl<T> Clone for Rcu<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Rcu<'_, T> {}

impl<'g, T> Rcu<'g, T> {
    /// `ptr` as read under the RCU read lock `'g`, or `None` if it is null.
    ///
    /// # Safety
    ///
    /// `ptr` must be null or valid while the RCU read lock `'g` is held.
    unsafe fn new(ptr: *mut T) -> Option<Self> {
        // INVARIANT: By the caller's guarantee.
        NonNull::new(ptr).map(|ptr| Rcu {
            ptr,
            _rcu: PhantomData,
        })
    }

    /// The object, valid while `self` is (type invariant).
    pub fn as_ptr(self) -> *mut T {
        self.ptr.as_ptr()
    }
}

/// A cgroup read under the RCU read lock `'g`.
pub type RcuCgroup<'g> = Rcu<'g, glue::cgroup>;

/// A task read under the RCU read lock `'g`; it may be exiting.
pub type RcuTask<'g> = Rcu<'g, glue::task_struct>;

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
    g: *mut glue::task_struct,
    t: *mut glue::task_struct,
) -> Break {
    // SAFETY: `g` and `t` are valid under the read lock held (caller's guarantee). The call
    // pins both with references, leaves the read-side critical section and enters it again, so
    // the guard is still balanced.
    match unsafe { glue::lock_break(g, t) } {
        glue::LOADAVG_RS_BREAK_GO => Break::Go,
        glue::LOADAVG_RS_BREAK_RESTART => Break::Restart,
        _ => Break::Stop,
    }
}

/// What a stack unwound by a [`Visit`] costs, in threads: a stretch of the walk ends when its
/// threads and unwinds together reach [`STRETCH_THREADS`]. An unwind reads a frame of the
/// task's stack and looks its return address up in the unwinder's tables for each of up to
/// [`crate::model::attribution::DEPTH`] frames, about as much as 16 threads' few cache misses;
/// `make bench` measures it (the walk with attribution against without).
pub const UNWIND_COST: u32 = 16;

/// What else a walk does with the threads it counts (per-cgroup counts, load attribution).
pub trait Visit {
    /// Whether each [`Run`] should carry its threads' cgroup.
    fn wants_cgroups(&self) -> bool;
    /// Whether every thread with a fact should be a [`Run`] of its own, with its task.
    fn wants_tasks(&self) -> bool;
    /// A pass over the lists starts (again, after a restart): forget the threads visited. With
    /// `unbroken`, the pass will not break its RCU read section (see [`MAX_RESTARTS`]): it must
    /// do no work beyond the threads' own, which would then add up unbounded.
    fn start(&mut self, unbroken: bool);
    /// The walk is about to leave the RCU read-side critical section: anything kept from it
    /// may be freed before the next [`Visit::run`].
    fn lock_break(&mut self);
    /// Visits the threads of `run`, which the walk just counted; returns the work it did
    /// beyond them, in threads (an unwind is [`UNWIND_COST`]), which counts in the stretch.
    fn run(&mut self, run: &Run<'_>) -> u32;
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
/// `visit` sees every run of threads counted, in the same pass (see [`Visit`]).
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

/// Runs read by one call to the C side: enough that a call reads many threads (all of a
/// stretch when they sleep in one cgroup), few enough for the walker's stack (16 bytes each).
const RUNS: usize = 32;
// A call with no room for a run would read nothing, and the walk would never end.
const _: () = assert!(RUNS > 0);

/// One pass over every process and every thread, in `for_each_process_thread()`'s order, with
/// lock breaks unless `walk.unbroken`. The C side reads the threads, inline, into runs
/// (`glue::read_threads()`); they are counted here.
fn walk_once(walk: &mut Walk, visit: &mut impl Visit) -> Pass {
    let mut counts = Counts::default();
    visit.start(walk.unbroken);
    let cgroups = visit.wants_cgroups();
    let tasks = visit.wants_tasks();
    let mut rcu = rcu::read_lock();
    let mut stretch_start = Clock::now();
    // The stretch's work, in threads (its threads, and its unwinds at `UNWIND_COST` each), which
    // ends it at `STRETCH_THREADS`; and its threads alone, for the walk's figures.
    let mut in_stretch = 0u32;
    let mut stretch_threads = 0u32;
    const NO_RUN: glue::loadavg_rs_run = glue::loadavg_rs_run {
        cgroup: core::ptr::null_mut(),
        task: core::ptr::null_mut(),
        facts: 0,
        threads: 0,
    };
    let mut runs = [NO_RUN; RUNS];
    let mut cursor = glue::loadavg_rs_cursor {
        g: core::ptr::null_mut(),
        t: core::ptr::null_mut(),
    };
    // SAFETY: The RCU read lock is held, under which the call reads the task lists; it writes
    // only `cursor`.
    unsafe { glue::walk_first(&mut cursor) };
    while !cursor.t.is_null() {
        if in_stretch >= STRETCH_THREADS && !walk.unbroken {
            end_stretch(walk, stretch_start, stretch_threads);
            walk.breaks = walk.breaks.saturating_add(1);
            visit.lock_break();
            // SAFETY: The cursor's tasks, the next thread to read and its process, are valid
            // under the read lock `rcu` holds (`read_threads()` left them there under it). The
            // runs read before the break are not used after it; the cursor is, only if both its
            // tasks are still on their lists, where RCU keeps them and their successors valid
            // from the new critical section on.
            match unsafe { lock_break(&mut rcu, cursor.g, cursor.t) } {
                Break::Go => {}
                Break::Restart => return Pass::Restart,
                Break::Stop => return Pass::Stop,
            }
            stretch_start = Clock::now();
            in_stretch = 0;
            stretch_threads = 0;
        }
        let max = if walk.unbroken {
            u32::MAX
        } else {
            STRETCH_THREADS.saturating_sub(in_stretch).max(1)
        };
        // With tasks, each run may cost an unwind: as many runs as the stretch has room for
        // (at least one), so that a stretch's threads and unwinds stay within twice
        // `STRETCH_THREADS`, plus one unwind.
        let max_runs = if tasks && !walk.unbroken {
            (max / UNWIND_COST).clamp(1, RUNS as u32)
        } else {
            RUNS as u32
        };
        let mut read = 0u32;
        // SAFETY: The RCU read lock is held, under which the cursor was set (`walk_first()`, the
        // last `read_threads()`, or before a lock break that found both its tasks on their
        // lists); `runs` has room for `RUNS` runs, and `read` is a valid `u32`.
        let filled = unsafe {
            glue::read_threads(
                &mut cursor,
                max,
                cgroups,
                tasks,
                runs.as_mut_ptr(),
                max_runs,
                &mut read,
            )
        };
        in_stretch = in_stretch.saturating_add(read);
        stretch_threads = stretch_threads.saturating_add(read);
        for run in runs.iter().take(filled as usize) {
            // SAFETY: `read_threads()` filled the first `filled` runs just now, under `rcu`.
            let run = unsafe { Run::new(&rcu, run) };
            counts.add_many(run.state, run.threads);
            in_stretch = in_stretch.saturating_add(visit.run(&run));
        }
    }
    end_stretch(walk, stretch_start, stretch_threads);
    Pass::Done(counts)
}
