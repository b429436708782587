# SPDX-License-Identifier: GPL-2.0
# The guest side of `make bench` (scripts/bench.sh): every figure measured here, in one run,
# printed as `bench KEY VALUE` lines for the host to tabulate.
. /tests/lib.sh

# Room for 50k threads: PIDs, threads, and two memory mappings per thread stack.
echo 262144 >/proc/sys/kernel/pid_max
echo 300000 >/proc/sys/kernel/threads-max
echo 262144 >/proc/sys/vm/max_map_count
say() { echo "bench $*"; }
# The median of its arguments.
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# The figure loadgen printed before `ns per ...`.
ns_of() { sed -n 's/.* \([0-9]*\) ns per '"$1"'.*/\1/p' | tail -n1; }

# hundred_cgroups PARENT THREADS: cgroups PARENT/c1 .. PARENT/c100, each with a process of
# THREADS sleeping threads, started (their PIDs in $holders).
hundred_cgroups() {
	local i
	holders=
	for i in $(seq 1 100); do
		mkdir "$1/c$i"
		sh -c "echo \$\$ > $1/c$i/cgroup.procs && exec loadgen threads $2 3600" >"/tmp/hc$i.log" 2>&1 &
		holders="$holders $!"
	done
	for i in $(seq 1 100); do
		until grep -q started "/tmp/hc$i.log"; do sleep 0.2; done
	done
}

# 1. The scheduler's hot path: ping-pong over pipes, without and with the module (defaults),
# in 7 alternating rounds so that drifts of the host hit both alike; the medians.
pp() { loadgen pingpong 30000 | ns_of "round trip"; }
off= on=
for round in 1 2 3 4 5 6 7; do
	off="$off $(pp)"
	load
	on="$on $(pp)"
	unload
done
say pingpong_off_ns "$(median $off)"
say pingpong_on_ns "$(median $on)"

# 2. Reading the files: /proc/loadavg against /proc/loadavg_cpu, 100k reads each, interleaved.
load
k1=$(loadgen readbench /proc/loadavg 50000 | ns_of read)
m1=$(loadgen readbench /proc/loadavg_cpu 50000 | ns_of read)
k2=$(loadgen readbench /proc/loadavg 50000 | ns_of read)
m2=$(loadgen readbench /proc/loadavg_cpu 50000 | ns_of read)
say read_loadavg_ns $(((k1 + k2) / 2))
say read_loadavg_cpu_ns $(((m1 + m2) / 2))

# 3. Memory: the module's size in /proc/modules and what it allocates (its load message).
say module_bytes "$(awk '$1 == "loadavg_rs" { print $2 }' /proc/modules)"
say state_bytes "$(dmesg | sed -n 's/.*loadavg_rs: state: \([0-9]*\) bytes.*/\1/p' | tail -n1)"
unload

# 4. The walk's cost against the thread count, against its floor, and the user-space walk
# (LXCFS's way). The module walks once a period (100 ms); so does the floor
# (tests/bench/walk_floor.c, a bare for_each_process_thread() reading what the kernel's counters
# rest on), each walk after a pause of the same length, so that both find the caches (and,
# under emulation, the TLB) as cold; its back-to-back walks (gap_ms=0) are printed too. In 3
# alternated rounds, each 7 of the module's walks (after its first) then 7 of the floor's, the
# module unloaded (so that its walker never preempts the floor's): per arm, the median over
# rounds of each round's median, so that a drift of the host's speed hits both alike.
walk_floor() {
	insmod /lib/modules/walk_floor.ko rounds=7 "$@"
	dmesg | sed -n 's/.*walk_floor: \([0-9]*\) threads, [0-9]* active, \([0-9]*\) ns per walk.*/\1 \2/p' | tail -n1
	rmmod walk_floor
}
# The BPF peer (tests/bench/bpf: the walk the eBPF way, a task iterator counting what the
# module's definitions count, per cgroup too), where the kernel has BTF and the host built it
# (make bench KERNEL=debian): a third arm of each round, 8 passes 100 ms apart as the module's
# walks, the median of the last 7 of its in-kernel times (from the first thread to the end).
PEER=/job/extra/bpf/peer PEER_OBJ=/job/extra/bpf/peer.bpf.o
peer=
if [ -x "$PEER" ] && [ -e /sys/kernel/btf/vmlinux ]; then
	if "$PEER" "$PEER_OBJ" 1 0 >/tmp/peer.check 2>&1; then
		peer=1
	else
		echo "bench: the BPF peer does not run here: $(tail -n1 /tmp/peer.check)" >&2
	fi
