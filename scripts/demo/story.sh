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
# At the end of the mixed phase, what the load is made of: /proc/loadavg_rs_top and
# /proc/loadavg_rs_stacks, the load of the last windows by process and kernel wait site (the
# disk and lock phases' tasks have exited, and their load decays under their names).
# Then a containers part: three cgroups, each with its own kind of load (see below); and last, a
# container's own `uptime`: busybox's, through sysinfo(), in a container with no bind mount.
#
# Settings come from /job/extra/demo.conf (PERIOD_MS, WINDOW*_MS, PHASE_S). Output: progress
# lines, then the CSVs between `--- csv` (or `--- containers`) and `--- end`, the two files
# between `--- top` (or `--- stacks`) and `--- end`.
. /tests/lib.sh
. /job/extra/demo.conf

slow_disk 100 || { echo "demo: cannot make the slow disk (null_blk)"; exit 1; }
# With virtualize=1 where the kernel has kprobes (a container's own load, shown last).
params="period_ms=$PERIOD_MS window1_ms=$WINDOW1_MS window2_ms=$WINDOW2_MS window3_ms=$WINDOW3_MS"
virtualize=1
# shellcheck disable=SC2086 # the parameters are words
load $params virtualize=1 2>/dev/null || { virtualize= && load $params; } ||
	{ echo "demo: the module did not load"; exit 1; }

csv=/tmp/demo.csv
# The columns: the kernel's own average, then every definition in the module's order
# ($ACCOUNTINGS, from lib.sh: `loadgen verify definitions`).
echo "t,phase,loadavg,$(echo $ACCOUNTINGS | tr ' ' ,)" >"$csv"
t=0
# record PHASE [SECONDS]: reads every file once a second for SECONDS (PHASE_S).
record() {
	local end=$((t + ${2:-$PHASE_S})) kernel v d row shown
	while [ "$t" -lt "$end" ]; do
		read -r kernel _ </proc/loadavg
		row="$t,$1,$kernel" shown="loadavg $kernel"
		for d in $ACCOUNTINGS; do
			read -r v _ <"/proc/loadavg_$d"
			row="$row,$v" shown="$shown  $d $v"
		done
		echo "$row" >>"$csv"
		[ $((t % 10)) -ne 0 ] || printf 'demo: %4ds %-6s %s\n' "$t" "$1" "$shown"
		sleep 1
		t=$((t + 1))
	done
}
# phase NAME CPU IO LOCKS [THEN]: the phase's tasks for PHASE_S seconds, and THEN, a command,
# run a second before they end.
phase() {
	echo "demo: phase $1 ($2 busy, $3 on disk, $4 in lock-like waits, ${PHASE_S} s)"
	[ "$2" -eq 0 ] || loadgen cpu "$2" "$PHASE_S" >/dev/null &
	[ "$3" -eq 0 ] || loadgen io "$3" "$PHASE_S" /dev/nullb0 >/dev/null &
	[ "$4" -eq 0 ] || loadgen uninterruptible "$4" "$PHASE_S" >/dev/null &
	# The tasks end at their deadline, PHASE_S from now: look a second before.
	record "$1" $((PHASE_S - 1))
	[ -z "${5:-}" ] || "$5"
	record "$1" 1
	wait
}
# made_of: what the load is made of, now: both files of load attribution.
made_of() {
	echo "demo: what the load is made of: /proc/loadavg_rs_top and /proc/loadavg_rs_stacks"
	cat /proc/loadavg_rs_top >/tmp/top
	cat /proc/loadavg_rs_stacks >/tmp/stacks
}
phase idle 0 0 0
phase cpu 2 0 0
phase disk 0 2 0
phase locks 0 0 2
phase mixed 1 1 1 made_of
phase idle-again 0 0 0

