// SPDX-License-Identifier: GPL-2.0

//! The text of `/proc/loadavg_rs` and `/proc/loadavg_rs_samples`, and what every file's text
//! shares.
//!
//! `/proc/loadavg_rs` is a table of every accounting and of the sampler's own figures
//! ([`Table`]); `/proc/loadavg_rs_samples` lists the recent samples and the exact state they led
//! to ([`SamplesText`]). The other files' texts use what is here too: windows as `60s`
//! ([`Duration`]), the counts' columns, the bytes a text prints ([`printed_bytes`]), text in a
//! fixed buffer ([`FixedText`]), and their tests' `text_is` and figures. The line of
//! `/proc/loadavg_<accounting>` is [`crate::model::loadavg_line`]'s, the cgroup table
//! [`crate::model::cgroup_report`]'s.

use core::fmt;

use crate::model::accounting::{Accounting, Apart, Counts};
use crate::model::calc_load::{load_int_frac, Load};
use crate::model::engine::Engine;
use crate::model::history::{Sampled, HISTORY_LEN};
use crate::model::walks::Walks;

/// A duration in milliseconds, written in seconds when it is whole seconds: `60s`, `500ms`.
pub struct Duration(pub u32);

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 1000 == 0 {
            write!(f, "{}s", self.0 / 1000)
        } else {
            write!(f, "{}ms", self.0)
        }
    }
}

/// The table of `/proc/loadavg_rs`: every accounting's averages and count, then the sampler's
/// figures, one `name value` pair a line.
///
/// When the module runs with the kernel's own period and windows, a last row, `kernel`, shows
/// the kernel's `avenrun` (what `/proc/loadavg` prints) beside the module's `all`, which
/// recomputes it; its count is not known to the module (`-`). With other windows the two would
/// not be comparable and the row is left out.
pub struct Table<'a> {
    /// The engine whose averages and figures are shown.
    pub engine: &'a Engine,
    /// What its walks cost.
    pub walks: &'a Walks,
    /// The kernel's own averages (`avenrun`).
    pub kernel: [Load; 3],
    /// With `virtualize=1`: the calls that went unprobed because another probe ran on their CPU
    /// (the host's among them), and the containers' calls handed the machine's figures for want
    /// of their own.
    pub virtualize: Option<(u64, u64)>,
}

impl fmt::Display for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let engine = self.engine;
        let config = engine.config();
        write!(f, "{:<10}", "accounting")?;
        for w in config.windows_ms {
            // Header cells such as `avg_60s`, right-aligned over the values.
            let mut cell = FixedText::<20>::new();
            // A cell of at most 20 bytes always fits.
            let _ = fmt::write(&mut cell, format_args!("avg_{}", Duration(w)));
            write!(f, " {:>12}", cell.as_str())?;
        }
        writeln!(f, " {:>8}", "active")?;
        for a in Accounting::ALL {
            write!(f, "{:<10}", a.name())?;
            for load in engine.loads(a) {
                let (int, frac) = load_int_frac(load);
                write!(f, " {:>9}.{frac:02}", int)?;
            }
            writeln!(f, " {:>8}", engine.counts().active(a))?;
        }
        if config.is_kernel_default() {
            write!(f, "{:<10}", "kernel")?;
            for load in self.kernel {
                let (int, frac) = load_int_frac(load);
                write!(f, " {:>9}.{frac:02}", int)?;
            }
            writeln!(f, " {:>8}", "-")?;
        }
        let stats = engine.stats();
        writeln!(f)?;
        writeln!(f, "{:<20} {}", "period_ms", config.period_ms)?;
        writeln!(f, "{:<20} {}", "period_ticks", config.period_ticks)?;
        writeln!(f, "{:<20} {}", "threads", engine.counts().threads)?;
        for apart in Apart::ALL {
            writeln!(f, "{:<20} {}", apart.row(), apart.of(engine.counts()))?;
        }
        writeln!(f, "{:<20} {}", "samples", stats.samples)?;
        writeln!(f, "{:<20} {}", "windows", stats.windows)?;
        writeln!(f, "{:<20} {}", "windows_caught_up", stats.caught_up)?;
        let walks = self.walks;
        writeln!(f, "{:<20} {}", "walk_ns", walks.last.ns)?;
        writeln!(f, "{:<20} {}", "walk_ns_max", walks.max_walk_ns)?;
        writeln!(f, "{:<20} {}", "stretch_ns", walks.last.stretch_ns)?;
        writeln!(f, "{:<20} {}", "stretch_ns_max", walks.max_stretch_ns)?;
        writeln!(
            f,
            "{:<20} {}",
            "stretch_threads_max", walks.max_stretch_threads
        )?;
        writeln!(f, "{:<20} {}", "lock_breaks", walks.last.breaks)?;
        writeln!(f, "{:<20} {}", "walk_restarts", walks.restarts)?;
        writeln!(f, "{:<20} {}", "walks_unbroken", walks.unbroken)?;
        if let Some((missed, host)) = self.virtualize {
            writeln!(f, "{:<20} {}", "virtualize_missed", missed)?;
            writeln!(f, "{:<20} {}", "virtualize_host", host)?;
        }
        Ok(())
    }
}

