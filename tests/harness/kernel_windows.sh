#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest library's recovery of the kernel's own counts (kernel_windows and kernel_summary,
# tests/guest/lib.sh), checked on the host: histories are made here with the kernel's arithmetic
# (`loadgen verify advance`) over counts chosen to cover every case, and what it reads back must
# be exactly those counts. Run it with the guest's shell and awk: `busybox sh`, with busybox's
# awk and loadgen first in PATH (scripts/test.sh does). One TAP line per check.
#
# Each line of a plan is the kernel's windows between two of the module's samples, from
# averages of 1900 990 400 (one busy loop, three minutes in):
#   w N...   windows closed one by one, with these counts (none: no window closed);
#   c W N    W windows closed at once with count N, as calc_global_nohz() catches up missed
#            ticks: calc_load() then calc_load_n() for the rest.
# and the second column of the expected output is what must be read back for it.
set -eu
. "$(dirname "$0")/../guest/lib.sh"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# history PLAN: writes $dir/h0 (no sample yet) and $dir/h1 (a record per line of PLAN, after
# an initial one), the kernel's averages in the columns the module names avenrun1, avenrun5 and
# avenrun15.
history() {
	local n=1 l1=1900 l2=990 l3=400 kind w c
	echo "samples 0" >"$dir/h0"
	{
		echo "sample avenrun1 avenrun5 avenrun15"
		echo "1 $l1 $l2 $l3"
		printf '%s\n' "$1" | while read -r kind rest; do
			set -- $rest
			if [ "$kind" = w ]; then
				for c in "$@"; do
					l1=$(loadgen verify advance "$l1" 1884 "$c" 1)
					l2=$(loadgen verify advance "$l2" 2014 "$c" 1)
					l3=$(loadgen verify advance "$l3" 2037 "$c" 1)
				done
			else
				l1=$(loadgen verify advance "$l1" 1884 "$2" "$1")
				l2=$(loadgen verify advance "$l2" 2014 "$2" "$1")
				l3=$(loadgen verify advance "$l3" 2037 "$2" "$1")
			fi
			n=$((n + 1))
			echo "$n $l1 $l2 $l3"
		done
	} >"$dir/h1"
}

# expect NAME PLAN WANT [READER]: READER (kernel_windows unless given) reads back WANT from the
# history of PLAN (its lines, joined by commas).
expect() {
	local reader=${4:-kernel_windows} got
	history "$2"
	got=$("$reader" "$dir/h0" "$dir/h1" | paste -sd, -)
	if [ "$got" = "$3" ]; then
		echo "ok - $reader: $1: $got"
	else
		echo "not ok - $reader: $1: read '$got', made '$3'"
	fi
}

expect "one window per sample, the loop and a transient" \
	"w 1
w 1
w 2
w 1" "2 1,3 1,4 2,5 1"
expect "no window between two samples: nothing to read" \
	"w 1
w
w 1" "2 1,4 1"
expect "two windows after a late sample, each its own count" \
	"w 1 3
w 2 1
w 1" "2 1,2 3,3 2,3 1,4 1"
expect "three windows caught up at once, one count" \
	"w 1
c 3 1
w 1" "2 1,3 1,3 1,3 1,4 1"
expect "three windows, three counts: said, not guessed" \
	"w 1
w 0 1 2
w 1" "2 1,3 -,4 1"
expect "throttled loops: counts of 0 and 2" \
	"w 0
w 0
w 2
w 0
w 0 2" "2 0,3 0,4 2,5 0,6 0,6 2"

expect "4 windows read, 1 stretch not, lowest 1, highest 3" \
	"w 1
w 0 1 2
w 3
w 1 1" "4 1 1 3" kernel_summary
