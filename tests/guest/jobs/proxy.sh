# SPDX-License-Identifier: GPL-2.0
# The guest part of `make test`'s proxy stage: the test kernel with proxy execution
# (qemu/kernel-proxy.config), the module's lifecycle and a mutex's waiter kept queued.
. /tests/lib.sh
echo "# kernel: $(cat /proc/version)"
run_tests module_lifecycle proxy || exit 1
finish
