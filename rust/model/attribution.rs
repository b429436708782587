// SPDX-License-Identifier: GPL-2.0

//! What the load is made of: each definition's load attributed to processes and to the kernel
//! sites where blocked tasks wait.
//!
//! The walk visits every thread once a period and knows which definitions each one counts in.
//! Every task that counts in one is attributed twice, to two keys:
//!
//! - its **process** (its thread group: the kernel side's key for it, the tgid and the leader's
//!   `comm`): the rows of `/proc/loadavg_rs_top` ([`SiteKind::Process`]);
//! - its **site**: for a task off its runqueue that counts as load (D, or IO wait), the kernel
//!   stack it sleeps in, as `/proc/PID/stack` reads it ([`SiteKind::Stack`]); for a task on a
//!   runqueue, the process alone ([`SiteKind::Runqueue`]). These are the lines of
//!   `/proc/loadavg_rs_stacks`, a folded-stack file that flame graph tools draw as they are.
//!
//! Each key gets the module's averages, advanced with the same [`advance`] and the same
//! windows as the definitions' own. The table is bounded and allocated at load; nothing here
//! allocates.
//!
//! - **Conservation.** A key's counts are [`Counts`], filled by [`Counts::add_many`] with the
//!   task's state, as the definition's own counts are; every counted task goes to exactly one
//!   process key and one site key (or to the [`Attribution::other`] rows), so at every sample the
//!   keys' counts add up to the definitions' counts exactly.
//! - **The averages add up too, to a rounding bound.** [`calc_load`](crate::model::calc_load)
//!   rounds each step to a 2048th, up while the load rises and down while it falls, so each step
//!   of a key's average is off the exact recurrence `x' = x e + a (1 - e)` by less than one unit
//!   (1/2048 of a task); that error decays by `e` each step, so a key's average is within
//!   `2048 / (2048 - exp)` units of the exact value (12.5 units for the kernel's 1-minute
//!   `EXP_1` = 1884). The exact recurrence is linear and the counts add up, so the averages of
//!   `k` keys add up to the definition's within `(k + 1) * 2048 / (2048 - exp)` units
//!   ([`sum_bound`]). A key let go ([`Stats::gone`]) leaves its error behind: reclaimed at 0,
//!   its exact value was still below that bound, and only decays from there; one whose process
//!   exited hands its averages, error and all, to its `[other]` row. So `k` counts the keys
//!   present and the keys gone.
//! - **Bounded.** The table has a fixed number of entries ([`Attribution::capacity`]); a task
//!   whose key has no room counts in the `[other]` rows, whose counts say how many tasks went
//!   there at the last sample. A key whose counts and averages are all zero is reclaimed at the
//!   end of a walk, and so is one whose process has exited, its averages added to `[other]`'s.
//! - **Unwinds are bounded.** A kernel stack costs an unwind: each sample has a budget of them
//!   ([`Attribution::begin_walk`]); a blocked task past it is attributed to its process with a
//!   `[not unwound]` site.
//!
//! The kernel side holds each key's process while the key is in the table (a reference on its
//! `struct pid`, so that its address, the key, stays unique): [`Holds`].

use core::fmt;
use core::ops::DerefMut;

use crate::model::accounting::{Accounting, Counts, ThreadState};
use crate::model::calc_load::{load_int_frac, Load, FIXED_1, FSHIFT};
use crate::model::engine::{advance, Loads};
use crate::model::report::{Duration, PathText};
use crate::model::sort;
pub use crate::model::table::BadIndex;
use crate::model::table::{Row, Table, NONE};

/// The most frames kept of a kernel stack, innermost first (deeper ones are cut, and the site
/// says so).
pub const DEPTH: usize = 24;

/// The length of a task's `comm` (`TASK_COMM_LEN`), NUL-padded.
pub const COMM_LEN: usize = 16;

