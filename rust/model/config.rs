// SPDX-License-Identifier: GPL-2.0

//! The sampling period and the three averaging windows, validated.
//!
//! The module's parameters name a period and three windows in milliseconds. The defaults are
//! the kernel's: a period of 5000 ms, which like `LOAD_FREQ` becomes 5 s plus one tick, and
//! windows of 1, 5 and 15 minutes, which give the kernel's decay constants 1884, 2014 and
//! 2037 exactly. Other values compress time for tests, or ask for PSI-like 10 s, 60 s and
//! 300 s windows.

use crate::model::calc_load::{decay_factor, DecayError, Load};

/// Default sampling period, in milliseconds.
pub const DEFAULT_PERIOD_MS: u32 = 5000;
/// Default averaging windows, in milliseconds: 1, 5 and 15 minutes.
pub const DEFAULT_WINDOWS_MS: [u32; 3] = [60_000, 300_000, 900_000];
/// Shortest period accepted, in milliseconds: every sample walks every thread.
pub const MIN_PERIOD_MS: u32 = 10;
/// Longest period accepted, in milliseconds.
pub const MAX_PERIOD_MS: u32 = 600_000;
/// Default `max_cgroups`: cgroups tracked at most.
pub const DEFAULT_MAX_CGROUPS: u32 = 1024;
/// The largest `max_cgroups`.
pub const MAX_CGROUPS: u32 = 65536;
/// Default `metrics_cgroups`: cgroups whose series `/proc/loadavg_rs_metrics` prints at most.
///
/// A cgroup is 21 series (15 averages, 5 counts, its threads: [`crate::model::cgroup_metrics`]), so
/// 100 cgroups are 2,100 series: the order of what node_exporter's own collectors export from
/// a server (a thousand series and up, with its CPUs, disks and interfaces), so that a
/// Prometheus sized for a fleet's node_exporters needs at most about twice the room, not a
/// multiple of it. 100 holds a machine's system services and the busiest of its containers (a
/// Kubernetes node runs up to 110 pods by default, a cgroup each, with one below it a
/// container); the rest are summed in `cgroup="[other]"`.
pub const DEFAULT_METRICS_CGROUPS: u32 = 100;
/// The largest `metrics_cgroups`: as many as can be tracked.
pub const MAX_METRICS_CGROUPS: u32 = MAX_CGROUPS;
/// Default `attribute_keys`: keys of load attribution (processes, and processes' wait sites).
pub const DEFAULT_ATTRIBUTE_KEYS: u32 = 1024;
/// The largest `attribute_keys`.
pub const MAX_ATTRIBUTE_KEYS: u32 = 65536;
/// Default `attribute_unwinds`: kernel stacks unwound per sample at most.
pub const DEFAULT_ATTRIBUTE_UNWINDS: u32 = 1024;
/// The largest `attribute_unwinds`.
pub const MAX_ATTRIBUTE_UNWINDS: u32 = 1 << 20;
/// The most a test may pause between the reads of one task (`test_state_delay_us`): 200 µs,
/// so that a stretch of the walk (128 threads) stays within 26 ms of RCU read section; the
/// pause after an unwind is ten times as long, and an unwind counts as 16 of the stretch's
/// threads, so its unwinds add at most 16 ms.
pub const MAX_TEST_STATE_DELAY_US: u32 = 200;

/// How the walker thread is scheduled (`walker_fifo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkerPolicy {
    /// `SCHED_FIFO` at the lowest real-time priority (`sched_set_fifo_low()`), the default: it
    /// runs ahead of every normal task, so a sample is taken when its window ends, whatever
    /// the load.
    Fifo,
    /// A normal task (`SCHED_NORMAL`, nice 0), as kernel threads start: it waits for the CPU
    /// like any task, so a busy machine delays its samples. For measuring what FIFO costs.
    Normal,
}

