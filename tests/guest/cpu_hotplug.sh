# SPDX-License-Identifier: GPL-2.0
# A CPU goes offline and comes back while the module samples every 100 ms: sampling goes on,
# and the averages stay what the formula says.
. /tests/lib.sh

cpu1=/sys/devices/system/cpu/cpu1/online
if [ ! -w "$cpu1" ]; then
	pass "CPU hotplug: not available in this kernel (no $cpu1), nothing to test"
	finish
fi
check "module loads with a 100 ms period" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000
busy 1
sleep 1
snapshot
k0=$(snap_value samples) up0=$SNAP_UPTIME
for round in 1 2 3; do
	check "cpu1 goes offline (round $round)" sh -c "echo 0 > $cpu1"
	sleep 1
	check "cpu1 comes back" sh -c "echo 1 > $cpu1"
	sleep 1
done
snapshot
on_period "hotplug" "$k0" "$up0"
# At least the busy loop: tasks still exiting from earlier tests may be runnable too.
check "the busy loop counted ($(snap_active cpu) runnable)" test "$(snap_active cpu)" -ge 1
stop_busy
check "module unloads" unload
finish
