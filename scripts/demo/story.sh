# SPDX-License-Identifier: GPL-2.0
# The demo's story, run in the test guest (scripts/demo.sh puts it there as the job): phases of
# known load, each the same length, while every definition is read once a second.
#
#   idle       nothing
#   cpu        2 busy loops                        -> cpu, all, cpuio
#   disk       2 readers of a slow disk (direct IO) -> io, all, cpuio
#   locks      2 tasks in D that is not IO (vfork)  -> blocked, all
#   mixed      1 of each
#   idle       nothing again: everything decays
#
# Settings come from /job/extra/demo.conf (PERIOD_MS, WINDOW*_MS, PHASE_S). Output: progress
# lines, then the CSV between `--- csv` and `--- end`.
. /tests/lib.sh
. /job/extra/demo.conf

slow_disk 100 || { echo "demo: cannot make the slow disk (null_blk)"; exit 1; }
load period_ms="$PERIOD_MS" window1_ms="$WINDOW1_MS" window2_ms="$WINDOW2_MS" window3_ms="$WINDOW3_MS" ||
	{ echo "demo: the module did not load"; exit 1; }

csv=/tmp/demo.csv
echo "t,phase,loadavg,all,cpu,io,cpuio,blocked" >"$csv"
t=0
# record PHASE: reads every file once a second for PHASE_S seconds.
record() {
	end=$((t + PHASE_S))
	while [ "$t" -lt "$end" ]; do
		read -r kernel </proc/loadavg
		read -r all </proc/loadavg_all
		read -r cpu </proc/loadavg_cpu
		read -r io </proc/loadavg_io
		read -r cpuio </proc/loadavg_cpuio
		read -r blocked </proc/loadavg_blocked
		echo "$t,$1,${kernel%% *},${all%% *},${cpu%% *},${io%% *},${cpuio%% *},${blocked%% *}" >>"$csv"
		if [ $((t % 10)) -eq 0 ]; then
			printf 'demo: %4ds %-6s loadavg %s  all %s  cpu %s  io %s  blocked %s\n' "$t" "$1" \
				"${kernel%% *}" "${all%% *}" "${cpu%% *}" "${io%% *}" "${blocked%% *}"
		fi
		sleep 1
		t=$((t + 1))
	done
}
# phase NAME CPU IO LOCKS
phase() {
	echo "demo: phase $1 ($2 busy, $3 on disk, $4 in lock-like waits, ${PHASE_S} s)"
	[ "$2" -eq 0 ] || loadgen cpu "$2" "$PHASE_S" >/dev/null &
	[ "$3" -eq 0 ] || loadgen io "$3" "$PHASE_S" /dev/nullb0 >/dev/null &
	[ "$4" -eq 0 ] || loadgen uninterruptible "$4" "$PHASE_S" >/dev/null &
	record "$1"
	wait
}
phase idle 0 0 0
phase cpu 2 0 0
phase disk 0 2 0
phase locks 0 0 2
phase mixed 1 1 1
phase idle-again 0 0 0
unload
echo "--- csv"
cat "$csv"
echo "--- end"