/// The text of `/proc/loadavg_rs_samples`: the state of the engine in fixed point, then the
/// recent samples, one a line, oldest first.
///
/// ```text
/// samples 3
/// windows 5
/// period_ticks 26
/// next_due 4290
/// decay 1945 2043 2046
/// fixed cpu 205 41 14
/// ...
/// sample jiffies late closed threads cpu io all cpuio blocked kthreads throttled delayed walk_ns stretch_ns avenrun1 avenrun5 avenrun15
/// 1 4160 0 1 38 1 0 1 1 0 0 0 0 81234 20310 12 3 1
/// ```
///
/// `fixed` rows are the averages as the engine holds them (`FIXED_1` = 2048 is 1.0); `decay`
/// the factor of each window. With a row for every sample since the one a reader saw last, the
/// reader can replay the kernel's `calc_load()`/`calc_load_n()` over the recorded counts and
/// closed windows and must land on the `fixed` values exactly. The `avenrun` columns are the
/// kernel's own averages (fixed point) at each sample: between two records where the kernel
/// closed one window of its own, they tell exactly what the kernel counted in it.
pub struct SamplesText<'a> {
    /// The engine and its history, taken at one instant.
    pub sampled: &'a Sampled,
}

impl fmt::Display for SamplesText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let engine = &self.sampled.engine;
        let config = engine.config();
        let stats = engine.stats();
        writeln!(f, "samples {}", stats.samples)?;
        writeln!(f, "windows {}", stats.windows)?;
        writeln!(f, "period_ticks {}", config.period_ticks)?;
        writeln!(f, "next_due {}", engine.next_due())?;
        writeln!(f, "history {HISTORY_LEN}")?;
        let [d1, d2, d3] = config.decay;
        writeln!(f, "decay {d1} {d2} {d3}")?;
        for a in Accounting::ALL {
            let [l1, l2, l3] = engine.loads(a);
            writeln!(f, "fixed {} {l1} {l2} {l3}", a.name())?;
        }
        write!(f, "sample jiffies late closed")?;
        counts_header(f, " ", Apart::ALL)?;
        writeln!(f, " walk_ns stretch_ns avenrun1 avenrun5 avenrun15")?;
        for r in self.sampled.history.iter() {
            write!(f, "{} {} {} {}", r.seq, r.jiffies, r.late, r.closed)?;
            counts_cells(f, " ", &r.counts, Apart::ALL)?;
            let [k1, k5, k15] = r.kernel;
            writeln!(f, " {} {} {k1} {k5} {k15}", r.walk_ns, r.stretch_ns)?;
        }
        Ok(())
    }
}

