// SPDX-License-Identifier: GPL-2.0

//! A module whose KUnit suite has one failing case among passing ones: the runner must report
//! the suite as failed.

use kernel::prelude::*;

module! {
    type: HarnessKunitFailure,
    name: "harness_kunit_failure",
    authors: ["loadavg-rs developers"],
    description: "Harness self-test: a failing KUnit case",
    license: "GPL",
}

struct HarnessKunitFailure;

impl kernel::Module for HarnessKunitFailure {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(HarnessKunitFailure)
    }
}

#[kunit_tests(harness_kunit_failure)]
mod tests {
    #[test]
    fn passes() {
        assert_eq!(2 + 2, 4);
    }

    #[test]
    fn fails() {
        assert_eq!(2 + 2, 5);
    }
}
