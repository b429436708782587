#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: boots the test kernel, loads the module and tells a story of known load (idle,
# CPU-bound, disk-bound, lock-bound, mixed, idle), reading /proc/loadavg and every definition
# once a second; then a containers part (three cgroups, each its own kind of load). Ends with a
# table of what each definition said at the end of each phase, CSVs of the time series and
# charts (one for the story, one panel per container with its PSI), and what the load was made
# of at the end of the mixed phase: the processes that made it (/proc/loadavg_rs_top) and a
# load flame graph (/proc/loadavg_rs_stacks drawn by inferno), in build/demo/.
#
#   scripts/demo.sh              time compressed 6x: a 1 s period, windows of 10/50/150 s,
#                                phases of 30 s (about 4 minutes in all)
#   scripts/demo.sh --real-time  the kernel's own scale: 5 s period, 1/5/15 minute windows,
#                                phases of 2 minutes (about 13 minutes)
#
# /proc/loadavg always runs at the kernel's own scale; in the compressed demo it lags behind
# the module's curves, which is the kernel's 1-minute window showing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$PROJECT_DIR/build/demo
mkdir -p "$out/extra"
case ${1:-} in
"")
	scale="time compressed 6x: windows 10 s / 50 s / 150 s, 1 s period"
	printf 'PERIOD_MS=1000\nWINDOW1_MS=10000\nWINDOW2_MS=50000\nWINDOW3_MS=150000\nPHASE_S=30\n' >"$out/extra/demo.conf"
	;;
--real-time)
	scale="the kernel's scale: windows 1 / 5 / 15 min, 5 s period"
	printf 'PERIOD_MS=5000\nWINDOW1_MS=60000\nWINDOW2_MS=300000\nWINDOW3_MS=900000\nPHASE_S=120\n' >"$out/extra/demo.conf"
	;;
*) die "usage: scripts/demo.sh [--real-time]" ;;
esac

"$PROJECT_DIR/scripts/provision.sh"
log "demo: $scale; progress below"
status=0
"$PROJECT_DIR/scripts/guest-run.sh" --name demo --follow --timeout 3600 --extra "$out/extra" \
	"$PROJECT_DIR/scripts/demo/story.sh" |
	sed -u '/^--- \(top\|stacks\)$/,/^--- end$/d' | grep --line-buffered -v '^--- \|^[0-9]*,\|^t,' || status=$?
run=$PROJECT_DIR/build/runs/demo
sed -n '/^--- csv$/,/^--- end$/p' "$run/output.log" | sed '1d;$d' >"$out/demo.csv"
sed -n '/^--- containers$/,/^--- end$/p' "$run/output.log" | sed '1d;$d' >"$out/containers.csv"
[ "$(wc -l <"$out/demo.csv")" -gt 1 ] || die "the demo produced no data (see $run/console.log)"

# The table: each definition at the end of each phase, its columns the CSV's.
printf '\nLoad average over the first window at the end of each phase (%s)\n\n' "$scale"
awk -F, '{ row = sprintf("%-10s", NR == 1 ? "phase" : $2); for (i = 3; i <= NF; i++) row = row sprintf(" %8s", $i) }
	NR == 1 { print row; next }
	$2 != phase && phase != "" { print last }
	{ phase = $2; last = row }
	END { print last }' "$out/demo.csv"
printf '\n  loadavg: the kernel'"'"'s /proc/loadavg (R+D, always 1 minute); NAME: /proc/loadavg_NAME\n'

# The chart.
phases=$(awk -F, 'NR > 1 { if ($2 != p) { if (p != "") printf "%s %d %d ", p, s, $1; p = $2; s = $1 } last = $1 }
	END { printf "%s %d %d", p, s, last + 1 }' "$out/demo.csv")
gnuplot -e "csv='$out/demo.csv'; png='$out/demo.png'; phases='$phases'; columns=$(head -n1 "$out/demo.csv" | awk -F, '{ print NF }'); title='loadavg-rs: one story, every definition ($scale)'" \
	"$PROJECT_DIR/scripts/demo/chart.gp"
if [ "$(wc -l <"$out/containers.csv")" -gt 1 ]; then
	printf '\nContainers: each cgroup'"'"'s first-window averages and pressure at the end\n\n'
	awk -F, 'NR > 1 { row[$2] = sprintf("%-8s %8s %8s %8s %8s %12s %11s", $2, $3, $4, $5, $6, $7, $8) }
		END { for (c in row) print row[c] }' "$out/containers.csv" | sort |
		sed '1i cgroup        all      cpu       io  blocked  psi_cpu_10s  psi_io_10s'
	for c in web db batch; do
		awk -F, -v c="$c" 'NR > 1 && $2 == c' "$out/containers.csv" >"$out/containers_$c.csv"
	done
	gnuplot -e "prefix='$out/containers_'; png='$out/containers.png'; phase=$(awk -F= '$1 == "PHASE_S" { print $2 }' "$out/extra/demo.conf"); title='loadavg-rs: load per container ($scale)'" \
		"$PROJECT_DIR/scripts/demo/containers.gp"
	printf '\ncontainers CSV:   %s\ncontainers chart: %s\n' "$out/containers.csv" "$out/containers.png"
fi

# What the load was made of at the end of the mixed phase: the processes, and the flame graph
# of cpu, io and blocked (which add up to all, without counting a task twice), by process and
# kernel wait site.
sed -n '/^--- top$/,/^--- end$/p' "$run/output.log" | sed '1d;$d' >"$out/top.txt"
sed -n '/^--- stacks$/,/^--- end$/p' "$run/output.log" | sed '1d;$d' >"$out/stacks.folded"
if [ -s "$out/top.txt" ] && [ -s "$out/stacks.folded" ]; then
	printf '
What the load was made of at the end of the mixed phase (/proc/loadavg_rs_top), first window:

'
	awk '$1 == "pid" { for (i = NF; i >= 1; i--) { col[$i] = i; if ($i ~ /^all_/) w = substr($i, 5) }; next }
		w && $(col["all_" w]) != "0.00" {
			printf "%-7s %-16s %6s %6s %6s %6s  %s\n", $1, $(col["comm"]), $(col["all_" w]), $(col["cpu_" w]),
				$(col["io_" w]), $(col["blocked_" w]), $(col["cgroup"]) }' "$out/top.txt" |
		sed '1i pid     comm                all    cpu     io  blocked  cgroup'
	if grep -qE '^(cpu|io|blocked);' "$out/stacks.folded"; then
		grep -E '^(cpu|io|blocked);' "$out/stacks.folded" |
			"$INFERNO_FLAMEGRAPH" --title "loadavg-rs: the load by cause, process and kernel wait site ($scale)" \
				--countname "thousandths of a task" >"$out/load-flamegraph.svg"
	else
		printf '\nno cpu, io or blocked load at that moment: no flame graph\n'
	fi
	printf '\ntop:         %s\nstacks:      %s\nflame graph: %s\n' "$out/top.txt" "$out/stacks.folded" "$out/load-flamegraph.svg"
fi
printf '\nCSV:   %s\nchart: %s\n' "$out/demo.csv" "$out/demo.png"
exit "$status"
