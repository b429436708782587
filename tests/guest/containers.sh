# SPDX-License-Identifier: GPL-2.0
# Per-cgroup load as a container sees it: private, honest and bounded (README: Containers).
#
# 1. A container made as runtimes make one (`loadgen container`: its own cgroup, cgroup + mount
#    + PID namespaces, a fresh /proc, /proc/loadavg_cgroup bind-mounted over /proc/loadavg),
#    read with Debian's procps `uptime` and `top -bn1`: the container's load, its own last PID, only
#    its own cgroups in the table and the metrics (cgroupns: its root's id), no `/..` path; a
#    second container's 6 tasks in D nowhere.
# 2. A reader in a cgroup no walk has found a thread in reads zero, not an ancestor's line.
# 3. max_cgroups=2: a zombie in a removed cgroup takes no slot; a live cgroup gets it, nothing is
#    folded. A cgroup that finds the table full reads ENOSPC, never its ancestor's line, and so
#    does one whose too-deep descendant found it full.
# 4. A chain 40 deep: cgroups below level 32 are counted at level 32, said to be folded there,
#    and read ENOSPC.
# 5. A reader looping on /proc/loadavg_cgroup while a walk of 10,000 threads runs is never in D
#    because of the module: its cgroup's `blocked` count is 0 at every one of 30 samples.
# 6. A path longer than PATH_MAX shows as `?` in the table and has no series of its own in the
#    metrics, never a path cut short (which could name another cgroup): it is in [other].
#
# Columns of /proc/loadavg_rs_cgroups are found by their names in its header line.
. /tests/lib.sh

cgroup2_or_skip "containers"
cg=/sys/fs/cgroup
period=200
load_with() { load period_ms=$period window1_ms=2000 window2_ms=10000 window3_ms=30000 "$@"; }
# sample_now: the sample the cgroup table is of.
sample_now() { awk '$1 == "sample" { print $2 }' /proc/loadavg_rs_cgroups; }
# after_samples N: returns once N more samples were published.
after_samples() {
	local want=$(($(sample_now) + $1))
	while [ "$(sample_now)" -lt "$want" ]; do sleep 0.05; done
}
LIFE=3600

# --- 1. A container ---
mkdir -p "$cg/ct1" "$cg/ct2/sub"
in_cgroup ct1 loadgen uninterruptible 6 $LIFE >/tmp/ct1.started &
in_cgroup ct2 loadgen cpu 1 $LIFE >/tmp/ct2.started &
in_cgroup ct2/sub loadgen sleep 1 $LIFE >/tmp/sub.started &
wait_state D $(wait_started /tmp/ct1.started)
wait_started /tmp/ct2.started >/dev/null
wait_state S $(wait_started /tmp/sub.started)
check "module loads with a $period ms period" load_with
after_samples 2
# Inside: everything read while no sample fell between the first and the last read.
cat >/tmp/inside.sh <<'EOF'
. /tests/lib.sh
while :; do
	s0=$(awk '$1 == "sample" { print $2 }' /proc/loadavg_rs_cgroups)
	cat /proc/loadavg >/tmp/c.loadavg &
	echo $! >/tmp/c.pid
	wait
	cat /proc/loadavg_cgroup_blocked >/tmp/c.blocked
	debian uptime >/tmp/c.uptime 2>&1
	cat /proc/loadavg_rs_cgroups >/tmp/c.table
	cat /proc/loadavg_rs_metrics >/tmp/c.metrics
	cat /proc/self/cgroup >/tmp/c.self
	ls /sys/fs/cgroup >/tmp/c.ls
	s1=$(awk '$1 == "sample" { print $2 }' /proc/loadavg_rs_cgroups)
	[ "$s0" != "$s1" ] || break
