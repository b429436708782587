#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: what the module costs, measured in one guest run and printed as a table of
# ratios (absolute times drift on shared machines; ratios measured side by side do not):
#
#   - one sample (the walk over every thread) at 1k, 10k and 50k threads: ns per sample and per
#     thread, against its floor (a bare for_each_process_thread() in a C module, tests/bench)
#     and against the user-space walk LXCFS does (reading /proc/<pid>/task/<tid>/stat);
#   - reading /proc/loadavg_cpu against reading /proc/loadavg;
#   - a context-switch-heavy ping-pong with the module loaded against without it;
#   - the module's memory: its size in /proc/modules and what it allocates;
#   - wake-up latency (cyclictest's way, `loadgen latency`) with the module loaded against not,
#     alternated, at 1k, 10k and 50k threads, and the walk's longest stretch between lock breaks;
#   - the walk with per-cgroup attribution against without, 10k threads in 100 cgroups, and the
#     user-space way per container (LXCFS);
#   - the walk's longest stretch with a full cgroup table and cgroups beyond it, and with a chain
#     of cgroups deeper than the bound, against attribution off; the read of the cgroup table at
#     1,000 cgroups;
#   - the walk with load attribution against without, 10k threads with 0, 100 and 1,000 blocked
#     tasks (each unwound at every sample);
#   - with virtualize=1 against without: a sysinfo() call and a read of /proc/loadavg, on the
#     host and in a container;
#   - with KERNEL=debian (a kernel with BTF): the BPF peer (tests/bench/bpf, a task iterator
#     counting what the module counts, the way eBPF tools sample every thread) as a third arm of
#     the walk's rounds, then beside the module over one story, and its memory.
#
#   scripts/bench.sh [--old KO]   (make bench [OLD=KO])
#
# --old adds an older build of the module, built against the same kernel: a third arm of the
# latency rounds, and a second guest run (scripts/bench/readers.sh) whose clock counts
# instructions (qemu/boot.sh --icount), where its files' reads, the wake-up probe under looping
# readers and, where the kernel has tracing (KERNEL=debian), its timer callback (every call, by
# the kernel's tracepoints) are measured against this build's: under TCG's own clock two builds
# of the same code differ by up to a third, more than what is measured.
#
# The guest runs under TCG unless KVM works (see qemu/boot.sh); TCG inflates every time, so the
# per-thread figure is only meaningful under KVM. The accelerator is printed with the table.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# What the guest gets beside the module (/job/extra): the older module, and the BPF peer.
extra_dir=$(mktemp -d)
trap 'rm -rf "$extra_dir"' EXIT
if [ "${1:-}" = --old ]; then
	[ -f "${2:-}" ] || die "usage: scripts/bench.sh [--old KO] (no module at '${2:-}')"
	mkdir "$extra_dir/old"
	cp "$2" "$extra_dir/old/loadavg_rs.ko"
