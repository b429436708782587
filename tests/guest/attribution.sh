# SPDX-License-Identifier: GPL-2.0
# What the load is made of: /proc/loadavg_rs_top and /proc/loadavg_rs_stacks, on Gregg's
# experiment ("Linux Load Averages: Solving the Mystery") with known causes and known answers.
#
# Five processes, each alone in a cgroup of its own, started before the module loads, each under
# its loadgen parent (which sleeps in waitpid(), counted nowhere):
#
#   cgroup  process                          counts in           its site
#   R1, R2  a direct-IO reader of null_blk   io (all, cpuio)     the block read path
#   V1, V2  a vfork parent                   blocked (all)       the vfork wait
#   C       a busy loop                      cpu (all, cpuio)    the runqueue (process only)
#
# Exact by construction, at the sample the files are read at:
# - a process alone in its cgroup is counted by the same walk, from the same reads, in its
#   process's key and in its cgroup's row, which both start from zero: its 15 averages are its
#   cgroup's, digit for digit, whatever it did at each sample (a reader is runnable between two
#   requests, now and then);
# - the busy loop is runnable, and each vfork parent blocked, at every sample since its key was
#   made (`since` in its row): their averages are the kernel's arithmetic over one task from
#   that sample on, as each sample closed its windows (`loadgen verify series`), and a vfork
#   parent, at one stack all along, has the same average at its site in the stacks file, in
#   thousandths;
# - every counted task is in exactly one process row (or `[other]`): per definition the rows'
#   counts add up to the definition's count of the same sample, exactly; the first window's
#   averages of the stacks file's lines add up to the definition's within the rounding bound of
#   rust/model/attribution.rs (each line rounded to a thousandth besides).
# Then: a reader in a PID namespace of its own sees its own processes only, in both files,
# numbered by it; a root without CAP_SYS_ADMIN, or without CAP_SYS_PTRACE, cannot read the
# stacks; a process that exited shows no number in the top file, once its number is another's;
# a kernel thread blocked in a module's code is named there until the module is unloaded, then
# `[unknown]`, never an address nor the code of a module loaded there later; with 6 keys and 1
# unwind a sample, the tasks without a key count in [other] and the blocked ones past the first
# are not unwound, the counts still adding up; with attribute_keys=0 the files are not made.
. /tests/lib.sh

cg=/sys/fs/cgroup
mkdir -p "$cg"
if ! mount -t cgroup2 none "$cg" 2>/dev/null; then
	skip "load attribution" "this kernel has no cgroup v2 (CONFIG_CGROUPS)"
	finish
fi
if ! has_slow_disk; then
	skip "load attribution (its IO readers)" "$NO_SLOW_DISK"
	umount "$cg"
	finish
fi
slow_disk 100 || fail "null_blk" "the slow disk did not come up"
LIFE=3600
for c in R1 R2 V1 V2 C; do mkdir -p "$cg/$c"; done
# in_cgroup DIR CMD...: runs CMD in cgroup DIR (the shell moves itself there, then becomes it).
in_cgroup() {
	local dir=$1
	shift
	sh -c "echo \$\$ > $cg/$dir/cgroup.procs && exec $*"
}
in_cgroup R1 loadgen io 1 $LIFE /dev/nullb0 >/tmp/started.r1 &
in_cgroup R2 loadgen io 1 $LIFE /dev/nullb0 >/tmp/started.r2 &
in_cgroup V1 loadgen uninterruptible 1 $LIFE >/tmp/started.v1 &
in_cgroup V2 loadgen uninterruptible 1 $LIFE >/tmp/started.v2 &
in_cgroup C loadgen cpu 1 $LIFE >/tmp/started.c &
r1=$(wait_started /tmp/started.r1) r2=$(wait_started /tmp/started.r2)
v1=$(wait_started /tmp/started.v1) v2=$(wait_started /tmp/started.v2)
c1=$(wait_started /tmp/started.c)
wait_state D "$r1" "$r2" "$v1" "$v2"
# A 1 s period (windows of 20, 100 and 300 s): four files read at one sample take a few tries
# under emulation, and more on the debug kernel, where naming every frame of the stacks file is
# slow; the samples file's 64 records are a minute.
PARAMS="period_ms=1000 window1_ms=20000 window2_ms=100000 window3_ms=300000"
check "module loads with a 1 s period" load $PARAMS
check "/proc/loadavg_rs_top is readable by everyone (0444)" test "$(stat -c %a /proc/loadavg_rs_top)" = 444
check "/proc/loadavg_rs_stacks by root alone (0400)" test "$(stat -c %a /proc/loadavg_rs_stacks)" = 400

