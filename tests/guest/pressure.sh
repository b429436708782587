# SPDX-License-Identifier: GPL-2.0
# A cgroup's pressure columns once it goes idle: what its cpu.pressure and io.pressure would
# print now, not the figures PSI last stored.
#
# PSI stops a group's averaging clock once the group is idle; its stored averages then stay
# as they were until a task of the group changes state or someone reads a pressure file, which
# catches them up first (rust/model/pressure.rs). Here cgroup P has cpu pressure (3 busy loops
# on 2 CPUs) and io pressure (a direct-IO reader of a slow disk) for 12 s; then its tasks are
# stopped (SIGSTOP: they stay in P, asleep, so the cgroup is idle), and nothing reads P's
# pressure files for 24 s, 12 of PSI's 2-s periods, in which the 10-s averages fall to about
# e^-2.4 of their value. Then the module's table is read first and the pressure files right
# after: the same digits.
#
# The files' read itself catches the averages up, so the two reads agree unless one of PSI's
# period boundaries (every 2.004 s) falls between the module's read and the files' (one awk
# ending, another starting: tens of ms under emulation, at most 5% of a period); then the
# files show one more step of decay. A disagreement is tried again only after another 24 s
# without a read (a module that showed stored figures would show the ones the last read left,
# 24 s old, and fail every time), 3 times at most: the boundary falls between all three times
# with a chance of at most 0.05^3, about 1 in 8,000.
. /tests/lib.sh

cg=/sys/fs/cgroup
mkdir -p "$cg"
if ! mount -t cgroup2 none "$cg" 2>/dev/null; then
	skip "pressure of an idle cgroup" "this kernel has no cgroup v2 (CONFIG_CGROUPS)"
	finish
fi
if [ ! -e /proc/pressure/cpu ]; then
	skip "pressure of an idle cgroup" "this kernel has no PSI (CONFIG_PSI)"
	umount "$cg"
	finish
fi
if ! has_slow_disk; then
	skip "pressure of an idle cgroup (its IO reader)" "$NO_SLOW_DISK"
	umount "$cg"
	finish
fi
slow_disk 100 || fail "null_blk" "the slow disk did not come up"
mkdir "$cg/P"
in_cgroup P loadgen cpu 3 3600 >/tmp/started.pcpu &
in_cgroup P loadgen io 1 3600 /dev/nullb0 >/tmp/started.pio &
tasks="$(wait_started /tmp/started.pcpu) $(wait_started /tmp/started.pio)"
check "module loads with a 1 s period" load period_ms=1000
sleep 12
COLUMNS="psi_cpu_10s psi_cpu_60s psi_cpu_300s psi_io_10s psi_io_60s psi_io_300s"
busy_row=$(fields /proc/loadavg_rs_cgroups /P $COLUMNS)
echo "# P busy: $busy_row"
# The cgroup's pressure files are not read before here: the first read of them is the check's.
kill -STOP $tasks
for try in 1 2 3; do
	sleep 24
	ours=$(fields /proc/loadavg_rs_cgroups /P $COLUMNS)
	# Both files in one awk, right after: `some` avg10 avg60 avg300 of cpu, then of io.
	theirs=$(awk '$1 == "some" { for (i = 2; i <= 4; i++) { sub(/^avg[0-9]+=/, "", $i); printf "%s%s", sep, $i; sep = " " } }' \
		"$cg/P/cpu.pressure" "$cg/P/io.pressure")
	[ "$ours" != "$theirs" ] || break
	echo "# try $try: module '$ours', files '$theirs' (a period ended between the reads?)"
done
set -- $busy_row
check "P's io pressure was real before it went idle (10 s: $4%)" below 1 "$4"
check "P idle 24 s: the module's pressure '$ours' = its cpu.pressure and io.pressure '$theirs'" \
	test "$ours" = "$theirs"
set -- $ours
check "and it decayed from the busy '$busy_row' (io 10 s: $4% < half of the busy one)" \
	below "$4" "$(awk -v b="$(echo "$busy_row" | cut -d' ' -f4)" 'BEGIN { print b / 2 }')"
kill -KILL $tasks
kill -CONT $tasks
check "module unloads" unload
remove_cgroup P
wait
umount "$cg"
finish