/// Bytes `value` prints.
pub fn printed_bytes(value: impl fmt::Display) -> usize {
    struct Count(usize);
    impl fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 = self.0.saturating_add(s.len());
            Ok(())
        }
    }
    let mut count = Count(0);
    // Counting never fails.
    let _ = fmt::write(&mut count, format_args!("{value}"));
    count.0
}

/// The counts' column names, `threads`, every definition's, then the counts shown `apart`, after
/// `lead` (what separates them from the columns before, if any).
pub(crate) fn counts_header(
    f: &mut fmt::Formatter<'_>,
    lead: &str,
    apart: impl IntoIterator<Item = Apart>,
) -> fmt::Result {
    write!(f, "{lead}threads")?;
    for a in Accounting::ALL {
        write!(f, " {}", a.name())?;
    }
    for x in apart {
        write!(f, " {}", x.name())?;
    }
    Ok(())
}

/// The counts of `counts` under the columns [`counts_header`] names.
pub(crate) fn counts_cells(
    f: &mut fmt::Formatter<'_>,
    lead: &str,
    counts: &Counts,
    apart: impl IntoIterator<Item = Apart>,
) -> fmt::Result {
    write!(f, "{lead}{}", counts.threads)?;
    for a in Accounting::ALL {
        write!(f, " {}", counts.active(a))?;
    }
    for x in apart {
        write!(f, " {}", x.of(counts))?;
    }
    Ok(())
}

/// Text formatted into a buffer of `N` bytes, without an allocator: header cells, and the
/// tests' expected texts.
pub struct FixedText<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> FixedText<N> {
    /// Empty.
    pub fn new() -> Self {
        FixedText {
            buf: [0; N],
            len: 0,
        }
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the bytes are UTF-8.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> Default for FixedText<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for FixedText<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Tests: whether `value` writes exactly `want`, compared as it is written (no buffer: a KUnit
/// test runs on a kernel stack).
#[cfg(any(test, CONFIG_KUNIT = "y"))]
pub fn text_is(value: impl fmt::Display, want: &str) -> bool {
    /// What is still to come.
    struct Rest<'a>(&'a str);

    impl fmt::Write for Rest<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 = self.0.strip_prefix(s).ok_or(fmt::Error)?;
            Ok(())
        }
    }

    let mut rest = Rest(want);
    fmt::write(&mut rest, format_args!("{value}")).is_ok() && rest.0.is_empty()
}

/// What the tests of the files' texts share: a configuration and a sample's counts.
#[cfg(any(test, CONFIG_KUNIT = "y"))]
pub(crate) mod testing {
    use crate::model::accounting::Counts;
    use crate::model::config::Config;

    /// A valid configuration at HZ=250.
    pub(crate) fn config(period_ms: u32, windows_ms: [u32; 3]) -> Config {
        match Config::new(250, period_ms, windows_ms) {
            Ok(c) => c,
            Err(_) => panic!("valid"),
        }
    }

