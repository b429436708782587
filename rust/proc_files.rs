// SPDX-License-Identifier: GPL-2.0

//! The module's files in `/proc`.
//!
//! The kernel's Rust crate has no procfs abstraction, so the entries are made by a few lines of
//! C (`rust/glue/proc_files.c`); each read comes back here, to [`loadavg_rs_show`], with the
//! data pointer the entry was created with.
//!
//! Every entry owns a [`KBox<FileData>`] that outlives it: [`ProcFile`]'s drop removes the entry
//! first (`proc_remove()` returns only once no read of it is in flight, and later reads of an
//! open file get `-EIO`), and frees the data after.

use core::ffi::CStr;
use core::fmt::Write;
use core::ptr::NonNull;

use kernel::ffi::{c_int, c_void};

use kernel::alloc::KVVec;
use kernel::bindings;
use kernel::prelude::*;
use kernel::seq_file::SeqFile;
use kernel::seq_print;
use kernel::sync::Arc;

use crate::attribution::{self, KernelSymbols};
use crate::cgroup_walk::{self, CgroupsView};
use crate::glue::{self, proc_dir_entry};
use crate::model::attribution_text::{Folded, TopHead, TopRow};
use crate::model::cgroup_metrics::{
    self, CgroupFamily, CgroupHead, CgroupLabel, CgroupSeries, CgroupSummary,
};
use crate::model::cgroup_report::{self, CgroupRow, CgroupsHead};
use crate::model::cgroup_view::{self, Own, Seen};
use crate::model::files::{Access, Content};
use crate::model::loadavg_line::{LoadavgText, LINE_MAX};
use crate::model::metrics::Metrics;
use crate::model::report::{self, FixedText, SamplesText, Table};
use crate::reader_scope::{self, ReaderScope};
use crate::sampler::Sampler;
use crate::threads;
use crate::virtualize;

/// Makes the model's texts printable by `seq_print!`, which formats with the kernel's
/// `kernel::fmt::Display`: they implement `core::fmt::Display` (the host tests build them too),
/// to which this forwards, as the kernel crate does for core's types.
macro_rules! kernel_display {
    ($($ty:ty),* $(,)?) => {
        $(impl kernel::fmt::Display for $ty {
            fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
                core::fmt::Display::fmt(self, f)
            }
        })*
    };
}

kernel_display!(
    Table<'_>,
    SamplesText<'_>,
    CgroupsHead<'_>,
    CgroupRow<'_>,
    Metrics<'_>,
    CgroupSummary,
    CgroupHead,
    CgroupSeries<'_>,
    Folded<'_, KernelSymbols>,
    TopHead,
    TopRow<'_>,
);

/// The data behind one entry.
struct FileData {
    sampler: Arc<Sampler>,
    content: Content,
    /// Cgroups are tracked: the metrics show the series of this many at most
    /// (`metrics_cgroups`).
    metrics_cgroups: Option<usize>,
}

/// A file in `/proc`, removed when dropped.
///
/// # Invariants
///
/// `entry` is a live proc entry created with a pointer to `*_data` as its data, and is removed
/// before `_data` is freed.
pub struct ProcFile {
    entry: NonNull<proc_dir_entry>,
    /// Read only through the entry's data pointer; owned here so that it is freed after the
    /// entry is removed.
    _data: KBox<FileData>,
}

// SAFETY: A proc entry may be removed from any thread; `FileData` is `Send`.
unsafe impl Send for ProcFile {}
// SAFETY: `ProcFile` has no `&self` methods that touch the entry.
unsafe impl Sync for ProcFile {}

impl ProcFile {
    /// Bytes each file allocates for its data (procfs allocates its own entry besides).
    pub const DATA_BYTES: usize = core::mem::size_of::<FileData>();

