// SPDX-License-Identifier: GPL-2.0

//! The table of the attribution's keys: the walk attributes each counted task in it, and each
//! sample advances the keys' averages and lets go of the keys with nothing more to show.
//!
//! The keys ([`Entry`]), and what the table promises of them (their counts add up to the
//! definitions', their averages to a bound; the entries and the sample's unwinds are bounded),
//! are in [`crate::model::attribution`]. A walk is [`Attribution::begin_walk`], then, for each thread,
//! [`Attribution::site_for`] and [`Attribution::add`], then [`Attribution::end_walk`]; the
//! kernel side holds each key's process meanwhile ([`Holds`]).

use crate::model::accounting::{Accounting, Counts, ThreadState};
use crate::model::attribution::{blocked, counted, hash, Entry, Holds, Process, Site, SiteKind};
use crate::model::calc_load::{load_int_frac, Load};
use crate::model::engine::advance;
pub use crate::model::table::BadIndex;
use crate::model::table::{Memory, Table};

/// How a task's site is found ([`Attribution::site_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unwind {
    /// It counts nowhere: no site.
    Uncounted,
    /// On a runqueue: [`Site::RUNQUEUE`].
    Runqueue,
    /// Blocked: unwind its stack (one of the sample's unwinds is taken).
    Stack,
    /// Blocked, and the sample's unwinds are used up: [`Site::NOT_UNWOUND`].
    Budget,
}

/// What the last walk did, apart from the keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Stacks unwound.
    pub unwinds: u32,
    /// Blocked tasks not unwound, for want of budget.
    pub not_unwound: u32,
    /// Of the stacks unwound, those whose task ran or woke during the unwind: not kept (the
    /// frames may be plausible and wrong), the task attributed under `[no frames]`.
    pub unwinds_woke: u32,
    /// Tasks counted in the `[other]` rows, for want of room (or of a process).
    pub other_tasks: u32,
    /// Keys let go since the table was made: reclaimed at zero, or of processes that exited,
    /// their averages moved to `[other]` ([`Attribution::end_walk`]).
    pub gone: u64,
}

/// The keys, in a [`Table`] of entries `E` with index `I`, both allocated by the caller (see
/// [`Table`] for their sizes), and the `[other]` rows.
pub struct Attribution<E, I> {
    table: Table<Entry, E, I>,
    /// The `[other]` rows: processes, then sites.
    other: [Entry; 2],
    /// The sample the current walk will be.
    seq: u64,
    /// Unwinds left in the current sample.
    unwinds_left: u32,
    /// Whether the current pass may unwind at all.
    may_unwind: bool,
    /// Whether the current pass found a key with no free entry for it.
    short_of_room: bool,
    /// The current walk's figures, then the last one's.
    stats: Stats,
}

impl<E: Memory<Entry>, I: Memory<u32>> Attribution<E, I> {
    /// An empty table over `entries` and `index`.
    pub fn new(entries: E, index: I) -> Result<Self, BadIndex> {
        Ok(Attribution {
            table: Table::new(entries, index)?,
            other: [
                Entry::other(SiteKind::Process),
                Entry::other(SiteKind::Runqueue),
            ],
            seq: 0,
            unwinds_left: 0,
            may_unwind: true,
            short_of_room: false,
            stats: Stats::default(),
        })
    }

    /// How many entries there are.
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// How many hold a key.
    pub fn used(&self) -> u32 {
        self.table.used()
    }

    /// The last walk's figures.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The `[other]` rows: processes, then sites.
    pub fn other(&self) -> &[Entry; 2] {
        &self.other
    }