/// What a key's site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    /// The process as a whole: a row of `/proc/loadavg_rs_top`.
    Process,
    /// On a runqueue: attributed by process only.
    Runqueue,
    /// Blocked, at a kernel stack.
    Stack,
    /// Blocked, not unwound: the sample's unwinds were used up.
    NotUnwound,
    /// Blocked, but the unwinder found no frame (the task was running again, or its stack was
    /// gone).
    NoFrames,
}

/// Where a task counts besides its process: its kernel stack if it is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// What kind of site.
    pub kind: SiteKind,
    /// Frames used in `frames`.
    depth: u8,
    /// The stack was deeper than [`DEPTH`]: its outermost frames are cut.
    truncated: bool,
    /// Return addresses, innermost first; zero past `depth`.
    frames: [usize; DEPTH],
}

impl Site {
    /// A site of `kind` with no frames.
    const fn of(kind: SiteKind) -> Site {
        Site {
            kind,
            depth: 0,
            truncated: false,
            frames: [0; DEPTH],
        }
    }

    /// The process as a whole.
    pub const PROCESS: Site = Site::of(SiteKind::Process);
    /// On a runqueue.
    pub const RUNQUEUE: Site = Site::of(SiteKind::Runqueue);
    /// Blocked, not unwound.
    pub const NOT_UNWOUND: Site = Site::of(SiteKind::NotUnwound);
    /// Blocked, no frame found.
    pub const NO_FRAMES: Site = Site::of(SiteKind::NoFrames);

    /// The site of a stack of `frames`, innermost first, as the unwinder stored them in a
    /// buffer of [`DEPTH`] + 1 entries: more than [`DEPTH`] means the stack was cut.
    pub fn stack(frames: &[usize]) -> Site {
        let depth = frames.len().min(DEPTH);
        if depth == 0 {
            return Site::NO_FRAMES;
        }
        let mut site = Site::of(SiteKind::Stack);
        for (to, &from) in site.frames.iter_mut().zip(frames) {
            *to = from;
        }
        site.depth = depth as u8;
        site.truncated = frames.len() > DEPTH;
        site
    }

    /// The frames, innermost first.
    pub fn frames(&self) -> &[usize] {
        self.frames.get(..usize::from(self.depth)).unwrap_or(&[])
    }

    /// Whether its outermost frames were cut.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// A hash of the site, for the index.
    fn hash(&self) -> u64 {
        let mut h = (self.kind as u64) ^ (u64::from(self.truncated) << 8);
        for &f in self.frames() {
            h = (h ^ f as u64)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(29);
        }
        h
    }
}

/// What the kernel side reads of a task's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Process {
    /// The kernel side's key for it (its `struct pid`'s address: unique while held); 0 when the
    /// task has no process any more (it is being released).
    pub key: usize,
    /// Its tgid in the initial PID namespace.
    pub tgid: i32,
    /// Its leader's `comm`, NUL-padded.
    pub comm: [u8; COMM_LEN],
}

/// One key: a process, or a process and a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The process's key; 0 for a free entry.
    pub process: usize,
    /// Its tgid in the initial PID namespace.
    pub tgid: i32,
    /// Its leader's `comm`, as last seen.
    pub comm: [u8; COMM_LEN],
    /// The site.
    pub site: Site,
    /// The sample at which it got its entry (its averages start from zero then).
    pub since: u64,
    /// The tasks of the current walk attributed to it.
    own: Counts,
    /// At the last sample: the tasks attributed to it.
    pub counts: Counts,
    /// Its averages.
    pub loads: Loads,
    /// The next free entry, for a free one.
    next: u32,
}

impl Entry {
    /// A free entry.
    pub const FREE: Entry = Entry {
        process: 0,
        tgid: 0,
        comm: [0; COMM_LEN],
        site: Site::PROCESS,
        since: 0,
        own: Counts::ZERO,
        counts: Counts::ZERO,
        loads: [[0; 3]; Accounting::ALL.len()],
        next: NONE,
    };

    /// An `[other]` row of `kind`.
    const fn other(kind: SiteKind) -> Entry {
        Entry {
            site: Site::of(kind),
            ..Entry::FREE
        }
    }

