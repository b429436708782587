// SPDX-License-Identifier: GPL-2.0

//! One line in the format of `/proc/loadavg`: the text of `/proc/loadavg_<accounting>` and of
//! the reader's own cgroup's files, `/proc/loadavg_cgroup*`.
//!
//! Any parser of `/proc/loadavg` reads these files unchanged ([`LoadavgText`]); the line is
//! written without `core::fmt`'s machinery on the read path ([`LoadavgText::render`]).

use core::fmt;

use crate::model::accounting::Accounting;
use crate::model::calc_load::{load_int_frac, Load};
use crate::model::engine::Engine;

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

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_loadavg_line))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::report::testing::{config, counts};
    use crate::model::report::text_is;

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
}
