// SPDX-License-Identifier: GPL-2.0

//! The load averages of every accounting, advanced by the clock as the kernel advances its own.
//!
//! The kernel's `calc_global_load()` runs once per `LOAD_FREQ` window: it applies one
//! [`calc_load`] step with the current count, moves its deadline on by one period, and, when
//! the deadline is still behind (NO_HZ idle, a stalled CPU), folds every further missed window
//! into one [`calc_load_n`] step with the same count (`calc_global_nohz()`). [`Engine::sample`]
//! does exactly that, on jiffies, for each accounting and each of the three windows. The
//! clock is an input, so tests drive missed windows and jiffies wrap-around directly.

use crate::model::accounting::{Accounting, Counts};
use crate::model::calc_load::{calc_load, calc_load_n, Load, FIXED_1};
use crate::model::config::Config;

/// C's `unsigned long` jiffies.
pub type Jiffies = usize;

/// `time_before(a, b)`: whether `a` is before `b`, correct across wrap-around.
pub fn time_before(a: Jiffies, b: Jiffies) -> bool {
    (a.wrapping_sub(b) as isize) < 0
}

/// How many nanoseconds from `now_ns` until half a tick after jiffy `due` begins.
///
/// The kernel aligns its ticks to multiples of the tick length in `CLOCK_MONOTONIC`
/// (`tick_init_jiffy_update()`, `kernel/time/tick-sched.c`), so the tick that made `jiffies`
/// current began at `now_ns` rounded down to a tick, and jiffy `due` begins `due - jiffies` ticks
/// after that. Half a tick later the tick that makes `due` current has run, with room for its
/// interrupt to be late. A timer set this way fires at the same phase of every window, whatever
/// the previous callback's lateness. When `due` has begun already, the target is half a tick
/// into the current jiffy, or, if that has passed too, one microsecond from now.
pub fn nanos_until_due(now_ns: i64, tick_ns: i64, jiffies: Jiffies, due: Jiffies) -> i64 {
    const SOON_NS: i64 = 1000;
    let tick_ns = tick_ns.max(1);
    let ticks = (due.wrapping_sub(jiffies) as isize).max(0);
    let ticks = i64::try_from(ticks).unwrap_or(i64::MAX);
    let since_edge = now_ns.rem_euclid(tick_ns);
    ticks
        .saturating_mul(tick_ns)
        .saturating_add(tick_ns / 2)
        .saturating_sub(since_edge)
        .max(SOON_NS)
}

/// The end of the first window that ends after `now`, for windows of `period` ticks of which
/// the next ends at `next`: the next sample's due jiffy once the sample for every window ended
/// by `now` is taken.
///
/// The timer re-arms for it as soon as it has woken the walker, before the walk has applied
/// its sample; a walk that takes longer than a period then only makes the next sample catch
/// up (`calc_load_n()`), it never shifts the schedule.
pub fn due_after(next: Jiffies, period: Jiffies, now: Jiffies) -> Jiffies {
    if time_before(now, next) {
        return next;
    }
    // `Config` keeps the period at one tick or more; `max(1)` spares a division check.
    let period = period.max(1);
    let n = (now.wrapping_sub(next) / period).wrapping_add(1);
    next.wrapping_add(n.wrapping_mul(period))
}

/// The sampler's own figures: what it has done with the clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Samples taken: walks of every thread.
    pub samples: u64,
    /// Windows closed, caught-up ones included.
    pub windows: u64,
    /// Windows closed late, folded in with `calc_load_n`.
    pub caught_up: u64,
}

/// The three averages of every accounting, fixed point: `loads[accounting][window]`.
pub type Loads = [[Load; 3]; Accounting::ALL.len()];

/// Closes `closed` windows (at least one) with the same `counts`, as the kernel does: one
/// [`calc_load`] step, then, for the windows it missed, one [`calc_load_n`] step.
pub fn advance(loads: &mut Loads, decay: &[Load; 3], counts: &Counts, closed: u64) {
    // The kernel passes n on as an unsigned int; past that, e^n is 0 all the same.
    let missed = u32::try_from(closed.saturating_sub(1)).unwrap_or(u32::MAX);
    for a in Accounting::ALL {
        // The kernel's `active * FIXED_1`, a count of tasks in fixed point.
        let active = (counts.active(a) as Load).wrapping_mul(FIXED_1);
        for (load, &exp) in loads[a.index()].iter_mut().zip(decay) {
            *load = calc_load(*load, exp, active);
            if missed > 0 {
                *load = calc_load_n(*load, exp, active, missed);
            }
        }
    }
}

