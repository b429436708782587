// SPDX-License-Identifier: GPL-2.0

//! The kernel's side of load attribution: each counted task's process and, for a blocked one,
//! its kernel stack, read in the walk (`rust/glue/attribution.c`); the references that keep the
//! keys' processes; the rows each walk publishes; and the two files that show them,
//! `/proc/loadavg_rs_top` and `/proc/loadavg_rs_stacks`. The bookkeeping is
//! [`crate::model::attribution`] and [`crate::model::attribution_table`]; the files' text,
//! [`crate::model::attribution_text`].
//!
//! As for cgroups ([`crate::cgroup_walk`]), the table is the walker's, behind its mutex; after
//! each walk the walker fills the used entries, each with a reference on its process, into the
//! sample's one snapshot ([`crate::snapshot`]), which readers take without a lock: a reader
//! never waits for a walk, and the walker never waits for a reader. Frames are named when the
//! file is read.

use core::marker::PhantomData;
use core::ptr::NonNull;

use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::seq_file::SeqFile;
use kernel::seq_print;
use kernel::sync::aref::ARef;

use crate::glue::{self, pid as Pid};
use crate::model::accounting::Accounting;
use crate::model::attribution::{Entry, Holds, Process, Site, SiteKind, COMM_LEN, DEPTH};
use crate::model::attribution_table::{Attribution, Stats, Unwind};
use crate::model::attribution_text::{sort_top, Folded, Symbols, TopHead, TopRow, Who};
use crate::reader_scope::ReaderScope;
use crate::refs::Refs;
use crate::threads::{RcuTask, Run, Visit, UNWIND_COST};

/// The table, in memory allocated at load.
type Table = Attribution<KVVec<Entry>, KVVec<u32>>;

impl Holds for Refs<Pid> {
    /// Outside a walk there is no process to take a hold on.
    fn hold(&mut self, _: u32) -> bool {
        false
    }

    fn release(&mut self, slot: u32) {
        Refs::release(self, slot);
    }

    fn exited(&self, slot: u32) -> bool {
        // SAFETY: The entry holds a reference on its pid.
        self.get(slot)
            .is_some_and(|pid| unsafe { glue::pid_exited(glue::ptr_of(pid)) })
    }
}

/// The holds while one task is attributed: a new entry takes a reference on its process, read
/// from the task under the RCU read lock `'g`.
struct Taking<'a, 'g> {
    refs: &'a mut Refs<Pid>,
    /// The task's process; `None` if it has none any more.
    pid: Option<NonNull<Pid>>,
    _task: PhantomData<RcuTask<'g>>,
}

impl<'a, 'g> Taking<'a, 'g> {
    /// The holds for `task`, whose process (read from it under the RCU read lock it was read
    /// under, `'g`) is `pid`.
    fn new(refs: &'a mut Refs<Pid>, _task: RcuTask<'g>, pid: *mut Pid) -> Taking<'a, 'g> {
        Taking {
            refs,
            pid: NonNull::new(pid),
            _task: PhantomData,
        }
    }
}

impl Holds for Taking<'_, '_> {
    fn hold(&mut self, slot: u32) -> bool {
        let Some(pid) = self.pid else {
            return false;
        };
        // SAFETY: `pid` was read from a task under the RCU read lock `'g`, still held: its count
        // is above zero until a grace period after its thread group's leader is unhashed
        // (`rust/glue/attribution.c`), so a reference may be taken.
        unsafe { glue::pid_get(pid.as_ptr()) };
        // SAFETY: The reference just taken, given to the `ARef`, which puts it on drop (at once
        // if there is no such entry).
        self.refs.hold(slot, unsafe { ARef::from_raw(pid) })
    }

    fn release(&mut self, slot: u32) {
        self.refs.release(slot);
    }

    fn exited(&self, slot: u32) -> bool {
        self.refs.exited(slot)
    }
}