    /// 40 threads: `runnable`, and `io` + `blocked` uninterruptible.
    pub(crate) fn counts(runnable: u32, io: u32, blocked: u32) -> Counts {
        Counts {
            threads: 40,
            runnable,
            uninterruptible: io + blocked,
            iowait: io,
            blocked,
            ..Counts::ZERO
        }
    }
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_report))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::testing::{config, counts};
    use super::*;
    use crate::model::config::{DEFAULT_PERIOD_MS, DEFAULT_WINDOWS_MS};
    use crate::model::walks::Walk;

    #[test]
    fn table() {
        let config = config(500, [6000, 30_000, 1500]);
        let mut e = Engine::new(config, 0);
        let c = counts(1, 2, 0);
        let walk = Walk {
            ns: 1234,
            stretch_ns: 56,
            stretch_threads: 40,
            breaks: 0,
            restarts: 1,
            unbroken: false,
        };
        e.sample(126, c);
        let mut walks = Walks::NONE;
        walks.add(walk);
        let want = "\
accounting       avg_6s      avg_30s   avg_1500ms   active
cpu                0.08         0.02         0.29        1
io                 0.16         0.03         0.57        2
all                0.24         0.05         0.86        3
cpuio              0.24         0.05         0.86        3
blocked            0.00         0.00         0.00        0

period_ms            500
period_ticks         126
threads              40
kernel_threads       0
throttled            0
delayed              0
samples              1
windows              1
windows_caught_up    0
walk_ns              1234
walk_ns_max          1234
stretch_ns           56
stretch_ns_max       56
stretch_threads_max  40
lock_breaks          0
walk_restarts        1
walks_unbroken       0
";
        assert!(text_is(
            Table {
                engine: &e,
                walks: &walks,
                kernel: [1, 2, 3],
                virtualize: None,
            },
            want
        ));
        // With virtualize=1, its figures last.
        let mut t = FixedText::<2048>::new();
        let with = Table {
            engine: &e,
            walks: &walks,
            kernel: [1, 2, 3],
            virtualize: Some((4, 7)),
        };
        assert!(fmt::write(&mut t, format_args!("{with}")).is_ok());
        assert_eq!(
            t.as_str().strip_prefix(want),
            Some("virtualize_missed    4\nvirtualize_host      7\n")
        );
    }

    #[test]
    fn samples() {
        let config = config(100, [2000, 10_000, 30_000]);
        let mut s = Sampled::new(Engine::new(config, 4000));
        let c = Counts {
            threads: 38,
            runnable: 1,
            uninterruptible: 2,
            iowait: 1,
            blocked: 1,
            kthreads: 1,
            throttled: 2,
            delayed: 1,
        };
        s.sample(4026, c, Walk::default(), [0, 0, 0]);
        // 29 ticks late: one calc_load() step and one window caught up with calc_load_n().
        // The expected values were computed apart, with the kernel's formulas in Python.
        let walk = Walk {
            ns: 5000,
            stretch_ns: 700,
            ..Walk::default()
        };
        s.sample(4026 + 26 * 2 + 3, c, walk, [2048, 1024, 61]);
        let want = "\
samples 2
windows 3
period_ticks 26
next_due 4104
history 64
decay 1944 2027 2041
fixed cpu 297 63 21
fixed io 297 63 21
fixed all 1186 251 84
fixed cpuio 594 126 42
fixed blocked 297 63 21
sample jiffies late closed threads cpu io all cpuio blocked kthreads throttled delayed walk_ns stretch_ns avenrun1 avenrun5 avenrun15
1 4026 0 1 38 1 1 4 2 1 1 2 1 0 0 0 0 0
2 4081 29 2 38 1 1 4 2 1 1 2 1 5000 700 2048 1024 61
";
        assert!(text_is(SamplesText { sampled: &s }, want));
    }

    #[test]
    fn table_with_the_kernels_row() {
        let config = config(DEFAULT_PERIOD_MS, DEFAULT_WINDOWS_MS);
        let mut e = Engine::new(config, 0);
        let c = counts(2, 0, 0);
        e.sample(1251, c);
        let mut walks = Walks::NONE;
        walks.add(Walk {
            ns: 10,
            ..Walk::default()
        });
        // The averages, then the kernel's own at the default windows; the figures below are
        // the ones `table` checks.
        let want = "\
accounting      avg_60s     avg_300s     avg_900s   active
cpu                0.16         0.03         0.01        2
io                 0.00         0.00         0.00        0
all                0.16         0.03         0.01        2
cpuio              0.16         0.03         0.01        2
blocked            0.00         0.00         0.00        0
kernel             0.62         1.00        12.34        -

period_ms            5000
";
        let mut t = FixedText::<2048>::new();
        let table = Table {
            engine: &e,
            walks: &walks,
            kernel: [1269, 2038, 12 * 2048 + 696],
            virtualize: None,
        };
        assert!(fmt::write(&mut t, format_args!("{table}")).is_ok());
        assert!(t.as_str().starts_with(want));
        assert!(t.as_str().ends_with("walks_unbroken       0\n"));
    }
}