elif [ $# -gt 0 ]; then
	die "usage: scripts/bench.sh [--old KO]"
fi
# The BPF peer needs BTF, which Debian's kernel has and the test kernels do not.
if [ "$KERNEL" = debian ] && [ -z "$KDIR" ]; then
	"$PROJECT_DIR/scripts/bench/build-bpf-peer.sh" "$extra_dir/bpf" >/dev/null ||
		die "building the BPF peer (tests/bench/bpf) failed"
fi
extra=(--extra "$extra_dir")

"$PROJECT_DIR/scripts/guest-run.sh" --name bench --bench --memory 4096 --timeout 3600 --quiet "${extra[@]}" \
	"$PROJECT_DIR/scripts/bench/guest.sh" >/dev/null || {
	cat "$PROJECT_DIR/build/runs/bench/output.log" >&2
	die "the benchmark run failed (see build/runs/bench/)"
}
run=$PROJECT_DIR/build/runs/bench
figures=$run/figures
grep '^bench ' "$run/output.log" | sed 's/^bench //' >"$figures"
if [ -d "$extra_dir/old" ]; then
	# The tracepoints the timer's rows read (where the kernel has tracing): an hrtimer
	# callback's entry and exit, and a task's waking. Enabled at boot, so that no code is
	# rewritten while the rows are measured (enabling an event patches __run_hrtimer() and
	# try_to_wake_up()). The guest stops the recording as it starts. A failed run leaves the
	# main run's table whole, without these rows.
	trace=(--append "trace_event=timer:hrtimer_expire_entry,timer:hrtimer_expire_exit,sched:sched_waking")
	if "$PROJECT_DIR/scripts/guest-run.sh" --name bench-readers --icount --memory 4096 --timeout 3600 --quiet \
		"${extra[@]}" "${trace[@]}" "$PROJECT_DIR/scripts/bench/readers.sh" >/dev/null; then
		grep '^bench ' "$PROJECT_DIR/build/runs/bench-readers/output.log" | sed 's/^bench //' >>"$figures"
	else
		cat "$PROJECT_DIR/build/runs/bench-readers/output.log" >&2
		echo "warning: the readers' benchmark run failed (see build/runs/bench-readers/): no rows of OLD='s readers and timer" >&2
	fi
fi
get() { awk -v k="$1" '$1 == k { print $2 }' "$figures"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
accel=$(awk '{ print $2 }' "$run/accel")

release=$(cat "$("$PROJECT_DIR/scripts/build-kernel.sh" default)/include/config/kernel.release")
printf '\nloadavg-rs benchmark: kernel %s, %s guest with 2 vCPUs, %s\n\n' "$release" \
	"$(printf '%s' "$accel" | tr a-z A-Z)" "$(date -u +%Y-%m-%d)"
printf '| measure | figure | target |\n|---|---|---|\n'
# per NS THREADS: nanoseconds per thread.
per() { awk -v w="$1" -v t="$2" 'BEGIN { printf "%.1f", w / t }'; }
for n in 1000 10000 50000; do
	t=$(get "walk_threads_$n") w=$(get "walk_ns_$n") u=$(get "procwalk_ns_$n")
	printf '| one sample, %s threads | %s ns, %s ns per thread | linear in threads; <= 20 ns/thread under KVM |\n' \
		"$t" "$w" "$(per "$w" "$t")"
	printf '| a user-space walk of every thread (an imitation of LXCFS'"'"'s, loadgen procwalk), %s threads | %s ns: module is %sx cheaper | >= 50x at 10k |\n' \
		"$t" "$u" "$(awk -v u="$u" -v w="$w" 'BEGIN { printf "%.0f", u / w }')"
	ft=$(get "floor_threads_$n") fw=$(get "floor_ns_$n") fh=$(get "floor_warm_ns_$n")
	[ -z "$fw" ] || printf '| one sample vs the floor (a bare for_each_process_thread, one walk a period as the module'"'"'s), %s vs %s threads | %s vs %s ns per thread: ratio %s | <= 1.5 |\n' \
		"$t" "$ft" "$(per "$w" "$t")" "$(per "$fw" "$ft")" \
		"$(awk -v w="$w" -v t="$t" -v fw="$fw" -v ft="$ft" 'BEGIN { printf "%.2f", (w / t) / (fw / ft) }')"
	[ -z "$fh" ] || printf '| the floor walked back to back (warm caches), %s threads | %s ns per thread | |\n' "$ft" "$(per "$fh" "$ft")"
	bt=$(get "bpf_threads_$n") bw=$(get "bpf_ns_$n")
	[ -z "$bw" ] || printf '| one sample vs the BPF peer (a task iterator counting the same, tests/bench/bpf, one pass a period), %s vs %s threads | %s vs %s ns per thread: ratio %s; the floor %s | <= 1 at 10k: the module no dearer than eBPF |\n' \
		"$t" "$bt" "$(per "$w" "$t")" "$(per "$bw" "$bt")" \
		"$(awk -v w="$w" -v t="$t" -v bw="$bw" -v bt="$bt" 'BEGIN { printf "%.2f", (w / t) / (bw / bt) }')" \
		"$(per "$fw" "$ft")"
done
printf '| read /proc/loadavg_cpu vs /proc/loadavg | %s ns vs %s ns: ratio %s | <= 1.2 |\n' \
	"$(get read_loadavg_cpu_ns)" "$(get read_loadavg_ns)" "$(ratio "$(get read_loadavg_cpu_ns)" "$(get read_loadavg_ns)")"
# Readers and the timer, this build against the older one (OLD=), read side by side.
for f in loadavg_cpu loadavg_rs_samples loadavg_rs_metrics; do
	a=$(get "readers_new_${f}_ns") b=$(get "readers_old_${f}_ns")
	[ -z "$a" ] || [ -z "$b" ] || printf '| read /proc/%s, this build vs the older one (100 ms period; icount ns: instructions run) | %s vs %s: ratio %s | <= 1 |\n' \
		"$f" "$a" "$b" "$(ratio "$a" "$b")"
done
a=$(get readers_new_lat_p999_us) b=$(get readers_old_lat_p999_us)
[ -z "$a" ] || [ -z "$b" ] || printf '| wake-up p99.9 under three looping readers (samples twice, metrics), this build vs the older one (icount: thousands of instructions) | %s vs %s: ratio %s | <= 1 |\n' \
	"$a" "$b" "$(ratio "$a" "$b")"
for q in p50 p90; do
	a=$(get "timer_new_${q}_cycles") b=$(get "timer_old_${q}_cycles")
	[ -z "$a" ] || [ -z "$b" ] || printf '| the timer callback under three looping readers, %s (the kernel'"'"'s hrtimer tracepoints, every call, 10 ms period), this build vs the older one | %s vs %s TSC cycles (icount: a clock of instructions): ratio %s | <= 1 |\n' \
		"$q" "$a" "$b" "$(ratio "$a" "$b")"
done
for q in p50 p90 p99; do
	a=$(get "timer_waking_new_${q}_cycles") b=$(get "timer_waking_old_${q}_cycles")
	[ -z "$a" ] || [ -z "$b" ] || printf '| the timer callback from its entry to its waking of the walker (its own work; the wake-up, the kernel'"'"'s, is alike in both), %s of the calls that woke it, this build vs the older one | %s vs %s TSC cycles (icount: a clock of instructions): ratio %s | <= 1 |\n' \
		"$q" "$a" "$b" "$(ratio "$a" "$b")"
done
printf '| pipe ping-pong, module loaded vs not | %s ns vs %s ns per round trip: ratio %s | <= 1.01 |\n' \
	"$(get pingpong_on_ns)" "$(get pingpong_off_ns)" "$(ratio "$(get pingpong_on_ns)" "$(get pingpong_off_ns)")"
printf '| memory | module %s bytes (/proc/modules); state %s bytes allocated at load; after each walk, the tracked cgroups'"'"' rows for readers (reused) | |\n' \
	"$(get module_bytes)" "$(get state_bytes)"
for n in 1000 10000 50000; do
	t=$(get "lat_threads_$n")
	for arm in on normal old control; do
		[ -n "$(get "lat_${arm}_p999_us_$n")" ] || continue
		case $arm in
		on) name="module loaded" ;;
		normal) name="module loaded, walker a normal task (walker_fifo=0)" ;;
		old) name="the older build (OLD=)" ;;
		control) name="control (no module; an ordinary FIFO-1 task as busy as the walk, every 500 ms)" ;;
		esac
		printf '| wake-up p99.9, %s threads, %s vs not | %s us vs %s us: ratio %s | <= 1.2 at the most threads |\n' \
			"$t" "$name" "$(get "lat_${arm}_p999_us_$n")" "$(get "lat_off_p999_us_$n")" \
			"$(ratio "$(get "lat_${arm}_p999_us_$n")" "$(get "lat_off_p999_us_$n")")"
		printf '| wake-up max, %s threads, %s vs not | %s us vs %s us (reported, not judged: the host schedules) | |\n' \
			"$t" "$name" "$(get "lat_${arm}_max_us_$n")" "$(get "lat_off_max_us_$n")"
		[ "$arm" = control ] ||
			printf '| walk, %s threads, %s | %s ns in all; longest stretch without a break %s ns | |\n' \
				"$t" "$name" "$(get "lat_${arm}_walk_ns_$n")" "$(get "lat_${arm}_stretch_ns_$n")"
	done
