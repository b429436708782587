// SPDX-License-Identifier: GPL-2.0

//! The tests of [`crate::model::cgroups`]: the tree of slots, its counts and averages, its
//! bounds.

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_cgroups))]
mod suite {
    use crate::model::accounting::{Accounting, Counts, ThreadState};
    use crate::model::calc_load::{calc_load, calc_load_n, Load, FIXED_1};
    use crate::model::cgroups::{CgroupTable, Holds, Slot, MAX_LEVEL, NO_SLOT};
    // Tables of slots do not fit a kernel stack.
    use crate::model::table::testing::{heap, Heap};

    const SLOTS: usize = 8;
    const DECAY: [Load; 3] = [1884, 2014, 2037];

    type Table = CgroupTable<Heap<Slot>, Heap<u32>>;

    /// A table of `slots` slots.
    fn table_of(slots: usize) -> Table {
        match CgroupTable::new(
            heap(Slot::FREE, slots),
            heap(0u32, 2 * slots.next_power_of_two()),
        ) {
            Ok(t) => t,
            Err(_) => panic!("the index fits"),
        }
    }

    /// A table of [`SLOTS`] slots.
    fn table() -> Table {
        table_of(SLOTS)
    }

    /// Tracks cgroup `id`, keyed `100 + id`, under `parent` from sample 1: its slot.
    fn track(t: &mut Table, id: u64, parent: u32) -> u32 {
        t.insert(id, 100 + id as usize, parent, 1)
            .unwrap_or(NO_SLOT)
    }

    /// Holds made of two closures: whether a slot's cgroup is removed, and what its release does.
    struct Fns<G, F>(G, F);

    impl<G: Fn(&Slot) -> bool, F: FnMut(&Slot)> Holds for Fns<G, F> {
        fn removed(&self, _: u32, s: &Slot) -> bool {
            (self.0)(s)
        }
        fn release(&mut self, _: u32, s: &Slot) {
            (self.1)(s)
        }
    }

    /// Holds of which the cgroup keyed `gone` is removed, that release nothing.
    fn gone(gone: usize) -> Fns<impl Fn(&Slot) -> bool, impl FnMut(&Slot)> {
        Fns(move |s: &Slot| s.key == gone, |_: &Slot| {})
    }

    const R: ThreadState = ThreadState::RUNNABLE;
    const D_IO: ThreadState = ThreadState::IO_WAIT;
    const S: ThreadState = ThreadState::ASLEEP;

    #[test]
    fn the_index_must_fit() {
        assert!(CgroupTable::new(heap(Slot::FREE, SLOTS), heap(0u32, SLOTS)).is_err());
        assert!(CgroupTable::new(heap(Slot::FREE, SLOTS), heap(0u32, 3 * SLOTS)).is_err());
    }

    #[test]
    fn counts_are_hierarchical_and_the_root_sees_everything() {
        let mut t = table();
        // /, /A, /A/x, /B
        let root = track(&mut t, 1, NO_SLOT);
        let a = track(&mut t, 7, root);
        let ax = track(&mut t, 9, a);
        let b = track(&mut t, 8, root);
        assert_eq!(t.used(), 4);
        assert_eq!(t.find(109), Some(ax));
        assert_eq!(t.slot(ax).map(|s| s.level), Some(2));
        let mut global = Counts::ZERO;
        t.begin_walk();
        for (slot, state, n) in [(ax, R, 2), (b, D_IO, 3), (root, S, 5), (a, S, 1)] {
            // The table counts runs, as the walk reads them; the global count thread by thread.
            t.add(slot, state, n);
            for _ in 0..n {
                global.add(state);
            }
        }
        t.end_walk(&DECAY, 1);
        let counts = |s| t.slot(s).map(|s| s.counts).unwrap_or(Counts::ZERO);
        assert_eq!(counts(ax).active(Accounting::Cpu), 2);
        assert_eq!(counts(a).active(Accounting::Cpu), 2);
        assert_eq!(counts(a).threads, 3);
        assert_eq!(counts(b).active(Accounting::Io), 3);
        assert_eq!(counts(b).active(Accounting::Cpu), 0);
        assert_eq!(counts(root), global);
        assert_eq!(counts(root).threads, 11);
    }

