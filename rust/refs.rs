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
