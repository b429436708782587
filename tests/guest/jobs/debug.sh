# SPDX-License-Identifier: GPL-2.0
# The guest part of `make test` on the debug test kernel (KASAN, kmemleak, lockdep, PROVE_RCU,
# atomic-sleep checks, Rust debug assertions; panic_on_warn): KUnit once more, the lifecycle,
# then the reliability tests. (The exact arithmetic tests run on the default kernel, where
# nothing else runs at a sample.)
. /tests/lib.sh
run_kunit
status=0
for t in module_lifecycle unload_race thread_storm cpu_hotplug; do
	echo "# $t"
	sh "/tests/$t.sh" || status=1
done
[ "$failures" -eq 0 ] || status=1
exit "$status"
