#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module's Prometheus expositions, as tests/guest/prometheus.sh printed them (`prom| ` lines,
# and `prom-bound| ` for the one with metrics_cgroups=1, with its [other] series), and the
# project's rules, checked by Debian's promtool.
#
#   tests/harness/fleet_checks.sh GUEST_OUTPUT_LOG
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
. "$PROJECT_DIR/tests/harness/tap.sh"

for prefix in 'prom' 'prom-bound'; do
	what="the module's exposition"
	[ "$prefix" = prom ] || what="$what with metrics_cgroups=1"
	out=
	if ! grep -q "^$prefix| " "$1" 2>/dev/null; then
		skip "promtool check metrics: $what" "the guest printed none (a kernel without networking, or cgroup v2, skips it)"
	elif out=$(sed -n "s/^$prefix| //p" "$1" | "$PROMTOOL" check metrics 2>&1); then
		ok "promtool check metrics: $what ($(grep -c "^$prefix| [a-z]" "$1") series) passes"
	else
		not_ok "promtool check metrics: $what passes" "$(printf '%s\n' "$out" | head -n5 | paste -sd' ')"
	fi
done
if out=$("$PROMTOOL" check rules "$PROJECT_DIR/scripts/fleet/loadavg-rs.rules.yml" 2>&1); then
	ok "promtool check rules: scripts/fleet/loadavg-rs.rules.yml ($(printf '%s\n' "$out" | grep -o '[0-9]* rules found'))"
else
	not_ok "promtool check rules: scripts/fleet/loadavg-rs.rules.yml" "$(printf '%s\n' "$out" | paste -sd' ')"
fi