    /// Every used entry, with its number.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Entry)> {
        self.table.iter()
    }

    /// The entry of a key, if it has one.
    pub fn find(&self, process: usize, site: &Site) -> Option<u32> {
        self.table.find(hash(process, site), |e| {
            e.process == process && e.site == *site
        })
    }

    /// The entry of `process` and `site`, made (with a hold from `holds`) if it has none;
    /// `None` if there is no room, or no process, or no hold.
    fn entry_for(&mut self, process: &Process, site: &Site, holds: &mut impl Holds) -> Option<u32> {
        if process.key == 0 {
            return None;
        }
        if let Some(e) = self.find(process.key, site) {
            return Some(e);
        }
        self.short_of_room |= self.table.is_full();
        let slot = self.table.insert(Entry {
            process: process.key,
            tgid: process.tgid,
            comm: process.comm,
            site: *site,
            since: self.seq,
            ..Entry::FREE
        })?;
        if !holds.hold(slot) {
            self.table.undo_insert(slot);
            return None;
        }
        Some(slot)
    }

    /// Readies the walk that will be sample `seq`, with `unwinds` stacks to unwind at most.
    pub fn begin_walk(&mut self, seq: u64, unwinds: u32) {
        self.seq = seq;
        self.unwinds_left = unwinds;
        self.start(true);
    }

    /// A pass over the threads starts (again, after a restart): no task attributed yet. It
    /// unwinds stacks only if `may_unwind` (a walk that no longer breaks its RCU read section
    /// must not unwind in it), and the unwinds a restarted pass used stay used: the budget is
    /// the sample's. The figures ([`Stats`]) are the pass's.
    pub fn start(&mut self, may_unwind: bool) {
        self.may_unwind = may_unwind;
        self.stats.unwinds = 0;
        self.stats.not_unwound = 0;
        self.stats.unwinds_woke = 0;
        for e in self.table.iter_mut() {
            e.own = Counts::ZERO;
        }
        for o in &mut self.other {
            o.own = Counts::ZERO;
        }
        self.stats.other_tasks = 0;
        self.short_of_room = false;
    }

    /// The stack [`Unwind::Stack`] asked for could not be kept: its task ran or woke during the
    /// unwind. The task is attributed under `[no frames]` ([`Site::NO_FRAMES`]).
    pub fn woke_during_unwind(&mut self) {
        self.stats.unwinds_woke = self.stats.unwinds_woke.saturating_add(1);
    }

    /// How the site of a task in state `t` is found: a blocked task's stack is unwound while the
    /// sample's budget lasts ([`Unwind::Stack`] takes one unwind from it).
    pub fn site_for(&mut self, t: ThreadState) -> Unwind {
        if !counted(t) {
            Unwind::Uncounted
        } else if !blocked(t) {
            Unwind::Runqueue
        } else if self.may_unwind && self.unwinds_left > 0 {
            self.unwinds_left -= 1;
            self.stats.unwinds = self.stats.unwinds.saturating_add(1);
            Unwind::Stack
        } else {
            self.stats.not_unwound = self.stats.not_unwound.saturating_add(1);
            Unwind::Budget
        }
    }

    /// Attributes one task of `process`, in state `t`, at `site` (what [`Attribution::site_for`]
    /// led to): to its process's key and to its site's, or to the `[other]` rows.
    pub fn add(&mut self, process: &Process, site: &Site, t: ThreadState, holds: &mut impl Holds) {
        if !counted(t) {
            return;
        }
        for (which, site) in [(0, &Site::PROCESS), (1, site)] {
            match self.entry_for(process, site, holds) {
                Some(e) => {
                    if let Some(e) = self.table.get_mut(e) {
                        e.own.add(t);
                        // The leader's name as it is now (an exec renames it).
                        e.comm = process.comm;
                    }
                }
                None => {
                    self.other[which].own.add(t);
                    if which == 0 {
                        self.stats.other_tasks = self.stats.other_tasks.saturating_add(1);
                    }
                }
            }
        }
    }

    /// Ends a walk whose sample closed `closed` windows: each key's counts become the walk's,
    /// its averages advance with them, and keys are let go: those left with nothing to show;
    /// and those of processes that have exited (counted nowhere at this sample) when the walk
    /// was short of room, or once their averages all read 0.00, their averages added to their
    /// `[other]` row, so that the sums stay. (With room to spare, an exited process's load is
    /// shown under its name until its slowest average reads 0.00, over an hour at the default
    /// windows, its entry and `struct pid` held meanwhile; a shortage of entries, for a process
    /// or a site, lets it go at once.) Their holds are released. Returns how many were let go.
    pub fn end_walk(&mut self, decay: &[Load; 3], closed: u64, holds: &mut impl Holds) -> u32 {
        for e in self.table.iter_mut() {
            e.counts = e.own;
            if closed > 0 {
                advance(&mut e.loads, decay, &e.counts, closed);
            }
        }
        for o in &mut self.other {
            o.counts = o.own;
            if closed > 0 {
                advance(&mut o.loads, decay, &o.counts, closed);
            }
        }
        let short = self.short_of_room;
        let other = &mut self.other;
        let reclaimed = self.table.retain(|_, slot, e| {
            let uncounted = Accounting::ALL.iter().all(|&a| e.counts.active(a) == 0);
            let shows_zero = e
                .loads
                .iter()
                .flatten()
                .all(|&l| load_int_frac(l) == (0, 0));
            let exited = uncounted && (short || shows_zero) && holds.exited(slot);
            if !e.is_idle() && !exited {
                return true;
            }
            let other = &mut other[usize::from(e.site.kind != SiteKind::Process)];
            for (o, l) in other
                .loads
                .iter_mut()
                .flatten()
                .zip(e.loads.iter().flatten())
            {
                *o = o.saturating_add(*l);
            }
            holds.release(slot);
            false
        });
        self.stats.gone = self.stats.gone.saturating_add(u64::from(reclaimed));
        reclaimed
    }

    /// Forgets every frame that returns into code at `start..end`, which is going away.
    ///
    /// That is a module being unloaded, or its init code being freed: once it is gone, its
    /// addresses name nothing, and later another module's code, so such a frame becomes 0,
    /// which names no code and prints as `[unknown]`
    /// ([`Folded`](crate::model::attribution_text::Folded)). The keys changed, so the index is
    /// built again; two keys may now be alike, and then the walk finds the first: the other
    /// keeps its averages, which decay until it is reclaimed, and both print. Returns how many
    /// keys changed.
    pub fn forget_frames(&mut self, start: usize, end: usize) -> u32 {
        self.table
            .rekey(|e| e.site.kind == SiteKind::Stack && e.site.forget(start, end))
    }

    /// Frees every entry, telling `holds` of each.
    pub fn clear(&mut self, holds: &mut impl Holds) {
        self.table.clear(|slot, _| holds.release(slot));
    }
}
