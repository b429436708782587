# SPDX-License-Identifier: GPL-2.0
# The averages follow the formula, in compressed time: a 100 ms period and windows of 2, 10 and
# 30 s (so 20 samples make one "minute"). Idle, then 2 busy loops, then idle again: `cpu`,
# `all` and `cpuio` rise and fall as N + (L0 - N) * e^(-k * period / window) says, for the k
# samples the table reports; `io` and `blocked` stay at zero.
. /tests/lib.sh

P=100 W1=2000 W2=10000 W3=30000
# Tolerance: two-decimal rounding, the fixed-point steps (the kernel's calc_load rounds up on
# the way up), and the odd kernel thread or test command that is running at a sample.
TOL=0.15

# wait_more N: waits for N more samples, at most 5 s per 10; fails the test if they do not come.
wait_more() {
	target=$(($(table_value samples) + $1))
	tries=0
	while [ "$(table_value samples)" -lt "$target" ]; do
		sleep 0.1
		tries=$((tries + 1))
		if [ "$tries" -gt $(($1 * 5)) ]; then
			fail "the sampler keeps sampling" "fewer than $1 samples in $(($1 / 2)) s"
			finish
		fi
	done
}

# follows ACCOUNTING N L0 K0 WINDOW COLUMN: the average now is what N tasks since sample K0,
# from L0, give.
follows() {
	a=$1 n=$2 l0=$3 k0=$4 w=$5 col=$6
	now=$(table_avg "$a" "$col") k=$(table_value samples)
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
k0=$(table_value samples)
sleep 5
k1=$(table_value samples)
check "48 +- 3 samples in 5 s (got $((k1 - k0)))" approx $((k1 - k0)) 48 3
check "no window needed catching up" test "$(table_value windows_caught_up)" = 0
check "a window per sample" test "$(table_value windows)" = "$(table_value samples)"
check "the sampler counts the threads" below 10 "$(table_value threads)"
check "sample time is reported" below 0 "$(table_value max_sample_ns)"

# Idle.
for a in cpu cpuio all; do
	check "idle: $a stays near zero ($(table_avg $a 1))" below "$(table_avg $a 1)" 0.3
done
for a in io blocked; do
	check "idle: $a stays at zero ($(table_avg $a 1))" below "$(table_avg $a 1)" 0.05
done

# Two busy loops.
l1=$(table_avg cpu 1) l2=$(table_avg cpu 2) k0=$(table_value samples)
busy 2
wait_more 60
check "busy: 2 runnable tasks or more counted now ($(table_value threads) threads)" \
	awk -v n="$(awk '$1 == "cpu" { print $5 }' /proc/$TABLE_FILE)" 'BEGIN { exit !(n >= 2) }'
follows cpu 2 "$l1" "$k0" $W1 1
follows cpu 2 "$l2" "$k0" $W2 2
for a in all cpuio; do
	check "busy: $a ($(table_avg $a 1)) is cpu ($(table_avg cpu 1))" \
		approx "$(table_avg $a 1)" "$(table_avg cpu 1)" 0.1
done
for a in io blocked; do
	check "busy: $a stays at zero ($(table_avg $a 1))" below "$(table_avg $a 1)" 0.05
done
cpu_line=$(line_of /proc/loadavg_cpu)
check "busy: /proc/loadavg_cpu's 1-minute field is the table's ($cpu_line)" \
	test "${cpu_line%% *}" = "$(table_avg cpu 1)"

# Idle again: the averages decay.
l1=$(table_avg cpu 1) l3=$(table_avg cpu 3) k0=$(table_value samples)
stop_busy
wait_more 40
follows cpu 0 "$l1" "$k0" $W1 1
follows cpu 0 "$l3" "$k0" $W3 3
check "module unloads" unload
finish
