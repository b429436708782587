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
//! - The metrics name at most `metrics_cgroups` of the rows a reader sees, the largest first,
//!   and sum the others ([`bound`]) over the disjoint subtrees they make: a row counts its
//!   descendants, so a row below another left out is in that one's sum already.

use crate::model::accounting::{Accounting, Counts};
use crate::model::calc_load::Load;
use crate::model::cgroups::{Slot, MAX_LEVEL};
use crate::model::engine::Loads;
use crate::model::sort;

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
    sort::sort_by_key(rows, |r| r.slot.id);
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

/// What a task inside the container whose root cgroup is `id`, at depth `level`, reads through
/// `sysinfo()` and `/proc/loadavg` with `virtualize=1`.
///
/// That is the container's three averages of `all` (R + D, the kernel's definition), and its
/// tasks on a runqueue as `nr_running()` counts them (runnable, and sleepers whose dequeue is
/// delayed); zero for a container no walk counted a thread of. `None` when its threads may have
/// been counted in an ancestor (see [`own`]): then the machine's figures stay, and the kernel
/// side counts the read.
pub fn container_figures<R>(
    rows: &[Row<R>],
    id: u64,
    level: u32,
    short_of_room: bool,
) -> Option<([Load; 3], u32)> {
    match own(rows, id, level, short_of_room) {
        Own::Tracked(slot) => Some((
            slot.loads[Accounting::All.index()],
            slot.counts.runnable.saturating_add(slot.counts.delayed),
        )),
        Own::Idle => Some(([0; 3], 0)),
        Own::NoSlot => None,
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

/// A row a reader sees, for [`bound`]: where it is in the rows, its parent, and whether the
/// metrics name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Its index in the rows.
    pub row: u32,
    /// Its parent's cgroup id; 0 for the root of the reader's namespace, whose parent the
    /// reader does not see (cgroup ids are never 0).
    pub parent: u64,
    /// Whether the metrics name it ([`bound`] decides).
    pub shown: bool,
}

impl Seen {
    /// The row at index `row`, whose cgroup's parent is `parent` (`None`: the namespace's root);
    /// `None` past `u32::MAX` rows, which a table of at most 65,536 slots never has.
    pub fn new(row: usize, parent: Option<u64>) -> Option<Seen> {
        Some(Seen {
            row: u32::try_from(row).ok()?,
            parent: parent.unwrap_or(0),
            shown: false,
        })
    }
}

/// The rows the metrics do not name, summed into `cgroup="[other]"`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Other {
    /// How many rows are left out.
    pub omitted: u32,
    /// How many of those are summed: the ones not below another left out.
    pub summed: u32,
    /// Their counts, added up.
    pub counts: Counts,
    /// Their averages, added up (as fixed point: the sum of the averages of disjoint subtrees).
    pub loads: Loads,
}

/// Marks the rows of `seen` the metrics name, at most `limit`, and sums the others.
///
/// The rows are ranked by the first window's `all`, the largest first, ties by id (so a parent,
/// whose averages are never below a child's, comes before it); the first `limit` whose path
/// can be a label (`named`, asked only of those the bound reaches) are named. The rest are left
/// out, and those not below another left-out row are summed: each row's figures include its
/// descendants', so only disjoint subtrees add up. `seen` ends in the rows' order (by id).
pub fn bound<R>(
    rows: &[Row<R>],
    seen: &mut [Seen],
    limit: usize,
    mut named: impl FnMut(&Row<R>) -> bool,
) -> Other {
    let all = Accounting::All.index();
    let rank = |s: &Seen| {
        rows.get(s.row as usize)
            .map_or((0, u64::MAX), |r| (r.slot.loads[all][0], r.slot.id))
    };
    sort::sort_by(seen, |a, b| {
        let ((la, ia), (lb, ib)) = (rank(a), rank(b));
        lb.cmp(&la).then(ia.cmp(&ib))
    });
    let mut shown = 0;
    for s in seen.iter_mut() {
        s.shown = shown < limit && rows.get(s.row as usize).is_some_and(&mut named);
        shown += usize::from(s.shown);
    }
    // Rows are sorted by id: so is `seen` now, to find a parent by its id.
    sort::sort_by_key(seen, |s| s.row);
    let mut other = Other::default();
    for s in seen.iter().filter(|s| !s.shown) {
        other.omitted = other.omitted.saturating_add(1);
        let Some(row) = rows.get(s.row as usize) else {
            continue;
        };
        if below_omitted(rows, seen, s.parent) {
            continue;
        }
        other.summed = other.summed.saturating_add(1);
        other.counts.merge(&row.slot.counts);
        let sums = other.loads.iter_mut().flatten();
        for (sum, load) in sums.zip(row.slot.loads.iter().flatten()) {
            *sum = sum.saturating_add(*load);
        }
    }
    other
}