    #[test]
    fn averages_advance_by_the_windows_closed_from_zero() {
        let mut t = table();
        let root = t.insert(1, 1, NO_SLOT, 1).unwrap_or(NO_SLOT);
        let mut want: [Load; 3] = [0; 3];
        for closed in [1u64, 1, 3, 1] {
            t.begin_walk();
            t.add(root, R, 1);
            t.add(root, R, 1);
            t.end_walk(&DECAY, closed);
            for (w, &e) in want.iter_mut().zip(&DECAY) {
                *w = calc_load(*w, e, 2 * FIXED_1);
                if closed > 1 {
                    *w = calc_load_n(*w, e, 2 * FIXED_1, (closed - 1) as u32);
                }
            }
        }
        assert_eq!(
            t.slot(root).map(|s| s.loads[Accounting::Cpu.index()]),
            Some(want)
        );
        // A walk that closed no window (an early wake-up) changes no average.
        t.begin_walk();
        t.end_walk(&DECAY, 0);
        assert_eq!(
            t.slot(root).map(|s| s.loads[Accounting::All.index()]),
            Some(want)
        );
    }

    #[test]
    fn full_tables_refuse_and_removed_cgroups_free_their_slots() {
        let mut t = table();
        let root = t.insert(1, 1, NO_SLOT, 1).unwrap_or(NO_SLOT);
        // Only one root; unknown parents and id 0 are refused.
        assert_eq!(t.insert(2, 2, NO_SLOT, 1), None);
        assert_eq!(t.insert(3, 3, 5, 1), None);
        assert_eq!(t.insert(0, 4, root, 1), None);
        let mut ids = 10u64;
        while t.insert(ids, ids as usize, root, 1).is_some() {
            ids += 1;
        }
        assert_eq!(t.used() as usize, SLOTS);
        assert_eq!(t.insert(99, 99, root, 1), None);
        // 10 has a child 20 (in a slot freed below first): both go when 10 is removed.
        // Drops what `gone` names; returns how many went and the keys released, in order.
        fn drop_gone(t: &mut Table, gone: usize) -> (u32, [usize; SLOTS], usize) {
            let (mut released, mut n) = ([0usize; SLOTS], 0);
            let dropped = t.drop_gone(&mut Fns(
                |s: &Slot| s.key == gone,
                |s: &Slot| {
                    released[n] = s.key;
                    n += 1
                },
            ));
            (dropped, released, n)
        }
        let (dropped, released, n) = drop_gone(&mut t, 11);
        assert_eq!(dropped, 1);
        assert_eq!(&released[..n], &[11]);
        let ten = t.find(10).unwrap_or(NO_SLOT);
        let twenty = t.insert(20, 20, ten, 2).unwrap_or(NO_SLOT);
        assert_eq!(t.slot(twenty).map(|s| (s.level, s.since)), Some((2, 2)));
        let (dropped, released, n) = drop_gone(&mut t, 10);
        assert_eq!(dropped, 2);
        assert_eq!(&released[..n], &[10, 20]);
        assert_eq!(n, 2);
        assert_eq!(t.find(10), None);
        assert_eq!(t.find(20), None);
        // Every other cgroup is still found after the index was rebuilt.
        for id in 12..ids {
            assert!(t.find(id as usize).is_some());
        }
        assert_eq!(t.find(1), Some(root));
        // The root stays, whatever `gone` says; `clear` drops it too.
        let mut all = Fns(|_: &Slot| true, |_: &Slot| {});
        assert_eq!(t.drop_gone(&mut all), (SLOTS - 3) as u32);
        assert_eq!(t.used(), 1);
        t.clear(&mut all);
        assert_eq!(t.used(), 0);
        assert_eq!(t.root(), NO_SLOT);
    }

