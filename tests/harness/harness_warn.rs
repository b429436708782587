// SPDX-License-Identifier: GPL-2.0

//! A module that WARNs when loaded: the runner must report the `WARNING:` it prints and the
//! `W` taint it leaves.

use kernel::prelude::*;

module! {
    type: HarnessWarn,
    name: "harness_warn",
    authors: ["loadavg-rs developers"],
    description: "Harness self-test: WARNs at load",
    license: "GPL",
}

struct HarnessWarn;

impl kernel::Module for HarnessWarn {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        kernel::warn_on!(true);
        Ok(HarnessWarn)
    }
}