fi
# peer_walk: "THREADS NS": the threads the peer's last pass saw, and the median of its last 7.
peer_walk() {
	"$PEER" "$PEER_OBJ" 8 100 | awk '$1 == "pass" {
		n++
		for (i = 2; i < NF; i += 2) v[$i] = $(i + 1)
		if (n > 1) { t = v["threads"]; print v["ns"] > "/tmp/peer.ns" }
	} END { print t }' >/tmp/peer.threads
	printf '%s %s\n' "$(cat /tmp/peer.threads)" "$(median $(cat /tmp/peer.ns))"
	rm -f /tmp/peer.ns
}
for n in 1000 10000 50000; do
	storm "$n" 600 || echo "bench: loadgen did not start $n threads: $(cat "$STORM_LOG")" >&2
	holder=$STORM_PID
	walks= floors= warms= peers=
	for round in 1 2 3; do
		load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000
		take_history /tmp/w0
		wait_samples /tmp/w0 8
		take_history /tmp/w1
		threads=$(record_value /tmp/w1 last threads)
		unload
		walks="$walks $(median $(columns /tmp/w0 /tmp/w1 walk_ns | tail -n 7))"
		floor=$(walk_floor gap_ms=100)
		floors="$floors ${floor#* }"
		warm=$(walk_floor gap_ms=0)
		warms="$warms ${warm#* }"
		if [ -n "$peer" ]; then
			bpf=$(peer_walk)
			peers="$peers ${bpf#* }"
		fi
	done
	user=$(loadgen procwalk 3 | sed -n 's/.*, \([0-9]*\) ns per walk.*/\1/p')
	say "walk_threads_$n" "$threads"
	say "walk_ns_$n" "$(median $walks)"
	say "floor_threads_$n" "${floor% *}"
	say "floor_ns_$n" "$(median $floors)"
	say "floor_warm_ns_$n" "$(median $warms)"
	say "procwalk_ns_$n" "$user"
	if [ -n "$peer" ]; then
		say "bpf_threads_$n" "${bpf% *}"
		say "bpf_ns_$n" "$(median $peers)"
	fi
	kill "$holder"
	wait "$holder" 2>/dev/null
done

