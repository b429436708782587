# SPDX-License-Identifier: GPL-2.0
# Harness self-test: loads a module with a failing KUnit case, between the KUnit markers. The
# job itself succeeds; only the runner's KTAP check can catch it.
. /tests/lib.sh
kmsg "kunit begin"
check "harness_kunit_failure loads" insmod /lib/modules/harness_kunit_failure.ko
kmsg "kunit end"
check "harness_kunit_failure unloads" rmmod harness_kunit_failure
finish
