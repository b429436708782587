#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make load`: loads the module built for a kernel into the running kernel, once that kernel is
# checked to be the one it was built for; `make unload` removes it.
#
#   scripts/load.sh load|unload [PARAMETER=VALUE...]
#
# The module is build/<kernel>/module/loadavg_rs.ko as `make` (KERNEL=..., KDIR=...) built it.
# Its vermagic names the kernel release it was built against; a running kernel of another
# release would refuse it with a terse "Exec format error", so this says which two differ.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

action=${1:-}
shift || true
case $action in
unload)
	as_root rmmod loadavg_rs
	exit 0
	;;
load) ;;
*) die "usage: scripts/load.sh load|unload [PARAMETER=VALUE...]" ;;
esac

out=$("$PROJECT_DIR/scripts/build-module.sh" default)
ko=$out/module/loadavg_rs.ko
built_for=$(modinfo -F vermagic "$ko" | awk '{ print $1 }')
running=$(uname -r)
[ "$built_for" = "$running" ] ||
	die "$ko is built for the kernel $built_for, but this machine runs $running: boot $built_for, or build for this kernel (make KDIR=/lib/modules/$running/build, then insmod loadavg_rs.ko)"
as_root insmod "$ko" "$@"
log "loaded into $running: $(tr -d '\n' </proc/loadavg_all) (cat /proc/loadavg_rs for the table); tainted $(cat /proc/sys/kernel/tainted) (unsigned, out-of-tree)"