# 5. Wake-up latency (loadgen latency: a SCHED_FIFO thread per CPU on a 1 ms grid, cyclictest's
# way) without the module and with it, at 1k, 10k and 50k threads, in 3 alternated rounds of
# 10 s; with a 500 ms period a round holds 20 walks. If the job brings an older build of the
# module (extra/old/loadavg_rs.ko, `make bench OLD=...`), it runs as a third arm of each round.
# Per arm: the medians over rounds of the p99.9 and of the maximum, and, for the module, the
# median over the round's samples of the walk's time and of its longest stretch between lock
# breaks (from /proc/loadavg_rs_samples). A control arm runs no module but `loadgen burn`: an
# ordinary task at the walker's priority, busy every 500 ms for as long as the module's walks
# took (the median so far), reading scattered memory: what the probe loses to it is the cost of
# any periodic burst of that size on this machine, to tell from what the module itself costs.
# (Readers and the timer of the two builds: scripts/bench/readers.sh, in a guest of its own.)
old=/job/extra/old/loadavg_rs.ko
[ -f "$old" ] && say old_module 1
# lat: one run of the wake-up probe, 10 s: its p99.9 and maximum, in us.
lat() { loadgen latency 10 | sed -n 's/.* p99.9 \([0-9]*\) us, max \([0-9]*\) us.*/\1 \2/p'; }
# round_arm ARM: one round of the probe; appends its p99.9 and maximum to ARM_p and ARM_max,
# and, with a module loaded, the medians of its walks' times and longest stretches over the
# round to ARM_walk and ARM_stretch. (The old module's samples have no such columns: its walk,
# in hard-interrupt context, is one stretch, and its table's last_sample_ns is taken instead.)
round_arm() {
	local arm=$1 walk stretch burner=
	case $arm in
	off) ;;
	control)
		loadgen burn 500 $(($(median $on_walk) / 1000)) 11 >/dev/null &
		burner=$!
		;;
	*) take_history /tmp/lh0 ;;
	esac
	set -- $(lat)
	[ -z "$burner" ] || wait "$burner"
	eval "${arm}_p=\"\${${arm}_p:-} $1\" ${arm}_max=\"\${${arm}_max:-} $2\""
	case $arm in off | control) return 0 ;; esac
	take_history /tmp/lh1
	walk=$(columns /tmp/lh0 /tmp/lh1 walk_ns | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
	stretch=$(columns /tmp/lh0 /tmp/lh1 stretch_ns | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
	[ -n "$walk" ] || walk=$(table_value last_sample_ns) stretch=$walk
	eval "${arm}_walk=\"\${${arm}_walk:-} $walk\" ${arm}_stretch=\"\${${arm}_stretch:-} $stretch\""
}
# lat_load MODULE [PARAM...]: loads MODULE with a 500 ms period (and PARAMs).
lat_load() {
	local m=$1
	shift
	insmod "$m" period_ms=500 window1_ms=6000 window2_ms=30000 window3_ms=90000 "$@"
}
for n in 1000 10000 50000; do
	storm "$n" || echo "bench: loadgen did not start $n threads: $(cat "$STORM_LOG")" >&2
	holder=$STORM_PID
	off_p= off_max= on_p= on_max= on_walk= on_stretch= old_p= old_max= old_walk= old_stretch=
	control_p= control_max= normal_p= normal_max= normal_walk= normal_stretch=
	for round in 1 2 3; do
		round_arm off
		lat_load "$MODULE"
		take_history /tmp/lw && wait_samples /tmp/lw 1
		round_arm on
		unload
		# The walker as a normal task (walker_fifo=0): what FIFO costs the probe.
		lat_load "$MODULE" walker_fifo=0
		take_history /tmp/lw && wait_samples /tmp/lw 1
		round_arm normal
		unload
		if [ -f "$old" ]; then
			lat_load "$old"
			take_history /tmp/lw && wait_samples /tmp/lw 1
			round_arm old
			unload
		fi
		round_arm control
	done
	say "lat_threads_$n" "$(record_value /tmp/lh1 last threads)"
	for arm in off on normal old control; do
		eval "p=\$${arm}_p max=\$${arm}_max walk=\${${arm}_walk:-} stretch=\${${arm}_stretch:-}"
		[ -n "$p" ] || continue
		say "lat_${arm}_p999_us_$n" "$(median $p)"
		say "lat_${arm}_max_us_$n" "$(median $max)"
		[ -z "$walk" ] || say "lat_${arm}_walk_ns_$n" "$(median $walk)"
		[ -z "$stretch" ] || say "lat_${arm}_stretch_ns_$n" "$(median $stretch)"
	done
	kill "$holder"
	wait "$holder" 2>/dev/null
done

# 6. Cgroups: 10k threads in 100 cgroups (100 each). The walk with attribution to cgroups
# (the default) against without (max_cgroups=0), 3 alternated rounds of 20 samples, medians of
# the walk's time; and the user-space way, per container (LXCFS): each cgroup's cgroup.threads,
# then /proc/<tid>/stat of each.
cg=/sys/fs/cgroup
mkdir -p "$cg"
if mount -t cgroup2 none "$cg" 2>/dev/null; then
	mkdir "$cg/bench"
	hundred_cgroups "$cg/bench" 100
	# cg_round MAX: loads with max_cgroups=MAX, and prints the median walk time of 20 samples.
	cg_round() {
		insmod "$MODULE" period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000 max_cgroups="$1"
		take_history /tmp/c0
		wait_samples /tmp/c0 21
		take_history /tmp/c1
		unload
		columns /tmp/c0 /tmp/c1 walk_ns | tail -n 20 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
	}
	off= on=
	for round in 1 2 3; do
		off="$off $(cg_round 0)"
		on="$on $(cg_round 1024)"
	done
	say cg_threads "$(record_value /tmp/c1 last threads)"
	say cg_walk_off_ns "$(median $off)"
	say cg_walk_on_ns "$(median $on)"
	say cg_user_ns "$(loadgen cgwalk "$cg/bench" 3 | sed -n 's/.*, \([0-9]*\) ns per walk.*/\1/p')"
	kill $holders
	wait $holders 2>/dev/null
	for i in $(seq 1 100); do rmdir "$cg/bench/c$i"; done
	rmdir "$cg/bench"
	umount "$cg"
fi

# 7. Cgroups at the table's limits: what attribution adds to the walk's longest stretch between
# lock breaks, each arm against the same tasks with attribution off (max_cgroups=0), in 3
# alternated rounds of 20 samples (medians). With 10k sleeping threads: (full) 4,595 cgroups
# under one parent with a sleeping process each, max_cgroups=4096: the root, the parent and the
# first 4,094 fill the slots, the other 501 find the table full at every walk; (deep) a chain of
# cgroups 40 deep with 200 sleeping processes at the bottom, max_cgroups=1024. And the read of
# /proc/loadavg_rs_cgroups at 1,000 tracked cgroups, against the read of the global table.
cg=/sys/fs/cgroup
mkdir -p "$cg"
if mount -t cgroup2 none "$cg" 2>/dev/null; then
	storm 10000 || echo "bench: loadgen did not start 10000 threads: $(cat "$STORM_LOG")" >&2
	holder=$STORM_PID
	# limits_median COLUMN: the median of COLUMN over the 20 samples of /tmp/c0../tmp/c1.
	limits_median() { columns /tmp/c0 /tmp/c1 "$1" | tail -n 20 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	# limits_arm MAX: 20 samples with max_cgroups=MAX; appends the medians of the walk's time
	# and of its longest stretch to $walks and $stretches.
	limits_arm() {
		insmod "$MODULE" period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000 max_cgroups="$1"
		take_history /tmp/c0
		wait_samples /tmp/c0 21
		take_history /tmp/c1
		[ "$1" -eq 0 ] || tracked=$(awk '$1 == "cgroups_tracked" { print $2 }' /proc/loadavg_rs_cgroups) \
			folded=$(awk '$1 == "folded_threads" { print $2 }' /proc/loadavg_rs_cgroups)
		unload
		walks="$walks $(limits_median walk_ns)" stretches="$stretches $(limits_median stretch_ns)"
	}
	# limits NAME MAX: 3 rounds of MAX against 0; says NAME's figures.
	limits() {
		local name=$1 max=$2 arm walks stretches
		for arm in 0 "$max" 0 "$max" 0 "$max"; do
			walks= stretches=
			limits_arm "$arm"
			eval "walk_$arm=\"\${walk_$arm:-} $walks\" stretch_$arm=\"\${stretch_$arm:-} $stretches\""
		done
		say "limits_${name}_threads" "$(record_value /tmp/c1 last threads)"
		say "limits_${name}_tracked" "$tracked"
		say "limits_${name}_folded" "$folded"
		eval "say limits_${name}_off_walk_ns \$(median \$walk_0); say limits_${name}_off_stretch_ns \$(median \$stretch_0)"
		eval "say limits_${name}_on_walk_ns \$(median \$walk_$max); say limits_${name}_on_stretch_ns \$(median \$stretch_$max)"
		unset walk_0 stretch_0 "walk_$max" "stretch_$max"
	}
	# killall_in DIR: kills every process of the cgroups under DIR, and waits until they are gone.
	killall_in() {
		kill -KILL $(cat $(find "$1" -name cgroup.procs)) 2>/dev/null
		while [ -n "$(cat $(find "$1" -name cgroup.procs))" ]; do sleep 0.2; done
	}
	mkdir "$cg/fill"
	loadgen cgfill "$cg/fill" 4595 3600 >/tmp/fill.log 2>&1 &
	until grep -q "cgfill 4595 started" /tmp/fill.log 2>/dev/null; do sleep 1; done
	limits full 4096
	# The read of the table at 1,000 tracked cgroups (the root, the parent and 998 filled ones):
	# the others emptied and removed first.
	for i in $(seq 999 4595); do kill -KILL $(cat "$cg/fill/c$i/cgroup.procs") 2>/dev/null; done
	for i in $(seq 999 4595); do
		while [ -n "$(cat "$cg/fill/c$i/cgroup.procs")" ]; do sleep 0.1; done
		rmdir "$cg/fill/c$i"
	done
	load
	take_history /tmp/r0 && wait_samples /tmp/r0 2
	say read_cgroups_rows "$(awk '$1 == "cgroups_tracked" { print $2 }' /proc/loadavg_rs_cgroups)"
	say read_cgroups_ns "$(loadgen readbench /proc/loadavg_rs_cgroups 200 | ns_of read)"
	say read_table_ns "$(loadgen readbench /proc/loadavg_rs 200 | ns_of read)"
	say read_walk_ns "$(table_value walk_ns)"
	unload
	killall_in "$cg/fill"
	for d in $(find "$cg/fill" -mindepth 1 -type d); do rmdir "$d"; done
	rmdir "$cg/fill"
	chain=$cg
	for i in $(seq 1 40); do chain="$chain/d$i"; done
	mkdir -p "$chain"
	sh -c "echo \$\$ > $chain/cgroup.procs && exec loadgen sleep 200 3600" >/tmp/deep.log 2>&1 &
	until grep -q "started" /tmp/deep.log 2>/dev/null; do sleep 1; done
	limits deep 1024
	killall_in "$cg/d1"
	while [ "$chain" != "$cg" ]; do rmdir "$chain"; chain=${chain%/*}; done
	kill "$holder"
	wait 2>/dev/null
	umount "$cg"
fi

# 8. The walker's policy and the samples' timing: with
# both CPUs busy (2 busy loops, normal tasks) and 10k sleeping threads, 3 alternated rounds of 20
# samples (500 ms period) with the walker SCHED_FIFO (the default) and as a normal task
# (walker_fifo=0): per arm, the medians over rounds of the median and of the largest lateness of
# a sample (ticks from its window's end to its walk), and of the walk's time.
storm 10000 || echo "bench: loadgen did not start 10000 threads: $(cat "$STORM_LOG")" >&2
holder=$STORM_PID
busy 2
fifo_late= fifo_latemax= fifo_walk= normal_late= normal_latemax= normal_walk=
for round in 1 2 3; do
	for arm in fifo normal; do
		case $arm in
		fifo) lat_load "$MODULE" ;;
		normal) lat_load "$MODULE" walker_fifo=0 ;;
		esac
		take_history /tmp/p0
		wait_samples /tmp/p0 21
		take_history /tmp/p1
		unload
		late=$(columns /tmp/p0 /tmp/p1 late | tail -n 20)
		eval "${arm}_late=\"\$${arm}_late $(median $late)\""
		eval "${arm}_latemax=\"\$${arm}_latemax $(printf '%s\n' $late | sort -n | tail -n 1)\""
		eval "${arm}_walk=\"\$${arm}_walk $(median $(columns /tmp/p0 /tmp/p1 walk_ns | tail -n 20))\""
	done
done
# The storm first: stop_busy waits for every child of the shell.
kill "$holder"
wait "$holder" 2>/dev/null
stop_busy
for arm in fifo normal; do
	eval "say policy_${arm}_late_ticks \"\$(median \$${arm}_late)\""
	eval "say policy_${arm}_latemax_ticks \"\$(median \$${arm}_latemax)\""
	eval "say policy_${arm}_walk_ns \"\$(median \$${arm}_walk)\""
done

# 10. Load attribution: the walk with it (the default, here with room for every key and every
# unwind) against without (attribute_keys=0), 10k sleeping threads, with none, 100 and 1,000
# tasks in D (vfork parents, each a process of its own, whose stacks are unwound at every
# sample); 3 alternated rounds of 20 samples, medians of the walk's time and of its longest
# stretch between lock breaks.
storm 10000 600 || echo "bench: loadgen did not start 10000 threads: $(cat "$STORM_LOG")" >&2
attr_holder=$STORM_PID
# attr_round KEYS: loads with attribute_keys=KEYS, and prints the median walk time and longest
# stretch of 20 samples.
attr_round() {
	insmod "$MODULE" period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000 \
		attribute_keys="$1" attribute_unwinds=4096
	take_history /tmp/a0
	wait_samples /tmp/a0 21
	take_history /tmp/a1
	unload
	echo "$(columns /tmp/a0 /tmp/a1 walk_ns | tail -n 20 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')" \
		"$(columns /tmp/a0 /tmp/a1 stretch_ns | tail -n 20 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
}
for d in 0 100 1000; do
	if [ "$d" -gt 0 ]; then
		loadgen uninterruptible "$d" 600 >/tmp/attr_d.log &
		d_parent=$!
		wait_state D $(wait_started /tmp/attr_d.log)
	fi
	off_walk= off_stretch= on_walk= on_stretch=
	for round in 1 2 3; do
		set -- $(attr_round 0)
		off_walk="$off_walk $1" off_stretch="$off_stretch $2"
		set -- $(attr_round 4096)
		on_walk="$on_walk $1" on_stretch="$on_stretch $2"
	done
	say "attr_threads_$d" "$(record_value /tmp/a1 last threads)"
	say "attr_blocked_$d" "$(record_value /tmp/a1 last blocked)"
	say "attr_off_walk_ns_$d" "$(median $off_walk)"
	say "attr_on_walk_ns_$d" "$(median $on_walk)"
	say "attr_off_stretch_ns_$d" "$(median $off_stretch)"
	say "attr_on_stretch_ns_$d" "$(median $on_stretch)"
	if [ "$d" -gt 0 ]; then
		kill -KILL "$d_parent" $(sed -n 's/.* started: //p' /tmp/attr_d.log) 2>/dev/null
		wait "$d_parent" 2>/dev/null
	fi
done
kill "$attr_holder"
wait "$attr_holder" 2>/dev/null

# 9. LXCFS itself (Debian's 5.0.3, `lxcfs -l`) beside the module, both at the kernel's own 5 s
# period: N threads in 100 cgroups (N/100 sleeping threads each), every cgroup's load asked for
# once from inside it, as each container's /proc/loadavg would be (LXCFS then refreshes all of
# them every 5 s, reading each thread's /proc/PID/task/TID/status). Over 6 of the module's
# samples: LXCFS's CPU time (utime + stime of its process, all threads, in /proc/PID/stat ticks
# of 10 ms) per 5 s of wall-clock time, and the module's median walk. And whether LXCFS keeps
# up: a busy loop in c1 raises c1's load at every refresh (from 0 to about 0.4 over the 30 s,
# at least 0.01 a step), so LXCFS's figure for c1 changes between two of the module's samples
# when LXCFS refreshed in between: how many of the 6 gaps saw it change.
cg=/sys/fs/cgroup
mkdir -p "$cg"
if [ -c /dev/fuse ] && mount -t cgroup2 none "$cg" 2>/dev/null; then
	load
	mkdir -p /var/lib/lxcfs
	debian lxcfs -l -p /tmp/lxcfs.pid /var/lib/lxcfs >/tmp/lxcfs.log 2>&1 &
	lxcfs=$!
	# Mounted within 30 s, or the section is skipped with what LXCFS said.
	tries=0
	until [ -e /var/lib/lxcfs/proc/loadavg ] || [ $tries -ge 300 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	if [ -e /var/lib/lxcfs/proc/loadavg ]; then
		# lxcfs_cpu: LXCFS's CPU time so far, in ticks; uptime_cs: the time since boot, in 10 ms.
		lxcfs_cpu() { awk '{ print $14 + $15 }' "/proc/$(cat /tmp/lxcfs.pid)/stat"; }
		uptime_cs() { awk '{ sub(/\./, "", $1); print $1 + 0 }' /proc/uptime; }
		# c1_load: c1's 1-minute load as LXCFS shows it, read from inside c1.
		c1_load() { in_cgroup lx/c1 cat /var/lib/lxcfs/proc/loadavg | cut -d' ' -f1; }
		mkdir "$cg/lx"
		for n in 1000 10000 50000; do
			hundred_cgroups "$cg/lx" $((n / 100))
			sh -c "echo \$\$ > $cg/lx/c1/cgroup.procs && exec loadgen cpu 1 3600" >"/tmp/lxbusy$n.log" 2>&1 &
			# loadgen and the busy process it starts, both in c1 (a log of this round's own).
			holders="$holders $! $(wait_started "/tmp/lxbusy$n.log")"
			# LXCFS keeps a container's load from the first read of its file on.
			for i in $(seq 1 100); do
				in_cgroup "lx/c$i" cat /var/lib/lxcfs/proc/loadavg >/dev/null
			done
			take_history /tmp/x0
			c0=$(lxcfs_cpu) u0=$(uptime_cs)
			was=$(c1_load) updates=0
			for k in 1 2 3 4 5 6; do
				wait_samples /tmp/x0 "$k"
				now=$(c1_load)
				[ "$now" = "$was" ] || updates=$((updates + 1))
				was=$now
			done
			c1=$(lxcfs_cpu) u1=$(uptime_cs)
			say "lxcfs_updates_$n" "$updates"
			take_history /tmp/x1
			say "lxcfs_threads_$n" "$(record_value /tmp/x1 last threads)"
			# Ticks of 10 ms over centiseconds of wall-clock time, per 5 s, in ns.
			say "lxcfs_cpu_ns_$n" "$(awk -v c=$((c1 - c0)) -v u=$((u1 - u0)) 'BEGIN { printf "%.0f", c * 1e7 * 500 / u }')"
			say "lxcfs_walk_ns_$n" "$(median $(columns /tmp/x0 /tmp/x1 walk_ns))"
			kill $holders
			wait $holders 2>/dev/null
			for i in $(seq 1 100); do
				while [ -n "$(cat "$cg/lx/c$i/cgroup.procs")" ]; do sleep 0.1; done
				rmdir "$cg/lx/c$i"
			done
		done
		rmdir "$cg/lx"
	else
		echo "bench: LXCFS did not mount /var/lib/lxcfs in 30 s: $(cat /tmp/lxcfs.log)" >&2
	fi
	# LXCFS's own PID (its pid file), else the shell that started it.
	if [ -s /tmp/lxcfs.pid ]; then kill "$(cat /tmp/lxcfs.pid)"; else kill "$lxcfs"; fi 2>/dev/null
	tries=0
	while grep -q ' /var/lib/lxcfs ' /proc/mounts && [ $tries -lt 300 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	grep -q ' /var/lib/lxcfs ' /proc/mounts &&
		echo "bench: LXCFS left /var/lib/lxcfs mounted 30 s after SIGTERM" >&2 &&
		umount -l /var/lib/lxcfs
	unload
	# LXCFS may still hold the hierarchy open as it exits.
	umount "$cg" 2>/dev/null || umount -l "$cg"
fi

# 11. virtualize=1: what a call of sysinfo() and a read of /proc/loadavg cost with its probes in
# place, on the host (the pre-handler lets the call through to the kernel's function) and in a
# container (the pre-handler answers it: the lookup), against the module loaded without it, in 5 alternated rounds (medians). One
# thread calls sysinfo() for 2 s (`loadgen loadavg 1 2`: ns a call from the calls made); 20,000
# reads of /proc/loadavg (`loadgen readbench`).
cg=/sys/fs/cgroup
if mount -t cgroup2 none "$cg" 2>/dev/null && mkdir "$cg/vbox"; then
	if load virtualize=1 2>/dev/null; then
		unload
		# sysinfo_ns [container]: ns a sysinfo() call, on the host or in a container.
		sysinfo_ns() {
			local calls
			if [ -n "${1:-}" ]; then
				calls=$(loadgen container --no-bind "$cg/vbox" loadgen loadavg 1 2 | awk '{ print $3 }')
			else
				calls=$(loadgen loadavg 1 2 | awk '{ print $3 }')
			fi
			awk -v c="$calls" 'BEGIN { printf "%d", 2e9 / c }'
		}
		# proc_ns [container]: ns a read of /proc/loadavg, on the host or in a container.
		proc_ns() {
			if [ -n "${1:-}" ]; then
				loadgen container --no-bind "$cg/vbox" loadgen readbench /proc/loadavg 20000 | ns_of read
			else
				loadgen readbench /proc/loadavg 20000 | ns_of read
			fi
		}
		for arm in off on; do
			for what in sysinfo_host sysinfo_ct proc_host proc_ct; do eval "v_${arm}_$what="; done
		done
		for round in 1 2 3 4 5; do
			for arm in off on; do
				if [ "$arm" = on ]; then load virtualize=1; else load; fi
				eval "v_${arm}_sysinfo_host=\"\$v_${arm}_sysinfo_host $(sysinfo_ns)\""
				eval "v_${arm}_sysinfo_ct=\"\$v_${arm}_sysinfo_ct $(sysinfo_ns ct)\""
				eval "v_${arm}_proc_host=\"\$v_${arm}_proc_host $(proc_ns)\""
				eval "v_${arm}_proc_ct=\"\$v_${arm}_proc_ct $(proc_ns ct)\""
				unload
			done
		done
		for arm in off on; do
			for what in sysinfo_host sysinfo_ct proc_host proc_ct; do
				eval "say virt_${arm}_$what \"\$(median \$v_${arm}_$what)\""
			done
		done
	else
		echo "bench: this kernel has no kprobes: no virtualize=1 figures" >&2
	fi
	rmdir "$cg/vbox"
	umount "$cg"
fi

# 12. The BPF peer against the module over one story, where the peer runs (section 4): 2 busy
# loops, 2 readers of a slow disk (D, in IO wait), 2 vfork parents (D, not in IO wait), and 2
# busy loops in a cgroup that cpu.max holds to 10 ms in 100 ms (throttled: the module leaves them
# out, as the kernel's nr_running does; the peer cannot tell, and counts them runnable). The
# module samples every second with windows of 12, 60 and 180 periods, so that its decay
# constants are the kernel's EXP_1, EXP_5 and EXP_15, which the peer applies to a pass a second;
# both from zero, for 60 s. Then each one's counts at its last sample and its averages in fixed
# point, and the peer's memory (program and maps, as the kernel charges them).
if [ -n "$peer" ] && slow_disk 100 && mount -t cgroup2 none "$cg" 2>/dev/null; then
	echo +cpu >"$cg/cgroup.subtree_control"
	mkdir "$cg/capped" && echo '10000 100000' >"$cg/capped/cpu.max"
	sh -c "echo \$\$ > $cg/capped/cgroup.procs && exec loadgen cpu 2 600" >/dev/null 2>&1 &
	story="$! "
	loadgen cpu 2 600 >/dev/null 2>&1 &
	story="$story$! "
	loadgen io 2 600 /dev/nullb0 >/dev/null 2>&1 &
	story="$story$! "
	loadgen uninterruptible 2 600 >/dev/null 2>&1 &
	story="$story$!"
	sleep 3
	load period_ms=1000 window1_ms=12000 window2_ms=60000 window3_ms=180000
	"$PEER" "$PEER_OBJ" 60 1000 >/tmp/peer.story
	take_history /tmp/s1
	unload
	# shellcheck disable=SC2086 # PIDs
	kill $story
	remove_cgroup capped
	# Its own children only: a bare `wait` would wait for whatever an earlier section left.
	# shellcheck disable=SC2086 # PIDs
	wait $story 2>/dev/null
	umount "$cg"
	for d in all cpu io blocked; do
		say "story_module_$d" "$(hfixed /tmp/s1 "$d" 1)"
		say "story_module_count_$d" "$(record_value /tmp/s1 last "$d")"
		say "story_bpf_$d" "$(awk -v d="$d" '$1 == "loads" { for (i = 2; i < NF; i += 4) if ($i == d) v = $(i + 1) } END { print v }' /tmp/peer.story)"
	done
	awk '$1 == "pass" { for (i = 2; i < NF; i += 2) v[$i] = $(i + 1) }
		END { printf "bench story_bpf_counts runnable %s delayed %s uninterruptible %s iowait %s blocked %s\n",
			v["runnable"], v["delayed"], v["uninterruptible"], v["iowait"], v["blocked"] }' /tmp/peer.story
	say "story_module_samples" "$(hval /tmp/s1 samples)"
	say "story_bpf_passes" "$(grep -c '^pass' /tmp/peer.story)"
	say "bpf_jited" "$(awk '$1 == "prog" { print $4 }' /tmp/peer.story)"
	say "bpf_memlock" "$(awk '$1 == "prog" || $1 == "map" { m += $NF } END { print m }' /tmp/peer.story)"
fi
