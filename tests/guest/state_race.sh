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
# blocked), so the four categories add up to exactly 4 at each of 30 samples. (Read in the
# other order, a reader seen TASK_RUNNING and then off its runqueue looked like a task fork()
# had not yet woken, and was counted nowhere.) Then the same for load attribution's stacks: a
# reader that wakes while it is unwound.
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

# Ten times that pause, 2 ms, lies between a blocked reader's unwind and the checks after it
# (rust/glue/attribution.c), at most 8 unwinds a sample (attribute_unwinds=8). A reader whose
# IO completed meanwhile (0.2 ms after it was issued, a few times that under emulation) ran or
# woke during the unwind: its stack is not kept, the top file counts it in unwinds_woke, and
# the reader is attributed under [no frames]. A stack that is kept was read while its reader
# stayed blocked in its read: each is the block read path (as in attribution.sh), none a stack
# of the reader running elsewhere.
check "module unloads" unload
check "module loads again, with at most 8 unwinds a sample" \
	load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000 test_state_delay_us=200 attribute_unwinds=8
take_history /tmp/h0 && wait_samples /tmp/h0 2
# At least 20 samples, and on until one such unwind (about 1 in 3 was, in one run under
# emulation), 300 at most: the top file, read once a sample, gives each walk's figures.
woke=0 unwinds=0 last=0 seen=0
while [ "$seen" -lt 20 ] || { [ "$woke" -eq 0 ] && [ "$seen" -lt 300 ]; }; do
	cat /proc/loadavg_rs_top >/tmp/race.top
	k=$(hval /tmp/race.top sample)
	[ "$k" -gt "$last" ] || continue
	last=$k seen=$((seen + 1))
	woke=$((woke + $(hval /tmp/race.top unwinds_woke)))
	unwinds=$((unwinds + $(hval /tmp/race.top unwinds)))
done
cat /proc/loadavg_rs_stacks >/tmp/race.stacks
# The readers' io lines (each reader is a process of its own).
readers="^io;loadgen-($(wait_started /tmp/race.started | tr ' ' '|'));"
grep -E "$readers" /tmp/race.stacks >/tmp/race.io || true
sed 's/^/# stacks: /' /tmp/race.io | cut -c1-200
check "over $seen samples, $woke of $unwinds unwinds were of readers that woke meanwhile, dropped (unwinds_woke)" test "$woke" -gt 0
check "the readers' io under [no frames] ($(grep -c ';\[no frames\] [1-9]' /tmp/race.io) of their $(wc -l </tmp/race.io) lines)" \
	grep -q ';\[no frames\] [1-9]' /tmp/race.io
# (A reader past the sample's 8 unwinds is `[not unwound]`: no stack either.)
kept=$(grep -Ev ';\[(no frames|not unwound)\] ' /tmp/race.io | grep -Evc ';(blkdev_read_iter|__blkdev_direct_IO[a-z_]*);') || true
check "every stack of theirs that is kept is the block read path ($kept not)" test "$kept" -eq 0
check "module unloads" unload
remove_cgroup race
wait
echo 0 >"$nb/power"
rmdir "$nb"
umount /sys/fs/cgroup
finish
