// SPDX-License-Identifier: GPL-2.0

//! The kernel's load-average arithmetic, bit for bit, in safe Rust.
//!
//! A load average is an exponentially damped moving average of a count of tasks, sampled once
//! per period (`LOAD_FREQ`, 5 s plus one tick):
//!
//! ```text
//!   a1 = a0 * e + a * (1 - e),    e = exp(-period / window)
//! ```
//!
//! where `a` is the number of active tasks at the sample and `window` is 1, 5 or 15 minutes.
//! Like `include/linux/sched/loadavg.h`, everything is fixed point with 11 fractional bits
//! (`FIXED_1` is 1.0), so `e` becomes 1884, 2014 and 2037 out of 2048, and [`calc_load`] rounds
//! up while the load is rising (it adds `FIXED_1 - 1` when `active >= load`), so a constant
//! load is eventually reached rather than approached forever.
//!
//! When samples are missed (the kernel's NO_HZ idle, or a sampler held back), the kernel does
//! not pretend that no time passed: `n` missed periods with the same active count collapse into
//! one step with `e^n` (see `kernel/sched/loadavg.c`):
//!
//! ```text
//!   an = a0 * e^n + a * (1 - e^n)
//! ```
//!
//! which is [`calc_load_n`], with `e^n` from [`fixed_power_int`] (binary exponentiation,
//! rounding each product to nearest).
//!
//! C's `unsigned long` arithmetic wraps; so does this, with the explicit `wrapping_*`
//! operations, so that every input, however large, gives the kernel's result.
//!
//! Other periods and windows than the kernel's need other decay constants: [`decay_factor`]
//! derives `FIXED_1 * exp(-period / window)` in integer arithmetic.

/// C's `unsigned long`: the type of every fixed-point load value.
pub type Load = usize;

/// Number of bits of precision.
pub const FSHIFT: u32 = 11;
/// 1.0 in fixed point.
pub const FIXED_1: Load = 1 << FSHIFT;
/// `1 / exp(5 s / 1 min)` in fixed point.
pub const EXP_1: Load = 1884;
/// `1 / exp(5 s / 5 min)` in fixed point.
pub const EXP_5: Load = 2014;
/// `1 / exp(5 s / 15 min)` in fixed point.
pub const EXP_15: Load = 2037;

/// The kernel's sampling period in jiffies: 5 seconds plus one tick, `5 * HZ + 1`.
///
/// The extra tick keeps the sample from running in step with tasks that wake every 5 s.
pub fn load_freq(hz: u32) -> u64 {
    5 * u64::from(hz) + 1
}

/// One step of the damped average: `load * exp + active * (1 - exp)`, as the kernel rounds it.
///
/// `load` and `active` are fixed point (an active count of `n` tasks is `n * FIXED_1`).
pub const fn calc_load(load: Load, exp: Load, active: Load) -> Load {
    let mut newload = load
        .wrapping_mul(exp)
        .wrapping_add(active.wrapping_mul(FIXED_1.wrapping_sub(exp)));
    if active >= load {
        newload = newload.wrapping_add(FIXED_1 - 1);
    }
    newload / FIXED_1
}

/// `x` to the power `n`, in fixed point with `FSHIFT` fractional bits, rounding each product.
///
/// The kernel's `fixed_power_int(x, FSHIFT, n)`: `x^n` by squaring, `O(log n)` steps.
pub const fn fixed_power_int(mut x: Load, mut n: u32) -> Load {
    const HALF: Load = 1 << (FSHIFT - 1);
    let mut result: Load = FIXED_1;
    if n != 0 {
        loop {
            if n & 1 != 0 {
                result = result.wrapping_mul(x).wrapping_add(HALF) >> FSHIFT;
            }
            n >>= 1;
            if n == 0 {
                break;
            }
            x = x.wrapping_mul(x).wrapping_add(HALF) >> FSHIFT;
        }
    }
    result
}

/// `n` steps of [`calc_load`] with the same `active` count, folded into one: `e` becomes `e^n`.
pub const fn calc_load_n(load: Load, exp: Load, active: Load, n: u32) -> Load {
    calc_load(load, fixed_power_int(exp, n), active)
}

/// Rounds a load for display with two decimals, as `/proc/loadavg` does.
///
/// Returns the integer part and the hundredths: `get_avenrun(.., FIXED_1 / 200, 0)` followed
/// by `LOAD_INT` and `LOAD_FRAC`.
pub const fn load_int_frac(load: Load) -> (Load, Load) {
    let rounded = load.wrapping_add(FIXED_1 / 200);
    (
        rounded >> FSHIFT,
        ((rounded & (FIXED_1 - 1)) * 100) >> FSHIFT,
    )
}

