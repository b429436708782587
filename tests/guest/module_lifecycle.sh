# SPDX-License-Identifier: GPL-2.0
# The module's life: it loads, makes its files read-only and in /proc/loadavg's format,
# refuses writes without changing anything, rejects bad parameters with a message naming them,
# goes away with its files, and loads again.
. /tests/lib.sh

# Loading.
check "module loads with the defaults" load
check "module is listed in /proc/modules" loaded
check "loading twice fails" sh -c "! insmod $MODULE 2>/dev/null"
check "module says it runs with the kernel's LOAD_FREQ and 1/5/15 minutes" \
	log_has 'loadavg_rs: sampling every 5000 ms (1251 ticks), windows 60000 300000 900000 ms'
# walker_policy: the walker thread's scheduling policy (/proc/PID/stat field 41: 0 normal,
# 1 SCHED_FIFO); its priority (field 18): -2 for FIFO 1, 20 for nice 0.
walker_policy() {
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" != loadavg_rs ] || awk '{ print $41, $18 }' "$p/stat"
	done
}
check "the walker is SCHED_FIFO at the lowest priority ($(walker_policy))" test "$(walker_policy)" = "1 -2"

# The files.
for f in $LOADAVG_FILES $TABLE_FILE $SAMPLES_FILE; do
	check "/proc/$f exists" test -f "/proc/$f"
	mode=$(stat -c %a "/proc/$f")
	check "/proc/$f is read-only for everyone (0444, got $mode)" test "$mode" = 444
done
check "/proc/loadavg itself matches the format" matches "$(cat /proc/loadavg)" "$LOADAVG_RE"
for f in $LOADAVG_FILES; do
	text=$(cat "/proc/$f")
	lines=$(cat "/proc/$f" | wc -l)
	check "/proc/$f reads like /proc/loadavg ('$text')" matches "$text" "$LOADAVG_RE"
	check "/proc/$f is one line" test "$lines" -eq 1
	# Field 5 is the last PID, as in /proc/loadavg: both read by the shell itself, without a
	# fork (which would use up a PID) in between. A kernel thread may be made between the two
	# reads (it takes a PID too): read /proc/loadavg again after, and compare only when it did
	# not move.
	try=0
	while :; do
		read -r kernel </proc/loadavg
		read -r ours <"/proc/$f"
		read -r again </proc/loadavg
		[ "${kernel##* }" != "${again##* }" ] && [ "$try" -lt 10 ] || break
		try=$((try + 1))
	done
	check "/proc/$f's last PID is /proc/loadavg's (${ours##* }, ${kernel##* } before, ${again##* } after)" \
		test "${kernel##* }" = "${ours##* }" -a "${kernel##* }" = "${again##* }"
done
check "/proc/$TABLE_FILE has a row per accounting" \
	sh -c "for a in cpu io all cpuio blocked kernel; do grep -q \"^\$a \" /proc/$TABLE_FILE || exit 1; done"
check "/proc/$TABLE_FILE shows the period" test "$(table_value period_ms)" = 5000
check "/proc/$TABLE_FILE shows the period in ticks (5 s + 1 tick at HZ=250)" test "$(table_value period_ticks)" = 1251

# Writes fail, and change nothing. The file is read before and after the writes, and the pair
# is taken again if a sample fell in between (still_pair): then any change is the writes'.
writes() {
	# Fields 1 to 4: field 5, the last PID, moves with every command run.
	before=$(cut -d' ' -f1-4 "/proc/$f")
	err=$( (echo 9.99 >"/proc/$f") 2>&1) && wrote=yes || wrote=no
	err2=$( (: >"/proc/$f") 2>&1) && truncated=yes || truncated=no
	after=$(cut -d' ' -f1-4 "/proc/$f")
}
for f in $LOADAVG_FILES $TABLE_FILE $SAMPLES_FILE; do
	still_pair writes
	check "writing /proc/$f fails ($err)" test "$wrote" = no
	check "the write error is 'Operation not permitted'" contains "$err" 'Operation not permitted'
	check "truncating /proc/$f fails ($err2)" test "$truncated" = no
	check "/proc/$f is unchanged by the writes (no sample between the reads: $still)" \
		test "$still" = yes -a "$before" = "$after"
