#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make test`: every test of the project, from a fresh machine. Builds what is missing first.
# `make check` (--quick): the developer's loop, a subset of it.
#
#   scripts/test.sh [--quick] [--only STAGE[,STAGE...]] [--repeat N] [--load-host[=alternate]]
#
# The kernel: the cached 7.3 test kernels, KERNEL=7.2 for the 7.2 ones, or KDIR=<your kernel's
# build folder> (checked first by scripts/check-kernel.sh; the debug job then runs on that
# kernel, with whatever checkers it has). What that kernel lacks is reported as skipped.
#
# Stages, in order:
#   style     rustfmt on every Rust file
#   host      `cargo test` of the module's pure Rust (tests/host), with the differential test
#             against the kernel's own C from the fetched source
#   build     the module: the standard out-of-tree build (`make KDIR=...`), and clippy (`CLIPPY=1`)
#   main      guest, default test kernel: KUnit suites, lifecycle, load, scenarios, missed windows,
#             containers, node_exporter (then promtool on the exposition and the rules)
#   realtime  guest, the kernel's defaults against /proc/loadavg, then a throttled cgroup (5 min)
#   debug     guest, debug test kernel (KASAN, kmemleak, lockdep, ...; panic_on_warn): KUnit, the
#             lifecycle, unload races, a thread storm, CPU hotplug
#   harness   runs that must fail (a WARN, a failing KUnit case, missing KTAP, a hang) do fail,
#             for the right reason; the guests' time limit; the guest library's recovery of the
#             kernel's counts (tests/harness/kernel_windows.sh); `make shell` typed at
#             through a pseudo-terminal; `make help` lists every target
#   run       `make run` with a script no test knows
#
# Stages that boot the guest for the suite (main, realtime, debug, quick) come after the others.
# --quick runs style, host, build and `quick`: one boot of the default kernel with KUnit, the
# lifecycle and the scenarios. --repeat N runs the guest stages selected N times (the others
# once) and ends with how often each check failed; --load-host keeps two busy loops running on
# the host for the whole run (=alternate: every other round), as a busy laptop or CI machine
# would.
#
# Every check prints a TAP line; the last line is `N passed, N failed[, N skipped]`, and the
# exit status is non-zero if anything failed. Logs of the guest runs stay in build/runs/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

