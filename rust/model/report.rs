// SPDX-License-Identifier: GPL-2.0

//! The text of the module's proc files.
//!
//! `/proc/loadavg_<accounting>` reads exactly like `/proc/loadavg` ([`LoadavgText`]), so any
//! parser of that file reads them unchanged; `/proc/loadavg_rs` is a table of every
//! accounting and of the sampler's own figures ([`Table`]); `/proc/loadavg_rs_samples` lists
//! the recent samples and the exact state they led to ([`SamplesText`]).

use core::fmt;

use crate::model::accounting::{Accounting, Apart, Counts};
use crate::model::calc_load::{load_int_frac, Load, FIXED_1, FSHIFT};
use crate::model::cgroups::Slot;
use crate::model::engine::Engine;
use crate::model::history::{Sampled, HISTORY_LEN};
use crate::model::walks::Walks;

/// One line in the format of `/proc/loadavg`: `"%lu.%02lu %lu.%02lu %lu.%02lu %u/%d %d\n"`.
pub struct LoadavgText {
    /// The three averages, fixed point.
    pub loads: [Load; 3],
    /// Field 4, before the slash: the active count (`nr_running()` in `/proc/loadavg`).
    pub running: u32,
    /// Field 4, after the slash: the number of threads.
    pub threads: i32,
    /// Field 5: the last PID allocated.
    pub last_pid: i32,
}

impl LoadavgText {
    /// The line for `accounting`, from the engine's averages and the counts of its last sample.
    pub fn new(engine: &Engine, accounting: Accounting, last_pid: i32) -> LoadavgText {
        let counts = engine.counts();
        LoadavgText {
            loads: engine.loads(accounting),
            running: counts.active(accounting),
            threads: i32::try_from(counts.threads).unwrap_or(i32::MAX),
            last_pid,
        }
    }
}

/// Room for the longest [`LoadavgText`]: three averages of at most 20 + 3 digits, two counts
/// and a PID of at most 11 characters each, separators.
pub const LINE_MAX: usize = 128;

impl LoadavgText {
    /// Writes the line into `buf` and returns its length: the same bytes as [`fmt::Display`],
    /// without `core::fmt`'s machinery, for the proc read path (reading a `/proc/loadavg_*` file
    /// should cost what reading `/proc/loadavg` does).
    pub fn render(&self, buf: &mut [u8; LINE_MAX]) -> usize {
        let mut w = ByteWriter { buf, len: 0 };
        for load in self.loads {
            let (int, frac) = load_int_frac(load);
            w.unsigned(int as u64);
            w.byte(b'.');
            // LOAD_FRAC is below 100.
            w.byte(b'0' + (frac / 10 % 10) as u8);
            w.byte(b'0' + (frac % 10) as u8);
            w.byte(b' ');
        }
        w.unsigned(u64::from(self.running));
        w.byte(b'/');
        w.signed(self.threads);
        w.byte(b' ');
        w.signed(self.last_pid);
        w.byte(b'\n');
        w.len
    }
}

/// Appends bytes and decimal numbers to a fixed buffer; what does not fit is dropped (it
/// cannot happen with [`LINE_MAX`]).
struct ByteWriter<'a> {
    buf: &'a mut [u8; LINE_MAX],
    len: usize,
}

impl ByteWriter<'_> {
    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn unsigned(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            self.byte(d);
        }
    }

    fn signed(&mut self, n: i32) {
        if n < 0 {
            self.byte(b'-');
        }
        self.unsigned(u64::from(n.unsigned_abs()));
    }
}

impl fmt::Display for LoadavgText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for load in self.loads {
            let (int, frac) = load_int_frac(load);
            write!(f, "{int}.{frac:02} ")?;
        }
        writeln!(f, "{}/{} {}", self.running, self.threads, self.last_pid)
    }
}

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

