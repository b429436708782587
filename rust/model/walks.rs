// SPDX-License-Identifier: GPL-2.0

//! The walker's telemetry: what each walk over every thread cost, apart from the averages the
//! walks feed ([`crate::model::engine`]).

/// What one walk over every thread cost.
///
/// The walk holds the RCU read lock, and does not let its CPU go, for at most a fixed number of
/// threads at a time (a *stretch*); between stretches it breaks the lock and lets the scheduler
/// run anything that waits (see `rust/threads.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Walk {
    /// From the start of the walk to its end, lock breaks and restarts included, in ns.
    pub ns: u64,
    /// The longest stretch between two lock breaks, in ns.
    pub stretch_ns: u64,
    /// The most threads visited in one stretch.
    pub stretch_threads: u32,
    /// Lock breaks taken.
    pub breaks: u32,
    /// Walks started again from the first thread because a thread held across a lock break
    /// exited meanwhile, so the place in the lists was lost.
    pub restarts: u32,
    /// Whether the walk ended without lock breaks, because it had restarted too often.
    pub unbroken: bool,
}

/// What the walks so far cost: the last one, the most of each figure, and their sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Walks {
    /// The last walk.
    pub last: Walk,
    /// Walks so far (one a sample).
    pub walks: u64,
    /// The walks' durations added up, in ns (at most `u64::MAX`: 584 years).
    pub total_ns: u64,
    /// Longest walk so far, in ns.
    pub max_walk_ns: u64,
    /// Longest stretch between lock breaks so far, in ns.
    pub max_stretch_ns: u64,
    /// Most threads visited in one stretch so far.
    pub max_stretch_threads: u32,
    /// Restarts of all walks so far.
    pub restarts: u64,
    /// Walks that ended without lock breaks after too many restarts.
    pub unbroken: u64,
}

impl Walks {
    /// No walk yet.
    pub const NONE: Walks = Walks {
        last: Walk {
            ns: 0,
            stretch_ns: 0,
            stretch_threads: 0,
            breaks: 0,
            restarts: 0,
            unbroken: false,
        },
        walks: 0,
        total_ns: 0,
        max_walk_ns: 0,
        max_stretch_ns: 0,
        max_stretch_threads: 0,
        restarts: 0,
        unbroken: 0,
    };

    /// Takes in the figures of a walk.
    pub fn add(&mut self, walk: Walk) {
        self.last = walk;
        self.walks = self.walks.saturating_add(1);
        self.total_ns = self.total_ns.saturating_add(walk.ns);
        self.max_walk_ns = self.max_walk_ns.max(walk.ns);
        self.max_stretch_ns = self.max_stretch_ns.max(walk.stretch_ns);
        self.max_stretch_threads = self.max_stretch_threads.max(walk.stretch_threads);
        self.restarts = self.restarts.saturating_add(u64::from(walk.restarts));
        self.unbroken = self.unbroken.saturating_add(u64::from(walk.unbroken));
    }
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_walks))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;

    #[test]
    fn walk_figures() {
        let walk = |ns, stretch_ns, stretch_threads, restarts, unbroken| Walk {
            ns,
            stretch_ns,
            stretch_threads,
            breaks: 3,
            restarts,
            unbroken,
        };
        let mut s = Walks::default();
        s.add(walk(500, 40, 128, 2, false));
        s.add(walk(300, 70, 100, 0, true));
        assert_eq!(s.last, walk(300, 70, 100, 0, true));
        assert_eq!(s.max_walk_ns, 500);
        assert_eq!(s.max_stretch_ns, 70);
        assert_eq!(s.max_stretch_threads, 128);
        assert_eq!(s.restarts, 2);
        assert_eq!(s.unbroken, 1);
        assert_eq!((s.walks, s.total_ns), (2, 800));
    }

    #[test]
    fn the_sums_saturate() {
        let mut s = Walks {
            walks: u64::MAX - 1,
            total_ns: u64::MAX - 5,
            ..Walks::NONE
        };
        let walk = Walk {
            ns: 4,
            ..Walk::default()
        };
        s.add(walk);
        assert_eq!((s.walks, s.total_ns), (u64::MAX, u64::MAX - 1));
        s.add(walk);
        assert_eq!((s.walks, s.total_ns), (u64::MAX, u64::MAX));
        assert_eq!(s.last, walk);
    }
}