    /// Creates the file of `content` (`/proc/<name>`), read-only, readable as `access` says,
    /// showing it from `sampler`; `metrics_cgroups`: with cgroups tracked, how many the metrics
    /// show at most.
    pub fn new(
        sampler: Arc<Sampler>,
        content: Content,
        access: Access,
        metrics_cgroups: Option<usize>,
    ) -> Result<ProcFile> {
        // The longest name is `loadavg_cgroup_<definition>`.
        let mut name = FixedText::<64>::new();
        write!(name, "{}\0", content.name()).map_err(|_| EINVAL)?;
        let name = CStr::from_bytes_with_nul(name.as_str().as_bytes()).map_err(|_| EINVAL)?;
        let data = KBox::new(
            FileData {
                sampler,
                content,
                metrics_cgroups,
            },
            GFP_KERNEL,
        )?;
        let ptr: *const FileData = &*data;
        let access = match access {
            Access::Everyone => glue::LOADAVG_RS_EVERYONE,
            Access::Root => glue::LOADAVG_RS_ROOT,
            Access::Admin => glue::LOADAVG_RS_ADMIN,
        };
        // SAFETY: `name` is a NUL-terminated string, which procfs copies; `ptr` stays valid
        // until the entry is removed (type invariant, upheld by `Drop`).
        let entry = unsafe { glue::proc_create(name.as_char_ptr(), ptr.cast_mut().cast(), access) };
        let Some(entry) = NonNull::new(entry) else {
            pr_err!(
                "cannot create /proc/{}: does it exist already?\n",
                name.to_str().unwrap_or("?")
            );
            return Err(EEXIST);
        };
        // INVARIANT: `entry` was just created with `ptr`, which points into `data`.
        Ok(ProcFile { entry, _data: data })
    }
}

impl Drop for ProcFile {
    fn drop(&mut self) {
        // SAFETY: `entry` is live (type invariant); after this, no read can reach `data`.
        unsafe { glue::proc_remove(self.entry.as_ptr()) };
        // `self._data` is freed after this function returns.
    }
}

/// Writes `line` into `m`.
///
/// # Safety
///
/// `m` must be a `seq_file` being filled by the calling thread.
unsafe fn write_line(m: *mut bindings::seq_file, line: &LoadavgText) {
    let mut buf = [0u8; LINE_MAX];
    let len = line.render(&mut buf);
    // SAFETY: `m` is valid (caller's guarantee); `buf` holds `len` initialised bytes.
    unsafe { bindings::seq_write(m, buf.as_ptr().cast(), len) };
}

/// A path's usual length, as printed: for [`loadavg_rs_size_hint`], which only sizes a first
/// buffer.
const PATH_BYTES: usize = 64;

/// A buffer for a path of up to `PATH_MAX - 1` bytes, and one more to tell a longer one.
fn path_buffer() -> Result<KVec<u8>> {
    Ok(KVec::<u8>::from_elem(0, 4097, GFP_KERNEL)?)
}

/// The largest first buffer a read asks for: seq_file grows it if the file needs more. (The
/// files are readable by everyone, and an estimate from every tracked row would otherwise let
/// any reader make the kernel allocate megabytes at each open.)
const MAX_SIZE_HINT: usize = 1 << 20;

/// About how many bytes the file whose data is `data` prints now, at least a page and at most
/// [`MAX_SIZE_HINT`]; called by `rust/glue/proc_files.c` when the file is opened, to size its buffer.
///
/// # Safety
///
/// `data` must be the data pointer of a live entry made by [`ProcFile::new`].
#[no_mangle]
pub unsafe extern "C" fn loadavg_rs_size_hint(data: *mut c_void) -> usize {
    // SAFETY: By the caller's guarantee `data` points to the `FileData` of a live entry (the
    // entry's open calls this), which `ProcFile` frees only after removing the entry.
    let file = unsafe { &*data.cast::<FileData>() };
    let page = 4096;
    let hint = match file.content {
        Content::Cgroups => {
            let snapshot = file.sampler.snapshot();
            let rows = snapshot.cgroups.rows.len();
            // The head and the rows, as their formats print them at their widest.
            let head = report::printed_bytes(CgroupsHead {
                engine: &snapshot.sampled.engine,
                sample: u64::MAX,
                tracked: u32::MAX,
                existing: u32::MAX,
                slots: usize::MAX,
                folded_threads: u32::MAX,
            });
            head.saturating_add(rows.saturating_mul(cgroup_report::cgroup_row_bytes(PATH_BYTES)))
                .max(page)
        }
        Content::Metrics => {
            let snapshot = file.sampler.snapshot();
            let engine = &snapshot.sampled.engine;
            let machine = snapshot.metrics_bytes;
            let cgroups = file.metrics_cgroups.map_or(0, |bound| {
                let rows = snapshot.cgroups.rows.len().min(bound);
                let ns = ReaderScope::current().namespace();
                cgroup_metrics::cgroup_bytes(engine.config().windows_ms, ns, rows, PATH_BYTES)
            });
            machine.saturating_add(cgroups).max(page)
        }
        Content::Top => {
            // A row of 5 counts, 15 averages, a pid, a comm and a path: about 200 bytes.
            page + file
                .sampler
                .snapshot()
                .attribution
                .keys()
                .saturating_mul(200)
        }
        Content::Stacks => {
            // A line per key and definition (two or three), each of up to 24 frames of about
            // 25 bytes.
            page + file
                .sampler
                .snapshot()
                .attribution
                .keys()
                .saturating_mul(3 * 24 * 25)
        }
        _ => page,
    };
    hint.min(MAX_SIZE_HINT)
}