all_stages=(style host build main realtime debug harness run)
stages=("${all_stages[@]}") repeat=1 load_host=
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
tmp=$(mktemp -d)
host_load=()
stop_host_load() {
	[ ${#host_load[@]} -eq 0 ] || kill "${host_load[@]}" 2>/dev/null || true
	wait "${host_load[@]}" 2>/dev/null || true
	host_load=()
}
trap 'stop_host_load; rm -rf "$tmp"' EXIT
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
for s in $(grep -ho 'kunit_tests(loadavg_rs_[a-z_0-9]*)' "$PROJECT_DIR"/rust/*.rs "$PROJECT_DIR"/rust/model/*.rs | sed 's/kunit_tests(\(.*\))/\1/' | sort -u); do
	suites+=(--kunit "$s")
done

stage_style() {
	step "style"
	# The kernel's own rustfmt settings, on every Rust file of the project.
	local rust_files unformatted
	rust_files=("$PROJECT_DIR"/rust/*.rs "$PROJECT_DIR"/rust/model/*.rs "$PROJECT_DIR"/tests/harness/*.rs "$PROJECT_DIR"/tests/host/*.rs
		"$PROJECT_DIR"/tests/host/tests/*.rs "$PROJECT_DIR"/tests/workload/src/*.rs)
	unformatted=$(rustfmt --config-path "$src/.rustfmt.toml" --edition 2021 --check -l "${rust_files[@]}" 2>&1 | sort -u | paste -sd' ') || true
	if [ -z "$unformatted" ]; then
		ok "rustfmt: every Rust file is formatted (the kernel's .rustfmt.toml)"
	else
		not_ok "rustfmt: every Rust file is formatted" "run rustfmt on: $unformatted"
	fi
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
}

stage_build() {
	step "module builds"
	# A user's build: `make KDIR=<kernel build>` in a copy of the sources, as anyone would run it.
	mkdir -p "$tmp/user"
	cp -r "$PROJECT_DIR/Makefile" "$PROJECT_DIR/Kbuild" "$PROJECT_DIR/rust" "$PROJECT_DIR/scripts" "$tmp/user/"
	if make -s -C "$tmp/user" KDIR="$kdir" LLVM="$llvm" "${rust_lib[@]}" >"$tmp/kdir.log" 2>&1 &&
		[ -f "$tmp/user/loadavg_rs.ko" ]; then
		ok "make KDIR=<kernel build> builds loadavg_rs.ko the standard out-of-tree way"
	else
		not_ok "make KDIR=<kernel build> builds loadavg_rs.ko" "$(tail -n5 "$tmp/kdir.log" | paste -sd' ')"
	fi
	# A kernel the module cannot be built for is refused before any build starts, with one
	# clear error: copies of this kernel's build folder's files the check reads, with the
	# .config changed. The build would run after the check, in the same make.
	local fake=$tmp/kdir-fake why edit want out status
	local other='rustc 1.85.1 (4eb161250 2025-03-15)'
	for why in no-rust other-rustc missing-option; do
		case $why in
		no-rust) edit='/^CONFIG_RUST=y$/d' want="CONFIG_RUST is not set" ;;
		other-rustc)
			edit="s/^CONFIG_RUSTC_VERSION_TEXT=.*/CONFIG_RUSTC_VERSION_TEXT=\"$other\"/"
			want="built with '$other', but the rustc on PATH is '$(rustc --version)'"
			;;
		missing-option) edit='/^CONFIG_PROC_FS=y$/d' want="CONFIG_PROC_FS is not set: the module's files are in /proc" ;;
		esac
		rm -rf "$fake" && mkdir -p "$fake/rust"
		touch "$fake/Module.symvers" "$fake/rust/libkernel.rmeta"
		sed "$edit" "$kdir/.config" >"$fake/.config"
		status=0
		out=$(make -C "$tmp/user" KDIR="$fake" 2>&1) || status=$?
		if [ "$status" -ne 0 ] && grep -qF "$want" <<<"$out" && ! grep -qE "(^| )M=/" <<<"$out" &&
			[ "$(grep -c 'error:' <<<"$out")" -eq 1 ]; then
			ok "make KDIR=<a kernel $why> stops before building, with one error: $want"
		else
			not_ok "make KDIR=<a kernel $why> stops before building, with one error" "status $status: $(paste -sd' ' <<<"$out" | cut -c1-300)"
		fi
	done
	if grep -qF "merge_config.sh -m -O $fake $fake/.config" <<<"$out" && grep -qx 'CONFIG_PROC_FS=y' "$tmp/user/build/kernel-missing.config"; then
		ok "and the missing option comes with its fix: a fragment of it, merged with merge_config.sh, and a rebuild"
	else
		not_ok "and the missing option comes with its fix" "$(paste -sd' ' <<<"$out" | cut -c1-300)"
	fi

	rm -rf "$PROJECT_DIR/build/clippy"
	mkdir -p "$PROJECT_DIR/build/clippy"
	if make -s -C "$kdir" M="$PROJECT_DIR" MO="$PROJECT_DIR/build/clippy" LLVM="$llvm" CLIPPY=1 \
		KCFLAGS=-Werror "${rust_lib[@]}" modules >"$tmp/clippy.log" 2>&1 &&
		! grep -q 'warning' "$tmp/clippy.log"; then
		ok "module builds with CLIPPY=1 and C -Werror, without a warning"
	else
		cp "$tmp/clippy.log" "$PROJECT_DIR/build/clippy.log"
		not_ok "module builds with CLIPPY=1 and C -Werror, without a warning" "see build/clippy.log"
	fi
	# The benchmark's floor module (tests/bench), which only `make bench` loads.
	rm -rf "$PROJECT_DIR/build/bench-check"
	mkdir -p "$PROJECT_DIR/build/bench-check"
	if make -s -C "$kdir" M="$PROJECT_DIR/tests/bench" MO="$PROJECT_DIR/build/bench-check" LLVM="$llvm" \
		KCFLAGS=-Werror modules >"$tmp/bench.log" 2>&1 && ! grep -q 'warning' "$tmp/bench.log"; then
		ok "the benchmark's floor module (tests/bench) builds with C -Werror, without a warning"
	else
		not_ok "the benchmark's floor module (tests/bench) builds" "$(tail -n5 "$tmp/bench.log" | paste -sd' ')"
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
	fleet_checks "$PROJECT_DIR/build/runs/main/output.log"
}

# The module's Prometheus exposition, as tests/guest/prometheus.sh printed it (`prom| ` lines),
# and the project's rules, checked by Debian's promtool.
fleet_checks() {
	local out
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
}

stage_realtime() {
	step "guest: the kernel's defaults against /proc/loadavg, and a throttled cgroup (real time, 5 minutes)"
	"$PROJECT_DIR/scripts/guest-run.sh" --name realtime --timeout 900 \
		"$PROJECT_DIR/tests/guest/jobs/realtime.sh" 2>&1 | tally || true
}

stage_debug() {
	local kdebug
	if [ -n "$KDIR" ]; then
		step "guest: the debug job (unload race, thread storm, CPU hotplug; panic_on_warn) on KDIR's kernel"
		# One kernel: the debug job's reliability tests run on it, with whatever checkers it has.
		"$PROJECT_DIR/scripts/guest-run.sh" --name debug --timeout 1800 --memory 2048 \
			--append "panic_on_warn=1" "${suites[@]}" "$PROJECT_DIR/tests/guest/jobs/debug.sh" 2>&1 | tally || true
	elif step "guest: debug test kernel (KASAN, kmemleak, lockdep, PROVE_RCU, panic_on_warn)" &&
		kdebug=$("$PROJECT_DIR/scripts/build-kernel.sh" debug); then
		"$PROJECT_DIR/scripts/guest-run.sh" --variant debug --name debug --timeout 1800 --memory 2048 \
			--append "panic_on_warn=1" "${suites[@]}" "$PROJECT_DIR/tests/guest/jobs/debug.sh" 2>&1 | tally || true
	else
		not_ok "the debug test kernel builds" "see the log in ${kdebug:-the cache}"
	fi
}

# harness_run JOB TIMEOUT [OPTION...]: runs tests/harness/jobs/JOB.sh, keeping status and output.
harness_run() {
	local job=$1 limit=$2
	shift 2
	run_status=0
	run_out=$("$PROJECT_DIR/scripts/guest-run.sh" --harness --quiet --name "harness-$job" \
		--timeout "$limit" "$@" "$PROJECT_DIR/tests/harness/jobs/$job.sh" 2>&1) || run_status=$?
}
# must_have_failed WHAT CHECK: the last harness run failed, and CHECK is among its failures.
must_have_failed() {
	local what=$1 want=$2
	if [ "$run_status" -eq 0 ]; then
		not_ok "harness: $what fails the run" "the runner passed it"
	elif ! printf '%s\n' "$run_out" | grep -q "^not ok - $want"; then
		not_ok "harness: $what fails the run" "it failed, but not on '$want': $(printf '%s\n' "$run_out" | grep '^not ok' | paste -sd' ')"
	else
		ok "harness: $what fails the run ($(printf '%s\n' "$run_out" | grep -m1 "^not ok - $want" | cut -c1-160))"
	fi
}

stage_harness() {
	step "harness self-tests: broken runs must fail, for the right reason"
	harness_run warn 120
	must_have_failed "a module that WARNs" "no kernel fault reports"
	must_have_failed "the W taint a WARN leaves" "kernel not tainted"
	if [ -n "$kunit" ]; then
		skip "harness: a failing KUnit case, and KUnit output that is missing, fail the run" "$kunit"
	else
		harness_run kunit_failure 120 --kunit harness_kunit_failure
		must_have_failed "a failing KUnit case" "KUnit suite harness_kunit_failure"
		harness_run silent_kunit 120 --kunit loadavg_rs_engine
		must_have_failed "KUnit output that is missing" "KUnit"
	fi
	harness_run hang 30
	must_have_failed "a guest that hangs" "guest finished"
	timelimit_checks
	recovery_checks
	shell_checks
	help_checks
}

# `make shell` through a pseudo-terminal, typed at as a person would (tests/harness/shell_pty.py).
shell_checks() {
	if ! python3 "$PROJECT_DIR/tests/harness/shell_pty.py" "$PROJECT_DIR" | tally; then
		not_ok "make shell: tests/harness/shell_pty.py passes" "see the checks above"
	fi
}

# `make help` is the Makefile's header: every target the Makefile declares is in it.
help_checks() {
	local help targets missing=
	help=$(make -s -C "$PROJECT_DIR" help)
	targets=$(sed -n 's/^\.PHONY: *//p' "$PROJECT_DIR/Makefile")
	for t in $targets; do
		case $t in all | module) continue ;; esac # `make` alone
		grep -qE "^  make $t( |$)" <<<"$help" || missing="$missing $t"
	done
	if [ -n "$targets" ] && [ -z "$missing" ]; then
		ok "make help: lists every target of the Makefile ($(wc -w <<<"$targets") targets)"
	else
		not_ok "make help: lists every target of the Makefile" "missing:${missing:- the .PHONY line}"
	fi
}

