#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module's folded stacks, as tests/guest/attribution.sh printed them (`# stacks: ` lines),
# drawn as they are by the two flame graph tools users run: Brendan Gregg's flamegraph.pl (as
# Debian ships it, in libdevel-nytprof-perl) and inferno's inferno-flamegraph. Each must draw
# every definition with the weight the file gives it, and every process.
#
#   tests/harness/flamegraph_checks.sh GUEST_OUTPUT_LOG
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
. "$PROJECT_DIR/tests/harness/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -n 's/^# stacks: //p' "$1" >"$tmp/stacks.folded" 2>/dev/null || true
if [ ! -s "$tmp/stacks.folded" ]; then
	skip "flame graphs of the module's folded stacks" "the guest printed none (no attribution test ran)"
	exit 0
fi

for tool in flamegraph.pl inferno-flamegraph; do
	case $tool in
	flamegraph.pl) draw=(perl "$FLAMEGRAPH_PL") ;;
	inferno-flamegraph) draw=("$INFERNO_FLAMEGRAPH") ;;
	esac
	svg=$tmp/$tool.svg
	# --minwidth 0: no frame left out for being narrow (both tools drop those under 0.1 px).
	if ! "${draw[@]}" --title loadavg-rs --countname "thousandths of a task" --minwidth 0 \
		"$tmp/stacks.folded" >"$svg" 2>"$tmp/err"; then
		not_ok "$tool draws the folded stacks" "$(head -n3 "$tmp/err" | paste -sd' ')"
		continue
	fi
	# Every definition's frame weighs what its lines add up to; the root, every line.
	bad=
	for d in $(cut -d';' -f1 "$tmp/stacks.folded" | sort -u); do
		want=$(awk -F';' -v d="$d" '$1 == d { n = split($0, w, " "); s += w[n] } END { print s }' "$tmp/stacks.folded")
		# `all` names both the root and the definition: the definition's is the smaller.
		got=$(grep -o "<title>$d ([0-9,]*" "$svg" | sed 's/.*(//; s/,//g' | sort -n | head -n1) || true
		[ "$got" = "$want" ] || bad="$bad $d:$got/$want"
	done
	total=$(awk '{ s += $NF } END { print s }' "$tmp/stacks.folded")
	root=$(grep -o "<title>all ([0-9,]*" "$svg" | sed 's/.*(//; s/,//g' | sort -n | tail -n1) || true
	missing=0
	for p in $(cut -d';' -f2 "$tmp/stacks.folded" | sed 's/ [0-9]*$//' | sort -u); do
		grep -qF "<title>$p (" "$svg" || missing=$((missing + 1))
	done
	if [ -z "$bad" ] && [ "$root" = "$total" ] && [ "$missing" -eq 0 ]; then
		ok "$tool draws the folded stacks: $(wc -l <"$tmp/stacks.folded") lines, every definition at its weight, $total thousandths in all, every process"
	else
		not_ok "$tool draws the folded stacks" "definitions (got/want):${bad:- all right}; root $root of $total; $missing processes missing"
	fi
done