/// Prints the per-cgroup series of the metrics, as the reader may see them: the cgroups of its
/// cgroup namespace, at most `bound` of them, the largest first, the rest summed in `[other]`
/// ([`cgroup_view::bound`]).
fn show_cgroup_series(
    m: &SeqFile,
    view: &CgroupsView,
    windows_ms: [u32; 3],
    bound: usize,
) -> Result {
    let mut path = path_buffer()?;
    let reader = ReaderScope::current();
    let mut seen = KVVec::<Seen>::with_capacity(view.rows.len(), GFP_KERNEL)?;
    for (i, row) in view.rows.iter().enumerate() {
        if !reader.sees(row) {
            continue;
        }
        if let Some(s) = Seen::new(i, reader.parent_id(row)) {
            seen.push(s, GFP_KERNEL)?;
        }
    }
    // A path too long for a label is left out rather than cut short, and summed.
    let other = cgroup_view::bound(&view.rows, &mut seen, bound, |row| {
        reader.path(row, &mut path).is_some()
    });
    let ns = reader.namespace();
    let summary = CgroupSummary {
        sample: view.sample,
        ns,
        omitted: other.omitted,
    };
    seq_print!(m, "{}", summary);
    for family in CgroupFamily::ALL {
        seq_print!(m, "{}", CgroupHead(family));
        for s in seen.iter().filter(|s| s.shown) {
            let Some(row) = view.rows.get(s.row as usize) else {
                continue;
            };
            // Renamed since to a path too long: left out of this read (and of no sum).
            let Some(name) = reader.path(row, &mut path) else {
                continue;
            };
            let series = CgroupSeries {
                family,
                ns,
                cgroup: CgroupLabel::Path(name),
                counts: &row.slot.counts,
                loads: &row.slot.loads,
                windows_ms,
            };
            seq_print!(m, "{}", series);
        }
        if other.omitted > 0 {
            let series = CgroupSeries {
                family,
                ns,
                cgroup: CgroupLabel::Other,
                counts: &other.counts,
                loads: &other.loads,
                windows_ms,
            };
            seq_print!(m, "{}", series);
        }
    }
    Ok(())
}

