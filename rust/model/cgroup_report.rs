// SPDX-License-Identifier: GPL-2.0

//! The text of `/proc/loadavg_rs_cgroups`, every tracked cgroup a reader may see, and how every
//! file names a cgroup.
//!
//! The file is a head ([`CgroupsHead`]), then a row a cgroup ([`CgroupRow`]), which
//! [`cgroup_row_bytes`] bounds for the file's size hint. [`PathText`] prints a cgroup's path
//! losslessly, here, in the metrics' `cgroup` label and in the attribution's rows.

use core::fmt;

use crate::model::accounting::{Accounting, Apart, Counts};
use crate::model::calc_load::{load_int_frac, Load, FIXED_1, FSHIFT};
use crate::model::cgroups::Slot;
use crate::model::engine::Engine;
use crate::model::report::{counts_cells, counts_header, printed_bytes, Duration};

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

/// The counts shown apart in a cgroup's row.
fn per_cgroup() -> impl Iterator<Item = Apart> {
    Apart::ALL.into_iter().filter(|x| x.per_cgroup())
}

/// A pressure average as the kernel prints it (`psi_show()`: `LOAD_INT`, `LOAD_FRAC`): the
/// fixed-point percentage truncated to two decimals, not rounded as `/proc/loadavg` is.
const fn psi_int_frac(p: Load) -> (Load, Load) {
    (p >> FSHIFT, ((p & (FIXED_1 - 1)) * 100) >> FSHIFT)
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_cgroup_report))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::report::testing::{config, counts};
    use crate::model::report::{text_is, FixedText};

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
}
