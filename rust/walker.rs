// SPDX-License-Identifier: GPL-2.0

//! The walker: the kernel thread that takes the samples (`rust/glue/walker.c`).
//!
//! The sampler's timer wakes it at the end of each window; it runs the sampler's walk
//! ([`crate::sampler`]; why a SCHED_FIFO thread: `docs/design.md`, "The sampler").
//!
//! [`Walker`] owns the C side's state. The thread runs from [`Walker::start`] until
//! [`Walker::stop`] (or the drop) has returned; whatever the walk reads must outlive that.

use core::ptr::NonNull;

use kernel::error::to_result;
use kernel::ffi::c_void;
use kernel::prelude::*;

use crate::glue::{self, loadavg_rs_walker as WalkerState};
use crate::model::calc_load::Load;
use crate::model::config::WalkerPolicy;

/// A kernel thread that runs a walk each time it is kicked.
pub struct Walker {
    /// INVARIANT: allocated by `glue::walker_alloc()`, freed only in `drop`.
    state: NonNull<WalkerState>,
}

// SAFETY: The C state is reached only through `Walker`'s methods below: `avenrun_at_kick` may be
// called from any thread (a sequence count's reader; never in NMI, where no thread is); `kick`,
// `start` and `stop`, which write the state, are unsafe, and their callers rule out concurrent
// use.
unsafe impl Send for Walker {}
// SAFETY: As above.
unsafe impl Sync for Walker {}

impl Walker {
    /// Bytes the C side allocates for one walker.
    pub fn bytes() -> usize {
        // SAFETY: A constant the C side defines and never writes.
        unsafe { glue::loadavg_rs_walker_bytes }
    }

    /// Allocates a walker; its thread starts with [`Walker::start`].
    pub fn new() -> Result<Walker> {
        // SAFETY: No precondition; the result is checked for NULL.
        let state = NonNull::new(unsafe { glue::walker_alloc() }).ok_or(ENOMEM)?;
        // INVARIANT: Just allocated by `glue::walker_alloc()`.
        Ok(Walker { state })
    }

    /// Starts the thread, scheduled as `policy` says, which calls `walk(data)` once after every
    /// [`Walker::kick`] (kicks that come while a walk runs are merged into one more walk).
    ///
    /// # Safety
    ///
    /// `data` must stay valid for `walk` until [`Walker::stop`] has returned or the walker is
    /// dropped, and `start` must be called at most once, never concurrently with `stop`.
    pub unsafe fn start(
        &self,
        walk: unsafe extern "C" fn(data: *const c_void),
        data: *const c_void,
        policy: WalkerPolicy,
    ) -> Result {
        let fifo = policy == WalkerPolicy::Fifo;
        // SAFETY: `state` is valid (type invariant); the caller keeps `data` valid while the
        // thread runs, and calls this once.
        to_result(unsafe { glue::walker_start(self.state.as_ptr(), Some(walk), data, fifo) })
    }

    /// Asks for a walk, and records the kernel's `avenrun` as it is now for that walk
    /// ([`Walker::avenrun_at_kick`]). Callable in any context but NMI, hard interrupts
    /// included; wakes nothing before [`Walker::start`] or after [`Walker::stop`].
    ///
    /// # Safety
    ///
    /// Preemption must be off, and no other kick of this walker may run concurrently (the
    /// record is a sequence count's write, which has one writer at a time).
    pub unsafe fn kick(&self) {
        // SAFETY: `state` is valid (type invariant); the caller keeps kicks apart, with
        // preemption off.
        unsafe { glue::walker_kick(self.state.as_ptr()) }
    }

    /// The kernel's `avenrun` as the last [`Walker::kick`] recorded it (all zero before one).
    /// In a thread (it retries while a kick writes, which NMI could interrupt forever).
    pub fn avenrun_at_kick(&self) -> [Load; 3] {
        let mut loads = [0; 3];
        // SAFETY: `state` is valid (type invariant); `loads` is a valid array of three
        // `unsigned long`s (`Load` is `usize`).
        unsafe { glue::walker_avenrun_at_kick(self.state.as_ptr(), loads.as_mut_ptr()) };
        loads
    }

    /// Stops the thread, ending a walk in progress at its next lock break, and waits until the
    /// thread has exited. Does nothing if it is not running.
    ///
    /// # Safety
    ///
    /// Neither [`Walker::start`] nor [`Walker::kick`] may run concurrently, or later (the
    /// sampler's timer, which kicks, is cancelled first).
    pub unsafe fn stop(&self) {
        // SAFETY: `state` is valid (type invariant); the caller rules out concurrent writers
        // and readers of the thread pointer.
        unsafe { glue::walker_stop(self.state.as_ptr()) }
    }
}

impl Drop for Walker {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: nothing else can start or kick this walker any more.
        unsafe { self.stop() };
        // SAFETY: `state` came from `glue::walker_alloc()` (type invariant) and its thread
        // has exited; nothing uses it after this.
        unsafe { glue::walker_free(self.state.as_ptr()) }
    }
}
