# SPDX-License-Identifier: GPL-2.0
# The kernel's own time scale and constants, side by side with /proc/loadavg. Run right after
# boot, so that both start from a quiet system.
#
# 1. One busy task from idle for 60 s gives a 1-minute load of 0.62 (Brendan Gregg, "Linux Load
#    Averages: Solving the Mystery"): exactly, 11 or 12 windows of 5.004 s fit in 60 s depending
#    on the phase, giving 0.60 or 0.63 after the kernel's rounding. The module's value is the
#    kernel's arithmetic over the counts it recorded, exactly; the busy loop is counted at every
#    sample, of the module's and of the kernel's, so both are at least what 12 windows of exactly
#    one task give once each has closed 12 windows since the loop started.
# 2. Two more minutes of it: the module's `all` and /proc/loadavg are the same arithmetic over
#    counts of the same tasks, taken at other instants: both count the busy loop at every
#    instant, and exactly it at some (anything else that runs at an instant, a kernel thread or
#    this shell, only adds to a count at that instant, on either side), with the same decay
#    factors; `io` stays at zero. How far apart the two averages are then is what each side's
#    extra counts add (shown, not judged: where they fall is chance).
. /tests/lib.sh

# shown_of FIXED: a fixed-point load with two decimals, as /proc/loadavg prints it.
shown_of() { shown "$1"; }
# ideal K L0: K windows of exactly one task from fixed-point L0, with the kernel's EXP_1.
ideal() { loadgen verify advance "$2" 1884 1 1 "$1"; }

check "module loads with the defaults" load
# The loop runs before the first history is read: every sample after it counts the loop, even
# one that came early on a slow guest.
busy 1
take_history /tmp/h0
# 62 s is 12.4 of the kernel's windows (its own, in tick context, never late); the module's
# samples may be late on a starved guest, so wait for its 12th as well.
sleep 62
wait_samples /tmp/h0 12
take_history /tmp/h1
read -r kernel </proc/loadavg
read -r cpu </proc/loadavg_cpu
k=$(hval /tmp/h1 samples)
echo "# 62 s of 1 busy loop: /proc/loadavg $kernel | /proc/loadavg_cpu $cpu | $k samples"
history_complete "1 busy task" /tmp/h0 /tmp/h1
counts_floor "1 busy task" /tmp/h0 /tmp/h1 cpu 1 "the busy loop, and what ran besides at a sample"
replay_exact "1 busy task" /tmp/h0 /tmp/h1
lower=$(shown_of "$(ideal 12 0)")
check "1 busy task, 60 s: the module's 1-minute cpu (${cpu%% *}) is at least Gregg's figure for 12 windows of exactly one task ($lower)" \
	test "$(awk -v a="${cpu%% *}" -v b="$lower" 'BEGIN { print (a >= b) }')" = 1
# The module closed at least 12 windows since the first history (one per sample, more for a
# late one), counting the loop in each (above), from a start of at least 0; the kernel at least
# 12 (62 s / 5.004 s) as well: both values are at least Gregg's.
check "1 busy task, 60 s: /proc/loadavg's 1-minute load (${kernel%% *}) is at least Gregg's figure ($lower)" \
	test "$(awk -v a="${kernel%% *}" -v b="$lower" 'BEGIN { print (a >= b) }')" = 1

# Two more minutes, read at the end. The two averages are compared by what they are made of,
# exactly: the counts (each side's lowest is the loop alone), the arithmetic (the module's
# replay, the kernel's decay factors). Their values differ by what ran besides the loop at each
# side's instants, which is chance (a kernel thread, this shell): shown, from the counts above 1.
sleep 120
take_history /tmp/h2
read -r kernel </proc/loadavg
read -r all </proc/loadavg_all
read -r cpu </proc/loadavg_cpu
read -r io </proc/loadavg_io
echo "# +120 s of the busy loop: loadavg $kernel | all $all | cpu $cpu | io $io"
history_complete "3 minutes" /tmp/h1 /tmp/h2
counts_floor "3 minutes" /tmp/h1 /tmp/h2 all 1 "the busy loop, and what ran besides at a sample"
# The kernel's own count in each of its windows since, recovered exactly from the averages the
# records hold (kernel_windows, tests/guest/lib.sh): the loop in every window, and the loop
# alone in some, as the module's. The kernel adds up each CPU's count at that CPU's tick after
# the window opens; the loop alone on a CPU stays there (a task that wakes beside it is the one
# the idle CPU pulls), so no tick misses it. (A stretch it cannot recover is left out, and said.)
set -- $(kernel_summary /tmp/h1 /tmp/h2)
ones=$(kernel_windows /tmp/h1 /tmp/h2 | awk '$2 == 1' | wc -l)
check "3 minutes: the kernel's own count, recovered from avenrun in $1 windows ($2 stretches not), is 1 at least and exactly 1 in $ones of them, as the module's (highest $4)" \
	test "$1" -gt 0 -a "$3" = 1
decay=$(awk '$1 == "decay" { print $2, $3, $4 }' /tmp/h2)
check "3 minutes: the module's decay factors are the kernel's EXP_1, EXP_5, EXP_15: $decay" test "$decay" = "1884 2014 2037"
extra=$(columns /tmp/h1 /tmp/h2 all | awk '$1 > 1 { n++ } END { print n + 0 }')
kextra=$(kernel_windows /tmp/h1 /tmp/h2 | awk '$2 != "-" && $2 > 1 { n++ } END { print n + 0 }')
echo "# all ${all%% *} against /proc/loadavg ${kernel%% *}: more than the loop at $extra of the module's samples, $kextra of the kernel's windows"
replay_exact "3 minutes" /tmp/h1 /tmp/h2
counts_ceiling "3 minutes" /tmp/h1 /tmp/h2 io 0 "nothing waits for IO"
sed 's/^/# table: /' /proc/loadavg_rs
sed 's/^/# samples: /' /proc/loadavg_rs_samples | tail -n 3
stop_busy
check "module unloads" unload
finish
