# SPDX-License-Identifier: GPL-2.0
# The tests that patch running kernel code under load, in a guest of their own under
# single-threaded TCG: virtualize=1 unloaded and loaded again while containers call what it
# probes. Multi-threaded TCG does not make cross-modifying code exact, so there they are skipped
# (tests/guest/virtualize_unload.sh says why); `make test` runs this job on the debug kernel (or
# on Debian's, or KDIR's), with panic_on_warn.
. /tests/lib.sh
run_tests virtualize_unload || exit 1
finish
