// SPDX-License-Identifier: GPL-2.0

//! `/proc/loadavg_rs_metrics`: the module's figures in the Prometheus text exposition format,
//! for node_exporter's textfile collector (a `.prom` symlink to this file in its directory).
//!
//! Every series is named `loadavg_rs_*`, apart from node_exporter's own `node_*`:
//!
//! ```text
//! # HELP loadavg_rs_load Load average recomputed by loadavg-rs, per definition and window (tasks).
//! # TYPE loadavg_rs_load gauge
//! loadavg_rs_load{definition="cpu",window="60s"} 0.6181640625
//! ```
//!
//! Every average is printed exactly: a fixed-point value is an integer of 2048ths, which has a
//! finite decimal expansion of at most 11 digits (2048 is 2^11), so a reader that multiplies by
//! 2048 gets the module's value back. Counts are gauges; samples, windows and walks, counters.
//!
//! The per-cgroup series, which follow these, are [`crate::model::cgroup_metrics`]'s.

use core::fmt;

use crate::model::accounting::{Accounting, Apart};
use crate::model::calc_load::{Load, FIXED_1, FSHIFT};
use crate::model::engine::Engine;
use crate::model::report::Duration;
use crate::model::walks::Walks;

/// A fixed-point load, printed exactly as a decimal.
pub struct Exact(pub Load);

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.0 >> FSHIFT;
        // (frac / 2048) * 10^11 = frac * 5^11, exactly.
        let mut frac = (self.0 & (FIXED_1 - 1)) as u64 * 48_828_125;
        if frac == 0 {
            return write!(f, "{int}");
        }
        let mut digits = 11;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        write!(f, "{int}.{frac:0digits$}")
    }
}

/// What every series' name starts with: the project's own namespace, not node_exporter's
/// `node_`.
pub(crate) const PREFIX: &str = "loadavg_rs_";

/// `# HELP` and `# TYPE` of the family `loadavg_rs_<name>`.
pub(crate) fn head(f: &mut fmt::Formatter<'_>, name: &str, kind: &str, help: &str) -> fmt::Result {
    writeln!(f, "# HELP {PREFIX}{name} {help}")?;
    writeln!(f, "# TYPE {PREFIX}{name} {kind}")
}

/// Nanoseconds as seconds, exactly.
struct Seconds(u64);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000
        )
    }
}

/// The windows to print, with their lengths: a window as long as an earlier one has the same
/// decay factor and so the same averages, and would repeat that one's series (an exposition
/// may not hold one series twice).
pub(crate) fn distinct(windows_ms: [u32; 3]) -> impl Iterator<Item = (usize, u32)> {
    (0..3).filter_map(move |i| {
        let w = windows_ms[i];
        (!windows_ms[..i].contains(&w)).then_some((i, w))
    })
}

/// The machine-wide series, from one engine snapshot.
pub struct Metrics<'a> {
    /// The engine.
    pub engine: &'a Engine,
    /// What its walks cost.
    pub walks: &'a Walks,
}

