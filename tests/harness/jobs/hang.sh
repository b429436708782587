# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a guest job that never ends. Only the runner's time limit can catch it.
. /tests/lib.sh
pass "about to hang"
while :; do sleep 1; done
