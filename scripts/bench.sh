#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: what the module costs, measured in one guest run and printed as a table of
# ratios (absolute times drift on shared machines; ratios measured side by side do not):
#
#   - one sample (the walk over every thread) at 1k, 10k and 50k threads: ns per sample and per
#     thread, against the user-space walk LXCFS does (reading /proc/<pid>/task/<tid>/stat);
#   - reading /proc/loadavg_cpu against reading /proc/loadavg;
#   - a context-switch-heavy ping-pong with the module loaded against without it;
#   - the module's memory: its size in /proc/modules and what it allocates.
#
# The guest runs under TCG unless KVM works (see qemu/boot.sh); TCG inflates every time, so the
# per-thread figure is only meaningful under KVM. The accelerator is printed with the table.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$PROJECT_DIR/scripts/guest-run.sh" --name bench --memory 4096 --timeout 1800 --quiet \
	"$PROJECT_DIR/scripts/bench/guest.sh" >/dev/null || {
	cat "$PROJECT_DIR/build/runs/bench/output.log" >&2
	die "the benchmark run failed (see build/runs/bench/)"
}
run=$PROJECT_DIR/build/runs/bench
figures=$run/figures
grep '^bench ' "$run/output.log" | sed 's/^bench //' >"$figures"
get() { awk -v k="$1" '$1 == k { print $2 }' "$figures"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
accel=$(awk '{ print $2 }' "$run/accel")

printf '\nloadavg-rs benchmark: kernel %s, %s guest with 2 vCPUs, %s\n\n' "$KERNEL_VERSION" \
	"$(printf '%s' "$accel" | tr a-z A-Z)" "$(date -u +%Y-%m-%d)"
printf '| measure | figure | target |\n|---|---|---|\n'
for n in 1000 10000 50000; do
	t=$(get "walk_threads_$n") w=$(get "walk_ns_$n") u=$(get "procwalk_ns_$n")
	printf '| one sample, %s threads | %s ns, %s ns per thread | linear in threads; <= 20 ns/thread under KVM |\n' \
		"$t" "$w" "$(awk -v w="$w" -v t="$t" 'BEGIN { printf "%.1f", w / t }')"
	printf '| user-space walk (LXCFS way), %s threads | %s ns: module is %sx cheaper | >= 50x at 10k |\n' \
		"$t" "$u" "$(awk -v u="$u" -v w="$w" 'BEGIN { printf "%.0f", u / w }')"
done
printf '| read /proc/loadavg_cpu vs /proc/loadavg | %s ns vs %s ns: ratio %s | <= 1.2 |\n' \
	"$(get read_loadavg_cpu_ns)" "$(get read_loadavg_ns)" "$(ratio "$(get read_loadavg_cpu_ns)" "$(get read_loadavg_ns)")"
printf '| pipe ping-pong, module loaded vs not | %s ns vs %s ns per round trip: ratio %s | <= 1.01 |\n' \
	"$(get pingpong_on_ns)" "$(get pingpong_off_ns)" "$(ratio "$(get pingpong_on_ns)" "$(get pingpong_off_ns)")"
printf '| memory | module %s bytes (/proc/modules); state %s bytes allocated at load, nothing after | |\n' \
	"$(get module_bytes)" "$(get state_bytes)"
printf '\nreproduce: make bench (figures in %s)\n' "$figures"