AVGS=$(for a in $ACCOUNTINGS; do printf '%s_20s %s_100s %s_300s ' "$a" "$a" "$a"; done)
# top_fields TOP PID COLUMN...: the COLUMNs of process PID's row in a copy of the top file.
top_fields() {
	local t=$1 p=$2
	shift 2
	awk -v names="$*" -v p="$p" '
		$1 == "pid" { for (i = 1; i <= NF; i++) col[$i] = i; k = split(names, want, " "); next }
		k && $1 == p { line = ""; for (i = 1; i <= k; i++) line = line (i > 1 ? " " : "") $(col[want[i]]); print line }' "$t"
}
# top_sum TOP DEFINITION: the sum of every row's count in DEFINITION.
top_sum() {
	awk -v d="$2" '$1 == "pid" { c = 0; for (i = 1; i <= NF; i++) if ($i == d) c = i; next }
		c { s += $c } END { print s + 0 }' "$1"
}
# take_all: the top file, the stacks, the cgroup table and the samples, all of one sample (the
# top file read before and after the others shows the same sample).
take_all() {
	while :; do
		cat /proc/loadavg_rs_top >/tmp/top
		cat /proc/loadavg_rs_stacks >/tmp/stacks
		cat /proc/loadavg_rs_cgroups >/tmp/cgroups
		take_history /tmp/h
		cat /proc/loadavg_rs_top >/tmp/top2
		k=$(hval /tmp/top sample)
		[ "$k" -gt 0 ] && [ "$k" = "$(hval /tmp/top2 sample)" ] && [ "$k" = "$(hval /tmp/h samples)" ] &&
			[ "$k" = "$(hval /tmp/cgroups sample)" ] && return
	done
}
# 12 samples, then the files, read at one sample: the five keys were made at the first sample,
# and their whole history must be within the 64 records the samples file keeps.
take_history /tmp/h0
wait_samples /tmp/h0 12
take_all
check "the files were read at sample $k, within the samples file's 64 records" test "$k" -le 64
sed 's/^/# top: /' /tmp/top
sed 's/^/# stacks: /' /tmp/stacks
check "the test kernel unwinds stacks (CONFIG_STACKTRACE): 'stacks $(hval /tmp/top stacks)'" \
	test "$(hval /tmp/top stacks)" = yes

for p in $r1 $r2 $v1 $v2 $c1; do
	check "process $p has a row, named loadgen" test "$(top_fields /tmp/top "$p" comm)" = loadgen
done
for pair in "$r1 /R1" "$r2 /R2" "$v1 /V1" "$v2 /V2" "$c1 /C"; do
	set -- $pair
	got=$(top_fields /tmp/top "$1" $AVGS)
	want=$(fields /tmp/cgroups "$2" $AVGS)
	check "process $1's 15 averages are its cgroup $2's, alone in it ($got)" test -n "$got" -a "$got" = "$want"
	check "and its cgroup is named $2" test "$(top_fields /tmp/top "$1" cgroup)" = "$2"
done