    #[test]
    fn free_slots_are_reused_at_once_and_a_full_table_says_so() {
        let mut t = table();
        let root = t.insert(1, 1, NO_SLOT, 1).unwrap_or(NO_SLOT);
        for id in 2..=SLOTS as u64 {
            assert!(!t.is_full());
            assert!(t.insert(id, id as usize, root, 1).is_some());
        }
        assert!(t.is_full());
        assert_eq!(t.insert(100, 100, root, 1), None);
        // The slot 5 held is the one the next cgroup gets.
        let five = t.find(5).unwrap_or(NO_SLOT);
        assert_eq!(t.drop_gone(&mut gone(5)), 1);
        assert!(!t.is_full());
        assert_eq!(t.insert(100, 100, root, 2), Some(five));
        assert!(t.is_full());
        assert_eq!(t.used() as usize, SLOTS);
        // After a clear, every slot is free again.
        t.clear(&mut gone(0));
        assert!(t.insert(1, 1, NO_SLOT, 3).is_some());
        for id in 2..=SLOTS as u64 {
            assert!(t.insert(id, id as usize, 0, 3).is_some());
        }
        assert!(t.is_full());
    }

    #[test]
    fn the_depth_is_bounded_and_folded_threads_are_counted_where_they_fold() {
        let mut t = table_of(MAX_LEVEL as usize + 2);
        let mut parent = t.insert(1, 1, NO_SLOT, 1).unwrap_or(NO_SLOT);
        for level in 1..=MAX_LEVEL {
            let id = u64::from(level) + 1;
            parent = t.insert(id, id as usize, parent, 1).unwrap_or(NO_SLOT);
            assert_eq!(t.slot(parent).map(|s| s.level), Some(level));
        }
        // One level deeper is refused, though slots are free.
        assert!(!t.is_full());
        assert_eq!(t.insert(1000, 1000, parent, 1), None);
        // Threads of deeper cgroups are counted at the bound, and said to be folded there.
        t.begin_walk();
        t.add(parent, R, 1);
        t.add_folded(parent, R, 1);
        t.add_folded(parent, D_IO, 1);
        t.end_walk(&DECAY, 1);
        let deepest = t.slot(parent).copied().unwrap_or(Slot::FREE);
        assert_eq!((deepest.counts.threads, deepest.folded), (3, 2));
        let root = t.slot(t.root()).copied().unwrap_or(Slot::FREE);
        assert_eq!((root.counts.threads, root.folded), (3, 0));
        assert_eq!(root.counts.active(Accounting::All), 3);
    }

    #[test]
    fn passes_read_only_the_slots_reached() {
        let mut t = table();
        let root = track(&mut t, 1, NO_SLOT);
        let [a, b] = [2, 3].map(|id| track(&mut t, id, root));
        assert_eq!((root, a, b, t.table.reach()), (0, 1, 2, 3));
        // A freed slot is the next one handed out: the reach stays.
        assert_eq!(t.drop_gone(&mut gone(102)), 1);
        assert_eq!(t.insert(4, 104, root, 1), Some(a));
        assert_eq!(t.table.reach(), 3);
        // What the passes see is every used slot.
        t.begin_walk();
        t.add(b, R, 2);
        t.add(a, R, 3);
        t.end_walk(&DECAY, 1);
        let ids: [u64; 3] = core::array::from_fn(|i| t.iter().nth(i).map_or(0, |(_, s)| s.id));
        assert_eq!(ids, [1, 4, 3]);
        assert_eq!(t.slot(root).map(|s| s.counts.threads), Some(5));
        let mut released = 0;
        t.clear(&mut Fns(|_: &Slot| false, |_: &Slot| released += 1));
        assert_eq!((released, t.table.reach(), t.used()), (3, 0, 0));
    }
}
