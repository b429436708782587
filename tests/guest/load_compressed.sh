# SPDX-License-Identifier: GPL-2.0
# The averages follow the formula, in compressed time: a 100 ms period and windows of 2, 10 and
# 30 s (so 20 samples make one "minute"). Idle, then 2 busy loops, then idle again: `cpu`,
# `all` and `cpuio` rise and fall as N + (L0 - N) * e^(-k * period / window) says, for the k
# samples the table reports; `io` and `blocked` stay at zero.
. /tests/lib.sh

P=100 W1=2000 W2=10000 W3=30000
# Tolerance: two-decimal rounding, the fixed-point steps (the kernel's calc_load rounds up on
# the way up), and the odd kernel thread or test command that is running at a sample: with both
# CPUs saturated by the busy loops, any task that wakes waits on a runqueue, and counts.
TOL=0.12

# follows ACCOUNTING N L0 K0 WINDOW COLUMN: the average now is what N tasks since sample K0,
# from L0, give.
follows() {
	a=$1 n=$2 l0=$3 k0=$4 w=$5 col=$6
	now=$(snap_avg "$a" "$col") k=$(snap_value samples)
	want=$(expected_load "$n" "$l0" $((k - k0)) "$P" "$w")
	check "$a avg over ${w} ms: $now after $((k - k0)) samples of $n from $l0, formula $want" \
		approx "$now" "$want" "$TOL"
}

check "module loads with period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3" \
	load period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3
check "period in ticks is ceil(100 ms * HZ) + 1 = 26" test "$(table_value period_ticks)" = 26
check "the kernel row is left out when the windows are not the kernel's" \
	sh -c "! grep -q '^kernel ' /proc/$TABLE_FILE"

# Sampling keeps its period: 5 s of guest time is 5000 / 104 = 48 samples.
snapshot
k0=$(snap_value samples) up0=$SNAP_UPTIME
sleep 5
snapshot
on_period "idle" "$k0" "$up0"
check "no window needed catching up" test "$(snap_value windows_caught_up)" = 0
check "a window per sample" test "$(snap_value windows)" = "$(snap_value samples)"
check "the sampler counts the threads ($(snap_value threads))" below 10 "$(snap_value threads)"
check "the walk's time is measured ($(snap_value max_sample_ns) ns at most)" below 0 "$(snap_value max_sample_ns)"

# Idle.
snapshot
for a in cpu cpuio all; do
	check "idle: $a stays near zero ($(snap_avg $a 1))" below "$(snap_avg $a 1)" 0.3
done
for a in io blocked; do
	check "idle: $a stays at zero ($(snap_avg $a 1))" below "$(snap_avg $a 1)" 0.05
done

# Two busy loops, for 6 s, left alone.
l1=$(snap_avg cpu 1) l2=$(snap_avg cpu 2) k0=$(snap_value samples)
busy 2
sleep 6
snapshot
check "busy: 2 runnable tasks (+2) counted now ($(snap_active cpu))" in_range "$(snap_active cpu)" 2 4
follows cpu 2 "$l1" "$k0" $W1 1
follows cpu 2 "$l2" "$k0" $W2 2
for a in all cpuio; do
	check "busy: $a ($(snap_avg $a 1)) is cpu ($(snap_avg cpu 1))" \
		approx "$(snap_avg $a 1)" "$(snap_avg cpu 1)" 0.1
done
for a in io blocked; do
	check "busy: $a stays at zero ($(snap_avg $a 1))" below "$(snap_avg $a 1)" 0.05
done
read -r cpu_line </proc/loadavg_cpu
snapshot
check "busy: /proc/loadavg_cpu's 1-minute field is the table's ($cpu_line)" \
	test "${cpu_line%% *}" = "$(snap_avg cpu 1)"

# Idle again: the averages decay.
l1=$(snap_avg cpu 1) l3=$(snap_avg cpu 3) k0=$(snap_value samples)
stop_busy
sleep 4
snapshot
follows cpu 0 "$l1" "$k0" $W1 1
follows cpu 0 "$l3" "$k0" $W3 3
check "module unloads" unload
finish
