// SPDX-License-Identifier: GPL-2.0

//! The integer decay factors against floating point `2048 * exp(-period / window)`.

use loadavg_rs_host::calc_load::{decay_factor, DecayError, FIXED_1};
use loadavg_rs_host::config::max_window_ms;

/// Checks one pair: the factor is `2048 * exp(-p / w)` rounded to nearest (either neighbour
/// when the exact value is within 1e-9 of a half), or the error the value calls for.
fn check(period: u64, window: u64) {
    let exact = FIXED_1 as f64 * (-(period as f64) / window as f64).exp();
    let got = decay_factor(period, window);
    if window < period {
        assert_eq!(got, Err(DecayError::WindowShorterThanPeriod));
        return;
    }
    let nearest = exact.round();
    if nearest >= FIXED_1 as f64 && (exact - exact.floor() - 0.5).abs() > 1e-9 {
        assert_eq!(
            got,
            Err(DecayError::WindowTooLong),
            "period {period} window {window}"
        );
        return;
    }
    let got = got.unwrap_or_else(|e| panic!("period {period} window {window}: {e:?}")) as f64;
    if (exact - exact.floor() - 0.5).abs() < 1e-9 {
        assert!(
            got == exact.floor() || got == exact.ceil(),
            "period {period} window {window}"
        );
    } else {
        assert_eq!(
            got, nearest,
            "period {period} window {window}: exact {exact}"
        );
    }
}

#[test]
fn against_floating_point() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let period = 1 + x % 600_000;
        let window = period + (x >> 20) % (period * 5000);
        check(period, window);
    }
    for period in [1, 10, 500, 2000, 5000, 5004, 600_000] {
        for factor in [1, 2, 3, 12, 60, 180, 1000, 4094, 4095, 4096, 10_000] {
            check(period, period * factor);
        }
    }
}

#[test]
fn psi_like_windows() {
    // PSI's 10 s, 60 s and 300 s with a 2 s period.
    for (w, want) in [(10_000u64, 1677), (60_000, 1981), (300_000, 2034)] {
        let exact = 2048.0 * (-2000.0 / w as f64).exp();
        assert_eq!(decay_factor(2000, w), Ok(want), "exact {exact}");
    }
}

#[test]
fn longest_window() {
    // Periods of 4, 26, 1251 and 150001 ticks at HZ=250 (10 ms, 100 ms, 5 s and 600 s asked
    // for), and 501 at HZ=100: the factor is taken with the real period, ticks / HZ.
    for (ticks, hz) in [
        (4usize, 250u32),
        (26, 250),
        (1251, 250),
        (150_001, 250),
        (501, 100),
    ] {
        let max = max_window_ms(ticks, hz);
        let period = ticks as u64 * 1000;
        assert!(decay_factor(period, max as u64 * hz as u64).is_ok());
        assert_eq!(
            decay_factor(period, (max as u64 + 1) * hz as u64),
            Err(DecayError::WindowTooLong)
        );
    }
}
