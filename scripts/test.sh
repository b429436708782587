#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make test`: every test of the project, from a fresh machine. Builds what is missing first.
# `make check` (--quick): the developer's loop, a subset of it.
#
#   scripts/test.sh [--quick] [--only STAGE[,STAGE...]] [--repeat N] [--load-host[=alternate]]
#
# The kernel: the cached 7.3 test kernels, KERNEL=7.2 for the 7.2 ones, KERNEL=debian for
# Debian's own stock 7.3.4+deb13-amd64 (the module built with the Rust metadata rebuilt for it,
# scripts/debian-kernel.sh; its own vmlinuz and modules booted), or KDIR=<your kernel's build
# folder> (checked first by scripts/check-kernel.sh). On Debian's kernel or a KDIR, the debug job
# runs on that kernel, with whatever checkers it has. What the kernel lacks is reported as
# skipped.
#
# Stages, in order:
#   style     rustfmt on every Rust file, checkpatch.pl on every C file
#   host      `cargo test` of the module's pure Rust (tests/host), with the differential test
#             against the kernel's own C from the fetched source; and of loadgen (tests/workload)
#   build     the module: the standard out-of-tree build (`make KDIR=...`), and clippy (`CLIPPY=1`);
#             with KERNEL=debian, its build for Debian's kernel and the symbol checks instead
#   main      guest, default test kernel: KUnit suites, lifecycle, load, scenarios, missed windows,
#             containers, load attribution, node_exporter (then promtool on the exposition and
#             the rules, flamegraph.pl and inferno on the folded stacks)
#   realtime  guest, the kernel's defaults against /proc/loadavg, then a throttled cgroup (5 min)
#   debug     guest, debug test kernel (KASAN, kmemleak, lockdep, ...; panic_on_warn): KUnit, the
#             lifecycle, unload races, a thread storm, CPU hotplug, load attribution (unwinds)
#   proxy     guest, the default test kernel with proxy execution (CONFIG_SCHED_PROXY_EXEC): a
#             mutex's waiter kept on its runqueue is load in `blocked`, unwound
#   harness   runs that must fail (a WARN, a failing KUnit case, missing KTAP, a hang) do fail,
#             for the right reason; the guests' time limit; the guest library's recovery of the
#             kernel's counts (tests/harness/kernel_windows.sh); `make shell` typed at
#             through a pseudo-terminal; `make help` lists every target
#   run       `make run` with a script no test knows
# With KERNEL=debian the stages are style to debug: harness and run test the runner, whatever the
# kernel (`make test` runs them).
#
# Stages that boot the guest for the suite (main, realtime, debug, proxy, quick) come after the
# others.
# --quick runs style, host, build and `quick`: one boot of the default kernel with KUnit, the
# lifecycle and the scenarios. --repeat N runs the guest stages selected N times (the others
# once) and ends with how often each check failed; --load-host keeps two busy loops running on
# the host for the whole run (=alternate: every other round), as a busy laptop or CI machine
# would.
#
# This script runs the stages and counts; the host-side checks of the build, the harness, the
# fleet rules and `make run` are scripts of their own in tests/harness/ (each prints TAP lines).
# Every check prints a TAP line; the last line is `N passed, N failed[, N skipped]`, and the
# exit status is non-zero if anything failed. Logs of the guest runs stay in build/runs/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

all_stages=(style host build main realtime debug proxy harness run)
stages=("${all_stages[@]}") repeat=1 load_host=
[ "$KERNEL" != debian ] || stages=(style host build main realtime debug)
while [ $# -gt 0 ]; do
	case $1 in
	--quick) stages=(style host build quick) ;;
	--only) IFS=, read -r -a stages <<<"$2"; shift ;;
	--repeat) repeat=$2; shift ;;
	--load-host) load_host=always ;;
	--load-host=alternate) load_host=alternate ;;
	*) die "usage: scripts/test.sh [--quick] [--only STAGE[,STAGE...]] [--repeat N] [--load-host[=alternate]] (stages: ${all_stages[*]} quick)" ;;
	esac
	shift
