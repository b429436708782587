// SPDX-License-Identifier: GPL-2.0

//! The sampler: a timer that marks the end of each window, and a kernel thread that walks every
//! thread then, feeds the engine and publishes the sample.
//!
//! What each part does and why is told once, in `docs/design.md` ("The sampler"). In the code:
//! the timer ([`Sampler::tick`]) takes no lock and touches two things only, the jiffy the next
//! sample is due at and the kernel's `avenrun` when a window ended ([`Walker::kick`]); the walker
//! ([`Sampler::walk`], in [`crate::walker`]'s thread) owns the engine and the tables behind a
//! mutex that only it and the notifier of code going away take, and publishes one [`Snapshot`]
//! a sample, which every file reads.
//!
//! [`Sampler`] lives in an [`Arc`] shared by the timer, the walker and every proc file. On
//! unload the timer is cancelled first (waiting for a callback in flight), then the walker is
//! stopped (ending a walk at its next lock break and waiting for the thread to exit), and only
//! then can the last reference free anything ([`Running`]).

use core::pin::Pin;

use kernel::ffi::{c_uint, c_void};
use kernel::impl_has_hr_timer;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{rcu, Arc, ArcBorrow, Mutex, UniqueArc};
use kernel::time::hrtimer::{
    HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerPointer, HrTimerRestart,
    RelativeHardMode,
};
use kernel::time::{ClockSource, Delta, Instant, Monotonic};

use crate::attribution::Attributed;
use crate::cgroup_walk::Cgroups;
use crate::glue;
use crate::model::calc_load::Load;
use crate::model::cgroup_view;
use crate::model::config::Config;
use crate::model::config::WalkerPolicy;
use crate::model::engine::{due_after, nanos_until_due, time_before, Engine, Jiffies};
use crate::model::history::Sampled;
use crate::rcu_arc::RcuArc;
use crate::snapshot::{self, Snapshot};
use crate::threads::{self, Run, Visit};
use crate::walker::Walker;

/// Nanoseconds per second.
const NSEC_PER_SEC: i64 = 1_000_000_000;

/// The timer, the walker, and what the walker publishes.
#[pin_data]
pub struct Sampler {
    #[pin]
    timer: HrTimer<Sampler>,
    /// The jiffy at which the next sample is due, as the engine said after the last sample: the
    /// walker writes it, the timer reads it.
    next_due: Atomic<Jiffies>,
    /// The length of a window in ticks.
    period_ticks: Jiffies,
    /// What the walks change: the walker's alone (readers never take this lock), held for a
    /// whole walk.
    #[pin]
    walked: Mutex<Walked>,
    /// The last sample, for readers under the RCU read lock alone: they never wait for a walk,
    /// and take no lock.
    published: RcuArc<Snapshot>,
    /// The kernel thread that walks.
    walker: Walker,
    /// Length of one tick in nanoseconds.
    tick_ns: i64,
    /// Tests only: the first sample comes this long after the start instead of one period, as
    /// if the timer had been held back (module parameter `test_hold_ms`); 0 if not.
    hold_ms: u32,
}

impl_has_hr_timer! {
    impl HasHrTimer<Sampler> for Sampler {
        mode: RelativeHardMode<Monotonic>,
        field: self.timer
    }
}

/// What the walker keeps between walks.
struct Walked {
    /// The engine and its recent samples, advanced together.
    sampled: KBox<Sampled>,
    /// The table the walks fill.
    cgroups: Cgroups,
    /// The keys of load attribution.
    attributed: Attributed,
    /// A snapshot no reader holds any more, whose memory the next publication reuses.
    spare: Option<Pin<UniqueArc<Snapshot>>>,
}

/// A walk's visitors: the cgroups' table and the attribution's, each seeing every run.
struct Visitors<'a> {
    cgroups: &'a mut Cgroups,
    attributed: &'a mut Attributed,
}