done
EOF
check "a container starts (cgroup, mount and PID namespaces, /proc/loadavg bind-mounted)" loadgen container "$cg/ct2" sh /tmp/inside.sh
echo "# in the container: /proc/loadavg '$(cat /tmp/c.loadavg)', uptime '$(cat /tmp/c.uptime)', /proc/self/cgroup '$(cat /tmp/c.self)'"
sed 's/^/# container table: /' /tmp/c.table
set -- $(cat /tmp/c.loadavg)
c_avgs="$1 $2 $3" c_run=${4%/*} c_threads=${4#*/} c_last=$5
want="$(field /tmp/c.table all_2s /) $(field /tmp/c.table all_10s /) $(field /tmp/c.table all_30s /)"
check "its /proc/loadavg is its cgroup's: averages '$c_avgs' and counts $c_run/$c_threads are the table's '/' row ('$want', $(field /tmp/c.table all /)/$(field /tmp/c.table threads /))" \
	test -n "$c_avgs" -a "$c_avgs" = "$want" -a "$c_run" = "$(field /tmp/c.table all /)" -a "$c_threads" = "$(field /tmp/c.table threads /)"
# Its own: the busy loop, and whatever of its reader runs at the sample (the shell, a command
# it started, one it forks: 3 at most). The other container's 6 tasks in D would make 7 or more.
check "it counts its own busy loop and reader, not the other container's 6 tasks in D (all $c_run: 1 to 4)" test "$c_run" -ge 1 -a "$c_run" -le 4
set -- $(cat /tmp/c.blocked)
check "none of them in its blocked load either (/proc/loadavg_cgroup_blocked: $*)" test "${4%/*}" = 0
check "its last PID is its own PID namespace's: the cat that read it, PID $(cat /tmp/c.pid)" test -n "$c_last" -a "$c_last" = "$(cat /tmp/c.pid)"
u=$(sed -n 's/.*load average: //p' /tmp/c.uptime)
check "procps uptime shows the container's load ('$u')" test -n "$c_avgs" -a "$u" = "$(echo "$c_avgs" | sed 's/ /, /g')"
check "the table shows its own cgroups only, as it names them: $(paths /tmp/c.table | paste -sd' ')" \
	test "$(paths /tmp/c.table | paste -sd' ')" = "/ /sub"
check "its head counts only them: $(hval /tmp/c.table cgroups_tracked) tracked of $(hval /tmp/c.table cgroups_existing)" \
	test "$(hval /tmp/c.table cgroups_tracked)" -eq 2 -a "$(hval /tmp/c.table cgroups_existing)" -eq 2
check "its sleeping cgroup counts its 2 threads, none active ($(field /tmp/c.table threads /sub) threads, all $(field /tmp/c.table all /sub))" \
	test "$(field /tmp/c.table threads /sub)" -eq 2 -a "$(field /tmp/c.table all /sub)" -eq 0
# Its metrics: its own cgroups, their paths its own, told apart from the host's "/" by
# cgroupns, the id of its namespace's root cgroup (the inode of ct2's directory on the host).
ct2_id=$(stat -c %i "$cg/ct2")
labels=$(sed -n 's/^loadavg_rs_cgroup_threads{\(.*\)} [0-9]*$/\1/p' /tmp/c.metrics | paste -sd' ')
check "its metrics name its own cgroups only, of its namespace, cgroupns its root's id $ct2_id ($labels)" \
	test "$labels" = "cgroup=\"/\",cgroupns=\"$ct2_id\" cgroup=\"/sub\",cgroupns=\"$ct2_id\""
cat /proc/loadavg_rs_cgroups >/tmp/h.table
cat /proc/loadavg_rs_metrics >/tmp/h.metrics
check "the host's table shows both containers ($(paths /tmp/h.table | paste -sd' '))" \
	test -n "$(field /tmp/h.table all /ct1)" -a -n "$(field /tmp/h.table all /ct2/sub)"
check "and the host's metrics too, as cgroupns=\"host\" ($(grep -c '^loadavg_rs_cgroup_threads{cgroup="/ct[12][/a-z]*",cgroupns="host"}' /tmp/h.metrics) of 3)" \
	test "$(grep -c '^loadavg_rs_cgroup_threads{cgroup="/ct[12][/a-z]*",cgroupns="host"}' /tmp/h.metrics)" -eq 3
