// SPDX-License-Identifier: GPL-2.0

//! `/proc/loadavg_rs_metrics`: the module's figures in the Prometheus text exposition format,
//! for node_exporter's textfile collector (a `.prom` symlink to this file in its directory).
//!
//! The series sit next to node_exporter's own `node_load1/5/15`, named after them:
//!
//! ```text
//! # HELP node_loadavg_rs_load Load average recomputed by loadavg-rs, per definition and window.
//! # TYPE node_loadavg_rs_load gauge
//! node_loadavg_rs_load{definition="cpu",window="60s"} 0.6181640625
//! ```
//!
//! Every average is printed exactly: a fixed-point value is an integer of 2048ths, which has a
//! finite decimal expansion of at most 11 digits (2048 is 2^11), so a reader that multiplies by
//! 2048 gets the module's value back. Counts are gauges; samples and windows, counters. The
//! per-cgroup series carry a `cgroup` label, the path as the reader's cgroup namespace names
//! it, and are as many as the tracked cgroups the reader sees (at most `max_cgroups`).

use core::fmt;

use crate::model::accounting::{Accounting, Apart};
use crate::model::calc_load::{Load, FIXED_1, FSHIFT};
use crate::model::cgroups::Slot;
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

/// A label value with `\`, `"` and newlines escaped, as the format asks.
struct Label<'a>(&'a str);

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\n' => f.write_str("\\n")?,
                c => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

/// What every series' name starts with.
const PREFIX: &str = "node_loadavg_rs_";

/// `# HELP` and `# TYPE` of the family `node_loadavg_rs_<name>`.
fn head(f: &mut fmt::Formatter<'_>, name: &str, kind: &str, help: &str) -> fmt::Result {
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
fn distinct(windows_ms: [u32; 3]) -> impl Iterator<Item = (usize, u32)> {
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
        for (name, kind, help, value) in [
            (
                "samples_total",
                "counter",
                "Samples taken (walks of every thread).",
                stats.samples,
            ),
            (
                "windows_total",
                "counter",
                "Sampling periods closed, caught-up ones included.",
                stats.windows,
            ),
            (
                "windows_caught_up_total",
                "counter",
                "Sampling periods closed late, several at once.",
                stats.caught_up,
            ),
        ] {
            head(f, name, kind, help)?;
            writeln!(f, "{PREFIX}{name} {value}")?;
        }
        for (name, help, ns) in [
            (
                "walk_seconds",
                "Duration of the last walk of every thread.",
                self.walks.last.ns,
            ),
            (
                "walk_stretch_seconds",
                "Longest stretch of the last walk between two lock breaks.",
                self.walks.last.stretch_ns,
            ),
            (
                "period_seconds",
                "Sampling period asked for.",
                u64::from(e.config().period_ms) * 1_000_000,
            ),
        ] {
            head(f, name, "gauge", help)?;
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

/// The per-cgroup families, each printed over every row the reader sees (a family's lines must
/// come together).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgroupFamily {
    /// `node_loadavg_rs_cgroup_load{cgroup,definition,window}`.
    Load,
    /// `node_loadavg_rs_cgroup_tasks{cgroup,definition}`.
    Tasks,
    /// `node_loadavg_rs_cgroup_threads{cgroup}`.
    Threads,
}

impl CgroupFamily {
    /// Every family, in the order they are printed.
    pub const ALL: [CgroupFamily; 3] = [
        CgroupFamily::Load,
        CgroupFamily::Tasks,
        CgroupFamily::Threads,
    ];
}

/// The head of the per-cgroup series: the sample they are of, then the `# HELP` and `# TYPE`
/// lines of `family`.
pub struct CgroupHead {
    /// The family.
    pub family: CgroupFamily,
    /// The sample the rows are of, printed once, with the first family.
    pub sample: Option<u64>,
}

impl fmt::Display for CgroupHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(sample) = self.sample {
            head(
                f,
                "cgroup_sample",
                "gauge",
                "The sample the per-cgroup series are of (they may lag the others by one).",
            )?;
            writeln!(f, "{PREFIX}cgroup_sample {sample}")?;
        }
        match self.family {
            CgroupFamily::Load => head(
                f,
                "cgroup_load",
                "gauge",
                "Load average of a cgroup and its descendants, per definition and window.",
            ),
            CgroupFamily::Tasks => head(
                f,
                "cgroup_tasks",
                "gauge",
                "Tasks of a cgroup and its descendants active at the last sample, per definition.",
            ),
            CgroupFamily::Threads => head(
                f,
                "cgroup_threads",
                "gauge",
                "Threads of a cgroup and its descendants at the last sample.",
            ),
        }
    }
}