/// Why a period and a window give no usable decay factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecayError {
    /// The window is shorter than the period: an average over less than one sample.
    WindowShorterThanPeriod,
    /// The window is so long against the period that `exp(-period / window)` rounds to 1.0 in
    /// 11-bit fixed point: the average would never move.
    WindowTooLong,
}

/// `FIXED_1 * exp(-period / window)`, rounded to nearest, in integer arithmetic.
///
/// With the kernel's own period and windows this gives exactly [`EXP_1`], [`EXP_5`] and
/// [`EXP_15`]. Both durations are in the same unit (any). The result is at least 1 and at most
/// `FIXED_1 - 1`, or an error says why no such factor exists.
pub fn decay_factor(period: u64, window: u64) -> Result<Load, DecayError> {
    if period == 0 || window < period {
        return Err(DecayError::WindowShorterThanPeriod);
    }
    // Work in 64 fractional bits: e^-x = (e^(-x / 2^K))^(2^K), with the small power from its
    // Taylor series (terms up to y^6 / 6!, leaving an error below 2^-70 for y <= 2^-K) and the
    // squarings each rounding to nearest. The result is exact to about 2^-55, far below the
    // 2^-12 that rounding to 11 bits needs. Only 128-bit products and shifts are used: a
    // 128-bit division would need a helper (`__udivti3`) that the kernel does not have.
    const ONE: u128 = 1 << 64;
    const K: u32 = 8;
    // y = period / window / 2^K, at most 2^-K because window >= period.
    let y = u128::from(div_frac(period, window, 64 - K));
    if y == 0 {
        return Err(DecayError::WindowTooLong);
    }
    let mut term = ONE;
    let mut sum = ONE;
    let mut i = 1u64;
    while i <= 6 {
        // term * y < 2^64 * 2^56, so the shifted product fits in 64 bits.
        term = u128::from(((term * y) >> 64) as u64 / i);
        if i % 2 == 1 {
            sum -= term;
        } else {
            sum += term;
        }
        i += 1;
    }
    let mut e = sum;
    let mut k = 0;
    while k < K {
        e = (e * e + ONE / 2) >> 64;
        k += 1;
    }
    let factor = ((e * FIXED_1 as u128 + ONE / 2) >> 64) as Load;
    if factor >= FIXED_1 {
        return Err(DecayError::WindowTooLong);
    }
    // `factor >= 1`: window >= period bounds e from below by exp(-1), that is 753 / 2048.
    Ok(factor)
}

