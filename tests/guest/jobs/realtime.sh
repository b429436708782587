# SPDX-License-Identifier: GPL-2.0
# The real-time part of `make test`, in a boot of its own so that the kernel's load average
# starts from a quiet system: the module with the kernel's defaults against /proc/loadavg.
. /tests/lib.sh
echo "# load_kernel_defaults (2 minutes)"
sh /tests/load_kernel_defaults.sh
