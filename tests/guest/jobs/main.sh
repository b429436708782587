# SPDX-License-Identifier: GPL-2.0
# The guest part of `make test` on the default test kernel: the module's KUnit suites once,
# then every guest test. Each test prints TAP lines; the job fails if any test does.
. /tests/lib.sh
run_kunit
status=0
for t in module_lifecycle load_compressed scenarios missed_windows; do
	echo "# $t"
	sh "/tests/$t.sh" || status=1
done
[ "$failures" -eq 0 ] || status=1
exit "$status"
