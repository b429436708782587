// SPDX-License-Identifier: GPL-2.0

//! The kernel's side of per-cgroup load: the slot each run of threads the walk reads counts in
//! (`rust/glue/threads.c` reads their cgroup), the references that keep tracked cgroups alive,
//! the rows each walk publishes for readers, and what a reader is allowed to see
//! (`rust/glue/cgroup_walk.c`). The bookkeeping itself is
//! [`crate::model::cgroups`]; what a reader sees of the rows is [`crate::model::cgroup_view`].
//!
//! The table belongs to the walker: it is behind a mutex that only the walker (and the module's
//! teardown) takes. After each walk the walker fills the tracked cgroups' rows
//! ([`CgroupsView`]), each holding a reference on its cgroup, into the sample's one snapshot
//! ([`crate::snapshot`]), which readers take under the RCU read lock alone: a reader never
//! waits for a walk, never sleeps in `TASK_UNINTERRUPTIBLE` (so it never counts as load), and
//! names each row without a cgroup-global lock (`kernfs_path_from_node()` under RCU alone). What a reader's namespace sees of the rows is [`crate::reader_scope`].
//! The slots and the index are allocated when the module loads, sized by the `max_cgroups`
//! parameter; the published rows, after a walk, outside the RCU read lock.

use core::ptr::NonNull;

use kernel::alloc::KVVec;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

use crate::glue::{self, cgroup as Cgroup};
use crate::model::calc_load::Load;
use crate::model::cgroup_report::PSI_COLUMNS;
use crate::model::cgroup_view::{self, Row};
use crate::model::cgroups::{CgroupTable, Holds, Slot, MAX_LEVEL, NO_SLOT};
use crate::model::pressure::{Pressure, RESOURCES};
use crate::refs::Refs;
use crate::threads::{RcuCgroup, Run, Visit};

impl Cgroup {
    /// Whether the kernel has removed it (`rmdir`): no task will join it again.
    fn removed(&self) -> bool {
        // SAFETY: `self` is a live cgroup.
        unsafe { glue::cgroup_removed(core::ptr::from_ref(self).cast_mut()) }
    }
}

/// The table, in memory allocated at load.
pub type Table = CgroupTable<KVVec<Slot>, KVVec<u32>>;

impl Holds for Refs<Cgroup> {
    fn removed(&self, slot: u32, _: &Slot) -> bool {
        self.get(slot).is_none_or(|c| c.removed())
    }

    fn release(&mut self, slot: u32, _: &Slot) {
        Refs::release(self, slot);
    }
}

/// Why a thread is not counted in a slot of its own cgroup.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fold {
    /// It is: the slot is its cgroup's, or the cgroup is removed (a zombie's: its ancestor's).
    No,
    /// Every slot was taken.
    Room,
    /// Its cgroup is deeper than [`MAX_LEVEL`].
    Depth,
}

/// The cgroup of the last run of threads attributed, and where it went: threads of one process
/// come one after the other and share it. Kept only within one stretch of the walk under the RCU
/// read lock, where the cgroup cannot be freed and its address reused.
#[derive(Clone, Copy)]
struct Last {
    /// Its address, compared only.
    cgroup: *const Cgroup,
    slot: u32,
    fold: Fold,
}

impl Last {
    const NONE: Last = Last {
        cgroup: core::ptr::null(),
        slot: NO_SLOT,
        fold: Fold::No,
    };
}

/// The rows of one walk, as readers see them ([`cgroup_view`]).
pub struct CgroupsView {
    /// The sample they are of (0: none yet).
    pub sample: u64,
    /// Every tracked cgroup's row, sorted by id, each holding a reference on its cgroup.
    pub rows: KVVec<Row<ARef<Cgroup>>>,
    /// Slots in all (`max_cgroups`).
    pub slots: usize,
    /// The walk found a thread in a cgroup it had no slot for, for want of room.
    pub short_of_room: bool,
}