    /// Whether the entry holds a key.
    pub fn is_used(&self) -> bool {
        self.process != 0
    }

    /// Whether its counts and averages are all zero: it has nothing to show.
    fn is_idle(&self) -> bool {
        Accounting::ALL.iter().all(|&a| self.counts.active(a) == 0)
            && self.loads.iter().flatten().all(|&l| l == 0)
    }
}

impl Row for Entry {
    fn free(next: u32) -> Entry {
        Entry {
            next,
            ..Entry::FREE
        }
    }

    fn next_free(&self) -> u32 {
        self.next
    }

    fn is_used(&self) -> bool {
        Entry::is_used(self)
    }

    fn hash(&self) -> u64 {
        hash(self.process, &self.site)
    }
}

/// The hash of a key: its process's address, multiplied, and its site's hash.
fn hash(process: usize, site: &Site) -> u64 {
    (process as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ site.hash()
}

/// Whether a task in state `t` counts in any definition (and so is attributed).
pub fn counted(t: ThreadState) -> bool {
    let mut c = Counts::ZERO;
    c.add(t);
    Accounting::ALL.iter().any(|&a| c.active(a) > 0)
}

/// Whether a task in state `t` waits as load (D, IO wait, or a mutex it is kept queued on as a
/// proxy-execution donor): its site is its kernel stack.
pub fn blocked(t: ThreadState) -> bool {
    if t.on_rq {
        t.proxied && !t.delayed && !t.throttled && !t.new && !t.walker
    } else {
        t.contributes_to_load || t.in_iowait
    }
}

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

/// What the kernel side holds for the keys, one hold an entry (a reference on the process).
pub trait Holds {
    /// Takes a hold on the process of the task being attributed, for the entry `slot` just
    /// made; false if it cannot (the entry is then freed, and the task counts in `[other]`).
    fn hold(&mut self, slot: u32) -> bool;
    /// The entry `slot` is freed: let go of its hold.
    fn release(&mut self, slot: u32);
    /// Whether the process of entry `slot` has exited (it has no task any more).
    fn exited(&self, slot: u32) -> bool;
}

/// What the last walk did, apart from the keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Stacks unwound.
    pub unwinds: u32,
    /// Blocked tasks not unwound, for want of budget.
    pub not_unwound: u32,
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

impl<E, I> Attribution<E, I>
where
    E: DerefMut<Target = [Entry]>,
    I: DerefMut<Target = [u32]>,
{
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
        for e in self.table.iter_mut() {
            e.own = Counts::ZERO;
        }
        for o in &mut self.other {
            o.own = Counts::ZERO;
        }
        self.stats.other_tasks = 0;
        self.short_of_room = false;
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
    /// addresses name nothing, and later another module's code, so such a frame becomes 0, which names
    /// no code and prints as `[unknown]` ([`Folded`]). The keys changed, so the index is built
    /// again; two keys may now be alike, and then the walk finds the first: the other keeps
    /// its averages, which decay until it is reclaimed, and both print. Returns how many keys
    /// changed.
    pub fn forget_frames(&mut self, start: usize, end: usize) -> u32 {
        self.table.rekey(|e| {
            if e.site.kind != SiteKind::Stack {
                return false;
            }
            let depth = usize::from(e.site.depth);
            let mut hit = false;
            for f in e.site.frames.iter_mut().take(depth) {
                // A return address names the code before it (a call may end its function).
                if *f != 0 && (start..end).contains(&(*f - 1)) {
                    *f = 0;
                    hit = true;
                }
            }
            hit
        })
    }

    /// Frees every entry, telling `holds` of each.
    pub fn clear(&mut self, holds: &mut impl Holds) {
        self.table.clear(|slot, _| holds.release(slot));
    }
}

/// The bound, in 2048ths of a task, within which the averages of `keys` keys of one window of
/// decay factor `exp` add up to the definition's (see the module's documentation): each of the
/// `keys + 1` averages is within `2048 / (2048 - exp)` units of its exact value, and the exact
/// values add up.
pub const fn sum_bound(keys: u64, exp: Load) -> u64 {
    // A decay factor is below FIXED_1 (`Config` checks it); 1 if not, rather than divide by 0.
    let gap = if exp < FIXED_1 { FIXED_1 - exp } else { 1 };
    let per = (FIXED_1 as u64).div_ceil(gap as u64);
    (keys + 1).saturating_mul(per)
}

/// An average in thousandths of a task, rounded to the nearest: the weight of a line of
/// `/proc/loadavg_rs_stacks`.
pub const fn thousandths(load: Load) -> u64 {
    ((load as u64) * 1000 + (FIXED_1 as u64) / 2) >> FSHIFT
}

/// A `comm`, printable in a column or a frame: the bytes from `!` to `~` as they are, but for
/// `;` and `\`; those and every other byte (space, controls, non-ASCII) as `\xHH`; it stops at
/// the first NUL.
pub struct Comm<'a>(pub &'a [u8; COMM_LEN]);