/// Whether the cgroup `parent`, or one of its ancestors, is a row of `seen` (sorted as `rows`)
/// that the metrics leave out.
fn below_omitted<R>(rows: &[Row<R>], seen: &[Seen], mut parent: u64) -> bool {
    // A cgroup has at most `MAX_LEVEL` tracked ancestors.
    for _ in 0..=MAX_LEVEL {
        if parent == 0 {
            return false;
        }
        let id = |s: &Seen| rows.get(s.row as usize).map_or(0, |r| r.slot.id);
        let Some(p) = seen
            .binary_search_by_key(&parent, id)
            .ok()
            .and_then(|i| seen.get(i))
        else {
            return false;
        };
        if !p.shown {
            return true;
        }
        parent = p.parent;
    }
    false
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
    fn a_container_reads_its_root_cgroups_all_and_tasks_on_a_runqueue() {
        let mut rows = [row(1, 0), row(7, 0)];
        rows[1].slot.loads[Accounting::All.index()] = [2048, 1024, 7];
        rows[1].slot.loads[Accounting::Cpu.index()] = [1, 1, 1];
        rows[1].slot.counts.runnable = 2;
        rows[1].slot.counts.delayed = 1;
        rows[1].slot.counts.uninterruptible = 5;
        assert_eq!(
            container_figures(&rows, 7, 1, false),
            Some(([2048, 1024, 7], 3))
        );
        assert_eq!(container_figures(&rows, 8, 1, false), Some(([0; 3], 0)));
        // Never the machine's, nor an ancestor's, as its own: the kernel side keeps the
        // machine's and counts the read.
        assert_eq!(container_figures(&rows, 8, 1, true), None);
    }

    /// Rows of a tree, sorted by id: (id, parent id, the first window's `all`, threads).
    fn tree(nodes: &[(u64, u64, usize, u32)], rows: &mut [Row<u64>], seen: &mut [Seen]) {
        for (i, &(id, parent, all, threads)) in nodes.iter().enumerate() {
            let mut slot = Slot { id, ..Slot::FREE };
            slot.loads[Accounting::All.index()] = [all, all + 1, all + 2];
            slot.loads[Accounting::Cpu.index()][2] = 1;
            slot.counts.threads = threads;
            slot.counts.runnable = threads / 2;
            rows[i] = Row { slot, cgroup: id };
            seen[i] = match Seen::new(i, (parent != 0).then_some(parent)) {
                Some(s) => s,
                None => panic!("few rows"),
            };
        }
    }

    /// `/` 1, `/a` 2, `/a/b` 3, `/c` 4, `/c/d` 5, `/e` 6, `/e/f` 7, each with its first
    /// window's `all` and its threads (hierarchical, as rows are).
    const NODES: [(u64, u64, usize, u32); 7] = [
        (1, 0, 10 << 11, 40),
        (2, 1, 5 << 11, 12),
        (3, 2, 5 << 11, 6),
        (4, 1, 3 << 11, 9),
        (5, 4, 1 << 11, 4),
        (6, 1, 2 << 11, 5),
        (7, 6, 0, 1),
    ];

    fn rows() -> ([Row<u64>; 7], [Seen; 7]) {
        let mut rows = core::array::from_fn(|_| Row {
            slot: Slot::FREE,
            cgroup: 0,
        });
        let mut seen = [Seen {
            row: 0,
            parent: 0,
            shown: false,
        }; 7];
        tree(&NODES, &mut rows, &mut seen);
        (rows, seen)
    }

    /// The ids of the rows `seen` shows.
    fn shown(rows: &[Row<u64>], seen: &[Seen]) -> u64 {
        seen.iter()
            .filter(|s| s.shown)
            .fold(0, |a, s| a * 10 + rows[s.row as usize].slot.id)
    }

    #[test]
    fn the_largest_are_named_and_the_disjoint_rest_summed() {
        let (rows, mut seen) = rows();
        // Reversed: the order the rows come in does not matter.
        seen.reverse();
        let mut asked = 0;
        let other = bound(&rows, &mut seen, 2, |_| {
            asked += 1;
            true
        });
        // `/` and `/a` (ahead of `/a/b`, as large, by id); the path asked of those two only.
        assert_eq!((shown(&rows, &seen), asked), (12, 2));
        assert!(seen.windows(2).all(|w| w[0].row < w[1].row));
        // Left out: `/a/b`, `/c`, `/c/d`, `/e`, `/e/f`; summed: `/a/b`, `/c`, `/e` (`/c/d` is in
        // `/c`, `/e/f` in `/e`).
        assert_eq!((other.omitted, other.summed), (5, 3));
        assert_eq!(other.counts.threads, 6 + 9 + 5);
        assert_eq!(other.counts.runnable, 3 + 4 + 2);
        assert_eq!(
            other.loads[Accounting::All.index()],
            [10 << 11, (10 << 11) + 3, (10 << 11) + 6]
        );
        assert_eq!(other.loads[Accounting::Cpu.index()], [0, 0, 3]);
        assert_eq!(other.loads[Accounting::Io.index()], [0; 3]);
    }

    #[test]
    fn a_path_that_cannot_be_a_label_is_left_out_and_summed() {
        let (rows, mut seen) = rows();
        // `/a/b` and `/e/f` cannot be named: `/c` takes `/a/b`'s place.
        let other = bound(&rows, &mut seen, 3, |r| r.cgroup != 3 && r.cgroup != 7);
        assert_eq!(shown(&rows, &seen), 124);
        // Left out: `/a/b`, `/c/d`, `/e`, `/e/f`; summed: all but `/e/f`, which is in `/e`.
        assert_eq!((other.omitted, other.summed), (4, 3));
        assert_eq!(other.counts.threads, 6 + 4 + 5);
        assert_eq!(other.loads[Accounting::All.index()][0], 8 << 11);
    }

    #[test]
    fn no_room_sums_the_root_and_room_for_all_sums_nothing() {
        let (rows, mut seen) = rows();
        let other = bound(&rows, &mut seen, 0, |_| panic!("no path is needed"));
        assert_eq!(
            (shown(&rows, &seen), other.omitted, other.summed),
            (0, 7, 1)
        );
        assert_eq!(other.counts, rows[0].slot.counts);
        assert_eq!(other.loads, rows[0].slot.loads);
        for limit in [7, 8, usize::MAX] {
            let other = bound(&rows, &mut seen, limit, |_| true);
            assert_eq!(shown(&rows, &seen), 1_234_567);
            assert_eq!(other, Other::default());
        }
    }

    #[test]
    fn a_reader_in_a_namespace_sums_below_its_root() {
        let (rows, seen) = rows();
        // A reader whose namespace is `/c`: it sees `/c` (its root) and `/c/d`.
        let mut inside = [seen[3], seen[4]];
        inside[0].parent = 0;
        let other = bound(&rows, &mut inside, 1, |_| true);
        assert_eq!(shown(&rows, &inside), 4);
        assert_eq!((other.omitted, other.summed), (1, 1));
        assert_eq!(other.counts, rows[4].slot.counts);
        assert!(Seen::new(u32::MAX as usize + 1, None).is_none());
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
