// SPDX-License-Identifier: GPL-2.0

//! The tests of [`crate::model::config`]: every parameter checked, every window's decay.

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_config))]
mod suite {
    use crate::model::calc_load::{load_freq, EXP_1, EXP_15, EXP_5};
    use crate::model::config::*;

    #[test]
    fn the_defaults_are_valid_and_the_kernels() {
        for hz in [100, 250, 300, 1000] {
            let s = Params::DEFAULT.check(hz);
            assert_eq!(
                s.map(|s| (s.config.decay, s.max_cgroups, s.hold_ms, s.walker)),
                Ok(([EXP_1, EXP_5, EXP_15], 1024, 0, WalkerPolicy::Fifo))
            );
            assert_eq!(
                s.map(|s| (s.attribute_keys, s.attribute_unwinds, s.metrics_cgroups)),
                Ok((1024, 1024, 100))
            );
        }
    }

    #[test]
    fn every_parameter_is_checked() {
        let ok = Params {
            period_ms: DEFAULT_PERIOD_MS,
            windows_ms: DEFAULT_WINDOWS_MS,
            max_cgroups: MAX_CGROUPS,
            metrics_cgroups: MAX_METRICS_CGROUPS,
            attribute_keys: MAX_ATTRIBUTE_KEYS,
            attribute_unwinds: MAX_ATTRIBUTE_UNWINDS,
            test_hold_ms: MAX_PERIOD_MS,
            test_state_delay_us: MAX_TEST_STATE_DELAY_US,
            walker_fifo: 1,
            top_root_only: 1,
            virtualize: 1,
        };
        let s = ok.check(250);
        assert_eq!(
            s.map(|s| (s.max_cgroups, s.metrics_cgroups, s.hold_ms, s.walker)),
            Ok((65536, 65536, 600_000, WalkerPolicy::Fifo))
        );
        let none = Params {
            metrics_cgroups: 0,
            ..ok
        };
        assert_eq!(none.check(250).map(|s| s.metrics_cgroups), Ok(0));
        let normal = Params {
            walker_fifo: 0,
            ..ok
        };
        assert_eq!(
            normal.check(250).map(|s| s.walker),
            Ok(WalkerPolicy::Normal)
        );
        for (bad, name, max) in [
            (
                Params {
                    max_cgroups: MAX_CGROUPS + 1,
                    ..ok
                },
                "max_cgroups",
                MAX_CGROUPS,
            ),
            (
                Params {
                    metrics_cgroups: MAX_METRICS_CGROUPS + 1,
                    ..ok
                },
                "metrics_cgroups",
                MAX_METRICS_CGROUPS,
            ),
            (
                Params {
                    attribute_keys: MAX_ATTRIBUTE_KEYS + 1,
                    ..ok
                },
                "attribute_keys",
                MAX_ATTRIBUTE_KEYS,
            ),
            (
                Params {
                    attribute_unwinds: MAX_ATTRIBUTE_UNWINDS + 1,
                    ..ok
                },
                "attribute_unwinds",
                MAX_ATTRIBUTE_UNWINDS,
            ),
            (
                Params {
                    test_hold_ms: MAX_PERIOD_MS + 1,
                    ..ok
                },
                "test_hold_ms",
                MAX_PERIOD_MS,
            ),
            (
                Params {
                    test_state_delay_us: 201,
                    ..ok
                },
                "test_state_delay_us",
                200,
            ),
            (
                Params {
                    walker_fifo: 2,
                    ..ok
                },
                "walker_fifo",
                1,
            ),
            (
                Params {
                    top_root_only: 2,
                    ..ok
                },
                "top_root_only",
                1,
            ),
            (
                Params {
                    virtualize: 2,
                    ..ok
                },
                "virtualize",
                1,
            ),
            // Without cgroups tracked, no container has figures of its own.
            (
                Params {
                    max_cgroups: 0,
                    ..ok
                },
                "virtualize",
                0,
            ),
            (Params { period_ms: 9, ..ok }, "period_ms", MAX_PERIOD_MS),
        ] {
            let e = bad.check(250).err();
            assert_eq!(e.map(|e| (e.name, e.max)), Some((name, max)));
        }
    }

    #[test]
    fn defaults_are_the_kernels() {
        for hz in [100u32, 250, 300, 1000] {
            let c = Config::new(hz, DEFAULT_PERIOD_MS, DEFAULT_WINDOWS_MS);
            assert_eq!(c.map(|c| c.decay), Ok([EXP_1, EXP_5, EXP_15]));
            assert_eq!(c.map(|c| c.period_ticks as u64), Ok(load_freq(hz)));
        }
    }

    #[test]
    fn compressed_time_keeps_the_constants() {
        // Ten times faster, but the extra tick is not scaled: 504 ms against 6 s is not 5004 ms
        // against 60 s. 2048 e^(-504/6000) = 1882.995, e^(-504/30000) = 2013.881,
        // e^(-504/90000) = 2036.563 (computed apart).
        let c = Config::new(250, 500, [6_000, 30_000, 90_000]);
        assert_eq!(c.map(|c| c.decay), Ok([1883, 2014, 2037]));
        assert_eq!(c.map(|c| c.period_ticks), Ok(126));
        // The compressed time of the guest tests: 104 ms against 2 s, 10 s and 30 s.
        let c = Config::new(250, 100, [2_000, 10_000, 30_000]);
        assert_eq!(c.map(|c| c.decay), Ok([1944, 2027, 2041]));
    }

    #[test]
    fn period_range() {
        let w = DEFAULT_WINDOWS_MS;
        let err = |value| {
            Err(ParamError {
                name: "period_ms",
                value,
                min: MIN_PERIOD_MS,
                max: MAX_PERIOD_MS,
            })
        };
        assert_eq!(Config::new(250, 0, w), err(0));
        assert_eq!(
            Config::new(250, MIN_PERIOD_MS - 1, w),
            err(MIN_PERIOD_MS - 1)
        );
        assert_eq!(
            Config::new(250, MAX_PERIOD_MS + 1, w),
            err(MAX_PERIOD_MS + 1)
        );
        assert_eq!(Config::new(250, u32::MAX, w), err(u32::MAX));
        // 10 ms is 3 ticks plus one at HZ=250: samples 16 ms apart.
        assert!(Config::new(250, MIN_PERIOD_MS, [16, 20, 30]).is_ok());
        assert!(Config::new(250, MIN_PERIOD_MS, [15, 20, 30]).is_err());
        assert!(Config::new(250, MAX_PERIOD_MS, [600_004, 1 << 30, 1 << 31]).is_ok());
    }

    #[test]
    fn window_range() {
        // 5000 ms is 1251 ticks at HZ=250: 5004 ms between samples.
        let max = max_window_ms(1251, 250);
        assert_eq!(min_window_ms(1251, 250), 5004);
        // exp(-1/4095) rounds below 2048, exp(-1/4096) does not.
        assert!((5004 * 4095..5004 * 4096).contains(&max));
        let err = |name, value| {
            Err(ParamError {
                name,
                value,
                min: 5004,
                max,
            })
        };
        assert_eq!(
            Config::new(250, 5000, [5003, 300_000, 900_000]),
            err("window1_ms", 5003)
        );
        assert_eq!(
            Config::new(250, 5000, [60_000, 0, 900_000]),
            err("window2_ms", 0)
        );
        assert_eq!(
            Config::new(250, 5000, [60_000, 300_000, max + 1]),
            err("window3_ms", max + 1)
        );
        assert!(Config::new(250, 5000, [5004, 5004, max]).is_ok());
    }
}
