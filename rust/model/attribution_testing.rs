// SPDX-License-Identifier: GPL-2.0

//! The tests of load attribution's table, and what every test of the attribution shares: tables
//! on the heap, holds that count, processes and the states of their tasks, the sums of the keys.
//!
//! Apart from `attribution_table.rs` so that the table's code depends on the keys alone and the
//! tests on both, with no circle between the files; compiled only with the tests (the host's
//! `cargo test`, the module's KUnit suites).

use crate::model::accounting::{Accounting, ThreadState};
use crate::model::attribution::{Entry, Holds, Process, SiteKind, COMM_LEN};
use crate::model::attribution_table::Attribution;
use crate::model::calc_load::Load;
// A table of entries does not fit a kernel stack.
use crate::model::table::testing::{heap, Heap};

/// The entries of a [`table`].
pub const N: usize = 8;
/// The decay factors of the windows.
pub const DECAY: [Load; 3] = [1884, 2014, 2037];

/// A table on the heap.
pub type Table = Attribution<Heap<Entry>, Heap<u32>>;

/// A table of `n` entries.
pub fn table_of(n: usize) -> Table {
    match Attribution::new(heap(Entry::FREE, n), heap(0, 2 * n)) {
        Ok(t) => t,
        Err(_) => panic!("the index fits"),
    }
}

/// A table of [`N`] entries.
pub fn table() -> Table {
    table_of(N)
}

/// Holds that count what is held, refuse once `refuse` is set, and whose processes have all
/// exited once `exited` is set.
#[derive(Default)]
pub struct Count {
    /// The holds taken and not released.
    pub held: u32,
    /// Refuse every hold.
    pub refuse: bool,
    /// Every process has exited.
    pub exited: bool,
}

impl Holds for Count {
    fn hold(&mut self, _: u32) -> bool {
        if self.refuse {
            return false;
        }
        self.held += 1;
        true
    }
    fn release(&mut self, _: u32) {
        self.held -= 1;
    }
    fn exited(&self, _: u32) -> bool {
        self.exited
    }
}

/// The process of key `key`, tgid `key`, named `proc`.
pub fn process(key: usize) -> Process {
    let mut comm = [0; COMM_LEN];
    comm[..4].copy_from_slice(b"proc");
    Process {
        key,
        tgid: key as i32,
        comm,
    }
}

/// On a runqueue.
pub const R: ThreadState = ThreadState::RUNNABLE;
/// Blocked in IO wait.
pub const IO: ThreadState = ThreadState::IO_WAIT;
/// Blocked, uninterruptible (D).
pub const D: ThreadState = ThreadState::LOCK_WAIT;

/// The sum of `which` rows' counts and first-window loads for `a`, `[other]` included.
pub fn sums(t: &Table, kind: fn(SiteKind) -> bool, a: Accounting) -> (u32, u64) {
    let mut c = 0;
    let mut l = 0;
    for (_, e) in t.iter().filter(|(_, e)| kind(e.site.kind)) {
        c += e.counts.active(a);
        l += e.loads[a.index()][0] as u64;
    }
    for o in t.other().iter().filter(|o| kind(o.site.kind)) {
        c += o.counts.active(a);
        l += o.loads[a.index()][0] as u64;
    }
    (c, l)
}

/// The process rows, for [`sums`].
pub fn is_process(k: SiteKind) -> bool {
    k == SiteKind::Process
}

