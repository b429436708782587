#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs a command under a time limit that counts only the time the host let it run.
#
#   qemu/timelimit.sh SECONDS COMMAND [ARG...]
#
# A guest under emulation gets as far as the CPU time its threads get: on a busy host (a loaded
# laptop, a CI machine running other jobs) a fixed wall-clock limit stops a guest that is merely
# slow. Here the command is stopped (SIGTERM, SIGKILL 5 s later) once SECONDS of wall-clock time
# have passed, not counting the time its most held-back thread was runnable but waiting for a
# CPU (the second field of /proc/PID/task/TID/schedstat: time on a run queue, not running).
# Time the command is idle counts in full, so a guest that hangs asleep is stopped at SECONDS; one
# that spins is stopped once it has had SECONDS of time the host did not give to others. On a
# host without schedstat the limit is plain wall-clock time.
#
# Exits with the command's status, or 124 when it was stopped (as timeout(1) does), after saying
# on stderr how long it ran and how much of that the host held it back.
set -euo pipefail

[ $# -ge 2 ] && [[ $1 =~ ^[1-9][0-9]*$ ]] || {
	echo "usage: qemu/timelimit.sh SECONDS COMMAND [ARG...]" >&2
	exit 125
}
limit=$1
shift

# The command keeps this script's standard input (a background command would get /dev/null).
"$@" <&0 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' TERM INT HUP

# held: the longest run-queue wait of any of the command's threads, in ns. It only grows: a
# thread that ends takes its count with it, and the time it was held back stays held back.
# now, begun, elapsed: wall-clock times in microseconds.
now() { printf '%s\n' "${EPOCHREALTIME/./}"; }
held=0
begun=$(now)
while kill -0 "$pid" 2>/dev/null; do
	sleep 1
	for stat in /proc/"$pid"/task/*/schedstat; do
		{ read -r _ waited _ <"$stat"; } 2>/dev/null || continue
		[ "$waited" -le "$held" ] || held=$waited
	done
	elapsed=$(($(now) - begun))
	if [ $((elapsed - held / 1000)) -ge $((limit * 1000000)) ]; then
		echo "timelimit: stopped after $((elapsed / 1000000)) s, $((held / 1000000000)) s of it held back by the host: a limit of $limit s" >&2
		kill -TERM "$pid" 2>/dev/null || true
		for _ in 1 2 3 4 5; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		exit 124
	fi
done
status=0
wait "$pid" || status=$?
exit "$status"