# series_of PID DEFINITION: the kernel's arithmetic over one task at every sample from PID's
# `since` to the sample read: three averages in fixed point, and the number of samples.
series_of() { loadgen verify series /tmp/h 1 "$(top_fields /tmp/top "$1" since)" "$k"; }
for pair in "$c1 cpu" "$v1 blocked" "$v2 blocked"; do
	set -- $pair
	since=$(top_fields /tmp/top "$1" since)
	set -- $1 $2 $(series_of "$1")
	want=$(shown "$3" "$4" "$5")
	got=$(top_fields /tmp/top "$1" "${2}_20s" "${2}_100s" "${2}_300s")
	check "process $1's $2 averages ($got) are the arithmetic over one task from sample $since to $k ($want, $6 samples)" \
		test "$got" = "$want" -a "$6" -eq $((k - since + 1))
	check "and its all averages are the same" test "$(top_fields /tmp/top "$1" all_20s all_100s all_300s)" = "$want"
	check "its count is 1 in $2 and all" test "$(top_fields /tmp/top "$1" "$2" all)" = "1 1"
done

# The stacks file: folded lines, definition;process;frames WEIGHT.
defs=$(echo $ACCOUNTINGS | tr ' ' '|')
bad=$(grep -cvE "^($defs);[^ ;]+(;[^;]+)* [0-9]+\$" /tmp/stacks)
check "every line of the stacks is definition;process;frames WEIGHT ($bad not)" test "$bad" -eq 0
set -- $(series_of "$c1")
want=$(loadgen verify thousandths "$1")
check "the busy loop's cpu line has no frame and weighs its average ($want thousandths)" \
	grep -qx "cpu;loadgen-$c1 $want" /tmp/stacks
for v in $v1 $v2; do
	set -- $(series_of "$v")
	want=$(loadgen verify thousandths "$1")
	line=$(grep "^blocked;loadgen-$v;" /tmp/stacks)
	check "vfork parent $v: one blocked line, weighing its average ($want thousandths): $line" \
		test "$(printf '%s\n' "$line" | grep -c .)" -eq 1 -a "${line##* }" = "$want"
	# wait_for_vfork_done() may be inlined into kernel_clone(); the wait itself
	# (wait_for_completion_state()) is a scheduler function, which the unwinder leaves out.
	check "at the vfork wait, under the vfork system call" \
		matches "$line" 'vfork;(.*;)?kernel_clone(;wait_for_vfork_done)? [0-9]+$'
done
for r in $r1 $r2; do
	io=$(grep "^io;loadgen-$r;" /tmp/stacks)
	check "reader $r's io is at the block read path: $(printf '%s\n' "$io" | head -1)" \
		matches "$io" ';(blkdev_read_iter|__blkdev_direct_IO[a-z_]*)'
done
r_io=$(top_fields /tmp/top "$r1" io_20s) r2_io=$(top_fields /tmp/top "$r2" io_20s)
echo "# the readers' io, first window: $r_io and $r2_io"

# Conservation: per definition, the rows' counts add up to the definition's count.
for a in $ACCOUNTINGS; do
	sum=$(top_sum /tmp/top "$a")
	want=$(record_value /tmp/h "$k" "$a")
	check "the rows' $a counts add up to the definition's at sample $k ($sum, $want)" test "$sum" = "$want"
done
# And the averages, to the bound of rust/model/attribution.rs: the site keys' first-window
# averages add up to the definition's within sum_bound(K) 2048ths, K the keys in the table (site
# keys among them) and the keys let go since the module loaded (each leaves its rounding error
# behind); the lines are rounded to thousandths besides (half of one each, and half for the
# definition's own).
for a in $ACCOUNTINGS; do
	lines=$(grep -c "^$a;" /tmp/stacks)
	sum=$(awk -v a="$a" -F';' '$1 == a { n = split($0, w, " "); s += w[n] } END { print s + 0 }' /tmp/stacks)
	fixed=$(hfixed /tmp/h "$a" 1)
	want=$(loadgen verify thousandths "$fixed")
	keys=$(($(hval /tmp/top keys) + $(hval /tmp/top keys_gone)))
	decay=$(awk '$1 == "decay" { print $2 }' /tmp/h)
	bound=$(awk -v b="$(loadgen verify sum_bound "$keys" "$decay")" -v l="$lines" 'BEGIN { printf "%d", b * 1000 / 2048 + l / 2 + 1 }')
	check "the $a lines weigh $sum thousandths, the definition $want (within $bound)" \
		approx "$sum" "$want" "$bound"