/// The site rows, for [`sums`].
pub fn is_site(k: SiteKind) -> bool {
    k != SiteKind::Process
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_attribution_table))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::accounting::Counts;
    use crate::model::attribution::sum_bound;
    use crate::model::attribution::{Entry, Site, SiteKind};
    use crate::model::attribution_table::{Stats, Unwind};
    use crate::model::calc_load::{calc_load, FIXED_1};
    use crate::model::engine::advance;

    #[test]
    fn a_task_counts_in_its_process_and_its_site() {
        let mut t = table();
        let mut holds = Count::default();
        t.begin_walk(1, 10);
        let stack = Site::stack(&[3, 2, 1]);
        assert_eq!(t.site_for(IO), Unwind::Stack);
        t.add(&process(100), &stack, IO, &mut holds);
        assert_eq!(t.site_for(R), Unwind::Runqueue);
        t.add(&process(100), &Site::RUNQUEUE, R, &mut holds);
        assert_eq!(t.site_for(ThreadState::ASLEEP), Unwind::Uncounted);
        t.add(
            &process(100),
            &Site::RUNQUEUE,
            ThreadState::ASLEEP,
            &mut holds,
        );
        assert_eq!(t.end_walk(&DECAY, 1, &mut holds), 0);
        // One process key, two site keys, a hold each.
        assert_eq!((t.used(), holds.held), (3, 3));
        assert!(t.find(100, &Site::PROCESS).is_some());
        let pe = t.iter().find(|(_, e)| e.site.kind == SiteKind::Process);
        let pe = pe.map(|(_, e)| *e).unwrap_or(Entry::FREE);
        assert_eq!(pe.counts.active(Accounting::All), 2);
        assert_eq!(pe.counts.active(Accounting::Io), 1);
        assert_eq!(pe.counts.active(Accounting::Cpu), 1);
        assert_eq!(
            pe.loads[Accounting::All.index()][0],
            calc_load(0, 1884, 2 * FIXED_1)
        );
        let se = t
            .find(100, &stack)
            .and_then(|s| t.iter().find(|(i, _)| *i == s));
        let se = se.map(|(_, e)| *e).unwrap_or(Entry::FREE);
        assert_eq!(se.site.frames(), &[3, 2, 1]);
        assert_eq!(se.counts.active(Accounting::Io), 1);
        assert_eq!(se.counts.active(Accounting::Cpu), 0);
        assert_eq!(t.stats().unwinds, 1);
    }

    #[test]
    fn an_exited_processs_keys_go_to_other_with_their_averages() {
        let mut t = table();
        let mut holds = Count::default();
        t.begin_walk(1, 1);
        assert_eq!(t.site_for(D), Unwind::Stack);
        t.add(&process(3), &Site::stack(&[1]), D, &mut holds);
        t.add(&process(4), &Site::RUNQUEUE, R, &mut holds);
        t.end_walk(&DECAY, 1, &mut holds);
        // Both exit: counted nowhere at the next sample, their keys stay while they show load
        // and there is room.
        holds.exited = true;
        t.begin_walk(2, 1);
        assert_eq!(t.end_walk(&DECAY, 1, &mut holds), 0);
        let before = [
            sums(&t, is_process, Accounting::All).1,
            sums(&t, is_site, Accounting::All).1,
        ];
        // A walk short of room (three more processes, two of which find entries, 8 in all):
        // the exited keys go, their averages to [other], which also counted the third.
        t.begin_walk(3, 1);
        for p in [10, 11, 12] {
            t.add(&process(p), &Site::RUNQUEUE, R, &mut holds);
        }
        assert_eq!(t.end_walk(&DECAY, 1, &mut holds), 4);
        assert_eq!((t.used(), holds.held, t.stats().gone), (4, 4, 4));
        // Each key decayed on its own, then was added: within a unit a key of what the sum would
        // have decayed to, beside three tasks, two with keys of their own, one in [other].
        let task = calc_load(0, DECAY[0], FIXED_1) as u64;
        for (kind, b) in [
            (is_process as fn(SiteKind) -> bool, before[0]),
            (is_site, before[1]),
        ] {
            let after = sums(&t, kind, Accounting::All).1;
            let want = calc_load(b as Load, DECAY[0], 0) as u64 + 3 * task;
            assert!(b > 0 && after.abs_diff(want) <= 2);
        }
        let other_loads = |w: usize| t.other()[w].loads[Accounting::All.index()][0] as u64;
        assert!(other_loads(0) > task && other_loads(1) > task);
        // The exited keys' averages went to the row of their kind: the blocked task's site key
        // to the sites' row, which therefore holds its blocked load.
        assert!(t.other()[1].loads[Accounting::Blocked.index()][0] > 0);
        assert!(t.other()[0].loads[Accounting::Blocked.index()][0] > 0);
        holds.exited = false;
        // Live processes counted nowhere keep their keys.
        t.begin_walk(4, 0);
        assert_eq!(t.end_walk(&DECAY, 1, &mut holds), 0);
        assert_eq!(t.used(), 4);
    }

    #[test]
    fn a_pass_that_may_not_unwind_does_not() {
        let mut t = table();
        t.begin_walk(1, 5);
        assert_eq!(t.site_for(D), Unwind::Stack);
        // A restarted pass, without lock breaks: its figures are its own.
        t.start(false);
        assert_eq!(t.site_for(D), Unwind::Budget);
        assert_eq!((t.stats().unwinds, t.stats().not_unwound), (0, 1));
    }

    #[test]
    fn the_unwinds_of_a_sample_are_bounded() {
        let mut t = table();
        t.begin_walk(1, 2);
        assert_eq!(t.site_for(D), Unwind::Stack);
        t.woke_during_unwind();
        // A restart keeps what the sample used; its figures are its own.
        t.start(true);
        assert_eq!(t.site_for(IO), Unwind::Stack);
        // Its task woke meanwhile: the unwind is counted as such.
        t.woke_during_unwind();
        assert_eq!(t.site_for(D), Unwind::Budget);
        assert_eq!(t.site_for(R), Unwind::Runqueue);
        assert_eq!(
            t.stats(),
            Stats {
                unwinds: 1,
                not_unwound: 1,
                unwinds_woke: 1,
                other_tasks: 0,
                gone: 0
            }
        );
        t.begin_walk(2, 0);
        assert_eq!(t.site_for(D), Unwind::Budget);
    }

    #[test]
    fn keys_without_room_count_in_other_never_nowhere() {
        let mut t = table();
        let mut holds = Count::default();
        t.begin_walk(1, 100);
        // 6 processes, each a runnable task: 12 keys wanted, 8 entries.
        for p in 1..=6 {
            t.add(&process(p), &Site::RUNQUEUE, R, &mut holds);
        }
        // A task whose process is being released, and one whose hold fails.
        t.add(&process(0), &Site::RUNQUEUE, D, &mut holds);
        t.end_walk(&DECAY, 1, &mut holds);
        assert_eq!(t.used(), N as u32);
        for kind in [is_process, is_site] {
            assert_eq!(sums(&t, kind, Accounting::Cpu).0, 6);
            assert_eq!(sums(&t, kind, Accounting::All).0, 7);
            assert_eq!(sums(&t, kind, Accounting::Blocked).0, 1);
        }
        // Processes 1 to 4 have both keys; 5 and 6 count in [other], so does the released one.
        assert_eq!(t.stats().other_tasks, 3);
        let mut t2 = table();
        let mut refusing = Count {
            refuse: true,
            ..Count::default()
        };
        t2.begin_walk(1, 0);
        t2.add(&process(9), &Site::RUNQUEUE, R, &mut refusing);
        t2.end_walk(&DECAY, 1, &mut refusing);
        assert_eq!(
            (t2.used(), t2.other()[0].counts.active(Accounting::Cpu)),
            (0, 1)
        );
    }

    #[test]
    fn idle_keys_are_reclaimed_and_their_holds_released() {
        let mut t = table();
        let mut holds = Count::default();
        t.begin_walk(1, 0);
        t.add(&process(5), &Site::RUNQUEUE, R, &mut holds);
        t.end_walk(&DECAY, 1, &mut holds);
        assert_eq!(holds.held, 2);
        // Gone: its averages decay to 0 (rounded down every step), then both keys go.
        let mut samples = 0;
        while t.used() > 0 {
            t.begin_walk(2 + samples, 0);
            t.end_walk(&DECAY, 1, &mut holds);
            samples += 1;
            assert!(samples < 10_000);
        }
        assert_eq!(holds.held, 0);
        assert_eq!(t.find(5, &Site::PROCESS), None);
        // The entries are free again.
        t.begin_walk(1, 0);
        for p in 1..=4 {
            t.add(&process(p), &Site::RUNQUEUE, R, &mut holds);
        }
        assert_eq!(t.used(), 8);
    }

    #[test]
    fn counts_add_up_exactly_and_averages_within_the_bound() {
        let mut t = table_of(64);
        let mut holds = Count::default();
        let mut whole = [[0 as Load; 3]; Accounting::ALL.len()];
        let mut seed = 12345u64;
        for sample in 1..=400u64 {
            t.begin_walk(sample, 4);
            let mut counts = Counts::ZERO;
            // A few tasks in a few processes, states and stacks drawn from a fixed sequence.
            let tasks = if sample > 300 { 0 } else { 1 + sample % 7 };
            for _ in 0..tasks {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = seed >> 33;
                let state = [R, IO, D, ThreadState::ASLEEP][(r % 4) as usize];
                let p = process(1 + (r / 4 % 5) as usize);
                let site = match t.site_for(state) {
                    Unwind::Stack => Site::stack(&[(r / 20 % 3) as usize + 1]),
                    Unwind::Budget => Site::NOT_UNWOUND,
                    _ => Site::RUNQUEUE,
                };
                t.add(&p, &site, state, &mut holds);
                counts.add(state);
            }
            t.end_walk(&DECAY, 1, &mut holds);
            advance(&mut whole, &DECAY, &counts, 1);
            for a in Accounting::ALL {
                for kind in [is_process, is_site] {
                    let (c, l) = sums(&t, kind, a);
                    assert_eq!(c, counts.active(a));
                    // The bound of the module's documentation: the keys present, the `[other]`
                    // row, and the keys gone.
                    let want = whole[a.index()][0] as u64;
                    let keys = u64::from(t.used()) + 1 + t.stats().gone;
                    assert!(l.abs_diff(want) <= sum_bound(keys, DECAY[0]));
                }
            }
        }
        // Everything went idle: every key decays away, every hold is released.
        for s in 0..3000 {
            t.begin_walk(401 + s, 0);
            t.end_walk(&DECAY, 1, &mut holds);
        }
        assert_eq!((t.used(), holds.held), (0, 0));
    }
}
