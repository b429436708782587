#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module's Prometheus exposition, as tests/guest/prometheus.sh printed it (`prom| ` lines),
# and the project's rules, checked by Debian's promtool.
#
#   tests/harness/fleet_checks.sh GUEST_OUTPUT_LOG
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
. "$PROJECT_DIR/tests/harness/tap.sh"

out=
if ! grep -q '^prom| ' "$1" 2>/dev/null; then
	skip "promtool check metrics: the module's exposition" "the guest printed none (a kernel without networking skips the fleet test)"
elif out=$(sed -n 's/^prom| //p' "$1" | "$PROMTOOL" check metrics 2>&1); then
	ok "promtool check metrics: the module's exposition ($(grep -c '^prom| [a-z]' "$1") series) passes"
else
	not_ok "promtool check metrics: the module's exposition passes" "$(printf '%s\n' "$out" | head -n5 | paste -sd' ')"
fi
if out=$("$PROMTOOL" check rules "$PROJECT_DIR/scripts/fleet/loadavg-rs.rules.yml" 2>&1); then
	ok "promtool check rules: scripts/fleet/loadavg-rs.rules.yml ($(printf '%s\n' "$out" | grep -o '[0-9]* rules found'))"
else
	not_ok "promtool check rules: scripts/fleet/loadavg-rs.rules.yml" "$(printf '%s\n' "$out" | paste -sd' ')"
fi