# procps top reads every process of the container: slower than a 200 ms period under
# emulation. With samples 2 s apart, its line and /proc/loadavg are read at one sample.
check "module unloads" unload
check "module loads with a 2 s period" load period_ms=2000 window1_ms=20000 window2_ms=100000 window3_ms=300000
after_samples 2
cat >/tmp/inside_top.sh <<'EOF'
. /tests/lib.sh
while :; do
	s0=$(awk '$1 == "sample" { print $2 }' /proc/loadavg_rs_cgroups)
	cat /proc/loadavg >/tmp/c.loadavg2
	debian top -bn1 2>&1 | head -n1 >/tmp/c.top
	s1=$(awk '$1 == "sample" { print $2 }' /proc/loadavg_rs_cgroups)
	[ "$s0" != "$s1" ] || break
done
EOF
check "the container starts again" loadgen container "$cg/ct2" sh /tmp/inside_top.sh
echo "# in the container: top '$(cat /tmp/c.top)'"
t=$(sed -n 's/.*load average: //p' /tmp/c.top)
want=$(cut -d' ' -f1-3 /tmp/c.loadavg2 | sed 's/ /, /g')
check "procps top -bn1 shows the container's load too ('$t', its /proc/loadavg '$want')" test -n "$want" -a "$t" = "$want"

# --- 2. A cgroup no walk has found a thread in reads zero ---
# fresh_read CMD...: CMD's output, run in a new cgroup, again in another new one until no sample
# fell between the cgroup's making and the read's end (a sample in between would find the
# reader, and track the cgroup with it).
fresh=0
fresh_read() {
	local s0
	while :; do
		fresh=$((fresh + 1))
		mkdir "$cg/fresh$fresh"
		s0=$(sample_now)
		line=$("$@" "fresh$fresh")
		[ "$s0" != "$(sample_now)" ] || break
	done
}
read_in() { in_cgroup "$1" cat /proc/loadavg_cgroup; }
contain_in() { loadgen container "$cg/$1" cat /proc/loadavg; }
fresh_read read_in
check "a reader in a cgroup no walk has seen reads zero, not the machine's line: '$line'" \
	matches "$line" '^0\.00 0\.00 0\.00 0/0 [0-9]+$'
fresh_read contain_in
check "so does /proc/loadavg in a new container there: '$line'" matches "$line" '^0\.00 0\.00 0\.00 0/0 [0-9]+$'
check "module unloads" unload
remove_cgroup ct1
remove_cgroup ct2/sub
remove_cgroup ct2
for i in $(seq 1 "$fresh"); do rmdir "$cg/fresh$i"; done

# --- 3. Two slots: a zombie's removed cgroup takes none; a full table reads ENOSPC ---
mkdir "$cg/Z" "$cg/L" "$cg/M"
# A zombie in Z: its parent (a sleep) never reaps it; Z is removed with it in it.
sh -c 'sleep 1000 & echo $! >/tmp/zchild; exec sleep 1001' &
zparent=$!
while [ ! -s /tmp/zchild ]; do sleep 0.05; done
zchild=$(cat /tmp/zchild)
echo "$zchild" >"$cg/Z/cgroup.procs"
kill -KILL "$zchild"
wait_state Z "$zchild"
check "Z is removed with a zombie in it" rmdir "$cg/Z"
in_cgroup L loadgen sleep 1 $LIFE >/tmp/l.started &
wait_state S $(wait_started /tmp/l.started)
check "module loads with max_cgroups=2" load_with max_cgroups=2
after_samples 2
cat /proc/loadavg_rs_cgroups >/tmp/t
check "the live cgroup L has the second slot ($(paths /tmp/t | paste -sd' ')), nothing is folded ($(hval /tmp/t folded_threads))" \
	test "$(paths /tmp/t | paste -sd' ')" = "/ /L" -a "$(hval /tmp/t folded_threads)" -eq 0
