#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make run`, as a user runs it: a script no test knows, with files given by EXTRA. TAP lines.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
. "$PROJECT_DIR/tests/harness/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A script no test knows: it reads a file given with EXTRA, loads the module, and exits 7.
mkdir -p "$tmp/extra"
echo "a value only this run knows: $$-$RANDOM" >"$tmp/extra/secret.txt"
cat >"$tmp/experiment.sh" <<'SCRIPT'
cat /job/extra/secret.txt
insmod /lib/modules/loadavg_rs.ko period_ms=1000 && sleep 1.2 && head -n 2 /proc/loadavg_rs
rmmod loadavg_rs
exit 7
SCRIPT
run_status=0
run_out=$(make -s -C "$PROJECT_DIR" run SCRIPT="$tmp/experiment.sh" EXTRA="$tmp/extra" 2>&1) || run_status=$?
# make itself exits 2 when a recipe fails, and names the recipe's status, which is the exit
# status of scripts/guest-run.sh, the script's own: "Error 7".
if [ "$run_status" -ne 0 ] && printf '%s\n' "$run_out" | grep -qF "$(cat "$tmp/extra/secret.txt")" &&
	printf '%s\n' "$run_out" | grep -q '^cpu ' && printf '%s\n' "$run_out" | grep -q 'Error 7'; then
	ok "make run: the script ran with EXTRA's files and the module, its output and status 7 came back"
else
	not_ok "make run: the script ran with EXTRA's files and the module" "status $run_status: $(printf '%s\n' "$run_out" | tail -n5 | paste -sd' ')"
fi