done
for n in 1000 10000 50000; do
	[ -n "$(get "lat_control_p999_us_$n")" ] || continue
	printf '| wake-up p99.9, %s threads, module loaded vs control (the same busy burst without the module) | %s us vs %s us: ratio %s | <= 1.2: the module costs no more than any burst of its length |\n' \
		"$(get "lat_threads_$n")" "$(get "lat_on_p999_us_$n")" "$(get "lat_control_p999_us_$n")" \
		"$(ratio "$(get "lat_on_p999_us_$n")" "$(get "lat_control_p999_us_$n")")"
done
printf '| longest stretch, %s threads vs %s threads | %s ns vs %s ns: ratio %s | <= 2 |\n' \
	"$(get lat_threads_50000)" "$(get lat_threads_1000)" "$(get lat_on_stretch_ns_50000)" \
	"$(get lat_on_stretch_ns_1000)" "$(ratio "$(get lat_on_stretch_ns_50000)" "$(get lat_on_stretch_ns_1000)")"
if [ -n "$(get cg_walk_on_ns)" ]; then
	printf '| walk with cgroup attribution vs without, %s threads in 100 cgroups | %s ns vs %s ns: ratio %s | <= 1.3 |\n' \
		"$(get cg_threads)" "$(get cg_walk_on_ns)" "$(get cg_walk_off_ns)" "$(ratio "$(get cg_walk_on_ns)" "$(get cg_walk_off_ns)")"
	printf '| a user-space walk per container (an imitation of LXCFS'"'"'s, loadgen cgwalk), the same 100 cgroups | %s ns: module is %sx cheaper | |\n' \
		"$(get cg_user_ns)" "$(awk -v u="$(get cg_user_ns)" -v w="$(get cg_walk_on_ns)" 'BEGIN { printf "%.0f", u / w }')"