# Containers: three cgroups, each its own kind of load, started one after the other: `web` (2
# busy loops, from the start), `db` (2 readers of the slow disk, from the second third), `batch`
# (a busy loop and 2 lock-like waits, capped at 20% of a CPU by cpu.max, from the last third).
# Each cgroup's first-window averages from /proc/loadavg_rs_cgroups, and its own pressure (PSI
# `some` avg10) beside them, once a second: of the definitions, the three causes and their sum
# (cpu + io + blocked = all), the split this part is about.
cg=/sys/fs/cgroup
ccsv=/tmp/containers.csv
echo "t,cgroup,all,cpu,io,blocked,psi_cpu,psi_io" >"$ccsv"
if mount -t cgroup2 none "$cg" 2>/dev/null && echo +cpu >"$cg/cgroup.subtree_control" 2>/dev/null; then
	echo "demo: containers: web (2 busy), then db (2 on disk), then batch (1 busy capped at 20%, 2 in lock-like waits)"
	mkdir "$cg/web" "$cg/db" "$cg/batch"
	echo "20000 100000" >"$cg/batch/cpu.max"
	total=$((3 * PHASE_S))
	in_cg() { dir=$1; shift; sh -c "echo \$\$ > $cg/$dir/cgroup.procs && exec $*" >/dev/null & }
	in_cg web loadgen cpu 2 "$total"
	t=0
	while [ "$t" -lt "$total" ]; do
		[ "$t" -ne "$PHASE_S" ] || in_cg db loadgen io 2 "$PHASE_S" /dev/nullb0
		[ "$t" -ne $((2 * PHASE_S)) ] || { in_cg batch loadgen cpu 1 "$PHASE_S"; in_cg batch loadgen uninterruptible 2 "$PHASE_S"; }
		# The first window's averages of all, cpu, io and blocked, and the 10 s pressures, by
		# the table's column names, of one reading of it.
		cat /proc/loadavg_rs_cgroups >/tmp/ct
		w=$(awk '$1 == "threads" { for (i = 1; i <= NF; i++) if (sub(/^cpu_/, "", $i)) { print $i; exit } }' /tmp/ct)
		for c in web db batch; do
			set -- $(fields /tmp/ct "/$c" "all_$w" "cpu_$w" "io_$w" "blocked_$w" psi_cpu_10s psi_io_10s)
			[ $# -eq 0 ] || echo "$t,$c,$1,$2,$3,$4,$5,$6"
		done >>"$ccsv"
		[ $((t % 10)) -ne 0 ] || printf 'demo: %4ds containers: %s\n' "$t" \
			"$(awk -F, -v t="$t" '$1 == t { printf "%s all %s (psi cpu %s%%)  ", $2, $3, $7 }' "$ccsv")"
		sleep 1
		t=$((t + 1))
	done
	wait
	rmdir "$cg/web" "$cg/db" "$cg/batch"
	# A container's own uptime: a busy loop in a container made as runtimes make one (its own
	# cgroup, cgroup, mount and PID namespaces, a fresh /proc, no bind mount), on a machine
	# with two more busy loops; busybox uptime in it reads sysinfo().
	if [ -n "$virtualize" ]; then
		mkdir "$cg/box"
		loadgen cpu 2 "$PHASE_S" >/dev/null &
		echo "demo: a container with 1 busy loop, on a machine with 2 more (${PHASE_S} s)"
		loadgen container --no-bind "$cg/box" sh -c "loadgen cpu 1 $PHASE_S >/dev/null & sleep $((PHASE_S - 2)); echo \"demo: in the container, virtualize=1: \$(uptime)\"; echo \"demo: in the container, /proc/loadavg: \$(cat /proc/loadavg)\"; sleep 1"
		echo "demo: on the host:                   $(uptime)"
		unload
		loadgen container --no-bind "$cg/box" sh -c "echo \"demo: in the container, no module:  \$(uptime)\""
		wait
		rmdir "$cg/box"
	else
		echo "demo: this kernel has no kprobes (CONFIG_KPROBES): no container's own uptime"
	fi
	umount "$cg"
else
	echo "demo: no cgroup v2 with the cpu controller in this kernel: no containers part"
fi
! loaded || unload
echo "--- csv"
cat "$csv"
echo "--- end"
echo "--- containers"
cat "$ccsv"
echo "--- end"
echo "--- top"
cat /tmp/top
echo "--- end"
echo "--- stacks"
cat /tmp/stacks
echo "--- end"
