# SPDX-License-Identifier: GPL-2.0
# The guest part of `make test` on the debug test kernel (KASAN, kmemleak, lockdep, PROVE_RCU,
# atomic-sleep checks, Rust debug assertions; panic_on_warn): KUnit once more, the lifecycle,
# then the reliability tests, and load attribution, whose kernel stacks are unwound under the
# walk's RCU read lock. virtualize=1's probes, which run in readers' context as NMIs (on a
# breakpoint: this kernel has no ftrace), meet KASAN and lockdep in the text-patching job
# (jobs/textpatch.sh), whose 32 threads send every call through them while the module unloads;
# virtualize.sh's exact readings, a round of which must fall within one sample, run on the
# default kernel, as the other exact arithmetic tests do, where nothing else runs at a sample.
. /tests/lib.sh
# kmemleak's automatic scan (every 10 minutes) is a kernel thread that, under KASAN and
# emulation, stays runnable for many seconds: off, so that the exact counts can see a sample
# without it. unload_race.sh scans explicitly.
echo scan=off >/sys/kernel/debug/kmemleak 2>/dev/null || true
run_kunit
run_tests module_lifecycle unload_race thread_storm cpu_hotplug attribution || exit 1
finish