impl fmt::Display for Comm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0.iter().take_while(|&&b| b != 0) {
            if (b'!'..=b'~').contains(&b) && b != b';' && b != b'\\' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// How frames are named: the kernel side prints a symbol (`%ps`), the tests a made-up one.
pub trait Symbols {
    /// Writes the name of the code at `addr`.
    fn name(&self, addr: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// Which process a row of the files is, as the reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// A live process, by its number in the reader's PID namespace.
    Pid(i32),
    /// A process that has exited (its load is still decaying): its number may already be
    /// another's, so it is not shown.
    Exited,
    /// The `[other]` row: tasks whose keys had no room.
    Other,
}

/// The folded-stack lines of one key, one per definition it has load in:
/// `definition;process;outermost frame;...;innermost frame WEIGHT`, the weight being the first
/// window's average in thousandths of a task ([`thousandths`]); none when that is 0.
///
/// The process is `comm-tgid` (as `stackcollapse-perf.pl --pid` writes it), the tgid as the
/// reader's PID namespace numbers it; `comm-exited` once it has exited; `[other]` for the tasks
/// that had no room. The frames: none for a task on a runqueue; a blocked task's kernel stack,
/// outermost first, after `[...]` if it was cut, a frame whose code has gone (its module
/// unloaded) as `[unknown]`; `[not unwound]` or `[no frames]` when it has none.
pub struct Folded<'a, S> {
    /// The key.
    pub entry: &'a Entry,
    /// Its process.
    pub who: Who,
    /// How frames are named.
    pub symbols: &'a S,
}

impl<S: Symbols> fmt::Display for Folded<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.entry;
        for a in Accounting::ALL {
            let weight = thousandths(e.loads[a.index()][0]);
            if weight == 0 {
                continue;
            }
            write!(f, "{}", a.name())?;
            match self.who {
                Who::Pid(pid) => write!(f, ";{}-{pid}", Comm(&e.comm))?,
                Who::Exited => write!(f, ";{}-exited", Comm(&e.comm))?,
                Who::Other => write!(f, ";[other]")?,
            }
            match e.site.kind {
                SiteKind::Stack => {
                    if e.site.truncated() {
                        write!(f, ";[...]")?;
                    }
                    for &addr in e.site.frames().iter().rev() {
                        f.write_str(";")?;
                        if addr == 0 {
                            f.write_str("[unknown]")?;
                        } else {
                            self.symbols.name(addr, f)?;
                        }
                    }
                }
                SiteKind::NotUnwound => write!(f, ";[not unwound]")?,
                SiteKind::NoFrames => write!(f, ";[no frames]")?,
                SiteKind::Process | SiteKind::Runqueue => {}
            }
            writeln!(f, " {weight}")?;
        }
        Ok(())
    }
}