done

# chmod: procfs lets root change any entry's mode bits (/proc/loadavg's too), and offers a
# module no way to refuse it. The mode is cosmetic here: writes still fail, nothing changes.
chmod 666 /proc/loadavg_cpu 2>/dev/null
echo "# after chmod 666: mode $(stat -c %a /proc/loadavg_cpu)"
f=loadavg_cpu
still_pair writes
check "after chmod 666, writing /proc/loadavg_cpu still fails ($err)" test "$wrote" = no
check "and /proc/loadavg_cpu is unchanged (no sample between the reads: $still)" \
	test "$still" = yes -a "$before" = "$after"
chmod 444 /proc/loadavg_cpu 2>/dev/null

# Unloading removes the files; loading again brings them back.
check "module unloads" unload
for f in $LOADAVG_FILES $TABLE_FILE $SAMPLES_FILE; do
	check "/proc/$f is gone after rmmod" test ! -e "/proc/$f"
done
check "module loads again" load
check "/proc/loadavg_cpu is back" test -f /proc/loadavg_cpu
check "module unloads again" unload

# Bad parameters: insmod fails with EINVAL, the message names parameter, value and range, and
# nothing is left behind.
bad_param() {
	param=$1 value=$2 want=$3
	dmesg -c >/dev/null
	err=$(insmod "$MODULE" "$param=$value" 2>&1) && loaded_ok=yes || loaded_ok=no
	check "$param=$value is refused" test "$loaded_ok" = no
	check "$param=$value: insmod says 'Invalid argument'" contains "$err" 'Invalid argument'
	check "$param=$value: the kernel log names it ($want)" log_has "$want"
	check "$param=$value: no file is left" test ! -e /proc/loadavg_cpu
	loaded && unload
}
check "module loads with walker_fifo=0" load walker_fifo=0 period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000
check "its walker is a normal task at nice 0 ($(walker_policy))" test "$(walker_policy)" = "0 20"
# 1 s holds 9 periods of 104 ms: an idle guest takes them all, a starved one at least one.
take_history /tmp/wf0
sleep 1
take_history /tmp/wf1
check "and it samples ($(($(hval /tmp/wf1 samples) - $(hval /tmp/wf0 samples))) in 1 s)" \
	test "$(hval /tmp/wf1 samples)" -gt "$(hval /tmp/wf0 samples)"
unload
bad_param period_ms 0 "period_ms=0 is out of range: it must be in 10..=600000"
bad_param period_ms 9 "period_ms=9 is out of range: it must be in 10..=600000"
bad_param period_ms 600001 "period_ms=600001 is out of range: it must be in 10..=600000"
bad_param period_ms 4294967295 "period_ms=4294967295 is out of range"
# The shortest window is the real period between samples: 1251 ticks at HZ=250, 5004 ms.
bad_param window1_ms 5003 "window1_ms=5003 is out of range: it must be in 5004..="
bad_param window2_ms 0 "window2_ms=0 is out of range: it must be in 5004..="
bad_param window3_ms 4294967295 "window3_ms=4294967295 is out of range: it must be in 5004..="
bad_param walker_fifo 2 "walker_fifo=2 is out of range: it must be in 0..=1"
bad_param metrics_cgroups 65537 "metrics_cgroups=65537 is out of range: it must be in 0..=65536"
# Not a number for a u32: the kernel's parameter parser refuses it, naming value and parameter.
q='`'
bad_param period_ms -1 "${q}-1' invalid for parameter ${q}period_ms'"
bad_param window1_ms abc "${q}abc' invalid for parameter ${q}window1_ms'"
bad_param period_ms 4294967296 "${q}4294967296' invalid for parameter ${q}period_ms'"
# An unknown parameter is the kernel's business: it loads, with a warning.
dmesg -c >/dev/null
check "an unknown parameter is ignored" load nonsense=1
check "with a warning" log_has "unknown parameter 'nonsense' ignored"
loaded && unload
check "the module loads after the refusals" load
check "and unloads" unload
finish