/// The module's parameters, as given at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// `period_ms`.
    pub period_ms: u32,
    /// `window1_ms`, `window2_ms`, `window3_ms`.
    pub windows_ms: [u32; 3],
    /// `max_cgroups`.
    pub max_cgroups: u32,
    /// `metrics_cgroups`.
    pub metrics_cgroups: u32,
    /// `attribute_keys`.
    pub attribute_keys: u32,
    /// `attribute_unwinds`.
    pub attribute_unwinds: u32,
    /// `test_hold_ms`: tests only, the first sample held back this long.
    pub test_hold_ms: u32,
    /// `test_state_delay_us`: tests only, a pause between the reads of each task.
    pub test_state_delay_us: u32,
    /// `walker_fifo`: 1, the walker is `SCHED_FIFO`; 0, a normal task.
    pub walker_fifo: u32,
    /// `top_root_only`: 1, `/proc/loadavg_rs_top` is root's alone (0400); 0, everyone's.
    pub top_root_only: u32,
    /// `virtualize`: 1, a container reads its own load through `sysinfo()` and
    /// `/proc/loadavg`; 0, the machine's.
    pub virtualize: u32,
}

/// Every parameter, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The period and the windows.
    pub config: Config,
    /// Cgroups tracked at most (0: none).
    pub max_cgroups: usize,
    /// Cgroups whose series the metrics print at most, the largest first (0: only the sum of
    /// the rest, `[other]`).
    pub metrics_cgroups: usize,
    /// Keys of load attribution at most (0: no attribution).
    pub attribute_keys: usize,
    /// Kernel stacks unwound per sample at most (0: processes only).
    pub attribute_unwinds: u32,
    /// Tests only: how late the first sample comes, in ms.
    pub hold_ms: u32,
    /// Tests only: the pause between the reads of each task, in µs.
    pub state_delay_us: u32,
    /// How the walker is scheduled.
    pub walker: WalkerPolicy,
    /// `/proc/loadavg_rs_top` is root's alone, for a machine whose `/proc` hides other users'
    /// processes (`hidepid=`).
    pub top_root_only: bool,
    /// A container reads its own load through `sysinfo()` and `/proc/loadavg` (it needs
    /// cgroups tracked: `max_cgroups` > 0).
    pub virtualize: bool,
}

/// `value`, if it is at most `max`; else the error that says so of parameter `name`.
fn at_most(name: &'static str, value: u32, max: u32) -> Result<u32, ParamError> {
    if value <= max {
        Ok(value)
    } else {
        Err(ParamError {
            name,
            value,
            min: 0,
            max,
        })
    }
}

impl Params {
    /// Every parameter's default: the module's `module!` takes its defaults from here.
    pub const DEFAULT: Params = Params {
        period_ms: DEFAULT_PERIOD_MS,
        windows_ms: DEFAULT_WINDOWS_MS,
        max_cgroups: DEFAULT_MAX_CGROUPS,
        metrics_cgroups: DEFAULT_METRICS_CGROUPS,
        attribute_keys: DEFAULT_ATTRIBUTE_KEYS,
        attribute_unwinds: DEFAULT_ATTRIBUTE_UNWINDS,
        test_hold_ms: 0,
        test_state_delay_us: 0,
        walker_fifo: 1,
        top_root_only: 0,
        virtualize: 0,
    };

    /// Validates every parameter for a kernel ticking at `hz`; the first out of range is the
    /// error.
    pub fn check(&self, hz: u32) -> Result<Settings, ParamError> {
        Ok(Settings {
            config: Config::new(hz, self.period_ms, self.windows_ms)?,
            max_cgroups: at_most("max_cgroups", self.max_cgroups, MAX_CGROUPS)? as usize,
            metrics_cgroups: at_most("metrics_cgroups", self.metrics_cgroups, MAX_METRICS_CGROUPS)?
                as usize,
            attribute_keys: at_most("attribute_keys", self.attribute_keys, MAX_ATTRIBUTE_KEYS)?
                as usize,
            attribute_unwinds: at_most(
                "attribute_unwinds",
                self.attribute_unwinds,
                MAX_ATTRIBUTE_UNWINDS,
            )?,
            hold_ms: at_most("test_hold_ms", self.test_hold_ms, MAX_PERIOD_MS)?,
            state_delay_us: at_most(
                "test_state_delay_us",
                self.test_state_delay_us,
                MAX_TEST_STATE_DELAY_US,
            )?,
            walker: match at_most("walker_fifo", self.walker_fifo, 1)? {
                0 => WalkerPolicy::Normal,
                _ => WalkerPolicy::Fifo,
            },
            top_root_only: at_most("top_root_only", self.top_root_only, 1)? == 1,
            virtualize: match at_most("virtualize", self.virtualize, 1)? {
                // A container's figures are its cgroup's: none without cgroups tracked.
                1 if self.max_cgroups == 0 => {
                    return Err(ParamError {
                        name: "virtualize",
                        value: 1,
                        min: 0,
                        max: 0,
                    })
                }
                v => v == 1,
            },
        })
    }
}