/// The head of `/proc/loadavg_rs_cgroups`: the sample its rows are of, how many cgroups there
/// are, tracked and not, then a header line naming the columns of the rows ([`CgroupRow`]).
///
/// ```text
/// sample 57
/// cgroups_tracked 5
/// cgroups_existing 5
/// cgroup_slots 1024
/// folded_threads 0
/// threads cpu io all cpuio blocked throttled delayed since cpu_60s cpu_300s cpu_900s ... psi_cpu_10s ... path
/// ```
pub struct CgroupsHead<'a> {
    /// The engine, for the windows.
    pub engine: &'a Engine,
    /// The sample the rows are of.
    pub sample: u64,
    /// Cgroups with a slot, of those the reader sees (its cgroup namespace's).
    pub tracked: u32,
    /// Cgroups the reader's namespace has: those without a slot held no task at the last
    /// sample, or are folded.
    pub existing: u32,
    /// Slots (`max_cgroups`).
    pub slots: usize,
    /// Threads of the last walk counted, in a row the reader sees, for want of a slot of their
    /// own cgroup.
    pub folded_threads: u32,
}

impl fmt::Display for CgroupsHead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sample {}", self.sample)?;
        writeln!(f, "cgroups_tracked {}", self.tracked)?;
        writeln!(f, "cgroups_existing {}", self.existing)?;
        writeln!(f, "cgroup_slots {}", self.slots)?;
        writeln!(f, "folded_threads {}", self.folded_threads)?;
        counts_header(f, "", per_cgroup())?;
        write!(f, " since")?;
        for a in Accounting::ALL {
            for w in self.engine.config().windows_ms {
                write!(f, " {}_{}", a.name(), Duration(w))?;
            }
        }
        for resource in PSI_RESOURCES {
            for w in PSI_WINDOWS_S {
                write!(f, " psi_{resource}_{w}s")?;
            }
        }
        writeln!(f, " path")
    }
}

/// The resources whose pressure a cgroup's row shows, in order.
pub const PSI_RESOURCES: [&str; 2] = ["cpu", "io"];
/// The windows of the kernel's pressure averages (`avg10`, `avg60`, `avg300`), in seconds.
pub const PSI_WINDOWS_S: [u32; 3] = [10, 60, 300];
/// A cgroup row's pressure columns: each resource over each window.
pub const PSI_COLUMNS: usize = PSI_RESOURCES.len() * PSI_WINDOWS_S.len();

/// A path (a cgroup's: any bytes but `/` and NUL in each name) as text, losslessly: `\\` for a
/// backslash, `\xNN` (two lowercase hex digits) for each byte that is not part of a valid UTF-8
/// character or is part of a control character (a newline, a tab, DEL, C1 controls), every
/// other character as it is.
///
/// Anyone who may make a cgroup (a delegated subtree's owner) names it, so a name may hold any
/// byte: shown raw, a newline would forge a row of a line-based file, and a name that is not
/// UTF-8 could not be a Prometheus label. Every file that names a cgroup prints it this way, so
/// one name reads the same everywhere; reading `\\` as a backslash and `\xNN` as byte `NN`
/// gives the bytes back.
pub struct PathText<'a>(pub &'a [u8]);

impl fmt::Display for PathText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while !rest.is_empty() {
            // The longest valid UTF-8 prefix, then the bytes of the one invalid sequence after
            // it (all that is left when the bytes end inside a character).
            let (valid, bad) = match core::str::from_utf8(rest) {
                Ok(s) => (s, 0),
                Err(e) => {
                    let n = e.valid_up_to();
                    let valid = rest
                        .get(..n)
                        .and_then(|v| core::str::from_utf8(v).ok())
                        .unwrap_or("");
                    (valid, e.error_len().unwrap_or(rest.len() - n))
                }
            };
            for c in valid.chars() {
                if c == '\\' {
                    f.write_str("\\\\")?;
                } else if c.is_control() {
                    let mut utf8 = [0; 4];
                    for b in c.encode_utf8(&mut utf8).bytes() {
                        write!(f, "\\x{b:02x}")?;
                    }
                } else {
                    fmt::Write::write_char(f, c)?;
                }
            }
            let invalid = rest.get(valid.len()..valid.len() + bad).unwrap_or(&[]);
            for b in invalid {
                write!(f, "\\x{b:02x}")?;
            }
            rest = rest.get(valid.len() + bad..).unwrap_or(&[]);
        }
        Ok(())
    }
}

