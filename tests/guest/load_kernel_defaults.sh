# SPDX-License-Identifier: GPL-2.0
# The kernel's own time scale and constants, side by side with /proc/loadavg. Run right after
# boot, so that both start from a quiet system.
#
# 1. One busy task from idle for 60 s gives a 1-minute load of 0.62 (Brendan Gregg, "Linux Load
#    Averages: Solving the Mystery"), in /proc/loadavg and in /proc/loadavg_cpu. Exactly: 11
#    or 12 windows of 5.004 s fit in 60 s depending on the phase, giving 0.60 or 0.63 after the
#    kernel's rounding; the module's value is checked against the exact arithmetic for the
#    number of samples it reports.
# 2. With 2 busy loops for 2 more minutes, the module's `all` recomputes /proc/loadavg within
#    0.10, `cpu` is `all`, `io` stays at zero.
. /tests/lib.sh

check "module loads with the defaults" load
busy 1
# The module's 12th sample comes at 12 x 5.004 = 60.05 s after loading, the 13th at 65.05 s:
# read at 62 s, when its figures stand still.
sleep 62
read -r kernel </proc/loadavg
read -r cpu </proc/loadavg_cpu
k=$(table_value samples)
exact=$(awk -v k="$k" "$LOAD_AWK"'BEGIN { l = 0; for (i = 0; i < k; i++) l = calc_load(l, 1884, 2048); print shown(l) }')
echo "# 62 s of 1 busy loop: /proc/loadavg $kernel | /proc/loadavg_cpu $cpu | $k samples"
check "1 busy task, 60 s: /proc/loadavg's 1-minute load (${kernel%% *}) is Gregg's 0.62 (+-0.03)" \
	approx "${kernel%% *}" 0.62 0.03
check "1 busy task, 60 s: /proc/loadavg_cpu's (${cpu%% *}) is Gregg's 0.62 (+-0.03)" \
	approx "${cpu%% *}" 0.62 0.03
check "and exactly calc_load's $exact after its $k samples (+-0.01)" approx "${cpu%% *}" "$exact" 0.01

start=$(table_avg all 1)
kstart=${kernel%% *}
busy 1
for t in 30 60 90 120; do
	sleep 30
	read -r kernel </proc/loadavg
	read -r all </proc/loadavg_all
	read -r cpu </proc/loadavg_cpu
	read -r io </proc/loadavg_io
	echo "# +${t}s of 2 busy loops: loadavg $kernel | all $all | cpu $cpu | io $io"
done
check "2 busy loops, 120 s more: all (${all%% *}) is /proc/loadavg's (${kernel%% *}) within 0.10" \
	approx "${all%% *}" "${kernel%% *}" 0.10
check "cpu (${cpu%% *}) is all (${all%% *}) within 0.10" approx "${cpu%% *}" "${all%% *}" 0.10
check "io (${io%% *}) stays under 0.05" below "${io%% *}" 0.05
want=$(expected_load 2 "$kstart" 24 5000 60000)
check "the kernel's 1-minute average follows 2 + (L0 - 2) e^(-120/60) = $want" approx "${kernel%% *}" "$want" 0.10
want=$(expected_load 2 "$start" 24 5000 60000)
check "the module's all follows it too: $want" approx "${all%% *}" "$want" 0.10
stop_busy
check "module unloads" unload
finish
