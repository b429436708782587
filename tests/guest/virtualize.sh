# SPDX-License-Identifier: GPL-2.0
# A container's own load wherever it is read, with no bind mount: virtualize=1 (kprobes on
# get_avenrun() and nr_running() that answer a container's calls, rust/virtualize.rs).
#
# Container ct is made as runtimes make one (its own cgroup, cgroup + mount + PID namespaces, a
# fresh /proc, no bind mount: `loadgen container --no-bind`), with a busy loop, and, made from
# inside it, a nested container ct/inner with a busy loop of its own; two more busy loops run on
# the host, in cgroup other. Each container reads its load when the host asks (a request file in
# the shared /tmp), with everything users read it with: glibc's getloadavg() and sysinfo()
# (`loadgen loadavg`, statically linked with Debian's glibc), busybox uptime (sysinfo()),
# Debian's procps uptime and `cat /proc/loadavg` (the file), and /proc/stat's procs_running.
# Exact, at the sample the reads fall in (the host reads the metrics before and after, again
# until no sample fell between):
# - sysinfo()'s loads are the container's averages of `all` (the metrics' exact values) in
#   sysinfo's 16-bit fixed point, bit for bit, and getloadavg() the same over 65536; busybox
#   uptime prints them truncated as busybox does; /proc/loadavg, and procps uptime, rounded as
#   the kernel rounds; the running count of /proc/loadavg and procs_running are the container's
#   tasks on a runqueue (the table's cpu and delayed);
# - the host reads the kernel's own figures: its sysinfo() is the kernel's avenrun, which the
#   module records unprobed at each sample (the samples file), in sysinfo's fixed point; so does
#   a task whose cgroup namespace is rooted at the machine's root, in a PID namespace of its own;
# - with virtualize=0, a container reads the kernel's too: its sysinfo() and its /proc/loadavg,
#   read back to back, agree, and differ from its own figures;
# - with max_cgroups=1 (the root's slot alone, the table short of room), a container in ct gets
#   the kernel's own avenrun, and each such call is counted (virtualize_host).
# Then 32 threads in a container call sysinfo() as fast as they can, none missing the probes
# (virtualize_unload.sh unloads the module while they do). On a kernel without kprobes,
# virtualize=1 is refused, saying so.
. /tests/lib.sh

cg=/sys/fs/cgroup
mkdir -p "$cg"
if ! mount -t cgroup2 none "$cg" 2>/dev/null; then
	skip "a container's own load through sysinfo()" "this kernel has no cgroup v2 (CONFIG_CGROUPS)"
	finish
fi
# A 4 s period (1,001 ticks at HZ=250): a container's round of readings (procps uptime starts
# through ld.so) takes a few hundred ms under emulation, 2 to 3 s on a host running two more
# guests, and must fall within one sample (see ask()); and it is shorter than the kernel's
# LOAD_FREQ (5 s and a tick, 1,251 ticks), so each value the kernel's avenrun takes is recorded
# by a sample, with a second to spare (see kernel_check()).
PARAMS="period_ms=4000 window1_ms=10000 window2_ms=60000 window3_ms=300000"
check "virtualize=1 without cgroups tracked is refused (max_cgroups=0)" \
	sh -c "! insmod $MODULE virtualize=1 max_cgroups=0 2>/dev/null"
check "saying why" log_has "virtualize=1 needs max_cgroups > 0"
if ! load $PARAMS virtualize=1 2>/dev/null; then
	check "virtualize=1 is refused on a kernel without kprobes, saying so" \
		log_has "virtualize=1 needs kprobes, which this kernel lacks"
	check "and the module loads without it" load $PARAMS
	check "module unloads" unload
	skip "a container's own load through sysinfo(), getloadavg() and /proc/loadavg" \
		"this kernel has no kprobes (CONFIG_KPROBES)"
	umount "$cg"
	finish
fi
check "module loads with virtualize=1: the table shows its probes' figures ($(table_value virtualize_missed) missed)" \
	test -n "$(table_value virtualize_missed)" -a -n "$(table_value virtualize_host)"

mkdir -p "$cg/ct" "$cg/other"
in_cgroup other loadgen cpu 2 3600 >/tmp/started.other &
wait_started /tmp/started.other >/dev/null
# reader.sh NAME: a container's reader: a busy loop, then, for each request /tmp/NAME.go.N, its
# readings into /tmp/NAME.out.N.
cat >/tmp/reader.sh <<'EOF'
. /tests/lib.sh
loadgen cpu 1 3600 >/tmp/$1.started &
n=0
while :; do
	while [ ! -e "/tmp/$1.go.$n" ]; do sleep 0.02; done
	{
		loadgen loadavg
		echo "busybox $(uptime)"
		echo "procps $(debian uptime)"
		echo "proc $(cat /proc/loadavg)"
		grep procs_running /proc/stat
	} >"/tmp/$1.out.$n.tmp" 2>&1
	mv "/tmp/$1.out.$n.tmp" "/tmp/$1.out.$n"
	n=$((n + 1))