/// The head of `/proc/loadavg_rs_top`: the sample its rows are of, the table's figures (`-`
/// for a reader outside the initial PID namespace: they are the whole system's), then the
/// columns' names:
///
/// ```text
/// sample 57
/// keys 12
/// key_slots 1024
/// other_tasks 0
/// unwinds 3
/// not_unwound 0
/// keys_gone 40
/// stacks yes
/// pid cpu io all cpuio blocked since cpu_60s cpu_300s cpu_900s ... blocked_900s comm cgroup
/// ```
pub struct TopHead {
    /// The sample.
    pub sample: u64,
    /// The last walk's figures, the keys in use (processes and sites) and the entries in all;
    /// `None` to print `-` for each.
    pub table: Option<(Stats, usize, usize)>,
    /// The windows, for the columns' names.
    pub windows_ms: [u32; 3],
    /// Whether blocked tasks' kernel stacks are unwound: not on a kernel without
    /// `CONFIG_STACKTRACE`, where their sites are all `[no frames]`.
    pub stacks: bool,
}

/// A figure, or `-`.
struct Figure(Option<u64>);

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("-"),
        }
    }
}

impl fmt::Display for TopHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.table;
        let fig = |g: fn(&(Stats, usize, usize)) -> u64| Figure(t.as_ref().map(g));
        writeln!(f, "sample {}", self.sample)?;
        writeln!(f, "keys {}", fig(|t| t.1 as u64))?;
        writeln!(f, "key_slots {}", fig(|t| t.2 as u64))?;
        writeln!(f, "other_tasks {}", fig(|t| u64::from(t.0.other_tasks)))?;
        writeln!(f, "unwinds {}", fig(|t| u64::from(t.0.unwinds)))?;
        writeln!(f, "not_unwound {}", fig(|t| u64::from(t.0.not_unwound)))?;
        writeln!(f, "keys_gone {}", fig(|t| t.0.gone))?;
        writeln!(f, "stacks {}", if self.stacks { "yes" } else { "no" })?;
        write!(f, "pid")?;
        for a in Accounting::ALL {
            write!(f, " {}", a.name())?;
        }
        write!(f, " since")?;
        for a in Accounting::ALL {
            for w in self.windows_ms {
                write!(f, " {}_{}", a.name(), Duration(w))?;
            }
        }
        writeln!(f, " comm cgroup")
    }
}

/// One process's row of `/proc/loadavg_rs_top`: its pid as the reader's PID namespace numbers
/// it (`-` for `[other]`, and for a process that has exited, whose number may be another's
/// already), its tasks at the last sample in each definition, the sample its
/// averages start at, its averages with two decimals as `/proc/loadavg` rounds them (every
/// definition, every window), its leader's `comm` ([`Comm`]), and its cgroup as the reader's
/// cgroup namespace names it (`-` if outside it, or gone), last, so that a path with spaces
/// still parses.
pub struct TopRow<'a> {
    /// The process's entry.
    pub entry: &'a Entry,
    /// Its process.
    pub who: Who,
    /// Its cgroup's path, printed as [`PathText`] escapes it; `None`: `-`.
    pub cgroup: Option<&'a [u8]>,
}

impl fmt::Display for TopRow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.entry;
        match self.who {
            Who::Pid(pid) => write!(f, "{pid}")?,
            Who::Exited | Who::Other => write!(f, "-")?,
        }
        for a in Accounting::ALL {
            write!(f, " {}", e.counts.active(a))?;
        }
        write!(f, " {}", e.since)?;
        for a in Accounting::ALL {
            for load in e.loads[a.index()] {
                let (int, frac) = load_int_frac(load);
                write!(f, " {int}.{frac:02}")?;
            }
        }
        match self.who {
            Who::Pid(_) | Who::Exited => write!(f, " {}", Comm(&e.comm))?,
            Who::Other => write!(f, " [other]")?,
        }
        match self.cgroup {
            Some(path) => writeln!(f, " {}", PathText(path)),
            None => writeln!(f, " -"),
        }
    }
}