/// One cgroup's lines of one family.
pub struct CgroupSeries<'a> {
    /// The family.
    pub family: CgroupFamily,
    /// The cgroup's row.
    pub slot: &'a Slot,
    /// Its path, as the reader's cgroup namespace names it.
    pub path: &'a str,
    /// The windows, for the `window` label.
    pub windows_ms: [u32; 3],
}

impl fmt::Display for CgroupSeries<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, cg) = (self.slot, Label(self.path));
        match self.family {
            CgroupFamily::Load => {
                for a in Accounting::ALL {
                    let loads = s.loads[a.index()];
                    for (i, w) in distinct(self.windows_ms) {
                        let (n, w, l) = (a.name(), Duration(w), Exact(loads[i]));
                        writeln!(
                            f,
                            "{PREFIX}cgroup_load{{cgroup=\"{cg}\",definition=\"{n}\",window=\"{w}\"}} {l}"
                        )?;
                    }
                }
                Ok(())
            }
            CgroupFamily::Tasks => {
                for a in Accounting::ALL {
                    let (n, c) = (a.name(), s.counts.active(a));
                    writeln!(
                        f,
                        "{PREFIX}cgroup_tasks{{cgroup=\"{cg}\",definition=\"{n}\"}} {c}"
                    )?;
                }
                Ok(())
            }
            CgroupFamily::Threads => {
                writeln!(
                    f,
                    "{PREFIX}cgroup_threads{{cgroup=\"{cg}\"}} {}",
                    s.counts.threads
                )
            }
        }
    }
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_metrics))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::accounting::{Counts, ThreadState};
    use crate::model::config::Config;
    use crate::model::report::{text_is, FixedText};

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
    fn label_values_are_escaped() {
        assert!(text_is(Label("/a \"b\"\\c\nd"), "/a \\\"b\\\"\\\\c\\nd"));
    }

    #[test]
    fn every_definition_and_window_is_a_series() {
        let config = match Config::new(250, 100, [2000, 10_000, 30_000]) {
            Ok(c) => c,
            Err(_) => panic!("a valid configuration"),
        };
        let mut e = Engine::new(config, 0);
        let r = ThreadState {
            on_rq: true,
            ..ThreadState::default()
        };
        let mut counts = Counts::default();
        counts.add(r);
        counts.add(ThreadState::default());
        e.sample(26, counts);
        let want_start = "\
# HELP node_loadavg_rs_load Load average recomputed by loadavg-rs, per definition and window (tasks).
# TYPE node_loadavg_rs_load gauge
node_loadavg_rs_load{definition=\"cpu\",window=\"2s\"} ";
        let mut t = FixedText::<4096>::new();
        assert!(fmt::write(
            &mut t,
            format_args!(
                "{}",
                Metrics {
                    engine: &e,
                    walks: &Walks::NONE
                }
            )
        )
        .is_ok());
        let text = t.as_str();
        assert!(text.starts_with(want_start));
        // 15 averages, 5 counts, 3 counts and 3 counters, 3 durations, 3 windows.
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 32);
        assert_eq!(text.lines().filter(|l| l.starts_with("# TYPE")).count(), 12);
        for a in Accounting::ALL {
            for w in ["2s", "10s", "30s"] {
                let mut found = false;
                for l in text.lines() {
                    found |= l.starts_with("node_loadavg_rs_load{definition=\"")
                        && l.contains(a.name())
                        && l.contains(w);
                }
                assert!(found);
            }
        }
        assert!(text.contains("node_loadavg_rs_tasks{definition=\"cpu\"} 1\n"));
        assert!(text.contains("node_loadavg_rs_threads 2\n"));
        assert!(text.contains("node_loadavg_rs_samples_total 1\n"));
    }
}
