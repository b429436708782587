// SPDX-License-Identifier: GPL-2.0

//! One sample as every reader sees it: the averages, the recent samples and what the walks
//! cost, the cgroups' rows and the attribution's keys, made by one walk and published once.
//!
//! The walker builds each snapshot from what it alone changes, then replaces the published one
//! ([`crate::rcu_arc::RcuArc`]): a reader takes the snapshot under the RCU read lock, or a
//! reference of its own, and whatever it prints is of that one sample. Nothing a reader touches
//! is locked, so no reader waits for a walk, and none copies anything with interrupts off.

use core::pin::Pin;

use kernel::prelude::*;
use kernel::sync::UniqueArc;

use crate::attribution::{Attributed, AttributionView};
use crate::cgroup_walk::{Cgroups, CgroupsView};
use crate::model::engine::Engine;
use crate::model::history::{History, Sampled};
use crate::model::metrics::{self, Metrics};
use crate::model::walks::Walks;

/// A copy of `sampled` on the heap, made there directly: never through the stack, where its few
/// kilobytes would be a good part of a kernel thread's.
pub fn boxed_copy(sampled: &Sampled) -> Result<KBox<Sampled>> {
    let mut copy = KBox::<Sampled>::new_uninit(GFP_KERNEL)?;
    // SAFETY: `copy`, just allocated, is valid for writes of one `Sampled` and cannot overlap
    // `sampled`; `Sampled` is `Copy`, so a bitwise copy is a valid value, and once it is made
    // `copy` is initialised.
    unsafe {
        core::ptr::copy_nonoverlapping(sampled, copy.as_mut_ptr(), 1);
        Ok(copy.assume_init())
    }
}

/// The engine's first state, `engine` with no sample yet, on the heap, made there directly: a
/// `Sampled::new(engine)` value would be a few kilobytes on the stack of the module's init, on
/// top of its callers' frames (Debian's kernel, built by an older rustc, overflowed its stack so).
pub fn boxed_new(engine: Engine) -> Result<KBox<Sampled>> {
    /// The empty history, in read-only data: copied from there, never through the stack.
    static EMPTY: History = History::new();
    let mut sampled = KBox::<Sampled>::new_uninit(GFP_KERNEL)?;
    let p = sampled.as_mut_ptr();
    // SAFETY: `p`, just allocated, is valid for writes of one `Sampled`. Each of its fields is
    // written once, through a pointer to it (no reference to uninitialised memory is made), the
    // history copied from `EMPTY`, which cannot overlap it; and they are all of its fields, as
    // the exhaustive pattern below checks at compile time. So `sampled` is initialised.
    let sampled = unsafe {
        core::ptr::addr_of_mut!((*p).engine).write(engine);
        core::ptr::addr_of_mut!((*p).history).copy_from_nonoverlapping(&EMPTY, 1);
        core::ptr::addr_of_mut!((*p).walks).write(Walks::NONE);
        sampled.assume_init()
    };
    // Every field of `Sampled` is written above: a field added to it fails to compile here.
    let Sampled {
        engine: _,
        history: _,
        walks: _,
    } = &*sampled;
    Ok(sampled)
}

/// The bytes the machine-wide series of the metrics print for `sampled`.
fn metrics_bytes(sampled: &Sampled) -> usize {
    metrics::bytes(&Metrics {
        engine: &sampled.engine,
        walks: &sampled.walks,
    })
}

/// Everything the files show of one sample.
pub struct Snapshot {
    /// The averages, the recent samples and what the walks cost (a few kilobytes: on the heap,
    /// copied there directly).
    pub sampled: KBox<Sampled>,
    /// The bytes the metrics' machine-wide series print for this sample, which size the metrics
    /// file's buffer: measured once, as the snapshot is made, rather than by formatting the
    /// series a second time at every open of the file.
    pub metrics_bytes: usize,
    /// The cgroups' rows, each holding a reference on its cgroup.
    pub cgroups: CgroupsView,
    /// The attribution's keys, each holding a reference on its process.
    pub attribution: AttributionView,
}

impl Snapshot {
    /// A snapshot of `sampled` with no rows, for a table of `cgroup_slots` cgroups and one of
    /// `key_slots` keys.
    pub fn new(
        sampled: &Sampled,
        cgroup_slots: usize,
        key_slots: usize,
    ) -> Result<Pin<UniqueArc<Snapshot>>> {
        let snapshot = Snapshot {
            sampled: boxed_copy(sampled)?,
            metrics_bytes: metrics_bytes(sampled),
            cgroups: CgroupsView::empty(cgroup_slots),
            attribution: AttributionView::empty(key_slots),
        };
        Ok(Pin::from(UniqueArc::new(snapshot, GFP_KERNEL)?))
    }

    /// Makes this snapshot the one of `sampled`, `cgroups` and `attributed` as the walk that
    /// made sample `sampled` left them, reusing its memory. Allocates: on failure its rows are
    /// left empty and the error returned.
    pub fn fill(
        &mut self,
        sampled: &Sampled,
        cgroups: &Cgroups,
        attributed: &Attributed,
    ) -> Result {
        // A place-to-place copy between two heap values: a `memcpy`, not through the stack.
        *self.sampled = *sampled;
        self.metrics_bytes = metrics_bytes(sampled);
        let sample = sampled.engine.stats().samples;
        let filled = if cgroups.enabled() {
            cgroups.fill(&mut self.cgroups, sample)
        } else {
            Ok(())
        };
        let filled = filled.and_then(|()| {
            if attributed.enabled() {
                attributed.fill(&mut self.attribution, sample)
            } else {
                Ok(())
            }
        });
        if filled.is_err() {
            self.clear();
        }
        filled
    }

    /// Forgets its rows (putting their references), keeping their memory.
    pub fn clear(&mut self) {
        self.cgroups.rows.clear();
        self.attribution.clear();
    }
}
