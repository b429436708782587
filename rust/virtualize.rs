// SPDX-License-Identifier: GPL-2.0

//! A container's own load wherever it is read: `sysinfo()` (glibc's `getloadavg()`, busybox
//! `uptime`), `/proc/loadavg` and `/proc/stat`'s `procs_running`, with no bind mount.
//!
//! With `virtualize=1`, kprobes on `get_avenrun()` and `nr_running()` (`rust/glue/virtualize.c`)
//! answer a caller inside a container (a PID namespace of its own, and a cgroup namespace whose
//! root is not the hierarchy's) with the figures of that root cgroup, from the rows the walker
//! last published ([`loadavg_rs_container_figures`]), in place of the function's own; every
//! other call runs the kernel's function untouched. The probes run in the caller's context,
//! with preemption off or as an NMI: the lookup is a binary search under the RCU read lock
//! alone, never waits for a walk, and allocates nothing.

use core::ptr::NonNull;

use kernel::error::to_result;
use kernel::ffi::{c_int, c_uint, c_ulong, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::glue::{self, loadavg_rs_virt as VirtState};
use crate::sampler::Sampler;

/// The probes, in place until dropped.
///
/// # Invariants
///
/// `state` was returned by `glue::virtualize_start()` with the address of `_sampler`'s
/// [`Sampler`] as its data, and is stopped only in `drop`.
pub struct Virtualizer {
    state: NonNull<VirtState>,
    /// Kept alive for the probes, which reach it through a raw pointer.
    _sampler: Arc<Sampler>,
}

impl Virtualizer {
    /// Puts the probes in place for `sampler`; `EOPNOTSUPP` on a kernel without `CONFIG_KPROBES`
    /// or off x86-64, said in the kernel's log.
    pub fn new(sampler: Arc<Sampler>) -> Result<Virtualizer> {
        let data: *const c_void = Arc::as_ptr(&sampler).cast();
        let mut state = core::ptr::null_mut();
        // SAFETY: `data` points into the sampler, which the `Virtualizer` keeps alive until its
        // drop has removed the probes; `state` is writable.
        let err = unsafe { glue::virtualize_start(data, &mut state) };
        if err == EOPNOTSUPP.to_errno() {
            pr_err!(
                "virtualize=1 needs kprobes, which this kernel lacks (CONFIG_KPROBES, on x86-64)\n"
            );
        } else if err != 0 {
            pr_err!("virtualize=1: the kernel refused to probe get_avenrun() and nr_running() ({err})\n");
        }
        to_result(err)?;
        let state = NonNull::new(state).ok_or(EINVAL)?;
        // INVARIANT: Just started with the sampler's address, which `_sampler` holds.
        Ok(Virtualizer {
            state,
            _sampler: sampler,
        })
    }
}

/// With the probes in place, the calls that went on unprobed because another probe was running
/// on their CPU (kprobes' `nmissed`), and the calls from a container handed the machine's
/// figures for want of its own.
pub fn stats() -> Option<(u64, u64)> {
    let (mut missed, mut host) = (0, 0);
    // SAFETY: Both outputs are writable; the C side reads the probes in place, if any, which
    // stay until after the files that call this are removed.
    unsafe { glue::virtualize_stats(&mut missed, &mut host) }.then_some((missed, host))
}

impl Drop for Virtualizer {
    fn drop(&mut self) {
        // SAFETY: `state` is live and stopped only here (type invariant); the call returns once
        // no handler runs and no call is left in the module's text, and frees it.
        unsafe { glue::virtualize_stop(self.state.as_ptr()) };
    }
}

// SAFETY: The C state is touched only by `new` and `drop` (and by the probes, in C).
unsafe impl Send for Virtualizer {}
// SAFETY: As above.
unsafe impl Sync for Virtualizer {}

/// Called by the probes (`rust/glue/virtualize.c`): the figures of the container whose root
/// cgroup is `id` at depth `level`, into `loads` (three) and `running`; false if it has none of
/// its own.
///
/// # Safety
///
/// `data` must point to a [`Sampler`] that stays alive for the call; `loads` must be writable
/// for three values and `running` for one.
#[no_mangle]
pub unsafe extern "C" fn loadavg_rs_container_figures(
    data: *const c_void,
    id: u64,
    level: c_int,
    loads: *mut c_ulong,
    running: *mut c_uint,
) -> bool {
    // SAFETY: The caller guarantees `data` points to a live `Sampler`.
    let sampler = unsafe { &*data.cast::<Sampler>() };
    let Some((avgs, tasks)) =
        sampler.container_figures(id, u32::try_from(level).unwrap_or(u32::MAX))
    else {
        return false;
    };
    for (i, avg) in avgs.into_iter().enumerate() {
        // SAFETY: `loads` is writable for three values (caller's guarantee); `i` is below 3.
        unsafe { *loads.add(i) = avg };
    }
    // SAFETY: `running` is writable (caller's guarantee).
    unsafe { *running = tasks };
    true
}
