// SPDX-License-Identifier: GPL-2.0

//! loadavg_rs: Linux's load average recomputed, and split by cause.
//!
//! Linux's load average counts tasks that are runnable (R) plus tasks in uninterruptible sleep
//! (D), so a high number cannot say whether the machine lacks CPU, waits for disks or is stuck
//! on locks. This module samples every thread once per period and keeps the kernel's own
//! 1, 5 and 15 minute averages, computed bit for bit as `kernel/sched/loadavg.c` computes
//! `avenrun`, for several definitions of "active" ([`model::accounting::Accounting`]):
//!
//! | file                   | counts                                   |
//! |------------------------|------------------------------------------|
//! | `/proc/loadavg_cpu`    | runnable: CPU demand (TENEX, BSD, Solaris) |
//! | `/proc/loadavg_io`     | waiting for IO (`in_iowait`)              |
//! | `/proc/loadavg_all`    | R + D, the kernel's definition, recomputed |
//! | `/proc/loadavg_cpuio`  | runnable + IO wait                        |
//! | `/proc/loadavg_blocked`| D but not IO: locks and other waits       |
//! | `/proc/loadavg_rs`     | a table of all of them and of the sampler |
//! | `/proc/loadavg_rs_samples` | the last samples, and the averages in fixed point |
//! | `/proc/loadavg_cgroup`, `_cpu`, `_io`, `_cpuio`, `_blocked` | the reader's own cgroup |
//! | `/proc/loadavg_rs_cgroups` | every tracked cgroup (v2): counts, averages, pressure |
//! | `/proc/loadavg_rs_metrics` | all of it in the Prometheus text format (node_exporter) |
//! | `/proc/loadavg_rs_top` | the processes that make the load, split by cause |
//! | `/proc/loadavg_rs_stacks` | the load by process and kernel stack, folded for a flame graph (root) |
//!
//! The `loadavg_*` files read exactly like `/proc/loadavg`.

use kernel::prelude::*;
use kernel::time::msecs_to_jiffies;

// Public, as the host crate (tests/host) has them: their items are the module's interface to
// its own tests.
pub mod attribution;
pub mod cgroup_walk;
mod glue;
pub mod model;
pub mod proc_files;
pub mod rcu_arc;
pub mod reader_scope;
pub mod refs;
pub mod sampler;
pub mod snapshot;
pub mod threads;
pub mod virtualize;
pub mod walker;

use attribution::Attributed;
use cgroup_walk::Cgroups;
use model::config::{ParamError, Params, Settings};
use model::files::Content;
use model::history::Sampled;
use proc_files::ProcFile;
use sampler::{Running, Sampler};
use snapshot::Snapshot;
use virtualize::Virtualizer;
use walker::Walker;

module! {
    type: LoadavgRs,
    name: "loadavg_rs",
    authors: ["loadavg-rs developers"],
    description: "Load averages split by cause: CPU, IO wait, locks",
    license: "GPL",
    params: {
        period_ms: u32 {
            default: crate::model::config::Params::DEFAULT.period_ms,
            description: "Sampling period in ms, 10..=600000 (default 5000: the kernel's LOAD_FREQ)",
        },
        window1_ms: u32 {
            default: crate::model::config::Params::DEFAULT.windows_ms[0],
            description: "First averaging window in ms (default 60000: 1 minute)",
        },
        window2_ms: u32 {
            default: crate::model::config::Params::DEFAULT.windows_ms[1],
            description: "Second averaging window in ms (default 300000: 5 minutes)",
        },
        window3_ms: u32 {
            default: crate::model::config::Params::DEFAULT.windows_ms[2],
            description: "Third averaging window in ms (default 900000: 15 minutes)",
        },
        max_cgroups: u32 {
            default: crate::model::config::Params::DEFAULT.max_cgroups,
            description: "Cgroups tracked at most, 0..=65536 (default 1024; 0: none); more fold into an ancestor",
        },
        metrics_cgroups: u32 {
            default: crate::model::config::Params::DEFAULT.metrics_cgroups,
            description: "Cgroups in /proc/loadavg_rs_metrics at most, the largest, 0..=65536 (default 100: 2100 series); the rest summed in [other]",
        },
        attribute_keys: u32 {
            default: crate::model::config::Params::DEFAULT.attribute_keys,
            description: "Keys of load attribution (processes, wait sites), 0..=65536 (default 1024; 0: none); more count in [other]",
        },
        attribute_unwinds: u32 {
            default: crate::model::config::Params::DEFAULT.attribute_unwinds,
            description: "Kernel stacks unwound per sample at most, 0..=1048576 (default 1024; 0: processes only)",
        },
        // The two test parameters ship, off by default, rather than exist in a test build only:
        // `make test KERNEL=debian` (and with KDIR=) tests the very module a user loads, which a
        // test build would not be. Off, each costs one comparison (at start for the first
        // sample's delay; per task off the walk's fast path for the pause). On, they can only
        // delay: the first sample by 10 minutes at most, each task's reads by 200 us at most,
        // so that a stretch of the walk holds the RCU read lock 26 ms at most. Module
        // parameters are given at load, by whoever may load modules.
        test_hold_ms: u32 {
            default: crate::model::config::Params::DEFAULT.test_hold_ms,
            description: "Tests only: hold the first sample back this long, 0..=600000",
        },
        test_state_delay_us: u32 {
            default: crate::model::config::Params::DEFAULT.test_state_delay_us,
            description: "Tests only: pause this long between the reads of each task, 0..=200",
        },
        walker_fifo: u32 {
            default: crate::model::config::Params::DEFAULT.walker_fifo,
            description: "The walker thread, 0..=1 (default 1): 1 SCHED_FIFO at the lowest priority, 0 a normal task",
        },
        virtualize: u32 {
            default: crate::model::config::Params::DEFAULT.virtualize,
            description: "A container's own load through sysinfo() and /proc/loadavg, 0..=1 (default 0; 1 needs max_cgroups > 0 and CONFIG_KPROBES)",
        },
        top_root_only: u32 {
            default: crate::model::config::Params::DEFAULT.top_root_only,
            description: "/proc/loadavg_rs_top readable by root alone, 0..=1 (default 0; 1 for a /proc mounted with hidepid=)",
        },
    },
}