/// The averages of every accounting and the clock that advances them.
#[derive(Debug, Clone, Copy)]
pub struct Engine {
    config: Config,
    /// The end of the current window: the next sample is due at this jiffy.
    next: Jiffies,
    /// The averages.
    loads: Loads,
    /// The counts of the last sample.
    counts: Counts,
    stats: Stats,
}

impl Engine {
    /// Starts with every average at zero and the first window ending one period after `now`.
    pub fn new(config: Config, now: Jiffies) -> Engine {
        Engine {
            config,
            next: now.wrapping_add(config.period_ticks),
            loads: [[0; 3]; Accounting::ALL.len()],
            counts: Counts::default(),
            stats: Stats::default(),
        }
    }

    /// Whether a window has ended at `now`, so a sample is due.
    pub fn due(&self, now: Jiffies) -> bool {
        !time_before(now, self.next)
    }

    /// The jiffy at which the next sample is due.
    pub fn next_due(&self) -> Jiffies {
        self.next
    }

    /// The end of the first window that ends after `now` ([`due_after`]).
    pub fn due_after(&self, now: Jiffies) -> Jiffies {
        due_after(self.next, self.config.period_ticks, now)
    }

    /// Applies a sample taken at `now`; returns the number of windows it closed.
    ///
    /// Nothing changes when no window has ended yet (an early timer). Otherwise the first
    /// window gets a [`calc_load`] step, and any further windows that ended before `now` are
    /// caught up at once with [`calc_load_n`], all with the same `counts`, as the kernel does.
    pub fn sample(&mut self, now: Jiffies, counts: Counts) -> u64 {
        if !self.due(now) {
            return 0;
        }
        // `Config` keeps the period at one tick or more; `max(1)` spares a division check.
        let period = self.config.period_ticks.max(1);
        self.next = self.next.wrapping_add(period);
        let mut closed = 1;
        if self.due(now) {
            let n = (now.wrapping_sub(self.next) / period).wrapping_add(1);
            self.next = self.next.wrapping_add(n.wrapping_mul(period));
            closed += n as u64;
            self.stats.caught_up += n as u64;
        }
        advance(&mut self.loads, &self.config.decay, &counts, closed);
        self.counts = counts;
        self.stats.samples += 1;
        self.stats.windows += closed;
        closed
    }

    /// The three averages of `accounting`, fixed point.
    pub fn loads(&self, accounting: Accounting) -> [Load; 3] {
        self.loads[accounting.index()]
    }

    /// The counts of the last sample.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The sampler's figures.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The configuration the engine runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_engine))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::calc_load::{EXP_1, EXP_15, EXP_5};
    use crate::model::config::{DEFAULT_PERIOD_MS, DEFAULT_WINDOWS_MS};

    const PERIOD: usize = 1251;

    fn engine(start: Jiffies) -> Engine {
        match Config::new(250, DEFAULT_PERIOD_MS, DEFAULT_WINDOWS_MS) {
            Ok(c) => Engine::new(c, start),
            Err(_) => panic!("the default configuration is valid"),
        }
    }

    fn counts(runnable: u32, iowait: u32, blocked: u32) -> Counts {
        Counts {
            threads: 100,
            runnable,
            uninterruptible: iowait + blocked,
            iowait,
            blocked,
            ..Counts::ZERO
        }
    }

    /// The kernel's averages after `steps` single steps of `active` tasks from `start`.
    fn reference(start: [Load; 3], active: u32, steps: u32) -> [Load; 3] {
        let mut l = start;
        for _ in 0..steps {
            l[0] = calc_load(l[0], EXP_1, active as Load * FIXED_1);
            l[1] = calc_load(l[1], EXP_5, active as Load * FIXED_1);
            l[2] = calc_load(l[2], EXP_15, active as Load * FIXED_1);
        }
        l
    }

    #[test]
    fn nothing_before_the_window_ends() {
        let mut e = engine(1000);
        assert!(!e.due(1000 + PERIOD - 1));
        assert_eq!(e.sample(1000 + PERIOD - 1, counts(3, 0, 0)), 0);
        assert_eq!(e.loads(Accounting::Cpu), [0; 3]);
        assert_eq!(e.stats().samples, 0);
    }

