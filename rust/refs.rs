// SPDX-License-Identifier: GPL-2.0

//! The kernel objects the module holds references on, cgroups and pids, as the kernel crate's
//! [`AlwaysRefCounted`] (so that an [`ARef`] puts what it holds), and a reference at each row of
//! a table: what keeps alive the cgroups and the processes that the walker's tables
//! ([`crate::model::table`]) key by address, so that no other object can take an address while
//! a row keys by it.

use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::sync::aref::{ARef, AlwaysRefCounted};

use crate::glue::{self, cgroup, pid};

/// At each row of a table, a reference on its object, or none (a free row).
pub struct Refs<T: AlwaysRefCounted>(KVVec<Option<ARef<T>>>);

impl<T: AlwaysRefCounted> Refs<T> {
    /// No reference, for `rows` rows.
    pub fn new(rows: usize) -> Result<Self> {
        Ok(Refs(KVVec::from_elem(None, rows, GFP_KERNEL)?))
    }

    /// The object of row `row`.
    pub fn get(&self, row: u32) -> Option<&ARef<T>> {
        self.0.get(row as usize).and_then(Option::as_ref)
    }

    /// Keeps `object` for row `row` (putting a reference the row held before); false if there is
    /// no such row (`object` is then put).
    pub fn hold(&mut self, row: u32, object: ARef<T>) -> bool {
        match self.0.get_mut(row as usize) {
            Some(r) => {
                *r = Some(object);
                true
            }
            None => false,
        }
    }

    /// Puts the reference of row `row`, if it holds one.
    pub fn release(&mut self, row: u32) {
        if let Some(r) = self.0.get_mut(row as usize) {
            // Dropping the reference puts it.
            *r = None;
        }
    }
}

/// Implements [`AlwaysRefCounted`] for the C type `$t`, counted by the C functions `$get` (take
/// a reference) and `$put` (give one up), and marks it `Send` and `Sync`.
///
/// The invoker writes `unsafe` and, above the call, a safety comment that argues what
/// [`AlwaysRefCounted`] asks (the object is freed only after its last reference is put, and
/// every `&$t` the module makes is of an object it holds a reference on, so that taking one
/// more never revives a released object), and that the count, and whatever the module reads
/// through a `&$t`, may be used from any thread.
macro_rules! ref_counted {
    (unsafe $t:ty, $get:path, $put:path) => {
        // SAFETY: The invoker's argument.
        unsafe impl ::kernel::sync::aref::AlwaysRefCounted for $t {
            fn inc_ref(&self) {
                // SAFETY: `self` is a live object (the invoker's argument); a held reference
                // may be duplicated.
                unsafe { $get(::core::ptr::from_ref(self).cast_mut()) }
            }

            unsafe fn dec_ref(obj: ::core::ptr::NonNull<Self>) {
                // SAFETY: The caller gives up a reference it holds.
                unsafe { $put(obj.as_ptr()) }
            }
        }

        // SAFETY: The invoker's argument.
        unsafe impl Send for $t {}
        // SAFETY: The invoker's argument.
        unsafe impl Sync for $t {}
    };
}
// SAFETY: `cgroup_get()` and `cgroup_put()` are the cgroup's reference count (its `self` css),
// and a `struct cgroup` is freed only after its last reference is put (the root is never
// freed). Every `&cgroup` this module makes is of a cgroup it already holds a reference on
// (an `ARef`'s), or of one a reader's cgroup namespace pins for the read
// ([`crate::reader_scope::ReaderScope::current`]), so `inc_ref`'s unconditional increment
// never revives a released cgroup; a cgroup seen under RCU alone is a
// [`crate::threads::RcuCgroup`], of which no `&cgroup` is made, referenced with
// `glue::cgroup_tryget_online()` instead. A cgroup's reference count and the fields read
// through these functions may be used from any thread.
ref_counted!(unsafe cgroup, glue::cgroup_get, glue::cgroup_put);

// SAFETY: `get_pid()` and `put_pid()` are a `struct pid`'s reference count, and a pid is freed
// only after its last reference is put. Every `&pid` this module makes is of a pid it holds a
// reference on (an `ARef`'s), so `inc_ref` never revives a released one; a pid read from a task
// under RCU alone is referenced through `Taking` (`rust/attribution.rs`), whose safety argument
// is the C side's. A pid's reference count, and the functions that read it, may be used from
// any thread.
ref_counted!(unsafe pid, glue::pid_get, glue::pid_put);