/// The loaded module.
///
/// Fields drop in order: the proc files go first (no reader can reach the sampler any more),
/// then `virtualize=1`'s probes (none reads the sampler's rows after), then the sampler stops
/// (its timer is cancelled, then its walker thread stopped, each waited for), and the
/// sampler's memory goes with the last reference.
struct LoadavgRs {
    _files: KVec<ProcFile>,
    /// The probes of `virtualize=1`: removed after the files (which read their figures), before
    /// the sampler stops (they read its rows).
    _virtualizer: Option<Virtualizer>,
    _running: Running,
}

/// The value of module parameter `$name`. Since 7.3 the kernel crate's `value()` returns a
/// copy; before, a reference (Kbuild sets `loadavg_rs_param_ref` for those releases).
macro_rules! param {
    ($name:ident) => {{
        #[cfg(not(loadavg_rs_param_ref))]
        let value = module_parameters::$name.value();
        #[cfg(loadavg_rs_param_ref)]
        let value = *module_parameters::$name.value();
        value
    }};
}

/// Every parameter, validated, or `EINVAL` with a message naming the bad parameter, its value
/// and the range it must be in.
fn settings(hz: u32) -> Result<Settings> {
    let params = Params {
        period_ms: param!(period_ms),
        windows_ms: [param!(window1_ms), param!(window2_ms), param!(window3_ms)],
        max_cgroups: param!(max_cgroups),
        metrics_cgroups: param!(metrics_cgroups),
        attribute_keys: param!(attribute_keys),
        attribute_unwinds: param!(attribute_unwinds),
        test_hold_ms: param!(test_hold_ms),
        test_state_delay_us: param!(test_state_delay_us),
        walker_fifo: param!(walker_fifo),
        top_root_only: param!(top_root_only),
        virtualize: param!(virtualize),
    };
    params.check(hz).map_err(
        |ParamError {
             name,
             value,
             min,
             max,
         }| {
            if name == "virtualize" && max == 0 {
                pr_err!(
                    "virtualize=1 needs max_cgroups > 0: a container's figures are its cgroup's\n"
                );
            } else {
                pr_err!("{name}={value} is out of range: it must be in {min}..={max}\n");
            }
            EINVAL
        },
    )
}

impl kernel::Module for LoadavgRs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let hz = u32::try_from(msecs_to_jiffies(1000)).map_err(|_| EINVAL)?;
        let Settings {
            config,
            max_cgroups,
            metrics_cgroups,
            attribute_keys,
            attribute_unwinds,
            hold_ms,
            state_delay_us,
            walker,
            top_root_only,
            virtualize,
        } = settings(hz)?;
        threads::set_test_state_delay_us(state_delay_us);
        let sampler = Sampler::new(
            config,
            hz,
            hold_ms,
            max_cgroups,
            (attribute_keys, attribute_unwinds),
        )?;
        let running = sampler.clone().start(walker)?;
        let virtualizer = if virtualize {
            Some(Virtualizer::new(sampler.clone())?)
        } else {
            None
        };
        let cgroups = max_cgroups > 0;
        // With cgroups tracked, the metrics print the series of this many at most.
        let metrics_cgroups = cgroups.then_some(metrics_cgroups);
        let attributed = attribute_keys > 0;
        let mut files = KVec::new();
        let wanted = |c: &Content| (cgroups || !c.per_cgroup()) && (attributed || !c.attribution());
        for content in Content::all().filter(wanted) {
            // On an error, the files made so far and the sampler are dropped in that order.
            files.push(
                ProcFile::new(
                    sampler.clone(),
                    content,
                    content.access(top_root_only),
                    metrics_cgroups,
                )?,
                GFP_KERNEL,
            )?;
        }
        pr_info!(
            "sampling every {} ms ({} ticks), windows {} {} {} ms\n",
            config.period_ms,
            config.period_ticks,
            config.windows_ms[0],
            config.windows_ms[1],
            config.windows_ms[2]
        );
        // What the module allocates, all of it here at load: the sampler (with its `Arc`
        // counter); the walker's engine and records; the first snapshot (with its counter) and
        // its copy of them; the cgroups' and the keys' rows, index and references (three
        // vectors each); the walker's C state; each file's data, and the vector of files. (The
        // walker's kernel thread, its stack and `task_struct`, is the kernel's own; after a
        // walk, the snapshot's rows, and a second snapshot while a reader holds the first.)
        let bytes = core::mem::size_of::<Sampler>()
            + core::mem::size_of::<usize>()
            + 2 * core::mem::size_of::<Sampled>()
            + core::mem::size_of::<Snapshot>()
            + core::mem::size_of::<usize>()
            + Cgroups::bytes(max_cgroups)
            + Attributed::bytes(attribute_keys)
            + Walker::bytes()
            + files.len() * ProcFile::DATA_BYTES
            + files.capacity() * core::mem::size_of::<ProcFile>();
        // The sampler, the two copies of the records, the snapshot, six vectors, the walker,
        // the vector of files.
        pr_info!(
            "state: {} bytes in {} allocations\n",
            bytes,
            files.len() + 12
        );
        Ok(LoadavgRs {
            _files: files,
            _virtualizer: virtualizer,
            _running: running,
        })
    }
}