/// One cgroup's row in `/proc/loadavg_rs_cgroups`: its counts at the last sample (its threads
/// and its descendants'), the sample it was first tracked at, its averages with two decimals
/// (every definition, every window), its pressure (`some`, percent, exactly as its
/// `cpu.pressure` and `io.pressure` show it; `-` when it has none, as the root, whose pressure
/// is the system's, which modules cannot reach), and its path ([`PathText`]), last, so that a
/// path with spaces still parses.
pub struct CgroupRow<'a> {
    /// The cgroup's slot.
    pub slot: &'a Slot,
    /// Its pressure: cpu over 10, 60, 300 s, then io; fixed point, percent.
    pub psi: Option<[Load; PSI_COLUMNS]>,
    /// Its path, as the reader's cgroup namespace names it; `None` for one of `PATH_MAX` bytes
    /// or more, shown as `?` (a path always starts with `/`).
    pub path: Option<&'a [u8]>,
}

impl fmt::Display for CgroupRow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        counts_cells(f, "", &self.slot.counts, per_cgroup())?;
        write!(f, " {}", self.slot.since)?;
        for a in Accounting::ALL {
            for load in self.slot.loads[a.index()] {
                let (int, frac) = load_int_frac(load);
                write!(f, " {int}.{frac:02}")?;
            }
        }
        match self.psi {
            Some(psi) => {
                for p in psi {
                    let (int, frac) = psi_int_frac(p);
                    write!(f, " {int}.{frac:02}")?;
                }
            }
            None => (0..PSI_COLUMNS).try_for_each(|_| write!(f, " -"))?,
        }
        match self.path {
            Some(path) => writeln!(f, " {}", PathText(path)),
            None => writeln!(f, " ?"),
        }
    }
}

/// The widest average there is: the most tasks a count holds, with every fraction's digit.
pub const WIDEST_LOAD: Load = ((u32::MAX as Load) << FSHIFT) | 1;

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

/// Bytes a row of `/proc/loadavg_rs_cgroups` prints at most, with a path that prints
/// `path_bytes`: [`CgroupRow`] measured with every figure as wide as it can be.
pub fn cgroup_row_bytes(path_bytes: usize) -> usize {
    let slot = Slot {
        since: u64::MAX,
        counts: Counts::WIDEST,
        loads: [[WIDEST_LOAD; 3]; Accounting::ALL.len()],
        ..Slot::FREE
    };
    let row = CgroupRow {
        slot: &slot,
        psi: Some([WIDEST_LOAD; PSI_COLUMNS]),
        path: Some(b"/"),
    };
    // The path measured is `/`, one byte.
    printed_bytes(row).saturating_add(path_bytes.saturating_sub(1))
}