impl CgroupsView {
    /// The view before the first walk: no rows.
    pub fn empty(slots: usize) -> CgroupsView {
        CgroupsView {
            sample: 0,
            rows: KVVec::new(),
            slots,
            short_of_room: false,
        }
    }
}

/// The tracked cgroups and what the last walk folded.
pub struct Cgroups {
    /// The tracked cgroups.
    ///
    /// INVARIANT: every used slot's key is the address of the cgroup `refs` holds at its index.
    table: Table,
    /// A reference on each tracked cgroup, at its slot.
    ///
    /// INVARIANT: none at a free slot.
    refs: Refs<Cgroup>,
    /// Threads of the last walk counted in an ancestor of their cgroup, because their cgroup
    /// had no slot (the table was full, or it was deeper than [`MAX_LEVEL`]).
    pub folded_threads: u32,
    /// Whether the current (then the last) walk found a live cgroup it had no room for.
    short_of_room: bool,
    /// The sample the current walk will be, for new cgroups' [`Slot::since`].
    seq: u64,
    /// The last run's cgroup, within the current stretch.
    last: Last,
    /// Whether threads are attributed at all (`max_cgroups=0` turns it off).
    enabled: bool,
}

// SAFETY: The one raw pointer, `last`'s, is an address compared only, never followed; the rest
// is `Send`.
unsafe impl Send for Cgroups {}

impl Cgroups {
    /// A table of `max` slots, the root tracked from the start; with `max` 0, a table of the
    /// root alone that the walk leaves alone.
    pub fn new(max: usize) -> Result<Cgroups> {
        let enabled = max > 0;
        let max = max.max(1);
        let slots = KVVec::from_elem(Slot::FREE, max, GFP_KERNEL)?;
        let index_len = max.checked_mul(2).ok_or(EINVAL)?.next_power_of_two();
        let index = KVVec::from_elem(NO_SLOT, index_len, GFP_KERNEL)?;
        let mut table = CgroupTable::new(slots, index).map_err(|_| EINVAL)?;
        let mut refs = Refs::new(max)?;
        // SAFETY: The root cgroup lives as long as the kernel; a reference on it is a no-op
        // that `put` undoes.
        let root = NonNull::new(unsafe { glue::root_cgroup() }).ok_or(EINVAL)?;
        // SAFETY: As above.
        let (id, got) = unsafe {
            (
                glue::cgroup_id(root.as_ptr()),
                glue::cgroup_tryget_online(root.as_ptr()),
            )
        };
        if !got {
            return Err(EINVAL);
        }
        // SAFETY: The reference just taken, given to the `ARef`, which puts it on drop.
        let root_ref = unsafe { ARef::from_raw(root) };
        let slot = table
            .insert(id, root.as_ptr() as usize, NO_SLOT, 0)
            .ok_or(EINVAL)?;
        refs.hold(slot, root_ref);
        // INVARIANT: The only used slot is the root's, its reference held at its index.
        Ok(Cgroups {
            table,
            refs,
            folded_threads: 0,
            short_of_room: false,
            seq: 0,
            last: Last::NONE,
            enabled,
        })
    }

    /// Whether threads are attributed at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// How many slots there are (`max_cgroups`, at least 1).
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Bytes allocated for `max` slots and their index.
    pub fn bytes(max: usize) -> usize {
        let max = max.max(1);
        max * (core::mem::size_of::<Slot>() + core::mem::size_of::<Option<ARef<Cgroup>>>())
            + max.saturating_mul(2).next_power_of_two() * core::mem::size_of::<u32>()
    }

    /// Readies a walk that will be sample `seq`.
    pub fn begin_walk(&mut self, seq: u64) {
        self.seq = seq;
    }

