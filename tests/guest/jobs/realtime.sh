# SPDX-License-Identifier: GPL-2.0
# The real-time part of `make test`, in a boot of its own so that the kernel's load average
# starts from a quiet system: Gregg's 0.62, then the module with the kernel's defaults
# against /proc/loadavg (3 minutes); then, still at the kernel's time scale, a cgroup throttled
# by cpu.max, its counts against the kernel's own (2 minutes); and a cgroup read through the
# real LXCFS beside the module (3 minutes).
. /tests/lib.sh
run_tests load_kernel_defaults throttled_kernel lxcfs || exit 1
finish
