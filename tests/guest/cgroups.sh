# SPDX-License-Identifier: GPL-2.0
# Load per cgroup (v2): /proc/loadavg_rs_cgroups and the reader's own /proc/loadavg_cgroup*.
#
# Cgroups A, A/x, B, C; 2 busy loops in A/x, a direct-IO reader in B, 2 vfork parents in D in
# C, each under its loadgen parent, which sleeps in waitpid(). All start before the module
# loads, so every cgroup is tracked from the first sample with its tasks in place. Exact by
# construction, at every sample the test reads:
#
# - nothing but the test's tasks is ever in these cgroups, so their counts are exactly the
#   tasks: A/x and A: 2 runnable, 3 threads; C: 2 blocked, 5 threads (loadgen, 2 vfork parents,
#   2 sleeping children); B: 2 threads, and its reader in io, or, between two requests, in cpu,
#   or delayed (so io + cpu + delayed = 1, io = 1 at some sample);
# - the root's counts are the global ones of the same sample, and its averages the global
#   averages, since they are made from the same walk;
# - A/x's averages are the kernel's arithmetic over 2 tasks at every sample since the first,
#   with the windows each sample closed (from /proc/loadavg_rs_samples).
# Then: a loop moved from A/x to B moves its count; C removed (its tasks killed) leaves the
# table at the next sample; a reader in A/x reads its own cgroup in /proc/loadavg's format, and
# so does `cat /proc/loadavg` in a mount namespace where that file is bind-mounted over it;
# cgroups named with bytes that are not UTF-8, a backslash, a tab read escaped, the same text
# in the table and in the metrics.
. /tests/lib.sh

cg=/sys/fs/cgroup
mkdir -p "$cg"
if ! mount -t cgroup2 none "$cg" 2>/dev/null; then
	skip "load per cgroup" "this kernel has no cgroup v2 (CONFIG_CGROUPS)"
	finish
fi
if ! has_slow_disk; then
	skip "load per cgroup (its IO reader)" "$NO_SLOW_DISK"
	umount "$cg"
	finish
fi
mkdir -p "$cg/A/x" "$cg/B" "$cg/C"
slow_disk 100 || fail "null_blk" "the slow disk did not come up"
# in_cgroup DIR CMD...: runs CMD in cgroup DIR (the shell moves itself there, then becomes it).
in_cgroup() {
	local dir=$1
	shift
	sh -c "echo \$\$ > $cg/$dir/cgroup.procs && exec $*"
}
LIFE=3600
in_cgroup A/x loadgen cpu 2 $LIFE >/tmp/started.ax &
in_cgroup B loadgen io 1 $LIFE /dev/nullb0 >/tmp/started.b &
in_cgroup C loadgen uninterruptible 2 $LIFE >/tmp/started.c &
c_parent=$!
ax_pids=$(wait_started /tmp/started.ax)
wait_state D $(wait_started /tmp/started.b)
wait_state D $(wait_started /tmp/started.c)
wait_state S "$c_parent"
check "module loads with a 100 ms period" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000

# The table is read by its header's column names (fields, lib.sh). COUNTS: the counts the checks
# of a row read; AVGS: every definition's averages, over the windows of this load.
COUNTS="threads cpu io all cpuio blocked"
AVGS=$(for a in $ACCOUNTINGS; do printf '%s_2s %s_10s %s_30s ' "$a" "$a" "$a"; done)
# row FILE PATH: the row of cgroup PATH in a copy of the table.
row() { [ -n "$(fields "$1" "$2" threads)" ] && fields "$1" "$2" $COUNTS; }
# take_pair T H: the cgroup table between two readings of the samples file, H.0 and H. The
# table shows one sample whole, and H, read a moment later, still holds its record and every
# one since H.0 (it keeps 64, 6.4 s of samples at this period; the three reads are a `cat`
# apart): the table is checked against that record, and against the averages that sample left,
# replayed from H.0's (fixed_at), whatever samples the two readings show.
take_pair() {
	take_history "$2.0"
	cat /proc/loadavg_rs_cgroups >"$1"
	take_history "$2"
}

