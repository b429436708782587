// SPDX-License-Identifier: GPL-2.0

//! What the load is made of: the keys that each definition's load is attributed to, processes
//! and the kernel sites where blocked tasks wait, and what their attribution promises.
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
//!
//! The keys are here, and the bound their averages add up within ([`sum_bound`]); the table that
//! keeps them, in which the walk attributes each task, is [`Attribution`]
//! ([`crate::model::attribution_table`]); the text of the two files is
//! [`crate::model::attribution_text`].
//!
//! [`advance`]: crate::model::engine::advance
//! [`Attribution`]: crate::model::attribution_table::Attribution
//! [`Attribution::other`]: crate::model::attribution_table::Attribution::other
//! [`Attribution::capacity`]: crate::model::attribution_table::Attribution::capacity
//! [`Attribution::begin_walk`]: crate::model::attribution_table::Attribution::begin_walk
//! [`Stats::gone`]: crate::model::attribution_table::Stats::gone

use crate::model::accounting::{Accounting, Counts, ThreadState};
use crate::model::calc_load::{Load, FIXED_1};
use crate::model::engine::Loads;
use crate::model::table::{Row, NONE};

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

    /// Forgets every frame that returns into code at `start..end`, which is going away: such a
    /// frame becomes 0, which names no code. Returns whether any did.
    pub(super) fn forget(&mut self, start: usize, end: usize) -> bool {
        let depth = usize::from(self.depth);
        let mut hit = false;
        for f in self.frames.iter_mut().take(depth) {
            // A return address names the code before it (a call may end its function).
            if *f != 0 && (start..end).contains(&(*f - 1)) {
                *f = 0;
                hit = true;
            }
        }
        hit
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
    pub(super) own: Counts,
    /// At the last sample: the tasks attributed to it.
    pub counts: Counts,
    /// Its averages.
    pub loads: Loads,
    /// The next free entry, for a free one.
    pub(super) next: u32,
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
    pub(super) const fn other(kind: SiteKind) -> Entry {
        Entry {
            site: Site::of(kind),
            ..Entry::FREE
        }
    }

    /// Whether its counts and averages are all zero: it has nothing to show.
    pub(super) fn is_idle(&self) -> bool {
        Accounting::ALL.iter().all(|&a| self.counts.active(a) == 0)
            && self.loads.iter().flatten().all(|&l| l == 0)
    }
}

impl Row for Entry {
    const FREE: Entry = Entry::FREE;

    fn hash(&self) -> u64 {
        hash(self.process, &self.site)
    }

    fn is_used(&self) -> bool {
        // A process's address is never 0.
        self.process != 0
    }

    fn link(&mut self) -> &mut u32 {
        &mut self.next
    }
}

/// The hash of a key: its process's address, multiplied, and its site's hash.
pub(super) fn hash(process: usize, site: &Site) -> u64 {
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

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_attribution))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;

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
}
