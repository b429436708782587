// SPDX-License-Identifier: GPL-2.0

//! An [`Arc`] that one writer replaces and any reader borrows under the RCU read lock alone.
//!
//! Readers take no lock and never wait, in any context the RCU read lock may be taken in, NMI
//! included (a kprobe's handler on a breakpoint runs as an NMI): `virtualize=1`'s probes read
//! the cgroups' rows this way, and the proc files take a reference of their own. The writer
//! publishes the next value and gets the previous one back once a grace period has passed, so
//! no reader can still be borrowing it: as `rcu_replace_pointer()` followed by
//! `synchronize_rcu()`, but waiting as `TASK_IDLE` (the walker, which publishes after each
//! walk, must never count as load in the kernel's own average: `synchronize_rcu()` sleeps in
//! `TASK_UNINTERRUPTIBLE`, which does).

use core::marker::PhantomData;

use kernel::sync::atomic::{Acquire, Atomic, Full};
use kernel::sync::{rcu, Arc, ArcBorrow};

use crate::glue;

/// An `Arc<T>` published for readers under the RCU read lock.
///
/// # Invariants
///
/// `ptr` came from [`Arc::into_raw`] and owns that reference, which [`RcuArc::replace`] gives
/// back (and [`Drop`] drops) only after a grace period that began once `ptr` no longer held it.
pub struct RcuArc<T: Send + Sync> {
    ptr: Atomic<*const T>,
    /// Owns an `Arc<T>`, and is `Send` and `Sync` as one.
    _owns: PhantomData<Arc<T>>,
}

impl<T: Send + Sync> RcuArc<T> {
    /// Publishes `value`.
    pub fn new(value: Arc<T>) -> Self {
        // INVARIANT: The pointer comes from `Arc::into_raw`, whose reference it now owns.
        Self {
            ptr: Atomic::new(Arc::into_raw(value)),
            _owns: PhantomData,
        }
    }

    /// The value published, borrowed for as long as the RCU read lock `_guard` is held.
    pub fn get<'a>(&'a self, _guard: &'a rcu::Guard) -> ArcBorrow<'a, T> {
        // Acquire, as `rcu_dereference()` (which needs only the address dependency): what the
        // writer stored into the value before publishing it is seen.
        let ptr = self.ptr.load(Acquire);
        // SAFETY: `ptr` came from `Arc::into_raw` (type invariant), and its reference is dropped
        // only after a grace period that began once it was no longer published: `_guard`, held
        // while the borrow lives, and taken before this load, holds that grace period off.
        unsafe { ArcBorrow::from_raw(ptr) }
    }

    /// A reference of its own to the value published, taken without waiting.
    pub fn get_arc(&self) -> Arc<T> {
        let guard = rcu::read_lock();
        self.get(&guard).into()
    }

    /// Publishes `value`, waits until no reader can be borrowing the value it replaces, and
    /// gives that value's reference back. Sleeps for an RCU grace period, as `TASK_IDLE`; must
    /// not be called while a borrow from [`RcuArc::get`] is held (a sleep in an RCU read
    /// section).
    pub fn replace(&self, value: Arc<T>) -> Arc<T> {
        // Full ordering, as `rcu_replace_pointer()`'s release and more: readers that see the
        // new pointer see the value as the writer made it.
        let old = self.ptr.xchg(Arc::into_raw(value), Full);
        // SAFETY: Called from process context, in no RCU read section (the caller's duty, above).
        unsafe { glue::synchronize_rcu_noload() };
        // SAFETY: `old` came from `Arc::into_raw` and owned its reference (type invariant); no
        // longer published, and a grace period has passed since, so no reader borrows it.
        unsafe { Arc::from_raw(old) }
    }
}

impl<T: Send + Sync> Drop for RcuArc<T> {
    fn drop(&mut self) {
        let ptr = *self.ptr.get_mut();
        // SAFETY: `ptr` came from `Arc::into_raw` and owns its reference (type invariant); a
        // borrow lives no longer than the `&self` it came from, so with `&mut self` none does.
        drop(unsafe { Arc::from_raw(ptr) });
    }
}
