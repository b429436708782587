// SPDX-License-Identifier: GPL-2.0

//! A cgroup's pressure averages as its `cpu.pressure` and `io.pressure` files would print them
//! now, even while no one reads them.
//!
//! PSI (`kernel/sched/psi.c`) keeps each group's averages in `group->avg[]` and advances them
//! in `update_averages()`, once a period (`psi_period`, `PSI_FREQ` = 2 s and a tick), from two
//! callers: the group's averaging work, and a read of one of its pressure files (`psi_show()`).
//! The work re-arms itself only while the group has tasks that are not idle; once the group
//! is idle its clock stops, and `group->avg[]` keeps its last values, however old, until a task
//! of the group changes state (which starts the clock again) or someone reads a pressure
//! file. Either catches up at once: the periods missed (`missed_periods`) decay each average
//! with `calc_load_n(avg, EXP, 0, missed_periods)`, and the period that ends now adds the
//! share of it the group stalled (`calc_avgs()`).
//!
//! Reading `group->avg[]` as it is would show a stopped clock's figures; this module makes
//! the catch-up that `psi_show()` would make, without writing anything of the group's:
//! [`Pressure::now`] is `update_averages()` and `calc_avgs()` of 7.3.4, line for line, on a
//! copy. What it cannot copy is `collect_percpu_times()`, which folds the per-CPU stall times
//! into `group->total[]` (a static function over per-CPU state): it takes the stall time not
//! yet folded as zero. That is exact when the group is idle, and only then is the catch-up
//! made: the averaging work neither queued nor running, and no task of the group in a state
//! PSI counts on any CPU (the kernel side reads both, [`Pressure::clock_stopped`]):
//!
//! - the clock stopped because the work's last `collect_percpu_times()` found no task of the
//!   group busy over the last period, and it folded every stall time up to then;
//! - with no task of the group running, waiting for a CPU, for IO or for memory since, no stall
//!   time has grown;
//! - so the only stall time left is what `update_averages()` itself put off to the next period
//!   (a sample longer than its period is cut, and the rest "punted into the future"), which is
//!   `group->total[] - group->avg_total[]`, read here and folded as the kernel folds it.
//!
//! Otherwise the averages are shown as they are: while the clock runs, the work is due at
//! `avg_next_update` and catches up itself within a tick; but the kernel also stops the clock
//! for a group whose one stalled task sleeps on the CPU the work runs on
//! (`get_recent_times()` does not count the work's own CPU's lone task as a reason to run
//! again), and then its stored averages stay as they are until a read of its pressure files,
//! here as in the kernel's own `group->avg[]`.

use crate::model::calc_load::{calc_load, calc_load_n, Load, FIXED_1};

/// The decay factors of PSI's three windows (`EXP_10s`, `EXP_60s`, `EXP_300s` in
/// `kernel/sched/psi.c`: `1/exp(2 s / window)` in fixed point).
pub const EXP: [Load; 3] = [1677, 1981, 2034];

/// The resources whose "some" pressure the module shows, in the order of its columns.
pub const RESOURCES: usize = 2;

/// What the kernel side reads of one group, under the group's `avgs_lock` (the lock
/// `psi_show()` and the averaging work update it under).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pressure {
    /// `group->avg[state]` of each resource's "some" state: its 10 s, 60 s and 300 s averages,
    /// percent in fixed point (`FIXED_1` is 1%).
    pub avg: [[Load; 3]; RESOURCES],
    /// `group->total[PSI_AVGS][state]`: stall time folded so far, in ns.
    pub total: [u64; RESOURCES],
    /// `group->avg_total[state]`: the part of it already in the averages.
    pub avg_total: [u64; RESOURCES],
    /// `group->avg_next_update`, on `sched_clock()`'s time line.
    pub next_update: u64,
    /// `group->avg_last_update`.
    pub last_update: u64,
    /// `sched_clock()` now.
    pub now: u64,
    /// `psi_period`: `jiffies_to_nsecs(PSI_FREQ)`.
    pub period: u64,
    /// The averaging work is neither queued nor running, and no task of the group is in a
    /// state PSI counts: the group's clock is stopped, with nothing left to fold (see the
    /// module's doc).
    pub clock_stopped: bool,
}