impl Visit for Visitors<'_> {
    fn wants_cgroups(&self) -> bool {
        self.cgroups.wants_cgroups()
    }

    fn wants_tasks(&self) -> bool {
        self.attributed.wants_tasks()
    }

    fn start(&mut self, unbroken: bool) {
        self.cgroups.start(unbroken);
        self.attributed.start(unbroken);
    }

    fn lock_break(&mut self) {
        self.cgroups.lock_break();
        self.attributed.lock_break();
    }

    fn run(&mut self, run: &Run<'_>) -> u32 {
        self.cgroups
            .run(run)
            .saturating_add(self.attributed.run(run))
    }
}

/// The handle of the timer: dropping it cancels the timer and waits for a callback in flight.
type TimerHandle = <Arc<Sampler> as HrTimerPointer>::TimerHandle;

/// A running sampler, stopped when dropped.
///
/// Dropping it stops watching for code that goes away, cancels the timer (waiting for a
/// callback in flight), then stops the walker (waiting for the thread to exit), in that order:
/// fields drop in the order they are declared.
pub struct Running {
    _code: Option<CodeWatch>,
    _timer: TimerHandle,
    _walker: StopWalker,
}

/// Tells the attribution of the sampler it holds of code that goes away (modules unloaded, or
/// their init code freed), until dropped: `rust/glue/attribution.c`.
struct CodeWatch {
    /// Kept alive for the notifier, which reaches it through a raw pointer.
    _sampler: Arc<Sampler>,
}

impl CodeWatch {
    /// Starts watching for `sampler`.
    fn new(sampler: Arc<Sampler>) -> Result<CodeWatch> {
        let data: *const c_void = Arc::as_ptr(&sampler).cast();
        // SAFETY: `data` points into the sampler's allocation, which the `CodeWatch` keeps alive
        // until its drop has unregistered the notifier that passes it on.
        kernel::error::to_result(unsafe { glue::watch_code(data.cast_mut()) })?;
        Ok(CodeWatch { _sampler: sampler })
    }
}

impl Drop for CodeWatch {
    fn drop(&mut self) {
        // SAFETY: Registered by `new`; returns once no notification is in flight.
        unsafe { glue::unwatch_code() };
    }
}

/// Called by `rust/glue/attribution.c` when the `size` bytes of code at `start` go away.
///
/// # Safety
///
/// `data` must point to a [`Sampler`] that stays alive for the call; process context.
#[no_mangle]
pub unsafe extern "C" fn loadavg_rs_code_going(data: *mut c_void, start: usize, size: c_uint) {
    // SAFETY: The caller guarantees `data` points to a live `Sampler`.
    let sampler = unsafe { &*data.cast::<Sampler>() };
    sampler.forget_code(start, start.saturating_add(size as usize));
}

/// Stops the walker of the sampler it holds when dropped; until then it keeps the sampler,
/// which the walker thread reads, alive.
struct StopWalker(Arc<Sampler>);

impl Drop for StopWalker {
    fn drop(&mut self) {
        // SAFETY: `Running` drops this after the timer handle, so the timer, the only caller of
        // `kick`, is cancelled; `start` ran once, in `Sampler::start`, before this existed.
        unsafe { self.0.walker.stop() };
    }
}

/// What the walker thread runs after each kick.
///
/// # Safety
///
/// `data` must point to a [`Sampler`] that stays alive for the call.
unsafe extern "C" fn walk_entry(data: *const c_void) {
    // SAFETY: The caller guarantees `data` points to a live `Sampler`.
    let sampler = unsafe { &*data.cast::<Sampler>() };
    sampler.walk();
}

impl Sampler {
    /// Creates a sampler with every average at zero, its first window ending one period from
    /// now. With `hold_ms` above 0 (tests only), the first sample comes that late, so that the
    /// windows it missed must be caught up. It tracks up to `max_cgroups` cgroups (0: none),
    /// and attributes the load to up to `max_keys` keys (0: none), unwinding at most `unwinds`
    /// stacks a sample.
    pub fn new(
        config: Config,
        hz: u32,
        hold_ms: u32,
        max_cgroups: usize,
        (max_keys, unwinds): (usize, u32),
    ) -> Result<Arc<Sampler>> {
        let engine = Engine::new(config, threads::jiffies());
        let sampled = snapshot::boxed_new(engine)?;
        let walker = Walker::new()?;
        let cgroups = Cgroups::new(max_cgroups)?;
        let attributed = Attributed::new(max_keys, unwinds)?;
        let first = Snapshot::new(&sampled, cgroups.capacity(), attributed.capacity())?;
        Arc::pin_init(
            pin_init!(Sampler {
                timer <- HrTimer::new(),
                next_due: Atomic::new(engine.next_due()),
                period_ticks: config.period_ticks,
                walked <- new_mutex!(
                    Walked {
                        sampled,
                        cgroups,
                        attributed,
                        spare: None,
                    },
                    "loadavg_rs_walked"
                ),
                published: RcuArc::new(first.into()),
                walker,
                tick_ns: NSEC_PER_SEC / i64::from(hz.max(1)),
                hold_ms,
            }),
            GFP_KERNEL,
        )
    }

