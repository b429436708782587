# SPDX-License-Identifier: GPL-2.0
# The guest part of `make check`, the developer's quick loop: the module's KUnit suites once, the
# lifecycle and the scenarios (every kind of task, exact counts and averages).
. /tests/lib.sh
run_kunit
run_tests module_lifecycle scenarios || exit 1
finish
