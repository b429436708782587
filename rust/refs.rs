// SPDX-License-Identifier: GPL-2.0

//! A reference on a kernel object at each row of a table: what keeps alive the cgroups and the
//! processes that the walker's tables ([`crate::model::table`]) key by address, so that no other
//! object can take an address while a row keys by it.

use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::sync::aref::{ARef, AlwaysRefCounted};

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
pub(crate) use ref_counted;
