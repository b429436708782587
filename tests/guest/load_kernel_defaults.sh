# SPDX-License-Identifier: GPL-2.0
# The kernel's own time scale and constants, side by side with /proc/loadavg. Run right after
# boot, so that both start from a quiet system.
#
# 1. One busy task from idle for 60 s gives a 1-minute load of 0.62 (Brendan Gregg, "Linux Load
#    Averages: Solving the Mystery"): exactly, 11 or 12 windows of 5.004 s fit in 60 s depending
#    on the phase, giving 0.60 or 0.63 after the kernel's rounding. The module's value is the
#    kernel's arithmetic over the counts it recorded, exactly; the busy loop is counted at every
#    sample, of the module's and of the kernel's, so both are at least what 12 windows of exactly
#    one task give.
# 2. Two more minutes of it: the module's `all` recomputes /proc/loadavg within what sampling at
#    other instants can make them differ by (argued below), `cpu` is `all` exactly when nothing
#    blocked, `io` stays at zero.
. /tests/lib.sh

# shown_of FIXED: a fixed-point load with two decimals, as /proc/loadavg prints it.
shown_of() { awk -v l="$1" "$LOAD_AWK"'BEGIN { print shown(l) }'; }
# ideal K L0: K windows of exactly one task from fixed-point L0, with the kernel's EXP_1.
ideal() { awk -v k="$1" -v l="$2" "$LOAD_AWK"'BEGIN { for (i = 0; i < k; i++) l = calc_load(l, 1884, 2048); print l }'; }

check "module loads with the defaults" load
take_history /tmp/h0
busy 1
# The module's 12th sample comes 12 x 5.004 = 60.05 s after loading, the 13th at 65.05 s.
sleep 62
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
# The kernel closed at least 12 windows (62 s / 5.004 s) since the loop started, counting it in
# each, from a start of at least 0: its value is at least the same.
check "1 busy task, 60 s: /proc/loadavg's 1-minute load (${kernel%% *}) is at least Gregg's figure ($lower)" \
	test "$(awk -v a="${kernel%% *}" -v b="$lower" 'BEGIN { print (a >= b) }')" = 1

# Two more minutes, read at the end. How far apart can the two be? They average the same
# tasks at different instants: the module's windows start at its load, the kernel's at boot, so
# one may have taken one more sample of the rising load than the other, a step of at most
# |1 - L| (1 - e^(-5.004/60)) = |1 - L| x 0.080; each rounds to two decimals (0.01 between them);
# and a task that ran at one of the kernel's last instants and not at the module's (or the
# other way round) adds up to 1 x 0.080 to one side. Nothing else differs: the counts are of the
# same tasks, by the same definition (rust/accounting.rs).
sleep 120
take_history /tmp/h2
read -r kernel </proc/loadavg
read -r all </proc/loadavg_all
read -r cpu </proc/loadavg_cpu
read -r io </proc/loadavg_io
echo "# +120 s of the busy loop: loadavg $kernel | all $all | cpu $cpu | io $io"
bound=$(awk -v l="${all%% *}" 'BEGIN { d = 1 - l; if (d < 0) d = -d; printf "%.3f", d * 0.080 + 0.01 + 0.080 }')
check "1 busy task, 3 minutes: all (${all%% *}) is /proc/loadavg's (${kernel%% *}) within $bound (argued above)" \
	approx "${all%% *}" "${kernel%% *}" "$bound"
replay_exact "3 minutes" /tmp/h1 /tmp/h2
counts_ceiling "3 minutes" /tmp/h1 /tmp/h2 io 0 "nothing waits for IO"
sed 's/^/# table: /' /proc/loadavg_rs
sed 's/^/# samples: /' /proc/loadavg_rs_samples | tail -n 3
stop_busy
check "module unloads" unload
finish