# The guest library's recovery of the kernel's own counts from avenrun, on histories made on the
# host, run with the guest's shell and awk (busybox, as scripts/guest-run.sh puts it in the guest).
recovery_checks() {
	local bin
	bin=$(mktemp -d)
	ln -s /bin/busybox "$bin/awk"
	(cd "$PROJECT_DIR/tests/workload" && cargo build --quiet --release --locked) ||
		not_ok "harness: loadgen builds for the host" "cargo build failed"
	ln -s "$PROJECT_DIR/tests/workload/target/release/loadgen" "$bin/loadgen"
	if ! PATH="$bin:$PATH" /bin/busybox sh "$PROJECT_DIR/tests/harness/kernel_windows.sh" | tally; then
		not_ok "harness: tests/harness/kernel_windows.sh runs to its end" "it stopped on an error"
	fi
	rm -rf "$bin"
}

# The guests' time limit (qemu/timelimit.sh) counts the time the host let the guest run. A
# command that sleeps is stopped at its limit; one that spins on a CPU it shares with another
# spinner gets half of that CPU (CFS shares it equally between two busy tasks of one weight), so
# its limit of L s is reached after about 2L s of wall-clock time, however busy the rest of the
# host is (busier can only hold it back more). Asked: more than 2L - 1 s. The one second of
# slack is far more than the share can stray from a half over 2L s (CFS/EEVDF alternate the two
# at slices of a few milliseconds).
# limited LIMIT COMMAND...: runs COMMAND under qemu/timelimit.sh; sets `status` and `took` (the
# wall-clock time, in tenths of a second).
limited() {
	local begun=${EPOCHREALTIME/./}
	status=0
	"$PROJECT_DIR/qemu/timelimit.sh" "$@" 2>/dev/null || status=$?
	took=$(((${EPOCHREALTIME/./} - begun) / 100000))
}
timelimit_checks() {
	local limit=3 status took spinner cpu
	limited "$limit" sleep 600
	if [ "$status" -eq 124 ] && [ "$took" -ge $((limit * 10)) ]; then
		ok "harness: the time limit stops a sleeping command at its limit ($((took / 10)).$((took % 10)) s for $limit s)"
	else
		not_ok "harness: the time limit stops a sleeping command at its limit" "status $status after $((took / 10)).$((took % 10)) s"
	fi
	# The first CPU this shell may run on, for both spinners.
	cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
	taskset -c "$cpu" sh -c 'while :; do :; done' &
	spinner=$!
	limited "$limit" taskset -c "$cpu" sh -c 'while :; do :; done'
	kill "$spinner"
	wait "$spinner" 2>/dev/null || true
	if [ "$status" -eq 124 ] && [ "$took" -gt $(((2 * limit - 1) * 10)) ]; then
		ok "harness: the time limit leaves out the time the host held the command back ($((took / 10)).$((took % 10)) s for $limit s on a shared CPU)"
	else
		not_ok "harness: the time limit leaves out the time the host held the command back" "status $status after $((took / 10)).$((took % 10)) s for $limit s on a shared CPU"
	fi
}

stage_run() {
	step "make run: a user's own script in the guest"
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
}

is_guest() { case $1 in main | realtime | debug | quick) return 0 ;; esac; return 1; }

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