/// The published rows of one walk.
pub struct AttributionView {
    /// The sample they are of (0: none yet).
    pub sample: u64,
    /// Every key, with a reference on its process.
    rows: KVVec<(Entry, ARef<Pid>)>,
    /// The `[other]` rows: processes, then sites.
    other: [Entry; 2],
    /// The walk's figures.
    stats: Stats,
    /// Entries in all.
    slots: usize,
}

impl AttributionView {
    /// The view before the first walk: no rows.
    pub fn empty(slots: usize) -> AttributionView {
        AttributionView {
            sample: 0,
            rows: KVVec::new(),
            other: [Entry::FREE; 2],
            stats: Stats::default(),
            slots,
        }
    }

    /// How many keys it has (processes and sites).
    pub fn keys(&self) -> usize {
        self.rows.len()
    }

    /// Forgets its rows (putting their references), keeping their memory.
    pub fn clear(&mut self) {
        self.rows.clear();
    }
}

/// The keys, and what each sample may unwind.
pub struct Attributed {
    /// INVARIANT: every used entry's process is the one `refs` holds at its index.
    table: Table,
    /// INVARIANT: none at a free entry.
    refs: Refs<Pid>,
    /// Stacks unwound per sample at most.
    unwinds: u32,
    /// Whether tasks are attributed at all (`attribute_keys=0` turns it off).
    enabled: bool,
}

impl Attributed {
    /// A table of `max` keys (0: attribution off, a table of one entry that the walk leaves
    /// alone), unwinding at most `unwinds` stacks a sample.
    pub fn new(max: usize, unwinds: u32) -> Result<Attributed> {
        let enabled = max > 0;
        let max = max.max(1);
        let entries = KVVec::from_elem(Entry::FREE, max, GFP_KERNEL)?;
        let index_len = max.checked_mul(2).ok_or(EINVAL)?.next_power_of_two();
        let index = KVVec::from_elem(0u32, index_len, GFP_KERNEL)?;
        let table = Attribution::new(entries, index).map_err(|_| EINVAL)?;
        let refs = Refs::new(max)?;
        // INVARIANT: No entry is used, and no reference held.
        Ok(Attributed {
            table,
            refs,
            unwinds,
            enabled,
        })
    }

    /// Bytes allocated for `max` keys.
    pub fn bytes(max: usize) -> usize {
        let max = max.max(1);
        max * (core::mem::size_of::<Entry>() + core::mem::size_of::<Option<ARef<Pid>>>())
            + max.saturating_mul(2).next_power_of_two() * core::mem::size_of::<u32>()
    }

    /// Whether tasks are attributed.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// How many entries there are.
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Readies the walk that will be sample `seq`.
    pub fn begin_walk(&mut self, seq: u64) {
        if self.enabled {
            self.table.begin_walk(seq, self.unwinds);
        }
    }

    /// Forgets the frames into code at `start..end`, which is going away
    /// ([`Attribution::forget_frames`]); returns how many keys changed.
    pub fn forget_frames(&mut self, start: usize, end: usize) -> u32 {
        if !self.enabled {
            return 0;
        }
        self.table.forget_frames(start, end)
    }

    /// Ends the walk (its sample closed `closed` windows), reclaiming idle keys. Called without
    /// the RCU read lock: reclaiming puts references.
    pub fn end_walk(&mut self, decay: &[crate::model::calc_load::Load; 3], closed: u64) {
        if self.enabled {
            // INVARIANT: A reclaimed entry's reference is dropped with it.
            self.table.end_walk(decay, closed, &mut self.refs);
        }
    }

    /// Fills `view` with the keys of the walk that made sample `sample`, a reference on each
    /// one's process. Allocates (outside the RCU read lock): on failure `view` is left empty.
    pub fn fill(&self, view: &mut AttributionView, sample: u64) -> Result {
        view.rows.clear();
        view.sample = sample;
        view.slots = self.table.capacity();
        view.other = *self.table.other();
        view.stats = self.table.stats();
        view.rows
            .reserve(self.table.used() as usize, GFP_KERNEL)
            .inspect_err(|_| view.sample = 0)?;
        for (i, e) in self.table.iter() {
            // Every used entry has its reference (type invariant).
            if let Some(pid) = self.refs.get(i).cloned() {
                view.rows.push((*e, pid), GFP_KERNEL)?;
            }
        }
        Ok(())
    }
}