    /// Starts the walker thread, scheduled as `policy` says, then the timer; both run until
    /// the returned value is dropped. A sampler starts once: `EBUSY` if its walker runs already.
    pub fn start(self: Arc<Self>, policy: WalkerPolicy) -> Result<Running> {
        let data: *const c_void = Arc::as_ptr(&self).cast();
        // SAFETY: `data` points into the sampler's allocation, which the `StopWalker` made just
        // below keeps alive until it has stopped the thread; the C side refuses a second start
        // with `EBUSY`, and nothing stops this walker before that `StopWalker` is dropped.
        unsafe { self.walker.start(walk_entry, data, policy) }?;
        let walker = StopWalker(self.clone());
        let code = if self.attribution_enabled() {
            Some(CodeWatch::new(self.clone())?)
        } else {
            None
        };
        let first = if self.hold_ms > 0 {
            Delta::from_millis(i64::from(self.hold_ms))
        } else {
            self.delay_until(self.next_due.load(Relaxed))
        };
        Ok(Running {
            _code: code,
            _timer: HrTimerPointer::start(self, first),
            _walker: walker,
        })
    }

    /// The last sample: a reference to it, taken without waiting for a walk in progress.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.published.get_arc()
    }

    /// The time from now until half a tick after jiffy `due` begins ([`nanos_until_due`]).
    fn delay_until(&self, due: Jiffies) -> Delta {
        let jiffies = threads::jiffies();
        // The clock's phase against the tick needs its nanoseconds since boot, which `Instant`
        // keeps to the kernel crate: read them from the clock `Instant<Monotonic>` reads.
        let now_ns = Monotonic::ktime_get();
        Delta::from_nanos(nanos_until_due(now_ns, self.tick_ns, jiffies, due))
    }

    /// The figures a reader inside the container whose root cgroup is `id`, at depth `level`,
    /// reads with `virtualize=1` ([`cgroup_view::container_figures`]), from the rows the walker
    /// last published. A search under the RCU read lock alone: callable in any context,
    /// NMI included (a kprobe on a breakpoint), never waits, allocates and frees nothing.
    pub fn container_figures(&self, id: u64, level: u32) -> Option<([Load; 3], u32)> {
        let guard = rcu::read_lock();
        let snapshot = self.published.get(&guard);
        let view = &snapshot.cgroups;
        cgroup_view::container_figures(&view.rows, id, level, view.short_of_room)
    }

    /// Whether load is attributed (`attribute_keys` > 0).
    fn attribution_enabled(&self) -> bool {
        self.walked.lock().attributed.enabled()
    }

    /// Forgets the attribution's frames into code at `start..end`, which is going away, and
    /// publishes the sample again without them before it is gone.
    fn forget_code(&self, start: usize, end: usize) {
        let mut guard = self.walked.lock();
        let walked = &mut *guard;
        if walked.attributed.forget_frames(start, end) == 0 {
            return;
        }
        self.publish(walked);
    }

    /// In the walker thread: walks the threads and applies the sample, globally, to every
    /// cgroup and to every key of the attribution, if a window has ended; then publishes it.
    fn walk(&self) {
        // The notifier of code going away may hold the lock, for a grace period (rarely: a
        // module unloaded). The walker waits for it a tick at a time as `TASK_IDLE`, never as
        // load: a mutex's waiter sleeps in `TASK_UNINTERRUPTIBLE`, which the kernel counts.
        let mut guard = loop {
            if let Some(guard) = self.walked.try_lock() {
                break guard;
            }
            // SAFETY: The walker's thread, in process context, holding no lock.
            unsafe { glue::sleep_noload() };
        };
        let walked = &mut *guard;
        let now = threads::jiffies();
        if !walked.sampled.engine.due(now) {
            return;
        }
        let seq = walked.sampled.engine.stats().samples + 1;
        walked.cgroups.begin_walk(seq);
        walked.attributed.begin_walk(seq);
        let mut visitors = Visitors {
            cgroups: &mut walked.cgroups,
            attributed: &mut walked.attributed,
        };
        let Some((counts, walk)) = threads::count_threads(&mut visitors) else {
            return;
        };
        let kernel = self.walker.avenrun_at_kick();
        let closed = walked.sampled.sample(now, counts, walk, kernel);
        self.next_due
            .store(walked.sampled.engine.next_due(), Relaxed);
        let decay = walked.sampled.engine.config().decay;
        walked.cgroups.end_walk(&decay, closed);
        walked.attributed.end_walk(&decay, closed);
        self.publish(walked);
    }

    /// Publishes what the walker holds as one [`Snapshot`], reusing the spare snapshot's memory
    /// when no reader holds it any more. If memory runs out, readers keep the previous sample
    /// (each file says which sample it shows). Sleeps for a grace period.
    fn publish(&self, walked: &mut Walked) {
        let next = match walked.spare.take() {
            Some(spare) => spare,
            None => {
                let slots = (walked.cgroups.capacity(), walked.attributed.capacity());
                match Snapshot::new(&walked.sampled, slots.0, slots.1) {
                    Ok(snapshot) => snapshot,
                    Err(_) => return,
                }
            }
        };
        let mut next = next;
        if next
            .fill(&walked.sampled, &walked.cgroups, &walked.attributed)
            .is_err()
        {
            walked.spare = Some(next);
            return;
        }
        let old = self.published.replace(next.into());
        // No reader borrows the old snapshot any more: if one holds a reference of its own, its
        // last reference frees it (putting each cgroup's and process's reference); else it is
        // the next spare.
        walked.spare = Arc::into_unique_or_drop(old).map(|mut spare| {
            spare.clear();
            spare
        });
    }

    /// In the timer: wakes the walker if a window has ended, and returns the jiffy the timer is
    /// due next: the end of the first window that ends after now. When the timer fired before
    /// the jiffy it aimed at began, that is the same jiffy again.
    ///
    /// The due jiffy it reads is the one the walker stored after the last sample; if that walk
    /// is still under way a period later, the timer finds the same window ended and wakes the
    /// walker again, which then catches up every window that ended (as the kernel would).
    fn tick(&self) -> Jiffies {
        let now = threads::jiffies();
        let next = self.next_due.load(Relaxed);
        let due = !time_before(now, next);
        let after = due_after(next, self.period_ticks, now);
        if due {
            // The kick records the kernel's `avenrun` for the sample's record: here, half a tick
            // into the jiffy, rather than after the walk, as the kernel closes its windows in
            // the tick itself, so this read falls on one side of that for certain, and
            // consecutive records see exactly one window of the kernel's.
            // SAFETY: In the timer's callback: hard interrupt context, and never on two CPUs
            // at once; nothing else kicks the walker.
            unsafe { self.walker.kick() };
        }
        after
    }
}

impl HrTimerCallback for Sampler {
    type Pointer<'a> = Arc<Sampler>;

    fn run(
        this: ArcBorrow<'_, Sampler>,
        mut ctx: HrTimerCallbackContext<'_, Sampler>,
    ) -> HrTimerRestart {
        let next = this.tick();
        // Re-armed at an absolute instant: the expiry moves from the one that just passed to
        // `now + delay` in one step. (`forward_now(delay)` would add the delay to the old
        // expiry, so every callback's lateness would shift the next one.)
        let now = Instant::<Monotonic>::now();
        let target = now + this.delay_until(next);
        ctx.forward(now, target - this.timer.expires());
        HrTimerRestart::Restart
    }
}
