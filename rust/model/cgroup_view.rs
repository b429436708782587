// SPDX-License-Identifier: GPL-2.0

//! What readers of the per-cgroup files see: the figures a walk published, scoped to the
//! reader's cgroup namespace.
//!
//! The walker fills its table ([`crate::model::cgroups`]) during a walk and then publishes a copy of
//! the tracked cgroups' rows, sorted by cgroup id; readers take the latest copy without waiting
//! for a walk and print from it. This file is what they decide from it, in plain safe Rust:
//!
//! - A reader sees the rows of its cgroup namespace's root and of the cgroups below it, and
//!   nothing else: the kernel side says which rows those are; [`scope`] counts them for the
//!   head.
//! - A reader's own cgroup ([`own`]) reads as its row when it is tracked. A cgroup without a
//!   slot, when the last walk had room for every live cgroup it found a thread in or below
//!   (and it is not deeper than [`MAX_LEVEL`]), had no thread, in it or below it, at the last
//!   sample: its counts are zero, and so are its averages, as a cgroup's averages start when it
//!   gets a slot (a cgroup folded at an earlier, full walk and empty since reads zero too).
//!   Otherwise threads of it may have been counted in an ancestor ("folded"), and the
//!   ancestor's figures are not its own: there is no honest answer ([`Own::NoSlot`]).

use crate::model::cgroups::{Slot, MAX_LEVEL};

/// One tracked cgroup as a walk published it: its figures, and `R`, what the kernel side keeps
/// to name the cgroup while a reader may (a reference to it).
pub struct Row<R> {
    /// Its figures at the sample.
    pub slot: Slot,
    /// The kernel side's reference.
    pub cgroup: R,
}

/// Sorts rows by cgroup id, as [`own`] expects them. Ids grow with creation (kernfs node ids),
/// so a parent comes before its children.
pub fn sort<R>(rows: &mut [Row<R>]) {
    rows.sort_unstable_by_key(|r| r.slot.id);
}

/// What a reader's own cgroup reads as.
#[derive(Debug, PartialEq, Eq)]
pub enum Own<'a> {
    /// It is tracked: its row.
    Tracked(&'a Slot),
    /// It has no slot, and no walk counted a thread of it anywhere else: zero.
    Idle,
    /// It has no slot, and its threads may have been counted in an ancestor (the table was full
    /// at the last walk, or it is deeper than [`MAX_LEVEL`]): nothing honest to show.
    NoSlot,
}

/// How cgroup `id`, at depth `level`, reads in `rows` (sorted by id, see [`sort`]), published by
/// a walk that was `short_of_room` or not (it found a thread in a cgroup it had no slot for).
pub fn own<R>(rows: &[Row<R>], id: u64, level: u32, short_of_room: bool) -> Own<'_> {
    match rows.binary_search_by_key(&id, |r| r.slot.id) {
        Ok(i) => Own::Tracked(&rows[i].slot),
        Err(_) if short_of_room || level > MAX_LEVEL => Own::NoSlot,
        Err(_) => Own::Idle,
    }
}

/// The head's counts of the rows a reader sees.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Tracked cgroups among them.
    pub tracked: u32,
    /// Threads counted in them for want of a slot of their own cgroup ([`Slot::folded`]).
    pub folded_threads: u32,
}

/// Counts the rows `visible` says a reader sees.
pub fn scope<R>(rows: &[Row<R>], mut visible: impl FnMut(&Row<R>) -> bool) -> Scope {
    let mut s = Scope::default();
    for r in rows.iter().filter(|r| visible(r)) {
        s.tracked += 1;
        s.folded_threads = s.folded_threads.saturating_add(r.slot.folded);
    }
    s
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_cgroup_view))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;

    fn row(id: u64, folded: u32) -> Row<u64> {
        Row {
            slot: Slot {
                id,
                folded,
                ..Slot::FREE
            },
            cgroup: id,
        }
    }

    #[test]
    fn a_tracked_cgroup_reads_its_own_row_whatever_the_order_published() {
        let mut rows = [row(9, 0), row(1, 0), row(40, 0), row(7, 0)];
        sort(&mut rows);
        assert_eq!(
            rows.iter().map(|r| r.cgroup).fold(0, |a, id| a * 100 + id),
            1_07_09_40
        );
        assert_eq!(own(&rows, 40, 3, true), Own::Tracked(&rows[3].slot));
        assert_eq!(own(&rows, 1, 0, false), Own::Tracked(&rows[0].slot));
    }

    #[test]
    fn an_untracked_cgroup_is_idle_only_when_no_thread_could_be_folded() {
        let rows = [row(1, 0), row(7, 0)];
        assert_eq!(own(&rows, 8, 2, false), Own::Idle);
        // Never an ancestor's row: a full table, or a cgroup below the depth bound, has none.
        assert_eq!(own(&rows, 8, 2, true), Own::NoSlot);
        assert_eq!(own(&rows, 8, MAX_LEVEL + 1, false), Own::NoSlot);
        assert_eq!(own(&rows, 8, MAX_LEVEL, false), Own::Idle);
        assert_eq!(own::<u64>(&[], 1, 0, false), Own::Idle);
    }

    #[test]
    fn the_head_counts_only_what_the_reader_sees() {
        let rows = [row(1, 4), row(7, 2), row(9, 1), row(12, 0)];
        let inside = |r: &Row<u64>| r.cgroup == 7 || r.cgroup == 9;
        assert_eq!(
            scope(&rows, inside),
            Scope {
                tracked: 2,
                folded_threads: 3
            }
        );
        assert_eq!(scope(&rows, |_| false), Scope::default());
    }
}