impl Visit for Attributed {
    fn wants_cgroups(&self) -> bool {
        false
    }

    fn wants_tasks(&self) -> bool {
        self.enabled
    }

    fn start(&mut self, unbroken: bool) {
        if self.enabled {
            // A pass without lock breaks unwinds nothing: its unwinds would add up in one RCU
            // read section.
            self.table.start(!unbroken);
        }
    }

    fn lock_break(&mut self) {
        // Nothing is kept from one stretch to the next but references.
    }

    /// Attributes the task of `run`, if it counts: to its process, and to its site.
    fn run(&mut self, run: &Run<'_>) -> u32 {
        let Some(task) = run.task() else {
            return 0;
        };
        let mut cost = 0;
        let site = match self.table.site_for(run.state) {
            Unwind::Uncounted => return 0,
            Unwind::Runqueue => Site::RUNQUEUE,
            Unwind::Budget => Site::NOT_UNWOUND,
            Unwind::Stack => {
                cost = UNWIND_COST;
                // One more than kept: a stack that fills it was cut.
                let mut frames = [0usize; DEPTH + 1];
                // SAFETY: `task` is valid under the RCU read lock the run was read under, held
                // while `run` is borrowed; `frames` has room for the `DEPTH + 1` entries asked.
                let n = unsafe {
                    glue::task_stack(task.as_ptr(), frames.as_mut_ptr(), (DEPTH + 1) as u32)
                };
                match usize::try_from(n) {
                    Ok(n) => Site::stack(frames.get(..n).unwrap_or(&frames)),
                    // It ran or woke meanwhile (`-EAGAIN`): no frame of it is kept.
                    Err(_) => {
                        self.table.woke_during_unwind();
                        Site::NO_FRAMES
                    }
                }
            }
        };
        let (mut tgid, mut comm) = (0, [0u8; COMM_LEN]);
        // SAFETY: As above; `tgid` is writable, `comm` has the `LOADAVG_RS_COMM_LEN` bytes the
        // C side writes.
        let pid = unsafe { glue::task_process(task.as_ptr(), &mut tgid, comm.as_mut_ptr().cast()) };
        let process = Process {
            key: pid as usize,
            tgid,
            comm,
        };
        let mut taking = Taking::new(&mut self.refs, task, pid);
        // INVARIANT: A new entry takes its process's reference, at its index, through `taking`.
        self.table.add(&process, &site, run.state, &mut taking);
        cost
    }
}

impl Drop for Attributed {
    fn drop(&mut self) {
        // Each entry's reference is dropped as the entry is freed.
        self.table.clear(&mut self.refs);
    }
}

/// Frames named as `%ps` prints them.
pub struct KernelSymbols;

impl Symbols for KernelSymbols {
    fn name(&self, addr: usize, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // A Rust symbol's mangled name may be long; a longer one is cut.
        let mut buf = [0u8; 256];
        // SAFETY: `buf` is writable for its length; `snprintf` NUL-terminates within it.
        let n = unsafe { glue::symbol(addr, buf.as_mut_ptr().cast(), buf.len()) };
        let n = usize::try_from(n).unwrap_or(0).min(buf.len() - 1);
        // Never an address: `[unknown]` for a name that is not text either.
        match core::str::from_utf8(&buf[..n]) {
            Ok(name) => f.write_str(name),
            Err(_) => f.write_str("[unknown]"),
        }
    }
}

/// Which process `pid` is to the reader: `None` if its PID namespace does not number it (the
/// reader cannot see it).
fn who(pid: &ARef<Pid>) -> Option<Who> {
    // SAFETY: The reference keeps the pid; called from a read, in process context.
    let nr = unsafe { glue::pid_vnr(glue::ptr_of(pid)) };
    if nr <= 0 {
        return None;
    }
    // SAFETY: As above.
    if unsafe { glue::pid_exited(glue::ptr_of(pid)) } {
        Some(Who::Exited)
    } else {
        Some(Who::Pid(nr))
    }
}