# Every sample the test manages to read, up to 30 of them, each checked on its own.
seen=0 last=0 bad=0 io_b=0 first_pair=
while [ "$seen" -lt 30 ]; do
	take_pair /tmp/t /tmp/h
	k=$(hval /tmp/t sample)
	[ "$k" -gt "$last" ] || continue
	last=$k seen=$((seen + 1))
	[ -n "$first_pair" ] || { cp /tmp/t /tmp/t_first && cp /tmp/h.0 /tmp/h_first.0 && cp /tmp/h /tmp/h_first && first_pair=$k; }
	ax=$(row /tmp/t /A/x)
	a=$(row /tmp/t /A)
	# B's reader: in io, or in cpu between two requests, or in delayed (blocked while EEVDF owed
	# the others CPU time, until its dequeue completes); in all and not blocked whichever.
	set -- $(fields /tmp/t /B threads cpu io delayed all blocked) &&
		b_threads=$1 b_cpu_io=$(($2 + $3 + $4)) b_io=$3 b_rest="$5 $6"
	c=$(row /tmp/t /C)
	root=$(fields /tmp/t / threads $ACCOUNTINGS throttled delayed)
	global=$(for n in threads $ACCOUNTINGS throttled delayed; do record_value /tmp/h "$k" "$n"; done | xargs)
	[ "$b_io" -eq 0 ] || io_b=$((io_b + 1))
	# threads cpu io all cpuio blocked
	if [ "$ax" != "3 2 0 2 2 0" ] || [ "$a" != "$ax" ] || [ "$c" != "5 0 0 2 0 2" ] ||
		[ "$b_threads $b_cpu_io $b_rest" != "2 1 1 0" ] || [ "$root" != "$global" ]; then
		bad=$((bad + 1))
		echo "# sample $k: A/x $ax | A $a | B $b_threads $b_cpu_io $b_rest | C $c | / $root | global $global"
	fi
done
check "30 samples read: A/x and A count 2 of 3 threads runnable, B its reader (cpu + io + delayed = 1), C 2 blocked of 5, the root the global counts, at each ($bad not)" \
	test "$bad" -eq 0
check "B's reader waits for IO at some sample ($io_b of 30)" test "$io_b" -gt 0

sed 's/^/# table: /' /tmp/t_first

# The root's averages are the global ones, and A/x's the kernel's arithmetic over 2 tasks at
# every sample since its first (as each sample closed its windows).
root_avgs=$(fields /tmp/t_first / $AVGS)
global_avgs=$(shown $(for a in $ACCOUNTINGS; do for w in 1 2 3; do fixed_at /tmp/h_first.0 /tmp/h_first "$first_pair" "$a" $w; done; done))
check "the root's 15 averages are the global ones at sample $first_pair" test "$root_avgs" = "$global_avgs"
since=$(fields /tmp/t_first /A/x since)
set -- $(loadgen verify series /tmp/h_first 2 "$since" "$first_pair")
want="$(shown "$1" "$2" "$3") $4"
got=$(fields /tmp/t_first /A/x cpu_2s cpu_10s cpu_30s)
check "A/x's cpu averages ($got) are the kernel's arithmetic over 2 tasks from sample $since to $first_pair (${want% *}, over ${want##* } samples)" \
	test "$got" = "${want% *}" -a "$since" -ge 1 -a "${want##* }" -eq $((first_pair - since + 1))

# A loop moves from A/x to B: from the next sample on, A/x counts 1, B one more.
set -- $ax_pids
echo "$1" >"$cg/B/cgroup.procs"
take_history /tmp/m0
wait_samples /tmp/m0 2
take_pair /tmp/t /tmp/h
set -- $(fields /tmp/t /A/x threads cpu)
check "after the move, A/x counts 1 runnable of 2 threads ($1 threads, cpu $2)" test "$1 $2" = "2 1"
set -- $(fields /tmp/t /B threads cpu io delayed)
check "and B 3 threads, the loop runnable besides the reader ($1 threads, cpu + io + delayed $(($2 + $3 + $4)))" test "$1" -eq 3 -a $(($2 + $3 + $4)) -eq 2