    /// The slot `cg`'s threads count in, and why it is not `cg`'s own if it is not: its own,
    /// made now with its ancestors' if need be; or, past [`MAX_LEVEL`], its ancestor's at that
    /// level; or, when there is no room, its nearest tracked ancestor's. A removed cgroup (a
    /// zombie's) gets no slot: its threads count in its nearest tracked ancestor, unfolded,
    /// since no reader can be in it.
    ///
    /// `cg`, and with it its ancestors (a cgroup pins its parent), are valid for this call
    /// ([`crate::threads::Rcu`]'s invariant).
    fn slot_for(&mut self, cg: RcuCgroup<'_>) -> (u32, Fold) {
        let cg = cg.as_ptr();
        // A tracked cgroup is found by its address alone, without reading it.
        if let Some(slot) = self.table.find(cg as usize) {
            return (slot, Fold::No);
        }
        // SAFETY: `cg` is valid (above).
        let level = unsafe { glue::cgroup_level(cg) };
        let (mut c, mut fold) = match u32::try_from(level) {
            Ok(l) if l > MAX_LEVEL => {
                // SAFETY: As above; its ancestors are pinned by it.
                let at_bound = unsafe { glue::cgroup_ancestor(cg, MAX_LEVEL as c_int) };
                (at_bound, Fold::Depth)
            }
            _ => (cg, Fold::No),
        };
        // The cgroups from `c` up to the first tracked one, nearest first: at most MAX_LEVEL
        // of them, since `c` is at most that deep and the root is tracked.
        let mut chain = [(NonNull::<Cgroup>::dangling(), 0u64); MAX_LEVEL as usize];
        let mut n = 0usize;
        let anchor = loop {
            if let Some(slot) = self.table.find(c as usize) {
                break slot;
            }
            // Not null: `cg` is not, nor the parent of an untracked cgroup (below).
            let Some(this) = NonNull::new(c) else {
                return (self.table.root(), Fold::Room);
            };
            // SAFETY: `c` is `cg`, or an ancestor of it (a cgroup pins its parent): valid.
            let (id, parent) = unsafe { (glue::cgroup_id(c), glue::cgroup_parent(c)) };
            if parent.is_null() || n == chain.len() {
                // Another hierarchy's root cannot be a task's default cgroup, and ours is
                // tracked from the start, so neither can happen; count the thread in our root.
                return (self.table.root(), Fold::Room);
            }
            chain[n] = (this, id);
            n += 1;
            c = parent;
        };
        if n > 0 && self.table.is_full() {
            // The topmost cgroup without a slot: if it is removed, so are those below it (a
            // cgroup with children cannot be removed), and no reader can be in them.
            // SAFETY: `chain[n - 1].0` is valid (above).
            if unsafe { glue::cgroup_removed(chain[n - 1].0.as_ptr()) } {
                return (anchor, fold);
            }
            // Live cgroups go without a slot: whatever else folds this thread, readers in them
            // cannot be told zero.
            self.short_of_room = true;
            return (anchor, if fold == Fold::No { Fold::Room } else { fold });
        }
        let mut slot = anchor;
        for &(c, id) in chain[..n].iter().rev() {
            // SAFETY: `c` is valid (above); a reference keeps it past this call.
            if !unsafe { glue::cgroup_tryget_online(c.as_ptr()) } {
                // Removed: it, and so its descendants, will hold no task of a reader again.
                return (slot, fold);
            }
            // SAFETY: The reference just taken, given to the `ARef`, which puts it on drop.
            let held = unsafe { ARef::from_raw(c) };
            match self.table.insert(id, c.as_ptr() as usize, slot, self.seq) {
                Some(s) => {
                    // INVARIANT: The new slot's cgroup is held at its index.
                    self.refs.hold(s, held);
                    slot = s;
                }
                None => {
                    // Not kept: dropping `held` puts the reference.
                    drop(held);
                    self.short_of_room = true;
                    if fold == Fold::No {
                        fold = Fold::Room;
                    }
                    return (slot, fold);
                }
            }
        }
        (slot, fold)
    }

    /// Ends the walk (its sample closed `closed` windows), then drops the cgroups removed
    /// since. Called without the RCU read lock: dropping puts references.
    pub fn end_walk(&mut self, decay: &[Load; 3], closed: u64) {
        if !self.enabled {
            return;
        }
        self.table.end_walk(decay, closed);
        // INVARIANT: A dropped slot's reference is dropped with it.
        self.table.drop_gone(&mut self.refs);
        self.last = Last::NONE;
    }

