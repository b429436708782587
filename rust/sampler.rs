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

use kernel::impl_has_hr_timer;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};
use kernel::time::hrtimer::{
    HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerPointer, HrTimerRestart,
    RelativeHardMode,
};
use kernel::time::{Delta, Instant, Monotonic};

use crate::config::Config;
use crate::engine::{Engine, Jiffies};
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
    #[pin]
    engine: RawSpinLockIrq<Engine>,
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
                engine <- new_raw_spinlock_irq!(engine, "loadavg_rs_engine"),
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
        *self.engine.lock()
    }

    /// The time from now until half a tick after jiffy `due`, so that the tick that makes
    /// `due` current has certainly happened when the timer fires.
    fn delay_until(&self, due: Jiffies) -> Delta {
        let ticks = due.wrapping_sub(threads::jiffies()) as isize;
        let ticks = i64::try_from(ticks.max(0)).unwrap_or(i64::MAX);
        Delta::from_nanos(
            ticks
                .saturating_mul(self.tick_ns)
                .saturating_add(self.tick_ns / 2),
        )
    }

    /// Walks the threads and applies the sample if a window has ended.
    fn tick(&self) {
        let now = threads::jiffies();
        if !self.engine.lock().due(now) {
            return;
        }
        let started = Instant::<Monotonic>::now();
        let counts = threads::count_threads();
        let walk_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(0);
        self.engine.lock().sample(now, counts, walk_ns);
    }

    /// How long until the timer should fire next.
    fn next_delay(&self) -> Delta {
        let next = self.engine.lock().next_due();
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
        ctx.forward_now(this.next_delay());
        HrTimerRestart::Restart
    }
}