# C removed while sampled: its tasks killed, the cgroup removed; gone at the next sample.
tracked0=$(hval /tmp/t cgroups_tracked)
kill -KILL "$c_parent" $(cat "$cg/C/cgroup.procs") 2>/dev/null
while [ -n "$(cat "$cg/C/cgroup.procs")" ]; do sleep 0.1; done
check "C is removed" rmdir "$cg/C"
take_history /tmp/m0
wait_samples /tmp/m0 2
take_pair /tmp/t /tmp/h
check "its row is gone ($(row /tmp/t /C | wc -l) left), one cgroup fewer tracked ($(hval /tmp/t cgroups_tracked) of $tracked0)" \
	test -z "$(row /tmp/t /C)" -a "$(hval /tmp/t cgroups_tracked)" -eq $((tracked0 - 1))

# Pressure beside the load: each row's six figures are what the cgroup's cpu.pressure and
# io.pressure show (`some` over 10, 60, 300 s), digit for digit (the root's are the system's,
# which a module cannot reach: `-`). The kernel updates the averages every 2 s: the
# figures are read between two readings of the module's file, again until those are equal, so
# that no update fell between (one that left the printed figures as they were leaves them equal
# in the middle too).
# pressure_check NAME PATTERN SOURCE: SOURCE's figures (a command) are PATTERN's files'.
pressure_check() {
	local name=$1 pattern=$2 source=$3 before files after tries=0
	while :; do
		before=$(eval "$source")
		files=$(pressure_of "$pattern")
		after=$(eval "$source")
		[ "$before" != "$after" ] || break
		tries=$((tries + 1))
	done
	check "$name: '$before' = $(printf "$pattern" '{cpu,io}'): '$files' (read again $tries times)" test "$before" = "$files"
}
if [ -e /proc/pressure/cpu ]; then
	for p in /A/x /B; do
		pressure_check "$p's pressure" "$cg$p/%s.pressure" "fields /proc/loadavg_rs_cgroups $p psi_cpu_10s psi_cpu_60s psi_cpu_300s psi_io_10s psi_io_60s psi_io_300s"
	done
	echo "# pressure: A/x $(pressure_of "$cg/A/x/%s.pressure") | B $(pressure_of "$cg/B/%s.pressure") | system $(pressure_of /proc/pressure/%s)"
else
	skip "pressure beside the load" "this kernel has no PSI (CONFIG_PSI)"
fi

# A reader in A/x: /proc/loadavg_cgroup is A/x's line, and so is /proc/loadavg in a mount
# namespace with that file bind-mounted over it, as in a container. The reader takes the table
# just before and just after its read, again until no sample fell between (its own processes
# count in A/x at a sample that falls while it runs: the table read before says what was
# counted).
cat >/tmp/reader.sh <<'EOF'
while :; do
	cat /proc/loadavg_rs_cgroups >/tmp/ra
	out=$(eval "$1")
	cat /proc/loadavg_rs_cgroups >/tmp/rb
	read -r a </tmp/ra
	read -r b </tmp/rb
	[ "$a" != "$b" ] || break
done
echo "$out"
EOF
# read_as_ax CMD ACCOUNTING: runs CMD in A/x; checks its line is A/x's ACCOUNTING.
read_as_ax() {
	local line want
	line=$(in_cgroup A/x sh /tmp/reader.sh "'$1'")
	set -- "$@" $(fields /tmp/ra /A/x "${2}_2s" "${2}_10s" "${2}_30s" "$2" threads)
	want="$3 $4 $5 $6/$7"
	check "in A/x, '$1' reads A/x's $2: '$line' starts '$want'" matches "$line" "^$want [0-9]+\$"
}
read_as_ax "cat /proc/loadavg_cgroup" all
read_as_ax "cat /proc/loadavg_cgroup_cpu" cpu
read_as_ax "unshare -m sh -c \"mount --bind /proc/loadavg_cgroup /proc/loadavg && cat /proc/loadavg\"" all
echo "# /proc/loadavg in A/x, bind-mounted: $(in_cgroup A/x unshare -m sh -c "'mount --bind /proc/loadavg_cgroup /proc/loadavg && cat /proc/loadavg'"); the machine's: $(cat /proc/loadavg)"

