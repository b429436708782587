# SPDX-License-Identifier: GPL-2.0
# A mutex's waiter is load in `blocked`, never `cpu`, and its stack names where it waits, also
# when proxy execution keeps it on its runqueue (CONFIG_SCHED_PROXY_EXEC: `make test` boots a
# test kernel with it, the proxy stage; elsewhere the waiter sleeps in D and the same holds).
#
# tests/kmod/loadavg_test_mutex.c: on CPU 0, "ldrs_towner" holds a mutex while busy, and
# "ldrs_twaiter" waits for it all along. With proxy execution the waiter stays queued as a
# donor while the owner runs in its place: the kernel counts it in nr_running, and the module
# reads it as a donor (rust/glue/threads.c), counted in `all` and `blocked`, its stack unwound
# (rust/glue/attribution.c); without proxy execution it sleeps in D, and the same holds.
#
# After 6 s (60 samples of 100 ms; first window 2 s), the average of a task counted at every
# sample is at least 1 - e^-3 = 0.95: the waiter's `blocked` weight is 950 thousandths or more
# (bound: 900; it blocks before the first of those samples, since the test module's init
# returns once the owner holds the mutex and the waiter is woken to ask for it, a moment
# before). It is never runnable after that: its `cpu` weight is 3 thousandths at most (were it
# caught runnable at one sample in the moment before it blocks, that sample adds 1 - e^-0.05
# = 49 thousandths, decayed by e^-3 over the 6 s after: 2.4).
. /tests/lib.sh

# The scheduler's find_proxy_task(), built only with the option (a function: kallsyms lists
# data symbols only with CONFIG_KALLSYMS_ALL).
proxy=no
grep -q ' find_proxy_task$' /proc/kallsyms && proxy=yes
echo "# proxy execution in this kernel (CONFIG_SCHED_PROXY_EXEC): $proxy"
check "module loads with a 100 ms period" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000
check "the test module loads (two threads contending for a mutex)" insmod /lib/modules/loadavg_test_mutex.ko
comm_pid() { for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"; done; }
waiter=$(comm_pid ldrs_twaiter) owner=$(comm_pid ldrs_towner)
check "both threads run (waiter $waiter, owner $owner)" test -n "$waiter" -a -n "$owner"
take_history /tmp/p0 && wait_samples /tmp/p0 60
if [ "$proxy" = yes ]; then
	# The kernel's own count: a donor is in nr_running. With the owner busy, the waiter queued
	# and the reader itself, /proc/stat's procs_running is 3 or more at every read.
	n=0
	for i in $(seq 20); do
		[ "$(awk '$1 == "procs_running" { print $2 }' /proc/stat)" -ge 3 ] && n=$((n + 1))
		sleep 0.05
	done
	check "the kernel keeps the waiter queued: procs_running 3 or more at $n of 20 reads" test "$n" -eq 20
fi
cat /proc/loadavg_rs_stacks >/tmp/proxy.stacks
grep -E ";ldrs_tw[a-z]*-$waiter[; ]" /tmp/proxy.stacks | sed 's/^/# stacks: /' | cut -c1-220
weight() { awk -v d="$1" -v w="ldrs_twaiter-$waiter" '{ split($1, f, ";") } f[1] == d && f[2] == w { s += $NF } END { print s + 0 }' /tmp/proxy.stacks; }
check "the waiter is load in blocked, $(weight blocked) thousandths (at least 900)" test "$(weight blocked)" -ge 900
check "and not in cpu, $(weight cpu) thousandths (at most 3)" test "$(weight cpu)" -le 3
# mutex_lock() and its slow path are scheduler text, which the unwinder leaves out, as
# /proc/PID/stack does: the innermost frame is the function that asked for the lock.
check "its stack ends where it waits, in loadavg_test_mutex_wait" \
	grep -Eq "^blocked;ldrs_twaiter-$waiter;.*;loadavg_test_mutex_wait \[loadavg_test_mutex\] [0-9]+\$" /tmp/proxy.stacks
check "the test module unloads" rmmod loadavg_test_mutex
check "module unloads" unload
finish