/// A parameter outside the range it must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's name.
    pub name: &'static str,
    /// The value given.
    pub value: u32,
    /// The smallest value allowed.
    pub min: u32,
    /// The largest value allowed.
    pub max: u32,
}

/// A validated configuration: the period in ticks and a decay factor for each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The sampling period, in milliseconds, as given.
    pub period_ms: u32,
    /// The averaging windows, in milliseconds, as given.
    pub windows_ms: [u32; 3],
    /// The sampling period in jiffies: `period_ms` rounded up to whole ticks, plus one tick.
    pub period_ticks: usize,
    /// `FIXED_1 * exp(-period / window)` for each window, with the real period:
    /// `period_ticks` jiffies, the time between two samples, not `period_ms`. (With the kernel's
    /// 5000 ms, 5.004 s at HZ=250, they round to the kernel's constants all the same; with a
    /// 10 ms period at HZ=250 the real period is 16 ms.)
    pub decay: [Load; 3],
}

/// Names of the window parameters, in order.
pub const WINDOW_PARAMS: [&str; 3] = ["window1_ms", "window2_ms", "window3_ms"];

/// The shortest window for a period of `period_ticks` jiffies at `hz`: the real period, in
/// milliseconds rounded up.
pub fn min_window_ms(period_ticks: usize, hz: u32) -> u32 {
    let ms = (period_ticks as u64 * 1000).div_ceil(u64::from(hz.max(1)));
    u32::try_from(ms).unwrap_or(u32::MAX)
}

/// The decay factor of `window_ms` for a period of `period_ticks` jiffies at `hz`: from the real
/// period, `period_ticks / hz` seconds, which is what separates two samples.
fn decay_for(period_ticks: usize, hz: u32, window_ms: u32) -> Result<Load, DecayError> {
    // Both in units of 1 / (1000 * hz) s: exact integers.
    decay_factor(
        period_ticks as u64 * 1000,
        u64::from(window_ms) * u64::from(hz.max(1)),
    )
}

/// The longest window that still decays with a period of `period_ticks` jiffies at `hz`: its
/// decay factor is below 1.0.
pub fn max_window_ms(period_ticks: usize, hz: u32) -> u32 {
    // decay_for(.., w) is Ok for w from the period up to a limit and Err beyond it.
    let (mut ok, mut too_long) = (
        u64::from(min_window_ms(period_ticks, hz)),
        u64::from(u32::MAX) + 1,
    );
    while too_long - ok > 1 {
        let mid = ok + (too_long - ok) / 2;
        if decay_for(period_ticks, hz, mid as u32).is_ok() {
            ok = mid;
        } else {
            too_long = mid;
        }
    }
    ok as u32
}

impl Config {
    /// Whether the period and windows are the kernel's own, so that the averages are
    /// comparable with `/proc/loadavg`'s.
    pub fn is_kernel_default(&self) -> bool {
        self.period_ms == DEFAULT_PERIOD_MS && self.windows_ms == DEFAULT_WINDOWS_MS
    }

    /// Validates a period and three windows, all in milliseconds, for a kernel ticking at `hz`.
    pub fn new(hz: u32, period_ms: u32, windows_ms: [u32; 3]) -> Result<Config, ParamError> {
        if !(MIN_PERIOD_MS..=MAX_PERIOD_MS).contains(&period_ms) {
            return Err(ParamError {
                name: "period_ms",
                value: period_ms,
                min: MIN_PERIOD_MS,
                max: MAX_PERIOD_MS,
            });
        }
        // Like LOAD_FREQ: whole ticks, plus one.
        let ticks = ((u64::from(period_ms) * u64::from(hz)).div_ceil(1000) + 1) as usize;
        let mut decay = [0; 3];
        for (i, &window) in windows_ms.iter().enumerate() {
            decay[i] = decay_for(ticks, hz, window).map_err(|_| ParamError {
                name: WINDOW_PARAMS[i],
                value: window,
                min: min_window_ms(ticks, hz),
                max: max_window_ms(ticks, hz),
            })?;
        }
        Ok(Config {
            period_ms,
            windows_ms,
            period_ticks: ticks,
            decay,
        })
    }
}

#[cfg(any(test, CONFIG_KUNIT = "y"))]
mod tests;
