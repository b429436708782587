# SPDX-License-Identifier: GPL-2.0
# Unload races: 200 insmod/rmmod cycles, with a 10 ms sampling period so the sampler is busy,
# while readers open, read and close the files in a loop and another keeps a file open across
# the unloads. Every read must be well formed, ENOENT (the file is not there) or EIO (it went
# away under an open descriptor); afterwards no leak (kmemleak), and the module works.
. /tests/lib.sh

CYCLES=${CYCLES:-200}
kmemleak=/sys/kernel/debug/kmemleak
[ ! -e "$kmemleak" ] || echo clear >"$kmemleak"

loadgen reader /proc/loadavg_cpu 3600 >/tmp/reader_cpu.log 2>&1 &
readers=$!
loadgen reader /proc/loadavg_rs 3600 >/tmp/reader_table.log 2>&1 &
readers="$readers $!"
loadgen holder /proc/loadavg_io 3600 >/tmp/holder.log 2>&1 &
readers="$readers $!"
loadgen reader /proc/loadavg_rs_cgroups 3600 >/tmp/reader_cgroups.log 2>&1 &
readers="$readers $!"
loadgen reader /proc/loadavg_cgroup 3600 >/tmp/reader_cgroup.log 2>&1 &
readers="$readers $!"
# The attribution's two files, in turn, by one reader (each reader spins on ENOENT while the
# module is unloaded: one more is CPU the cgroup churn below, slow on the debug kernel, lacks).
loadgen reader /proc/loadavg_rs_top,/proc/loadavg_rs_stacks 3600 >/tmp/reader_attribution.log 2>&1 &
readers="$readers $!"

# Meanwhile 1,000 cgroups are created and removed, a sleeping task moved into every tenth for a
# moment (so that walks find it there, and the module tracks the cgroup and holds a reference
# on it; a migration costs a debug kernel under emulation a good part of a second). Afterwards every removed cgroup must be freed: the module's references all put
# (cgroup.stat's nr_dying_descendants back to 0).
cg=/sys/fs/cgroup
mkdir -p "$cg"
churn=
# favordynmods: migrations do not wait for an RCU grace period.
if mount -t cgroup2 -o favordynmods none "$cg" 2>/dev/null || mount -t cgroup2 none "$cg" 2>/dev/null; then
	loadgen sleep 1 3600 >/tmp/started.sleeper &
	sleeper=$(wait_started /tmp/started.sleeper)
	(
		i=0
		while [ "$i" -lt 1000 ]; do
			mkdir "$cg/u$i"
			if [ $((i % 10)) -eq 0 ]; then
				echo "$sleeper" >"$cg/u$i/cgroup.procs"
				echo "$sleeper" >"$cg/cgroup.procs"
			fi
			rmdir "$cg/u$i"
			i=$((i + 1))
		done
		echo "churn: $i cgroups made and removed"
	) >/tmp/churn.log 2>&1 &
	churn=$!
	readers="$readers $sleeper"
fi

loads=0 unloads=0 i=0
while [ "$i" -lt "$CYCLES" ]; do
	load period_ms=10 window1_ms=1000 window2_ms=5000 window3_ms=15000 && loads=$((loads + 1))
	# Vary how long the module lives: 0 to 40 ms, so unloads fall at every point of a period.
	[ $((i % 5)) -eq 0 ] || sleep "0.0$((i % 5 * 1))"
	unload && unloads=$((unloads + 1))
	i=$((i + 1))
done
[ -z "$churn" ] || wait "$churn"
kill -TERM $readers
wait
logs="/tmp/reader_cpu.log /tmp/reader_table.log /tmp/holder.log /tmp/reader_cgroups.log /tmp/reader_cgroup.log /tmp/reader_attribution.log"
cat $logs | sed 's/^/# /'
check "$CYCLES loads succeeded ($loads)" test "$loads" -eq "$CYCLES"
check "$CYCLES unloads succeeded ($unloads)" test "$unloads" -eq "$CYCLES"
for log in $logs; do
	tally=$(grep '^loadgen: ' "$log" | tail -n1)
	set -- $tally
	# loadgen: WHAT FILE: ok N enoent N eio N bad N
	check "$2 $3 read well-formed text ($5 times), and nothing but ENOENT ($7) or EIO ($9) besides (bad: ${11})" \
		test "${11:-1}" -eq 0 -a "${5:-0}" -gt 0
done
set -- $(grep '^loadgen: ' /tmp/holder.log | tail -n1)
check "the open descriptor read EIO after unloads ($9 times)" test "${9:-0}" -gt 0

if [ -e "$kmemleak" ]; then
	# Two scans: kmemleak reports an object only once it has looked unreferenced twice.
	echo scan >"$kmemleak"
	sleep 6
	echo scan >"$kmemleak"
	leaks=$(grep -c 'unreferenced object' "$kmemleak")
	ours=$(grep -c 'loadavg_rs' "$kmemleak")
	[ "$leaks" -eq 0 ] || sed 's/^/# kmemleak: /' "$kmemleak" | head -n 40
	check "kmemleak: nothing of loadavg_rs leaked ($ours lines name it; $leaks leaks in all)" test "$ours" -eq 0
else
	skip "kmemleak: nothing of loadavg_rs leaked" "this kernel has no kmemleak (CONFIG_DEBUG_KMEMLEAK)"
fi
if [ -n "$churn" ]; then
	check "1000 cgroups made and removed during the race ($(cat /tmp/churn.log))" grep -q "churn: 1000 cgroups" /tmp/churn.log
	# Freed after an RCU grace period and a work item; no limit of our own (the job's has one).
	echo "# waiting for the removed cgroups to be freed"
	until grep -q '^nr_dying_descendants 0$' "$cg/cgroup.stat"; do sleep 0.1; done
	pass "every removed cgroup is freed: the module holds no reference"
	umount "$cg"
else
	skip "1000 cgroups made and removed during the race" "this kernel has no cgroup v2 (CONFIG_CGROUPS)"
fi
check "the module loads after the race" load
# The first sample comes one period (5.004 s) after loading; wait for it, however long the
# guest takes (the job's time limit ends a run whose sampler never samples).
printf 'samples 0\n' >/tmp/h0
wait_samples /tmp/h0 1
check "and samples ($(table_value samples) taken)" test "$(table_value samples)" -ge 1
check "and unloads" unload
finish
