# SPDX-License-Identifier: GPL-2.0
# Windows the sampler misses are caught up exactly as the kernel catches up its own: one
# calc_load() step, then calc_load_n() for the rest, never as if no time had passed.
#
# The module's test_hold_ms parameter holds the timer back once, after the first sample: with
# a 1.004 s period (251 ticks) and a 5.05 s hold, the second sample comes at about 6.05 s and
# closes the 5 windows that ended at 2.008 ... 6.024 s, 4 of them caught up at once; the third
# comes a second later. With 2 busy
# loops running all along, the averages after it are what the kernel's arithmetic (LOAD_AWK)
# gives for the windows the table says were closed.
. /tests/lib.sh

P=1000 W1=20000 W2=100000 W3=300000 HOLD=5050
busy 2
sleep 1
check "module loads with test_hold_ms=$HOLD" \
	load period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3 test_hold_ms=$HOLD
# Read between the second sample and the third. Until close to the second, just sleep (a polling
# command could be counted); then poll with shell builtins only, no fork.
sleep 5
# Sets $n to the samples taken so far.
samples_now() {
	n=0
	while read -r key value rest; do
		[ "$key" != samples ] || n=$value
	done </proc/$TABLE_FILE
}
i=0
while samples_now && [ "$n" -lt 2 ] && [ "$i" -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
table=$(cat /proc/$TABLE_FILE)
echo "$table" | sed 's/^/# /'
samples=$(echo "$table" | awk '$1 == "samples" { print $2 }')
windows=$(echo "$table" | awk '$1 == "windows" { print $2 }')
caught=$(echo "$table" | awk '$1 == "windows_caught_up" { print $2 }')
n_cpu=$(echo "$table" | awk '$1 == "cpu" { print $5 }')
check "two samples taken (got $samples)" test "$samples" -eq 2
check "the held-back sample closed 5 windows (+-1): $((windows - 1))" in_range $((windows - 1)) 4 6
check "all but one of them caught up at once ($caught)" test "$caught" -eq $((windows - 2))
check "2 busy loops counted (got $n_cpu)" test "$n_cpu" -eq 2

# Sample 1 closed one window, sample 2 one more plus `caught` caught up, all with 2 tasks.
for col in 1 2 3; do
	eval "w=\$W$col"
	got=$(echo "$table" | awk -v c="$col" '$1 == "cpu" { print $(c + 1) }')
	want=$(awk -v p=$P -v w="$w" -v n="$caught" "$LOAD_AWK"'
		BEGIN { e = decay(p, w); a = 2 * 2048
			print shown(calc_load_n(calc_load(calc_load(0, e, a), e, a), e, a, n)) }')
	naive=$(awk -v p=$P -v w="$w" "$LOAD_AWK"'
		BEGIN { e = decay(p, w); a = 2 * 2048; print shown(calc_load(calc_load(0, e, a), e, a)) }')
	check "window $w ms: $got is the kernel's catch-up, calc_load_n over $caught windows: $want" \
		test "$got" = "$want"
	[ "$col" -ne 1 ] || check "and not $naive, as if the missed windows had not passed" \
		test "$got" != "$naive"
done
stop_busy
check "module unloads" unload
check "test_hold_ms beyond 600000 is refused" sh -c "! insmod $MODULE test_hold_ms=600001 2>/dev/null"
check "with a message naming it" log_has "test_hold_ms=600001 is out of range: it must be in 0..=600000"
finish
