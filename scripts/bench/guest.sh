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

# 4. The walk's cost against the thread count, and the user-space walk (LXCFS's way).
load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000
for n in 1000 10000 50000; do
	loadgen threads "$n" 600 >/tmp/threads.log 2>&1 &
	holder=$!
	i=0
	until grep -q started /tmp/threads.log || [ "$i" -gt 600 ]; do sleep 1; i=$((i + 1)); done
	grep -q "threads $n started" /tmp/threads.log || echo "bench: loadgen did not start $n threads: $(cat /tmp/threads.log)" >&2
	sleep 1
	# Five readings of the last walk's time, half a second apart: the median.
	w1= w2= w3= w4= w5=
	for j in 1 2 3 4 5; do
		snapshot
		eval "w$j=$(snap_value last_sample_ns)"
		sleep 0.5
	done
	threads=$(snap_value threads)
	walk=$(printf '%s\n' "$w1" "$w2" "$w3" "$w4" "$w5" | sort -n | sed -n 3p)
	user=$(loadgen procwalk 3 | sed -n 's/.*, \([0-9]*\) ns per walk.*/\1/p')
	say "walk_threads_$n" "$threads"
	say "walk_ns_$n" "$walk"
	say "procwalk_ns_$n" "$user"
	kill "$holder"
	wait "$holder" 2>/dev/null
done
unload