fi
for name in full deep; do
	[ -n "$(get "limits_${name}_on_stretch_ns")" ] || continue
	case $name in
	full) what="a full table ($(get limits_full_tracked) slots) and $(get limits_full_folded) threads of cgroups beyond it" ;;
	deep) what="a chain of cgroups 40 deep ($(get limits_deep_tracked) tracked, $(get limits_deep_folded) threads folded at level 32)" ;;
	esac
	printf '| longest stretch between lock breaks, %s threads, %s, vs attribution off | %s ns vs %s ns: ratio %s | <= 2 |\n' \
		"$(get "limits_${name}_threads")" "$what" "$(get "limits_${name}_on_stretch_ns")" "$(get "limits_${name}_off_stretch_ns")" \
		"$(ratio "$(get "limits_${name}_on_stretch_ns")" "$(get "limits_${name}_off_stretch_ns")")"
	printf '| walk, the same | %s ns vs %s ns: ratio %s | |\n' \
		"$(get "limits_${name}_on_walk_ns")" "$(get "limits_${name}_off_walk_ns")" \
		"$(ratio "$(get "limits_${name}_on_walk_ns")" "$(get "limits_${name}_off_walk_ns")")"
done
if [ -n "$(get read_cgroups_ns)" ]; then
	printf '| read /proc/loadavg_rs_cgroups, %s cgroups, vs /proc/loadavg_rs | %s ns vs %s ns (%s ns a row); vs one walk of the same system: ratio %s | no lock per row |\n' \
		"$(get read_cgroups_rows)" "$(get read_cgroups_ns)" "$(get read_table_ns)" \
		"$(awk -v a="$(get read_cgroups_ns)" -v b="$(get read_table_ns)" -v n="$(get read_cgroups_rows)" 'BEGIN { printf "%.0f", (a - b) / n }')" \
		"$(ratio "$(get read_cgroups_ns)" "$(get read_walk_ns)")"
fi
if [ -n "$(get policy_fifo_late_ticks)" ]; then
	printf '| the walker SCHED_FIFO vs a normal task, both CPUs busy, 10k threads: a sample'"'"'s lateness after its window'"'"'s end | median %s vs %s ticks, largest %s vs %s ticks; walk %s vs %s ns | |\n' \
		"$(get policy_fifo_late_ticks)" "$(get policy_normal_late_ticks)" "$(get policy_fifo_latemax_ticks)" \
		"$(get policy_normal_latemax_ticks)" "$(get policy_fifo_walk_ns)" "$(get policy_normal_walk_ns)"