/// Sorts `rows` as `/proc/loadavg_rs_top` lists them: by the first window's `all`, largest
/// first, then by `key` (the pid) for rows alike.
pub fn sort_top<R>(rows: &mut [R], load: impl Fn(&R) -> Load, key: impl Fn(&R) -> i64) {
    sort::sort_by(rows, |a, b| load(b).cmp(&load(a)).then(key(a).cmp(&key(b))));
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_attribution))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::calc_load::calc_load;
    use crate::model::report::{text_is, FixedText};

    const N: usize = 8;
    const DECAY: [Load; 3] = [1884, 2014, 2037];

    // A table of entries does not fit a kernel stack.
    use crate::model::table::testing::{heap, Heap};

    type Table = Attribution<Heap<Entry>, Heap<u32>>;

    /// A table of `n` entries.
    fn table_of(n: usize) -> Table {
        match Attribution::new(heap(Entry::FREE, n), heap(0, 2 * n)) {
            Ok(t) => t,
            Err(_) => panic!("the index fits"),
        }
    }

    fn table() -> Table {
        table_of(N)
    }

    /// Holds that count what is held, refuse once `refuse` is set, and whose processes have all
    /// exited once `exited` is set.
    #[derive(Default)]
    struct Count {
        held: u32,
        refuse: bool,
        exited: bool,
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

    fn process(key: usize) -> Process {
        let mut comm = [0; COMM_LEN];
        comm[..4].copy_from_slice(b"proc");
        Process {
            key,
            tgid: key as i32,
            comm,
        }
    }

    const R: ThreadState = ThreadState {
        on_rq: true,
        ..ThreadState::ASLEEP
    };
    const IO: ThreadState = ThreadState {
        contributes_to_load: true,
        in_iowait: true,
        ..ThreadState::ASLEEP
    };
    const D: ThreadState = ThreadState {
        contributes_to_load: true,
        ..ThreadState::ASLEEP
    };

    /// The sum of `which` rows' counts and first-window loads for `a`, `[other]` included.
    fn sums(t: &Table, kind: fn(SiteKind) -> bool, a: Accounting) -> (u32, u64) {
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

    fn is_process(k: SiteKind) -> bool {
        k == SiteKind::Process
    }

    fn is_site(k: SiteKind) -> bool {
        k != SiteKind::Process
    }

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
        // A restart keeps what the sample used; its figures are its own.
        t.start(true);
        assert_eq!(t.site_for(IO), Unwind::Stack);
        assert_eq!(t.site_for(D), Unwind::Budget);
        assert_eq!(t.site_for(R), Unwind::Runqueue);
        assert_eq!(
            t.stats(),
            Stats {
                unwinds: 1,
                not_unwound: 1,
                other_tasks: 0,
                gone: 0
            }
        );
        t.begin_walk(2, 0);
        assert_eq!(t.site_for(D), Unwind::Budget);
    }

    #[test]
    fn stacks_are_cut_at_the_depth_and_say_so() {
        let deep = [7usize; DEPTH + 1];
        let s = Site::stack(&deep);
        assert!(s.truncated());
        assert_eq!(s.frames().len(), DEPTH);
        let s = Site::stack(&deep[..DEPTH]);
        assert!(!s.truncated());
        assert_eq!(Site::stack(&[]), Site::NO_FRAMES);
        assert_ne!(Site::stack(&[1, 2]), Site::stack(&[1, 2, 3]));
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

    #[test]
    fn weights_are_rounded_thousandths() {
        assert_eq!(thousandths(0), 0);
        assert_eq!(thousandths(FIXED_1), 1000);
        assert_eq!(thousandths(1), 0);
        // 3/2048 = 1.46 thousandths; 1/2048 * 1000 = 0.49.
        assert_eq!(thousandths(3), 1);
        assert_eq!(thousandths(2 * FIXED_1 + 1024), 2500);
        assert_eq!(sum_bound(0, 1884), 13);
        assert_eq!(sum_bound(4, 1944), 5 * 20);
    }

    #[test]
    fn comm_is_escaped() {
        let mut c = [0u8; COMM_LEN];
        c[..8].copy_from_slice(b"a b;c\\\n\xff");
        assert!(text_is(Comm(&c), "a\\x20b\\x3bc\\x5c\\x0a\\xff"));
        let mut plain = [0u8; COMM_LEN];
        plain[..3].copy_from_slice(b"tar");
        assert!(text_is(Comm(&plain), "tar"));
    }

    /// Frames named `f<address>`.
    struct Names;

    impl Symbols for Names {
        fn name(&self, addr: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "f{addr}")
        }
    }

    #[test]
    fn folded_lines_name_the_definition_process_and_frames() {
        let mut comm = [0u8; COMM_LEN];
        comm[..3].copy_from_slice(b"tar");
        let mut e = Entry {
            process: 1,
            tgid: 42,
            comm,
            site: Site::stack(&[3, 2, 1]),
            ..Entry::FREE
        };
        e.loads[Accounting::Io.index()][0] = 1372;
        e.loads[Accounting::All.index()][0] = 1372;
        let mut t = FixedText::<256>::new();
        let folded = Folded {
            entry: &e,
            who: Who::Pid(42),
            symbols: &Names,
        };
        assert!(fmt::write(&mut t, format_args!("{folded}")).is_ok());
        // 1372/2048 = 0.66992: 670 thousandths.
        assert_eq!(
            t.as_str(),
            "io;tar-42;f1;f2;f3 670\nall;tar-42;f1;f2;f3 670\n"
        );
        e.site = Site::stack(&[9; DEPTH + 1]);
        e.loads[Accounting::All.index()][0] = 0;
        let mut t = FixedText::<512>::new();
        let folded = Folded {
            entry: &e,
            who: Who::Other,
            symbols: &Names,
        };
        assert!(fmt::write(&mut t, format_args!("{folded}")).is_ok());
        assert!(t.as_str().starts_with("io;[other];[...];f9;"));
        e.site = Site::RUNQUEUE;
        assert!(text_is(
            Folded {
                entry: &e,
                who: Who::Pid(42),
                symbols: &Names
            },
            "io;tar-42 670\n"
        ));
        assert!(text_is(
            Folded {
                entry: &e,
                who: Who::Exited,
                symbols: &Names
            },
            "io;tar-exited 670\n"
        ));
        e.site = Site::NOT_UNWOUND;
        assert!(text_is(
            Folded {
                entry: &e,
                who: Who::Pid(42),
                symbols: &Names
            },
            "io;tar-42;[not unwound] 670\n"
        ));
    }

    #[test]
    fn frames_of_code_that_goes_away_are_forgotten_never_renamed() {
        let mut t = table();
        let mut holds = Count::default();
        t.begin_walk(1, 8);
        t.start(true);
        let p = process(1);
        // Two stacks through a module at 0x1000..0x2000, one outside it.
        let (a, b, c) = (
            Site::stack(&[0x1010, 0x500]),
            Site::stack(&[0x2000, 0x500]),
            Site::stack(&[0x2001, 0x500]),
        );
        for site in [&a, &b, &c] {
            t.add(&p, site, D, &mut holds);
        }
        t.end_walk(&DECAY, 1, &mut holds);
        // 0x2000 returns into the byte before it, the module's last.
        assert_eq!(t.forget_frames(0x1000, 0x2000), 2);
        assert_eq!(t.forget_frames(0x1000, 0x2000), 0);
        let forgotten = Site::stack(&[0, 0x500]);
        assert!(t.find(p.key, &forgotten).is_some());
        assert!(t.find(p.key, &a).is_none());
        assert!(t.find(p.key, &c).is_some());
        let e = t.iter().map(|(_, e)| *e).find(|e| e.site == forgotten);
        let Some(mut e) = e else {
            panic!("the key is still there");
        };
        e.loads = [[0; 3]; Accounting::ALL.len()];
        e.loads[Accounting::All.index()][0] = FIXED_1;
        assert!(text_is(
            Folded {
                entry: &e,
                who: Who::Pid(7),
                symbols: &Names
            },
            "all;proc-7;f1280;[unknown] 1000\n"
        ));
        // The next walk finds the key it became, and both alike keys stay counted once each.
        t.begin_walk(2, 8);
        t.start(true);
        t.add(&p, &Site::stack(&[0, 0x500]), D, &mut holds);
        t.end_walk(&DECAY, 1, &mut holds);
        let mut c = Counts::ZERO;
        for (_, e) in t.iter() {
            if e.site.kind == SiteKind::Stack {
                c.merge(&e.counts);
            }
        }
        assert_eq!(c.active(Accounting::Blocked), 1);
    }

    #[test]
    fn top_rows_follow_the_header() {
        let mut head = FixedText::<1024>::new();
        let h = TopHead {
            sample: 5,
            table: Some((Stats::default(), 2, 8)),
            windows_ms: [2000, 10_000, 30_000],
            stacks: true,
        };
        assert!(fmt::write(&mut head, format_args!("{h}")).is_ok());
        assert!(head
            .as_str()
            .starts_with("sample 5\nkeys 2\nkey_slots 8\nother_tasks 0\n"));
        let hidden = TopHead { table: None, ..h };
        let mut head2 = FixedText::<1024>::new();
        assert!(fmt::write(&mut head2, format_args!("{hidden}")).is_ok());
        assert!(head2
            .as_str()
            .starts_with("sample 5\nkeys -\nkey_slots -\nother_tasks -\n"));
        let columns = head.as_str().lines().last().unwrap_or("");
        assert!(
            columns.starts_with("pid cpu io all cpuio blocked since cpu_2s cpu_10s cpu_30s io_2s")
        );
        assert!(columns.ends_with("blocked_30s comm cgroup"));
        let mut comm = [0u8; COMM_LEN];
        comm[..3].copy_from_slice(b"dd ");
        let mut e = Entry {
            process: 1,
            comm,
            since: 3,
            ..Entry::FREE
        };
        e.counts.add(IO);
        e.loads[Accounting::Io.index()] = [2048, 1024, 0];
        let mut row = FixedText::<1024>::new();
        let r = TopRow {
            entry: &e,
            who: Who::Pid(7),
            cgroup: Some(b"/a b"),
        };
        assert!(fmt::write(&mut row, format_args!("{r}")).is_ok());
        let row = row.as_str();
        assert!(row.starts_with("7 0 1 1 1 0 3 0.00 0.00 0.00 1.00 0.50 0.00 0.00"));
        assert!(row.ends_with(" dd\\x20 /a b\n"));
        // One cell a column, but for the path's space.
        assert_eq!(row.split(' ').count(), columns.split(' ').count() + 1);
        // An exited process: no number, which may be another's now.
        let gone = TopRow {
            who: Who::Exited,
            ..r
        };
        let mut row = FixedText::<1024>::new();
        assert!(fmt::write(&mut row, format_args!("{gone}")).is_ok());
        assert!(row.as_str().starts_with("- 0 1 1 1 0 3 "));
        assert!(row.as_str().ends_with(" dd\\x20 /a b\n"));
        // A cgroup name that is not UTF-8, escaped as every file escapes it.
        let odd = TopRow {
            cgroup: Some(b"/x\xffy"),
            ..r
        };
        let mut row = FixedText::<1024>::new();
        assert!(fmt::write(&mut row, format_args!("{odd}")).is_ok());
        assert!(row.as_str().ends_with(" /x\\xffy\n"));
    }

    #[test]
    fn top_is_sorted_by_all_then_pid() {
        let mut rows = [(5i64, 10 as Load), (3, 20), (4, 10), (1, 0)];
        sort_top(&mut rows, |r| r.1, |r| r.0);
        assert_eq!(rows, [(3, 20), (4, 10), (5, 10), (1, 0)]);
    }
}
