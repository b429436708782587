// SPDX-License-Identifier: GPL-2.0

//! The module's model: its arithmetic, accountings, cgroup bookkeeping and file formats.
//!
//! Everything here is safe Rust that touches no kernel memory and takes no lock: it compiles both
//! into the kernel module, where its tests are KUnit suites, and into the host crate
//! (`tests/host`), where the same tests run under `cargo test` beside the kernel's own C. The files
//! beside this folder are the module's kernel-facing side: they read the kernel, hold the locks and
//! serve the files, and hand this model plain values. Every build forbids `unsafe` here (the
//! `unsafe` the KUnit suites' macro writes is the macro's, which the lint does not count against
//! this code). What only tests use but more than one suite shares (helpers, named states) is
//! compiled where the suites are: under `cargo test`, and in the module when the kernel has KUnit
//! built in (`CONFIG_KUNIT="y"`, the gate `#[kunit_tests]` puts on every suite), so that a kernel
//! without KUnit, such as Debian's, builds no unused code.
//!
//! - [`calc_load`]: the kernel's fixed-point load arithmetic (`kernel/sched/loadavg.c`);
//! - [`accounting`]: what each definition of load counts, from the facts of one thread;
//! - [`attribution`]: each definition's load by process and kernel wait site;
//! - [`attribution_table`], [`attribution_text`]: the table of the attribution's keys, and the
//!   text of its two files ([`attribution_testing`]: the table's tests, and what every test of
//!   the attribution shares);
//! - [`config`]: the module's parameters, their defaults and their checks;
//! - [`engine`]: the averages of every definition, advanced by the clock as the kernel does;
//! - [`history`]: the last samples, for exact replays by readers;
//! - [`walks`]: what each walk cost (the walker's telemetry, apart from the averages);
//! - [`cgroups`], [`cgroup_view`]: per-cgroup counts and averages, and what a reader may see;
//! - [`files`]: the files in `/proc`, their names and what each shows;
//! - [`pressure`]: a cgroup's pressure averages as its pressure files would print them now;
//! - [`report`], [`metrics`]: the files' text, and the Prometheus exposition;
//! - [`loadavg_line`], [`cgroup_report`]: the line in the format of `/proc/loadavg`, and the
//!   cgroup table's text with how every file names a cgroup;
//! - [`cgroup_metrics`]: the exposition's per-cgroup series;
//! - [`table`], [`sort`]: the keyed table the cgroups and the attribution's keys are kept in, and
//!   the sort their rows are shown in.

#![forbid(unsafe_code)]

pub mod accounting;
pub mod attribution;
pub mod attribution_table;
#[cfg(any(test, CONFIG_KUNIT = "y"))]
pub mod attribution_testing;
pub mod attribution_text;
pub mod calc_load;
pub mod cgroup_metrics;
pub mod cgroup_report;
pub mod cgroup_view;
pub mod cgroups;
pub mod config;
pub mod engine;
pub mod files;
pub mod history;
pub mod loadavg_line;
pub mod metrics;
pub mod pressure;
pub mod report;
pub mod sort;
pub mod table;
pub mod walks;