/// Prints `/proc/loadavg_rs_stacks` from `view`, as `/proc/PID/stack` would let the reader see it.
///
/// The site keys of the processes the reader's PID namespace numbers, by those numbers, then,
/// for a reader in the initial PID namespace, which sees every process, the `[other]` sites'.
/// Only a reader with `CAP_SYS_ADMIN` and `CAP_SYS_PTRACE` in the initial user namespace sees
/// anything, checked at open (`rust/glue/proc_files.c`) and again here, with the reading task's
/// credentials: `EACCES` otherwise.
pub fn show_stacks(m: &SeqFile, view: &AttributionView) -> Result {
    // SAFETY: Called from a read, in process context.
    if !unsafe { glue::reader_may_see_stacks() } {
        return Err(EACCES);
    }
    for (entry, pid) in view
        .rows
        .iter()
        .filter(|(e, _)| e.site.kind != SiteKind::Process)
    {
        let Some(who) = who(pid) else {
            continue;
        };
        let folded = Folded {
            entry,
            who,
            symbols: &KernelSymbols,
        };
        seq_print!(m, "{}", folded);
    }
    // SAFETY: Called from a read, in process context.
    if unsafe { glue::reader_in_init_pid_ns() } {
        let other = Folded {
            entry: &view.other[1],
            who: Who::Other,
            symbols: &KernelSymbols,
        };
        seq_print!(m, "{}", other);
    }
    Ok(())
}

/// Prints `/proc/loadavg_rs_top` from `view`, as the reader may see it: the processes its PID
/// namespace numbers, sorted by the first window's `all`; the table's own figures and the
/// `[other]` row only for a reader in the initial PID namespace, which sees every process.
pub fn show_top(m: &SeqFile, view: &AttributionView, windows_ms: [u32; 3]) -> Result {
    // SAFETY: Called from a read, in process context.
    let everything = unsafe { glue::reader_in_init_pid_ns() };
    let mut rows = KVVec::<(usize, Who)>::new();
    for (i, (entry, pid)) in view.rows.iter().enumerate() {
        if entry.site.kind != SiteKind::Process {
            continue;
        }
        if let Some(who) = who(pid) {
            rows.push((i, who), GFP_KERNEL)?;
        }
    }
    let all = Accounting::All.index();
    let load = |r: &(usize, Who)| view.rows.get(r.0).map_or(0, |(e, _)| e.loads[all][0]);
    // Exited processes after the live ones alike.
    let order = |r: &(usize, Who)| match r.1 {
        Who::Pid(nr) => i64::from(nr),
        Who::Exited | Who::Other => i64::MAX,
    };
    sort_top(&mut rows, load, order);
    let head = TopHead {
        sample: view.sample,
        table: everything.then_some((view.stats, view.rows.len(), view.slots)),
        windows_ms,
        // SAFETY: Always safe to call.
        stacks: unsafe { glue::can_unwind() },
    };
    seq_print!(m, "{}", head);
    // A path of up to `PATH_MAX - 1` bytes, and one more to tell a longer one.
    let mut path = KVec::<u8>::from_elem(0, 4097, GFP_KERNEL)?;
    let reader = ReaderScope::current();
    for &(i, who) in rows.iter() {
        let Some((entry, pid)) = view.rows.get(i) else {
            continue;
        };
        // SAFETY: The row holds a reference on its pid, `reader` one on its namespace's root;
        // `path` is writable for its length.
        let n = unsafe {
            glue::pid_cgroup_path(
                glue::ptr_of(pid),
                reader.root(),
                path.as_mut_ptr().cast(),
                path.len(),
            )
        };
        let cgroup = usize::try_from(n)
            .ok()
            .filter(|&n| n + 1 < path.len())
            .and_then(|n| path.get(..n));
        let row = TopRow { entry, who, cgroup };
        seq_print!(m, "{}", row);
    }
    if everything {
        let row = TopRow {
            entry: &view.other[0],
            who: Who::Other,
            cgroup: None,
        };
        seq_print!(m, "{}", row);
    }
    Ok(())
}
