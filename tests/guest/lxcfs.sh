# SPDX-License-Identifier: GPL-2.0
# Side by side with the real LXCFS (Debian's 5.0.3, `lxcfs -l`, its load averages on): one
# container-like cgroup with known load, read through LXCFS's proc/loadavg and through the
# module's /proc/loadavg_cgroup, both at the kernel's own period and windows. Three phases of
# PHASE seconds: 2 busy loops, then 2 readers of a slow disk, then 2 vfork parents waiting.
#
# Why the two may differ, and by how much. Both count R + D in the cgroup and its descendants
# and apply the kernel's calc_load() with EXP_1 (LXCFS: src/proc_loadavg.c, refresh_load()),
# each on its own clock: the module every LOAD_FREQ (5.004 s), LXCFS every 5 s plus the time
# its walk takes. Their samples are thus offset by less than one period, and fed the same
# counts (shown by each at a reading: LXCFS's running field, the module's cgroup `all`): at any
# instant one has taken at most one sample more than the other. One calc_load() step moves a
# 1-minute average by (active - load)(1 - EXP_1 / 2048) in magnitude, at most N (1 - EXP_1 /
# 2048) when every count and average is within 0..N; each printed figure is off the exact one
# by at most 0.01 (FIXED_1 / 200 added, then cut to two decimals). So at every reading,
#   |LXCFS - module| <= N * 164 / 2048 + 0.02,
# N the highest count either showed in the run. A reading beyond that is a disagreement.
. /tests/lib.sh

PHASE=${PHASE:-60}
cgroup2_or_skip "LXCFS beside the module"
if [ ! -c /dev/fuse ]; then
	skip "LXCFS beside the module" "this kernel has no FUSE (CONFIG_FUSE_FS)"
	finish
fi
if ! has_slow_disk; then
	skip "LXCFS beside the module" "this kernel has no null_blk module (CONFIG_BLK_DEV_NULL_BLK=m)"
	finish
fi
check "a slow disk: null_blk completing each request after 100 ms" slow_disk 100
check "module loads with the kernel's defaults" load
mkdir -p /var/lib/lxcfs
# (-p: its PID, which the shell's job, running the loader, does not give.)
debian lxcfs -l -p /tmp/lxcfs.pid /var/lib/lxcfs >/tmp/lxcfs.log 2>&1 &
tries=0
while [ ! -e /var/lib/lxcfs/proc/loadavg ] && [ "$tries" -lt 100 ]; do
	sleep 0.1
	tries=$((tries + 1))
done
check "LXCFS runs, load averages on ($(grep -c loadavg_daemon /tmp/lxcfs.log) loadavg_daemon in its log)" \
	grep -q loadavg_daemon /tmp/lxcfs.log
cg=/sys/fs/cgroup
mkdir "$cg/lx"

# read_both: one reading, from inside the cgroup (LXCFS shows the reader's cgroup): LXCFS's
# line, then the module's all, cpu, io and blocked lines, joined.
read_both() {
	in_cgroup lx cat /var/lib/lxcfs/proc/loadavg /proc/loadavg_cgroup /proc/loadavg_cgroup_cpu \
		/proc/loadavg_cgroup_io /proc/loadavg_cgroup_blocked | paste -sd' ' -
}
# The first reading makes LXCFS track the cgroup (from then on, every 5 s); both start at 0.
first=$(read_both)
check "both read 0.00 for the empty cgroup at first: $first" matches "$first" '^0\.00 [^ ]+ [^ ]+ [0-9]+/[0-9]+ [0-9]+ 0\.00 '

# phase KIND: PHASE seconds of 2 tasks of KIND in the cgroup, read after each of the module's
# samples; each reading is
# a line of $readings: `t KIND lxcfs1 lxcfs_running module_all1 module_running cpu1 io1 blocked1`.
readings=/tmp/lxcfs.readings
: >"$readings"
t=0
phase() {
	local kind=$1 i=0 line tasks
	case $kind in
	io) in_cgroup lx loadgen io 2 "$PHASE" /dev/nullb0 >/dev/null & ;;
	*) in_cgroup lx loadgen "$kind" 2 "$PHASE" >/dev/null & ;;
	esac
	tasks=$!
	while [ "$i" -lt $((PHASE / 5)) ]; do
		# Right after one of the module's samples, so that the reader is never in the cgroup at
		# one: the module's counts there stay those of the phase's tasks, and its split exact.
		take_history /tmp/lx.h
		wait_samples /tmp/lx.h 1
		i=$((i + 1)) t=$((t + 5))
		# Six fields a line once r/n is split: LXCFS 1-6, the module's all 7-12, cpu 13-18,
		# io 19-24, blocked 25-30.
		set -- $(read_both | tr '/' ' ')
		line="$t $kind $1 $4 $7 ${10} ${13} ${19} ${25}"
		echo "$line" >>"$readings"
		echo "# $line"
	done
	wait "$tasks"
}
echo "# t kind lxcfs running | module all running | cpu io blocked"
phase cpu
phase io
phase uninterruptible
kill "$(cat /tmp/lxcfs.pid)"
# LXCFS unmounts itself as it ends (give it 5 s).
tries=0
while grep -q ' /var/lib/lxcfs ' /proc/mounts && [ "$tries" -lt 50 ]; do
	sleep 0.1
	tries=$((tries + 1))
done
check "LXCFS ends on SIGTERM, unmounted" sh -c "! grep -q ' /var/lib/lxcfs ' /proc/mounts"

n=$(awk '{ if ($4 > n) n = $4; if ($6 > n) n = $6 } END { print n + 0 }' "$readings")
set -- $(awk -v n="$n" '
	{ d = $3 - $5; if (d < 0) d = -d; if (d > max) max = d
	  if (d <= n * 164 / 2048 + 0.02 + 1e-9) ok++; total++ }
	END { printf "%d %d %.2f %.3f\n", ok, total, max, n * 164 / 2048 + 0.02 }' "$readings")
check "LXCFS and the module agree on the cgroup's R + D within one sample's step ($1 of $2 readings; largest gap $3, bound $4 for N = $n)" \
	test "$1" -eq "$2" -a "$2" -eq $((3 * (PHASE / 5)))
# What only the module tells, exactly: busy loops are no IO and no lock wait (io and blocked
# stay 0.00 through the first phase); disk readers wait in iowait, not on locks (blocked still
# 0.00 through the second) and make io; vfork parents make blocked. LXCFS has one figure for all.
# zero_in KIND COLUMN...: every reading of the KIND phase shows 0.00 in each COLUMN.
zero_in() {
	local k=$1
	shift
	awk -v k="$k" -v cols="$*" 'BEGIN { n = split(cols, c, " ") }
		$2 == k { for (i = 1; i <= n; i++) if ($(c[i]) != "0.00") bad++ } END { exit bad > 0 }' "$readings"
}
# last_of KIND COLUMN: COLUMN of the last reading of the KIND phase.
last_of() { awk -v k="$1" -v c="$2" '$2 == k { v = $c } END { print v }' "$readings"; }
# Columns of a reading: 7 cpu, 8 io, 9 blocked.
check "busy loops: the module's io and blocked stay 0.00 (cpu $(last_of cpu 7) at the end)" \
	zero_in cpu 8 9
check "disk readers: its blocked stays 0.00" zero_in io 9
check "and its io shows them ($(last_of io 8) at the end)" test "$(last_of io 8)" != 0.00
check "vfork parents: its blocked shows them ($(last_of uninterruptible 9) at the end)" \
	test "$(last_of uninterruptible 9)" != 0.00
rmdir "$cg/lx"
check "module unloads" unload
finish
