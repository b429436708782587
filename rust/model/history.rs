// SPDX-License-Identifier: GPL-2.0

//! The last samples, one record each: what every walk counted, when it ran, and which windows it
//! closed.
//!
//! The averages are a function of the counts the sampler saw and of the windows each sample
//! closed, nothing else. Keeping the recent samples lets a reader (`/proc/loadavg_rs_samples`)
//! check the averages exactly, by replaying the kernel's arithmetic over the very counts that
//! were taken, and see each sample's transients (a kernel thread that was runnable at that
//! instant) instead of guessing at them. [`Sampled`] is the engine and its history, advanced
//! together, so that a reader always sees both at the same sample.

use crate::model::accounting::Counts;
use crate::model::calc_load::Load;
use crate::model::engine::{Engine, Jiffies};
use crate::model::walks::{Walk, Walks};

/// How many samples the history keeps.
pub const HISTORY_LEN: usize = 64;

/// One sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Record {
    /// Its number: 1 for the first sample after loading.
    pub seq: u64,
    /// The jiffy at which it was taken.
    pub jiffies: Jiffies,
    /// How many ticks after the end of the first window it closed it was taken: 0 when on time.
    pub late: Jiffies,
    /// How many windows it closed: 1, plus those caught up with `calc_load_n()`.
    pub closed: u64,
    /// What the walk counted.
    pub counts: Counts,
    /// How long the walk took, in ns.
    pub walk_ns: u64,
    /// The longest stretch of the walk between two lock breaks, in ns.
    pub stretch_ns: u64,
    /// The kernel's own `avenrun` when the timer found the window ended ([`Sampled::sample`]):
    /// a reader can recover from consecutive records the kernel's count of each window that
    /// closed between them.
    pub kernel: [Load; 3],
}

/// The last [`HISTORY_LEN`] records, oldest first.
#[derive(Debug, Clone, Copy)]
pub struct History {
    /// A ring: the record of sample `seq` is at `(seq - 1) % HISTORY_LEN`.
    records: [Record; HISTORY_LEN],
    /// The number of the newest record, 0 when there is none.
    newest: u64,
}

impl Default for History {
    fn default() -> History {
        History::new()
    }
}

impl History {
    /// An empty history.
    pub const fn new() -> History {
        History {
            records: [Record {
                seq: 0,
                jiffies: 0,
                late: 0,
                closed: 0,
                counts: Counts::ZERO,
                walk_ns: 0,
                stretch_ns: 0,
                kernel: [0; 3],
            }; HISTORY_LEN],
            newest: 0,
        }
    }

    /// Adds `record`, which must be the sample after the newest, dropping the oldest when full.
    fn push(&mut self, record: Record) {
        let slot = (record.seq.wrapping_sub(1) % HISTORY_LEN as u64) as usize;
        self.records[slot] = record;
        self.newest = record.seq;
    }

    /// The records kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Record> {
        let kept = self.newest.min(HISTORY_LEN as u64);
        let first = self.newest - kept + 1;
        (first..=self.newest)
            .map(move |seq| &self.records[((seq - 1) % HISTORY_LEN as u64) as usize])
    }
}

/// The engine and the history of the samples that made its averages.
#[derive(Debug, Clone, Copy)]
pub struct Sampled {
    /// The averages.
    pub engine: Engine,
    /// The recent samples.
    pub history: History,
    /// What the walks cost.
    pub walks: Walks,
}

impl Sampled {
    /// Starts from `engine`, with no sample yet.
    pub const fn new(engine: Engine) -> Sampled {
        Sampled {
            engine,
            history: History::new(),
            walks: Walks::NONE,
        }
    }