fi
for n in 1000 10000 50000; do
	[ -n "$(get "lxcfs_cpu_ns_$n")" ] || continue
	printf '| LXCFS 5.0.3 (lxcfs -l, Debian'"'"'s) vs the module, %s threads in 100 cgroups, each asked for once | LXCFS %s ns of CPU per 5 s; the module'"'"'s walk %s ns per 5 s: ratio %s | |\n' \
		"$(get "lxcfs_threads_$n")" "$(get "lxcfs_cpu_ns_$n")" "$(get "lxcfs_walk_ns_$n")" \
		"$(ratio "$(get "lxcfs_cpu_ns_$n")" "$(get "lxcfs_walk_ns_$n")")"
	[ -z "$(get "lxcfs_updates_$n")" ] ||
		printf '| LXCFS keeping up, %s threads: of 6 gaps between the module'"'"'s samples, those in which LXCFS refreshed (a busy cgroup'"'"'s figure changed) | %s of 6 | 5 or 6 (a refresh every 5 to 6 s: its sleep is 5 s less its walk'"'"'s CPU time) |\n' \
			"$(get "lxcfs_threads_$n")" "$(get "lxcfs_updates_$n")"
done
for d in 0 100 1000; do
	[ -n "$(get "attr_on_walk_ns_$d")" ] || continue
	printf '| walk with load attribution vs without, %s threads, %s blocked (unwound each sample) | %s ns vs %s ns: ratio %s; %s ns a blocked task | |\n' \
		"$(get "attr_threads_$d")" "$(get "attr_blocked_$d")" "$(get "attr_on_walk_ns_$d")" "$(get "attr_off_walk_ns_$d")" \
		"$(ratio "$(get "attr_on_walk_ns_$d")" "$(get "attr_off_walk_ns_$d")")" \
		"$(awk -v a="$(get "attr_on_walk_ns_$d")" -v b="$(get "attr_off_walk_ns_$d")" -v n="$(get "attr_blocked_$d")" 'BEGIN { if (n > 0) printf "%.0f", (a - b) / n; else print "-" }')"
	printf '| longest stretch between lock breaks, the same | %s ns vs %s ns: ratio %s | <= 2 (an unwind counts as 16 threads) |\n' \
		"$(get "attr_on_stretch_ns_$d")" "$(get "attr_off_stretch_ns_$d")" \
		"$(ratio "$(get "attr_on_stretch_ns_$d")" "$(get "attr_off_stretch_ns_$d")")"
done
# virtualize=1: a container's load through sysinfo() and /proc/loadavg, against the module
# without it (section 11).
for what in sysinfo_host sysinfo_ct proc_host proc_ct; do
	[ -n "$(get "virt_on_$what")" ] || continue
	case $what in
	sysinfo_host) label="a sysinfo() call on the host" ;;
	sysinfo_ct) label="a sysinfo() call in a container" ;;
	proc_host) label="a read of /proc/loadavg on the host" ;;
	proc_ct) label="a read of /proc/loadavg in a container" ;;
	esac
	printf '| %s, virtualize=1 vs 0 | %s ns vs %s ns: ratio %s | |\n' "$label" \
		"$(get "virt_on_$what")" "$(get "virt_off_$what")" "$(ratio "$(get "virt_on_$what")" "$(get "virt_off_$what")")"
done
# The BPF peer over one story beside the module (section 12).
if [ -n "$(get story_bpf_all)" ]; then
	for d in all cpu io blocked; do
		printf '| story (2 busy loops, 2 slow-disk readers, 2 vfork parents, 2 loops throttled by cpu.max), 60 s: `%s`, module vs BPF peer | average %s vs %s (fixed point, 1st window); count at the end %s vs %s | equal but for the throttled loops and the instants sampled |\n' \
			"$d" "$(get "story_module_$d")" "$(get "story_bpf_$d")" "$(get "story_module_count_$d")" \
			"$(awk -v d="$d" '$1 == "story_bpf_counts" { for (i = 2; i < NF; i += 2) v[$i] = $(i + 1) }
				END { if (d == "all") print v["runnable"] + v["delayed"] + v["uninterruptible"]; else if (d == "cpu") print v["runnable"];
					else if (d == "io") print v["iowait"]; else print v["blocked"] }' "$figures")"
	done
	printf '| memory, BPF peer | program %s bytes JITed; program and maps %s bytes locked (the module: see memory above) | |\n' \
		"$(get bpf_jited)" "$(get bpf_memlock)"
fi
printf '\nreproduce: make bench%s (figures in %s)\n' "$([ "$KERNEL" = debian ] && [ -z "$KDIR" ] && echo " KERNEL=debian")" "$figures"