impl Pressure {
    /// The averages `psi_show()` would print now: caught up if the clock is stopped and a
    /// period has ended since the last update, else as they are.
    pub fn now(&self) -> [[Load; 3]; RESOURCES] {
        let mut avg = self.avg;
        // div_u64() divides by a u32: psi_period, about 2e9 ns, fits.
        let psi_period = u64::from(self.period as u32);
        if !self.clock_stopped || self.now < self.next_update || psi_period == 0 {
            return avg;
        }
        // update_averages(), on a copy.
        let expires = self.next_update;
        let mut missed: u64 = 0;
        if self.now.wrapping_sub(expires) >= self.period {
            missed = self
                .now
                .wrapping_sub(expires)
                .checked_div(psi_period)
                .unwrap_or(0);
        }
        let period = self.now.wrapping_sub(
            self.last_update
                .wrapping_add(missed.wrapping_mul(self.period)),
        );
        for ((avg, total), avg_total) in avg.iter_mut().zip(self.total).zip(self.avg_total) {
            // `u32 sample = total - avg_total`, cut to the period.
            let mut sample = u64::from(total.wrapping_sub(avg_total) as u32);
            if sample > period {
                sample = period;
            }
            // calc_avgs() takes the missed periods as an int, calc_load_n() as an unsigned int.
            calc_avgs(avg, missed as i32 as u32, sample, period);
        }
        avg
    }
}

/// `calc_avgs()` of `kernel/sched/psi.c`: `missed` periods of no stall, then one period of
/// which the group stalled `time` ns out of `period`.
fn calc_avgs(avg: &mut [Load; 3], missed: u32, time: u64, period: u64) {
    if missed != 0 {
        for (a, exp) in avg.iter_mut().zip(EXP) {
            *a = calc_load_n(*a, exp, 0, missed);
        }
    }
    // div_u64() divides by a u32, as here. The period is under two of PSI's periods (about
    // 4 s, which fits), and not 0 after a due update (now >= next_update > last_update); the
    // kernel's division would trap on 0, and this shows no stall instead.
    let pct = (time
        .wrapping_mul(100)
        .checked_div(u64::from(period as u32))
        .unwrap_or(0) as Load)
        .wrapping_mul(FIXED_1);
    for (a, exp) in avg.iter_mut().zip(EXP) {
        *a = calc_load(*a, exp, pct);
    }
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_pressure))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;

    /// PSI's period at `HZ=250`: 501 jiffies of 4 ms.
    const PERIOD: u64 = 2_004_000_000;

    fn idle(avg: [[Load; 3]; 2], now: u64) -> Pressure {
        Pressure {
            avg,
            total: [5_000_000, 7_000_000],
            avg_total: [5_000_000, 7_000_000],
            next_update: 10 * PERIOD,
            last_update: 9 * PERIOD + 1_000,
            now,
            period: PERIOD,
            clock_stopped: true,
        }
    }

    #[test]
    fn a_running_clock_or_an_update_not_due_shows_the_averages_as_they_are() {
        let avg = [[30 * FIXED_1, 20 * FIXED_1, 5 * FIXED_1], [1, 2, 3]];
        let mut p = idle(avg, 100 * PERIOD);
        p.clock_stopped = false;
        assert_eq!(p.now(), avg);
        let p = idle(avg, 10 * PERIOD - 1);
        assert_eq!(p.now(), avg);
    }

    #[test]
    fn a_stopped_clock_decays_one_step_per_period_ended() {
        let avg = [[30 * FIXED_1, 20 * FIXED_1, 5 * FIXED_1], [FIXED_1, 0, 7]];
        // Due, less than a period late: no missed period, one step of no stall.
        let p = idle(avg, 10 * PERIOD + 5);
        let mut want = avg;
        for r in &mut want {
            for (a, e) in r.iter_mut().zip(EXP) {
                *a = calc_load(*a, e, 0);
            }
        }
        assert_eq!(p.now(), want);
        // Ten periods late: ten missed at once (e^10 rounded), then one.
        let p = idle(avg, 20 * PERIOD + 5);
        let mut want = avg;
        for r in &mut want {
            for (a, e) in r.iter_mut().zip(EXP) {
                *a = calc_load(calc_load_n(*a, e, 0, 10), e, 0);
            }
        }
        assert_eq!(p.now(), want);
        // 74% of io pressure, idle for 30 s: the 10 s average is under 4% (0.74 e^-3).
        let p = idle([[0; 3], [74 * FIXED_1, 0, 0]], 10 * PERIOD + 15 * PERIOD);
        assert!(p.now()[1][0] < 4 * FIXED_1);
    }

    #[test]
    fn stall_time_put_off_by_the_last_update_is_folded_as_the_kernel_folds_it() {
        let mut p = idle([[0; 3]; 2], 10 * PERIOD + 5);
        // Half a period of cpu stall left over; more io stall than the period, cut to 100%.
        p.total[0] += PERIOD / 2;
        p.total[1] += 3 * PERIOD / 2;
        let period = p.now - p.last_update;
        let pct = |t: u64| (t * 100 / period) as Load * FIXED_1;
        let got = p.now();
        for (w, e) in EXP.into_iter().enumerate() {
            assert_eq!(got[0][w], calc_load(0, e, pct(PERIOD / 2)));
            assert_eq!(got[1][w], calc_load(0, e, pct(period)));
        }
    }
}