done
for s in "${stages[@]}"; do
	case " ${all_stages[*]} quick " in
	*" $s "*) ;;
	*) die "unknown stage '$s' (stages: ${all_stages[*]} quick)" ;;
	esac
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat takes a number of rounds, not '$repeat'"

results=$PROJECT_DIR/build/test-results.txt
mkdir -p "$PROJECT_DIR/build"
: >"$results"
started=$(date +%s)
host_load=()
stop_host_load() {
	[ ${#host_load[@]} -eq 0 ] || kill "${host_load[@]}" 2>/dev/null || true
	wait "${host_load[@]}" 2>/dev/null || true
	host_load=()
}
trap stop_host_load EXIT
start_host_load() {
	[ ${#host_load[@]} -eq 0 ] || return 0
	local i
	for i in 1 2; do
		(while :; do :; done) &
		host_load+=($!)
	done
}

round=1
# Prints, and records (with the round), TAP lines read from stdin; other lines are shown only.
tally() {
	local line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		"ok - "* | "not ok - "*) printf '%s\t%s\t%s\n' "$round" "$stage" "$line" >>"$results" ;;
		esac
	done
}
ok() { printf 'ok - %s\n' "$1" | tally; }
skip() { printf 'ok - %s # SKIP %s\n' "$1" "$2" | tally; }
not_ok() { printf 'not ok - %s: %s\n' "$1" "$2" | tally; }
step() { printf '\n# %s (%d s in)\n' "$1" $(($(date +%s) - started)); }

step "provisioning and the test kernel"
"$PROJECT_DIR/scripts/provision.sh"
if [ -n "$KDIR" ]; then
	log "testing on KDIR=$KDIR ($(cat "$KDIR/include/config/kernel.release" 2>/dev/null || echo "release unknown"))"
	"$PROJECT_DIR/scripts/check-kernel.sh" suite "$KDIR" || die "KDIR=$KDIR cannot run the suite (see above)"
fi
kdir=$("$PROJECT_DIR/scripts/build-kernel.sh" default)
src=$(kernel_src)
llvm=$(kdir_llvm "$kdir")
# The Rust core sources the cached kernels were built with; a KDIR brings its own build.
rust_lib=()
[ -n "$KDIR" ] || rust_lib=(RUST_LIB_SRC="$(rust_lib_src)")
kunit=
grep -q '^CONFIG_KUNIT=y' "$kdir/.config" || kunit="this kernel has no KUnit (CONFIG_KUNIT)"

# The KUnit suites the sources declare: every one of them must run and pass.
suites=()
for s in $(grep -rho --include='*.rs' 'kunit_tests(loadavg_rs_[a-z_0-9]*)' "$PROJECT_DIR"/rust | sed 's/kunit_tests(\(.*\))/\1/' | sort -u); do
	suites+=(--kunit "$s")
done

stage_style() {
	step "style"
	# The kernel's own rustfmt settings, on every Rust file of the project.
	local rust_files unformatted
	rust_files=("$PROJECT_DIR"/rust/*.rs "$PROJECT_DIR"/rust/model/*.rs "$PROJECT_DIR"/rust/model/*/*.rs "$PROJECT_DIR"/tests/harness/*.rs "$PROJECT_DIR"/tests/host/*.rs
		"$PROJECT_DIR"/tests/host/tests/*.rs "$PROJECT_DIR"/tests/workload/src/*.rs)
	unformatted=$(rustfmt --config-path "$src/.rustfmt.toml" --edition 2021 --check -l "${rust_files[@]}" 2>&1 | sort -u | paste -sd' ') || true
	if [ -z "$unformatted" ]; then
		ok "rustfmt: every Rust file is formatted (the kernel's .rustfmt.toml)"
	else
		not_ok "rustfmt: every Rust file is formatted" "run rustfmt on: $unformatted"
	fi
	# The kernel's checkpatch.pl on every C file and header, as a patch to the kernel would be.
	local c_file report
	for c_file in "$PROJECT_DIR"/rust/glue/*.[ch] "$PROJECT_DIR"/tests/bench/*.c "$PROJECT_DIR"/tests/bench/bpf/*.c \
		"$PROJECT_DIR"/tests/kmod/*.c; do
		if report=$("$src/scripts/checkpatch.pl" --no-tree --quiet --terse -f "$c_file" 2>&1); then
			ok "checkpatch: ${c_file#"$PROJECT_DIR"/} has no error or warning"
		else
			not_ok "checkpatch: ${c_file#"$PROJECT_DIR"/} has no error or warning" "$(paste -sd' ' <<<"$report" | cut -c1-300)"
		fi
	done
}

stage_host() {
	step "host tests (cargo test)"
	local host_log=$PROJECT_DIR/build/host-tests.log
	if (cd "$PROJECT_DIR/tests/host" && LOADAVG_RS_KERNEL_SRC=$src cargo test --release --locked 2>&1) >"$host_log"; then
		ok "host tests build and pass"
	else
		not_ok "host tests build and pass" "see $host_log"
	fi
	sed -n -E 's/^test (.*) \.\.\. ok$/ok - host: \1/p; s/^test (.*) \.\.\. FAILED$/not ok - host: \1: failed (see build\/host-tests.log)/p' "$host_log" | tally
	# loadgen's own tests: the guests' arithmetic, and what it takes for a well-formed file.
	local loadgen_log=$PROJECT_DIR/build/loadgen-tests.log
	if (cd "$PROJECT_DIR/tests/workload" && cargo test --release --locked 2>&1) >"$loadgen_log"; then
		ok "loadgen's tests build and pass"
	else
		not_ok "loadgen's tests build and pass" "see $loadgen_log"
	fi
	sed -n -E 's/^test (.*) \.\.\. ok$/ok - loadgen: \1/p; s/^test (.*) \.\.\. FAILED$/not ok - loadgen: \1: failed (see build\/loadgen-tests.log)/p' "$loadgen_log" | tally
}

stage_build() {
	step "module builds"
	if [ "$KERNEL" = debian ] && [ -z "$KDIR" ]; then
		"$PROJECT_DIR/tests/harness/debian_checks.sh" | tally ||
			not_ok "tests/harness/debian_checks.sh runs to its end" "it stopped on an error (see above)"
		return
	fi
	"$PROJECT_DIR/tests/harness/build_checks.sh" "$kdir" "$llvm" "${rust_lib[@]}" | tally ||
		not_ok "tests/harness/build_checks.sh runs to its end" "it stopped on an error (see above)"
}

# With KERNEL=debian: the guest that ran is Debian's own kernel, as /proc/version says
# (the job prints it), not one of the project's.
debian_booted() {
	local want="Linux version $(cat "$kdir/include/config/kernel.release") " version
	version=$(sed -n 's/^# kernel: //p' "$PROJECT_DIR/build/runs/$1/output.log" 2>/dev/null | sed -n 1p || true)
	if [[ $version == "$want"*" Debian $KERNEL_DEB_VERSION "* ]]; then
		ok "the $1 guest ran Debian's own kernel: $version"
	else
		not_ok "the $1 guest ran Debian's own kernel" "its /proc/version: '$version'"
	fi
}

stage_quick() {
	step "guest: default test kernel (KUnit, module lifecycle, scenarios)"
	"$PROJECT_DIR/scripts/guest-run.sh" --name quick --timeout 600 "${suites[@]}" \
		"$PROJECT_DIR/tests/guest/jobs/quick.sh" 2>&1 | tally || true
}

stage_main() {
	step "guest: default test kernel (KUnit, module lifecycle, compressed-time load)"
	"$PROJECT_DIR/scripts/guest-run.sh" --name main --timeout 900 --memory 2048 "${suites[@]}" \
		"$PROJECT_DIR/tests/guest/jobs/main.sh" 2>&1 | tally || true
	[ "$KERNEL" != debian ] || debian_booted main
	"$PROJECT_DIR/tests/harness/fleet_checks.sh" "$PROJECT_DIR/build/runs/main/output.log" | tally ||
		not_ok "tests/harness/fleet_checks.sh runs to its end" "it stopped on an error (see above)"
	"$PROJECT_DIR/tests/harness/flamegraph_checks.sh" "$PROJECT_DIR/build/runs/main/output.log" | tally ||
		not_ok "tests/harness/flamegraph_checks.sh runs to its end" "it stopped on an error (see above)"
}

stage_realtime() {
	step "guest: the kernel's defaults against /proc/loadavg, and a throttled cgroup (real time, 5 minutes)"
	"$PROJECT_DIR/scripts/guest-run.sh" --name realtime --timeout 900 \
		"$PROJECT_DIR/tests/guest/jobs/realtime.sh" 2>&1 | tally || true
}

# The debug job's time limit: its runs took 1,019 to about 1,230 s on 2026-12-02 (the unload
# race alone 763 to 964 s), KASAN and lockdep under emulation; a hang still ends at the limit.
DEBUG_TIMEOUT=2700

stage_debug() {
	local kdebug
	if [ -n "$KDIR" ] || [ "$KERNEL" = debian ]; then
		step "guest: the debug job (unload race, thread storm, CPU hotplug; panic_on_warn) on $([ -n "$KDIR" ] && echo "KDIR's" || echo "Debian's") kernel"
		# One kernel: the debug job's reliability tests run on it, with whatever checkers it has.
		"$PROJECT_DIR/scripts/guest-run.sh" --name debug --timeout "$DEBUG_TIMEOUT" --memory 2048 \
			--append "panic_on_warn=1" "${suites[@]}" "$PROJECT_DIR/tests/guest/jobs/debug.sh" 2>&1 | tally || true
	elif step "guest: debug test kernel (KASAN, kmemleak, lockdep, PROVE_RCU, panic_on_warn; attribution's unwinds)" &&
		kdebug=$("$PROJECT_DIR/scripts/build-kernel.sh" debug); then
		"$PROJECT_DIR/scripts/guest-run.sh" --variant debug --name debug --timeout "$DEBUG_TIMEOUT" --memory 2048 \
			--append "panic_on_warn=1" "${suites[@]}" "$PROJECT_DIR/tests/guest/jobs/debug.sh" 2>&1 | tally || true
	else
		not_ok "the debug test kernel builds" "see the log in ${kdebug:-the cache}"
		return
	fi
	# Code patched while it runs (kprobes armed and disarmed under load), which multi-threaded
	# TCG does not emulate faithfully: in a guest under single-threaded TCG, on the same kernel
	# (LOADAVG_RS_ACCEL overrides the accelerator).
	local variant=()
	[ -n "$KDIR" ] || [ "$KERNEL" = debian ] || variant=(--variant debug)
	step "guest: kernel code patched under load (virtualize=1 unloaded), single-threaded TCG"
	LOADAVG_RS_ACCEL=${LOADAVG_RS_ACCEL:-tcg,thread=single} "$PROJECT_DIR/scripts/guest-run.sh" \
		"${variant[@]}" --name textpatch --timeout 900 --memory 2048 --append "panic_on_warn=1" \
		"$PROJECT_DIR/tests/guest/jobs/textpatch.sh" 2>&1 | tally || true
}

stage_proxy() {
	local kproxy
	if [ -n "$KDIR" ]; then
		skip "guest: proxy execution" "KDIR=$KDIR is one kernel (proxy.sh runs in its main job, and skips without CONFIG_SCHED_PROXY_EXEC)"
	elif step "guest: proxy execution, a test kernel with CONFIG_SCHED_PROXY_EXEC (a mutex's waiter kept queued)" &&
		kproxy=$("$PROJECT_DIR/scripts/build-kernel.sh" proxy); then
		"$PROJECT_DIR/scripts/guest-run.sh" --variant proxy --name proxy --timeout 900 --append "panic_on_warn=1" \
			"$PROJECT_DIR/tests/guest/jobs/proxy.sh" 2>&1 | tally || true
	else
		not_ok "the proxy test kernel builds" "see the log in ${kproxy:-the cache}"
	fi
}

stage_harness() {
	step "harness self-tests: broken runs must fail, for the right reason"
	"$PROJECT_DIR/tests/harness/selftest.sh" "$kunit" | tally ||
		not_ok "tests/harness/selftest.sh runs to its end" "it stopped on an error (see above)"
}

stage_run() {
	step "make run: a user's own script in the guest"
	"$PROJECT_DIR/tests/harness/make_run.sh" | tally ||
		not_ok "tests/harness/make_run.sh runs to its end" "it stopped on an error (see above)"
}

is_guest() { case $1 in main | realtime | debug | proxy | quick) return 0 ;; esac; return 1; }

[ "$load_host" != always ] || start_host_load
for stage in "${stages[@]}"; do
	is_guest "$stage" || { round=1; "stage_$stage"; }
done
for ((round = 1; round <= repeat; round++)); do
	if [ "$load_host" = alternate ]; then
		if ((round % 2 == 0)); then start_host_load; else stop_host_load; fi
	fi
	[ "$repeat" -eq 1 ] || step "round $round of $repeat${host_load[*]:+, the host loaded by two busy loops}"
	for stage in "${stages[@]}"; do
		! is_guest "$stage" || "stage_$stage"
	done
done
stop_host_load

if [ "$repeat" -gt 1 ]; then
	# How often each check failed over the rounds. A check is known by its text without what
	# varies from run to run: figures in parentheses, and a failure's reason.
	printf '\n# %d rounds of %s (host loaded: %s): failures per check\n' "$repeat" \
		"$(printf '%s ' "${stages[@]}" | sed 's/ $//')" "${load_host:-never}"
	awk -F'\t' '
		{ key = $3; sub(/^(not )?ok - /, "", key); sub(/: .*failed$/, "", key); gsub(/ \([^()]*\)/, "", key)
		  k = $2 "\t" key; if (!(k in runs)) order[++n] = k
		  runs[k]++; if ($3 ~ /^not ok/) { bad[k]++; failed[$1] = 1 }
		  stage_rounds[$2 "\t" $1] = 1 }
		END {
			for (i = 1; i <= n; i++) { k = order[i]; total += runs[k]; fails += bad[k]
				if (bad[k]) { split(k, p, "\t"); printf "#   %-8s %-90s failed %d of %d\n", p[1], substr(p[2], 1, 90), bad[k], runs[k] } }
			for (r in failed) rf++
			printf "#   %d checks run in all, %d failed; %d distinct checks; rounds with a failure: %d\n", total, fails + 0, n, rf + 0 }' "$results"
fi

skipped=$(grep $'\tok - ' "$results" | grep -c ' # SKIP ' || true)
passed=$(($(grep -c $'\tok - ' "$results" || true) - skipped))
failed=$(grep -c $'\tnot ok - ' "$results" || true)
if [ "$failed" -gt 0 ]; then
	printf '\n# failed:\n'
	grep $'\tnot ok - ' "$results" | cut -f3-
fi
if [ "$skipped" -gt 0 ]; then
	printf '\n# skipped (what this kernel lacks):\n'
	grep $'\tok - .* # SKIP ' "$results" | cut -f3- | sed 's/^ok - //' | sort -u
fi
printf '\n# %d s in all\n%d passed, %d failed%s\n' $(($(date +%s) - started)) "$passed" "$failed" \
	"$([ "$skipped" -eq 0 ] || printf ', %d skipped' "$skipped")"
[ "$failed" -eq 0 ]