    #[test]
    fn each_accounting_follows_its_count() {
        let mut e = engine(0);
        let c = counts(2, 1, 3);
        for i in 1..=12 {
            // Timers fire a little late; the window boundary stays put.
            assert_eq!(e.sample(i * PERIOD + 3, c), 1);
        }
        assert_eq!(e.next_due(), 13 * PERIOD);
        assert_eq!(e.loads(Accounting::Cpu), reference([0; 3], 2, 12));
        assert_eq!(e.loads(Accounting::Io), reference([0; 3], 1, 12));
        assert_eq!(e.loads(Accounting::All), reference([0; 3], 6, 12));
        assert_eq!(e.loads(Accounting::CpuIo), reference([0; 3], 3, 12));
        assert_eq!(e.loads(Accounting::Blocked), reference([0; 3], 3, 12));
        assert_eq!(*e.counts(), c);
        assert_eq!(e.stats().samples, 12);
        assert_eq!(e.stats().caught_up, 0);
    }

    #[test]
    fn missed_windows_are_caught_up_like_the_kernel() {
        let mut e = engine(0);
        let c = counts(4, 0, 0);
        assert_eq!(e.sample(PERIOD, c), 1);
        // The timer is held back: the next sample comes 7 periods and a bit late.
        assert_eq!(e.sample(9 * PERIOD + 17, c), 8);
        assert_eq!(e.next_due(), 10 * PERIOD);
        // calc_global_load(): one calc_load step, then calc_global_nohz(): calc_load_n for the
        // other 7 windows.
        let two = reference([0; 3], 4, 2);
        let want = [
            calc_load_n(two[0], EXP_1, 4 * FIXED_1, 7),
            calc_load_n(two[1], EXP_5, 4 * FIXED_1, 7),
            calc_load_n(two[2], EXP_15, 4 * FIXED_1, 7),
        ];
        assert_eq!(e.loads(Accounting::Cpu), want);
        assert_eq!(e.stats().caught_up, 7);
        assert_eq!(e.stats().windows, 9);
    }

    #[test]
    fn jiffies_wrap_around() {
        let start = usize::MAX - 2 * PERIOD + 5;
        let mut wrapped = engine(start);
        let mut plain = engine(0);
        let c = counts(1, 2, 0);
        for i in 1..=5 {
            let late = i * 11;
            assert_eq!(wrapped.sample(start.wrapping_add(i * PERIOD + late), c), 1);
            assert_eq!(plain.sample(i * PERIOD + late, c), 1);
        }
        assert_eq!(wrapped.next_due(), start.wrapping_add(6 * PERIOD));
        for a in Accounting::ALL {
            assert_eq!(wrapped.loads(a), plain.loads(a));
        }
    }

    #[test]
    fn the_timer_aims_at_half_a_tick_into_the_due_jiffy() {
        const TICK: i64 = 4_000_000;
        // Jiffy 100 began at 400 ms; 1.3 ms into it, jiffy 126 begins 26 ticks after 400 ms.
        let now = 100 * TICK + 1_300_000;
        assert_eq!(
            nanos_until_due(now, TICK, 100, 126),
            26 * TICK + TICK / 2 - 1_300_000
        );
        // Whatever the phase of `now` within jiffy 100, the target is the same instant.
        for into in [0, 1, TICK / 2, TICK - 1] {
            let t = 100 * TICK + into;
            assert_eq!(
                t + nanos_until_due(t, TICK, 100, 126),
                126 * TICK + TICK / 2
            );
        }
        // Due already: half a tick into the current jiffy, or at once, but in the future.
        assert_eq!(nanos_until_due(now, TICK, 130, 126), TICK / 2 - 1_300_000);
        assert_eq!(nanos_until_due(100 * TICK + TICK - 1, TICK, 100, 100), 1000);
        // Across the wrap of jiffies.
        assert_eq!(
            nanos_until_due(now, TICK, usize::MAX - 1, 3),
            5 * TICK + TICK / 2 - 1_300_000
        );
    }

    #[test]
    fn the_next_due_jiffy_after_any_instant() {
        let e = engine(0);
        // Before the first window ends: its end.
        assert_eq!(e.due_after(0), PERIOD);
        assert_eq!(e.due_after(PERIOD - 1), PERIOD);
        // At or after it, with no sample taken yet: the end of the window `now` falls in.
        assert_eq!(e.due_after(PERIOD), 2 * PERIOD);
        assert_eq!(e.due_after(3 * PERIOD + 5), 4 * PERIOD);
        // Across the wrap of jiffies.
        let start = usize::MAX - 10;
        let e = engine(start);
        assert_eq!(
            e.due_after(start.wrapping_add(PERIOD)),
            start.wrapping_add(2 * PERIOD)
        );
    }
}
