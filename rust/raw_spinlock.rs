// SPDX-License-Identifier: GPL-2.0

//! A raw spinlock that disables interrupts: what hard-interrupt code may take.
//!
//! The kernel crate's `SpinLockIrq` wraps `spinlock_t`, which is a sleeping lock on
//! PREEMPT_RT and must not be taken in hard-interrupt context, where the sampler's timer runs
//! (lockdep reports "BUG: Invalid wait context"). [`RawSpinLockIrq`] is the kernel crate's own
//! [`Lock`] type with a backend over `raw_spinlock_t`, `raw_spin_lock_irqsave()` and
//! `raw_spin_unlock_irqrestore()`, reached through `rust/glue/raw_spinlock.c` because the C
//! API is macros. Critical sections under it must be short and must not sleep; the sampler's
//! copy of the engine is.

use kernel::bindings;
use kernel::ffi::{c_char, c_ulong};
use kernel::sync::lock::{Backend, Lock};

use crate::glue;

/// A `raw_spinlock_t` taken with interrupts disabled (and their state saved).
pub type RawSpinLockIrq<T> = Lock<T, RawSpinLockIrqBackend>;

/// Creates a [`RawSpinLockIrq`] initialiser with a lockdep class of its own.
#[macro_export]
macro_rules! new_raw_spinlock_irq {
    ($inner:expr, $name:literal) => {
        $crate::raw_spinlock::RawSpinLockIrq::new(
            $inner,
            ::kernel::optional_name!($name),
            ::kernel::static_lock_class!(),
        )
    };
}

/// The [`Backend`] of [`RawSpinLockIrq`].
pub struct RawSpinLockIrqBackend;

// SAFETY: The C functions called below are `raw_spin_lock_irqsave()` and its siblings: the lock is
// held from `lock` (or a successful `try_lock`) to `unlock`, which restores the interrupt state
// that `lock` saved in the guard state.
unsafe impl Backend for RawSpinLockIrqBackend {
    type State = bindings::raw_spinlock_t;
    type GuardState = c_ulong;

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: The caller guarantees `ptr` is valid for writes and `name` and `key` live
        // forever.
        unsafe { glue::raw_spin_lock_init(ptr.cast(), name, key.cast()) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: The caller guarantees the lock was initialised.
        unsafe { glue::raw_spin_lock_irqsave(ptr.cast()) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        let mut flags = 0;
        // SAFETY: The caller guarantees the lock was initialised; `flags` is a valid out value.
        let locked = unsafe { glue::raw_spin_trylock_irqsave(ptr.cast(), &mut flags) };
        (locked != 0).then_some(flags)
    }

    unsafe fn unlock(ptr: *mut Self::State, guard_state: &Self::GuardState) {
        // SAFETY: The caller is the owner; `guard_state` holds the flags its `lock` saved.
        unsafe { glue::raw_spin_unlock_irqrestore(ptr.cast(), *guard_state) }
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: The caller guarantees the lock was initialised.
        unsafe { glue::raw_spin_assert_held(ptr.cast()) }
    }
}