done

# A reader in a PID namespace of its own sees its own processes only, and no system figure:
# every row's pid is one the namespace allocated (at most its last pid, /proc/loadavg's field
# 5 read in it after the file: host processes are numbered in the hundreds here), one of them
# is its busy loop (counted at the samples of the 3 s it ran before the read), and none is the
# host's.
# It has CAP_SYS_ADMIN and CAP_SYS_PTRACE (no user namespace, as `--cap-add` gives a
# container): the stacks file opens for it, and shows it its own processes only, by its numbers.
unshare -p -f --mount-proc sh -c "loadgen cpu 1 20 >/tmp/started.ns & while ! grep -q ' started: ' /tmp/started.ns; do sleep 0.1; done; sleep 3; cat /proc/loadavg_rs_top >/tmp/top.ns; cat /proc/loadavg_rs_stacks >/tmp/stacks.ns; cut -d' ' -f5 /proc/loadavg >/tmp/last.ns; kill \$(sed -n 's/.* started: //p' /tmp/started.ns)" 2>/dev/null
sed 's/^/# top, in a PID namespace: /' /tmp/top.ns
last=$(cat /tmp/last.ns)
rows=$(awk '$1 ~ /^[0-9]+$/' /tmp/top.ns | wc -l)
beyond=$(awk -v l="$last" '$1 ~ /^[0-9]+$/ && $1 > l' /tmp/top.ns | wc -l)
check "in a PID namespace: every row ($rows) is numbered by it (its last pid $last; $beyond beyond)" \
	test "$rows" -ge 1 -a "$beyond" -eq 0
loops=$(awk '$1 ~ /^[0-9]+$/ && $2 == 1 && $(NF - 1) == "loadgen"' /tmp/top.ns | wc -l)
hosts=$(grep -cE ' /(R1|R2|V1|V2|C)$' /tmp/top.ns)
check "one runnable loadgen row, its busy loop ($loops); none of the host's five ($hosts)" \
	test "$loops" -eq 1 -a "$hosts" -eq 0
check "no [other] row, and the system's figures hidden" \
	sh -c "! grep -q '\[other\]' /tmp/top.ns && grep -qx 'keys -' /tmp/top.ns"
sed 's/^/# stacks, in a PID namespace: /' /tmp/stacks.ns
# Every line's process is comm-N, N at most the namespace's last pid, or comm-exited (a short
# process of its own, counted at a sample, decaying since; its other processes, loadgen's
# parent and the shell, may have been counted at a sample too). Of the host's five, the readers
# and vfork parents would be io and blocked lines; its own busy loop has its cpu line, by the
# number the namespace gave it.
lines=$(grep -c . /tmp/stacks.ns)
beyond=$(awk -F';' -v l="$last" '{ sub(/ [0-9]+$/, "", $2); n = split($2, p, "-"); if (!(p[n] == "exited" || (p[n] ~ /^[0-9]+$/ && p[n] <= l))) print }' /tmp/stacks.ns | wc -l)
ns_loop=$(sed -n 's/.* started: //p' /tmp/started.ns)
check "in a PID namespace, the stacks: $lines lines, every process numbered by it ($beyond not), its busy loop's cpu line (cpu;loadgen-$ns_loop)" \
	sh -c "test $lines -ge 1 -a $beyond -eq 0 && grep -qE '^cpu;loadgen-$ns_loop [0-9]+\$' /tmp/stacks.ns"
check "and no [other] line, the system's" sh -c "! grep -q '\[other\]' /tmp/stacks.ns"