/// The counts' column names, `threads`, every definition's, then the counts shown `apart`, after
/// `lead` (what separates them from the columns before, if any).
fn counts_header(
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
fn counts_cells(
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

/// The counts shown apart in a cgroup's row.
fn per_cgroup() -> impl Iterator<Item = Apart> {
    Apart::ALL.into_iter().filter(|x| x.per_cgroup())
}

/// A pressure average as the kernel prints it (`psi_show()`: `LOAD_INT`, `LOAD_FRAC`): the
/// fixed-point percentage truncated to two decimals, not rounded as `/proc/loadavg` is.
const fn psi_int_frac(p: Load) -> (Load, Load) {
    (p >> FSHIFT, ((p & (FIXED_1 - 1)) * 100) >> FSHIFT)
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
#[cfg(any(test, MODULE))]
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

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_report))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::accounting::Counts;
    use crate::model::config::{Config, DEFAULT_PERIOD_MS, DEFAULT_WINDOWS_MS};
    use crate::model::files::{Access, Content};
    use crate::model::walks::Walk;

    /// A valid configuration at HZ=250.
    fn config(period_ms: u32, windows_ms: [u32; 3]) -> Config {
        match Config::new(250, period_ms, windows_ms) {
            Ok(c) => c,
            Err(_) => panic!("valid"),
        }
    }

    /// 40 threads: `runnable`, and `io` + `blocked` uninterruptible.
    fn counts(runnable: u32, io: u32, blocked: u32) -> Counts {
        Counts {
            threads: 40,
            runnable,
            uninterruptible: io + blocked,
            iowait: io,
            blocked,
            ..Counts::ZERO
        }
    }

    #[test]
    fn proc_loadavg_format() {
        let line = LoadavgText {
            loads: [1269, 2038, 0],
            running: 2,
            threads: 38,
            last_pid: 117,
        };
        assert!(text_is(line, "0.62 1.00 0.00 2/38 117\n"));
        let big = LoadavgText {
            loads: [100 * 2048 + 1000, 7, 9999],
            running: 0,
            threads: -1,
            last_pid: -1,
        };
        assert!(text_is(big, "100.49 0.00 4.88 0/-1 -1\n"));
    }

    #[test]
    fn render_is_display() {
        let cases = [
            LoadavgText {
                loads: [1269, 2038, 0],
                running: 2,
                threads: 38,
                last_pid: 117,
            },
            LoadavgText {
                loads: [0; 3],
                running: 0,
                threads: 0,
                last_pid: 0,
            },
            LoadavgText {
                loads: [usize::MAX, usize::MAX - 9, 2047],
                running: u32::MAX,
                threads: i32::MIN,
                last_pid: i32::MAX,
            },
            LoadavgText {
                loads: [100 * 2048 + 1000, 7, 9999],
                running: 9,
                threads: -1,
                last_pid: -1,
            },
        ];
        for line in cases {
            let mut buf = [0u8; LINE_MAX];
            let len = line.render(&mut buf);
            let text = core::str::from_utf8(&buf[..len]).unwrap_or("");
            assert!(len < LINE_MAX);
            assert!(text_is(&line, text));
        }
    }

    #[test]
    fn line_of_an_accounting() {
        let config = config(500, [6000, 30_000, 90_000]);
        let mut e = Engine::new(config, 0);
        let c = counts(1, 2, 0);
        e.sample(126, c);
        assert!(text_is(
            LoadavgText::new(&e, Accounting::Io, 99),
            "0.16 0.03 0.01 2/40 99\n"
        ));
        assert!(text_is(
            LoadavgText::new(&e, Accounting::All, 99),
            "0.24 0.05 0.02 3/40 99\n"
        ));
    }

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
    fn cgroups() {
        let config = config(100, [2000, 10_000, 30_000]);
        let mut e = Engine::new(config, 0);
        e.sample(26, counts(1, 0, 0));
        let head = CgroupsHead {
            engine: &e,
            sample: e.stats().samples,
            tracked: 2,
            existing: 3,
            slots: 1024,
            folded_threads: 0,
        };
        let want = "\
sample 1
cgroups_tracked 2
cgroups_existing 3
cgroup_slots 1024
folded_threads 0
threads cpu io all cpuio blocked throttled delayed since \
cpu_2s cpu_10s cpu_30s io_2s io_10s io_30s all_2s all_10s all_30s \
cpuio_2s cpuio_10s cpuio_30s blocked_2s blocked_10s blocked_30s \
psi_cpu_10s psi_cpu_60s psi_cpu_300s psi_io_10s psi_io_60s psi_io_300s path
";
        assert!(text_is(head, want));
        let mut slot = Slot {
            id: 9,
            key: 1,
            parent: 0,
            level: 1,
            since: 3,
            own: Counts::ZERO,
            own_folded: 0,
            folded: 0,
            counts: counts(2, 1, 0),
            loads: [[2048 + 1023, 0, 1]; Accounting::ALL.len()],
        };
        slot.counts.throttled = 4;
        let row = CgroupRow {
            slot: &slot,
            // Truncated as psi_show() prints pressure: 2047 is 0.99 (rounded, it would be 1.00).
            psi: Some([0, 2048, 205, 100 * 2048, 2047, 2]),
            path: Some(b"/my group/x"),
        };
        let want = "40 2 1 3 3 0 4 0 3 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 0.00 1.00 0.10 100.00 0.99 0.00 /my group/x\n";
        assert!(text_is(row, want));
        let row = CgroupRow {
            slot: &slot,
            psi: None,
            path: Some(b"/"),
        };
        assert!(text_is(row, "40 2 1 3 3 0 4 0 3 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 - - - - - - /\n"));
        // A name that is not UTF-8, or holds a newline, reads escaped; a path too long, `?`.
        let row = CgroupRow {
            slot: &slot,
            psi: None,
            path: Some(b"/x\xffy/a\nb"),
        };
        assert!(text_is(row, "40 2 1 3 3 0 4 0 3 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 - - - - - - /x\\xffy/a\\x0ab\n"));
        let row = CgroupRow {
            slot: &slot,
            psi: None,
            path: None,
        };
        assert!(text_is(row, "40 2 1 3 3 0 4 0 3 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 1.50 0.00 0.00 - - - - - - ?\n"));
        // The size measured from the format bounds every row, and is one row at its widest:
        // 8 counts of 10 digits, a sample of 20, 15 averages and 6 pressures of 14 (10 digits,
        // a point, 2 decimals, and a space before each figure), a space and the path, a newline.
        let path = b"/my group/x";
        for psi in [None, Some([0, 2048, 205, 100 * 2048, 2047, 2])] {
            let row = CgroupRow {
                slot: &slot,
                psi,
                path: Some(path),
            };
            assert!(printed_bytes(row) <= cgroup_row_bytes(path.len()));
        }
        assert_eq!(
            cgroup_row_bytes(path.len()),
            8 * 11 - 1 + 21 + 21 * 14 + 1 + path.len() + 1
        );
    }

    /// `text` read back as [`PathText`] says (`\\` a backslash, `\xNN` byte `NN`) into
    /// `out`: the bytes' length, or `None` if `text` is not such an escape.
    fn unescaped(text: &str, out: &mut [u8]) -> Option<usize> {
        let (mut rest, mut n) = (text, 0);
        while let Some(c) = rest.chars().next() {
            let byte = if let Some(r) = rest.strip_prefix("\\\\") {
                rest = r;
                b'\\'
            } else if let Some(r) = rest.strip_prefix("\\x") {
                let hex = r.get(..2)?;
                rest = r.get(2..)?;
                u8::from_str_radix(hex, 16).ok()?
            } else if c == '\\' || c.is_control() {
                return None;
            } else {
                // A character as it is: its bytes.
                let mut utf8 = [0; 4];
                for b in c.encode_utf8(&mut utf8).bytes() {
                    *out.get_mut(n)? = b;
                    n += 1;
                }
                rest = rest.get(c.len_utf8()..)?;
                continue;
            };
            *out.get_mut(n)? = byte;
            n += 1;
        }
        Some(n)
    }

    /// Whether `path` prints as `want`, and `want` reads back as `path`.
    fn escaped_losslessly(path: &[u8], want: &str) -> bool {
        let mut back = [0u8; 64];
        text_is(PathText(path), want)
            && unescaped(want, &mut back).and_then(|n| back.get(..n)) == Some(path)
    }

    #[test]
    fn paths_are_escaped_losslessly() {
        for (path, want) in [
            (&b"/a b/c"[..], "/a b/c"),
            (b"/x\xffy", "/x\\xffy"),
            (b"/back\\slash", "/back\\\\slash"),
            (b"/\\x41", "/\\\\x41"),
            (
                b"/new\nline\ttab\x7f\x01",
                "/new\\x0aline\\x09tab\\x7f\\x01",
            ),
            ("/é/€/😀\"'".as_bytes(), "/é/€/😀\"'"),
            // A C1 control (U+0085), then a character cut short, an overlong `/`, a surrogate.
            ("/\u{85}".as_bytes(), "/\\xc2\\x85"),
            (b"/cut\xe2\x82", "/cut\\xe2\\x82"),
            (b"/\xc0\xaf", "/\\xc0\\xaf"),
            (b"/\xed\xa0\x80z", "/\\xed\\xa0\\x80z"),
            (b"", ""),
        ] {
            assert!(escaped_losslessly(path, want));
        }
        // Every byte alone: printable ASCII as it is, the rest escaped, all read back.
        for b in 0..=255u8 {
            let mut text = FixedText::<8>::new();
            assert!(fmt::write(&mut text, format_args!("{}", PathText(&[b]))).is_ok());
            let plain = (0x20..0x7f).contains(&b) && b != b'\\';
            assert_eq!(
                text.as_str().len(),
                if plain {
                    1
                } else if b == b'\\' {
                    2
                } else {
                    4
                }
            );
            let mut back = [0u8; 4];
            assert_eq!(unescaped(text.as_str(), &mut back), Some(1));
            assert_eq!(back[0], b);
        }
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
        let want = "\
accounting      avg_60s     avg_300s     avg_900s   active
cpu                0.16         0.03         0.01        2
io                 0.00         0.00         0.00        0
all                0.16         0.03         0.01        2
cpuio              0.16         0.03         0.01        2
blocked            0.00         0.00         0.00        0
kernel             0.62         1.00        12.34        -

period_ms            5000
period_ticks         1251
threads              40
kernel_threads       0
throttled            0
delayed              0
samples              1
windows              1
windows_caught_up    0
walk_ns              10
walk_ns_max          10
stretch_ns           0
stretch_ns_max       0
stretch_threads_max  0
lock_breaks          0
walk_restarts        0
walks_unbroken       0
";
        assert!(text_is(
            Table {
                engine: &e,
                walks: &walks,
                kernel: [1269, 2038, 12 * 2048 + 696],
                virtualize: None,
            },
            want
        ));
    }

    #[test]
    fn the_files_and_their_names() {
        let want = [
            "loadavg_cpu",
            "loadavg_io",
            "loadavg_all",
            "loadavg_cpuio",
            "loadavg_blocked",
            "loadavg_rs",
            "loadavg_rs_samples",
            "loadavg_cgroup",
            "loadavg_cgroup_cpu",
            "loadavg_cgroup_io",
            "loadavg_cgroup_cpuio",
            "loadavg_cgroup_blocked",
            "loadavg_rs_cgroups",
            "loadavg_rs_metrics",
            "loadavg_rs_top",
            "loadavg_rs_stacks",
        ];
        assert_eq!(Content::all().count(), want.len());
        for (c, name) in Content::all().zip(want) {
            assert!(text_is(c.name(), name));
        }
        assert_eq!(Content::all().filter(|c| c.per_cgroup()).count(), 6);
        assert_eq!(Content::all().filter(|c| c.attribution()).count(), 2);
        let admin = Content::all().filter(|c| c.admin_only());
        assert!(admin.eq([Content::Stacks]));
        let root = Content::all().filter(|c| c.access(true) == Access::Root);
        assert!(root.eq([Content::Top]));
        assert!(Content::all().all(|c| c.access(false) != Access::Root));
    }
}
