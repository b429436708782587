# SPDX-License-Identifier: GPL-2.0
# While cpu.max throttles a cgroup, at the kernel's own time scale (5 s windows, the module
# with its defaults), the module counts what the kernel counts. Two busy loops in a cgroup
# allowed 10 ms of CPU every 100 ms are throttled at most instants: off their cfs_rq with
# p->on_rq still set, out of nr_running, and so out of the kernel's load average.
#
# Exact, on both sides, over 24 windows:
# - the module: at every sample each loop is either queued (cpu) or throttled, so the lowest
#   cpu + throttled is exactly 2, and throttled reaches 2; its `all` leaves throttled tasks
#   out, so its lowest is below 2 (a walk reading on_rq alone would count both loops at every
#   sample: never below 2);
# - the kernel: its own count in each of its windows, recovered exactly from avenrun
#   (kernel_windows, tests/guest/lib.sh), also goes below 2: the kernel does not count
#   throttled tasks either.
# Anything else running at an instant (the module's walker, this shell) can only add to a count,
# and "below 2" needs one instant, on each side, at which no more than one loop was queued: the
# quota lets the loops run 10 ms of every 100 ms, so both are queued and unthrottled for at most
# 10 ms of it, plus a tick (4 ms) by which the kernel may notice the quota spent late: at most
# 14% of instants. That all 23 or 24 instants of a side fall there is below 0.14^23, 1e-19.
. /tests/lib.sh

capped_cgroup "throttled tasks at the kernel's time scale"
check "module loads with the defaults" load
capped_loops
take_history /tmp/h0
echo "# 24 windows of 5 s (2 minutes)"
wait_samples /tmp/h0 24
take_history /tmp/h1
history_complete "throttled, 5 s windows" /tmp/h0 /tmp/h1
set -- $(columns /tmp/h0 /tmp/h1 cpu throttled all | awk '
	{ s = $1 + $2; if (NR == 1 || s < lo) lo = s; if ($2 > hi) hi = $2
	  if (NR == 1 || $3 < all) all = $3 }
	END { print lo, hi + 0, all }')
check "throttled, 5 s windows: each loop is queued or throttled at every sample: min(cpu + throttled) = $1, 2 expected" \
	test "$1" -eq 2
check "throttled, 5 s windows: the throttle bites: both loops throttled at once at some sample ($2)" test "$2" -eq 2
check "throttled, 5 s windows: the module's all leaves throttled loops out: its lowest count is $3, below 2" \
	test "$3" -lt 2
set -- $(kernel_summary /tmp/h0 /tmp/h1)
check "throttled, 5 s windows: the kernel's own count, recovered from avenrun in $1 windows ($2 stretches not), goes below 2 as well (lowest $3, highest $4)" \
	test "$1" -gt 0 -a "$3" -lt 2
replay_exact "throttled, 5 s windows" /tmp/h0 /tmp/h1
echo "# the kernel's count per window: $(kernel_windows /tmp/h0 /tmp/h1 | awk '{ printf "%s ", $2 }')"
echo "# the module's all per sample:   $(columns /tmp/h0 /tmp/h1 all | awk '{ printf "%s ", $1 }')"
echo "# /proc/loadavg $(cat /proc/loadavg) | /proc/loadavg_all $(cat /proc/loadavg_all)"
capped_end
check "module unloads" unload
umount /sys/fs/cgroup
finish
