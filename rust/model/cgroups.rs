// SPDX-License-Identifier: GPL-2.0

//! Load averages per cgroup (v2): every definition's counts and averages for each cgroup the
//! walk finds tasks in, hierarchical like every cgroup statistic.
//!
//! The walk already looks at every thread once per period; attributing each thread to its
//! cgroup makes a container's split load almost free. [`CgroupTable`] is the bookkeeping, plain
//! safe Rust: a fixed number of slots allocated at load (no allocation while sampling), found
//! by the kernel side's key (the cgroup's address) through an open-addressing index.
//!
//! - A cgroup gets a slot the first time the walk finds a thread in it (or in a descendant),
//!   its ancestors first; its averages start from zero, like a fresh `avenrun`. Cgroups that
//!   never held a task since the module loaded have nothing to show and take no slot.
//! - A thread counts in its cgroup ([`Slot::own`]); after the walk each cgroup's counts become
//!   its own plus its descendants' ([`Slot::counts`]), and every tracked cgroup's averages
//!   advance by the windows the sample closed, as the global ones do ([`advance`]). The root's
//!   figures are then the global ones exactly.
//! - When every slot is taken, a new cgroup's threads count in its nearest tracked ancestor
//!   (folded), and so do the threads of cgroups deeper than [`MAX_LEVEL`], in their ancestor at
//!   that depth; each slot says how many threads it holds that way ([`Slot::folded`]).
//! - A cgroup the kernel has removed is dropped, and its slot reused; a free slot is found in
//!   constant time (a list of them), and a full table says so at once ([`CgroupTable::is_full`]).
//!
//! Each slot carries an opaque `key` the kernel side gives it (its `struct cgroup`'s address,
//! compared, never followed). What keeps the cgroup alive is the kernel side's, one hold a slot
//! ([`Holds`]): the table asks it whether a cgroup was removed, and tells it when a slot goes.

use crate::model::accounting::{Accounting, Counts, ThreadState};
use crate::model::calc_load::Load;
use crate::model::engine::{advance, Loads};
pub use crate::model::table::BadIndex;
use crate::model::table::{Memory, Row, Table, NONE};

/// No slot: the parent of the root.
pub const NO_SLOT: u32 = NONE;

/// The deepest level tracked (the root is at 0): the kernel side counts threads of deeper
/// cgroups in their ancestor at this level, and [`CgroupTable::insert`] refuses deeper ones.
/// It bounds the work of every lookup of a new cgroup and of [`CgroupTable::end_walk`].
pub const MAX_LEVEL: u32 = 32;

/// One tracked cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The cgroup's id (`cgroup_id()`, its kernfs node id, never 0); 0 for a free slot.
    pub id: u64,
    /// The kernel side's key for it (an address: unique while the cgroup is held); 0 for a
    /// free slot.
    pub key: usize,
    /// The slot of its parent, [`NO_SLOT`] for the root.
    pub parent: u32,
    /// Its depth: 0 for the root.
    pub level: u32,
    /// The sample at which it got its slot (its averages start from zero then).
    pub since: u64,
    /// The threads of the current walk in it, not in its descendants.
    pub own: Counts,
    /// Of those, threads of cgroups without a slot of their own (the table was full, or they
    /// are deeper than [`MAX_LEVEL`]).
    pub own_folded: u32,
    /// At the last sample: threads counted here for want of a slot of their own cgroup (not
    /// in its descendants' rows).
    pub folded: u32,
    /// At the last sample: its threads and its descendants'.
    pub counts: Counts,
    /// Its averages.
    pub loads: Loads,
}

impl Slot {
    /// A free slot.
    pub const FREE: Slot = Slot {
        id: 0,
        key: 0,
        parent: NO_SLOT,
        level: 0,
        since: 0,
        own: Counts::ZERO,
        own_folded: 0,
        folded: 0,
        counts: Counts::ZERO,
        loads: [[0; 3]; Accounting::ALL.len()],
    };
}

impl Row for Slot {
    const FREE: Slot = Slot::FREE;

    fn link(&mut self) -> &mut u32 {
        // A free slot's parent links it to the next free one.
        &mut self.parent
    }

    fn is_used(&self) -> bool {
        self.id != 0
    }

    fn hash(&self) -> u64 {
        hash(self.key)
    }
}