    /// Fills `view` with the rows of the walk that just ended, sample `sample`: a reference
    /// on each tracked cgroup, sorted by id. Allocates (outside the RCU read lock): on failure
    /// `view` is left empty and the error returned.
    pub fn fill(&self, view: &mut CgroupsView, sample: u64) -> Result {
        view.rows.clear();
        view.sample = sample;
        view.slots = self.table.capacity();
        view.short_of_room = self.short_of_room;
        view.rows
            .reserve(self.table.used() as usize, GFP_KERNEL)
            .inspect_err(|_| view.sample = 0)?;
        for (i, slot) in self.table.iter() {
            // Every used slot has its reference (type invariant).
            let Some(cgroup) = self.refs.get(i).cloned() else {
                continue;
            };
            view.rows.push(
                Row {
                    slot: *slot,
                    cgroup,
                },
                GFP_KERNEL,
            )?;
        }
        cgroup_view::sort(&mut view.rows);
        Ok(())
    }
}

impl Visit for Cgroups {
    fn wants_cgroups(&self) -> bool {
        self.enabled
    }

    fn wants_tasks(&self) -> bool {
        false
    }

    fn start(&mut self, _unbroken: bool) {
        if !self.enabled {
            return;
        }
        self.folded_threads = 0;
        self.short_of_room = false;
        self.last = Last::NONE;
        self.table.begin_walk();
    }

    fn lock_break(&mut self) {
        // Past the break, the cgroup may have been freed and its address reused.
        self.last = Last::NONE;
    }

    /// Counts the threads of `run` in their cgroup.
    fn run(&mut self, run: &Run<'_>) -> u32 {
        if !self.enabled {
            return 0;
        }
        let Some(cg) = run.cgroup() else {
            return 0;
        };
        if !core::ptr::eq(cg.as_ptr(), self.last.cgroup) {
            let (slot, fold) = self.slot_for(cg);
            // INVARIANT: `last` is reset at every lock break (`lock_break`) and walk.
            self.last = Last {
                cgroup: cg.as_ptr(),
                slot,
                fold,
            };
        }
        let Last { slot, fold, .. } = self.last;
        if fold == Fold::No {
            self.table.add(slot, run.state, run.threads);
        } else {
            self.table.add_folded(slot, run.state, run.threads);
            self.folded_threads = self.folded_threads.saturating_add(run.threads);
        }
        0
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        // Each slot's reference is dropped as the slot is freed.
        self.table.clear(&mut self.refs);
    }
}

/// The pressure of a published row's cgroup, "some", as its pressure files would print it now.
///
/// As `cpu.pressure` and `io.pressure` would ([`Pressure::now`]): cpu over 10, 60 and 300 s,
/// then io; `None` if it has none to show (the root, or no PSI). Process context only: the C
/// side takes the group's mutex.
pub fn psi(row: &Row<ARef<Cgroup>>) -> Option<[Load; PSI_COLUMNS]> {
    let mut p = glue::loadavg_rs_psi {
        avg: [[0; 3]; RESOURCES],
        total: [0; RESOURCES],
        avg_total: [0; RESOURCES],
        next_update: 0,
        last_update: 0,
        now: 0,
        period: 0,
        clock_stopped: false,
    };
    // SAFETY: The row holds a reference on its cgroup; `p` is writable. Called from a read.
    if !unsafe { glue::cgroup_psi(glue::ptr_of(&row.cgroup), &mut p) } {
        return None;
    }
    let shown = Pressure {
        avg: p.avg,
        total: p.total,
        avg_total: p.avg_total,
        next_update: p.next_update,
        last_update: p.last_update,
        now: p.now,
        period: p.period,
        clock_stopped: p.clock_stopped,
    }
    .now();
    let mut avgs = [0; PSI_COLUMNS];
    for (to, from) in avgs.iter_mut().zip(shown.iter().flatten()) {
        *to = *from;
    }
    Some(avgs)
}
