# SPDX-License-Identifier: GPL-2.0
# The averages follow the kernel's arithmetic, in compressed time: a 100 ms period (26 ticks,
# 104 ms) and windows of 2, 10 and 30 s. Idle, then 2 busy loops, then idle again: over each
# phase the counts are exactly the tasks running (see scenarios.sh for why the minimum is the
# exact figure) and the averages are exactly calc_load() replayed over the recorded counts.
. /tests/lib.sh

P=100 W1=2000 W2=10000 W3=30000

check "module loads with period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3" \
	load period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3
check "period in ticks is ceil(100 ms * HZ) + 1 = 26" test "$(table_value period_ticks)" = 26
check "the kernel row is left out when the windows are not the kernel's" \
	sh -c "! grep -q '^kernel ' /proc/$TABLE_FILE"
# The decay factors are 2048 e^(-period / window) for the real period between samples, 26 ticks
# of 4 ms: 104 ms (`loadgen verify decay` computes e^-x apart from the module, in floating point).
take_history /tmp/h
want=$(loadgen verify decay 104 2000 10000 30000)
got=$(awk '$1 == "decay" { print $2, $3, $4 }' /tmp/h)
check "decay factors are those of the real period, 104 ms: $got = $want" test "$got" = "$want"

# Idle: nothing of the test's runs between the two readings but the shell reading the table.
take_history /tmp/h0
wait_samples /tmp/h0 30
take_history /tmp/h1
history_complete "idle" /tmp/h0 /tmp/h1
schedule_exact "idle" /tmp/h0 /tmp/h1
for a in $ACCOUNTINGS; do
	[ "$a" = io ] || counts_floor "idle" /tmp/h0 /tmp/h1 "$a" 0 "kernel threads and test commands can only add"
done
counts_ceiling "idle" /tmp/h0 /tmp/h1 io 0 "nothing waits for IO"
replay_exact "idle" /tmp/h0 /tmp/h1
check "the sampler counts the threads ($(table_value threads))" below 10 "$(table_value threads)"
check "the walk's time is measured ($(table_value walk_ns_max) ns at most)" below 0 "$(table_value walk_ns_max)"

# Two busy loops: forked, so on a runqueue, before the first reading.
busy 2
take_history /tmp/h0
wait_samples /tmp/h0 30
take_history /tmp/h1
history_complete "busy" /tmp/h0 /tmp/h1
schedule_exact "busy" /tmp/h0 /tmp/h1
for a in cpu all cpuio; do
	counts_floor "busy" /tmp/h0 /tmp/h1 "$a" 2
done
counts_floor "busy" /tmp/h0 /tmp/h1 blocked 0
counts_ceiling "busy" /tmp/h0 /tmp/h1 io 0 "nothing waits for IO"
replay_exact "busy" /tmp/h0 /tmp/h1
# /proc/loadavg_cpu prints what the table prints: two reads with no sample in between.
pair() {
	read -r before </proc/loadavg_cpu
	after=$(table_avg cpu 1)
}
still_pair pair
check "busy: /proc/loadavg_cpu's 1-minute field ($before) is the table's ($after), no sample between ($still, at try $tries)" \
	test "$still" = yes -a "${before%% *}" = "$after"

# Idle again: the averages decay, exactly.
stop_busy
take_history /tmp/h0
wait_samples /tmp/h0 30
take_history /tmp/h1
history_complete "decay" /tmp/h0 /tmp/h1
for a in cpu all cpuio blocked; do
	counts_floor "decay" /tmp/h0 /tmp/h1 "$a" 0
done
replay_exact "decay" /tmp/h0 /tmp/h1
check "decay: the 1-minute cpu average fell ($(hfixed /tmp/h0 cpu 1) -> $(hfixed /tmp/h1 cpu 1))" \
	test "$(hfixed /tmp/h1 cpu 1)" -lt "$(hfixed /tmp/h0 cpu 1)"
check "module unloads" unload
finish
