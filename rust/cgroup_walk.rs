// SPDX-License-Identifier: GPL-2.0

//! The kernel's side of per-cgroup load: which cgroup each thread of the walk is in, the
//! references that keep tracked cgroups alive, and their names and pressure at read time
//! (`rust/cgroup_glue.c`). The bookkeeping itself is [`crate::cgroups`].
//!
//! The table lives behind a mutex that the walker holds for a whole walk (it may sleep at its
//! lock breaks: it is a kernel thread) and that readers take to print it. Nothing here
//! allocates after load: the slots and the index are allocated when the module loads, sized by
//! the `max_cgroups` parameter.

use kernel::alloc::KVVec;
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint, c_void};
use kernel::prelude::*;

use crate::accounting::ThreadState;
use crate::calc_load::Load;
use crate::cgroups::{CgroupTable, Slot, MAX_LEVEL, NO_SLOT};
use crate::threads::Visit;

/// A `struct cgroup`, opaque to Rust.
#[repr(C)]
pub struct Cgroup {
    _opaque: [u8; 0],
}

extern "C" {
    // `p` is a `struct task_struct *`, passed as `void *`: some of its members are structs
    // that are empty in some configurations, which Rust does not accept in a C signature.
    fn loadavg_rs_task_cgroup(p: *mut c_void) -> *mut Cgroup;
    fn loadavg_rs_cgroup_parent(cg: *mut Cgroup) -> *mut Cgroup;
    fn loadavg_rs_cgroup_id(cg: *mut Cgroup) -> u64;
    fn loadavg_rs_root_cgroup() -> *mut Cgroup;
    fn loadavg_rs_cgroup_tryget(cg: *mut Cgroup) -> bool;
    fn loadavg_rs_cgroup_put(cg: *mut Cgroup);
    fn loadavg_rs_cgroup_removed(cg: *mut Cgroup) -> bool;
    fn loadavg_rs_cgroup_count() -> c_uint;
    fn loadavg_rs_current_cgroup_ids(ids: *mut u64, max: c_int) -> c_int;
    fn loadavg_rs_cgroup_path(cg: *mut Cgroup, buf: *mut c_char, len: usize) -> c_int;
    fn loadavg_rs_cgroup_psi(cg: *mut Cgroup, avgs: *mut Load) -> bool;
}

/// The table, in memory allocated at load.
pub type Table = CgroupTable<KVVec<Slot>, KVVec<u32>>;

/// The tracked cgroups and what the last walk folded.
pub struct Cgroups {
    /// The tracked cgroups.
    ///
    /// INVARIANT: every used slot's handle is a `struct cgroup *` this holds a reference on.
    pub table: Table,
    /// Threads of the last walk counted in an ancestor of their cgroup, because their cgroup
    /// had no slot (the table was full, or it was deeper than [`MAX_LEVEL`]).
    pub folded_threads: u32,
    /// The sample the current walk will be, for new cgroups' [`Slot::since`].
    seq: u64,
    /// The cgroup of the last thread attributed, and its slot: threads of one process come
    /// one after the other and share it.
    last: (*mut Cgroup, u32, bool),
    /// Whether threads are attributed at all (`max_cgroups=0` turns it off).
    enabled: bool,
}