/// The hash of a cgroup's key: multiplicative (the kernel side's keys are addresses, aligned and
/// close together).
fn hash(key: usize) -> u64 {
    (key as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// What the kernel side holds for the tracked cgroups, one hold a slot (a reference on the
/// cgroup): asked by [`CgroupTable::drop_gone`] whether a cgroup is gone, and told by it and by
/// [`CgroupTable::clear`] when a slot is freed, once a slot.
pub trait Holds {
    /// Whether the kernel removed the cgroup in `slot` (whose contents are `s`).
    fn removed(&self, slot: u32, s: &Slot) -> bool;
    /// The cgroup in `slot` is no longer tracked: let go of its hold.
    fn release(&mut self, slot: u32, s: &Slot);
}

/// The tracked cgroups, in a [`Table`] of slots `S` with index `I`, both allocated by the
/// caller (see [`Table`] for their sizes).
///
/// # Invariants
///
/// `root` is [`NO_SLOT`] or the used slot of the root, the only used slot whose parent is
/// [`NO_SLOT`]; every other used slot's parent is a used slot one level up.
pub struct CgroupTable<S, I> {
    table: Table<Slot, S, I>,
    /// The slot of the root, once it has one.
    root: u32,
}

impl<S: Memory<Slot>, I: Memory<u32>> CgroupTable<S, I> {
    /// An empty table over `slots` (every one free) and `index`.
    pub fn new(slots: S, index: I) -> Result<Self, BadIndex> {
        // INVARIANT: No slot is used.
        Ok(CgroupTable {
            table: Table::new(slots, index)?,
            root: NO_SLOT,
        })
    }

    /// Whether every slot is taken: a new cgroup cannot be tracked.
    pub fn is_full(&self) -> bool {
        self.table.is_full()
    }

    /// How many slots there are.
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// How many are in use.
    pub fn used(&self) -> u32 {
        self.table.used()
    }

    /// The slot of the cgroup whose key is `key`, if tracked.
    ///
    /// The index is keyed by address, not id: the kernel side finds a thread's cgroup by its
    /// address alone, without reading the cgroup (a tracked cgroup is held by a reference, so no
    /// other cgroup can have its address while it is tracked).
    pub fn find(&self, key: usize) -> Option<u32> {
        self.table.find(hash(key), |s| s.key == key)
    }

    /// Tracks cgroup `id` under `key`, child of the cgroup in slot `parent` ([`NO_SLOT`] for
    /// the root), from sample `since` on, in constant time (but for the probe of the index).
    /// `None` when every slot is taken, or `id` is 0, or `key` is tracked already, or `parent`
    /// is not a tracked slot (or is [`NO_SLOT`] while the root is tracked), or the cgroup would
    /// be deeper than [`MAX_LEVEL`].
    pub fn insert(&mut self, id: u64, key: usize, parent: u32, since: u64) -> Option<u32> {
        if id == 0 || self.find(key).is_some() {
            return None;
        }
        let level = if parent == NO_SLOT {
            if self.root != NO_SLOT {
                return None;
            }
            0
        } else {
            let p = self.table.get(parent)?;
            p.level.checked_add(1).filter(|&l| l <= MAX_LEVEL)?
        };
        let slot = self.table.insert(Slot {
            id,
            key,
            parent,
            level,
            since,
            ..Slot::FREE
        })?;
        if parent == NO_SLOT {
            // INVARIANT: The root, the one slot without a parent.
            self.root = slot;
        }
        Some(slot)
    }

    /// The slot at `slot`, if it is one.
    pub fn slot(&self, slot: u32) -> Option<&Slot> {
        self.table.get(slot)
    }

    /// The root's slot, [`NO_SLOT`] until it is tracked.
    pub fn root(&self) -> u32 {
        self.root
    }

    /// Every tracked cgroup, with its slot number, in slot order (a parent may come after its
    /// child when slots were reused).
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Slot)> {
        self.table.iter()
    }

    /// Starts a walk: no thread counted anywhere yet.
    pub fn begin_walk(&mut self) {
        for s in self.table.iter_mut() {
            s.own = Counts::ZERO;
            s.own_folded = 0;
        }
    }

    /// Counts `n` threads in state `t` of the cgroup in `slot` (an untracked slot counts
    /// nowhere).
    pub fn add(&mut self, slot: u32, t: ThreadState, n: u32) {
        if let Some(s) = self.table.get_mut(slot) {
            s.own.add_many(t, n);
        }
    }

    /// Counts, in `slot`, `n` threads in state `t` whose own cgroup has no slot (see
    /// [`Slot::folded`]).
    pub fn add_folded(&mut self, slot: u32, t: ThreadState, n: u32) {
        if let Some(s) = self.table.get_mut(slot) {
            s.own.add_many(t, n);
            s.own_folded = s.own_folded.saturating_add(n);
        }
    }

    /// Ends a walk whose sample closed `closed` windows: each cgroup's counts become its own
    /// and its descendants', and its averages advance by those windows with them.
    pub fn end_walk(&mut self, decay: &[Load; 3], closed: u64) {
        for s in self.table.iter_mut() {
            s.counts = s.own;
            s.folded = s.own_folded;
        }
        // Deepest first, so that each cgroup has its descendants' counts before it passes its
        // own up: at most `MAX_LEVEL` passes over the slots (`insert` refuses deeper cgroups).
        let deepest = self.iter().map(|(_, s)| s.level).max().unwrap_or(0);
        for level in (1..=deepest).rev() {
            for i in 0..self.table.reach() {
                let Some(&s) = self.table.get(i).filter(|s| s.level == level) else {
                    continue;
                };
                if let Some(p) = self.table.get_mut(s.parent) {
                    p.counts.merge(&s.counts);
                }
            }
        }
        if closed == 0 {
            return;
        }
        for s in self.table.iter_mut() {
            advance(&mut s.loads, decay, &s.counts, closed);
        }
    }

    /// Drops every cgroup `holds` says the kernel removed, and any whose parent is dropped,
    /// telling `holds` of each. Returns how many were dropped.
    pub fn drop_gone(&mut self, holds: &mut impl Holds) -> u32 {
        let root = self.root;
        let mut dropped = 0;
        // A child is dropped with its parent: repeat until nothing more goes (a chain of depth
        // d takes at most d + 1 passes).
        loop {
            let n = self.table.retain(|t, i, s| {
                let keep = i == root || (t.get(s.parent).is_some() && !holds.removed(i, s));
                if !keep {
                    holds.release(i, s);
                }
                keep
            });
            dropped += n;
            if n == 0 {
                return dropped;
            }
        }
    }

    /// Drops every cgroup, the root included, telling `holds` of each.
    pub fn clear(&mut self, holds: &mut impl Holds) {
        self.table.clear(|i, s| holds.release(i, s));
        // INVARIANT: No slot is used.
        self.root = NO_SLOT;
    }
}

#[cfg(any(test, CONFIG_KUNIT = "y"))]
mod tests;