/// `floor(num * 2^bits / den)` by long division, for `num <= den` and `bits <= 63`.
fn div_frac(num: u64, den: u64, bits: u32) -> u64 {
    let whole = num >= den;
    let (mut quotient, mut rest) = (
        0u64,
        u128::from(num.wrapping_sub(if whole { den } else { 0 })),
    );
    let mut i = 0;
    while i < bits {
        rest <<= 1;
        quotient <<= 1;
        if rest >= u128::from(den) {
            rest -= u128::from(den);
            quotient |= 1;
        }
        i += 1;
    }
    // The integer part: 1 when num == den.
    quotient | (u64::from(whole) << bits)
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_calc_load))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;

    #[test]
    fn long_division() {
        assert_eq!(div_frac(1, 3, 8), 85);
        assert_eq!(div_frac(5, 5, 10), 1024);
        assert_eq!(div_frac(0, 7, 56), 0);
        // floor(a * 2^56 / b), worked out exactly elsewhere (Python's integers).
        assert_eq!(div_frac(5000, 60_000, 56), 6004799503160661);
        assert_eq!(
            div_frac(u64::from(u32::MAX) - 1, u64::from(u32::MAX), 56),
            72057594021150719
        );
        assert_eq!(div_frac(10, u64::from(u32::MAX), 56), 167772160);
    }

    #[test]
    fn kernel_constants() {
        assert_eq!(FIXED_1, 2048);
        assert_eq!(load_freq(250), 1251);
        assert_eq!(load_freq(1000), 5001);
    }

    #[test]
    fn decay_factors_of_the_kernel_windows() {
        // 5 s against 1, 5 and 15 minutes, in seconds, in milliseconds, and with the kernel's
        // real period of 5 s plus one tick at HZ=250 (5004 ms).
        for (period, scale) in [(5u64, 1u64), (5000, 1000), (5004, 1000)] {
            assert_eq!(decay_factor(period, 60 * scale), Ok(EXP_1));
            assert_eq!(decay_factor(period, 300 * scale), Ok(EXP_5));
            assert_eq!(decay_factor(period, 900 * scale), Ok(EXP_15));
        }
    }

    #[test]
    fn decay_factor_limits() {
        assert_eq!(
            decay_factor(0, 60),
            Err(DecayError::WindowShorterThanPeriod)
        );
        assert_eq!(
            decay_factor(61, 60),
            Err(DecayError::WindowShorterThanPeriod)
        );
        // window == period: exp(-1) * 2048 = 753.4.
        assert_eq!(decay_factor(60, 60), Ok(753));
        // exp(-1/4096) * 2048 = 2047.50002: rounds to 2048, which never decays.
        assert_eq!(decay_factor(1, 4096), Err(DecayError::WindowTooLong));
        // exp(-1/4095) * 2048 = 2047.49994.
        assert_eq!(decay_factor(1, 4095), Ok(2047));
        assert_eq!(decay_factor(1, u64::MAX), Err(DecayError::WindowTooLong));
        assert_eq!(decay_factor(u64::MAX, u64::MAX), Ok(753));
    }

    #[test]
    fn one_step() {
        // From idle, one task: (2048 * (2048 - 1884) + 2047) / 2048 = 164, the rise rounded
        // up (2047 / 2048 adds nothing here).
        assert_eq!(calc_load(0, EXP_1, FIXED_1), 164);
        assert_eq!(
            calc_load(164, EXP_1, FIXED_1),
            (164 * 1884 + 2048 * 164usize).div_ceil(2048)
        );
        // A falling load rounds down.
        assert_eq!(calc_load(FIXED_1, EXP_1, 0), 1884);
        assert_eq!(calc_load(1000, EXP_1, 0), 1000 * 1884 / 2048);
        // A steady load stays.
        assert_eq!(calc_load(3 * FIXED_1, EXP_15, 3 * FIXED_1), 3 * FIXED_1);
        // C's unsigned long wraps, and so does this.
        assert_eq!(
            calc_load(Load::MAX, EXP_1, Load::MAX),
            Load::MAX.wrapping_mul(FIXED_1).wrapping_add(FIXED_1 - 1) / FIXED_1
        );
    }

    #[test]
    fn one_busy_task_for_a_minute() {
        // One runnable task from idle: 1 - exp(-t / 60 s). After eleven 5-second samples
        // 0.60, after twelve 0.63 (1 - 1/e = 0.632), as in /proc/loadavg.
        let mut load = 0;
        for _ in 0..11 {
            load = calc_load(load, EXP_1, FIXED_1);
        }
        assert_eq!(load_int_frac(load), (0, 60));
        load = calc_load(load, EXP_1, FIXED_1);
        assert_eq!(load, 1299);
        assert_eq!(load_int_frac(load), (0, 63));
    }

    #[test]
    fn powers() {
        assert_eq!(fixed_power_int(EXP_1, 0), FIXED_1);
        assert_eq!(fixed_power_int(EXP_1, 1), EXP_1);
        assert_eq!(fixed_power_int(EXP_1, 2), (EXP_1 * EXP_1 + 1024) >> 11);
        assert_eq!(fixed_power_int(FIXED_1, u32::MAX), FIXED_1);
        assert_eq!(fixed_power_int(EXP_1, 1000), 0);
    }

    #[test]
    fn missed_windows_fold_like_the_kernel() {
        // n steps at once equal n single steps to within the rounding of e^n: here 8756
        // against 8745, under 0.01 of a task.
        let mut step = 5 * FIXED_1;
        for _ in 0..12 {
            step = calc_load(step, EXP_5, FIXED_1);
        }
        let folded = calc_load_n(5 * FIXED_1, EXP_5, FIXED_1, 12);
        assert!(folded.abs_diff(step) < FIXED_1 / 100);
        assert_eq!(folded, 8756);
        assert_eq!(
            calc_load_n(7 * FIXED_1, EXP_15, 2 * FIXED_1, 0),
            7 * FIXED_1
        );
        assert_eq!(
            calc_load_n(7 * FIXED_1, EXP_1, 2 * FIXED_1, 1),
            calc_load(7 * FIXED_1, EXP_1, 2 * FIXED_1)
        );
    }

    #[test]
    fn display_rounding() {
        assert_eq!(load_int_frac(0), (0, 0));
        assert_eq!(load_int_frac(FIXED_1), (1, 0));
        // 0.995 and up shows as 1.00, as in /proc/loadavg.
        assert_eq!(load_int_frac(2038), (1, 0));
        assert_eq!(load_int_frac(2027), (0, 99));
        assert_eq!(load_int_frac(1269), (0, 62));
    }
}
