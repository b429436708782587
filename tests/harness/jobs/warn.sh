# SPDX-License-Identifier: GPL-2.0
# Harness self-test: loads a module that WARNs. Everything the job itself checks passes; only
# the runner's console and taint checks can catch it.
. /tests/lib.sh
check "harness_warn loads" insmod /lib/modules/harness_warn.ko
check "harness_warn unloads" rmmod harness_warn
finish
