// SPDX-License-Identifier: GPL-2.0

//! The module's safe, pure parts, built for the host from the module's own source files.
//!
//! Everything under `rust/` that does not touch the kernel's C side compiles both into the
//! kernel module (where its tests are KUnit suites) and into this crate (where the same tests
//! run under `cargo test`).

#![no_std]

#[cfg(test)]
extern crate std;

#[path = "../../rust/calc_load.rs"]
pub mod calc_load;

#[path = "../../rust/accounting.rs"]
pub mod accounting;

#[path = "../../rust/cgroups.rs"]
pub mod cgroups;

#[path = "../../rust/cgroup_view.rs"]
pub mod cgroup_view;

#[path = "../../rust/config.rs"]
pub mod config;

#[path = "../../rust/engine.rs"]
pub mod engine;

#[path = "../../rust/history.rs"]
pub mod history;

#[path = "../../rust/report.rs"]
pub mod report;

#[path = "../../rust/metrics.rs"]
pub mod metrics;
