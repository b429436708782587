# SPDX-License-Identifier: GPL-2.0
# With the kernel's own period and windows, the module's `all` recomputes /proc/loadavg: two
# busy loops on a quiet system for two minutes, compared every 30 s. `cpu` is `all` (nothing
# else is active), `io` stays at zero. Run right after boot, so that the kernel's averages,
# like the module's, start from (nearly) zero.
. /tests/lib.sh

check "module loads with the defaults" load
busy 2
for t in 30 60 90 120; do
	sleep 30
	kernel=$(line_of /proc/loadavg) all=$(line_of /proc/loadavg_all)
	cpu=$(line_of /proc/loadavg_cpu) io=$(line_of /proc/loadavg_io)
	echo "# ${t}s: loadavg $kernel | all $all | cpu $cpu | io $io"
done
check "after 120 s of 2 busy loops, all (${all%% *}) is /proc/loadavg's (${kernel%% *}) within 0.10" \
	approx "${all%% *}" "${kernel%% *}" 0.10
check "cpu (${cpu%% *}) is all (${all%% *}) within 0.10" approx "${cpu%% *}" "${all%% *}" 0.10
check "io (${io%% *}) stays under 0.05" below "${io%% *}" 0.05
# 2 (1 - e^-2) = 1.73: both follow the formula, whichever 5 s phase their windows have.
check "the kernel's 1-minute average follows 2 (1 - e^(-t/60)) = 1.73 at t = 120 s" approx "${kernel%% *}" 1.73 0.10
check "the module's all follows it too" approx "${all%% *}" 1.73 0.10
stop_busy
check "module unloads" unload
finish
