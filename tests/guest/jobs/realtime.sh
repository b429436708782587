# SPDX-License-Identifier: GPL-2.0
# The real-time part of `make test`, in a boot of its own so that the kernel's load average
# starts from a quiet system: Gregg's 0.62, then the module with the kernel's defaults
# against /proc/loadavg.
. /tests/lib.sh
echo "# load_kernel_defaults (3 minutes)"
sh /tests/load_kernel_defaults.sh