impl fmt::Display for Metrics<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.engine;
        let windows = e.config().windows_ms;
        let counts = e.counts();
        let stats = e.stats();
        head(
            f,
            "load",
            "gauge",
            "Load average recomputed by loadavg-rs, per definition and window (tasks).",
        )?;
        for a in Accounting::ALL {
            let loads = e.loads(a);
            for (i, w) in distinct(windows) {
                let (a, w, l) = (a.name(), Duration(w), Exact(loads[i]));
                writeln!(f, "{PREFIX}load{{definition=\"{a}\",window=\"{w}\"}} {l}")?;
            }
        }
        head(
            f,
            "tasks",
            "gauge",
            "Tasks active at the last sample, per definition.",
        )?;
        for a in Accounting::ALL {
            let (n, c) = (a.name(), counts.active(a));
            writeln!(f, "{PREFIX}tasks{{definition=\"{n}\"}} {c}")?;
        }
        head(f, "threads", "gauge", "Threads at the last sample.")?;
        writeln!(f, "{PREFIX}threads {}", counts.threads)?;
        for apart in Apart::ALL {
            if let Some((name, help)) = apart.metric() {
                head(f, name, "gauge", help)?;
                writeln!(f, "{PREFIX}{name} {}", apart.of(counts))?;
            }
        }
        for (name, help, value) in [
            (
                "samples_total",
                "Samples taken (walks of every thread).",
                stats.samples,
            ),
            (
                "windows_total",
                "Sampling periods closed, caught-up ones included.",
                stats.windows,
            ),
            (
                "windows_caught_up_total",
                "Sampling periods closed late, several at once.",
                stats.caught_up,
            ),
            (
                "walks_total",
                "Walks of every thread (one a sample).",
                self.walks.walks,
            ),
        ] {
            head(f, name, "counter", help)?;
            writeln!(f, "{PREFIX}{name} {value}")?;
        }
        // No gauge is named as a counter without its `_total` (`last_walk_seconds`, not
        // `walk_seconds`): OpenMetrics names a counter's family so, and one family may not
        // have two types.
        for (name, kind, help, ns) in [
            (
                "walk_seconds_total",
                "counter",
                "Time the walks of every thread took, added up.",
                self.walks.total_ns,
            ),
            (
                "last_walk_seconds",
                "gauge",
                "Duration of the last walk of every thread.",
                self.walks.last.ns,
            ),
            (
                "last_walk_stretch_seconds",
                "gauge",
                "Longest stretch of the last walk between two lock breaks.",
                self.walks.last.stretch_ns,
            ),
            (
                "period_seconds",
                "gauge",
                "Sampling period asked for.",
                u64::from(e.config().period_ms) * 1_000_000,
            ),
        ] {
            head(f, name, kind, help)?;
            writeln!(f, "{PREFIX}{name} {}", Seconds(ns))?;
        }
        head(
            f,
            "window_seconds",
            "gauge",
            "Length of each averaging window.",
        )?;
        for (_, w) in distinct(windows) {
            let (label, len) = (Duration(w), Seconds(u64::from(w) * 1_000_000));
            writeln!(f, "{PREFIX}window_seconds{{window=\"{label}\"}} {len}")?;
        }
        Ok(())
    }
}

/// Counts the bytes and lines written to it.
#[derive(Default)]
pub(crate) struct Measure {
    pub(crate) bytes: usize,
    pub(crate) lines: usize,
}

impl fmt::Write for Measure {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes = self.bytes.saturating_add(s.len());
        self.lines = self
            .lines
            .saturating_add(s.bytes().filter(|&b| b == b'\n').count());
        Ok(())
    }
}

/// The bytes and lines `value` prints.
pub(crate) fn measure(value: impl fmt::Display) -> Measure {
    let mut m = Measure::default();
    // Measuring never fails.
    let _ = fmt::write(&mut m, format_args!("{value}"));
    m
}

/// Bytes the machine-wide series print now.
pub fn bytes(metrics: &Metrics<'_>) -> usize {
    measure(metrics).bytes
}

/// What the tests of the exposition share: the engine of the golden texts.
#[cfg(any(test, CONFIG_KUNIT = "y"))]
pub(crate) mod testing {
    use crate::model::accounting::{Counts, ThreadState};
    use crate::model::config::Config;
    use crate::model::engine::Engine;

