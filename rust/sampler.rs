// SPDX-License-Identifier: GPL-2.0

//! The sampler: a timer that walks every thread once per period and feeds the engine.
//!
//! It is a high-resolution timer in hard-interrupt mode, set half a tick after each window
//! ends, in the spirit of the kernel's `calc_global_load()`, which runs from the tick a few
//! ticks after each `LOAD_FREQ` boundary:
//!
//! - In hard-interrupt context no task of the sampler's own exists to be counted, and the
//!   interrupted task, which really is running, counts as running, exactly as at the kernel's
//!   tick. A work item or a kernel thread would count itself (it is on a runqueue while it
//!   walks) and would sample at the scheduler's leisure.
//! - The walk takes only the RCU read lock; the engine sits behind a raw spinlock (the only
//!   kind hard-interrupt code may take, see [`crate::raw_spinlock`]) with interrupts disabled,
//!   that only this timer and the proc readers take, for the time it takes to copy it.
//! - The engine decides from jiffies which windows ended; a timer late by several periods
//!   (a long interrupt-off section, a stalled CPU) closes them all at once with `calc_load_n()`,
//!   as the kernel catches up its own.
//!
//! [`Sampler`] lives in an [`Arc`] shared by the timer and every proc file; the module drops the
//! timer handle, which cancels the timer and waits for a running callback, before it frees
//! anything.

use core::mem::MaybeUninit;

use kernel::bindings;
use kernel::impl_has_hr_timer;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};
use kernel::time::hrtimer::{
    HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerPointer, HrTimerRestart,
    RelativeHardMode,
};
use kernel::time::{Delta, Instant, Monotonic};

use crate::config::Config;
use crate::engine::{nanos_until_due, Engine, Jiffies};
use crate::history::Sampled;
use crate::new_raw_spinlock_irq;
use crate::raw_spinlock::RawSpinLockIrq;
use crate::threads;

/// Nanoseconds per second.
const NSEC_PER_SEC: i64 = 1_000_000_000;

/// The timer and the engine it advances.
#[pin_data]
pub struct Sampler {
    #[pin]
    timer: HrTimer<Sampler>,
    /// The engine and its recent samples, advanced together.
    #[pin]
    state: RawSpinLockIrq<Sampled>,
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

/// A running sampler: dropping it stops the timer and waits for a callback in flight.
pub type SamplerHandle = <Arc<Sampler> as HrTimerPointer>::TimerHandle;

impl Sampler {
    /// Creates a sampler with every average at zero, its first window ending one period from
    /// now. With `hold_ms` above 0 (tests only), the first sample comes that late, so that the
    /// windows it missed must be caught up.
    pub fn new(config: Config, hz: u32, hold_ms: u32) -> Result<Arc<Sampler>> {
        let engine = Engine::new(config, threads::jiffies());
        Arc::pin_init(
            pin_init!(Sampler {
                timer <- HrTimer::new(),
                state <- new_raw_spinlock_irq!(Sampled::new(engine), "loadavg_rs_engine"),
                tick_ns: NSEC_PER_SEC / i64::from(hz.max(1)),
                hold_ms,
            }),
            GFP_KERNEL,
        )
    }

    /// Starts the timer; it runs until the returned handle is dropped.
    pub fn start(self: Arc<Self>) -> SamplerHandle {
        let first = if self.hold_ms > 0 {
            Delta::from_millis(i64::from(self.hold_ms))
        } else {
            self.delay_until(self.snapshot().next_due())
        };
        HrTimerPointer::start(self, first)
    }

    /// A copy of the engine, taken under its lock.
    pub fn snapshot(&self) -> Engine {
        self.state.lock().engine
    }

    /// Copies the engine and its history, as they stand at one instant, into `into`.
    ///
    /// The copy is a few kilobytes: callers keep `into` on the heap, and it is copied there
    /// directly, never through the stack.
    pub fn snapshot_all<'a>(&self, into: &'a mut MaybeUninit<Sampled>) -> &'a mut Sampled {
        let guard = self.state.lock();
        // SAFETY: `into` is valid for writes of one `Sampled` and cannot overlap the locked
        // state, which is valid for reads while `guard` lives; `Sampled` is `Copy`, so a bitwise
        // copy is a valid value, and `into` is initialised after it.
        unsafe {
            core::ptr::copy_nonoverlapping(&*guard, into.as_mut_ptr(), 1);
            into.assume_init_mut()
        }
    }

    /// The time from now until half a tick after jiffy `due` begins ([`nanos_until_due`]).
    fn delay_until(&self, due: Jiffies) -> Delta {
        let jiffies = threads::jiffies();
        // SAFETY: `ktime_get()` may be called from any context once timekeeping runs.
        let now_ns = unsafe { bindings::ktime_get() };
        Delta::from_nanos(nanos_until_due(now_ns, self.tick_ns, jiffies, due))
    }

    /// Walks the threads and applies the sample if a window has ended.
    fn tick(&self) {
        let now = threads::jiffies();
        if !self.state.lock().engine.due(now) {
            return;
        }
        let started = Instant::<Monotonic>::now();
        let counts = threads::count_threads();
        let walk_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(0);
        self.state.lock().sample(now, counts, walk_ns);
    }

    /// How long until the timer should fire next: half a tick into the jiffy that ends the
    /// current window, or, when it fired before that jiffy's tick ran, into that jiffy again.
    fn next_delay(&self) -> Delta {
        let next = self.state.lock().engine.next_due();
        self.delay_until(next)
    }
}

impl HrTimerCallback for Sampler {
    type Pointer<'a> = Arc<Sampler>;

    fn run(
        this: ArcBorrow<'_, Sampler>,
        mut ctx: HrTimerCallbackContext<'_, Sampler>,
    ) -> HrTimerRestart {
        this.tick();
        // Re-armed at an absolute instant: the expiry moves from the one that just passed to
        // `now + delay` in one step. (`forward_now(delay)` would add the delay to the old
        // expiry, so every callback's lateness would shift the next one.)
        let now = Instant::<Monotonic>::now();
        let target = now + this.next_delay();
        ctx.forward(now, target - this.timer.expires());
        HrTimerRestart::Restart
    }
}