# A number reused: a busy loop counted for 3 s, killed and reaped by its parent; a new busy loop
# is given its number (clone3()'s set_tid). The exited process's row stays (its averages decay)
# but shows no number: one row with that number, the new process's.
loadgen cpu 1 60 >/tmp/started.reuse &
reuse_parent=$!
old=$(wait_started /tmp/started.reuse)
sleep 3
kill -KILL "$old"
wait "$reuse_parent" 2>/dev/null
loadgen withpid "$old" sh -c 'while :; do :; done' &
reuse_child=$!
# Until the child has exec'd sh (before, it is loadgen's copy), or loadgen has given up.
while [ "$(cat "/proc/$old/comm" 2>/dev/null)" != sh ] && kill -0 "$reuse_child" 2>/dev/null; do sleep 0.1; done
check "the busy loop's number $old went to a new busy loop ($(cat /proc/$old/comm 2>/dev/null))" test "$(cat /proc/$old/comm 2>/dev/null)" = sh
take_history /tmp/h0
wait_samples /tmp/h0 3
cat /proc/loadavg_rs_top >/tmp/top.reuse
awk -v p="$old" '$1 == p || ($1 == "-" && $(NF - 1) == "loadgen")' /tmp/top.reuse | sed 's/^/# reused: /'
check "one row numbered $old ($(awk -v p="$old" '$1 == p' /tmp/top.reuse | wc -l)), the new busy loop's" \
	test "$(awk -v p="$old" '$1 == p && $(NF - 1) == "sh"' /tmp/top.reuse | wc -l)" -eq 1 \
	-a "$(awk -v p="$old" '$1 == p' /tmp/top.reuse | wc -l)" -eq 1
check "the exited loop's row shows '-' for its pid" \
	test "$(awk '$1 == "-" && $2 == 0 && $(NF - 1) == "loadgen"' /tmp/top.reuse | wc -l)" -ge 1
kill -KILL "$old"
wait "$reuse_child" 2>/dev/null

# Root without CAP_SYS_ADMIN: the stacks are refused, as /proc/PID/stack is; top is not.
err=$(loadgen nocap 21 cat /proc/loadavg_rs_stacks 2>&1 >/dev/null) && got=read || got=refused
check "root without CAP_SYS_ADMIN cannot read the stacks ($got: $err)" test "$got" = refused
check "and is told EACCES" contains "$err" "Permission denied"
check "but reads the top file" sh -c "loadgen nocap 21 cat /proc/loadavg_rs_top >/dev/null"
# Nor without CAP_SYS_PTRACE (19): it could not attach to the processes it would see.
err=$(loadgen nocap 19 cat /proc/loadavg_rs_stacks 2>&1 >/dev/null) && got=read || got=refused
check "root without CAP_SYS_PTRACE cannot read the stacks ($got: $err)" test "$got" = refused
# An open file handed to a task without the capabilities shows it nothing: the shell opens it
# (fd 3), the task that reads it lacks CAP_SYS_ADMIN.
err=$(loadgen nocap 21 sh -c 'cat <&3' 3</proc/loadavg_rs_stacks 2>&1 >/dev/null) && got=read || got=refused
check "a file opened by root, read by a task without CAP_SYS_ADMIN, is refused too ($got: $err)" \
	sh -c "test '$got' = refused && echo '$err' | grep -q 'Permission denied'"

# A kernel thread blocked in a module's own code (tests/kmod/loadavg_test_block.c): its stack
# names the module's function; once the module is unloaded, that frame is [unknown], and no
# line of the file holds an address; loaded again (often at the same address), the module's
# name is on its new thread's line only, never on the old thread's.
check "the test module loads (a thread blocked in its code)" insmod /lib/modules/loadavg_test_block.ko
# tblock_lines FILE: its lines with the module's name.
tblock_lines() { grep -F '[loadavg_test_block]' "$1"; }
take_history /tmp/h0
wait_samples /tmp/h0 3
cat /proc/loadavg_rs_stacks >/tmp/stacks.tb
tblock_lines /tmp/stacks.tb | sed 's/^/# test module: /'
old=$(pgrep -x ldrs_tblock || ps -o pid,comm | awk '$2 == "ldrs_tblock" { print $1 }')
check "its thread's ($old) blocked line names the module's function" \
	grep -q "^blocked;ldrs_tblock-$old;.*loadavg_test_block_[a-z]* \[loadavg_test_block\]" /tmp/stacks.tb