line=$(cat /proc/loadavg_cgroup)
check "the zombie's cgroup reads nothing short: a reader in the root reads its line ('$line')" matches "$line" "$LOADAVG_RE"
line=$(in_cgroup L cat /proc/loadavg_cgroup)
check "a reader in L reads L's own line, of its 2 threads (3 if a sample caught the reader): '$line'" matches "$line" '^[0-9.]+ [0-9.]+ [0-9.]+ [0-3]/[23] [0-9]+$'
in_cgroup M loadgen sleep 1 $LIFE >/tmp/m.started &
wait_state S $(wait_started /tmp/m.started)
after_samples 2
cat /proc/loadavg_rs_cgroups >/tmp/t
check "M, with the table full, is folded into the root ($(hval /tmp/t folded_threads) threads)" test "$(hval /tmp/t folded_threads)" -ge 2
# refused DIR: a reader in cgroup DIR is refused with ENOSPC and reads no line; sets $out.
refused() {
	local st=0
	out=$(in_cgroup "$1" cat /proc/loadavg_cgroup 2>&1) || st=$?
	out="status $st: $out"
	[ "$st" -ne 0 ] && contains "$out" "No space left" && ! matches "$out" '[0-9]+\.[0-9][0-9] '
}
refused M
check "a reader in M gets ENOSPC, not the root's line ($out)" refused M
# Below a cgroup without a slot, a chain deeper than the bound: its threads fold for want of
# depth and of room at once; a reader at the top of the chain must not read zero.
remove_cgroup M
deep=/E
for i in $(seq 2 40); do deep="$deep/e$i"; done
mkdir -p "$cg$deep"
in_cgroup "${deep#/}" loadgen sleep 1 $LIFE >/tmp/e.started &
wait_state S $(wait_started /tmp/e.started)
after_samples 2
refused E
check "a reader in E, whose deep descendant found the table full, gets ENOSPC, not zero ($out)" refused E
check "module unloads" unload
kill -KILL "$zparent" 2>/dev/null
remove_cgroup L
kill -KILL $(cat "$cg$deep/cgroup.procs") 2>/dev/null
while [ -n "$(cat "$cg$deep/cgroup.procs")" ]; do sleep 0.05; done
while [ -n "$deep" ]; do rmdir "$cg$deep"; deep=${deep%/*}; done

# --- 4. A chain 40 deep ---
chain=
for i in $(seq 1 40); do chain="$chain/d$i"; done
mkdir -p "$cg$chain"
in_cgroup "${chain#/}" loadgen sleep 1 $LIFE >/tmp/d.started &
wait_state S $(wait_started /tmp/d.started)
check "module loads" load_with
after_samples 2
cat /proc/loadavg_rs_cgroups >/tmp/t
at32=$(echo "$chain" | cut -d/ -f1-33)
check "the deepest row is level 32 ($(paths /tmp/t | awk -F/ '{ if (NF - 1 > m) m = NF - 1 } END { print m }')), the 2 threads below it folded there ($(hval /tmp/t folded_threads))" \
	test "$(paths /tmp/t | awk -F/ '{ if (NF - 1 > m) m = NF - 1 } END { print m }')" -eq 32 -a "$(hval /tmp/t folded_threads)" -eq 2 -a "$(field /tmp/t threads "$at32")" -eq 2
refused "${chain#/}"
check "a reader at level 40 gets ENOSPC ($out)" refused "${chain#/}"
line=$(in_cgroup "${at32#/}" cat /proc/loadavg_cgroup)
check "a reader at level 32 reads its line: '$line'" matches "$line" "$LOADAVG_RE"
check "module unloads" unload
kill -KILL $(cat "$cg$chain/cgroup.procs") 2>/dev/null
while [ -n "$(cat "$cg$chain/cgroup.procs")" ]; do sleep 0.05; done
while [ "$chain" != "" ]; do rmdir "$cg$chain"; chain=${chain%/*}; done

# --- 6. A path longer than PATH_MAX shows as ?, never cut short ---
# 17 levels of 252- and 253-byte names: 16 of them make 4,055 bytes, the 17th 4,309, past PATH_MAX
# (4,096 with its NUL). Made one level at a time, relative to the last, and the process put in
# the 17th from the 16th (a path that long cannot be passed to a system call, nor to `cd`).
name=$(printf '%0250d' 0)
cat >/tmp/long.sh <<EOF
cd $cg
for i in \$(seq 1 16); do mkdir ${name}x\$i && cd ${name}x\$i || exit 1; done
mkdir ${name}x17 && echo \$\$ >${name}x17/cgroup.procs || exit 1
exec loadgen sleep 1 $LIFE
EOF
sh /tmp/long.sh >/tmp/long.started 2>&1 &
long=$!
while ! grep -q ' started: ' /tmp/long.started && kill -0 "$long" 2>/dev/null; do sleep 0.1; done
check "a process is in a cgroup 17 levels of 252 bytes deep ($(head -c 120 /tmp/long.started))" grep -q ' started: ' /tmp/long.started
wait_state S $(sed -n 's/.* started: //p' /tmp/long.started)
check "module loads" load_with
after_samples 2
cat /proc/loadavg_rs_cgroups >/tmp/t
check "the cgroup whose path is 4,309 bytes shows as '?' ($(paths /tmp/t | grep -c '^?$') such row), its 16 ancestors by name ($(paths /tmp/t | grep -c "${name}x"))" \
	test "$(paths /tmp/t | grep -c '^?$')" -eq 1 -a "$(paths /tmp/t | grep -c "${name}x")" -eq 16
cat /proc/loadavg_rs_metrics >/tmp/m
check "and it has no series of its own in the metrics, rather than a label cut short ($(grep -c "x17" /tmp/m))" \
	test "$(grep -c "x17" /tmp/m)" -eq 0
# It is left out, and summed in [other] alone: its ancestors are named.
other=$(awk '$1 == "loadavg_rs_cgroup_threads{cgroup=\"[other]\",cgroupns=\"host\"}" { print $2 }' /tmp/m)
check "it is counted left out ($(awk '$1 == "loadavg_rs_cgroups_omitted{cgroupns=\"host\"}" { print $2 }' /tmp/m)), its $(field /tmp/t threads '?') threads in [other] ($other)" \
	test "$(awk '$1 == "loadavg_rs_cgroups_omitted{cgroupns=\"host\"}" { print $2 }' /tmp/m)" = 1 -a "$other" = "$(field /tmp/t threads '?')"
check "module unloads" unload
cat >/tmp/long_rm.sh <<EOF
cd $cg
for i in \$(seq 1 16); do cd ${name}x\$i; done
kill -KILL \$(cat ${name}x17/cgroup.procs) 2>/dev/null
while [ -n "\$(cat ${name}x17/cgroup.procs)" ]; do sleep 0.05; done
for i in \$(seq 17 -1 1); do rmdir ${name}x\$i; cd ..; done
EOF
sh /tmp/long_rm.sh

# --- 5. Readers never wait for the walk in D ---
loadgen threads 10000 $LIFE >/tmp/storm.started &
storm=$!
while ! grep -q 'threads 10000 started' /tmp/storm.started; do sleep 0.1; done
mkdir "$cg/R"
check "module loads with a 100 ms period" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000
in_cgroup R loadgen reader /proc/loadavg_cgroup $LIFE >/tmp/reader.out &
while [ -z "$(cat "$cg/R/cgroup.procs")" ]; do sleep 0.05; done
reader=$(cat "$cg/R/cgroup.procs")
after_samples 2
# The reader never sleeps: at each sample it is running or waiting for a CPU (R), or, if a
# read could wait for the walk, in D. Its cgroup holds nothing else.
seen=0 last=0 blocked=0 highest=0
while [ "$seen" -lt 30 ]; do
	cat /proc/loadavg_rs_cgroups >/tmp/t
	k=$(hval /tmp/t sample)
	[ "$k" -gt "$last" ] || continue
	last=$k seen=$((seen + 1))
	b=$(field /tmp/t blocked /R) a=$(field /tmp/t all /R)
	[ "$b" -eq 0 ] || blocked=$((blocked + 1))
	[ "$a" -le "$highest" ] || highest=$a
done
walk=$(table_value walk_ns)
check "a reader looping on /proc/loadavg_cgroup through walks of 10,000 threads ($walk ns) is in D at none of 30 samples ($blocked); its cgroup's all is at most 1 ($highest)" \
	test "$blocked" -eq 0 -a "$highest" -le 1
kill "$reader" "$storm" 2>/dev/null
while [ -d "/proc/$reader" ]; do sleep 0.05; done
check "the reader's reads were all well formed ($(grep 'loadgen: reader' /tmp/reader.out))" grep -q 'bad 0$' /tmp/reader.out
check "module unloads" unload
remove_cgroup R
wait
umount "$cg"
finish