done
EOF
# The container, and from inside it, the nested one (ct's own cgroup2 mount shows its subtree).
cat >/tmp/ct.sh <<'EOF'
mkdir /sys/fs/cgroup/inner
loadgen container --no-bind /sys/fs/cgroup/inner sh /tmp/reader.sh inner &
exec sh /tmp/reader.sh ct
EOF
loadgen container --no-bind "$cg/ct" sh /tmp/ct.sh >/tmp/ct.log 2>&1 &
container=$!
wait_started /tmp/ct.started >/dev/null
wait_started /tmp/inner.started >/dev/null
take_history /tmp/h0
wait_samples /tmp/h0 5

# ask NAME: container NAME's readings, between the metrics read before and the cgroup table
# after, showing the rows of one sample (the rows the probes read were those, too), again until
# they do, 40 times at most: its request N (its requests are numbered from 0, NEXT_NAME the
# next) is then in /tmp/NAME.out.N, with the metrics in /tmp/m.NAME.N and the table in
# /tmp/t.NAME.N; N in ASKED. The rounds follow one another and do not overlap, so a sample's
# start spoils one round at most: for all 40 to fail, 40 starts must fall within their span,
# 39 periods at least, so rounds (with the reads between them) must last 39/40 of the 4 s
# period on average, 3.9 s; under load they take 2 to 3.
ask() {
	local n tries=0
	eval "n=\${NEXT_$1:-0}"
	while [ "$tries" -lt 40 ]; do
		tries=$((tries + 1))
		cat /proc/loadavg_rs_metrics >"/tmp/m.$1.$n"
		touch "/tmp/$1.go.$n"
		while [ ! -e "/tmp/$1.out.$n" ]; do sleep 0.02; done
		cat /proc/loadavg_rs_cgroups >"/tmp/t.$1.$n"
		eval "NEXT_$1=$((n + 1))"
		ASKED=$n
		[ "$(awk '$1 == "loadavg_rs_cgroup_sample" { print $2 }' "/tmp/m.$1.$n")" = "$(hval "/tmp/t.$1.$n" sample)" ] && return
		n=$((n + 1))
	done
	fail "container $1's readings" "no round of them fell within one sample in 40 tries"
}
# fixed M PATH: the cgroup PATH's three averages of `all` in the metrics M, in fixed point.
fixed() {
	for w in 10s 60s 300s; do
		awk -v s="loadavg_rs_cgroup_load{cgroup=\"$2\",cgroupns=\"host\",definition=\"all\",window=\"$w\"}" \
			'$1 == s { printf "%d ", $2 * 2048 }' "$1"
	done | sed 's/ $//'
}
# kernel_check NAME CMD...: CMD's sysinfo() (a `loadgen loadavg`) gives the kernel's own avenrun
# as it stood at the call. The module records avenrun, unprobed, at each sample; the kernel
# changes it every LOAD_FREQ (1,251 ticks), the samples come every 1,001, so each value avenrun
# takes is recorded by at least one sample, even one 250 ticks late. The call's value is then
# one of those recorded from the last sample before CMD began to the second after the last one
# before it ended (the first whose timer surely fired after the call, a walk being shorter than
# a period), however long CMD took.
kernel_check() {
	local name=$1 info k0 k recorded
	shift
	take_history /tmp/hk0
	"$@" >/tmp/kc.out
	take_history /tmp/hke
	k0=$(hval /tmp/hk0 samples) k=$(hval /tmp/hke samples)
	wait_samples /tmp/hke 2
	take_history /tmp/hk1
	recorded=$(awk -v a="$k0" -v b=$((k + 2)) -v c="$(rcol /tmp/hk1 avenrun1)" '$1 == "sample" && NF > 2 { nf = NF; next }
		nf && NF == nf && $1 >= a && $1 <= b { print $c, $(c + 1), $(c + 2) }' /tmp/hk1 | uniq | paste -sd';')
	info=$(awk '$1 == "sysinfo" { print $2 / 32, $3 / 32, $4 / 32 }' /tmp/kc.out)
	check "$name: sysinfo() gives the kernel's own avenrun ($info; the kernel's from sample $k0 to $((k + 2)): $recorded)" \
		sh -c "test -n '$info' && printf '%s\n' '$recorded' | tr ';' '\n' | grep -qx '$info'"
}

for name in ct inner; do
	ask "$name"
	out=/tmp/$name.out.$ASKED m=/tmp/m.$name.$ASKED t=/tmp/t.$name.$ASKED
	path=/ct
	[ "$name" = ct ] || path=/ct/inner
	sed "s/^/# $name: /" "$out"
	want=$(fixed "$m" "$path")
	got=$(awk '$1 == "sysinfo" { print $2 / 32, $3 / 32, $4 / 32 }' "$out")
	check "$name (sample $(hval "$t" sample)): sysinfo()'s loads are its own averages, bit for bit ($got; $path: $want)" \
		test -n "$want" -a "$got" = "$want"
	check "$name: getloadavg() returns them over 65536, exactly" \
		test "$(awk '$1 == "getloadavg" { printf "%d %d %d", $2 * 65536, $3 * 65536, $4 * 65536 }' "$out")" = \
		"$(awk '$1 == "sysinfo" { printf "%d %d %d", $2, $3, $4 }' "$out")"
	# busybox: LOAD_INT and LOAD_FRAC of the 16-bit values, truncated.
	bb=$(awk '$1 == "sysinfo" { for (i = 2; i <= 4; i++) printf "%s%d.%02d", (i > 2 ? ", " : ""), int($i / 65536), int(($i % 65536) * 100 / 65536) }' "$out")
	check "$name: busybox uptime shows them (load average: $bb)" grep -q "^busybox .*load average: $bb\$" "$out"
	# shellcheck disable=SC2086 # three numbers
	rounded=$(shown $want)
	check "$name: /proc/loadavg shows them as the kernel rounds ($rounded)" \
		grep -q "^proc $rounded " "$out"
	check "$name: and procps uptime too" grep -q "^procps .*load average: $(echo "$rounded" | sed 's/ /, /g')\$" "$out"
	running=$(($(field "$t" cpu "$path") + $(field "$t" delayed "$path")))
	check "$name: /proc/loadavg's running count is its tasks on a runqueue ($running)" \
		grep -q "^proc [0-9. ]* $running/[0-9]* [0-9]*\$" "$out"
	check "$name: and /proc/stat's procs_running" grep -qx "procs_running $running" "$out"
done
kernel_check "the host" loadgen loadavg
# A task whose cgroup namespace is rooted at the machine's root (its cgroup the root's), in a PID
# namespace of its own: the machine is its cgroup namespace's whole.
kernel_check "a PID namespace in the root cgroup" loadgen container --no-bind "$cg" loadgen loadavg
# A task with a cgroup namespace of its own (rooted at ct) but the host's PIDs, as a monitoring
# agent run with hostPID: not a container, the kernel's figures.
kernel_check "a cgroup namespace of its own, the host's PIDs" loadgen container --cgroup-ns-only "$cg/ct" loadgen loadavg
check "no call missed a probe, and none from a container was handed the machine's figures ($(table_value virtualize_missed), $(table_value virtualize_host))" \
	test "$(table_value virtualize_missed)" = 0 -a "$(table_value virtualize_host)" = 0

# 32 threads in a container call sysinfo() as fast as they can, for 3 s. A call from a container
# misses the probes (kprobes' nmissed) only if another kprobe runs on its CPU at that moment,
# and none else is registered here: none misses.
mkdir "$cg/st"
loadgen container --no-bind "$cg/st" loadgen loadavg 32 3 >/tmp/storm.out 2>&1
check "32 threads of a container called sysinfo() ($(cat /tmp/storm.out)); none missed the probes ($(table_value virtualize_missed))" \
	sh -c "grep -q '^sysinfo calls [1-9]' /tmp/storm.out && test '$(table_value virtualize_missed)' = 0"
check "module unloads" unload

check "module loads with virtualize=0" load $PARAMS
take_history /tmp/h0
wait_samples /tmp/h0 3
# The container's sysinfo() and /proc/loadavg, the kernel's: read back to back by one process
# (loadgen loadavg), they differ only if the kernel closed one of its 5 s windows between, a
# chance of a few ms in 5 s; asked again then, 3 times at most.
for try in 1 2 3; do
	ask ct
	got=$(awk '$1 == "sysinfo" { print $2 / 32, $3 / 32, $4 / 32 }' "/tmp/ct.out.$ASKED")
	proc=$(awk '$1 == "file" { print $2, $3, $4 }' "/tmp/ct.out.$ASKED")
	# shellcheck disable=SC2086 # three numbers
	[ "$(shown $got)" != "$proc" ] || break
done
own=$(fixed "/tmp/m.ct.$ASKED" /ct)
# shellcheck disable=SC2086 # three numbers
check "virtualize=0: the container reads the kernel's figures (sysinfo $(shown $got), its /proc/loadavg $proc; its own would be $(shown $own))" \
	test "$(shown $got)" = "$proc" -a "$proc" != "$(shown $own)"
check "module unloads" unload

# Room for the root alone: ct has no slot, and its threads are counted in the root's, whose
# figures are not its own: it keeps the machine's, and each call is counted.
check "module loads with virtualize=1 and max_cgroups=1" load $PARAMS virtualize=1 max_cgroups=1
take_history /tmp/h0
wait_samples /tmp/h0 3
host0=$(table_value virtualize_host)
# A container in ct, as the readers' (its own PID and cgroup namespaces, rooted at ct).
kernel_check "no slot: a container in ct" loadgen container --no-bind "$cg/ct" loadgen loadavg
check "and its calls are counted as handed the machine's figures ($host0, then $(table_value virtualize_host))" \
	test "$(table_value virtualize_host)" -gt "$host0"
check "module unloads" unload

kill -KILL $container $(cat "$cg/ct/inner/cgroup.procs" "$cg/ct/cgroup.procs" "$cg/st/cgroup.procs" "$cg/other/cgroup.procs") 2>/dev/null
wait
for c in ct/inner ct st other; do
	while [ -n "$(cat "$cg/$c/cgroup.procs")" ]; do sleep 0.05; done
	rmdir "$cg/$c"
done
umount "$cg"
finish