    /// Applies a sample taken at `now` ([`Engine::sample`]) and, if it closed a window, records
    /// it and takes in what its walk cost; returns the number of windows it closed.
    /// `kernel` is the kernel's `avenrun` at the sample (for the module: as the timer read it
    /// half a tick into the jiffy the window ended at, on a clean side of the tick in which the
    /// kernel closes its own windows).
    pub fn sample(&mut self, now: Jiffies, counts: Counts, walk: Walk, kernel: [Load; 3]) -> u64 {
        let due = self.engine.next_due();
        let closed = self.engine.sample(now, counts);
        if closed > 0 {
            self.walks.add(walk);
            self.history.push(Record {
                seq: self.engine.stats().samples,
                jiffies: now,
                late: now.wrapping_sub(due),
                closed,
                counts,
                walk_ns: walk.ns,
                stretch_ns: walk.stretch_ns,
                kernel,
            });
        }
        closed
    }
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_history))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::config::Config;

    const PERIOD: usize = 26;

    fn sampled() -> Sampled {
        match Config::new(250, 100, [2000, 10_000, 30_000]) {
            Ok(c) => Sampled::new(Engine::new(c, 0)),
            Err(_) => panic!("the configuration is valid"),
        }
    }

    fn counts(runnable: u32) -> Counts {
        Counts {
            threads: 10,
            runnable,
            ..Counts::ZERO
        }
    }

    #[test]
    fn records_every_sample_that_closes_a_window() {
        let mut s = sampled();
        assert_eq!(s.history.iter().count(), 0);
        // Early: no window ends, nothing is recorded.
        assert_eq!(
            s.sample(PERIOD - 1, counts(1), Walk::default(), [1, 2, 3]),
            0
        );
        assert_eq!(s.history.iter().count(), 0);
        assert_eq!(s.sample(PERIOD, counts(1), Walk::default(), [4, 5, 6]), 1);
        let walk = Walk {
            ns: 700,
            stretch_ns: 90,
            ..Walk::default()
        };
        assert_eq!(s.sample(2 * PERIOD + 3, counts(2), walk, [7, 8, 9]), 1);
        // Three periods late: this one closes windows 3, 4 and 5 at once.
        assert_eq!(
            s.sample(5 * PERIOD + 1, counts(3), Walk::default(), [0; 3]),
            3
        );
        assert_eq!(s.history.iter().count(), 3);
        // Each record: its number, jiffy, lateness, windows closed, runnable count, walk and
        // stretch, and the kernel's averages.
        type Fields = (u64, usize, usize, u64, u32, u64, u64, [Load; 3]);
        let got: [Fields; 3] = {
            let mut it = s.history.iter().map(|r| {
                let (c, k) = (r.counts.runnable, r.kernel);
                (
                    r.seq,
                    r.jiffies,
                    r.late,
                    r.closed,
                    c,
                    r.walk_ns,
                    r.stretch_ns,
                    k,
                )
            });
            [(); 3].map(|()| it.next().unwrap_or_default())
        };
        assert_eq!(
            got,
            [
                (1, PERIOD, 0, 1, 1, 0, 0, [4, 5, 6]),
                (2, 2 * PERIOD + 3, 3, 1, 2, 700, 90, [7, 8, 9]),
                (3, 5 * PERIOD + 1, 2 * PERIOD + 1, 3, 3, 0, 0, [0; 3]),
            ]
        );
        // The rest of each record's counts are its sample's.
        assert!(s
            .history
            .iter()
            .all(|r| r.counts == counts(r.counts.runnable)));
        assert_eq!(s.engine.stats().windows, 5);
    }

    #[test]
    fn keeps_the_newest_when_full() {
        let mut s = sampled();
        let n = HISTORY_LEN + 10;
        for i in 1..=n {
            assert_eq!(
                s.sample(i * PERIOD, counts(i as u32), Walk::default(), [0; 3]),
                1
            );
        }
        assert_eq!(s.history.iter().count(), HISTORY_LEN);
        let mut want = (n - HISTORY_LEN + 1) as u64;
        for r in s.history.iter() {
            assert_eq!(r.seq, want);
            assert_eq!(u64::from(r.counts.runnable), want);
            want += 1;
        }
        assert_eq!(want, n as u64 + 1);
    }

    #[test]
    fn the_late_of_a_record_tells_the_windows_it_closed() {
        // A record closes 1 + late / period windows: the invariant readers check.
        let mut s = sampled();
        let mut now = 0;
        for late in [0, 1, PERIOD - 1, PERIOD, 2 * PERIOD + 5, 0] {
            now = s.engine.next_due() + late;
            s.sample(now, counts(0), Walk::default(), [0; 3]);
        }
        for r in s.history.iter() {
            assert_eq!(r.closed, 1 + (r.late / PERIOD) as u64);
        }
        assert_eq!(s.engine.next_due(), (now / PERIOD + 1) * PERIOD);
    }
}
