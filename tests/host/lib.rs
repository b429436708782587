// SPDX-License-Identifier: GPL-2.0

//! The module's safe, pure parts, built for the host from the module's own source files.
//!
//! Everything under `rust/model/` compiles both into the kernel module (where its tests are
//! KUnit suites) and into this crate (where the same tests run under `cargo test`).

#![no_std]

#[cfg(test)]
extern crate std;

#[path = "../../rust/model/mod.rs"]
pub mod model;

pub use model::*;