check "the test module unloads" rmmod loadavg_test_block
cat /proc/loadavg_rs_stacks >/tmp/stacks.gone
grep -F 'ldrs_tblock' /tmp/stacks.gone | sed 's/^/# unloaded: /'
check "unloaded: no line names the module ($(tblock_lines /tmp/stacks.gone | wc -l))" \
	test "$(tblock_lines /tmp/stacks.gone | wc -l)" -eq 0
check "its thread's line is still there, its frame [unknown]" \
	grep -q "^blocked;ldrs_tblock-exited;.*\[unknown\]" /tmp/stacks.gone
check "no line holds an address ($(grep -c '0x' /tmp/stacks.gone))" sh -c "! grep -q '0x' /tmp/stacks.gone"
check "the test module loads again" insmod /lib/modules/loadavg_test_block.ko
take_history /tmp/h0
wait_samples /tmp/h0 3
cat /proc/loadavg_rs_stacks >/tmp/stacks.again
check "the old thread's line is never renamed after the new module ($(grep -c 'ldrs_tblock-exited;.*\[loadavg_test_block\]' /tmp/stacks.again))" \
	sh -c "! grep -q 'ldrs_tblock-exited;.*\[loadavg_test_block\]' /tmp/stacks.again"
check "the new thread's line names it" grep -q "^blocked;ldrs_tblock-[0-9]*;.*\[loadavg_test_block\]" /tmp/stacks.again
check "the test module unloads" rmmod loadavg_test_block

check "module unloads" unload

# 6 keys for 5 counted processes (10 keys wanted), 1 unwind a sample for 4 blocked tasks.
# With top_root_only=1 too, for a /proc mounted with hidepid=: the top file is root's (0400).
check "module loads with 6 keys, 1 unwind a sample, the top file root's" load $PARAMS attribute_keys=6 attribute_unwinds=1 top_root_only=1
check "/proc/loadavg_rs_top is root's alone (0400, $(stat -c %a /proc/loadavg_rs_top))" test "$(stat -c %a /proc/loadavg_rs_top)" = 400
take_history /tmp/h0
wait_samples /tmp/h0 4
take_all
sed 's/^/# top, 6 keys: /' /tmp/top
check "the tasks without a key count in [other] ($(hval /tmp/top other_tasks) at sample $k)" \
	test "$(hval /tmp/top other_tasks)" -gt 0 -a "$(hval /tmp/top keys)" -eq 6
for a in $ACCOUNTINGS; do
	sum=$(top_sum /tmp/top "$a")
	want=$(record_value /tmp/h "$k" "$a")
	check "with [other], the rows' $a counts add up to the definition's ($sum, $want)" test "$sum" = "$want"
done
blocked=$(($(record_value /tmp/h "$k" all) - $(record_value /tmp/h "$k" cpu) - $(record_value /tmp/h "$k" delayed)))
# The figures are the last pass's: a pass restarted after the budget was spent unwinds none.
restarts=$(table_value walk_restarts)
check "one stack unwound, the other blocked tasks not ($(hval /tmp/top unwinds) + $(hval /tmp/top not_unwound) of $blocked; $restarts restarts)" \
	sh -c "test $(($(hval /tmp/top unwinds) + $(hval /tmp/top not_unwound))) -eq $blocked && { test $(hval /tmp/top unwinds) -eq 1 || test $restarts -gt 0; }"
check "module unloads" unload

check "module loads with attribute_keys=0" load $PARAMS attribute_keys=0
check "and makes neither file" test ! -e /proc/loadavg_rs_top -a ! -e /proc/loadavg_rs_stacks
check "module unloads" unload

kill -KILL $r1 $r2 $v1 $v2 $c1 2>/dev/null
wait
# Its cgroups and cgroup2 mount gone, for the tests after it in the same boot.
for c in R1 R2 V1 V2 C; do remove_cgroup "$c"; done
umount "$cg"
finish
