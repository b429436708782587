# SPDX-License-Identifier: GPL-2.0
# The guest part of `make test` on the default test kernel: the module's KUnit suites once,
# then every guest test. Each test prints TAP lines; the job fails if any test does.
. /tests/lib.sh
echo "# kernel: $(cat /proc/version)"
run_kunit
run_tests module_lifecycle load_compressed scenarios missed_windows throttled deadline state_race proxy walk_bound cgroups pressure containers virtualize attribution prometheus || exit 1
finish
