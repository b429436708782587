# SPDX-License-Identifier: GPL-2.0
# Each kind of task alone, and mixed, counts where its definition says and nowhere else, and
# every average follows the formula. Compressed time: a 100 ms period, windows of 2, 10, 30 s.
#
#   kind                      cpu  io  all        cpuio  blocked
#   busy loop (R)             +1   .   +1         +1     .
#   direct IO reader (D, io)  .    +1  +1         +1     .
#   vfork parent (D, not io)  .    .   +1         .      +1
#   interruptible sleeper     .    .   .          .      .
. /tests/lib.sh

P=100 W1=2000 W2=10000 W3=30000
# Two-decimal rounding, fixed-point steps, and the odd command running at a sample.
TOL=0.08
# The tasks' deadline, far beyond the 5.5 s a scenario measures: they are killed after it.
LIFE=60

# scenario NAME CPU IO UNINTERRUPTIBLE SLEEPING
scenario() {
	name=$1 c=$2 i=$3 u=$4 s=$5
	echo "# scenario $name: $c busy, $i in IO, $u uninterruptible, $s sleeping"
	[ "$c" -eq 0 ] || loadgen cpu "$c" $LIFE >/dev/null &
	[ "$i" -eq 0 ] || loadgen io "$i" $LIFE /dev/nullb0 >/dev/null &
	[ "$u" -eq 0 ] || loadgen uninterruptible "$u" $LIFE >/dev/null &
	[ "$s" -eq 0 ] || loadgen sleep "$s" $LIFE >/dev/null &
	# Every task is in place well within a second; the samples after that count them all.
	sleep 1.5
	snapshot
	blocked_stat=$(awk '$1 == "procs_blocked" { print $2 }' /proc/stat)
	n_cpu=$(snap_active cpu) n_io=$(snap_active io) n_blocked=$(snap_active blocked)
	n_all=$(snap_active all) n_cpuio=$(snap_active cpuio)
	# `cpu` may see one more: a test command that happened to run at the sample.
	check "$name: cpu counts $c (+1) runnable, got $n_cpu" in_range "$n_cpu" "$c" $((c + 1))
	check "$name: io counts $i, got $n_io" test "$n_io" -eq "$i"
	check "$name: blocked counts $u, got $n_blocked" test "$n_blocked" -eq "$u"
	check "$name: all counts $((c + i + u)) (+1), got $n_all" in_range "$n_all" $((c + i + u)) $((c + i + u + 1))
	check "$name: cpuio counts $((c + i)) (+1), got $n_cpuio" in_range "$n_cpuio" $((c + i)) $((c + i + 1))
	check "$name: /proc/stat procs_blocked ($blocked_stat) is io's count" test "$blocked_stat" -eq "$n_io"
	# Averages: from this snapshot, over the next 4 s (about 38 samples), untouched.
	k0=$(snap_value samples) up0=$SNAP_UPTIME
	for a in cpu io all cpuio blocked; do
		eval "l0_$a=\$(snap_avg $a 1)"
	done
	sleep 4
	snapshot
	k=$(snap_value samples)
	on_period "$name" "$k0" "$up0"
	for a in cpu io all cpuio blocked; do
		case $a in
		cpu) n=$c ;;
		io) n=$i ;;
		all) n=$((c + i + u)) ;;
		cpuio) n=$((c + i)) ;;
		blocked) n=$u ;;
		esac
		eval "l0=\$l0_$a"
		now=$(snap_avg $a 1)
		want=$(expected_load "$n" "$l0" $((k - k0)) $P $W1)
		check "$name: $a average $now, formula $want ($n tasks, $((k - k0)) samples from $l0)" \
			approx "$now" "$want" "$TOL"
	done
	# End every task (vfork parents wait killably; IO readers die when their IO completes).
	killall -KILL loadgen 2>/dev/null
	wait
	while pidof loadgen >/dev/null; do sleep 0.1; done
}

check "a slow disk: null_blk completing each request after 100 ms" slow_disk 100
check "module loads with period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3" \
	load period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3
sleep 1
scenario "busy" 2 0 0 0
scenario "disk" 0 2 0 0
scenario "uninterruptible" 0 0 3 0
scenario "sleeping" 0 0 0 3
scenario "mixed" 1 2 1 2
check "module unloads" unload
finish
