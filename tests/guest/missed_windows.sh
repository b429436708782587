# SPDX-License-Identifier: GPL-2.0
# Windows the sampler misses are caught up exactly as the kernel catches up its own: one
# calc_load() step, then calc_load_n() for the rest, never as if no time had passed.
#
# The module's test_hold_ms parameter holds the first sample back: with a 1.004 s period (251
# ticks) and a 5.05 s hold, the first sample comes at least 5.05 s after loading (an hrtimer
# never fires early), when the windows that ended at 1.004 ... 5.020 s have all passed: it must
# close at least 5 windows, exactly 1 + (its lateness / the period). The first sample's record
# says how late it was and how many windows it closed, so nothing here depends on reading at
# the right moment.
. /tests/lib.sh

P=1000 W1=20000 W2=100000 W3=300000 HOLD=5050
busy 1
check "module loads with test_hold_ms=$HOLD" \
	load period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3 test_hold_ms=$HOLD
# Until the first sample, sleep; then read (no fork while polling: shell builtins only).
samples_now() {
	n=0
	while read -r key value rest; do
		[ "$key" != samples ] || n=$value
	done </proc/$SAMPLES_FILE
}
sleep 5
while samples_now && [ "$n" -lt 1 ]; do sleep 0.1; done
take_history /tmp/h1
sed 's/^/# /' /tmp/h1
# The state before the first sample: every average zero.
printf 'samples 0\nwindows 0\n' >/tmp/h0
for a in $ACCOUNTINGS; do echo "fixed $a 0 0 0" >>/tmp/h0; done

late=$(record_value /tmp/h1 1 late) closed=$(record_value /tmp/h1 1 closed) c=$(record_value /tmp/h1 1 cpu)
period=$(hval /tmp/h1 period_ticks)
# 5050 ms is 1262.5 ticks: the sample is at least 1262 ticks after loading (the load fell
# somewhere within a tick), 1011 after the first window's end at 251: 1 + 1011/251 = 5 windows.
check "the held-back sample closed at least 5 windows: $closed" test "${closed:-0}" -ge 5
check "exactly 1 + its lateness ($late ticks) / the period ($period ticks)" \
	test "$closed" -eq $((1 + late / period))
check "and the table counts the $((closed - 1)) caught up at once ($(table_value windows_caught_up))" \
	test "$(table_value windows_caught_up)" -ge $((closed - 1))
check "the busy loop counted at it ($c runnable)" test "${c:-0}" -ge 1
history_complete "catch-up" /tmp/h0 /tmp/h1
replay_exact "catch-up" /tmp/h0 /tmp/h1

# And not as if the missed windows had not passed: the first sample, counted as closing one
# window only, gives other averages (c >= 1 tasks, more than one window).
set -- $(loadgen verify series /tmp/h1 cpu 1 "$(hval /tmp/h1 samples)" --first-closes-one)
for col in 1 2 3; do
	naive=$1
	shift
	check "cpu's window $col: $(hfixed /tmp/h1 cpu "$col") is not $naive, as if the held-back sample closed one window" \
		test "$(hfixed /tmp/h1 cpu "$col")" != "$naive"
done
stop_busy
check "module unloads" unload
check "test_hold_ms beyond 600000 is refused" sh -c "! insmod $MODULE test_hold_ms=600001 2>/dev/null"
check "with a message naming it" log_has "test_hold_ms=600001 is out of range: it must be in 0..=600000"
finish