// SAFETY: The raw pointers are cgroups the table holds references on (or, for `last`, one
// compared by address only), usable from any thread.
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
        // SAFETY: The root cgroup lives as long as the kernel; a reference on it is a no-op
        // that `put` undoes.
        let root = unsafe { loadavg_rs_root_cgroup() };
        // SAFETY: As above.
        let (id, got) = unsafe { (loadavg_rs_cgroup_id(root), loadavg_rs_cgroup_tryget(root)) };
        if !got || table.insert(id, root as usize, NO_SLOT, 0).is_none() {
            return Err(EINVAL);
        }
        // INVARIANT: The only used slot is the root, referenced just above.
        Ok(Cgroups {
            table,
            folded_threads: 0,
            seq: 0,
            last: (core::ptr::null_mut(), NO_SLOT, false),
            enabled,
        })
    }

    /// Bytes allocated for `max` slots and their index.
    pub fn bytes(max: usize) -> usize {
        let max = max.max(1);
        max * core::mem::size_of::<Slot>()
            + max.saturating_mul(2).next_power_of_two() * core::mem::size_of::<u32>()
    }

    /// Readies a walk that will be sample `seq`.
    pub fn begin_walk(&mut self, seq: u64) {
        self.seq = seq;
    }

    /// The slot `cg`'s threads count in: its own, made now with its ancestors' if need be, or,
    /// when there is no room, its nearest tracked ancestor's (then `true`).
    ///
    /// # Safety
    ///
    /// `cg` is valid under the RCU read lock the caller holds.
    unsafe fn slot_for(&mut self, cg: *mut Cgroup) -> (u32, bool) {
        // The cgroups from `cg` up to the first tracked one, nearest first; past MAX_LEVEL
        // of them, the topmost MAX_LEVEL are kept (a ring), the deeper ones fold.
        let mut chain = [(core::ptr::null_mut::<Cgroup>(), 0u64); MAX_LEVEL];
        let mut n = 0usize;
        let mut c = cg;
        let anchor = loop {
            // SAFETY: `c` is `cg` or an ancestor of it, valid under RCU (a cgroup pins its
            // parent).
            let id = unsafe { loadavg_rs_cgroup_id(c) };
            if let Some(slot) = self.table.find(id) {
                break slot;
            }
            // SAFETY: As above.
            let parent = unsafe { loadavg_rs_cgroup_parent(c) };
            if parent.is_null() {
                // Another hierarchy's root cannot be a task's default cgroup; and ours is
                // tracked from the start. Count the thread in our root.
                return (self.table.root(), true);
            }
            chain[n % MAX_LEVEL] = (c, id);
            n += 1;
            c = parent;
        };
        let mut slot = anchor;
        for i in (n.saturating_sub(MAX_LEVEL)..n).rev() {
            let (c, id) = chain[i % MAX_LEVEL];
            // SAFETY: `c` is valid under RCU (above); a reference keeps it past that.
            if !unsafe { loadavg_rs_cgroup_tryget(c) } {
                return (slot, true);
            }
            match self.table.insert(id, c as usize, slot, self.seq) {
                // INVARIANT: The new slot's cgroup was referenced just above.
                Some(s) => slot = s,
                None => {
                    // SAFETY: The reference taken above, not kept.
                    unsafe { loadavg_rs_cgroup_put(c) };
                    return (slot, true);
                }
            }
        }
        (slot, n > MAX_LEVEL)
    }

    /// Ends the walk (its sample closed `closed` windows), then drops the cgroups removed
    /// since. Called without the RCU read lock: dropping puts references.
    pub fn end_walk(&mut self, decay: &[Load; 3], closed: u64) {
        if !self.enabled {
            return;
        }
        self.table.end_walk(decay, closed);
        self.table.drop_gone(
            // SAFETY: Every handle is a cgroup the table holds a reference on (invariant).
            |h| unsafe { loadavg_rs_cgroup_removed(h as *mut Cgroup) },
            // SAFETY: As above; the slot is freed with it, so the reference is put once.
            |h| unsafe { loadavg_rs_cgroup_put(h as *mut Cgroup) },
        );
        self.last = (core::ptr::null_mut(), NO_SLOT, false);
    }

    /// The slot whose figures the current task's cgroup reads: its own, or its nearest
    /// tracked ancestor's, or the root's.
    pub fn slot_of_current(&self) -> u32 {
        let mut ids = [0u64; 64];
        // SAFETY: `ids` holds 64 `u64`s.
        let n = unsafe { loadavg_rs_current_cgroup_ids(ids.as_mut_ptr(), 64) };
        let n = usize::try_from(n).unwrap_or(0).min(ids.len());
        ids[..n]
            .iter()
            .find_map(|&id| self.table.find(id))
            .unwrap_or(self.table.root())
    }

    /// How many cgroups exist on the default hierarchy.
    pub fn existing() -> u32 {
        // SAFETY: A racy read of a counter, always safe.
        unsafe { loadavg_rs_cgroup_count() }
    }

    /// Writes the path of the cgroup of `slot`, as the current task's cgroup namespace sees
    /// it, into `buf`; returns it, or `None` if it does not fit. May sleep.
    pub fn path<'a>(slot: &Slot, buf: &'a mut [u8]) -> Option<&'a [u8]> {
        // SAFETY: `slot.handle` is a cgroup the table holds a reference on (invariant); `buf`
        // is writable for its length.
        let n = unsafe {
            loadavg_rs_cgroup_path(
                slot.handle as *mut Cgroup,
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        let n = usize::try_from(n).ok()?;
        buf.get(..n)
    }

    /// The cgroup's pressure, "some": cpu over 10, 60 and 300 s, then io; `None` if it has
    /// none to show (the root, or no PSI).
    pub fn psi(slot: &Slot) -> Option<[Load; 6]> {
        let mut avgs = [0; 6];
        // SAFETY: As in `path`; `avgs` holds 6 values.
        unsafe { loadavg_rs_cgroup_psi(slot.handle as *mut Cgroup, avgs.as_mut_ptr()) }
            .then_some(avgs)
    }
}

impl Visit for Cgroups {
    fn start(&mut self) {
        if !self.enabled {
            return;
        }
        self.folded_threads = 0;
        self.last = (core::ptr::null_mut(), NO_SLOT, false);
        self.table.begin_walk();
    }

    /// Counts `thread` in its cgroup.
    unsafe fn thread(&mut self, thread: *mut bindings::task_struct, state: ThreadState) {
        if !self.enabled {
            return;
        }
        // SAFETY: The caller holds the RCU read lock, and `thread` is valid under it.
        let cg = unsafe { loadavg_rs_task_cgroup(thread.cast()) };
        let (slot, folded) = if cg == self.last.0 {
            (self.last.1, self.last.2)
        } else {
            // SAFETY: `cg` is valid under the RCU read lock the caller holds.
            let found = unsafe { self.slot_for(cg) };
            self.last = (cg, found.0, found.1);
            found
        };
        self.table.add(slot, state);
        if folded {
            self.folded_threads = self.folded_threads.saturating_add(1);
        }
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        // SAFETY: Every handle is a cgroup the table holds a reference on (invariant), put
        // once as its slot is freed.
        self.table
            .clear(|h| unsafe { loadavg_rs_cgroup_put(h as *mut Cgroup) });
    }
}
