# SPDX-License-Identifier: GPL-2.0
# A task that blocks or wakes while the walk reads it is counted as it stood when its on_rq was
# read, never nowhere (rust/glue/threads.c reads on_rq first, with acquire, then the rest; a
# task on its runqueue or with a load bit, as these readers always are, is read again that way).
#
# Four readers of a fast null_blk disk (completions from a timer after 0.2 ms) cycle between
# R and D with in_iowait thousands of times a second, alone in cgroup `race` with their idle
# parent; the module pauses 200 us between the (second) read of each task's on_rq and its
# other facts (test_state_delay_us), so that a reader caught running is likely to have blocked,
# or one caught blocked to have been woken, before the rest is read. A reader is never asleep
# otherwise: at every sample each is queued (cpu, or delayed) or off its runqueue in D (io, or
# blocked), so the four categories add up to exactly 4 at each of 30 samples. (Read in the other
# order, a reader seen TASK_RUNNING and then off its runqueue looked like a task fork() had not
# yet woken, and was counted nowhere.)
. /tests/lib.sh

if ! has_slow_disk; then
	skip "a task read while it blocks" "$NO_SLOW_DISK"
	finish
fi
cgroup2_or_skip "a task read while it blocks"
insmod /lib/modules/configfs.ko 2>/dev/null
mkdir -p /sys/kernel/config
mount -t configfs none /sys/kernel/config 2>/dev/null
grep -q '^null_blk ' /proc/modules || insmod /lib/modules/null_blk.ko nr_devices=0
nb=/sys/kernel/config/nullb/race
mkdir "$nb"
echo 2 >"$nb/irqmode"
echo 200000 >"$nb/completion_nsec"
echo 16 >"$nb/size"
echo 1 >"$nb/power"
# The disk is named after its configfs item (older kernels: nullb<index>).
dev=/dev/race
[ -b "$dev" ] || [ ! -b "/dev/nullb$(cat "$nb/index")" ] || dev=/dev/nullb$(cat "$nb/index")
while [ ! -b "$dev" ] && [ ! -b "/dev/nullb$(cat "$nb/index")" ]; do sleep 0.1; done
[ -b "$dev" ] || dev=/dev/nullb$(cat "$nb/index")
mkdir /sys/fs/cgroup/race
in_cgroup race loadgen io 4 3600 "$dev" >/tmp/race.started 2>&1 &
wait_started /tmp/race.started >/dev/null
check "module loads with a 200 us pause between the reads of each task" \
	load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000 test_state_delay_us=200
take_history /tmp/h0 && wait_samples /tmp/h0 2
bad=0 cpu=0 io=0
race_sample() {
	local c i b d
	c=$(field /tmp/each.table cpu /race) i=$(field /tmp/each.table io /race)
	b=$(field /tmp/each.table blocked /race) d=$(field /tmp/each.table delayed /race)
	cpu=$((cpu + c)) io=$((io + i))
	if [ $((c + i + b + d)) -ne 4 ]; then
		bad=$((bad + 1))
		echo "# sample $(hval /tmp/each.table sample): cpu $c io $i blocked $b delayed $d"
	fi
}
each_sample 30 race_sample
check "30 samples: each of the 4 readers is counted somewhere at each (cpu, io, blocked, delayed add up to 4; $bad samples not)" test "$bad" -eq 0
echo "# over the 30 samples: $cpu reader-samples running, $io in IO wait"
check "module unloads" unload
remove_cgroup race
wait
echo 0 >"$nb/power"
rmdir "$nb"
umount /sys/fs/cgroup
finish
