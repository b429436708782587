# SPDX-License-Identifier: GPL-2.0
# The guest part of `make test` on the debug test kernel (KASAN, kmemleak, lockdep, PROVE_RCU,
# atomic-sleep checks, Rust debug assertions; panic_on_warn): KUnit once more, the lifecycle,
# then the reliability tests. (The exact arithmetic tests run on the default kernel, where
# nothing else runs at a sample.)
. /tests/lib.sh
run_kunit
run_tests module_lifecycle unload_race thread_storm cpu_hotplug || exit 1
finish
