# SPDX-License-Identifier: GPL-2.0
# Windows the sampler misses are caught up exactly as the kernel catches up its own: one
# calc_load() step, then calc_load_n() for the rest, never as if no time had passed.
#
# The module's test_hold_ms parameter holds the first sample back: with a 1.004 s period (251
# ticks) and a 5.05 s hold, the first sample comes at about 5.05 s and closes the 5 windows
# that ended at 1.004 ... 5.020 s, 4 of them caught up at once; the second comes at 6.03 s.
# All 5 windows get the count of that one sample, whatever it is, so the averages after it are
# exactly what the kernel's arithmetic (LOAD_AWK) gives for that count.
. /tests/lib.sh

P=1000 W1=20000 W2=100000 W3=300000 HOLD=5050
busy 1
check "module loads with test_hold_ms=$HOLD" \
	load period_ms=$P window1_ms=$W1 window2_ms=$W2 window3_ms=$W3 test_hold_ms=$HOLD
# Read between the first sample and the second. Until close to the first, just sleep; then poll
# with shell builtins only, no fork.
sleep 4.5
# Sets $n to the samples taken so far.
samples_now() {
	n=0
	while read -r key value rest; do
		[ "$key" != samples ] || n=$value
	done </proc/$TABLE_FILE
}
i=0
while samples_now && [ "$n" -lt 1 ] && [ "$i" -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
table=$(cat /proc/$TABLE_FILE)
echo "$table" | sed 's/^/# /'
samples=$(echo "$table" | awk '$1 == "samples" { print $2 }')
windows=$(echo "$table" | awk '$1 == "windows" { print $2 }')
caught=$(echo "$table" | awk '$1 == "windows_caught_up" { print $2 }')
check "one sample taken (got $samples)" test "$samples" -eq 1
check "the held-back sample closed 5 windows (+-1): $windows" in_range "$windows" 4 6
check "all but one of them caught up at once ($caught)" test "$caught" -eq $((windows - 1))

for a in cpu all; do
	n=$(echo "$table" | awk -v a="$a" '$1 == a { print $5 }')
	[ "$a" = all ] || check "the busy loop counted ($n runnable)" test "$n" -ge 1
	for col in 1 2 3; do
		eval "w=\$W$col"
		got=$(echo "$table" | awk -v a="$a" -v c="$col" '$1 == a { print $(c + 1) }')
		want=$(awk -v p=$P -v w="$w" -v n="$caught" -v c="$n" "$LOAD_AWK"'
			BEGIN { e = decay(p, w); print shown(calc_load_n(calc_load(0, e, c * 2048), e, c * 2048, n)) }')
		naive=$(awk -v p=$P -v w="$w" -v c="$n" "$LOAD_AWK"'
			BEGIN { print shown(calc_load(0, decay(p, w), c * 2048)) }')
		check "$a over $w ms: $got is the kernel's catch-up of $n tasks, calc_load_n over $caught windows: $want" \
			test "$got" = "$want"
		[ "$col" -ne 1 ] || check "and not $naive, as if the missed windows had not passed" \
			test "$got" != "$naive"
	done
done
stop_busy
check "module unloads" unload
check "test_hold_ms beyond 600000 is refused" sh -c "! insmod $MODULE test_hold_ms=600001 2>/dev/null"
check "with a message naming it" log_has "test_hold_ms=600001 is out of range: it must be in 0..=600000"
finish