    /// The engine of the golden texts: windows of 2, 10 and 30 s, one sample of 2 threads, one
    /// of them runnable.
    pub(crate) fn engine() -> Engine {
        let config = match Config::new(250, 100, [2000, 10_000, 30_000]) {
            Ok(c) => c,
            Err(_) => panic!("a valid configuration"),
        };
        let mut e = Engine::new(config, 0);
        let mut counts = Counts::default();
        counts.add(ThreadState::RUNNABLE);
        counts.add(ThreadState::ASLEEP);
        e.sample(26, counts);
        e
    }
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_metrics))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::testing::engine;
    use super::*;
    use crate::model::report::text_is;
    use crate::model::walks::Walk;

    #[test]
    fn averages_are_printed_exactly() {
        assert!(text_is(Exact(0), "0"));
        assert!(text_is(Exact(2048), "1"));
        assert!(text_is(Exact(1024), "0.5"));
        assert!(text_is(Exact(1), "0.00048828125"));
        assert!(text_is(Exact(3 * 2048 + 1266), "3.6181640625"));
    }

    #[test]
    fn a_window_as_long_as_an_earlier_one_is_not_repeated() {
        let mut d = distinct([60_000, 60_000, 900_000]);
        assert_eq!(d.next(), Some((0, 60_000)));
        assert_eq!(d.next(), Some((2, 900_000)));
        assert_eq!(d.next(), None);
        assert_eq!(distinct([1, 2, 3]).count(), 3);
    }

    #[test]
    fn every_figure_is_a_series() {
        let e = engine();
        let mut walks = Walks::NONE;
        for ns in [1_500_000_000, 250_001] {
            walks.add(Walk {
                ns,
                stretch_ns: 40_000,
                ..Walk::default()
            });
        }
        let want = "\
# HELP loadavg_rs_load Load average recomputed by loadavg-rs, per definition and window (tasks).
# TYPE loadavg_rs_load gauge
loadavg_rs_load{definition=\"cpu\",window=\"2s\"} 0.05078125
loadavg_rs_load{definition=\"cpu\",window=\"10s\"} 0.01025390625
loadavg_rs_load{definition=\"cpu\",window=\"30s\"} 0.00341796875
loadavg_rs_load{definition=\"io\",window=\"2s\"} 0
loadavg_rs_load{definition=\"io\",window=\"10s\"} 0
loadavg_rs_load{definition=\"io\",window=\"30s\"} 0
loadavg_rs_load{definition=\"all\",window=\"2s\"} 0.05078125
loadavg_rs_load{definition=\"all\",window=\"10s\"} 0.01025390625
loadavg_rs_load{definition=\"all\",window=\"30s\"} 0.00341796875
loadavg_rs_load{definition=\"cpuio\",window=\"2s\"} 0.05078125
loadavg_rs_load{definition=\"cpuio\",window=\"10s\"} 0.01025390625
loadavg_rs_load{definition=\"cpuio\",window=\"30s\"} 0.00341796875
loadavg_rs_load{definition=\"blocked\",window=\"2s\"} 0
loadavg_rs_load{definition=\"blocked\",window=\"10s\"} 0
loadavg_rs_load{definition=\"blocked\",window=\"30s\"} 0
# HELP loadavg_rs_tasks Tasks active at the last sample, per definition.
# TYPE loadavg_rs_tasks gauge
loadavg_rs_tasks{definition=\"cpu\"} 1
loadavg_rs_tasks{definition=\"io\"} 0
loadavg_rs_tasks{definition=\"all\"} 1
loadavg_rs_tasks{definition=\"cpuio\"} 1
loadavg_rs_tasks{definition=\"blocked\"} 0
# HELP loadavg_rs_threads Threads at the last sample.
# TYPE loadavg_rs_threads gauge
loadavg_rs_threads 2
# HELP loadavg_rs_throttled_tasks Tasks held off their CPU by a bandwidth limit at the last sample.
# TYPE loadavg_rs_throttled_tasks gauge
loadavg_rs_throttled_tasks 0
# HELP loadavg_rs_delayed_tasks Sleeping tasks still on a runqueue at the last sample (counted in all only).
# TYPE loadavg_rs_delayed_tasks gauge
loadavg_rs_delayed_tasks 0
# HELP loadavg_rs_samples_total Samples taken (walks of every thread).
# TYPE loadavg_rs_samples_total counter
loadavg_rs_samples_total 1
# HELP loadavg_rs_windows_total Sampling periods closed, caught-up ones included.
# TYPE loadavg_rs_windows_total counter
loadavg_rs_windows_total 1
# HELP loadavg_rs_windows_caught_up_total Sampling periods closed late, several at once.
# TYPE loadavg_rs_windows_caught_up_total counter
loadavg_rs_windows_caught_up_total 0
# HELP loadavg_rs_walks_total Walks of every thread (one a sample).
# TYPE loadavg_rs_walks_total counter
loadavg_rs_walks_total 2
# HELP loadavg_rs_walk_seconds_total Time the walks of every thread took, added up.
# TYPE loadavg_rs_walk_seconds_total counter
loadavg_rs_walk_seconds_total 1.500250001
# HELP loadavg_rs_last_walk_seconds Duration of the last walk of every thread.
# TYPE loadavg_rs_last_walk_seconds gauge
loadavg_rs_last_walk_seconds 0.000250001
# HELP loadavg_rs_last_walk_stretch_seconds Longest stretch of the last walk between two lock breaks.
# TYPE loadavg_rs_last_walk_stretch_seconds gauge
loadavg_rs_last_walk_stretch_seconds 0.000040000
# HELP loadavg_rs_period_seconds Sampling period asked for.
# TYPE loadavg_rs_period_seconds gauge
loadavg_rs_period_seconds 0.100000000
# HELP loadavg_rs_window_seconds Length of each averaging window.
# TYPE loadavg_rs_window_seconds gauge
loadavg_rs_window_seconds{window=\"2s\"} 2.000000000
loadavg_rs_window_seconds{window=\"10s\"} 10.000000000
loadavg_rs_window_seconds{window=\"30s\"} 30.000000000
";
        let metrics = Metrics {
            engine: &e,
            walks: &walks,
        };
        assert!(text_is(&metrics, want));
        assert_eq!(bytes(&metrics), want.len());
    }
}