/// Prints the file whose data is `data` into `m`; called by `rust/glue/proc_files.c` on each read.
///
/// # Safety
///
/// `m` must be a `seq_file` being filled by the calling thread, and `data` the data pointer of
/// a live entry made by [`ProcFile::new`].
#[no_mangle]
pub unsafe extern "C" fn loadavg_rs_show(m: *mut bindings::seq_file, data: *mut c_void) -> c_int {
    // SAFETY: By the caller's guarantee `data` points to the `FileData` of a live entry, which
    // `ProcFile` frees only after removing the entry, which waits for this read.
    let file = unsafe { &*data.cast::<FileData>() };
    // Every figure a read prints is of this one sample.
    let snapshot = file.sampler.snapshot();
    let engine = &snapshot.sampled.engine;
    match file.content {
        Content::Loadavg(a) => {
            // SAFETY: Always safe to call from process context.
            let last_pid = unsafe { glue::last_pid() };
            // SAFETY: `m` is valid and used by this thread only (caller's guarantee).
            unsafe { write_line(m, &LoadavgText::new(engine, a, last_pid)) };
        }
        Content::CgroupLoadavg(a) => {
            let view = &snapshot.cgroups;
            let line = match ReaderScope::current().own(&view.rows, view.short_of_room) {
                Ok(Own::Tracked(slot)) => LoadavgText {
                    loads: slot.loads[a.index()],
                    running: slot.counts.active(a),
                    threads: i32::try_from(slot.counts.threads).unwrap_or(i32::MAX),
                    // SAFETY: Always safe to call from process context.
                    last_pid: unsafe { glue::last_pid() },
                },
                // No thread of it at any sample it could have been counted at: zero.
                Ok(Own::Idle) => LoadavgText {
                    loads: [0; 3],
                    running: 0,
                    threads: 0,
                    // SAFETY: As above.
                    last_pid: unsafe { glue::last_pid() },
                },
                // Its threads may be counted in an ancestor, whose line is not its own.
                Ok(Own::NoSlot) => return ENOSPC.to_errno(),
                Err(e) => return e.to_errno(),
            };
            // SAFETY: `m` is valid and used by this thread only (caller's guarantee).
            unsafe { write_line(m, &line) };
        }
        Content::Cgroups => {
            // A longer path shows as `?`.
            let Ok(mut path) = path_buffer() else {
                return ENOMEM.to_errno();
            };
            let view = &snapshot.cgroups;
            let reader = ReaderScope::current();
            let scope = reader_scope::scope(&view.rows, &reader);
            // SAFETY: By the caller's guarantee `m` is valid and used by this thread only.
            let m = unsafe { SeqFile::from_raw(m) };
            let head = CgroupsHead {
                engine,
                sample: view.sample,
                tracked: scope.tracked,
                existing: reader.existing(),
                slots: view.slots,
                folded_threads: scope.folded_threads,
            };
            seq_print!(m, "{}", head);
            for row in view.rows.iter().filter(|r| reader.sees(r)) {
                let row = CgroupRow {
                    slot: &row.slot,
                    psi: cgroup_walk::psi(row),
                    path: reader.path(row, &mut path),
                };
                seq_print!(m, "{}", row);
            }
        }
        Content::Metrics => {
            // SAFETY: By the caller's guarantee `m` is valid and used by this thread only.
            let m = unsafe { SeqFile::from_raw(m) };
            let metrics = Metrics {
                engine,
                walks: &snapshot.sampled.walks,
            };
            seq_print!(m, "{}", metrics);
            if let Some(bound) = file.metrics_cgroups {
                let windows_ms = engine.config().windows_ms;
                if let Err(e) = show_cgroup_series(m, &snapshot.cgroups, windows_ms, bound) {
                    return e.to_errno();
                }
            }
        }
        Content::Top => {
            let windows_ms = engine.config().windows_ms;
            // SAFETY: By the caller's guarantee `m` is valid and used by this thread only.
            let m = unsafe { SeqFile::from_raw(m) };
            if let Err(e) = attribution::show_top(m, &snapshot.attribution, windows_ms) {
                return e.to_errno();
            }
        }
        Content::Stacks => {
            // SAFETY: By the caller's guarantee `m` is valid and used by this thread only.
            let m = unsafe { SeqFile::from_raw(m) };
            if let Err(e) = attribution::show_stacks(m, &snapshot.attribution) {
                return e.to_errno();
            }
        }
        Content::Table => {
            // SAFETY: By the caller's guarantee `m` is valid and used by this thread only.
            let m = unsafe { SeqFile::from_raw(m) };
            let table = Table {
                engine,
                walks: &snapshot.sampled.walks,
                kernel: threads::kernel_avenrun(),
                virtualize: virtualize::stats(),
            };
            seq_print!(m, "{}", table);
        }
        Content::Samples => {
            // SAFETY: By the caller's guarantee `m` is valid and used by this thread only.
            let m = unsafe { SeqFile::from_raw(m) };
            let samples = SamplesText {
                sampled: &snapshot.sampled,
            };
            seq_print!(m, "{}", samples);
        }
    }
    0
}