# Names that anyone with a delegated cgroup may give: bytes that are not UTF-8, a backslash, a
# control character (a tab: cgroup_mkdir() refuses a newline). None is dropped or shown as `?`:
# the table prints each escaped (`\xNN` for such a byte, `\\` for a backslash), a row still one
# line, and the metrics' label holds the very same text (read back from the exposition's own
# escapes: `\\` for a backslash).
odd1=$(printf 'x\377y') odd2=$(printf 'back\\slash') odd3=$(printf 'tab\tname')
for name in "$odd1" "$odd2" "$odd3"; do
	mkdir "$cg/$name"
	# The name is an argument, never parsed by a shell.
	sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 3600' sh "$cg/$name" &
	while [ -z "$(cat "$cg/$name/cgroup.procs")" ]; do sleep 0.05; done
done
take_history /tmp/m0
wait_samples /tmp/m0 2
# Each file shows one sample whole; every sample from here on counts the same sleeping threads.
cat /proc/loadavg_rs_cgroups >/tmp/t
cat /proc/loadavg_rs_metrics >/tmp/metrics
check "every row is one line: $(paths /tmp/t | wc -l) paths for $(hval /tmp/t cgroups_tracked) cgroups tracked" \
	test "$(paths /tmp/t | wc -l)" -eq "$(hval /tmp/t cgroups_tracked)"
# label_threads PATH: the threads of the series whose cgroup label, read back, is PATH.
label_threads() {
	sed -n 's/^loadavg_rs_cgroup_threads{cgroup="\(.*\)",cgroupns="host"} \([0-9]*\)$/\2 \1/p' /tmp/metrics |
		sed 's/\\\\/\\/g' | p=$1 awk '{ v = $1; sub(/^[0-9]+ /, "") } $0 == ENVIRON["p"] { print v }'
}
for want in '/x\xffy' '/back\\slash' '/tab\x09name'; do
	check "the cgroup named $want is in the table so, its one thread counted ($(paths /tmp/t | grep -cxF -- "$want") row, $(field /tmp/t threads "$want") thread)" \
		test "$(paths /tmp/t | grep -cxF -- "$want")" -eq 1 -a "$(field /tmp/t threads "$want")" = 1
	check "and in the metrics, the same text as its label ($(label_threads "$want") thread)" \
		test "$(label_threads "$want")" = 1
done
for name in "$odd1" "$odd2" "$odd3"; do
	kill -KILL $(cat "$cg/$name/cgroup.procs") 2>/dev/null
	while [ -n "$(cat "$cg/$name/cgroup.procs")" ]; do sleep 0.05; done
	rmdir "$cg/$name"
done

# Room for one cgroup only (max_cgroups=1): the root, which then counts everything, and the
# table says how many threads it counted for cgroups without a slot: A/x's 2 (loadgen and
# the loop left there) and B's 3.
check "module unloads" unload
check "module loads with max_cgroups=1" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000 max_cgroups=1
take_history /tmp/m0
wait_samples /tmp/m0 1
take_pair /tmp/t /tmp/h
check "one cgroup tracked ($(hval /tmp/t cgroups_tracked)), the root, and 5 threads folded into it ($(hval /tmp/t folded_threads))" \
	test "$(hval /tmp/t cgroups_tracked)" -eq 1 -a "$(hval /tmp/t folded_threads)" -eq 5 -a -n "$(row /tmp/t /)"
check "module unloads" unload
check "module loads with max_cgroups=0" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000 max_cgroups=0
check "with max_cgroups=0 there are no cgroup files" test ! -e /proc/loadavg_rs_cgroups -a ! -e /proc/loadavg_cgroup

kill -KILL $(cat "$cg/A/x/cgroup.procs" "$cg/B/cgroup.procs") 2>/dev/null
while [ -n "$(cat "$cg/A/x/cgroup.procs" "$cg/B/cgroup.procs")" ]; do sleep 0.1; done
wait
rmdir "$cg/A/x" "$cg/A" "$cg/B"
check "module unloads" unload
umount "$cg"
finish
