# SPDX-License-Identifier: GPL-2.0
# The split load in Prometheus, through the real node_exporter (Debian's, run as a user runs
# it): its textfile collector reads /proc/loadavg_rs_metrics through a `.prom` symlink in its
# directory, at every scrape; no daemon of ours, no file to keep current.
#
# Scraped over loopback with busybox wget, at one sample (the module's table read before and
# after the scrape, again until no sample fell between): every definition's three averages are
# exactly the module's fixed-point values at that sample (the metric times 2048, against the
# sample's record in the samples file), its counts the sample's,
# the counters the table's (walks_total the samples, walk_seconds_total's growth the recorded
# walks' ns added up), and a cgroup's series its row in /proc/loadavg_rs_cgroups, in the host's cgroup
# namespace (cgroupns="host"), a name that is not UTF-8 among them. Then, loaded again with
# metrics_cgroups=1: the root alone has series of its own, the others are counted in
# loadavg_rs_cgroups_omitted and summed in cgroup="[other]" over the disjoint subtrees they make,
# as the cgroup table of the same sample says. Both expositions are printed (`prom| ` and
# `prom-bound| ` lines) for the host's `promtool check metrics`.
. /tests/lib.sh

if ! ip link set lo up 2>/dev/null || ! ip addr show lo 2>/dev/null | grep -q '127.0.0.1'; then
	skip "node_exporter scrapes the module's series" "this kernel has no networking (CONFIG_NET, CONFIG_INET)"
	finish
fi
cg=/sys/fs/cgroup
mkdir -p "$cg"
cgroups=
# A name that is not UTF-8, with a backslash before an x: /odd\xff\\x in every file.
odd=$(printf 'odd\377\\x')
# sleeper DIR: a process asleep in cgroup DIR (any name: passed as an argument, never parsed).
sleeper() {
	sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 3600' sh "$cg/$1" &
	while [ -z "$(cat "$cg/$1/cgroup.procs")" ]; do sleep 0.05; done
}
if mount -t cgroup2 none "$cg" 2>/dev/null; then
	cgroups=1
	mkdir "$cg/fleet" "$cg/$odd"
	in_cgroup fleet loadgen cpu 1 3600 >/tmp/fleet.started &
	wait_started /tmp/fleet.started >/dev/null
	sleeper "$odd"
fi
check "module loads with a 1 s period" load period_ms=1000 window1_ms=10000 window2_ms=60000 window3_ms=300000
mkdir -p /tmp/textfile
ln -s /proc/loadavg_rs_metrics /tmp/textfile/loadavg_rs.prom
debian prometheus-node-exporter --web.listen-address=127.0.0.1:9100 \
	--collector.textfile.directory=/tmp/textfile >/tmp/node_exporter.log 2>&1 &
exporter=$!
scrape() { wget -q -O "$1" http://127.0.0.1:9100/metrics; }
until scrape /tmp/scrape 2>/dev/null; do
	kill -0 "$exporter" 2>/dev/null || break
	sleep 0.5
done
check "node_exporter serves its metrics on 127.0.0.1:9100 ($(head -n1 /tmp/node_exporter.log | cut -c1-100))" test -s /tmp/scrape
take_history /tmp/h0 && wait_samples /tmp/h0 3
# metric_in FILE NAME [LABELS]: the value of series NAME{LABELS} (NAME without labels) in an
# exposition; labels in name order, as node_exporter and the module print them.
metric_in() {
	local s=$2
	[ -z "${3:-}" ] || s="$2{$3}"
	# Through the environment: awk -v would read the labels' backslashes as escapes.
	s=$s awk 'index($0, ENVIRON["s"] " ") == 1 { print $NF }' "$1"
}
# metric NAME [LABELS]: as metric_in, in the scrape.
metric() { metric_in /tmp/scrape "$@"; }
# The scrape, the module's own exposition and the cgroup table, each one sample whole (the
# walker publishes every file's figures at once); the table read before and after the two
# others, again until no sample fell between, so that all three show the same sample. The
# samples file, read before and after all that, holds every record between (it keeps 64,
# 64 s at this period): the figures are checked against that sample's record and against the
# averages it left, replayed from the first reading's (fixed_at).
while :; do
	take_history /tmp/h0.0
	cat "/proc/$TABLE_FILE" >/tmp/t0
	scrape /tmp/scrape
	cat /proc/loadavg_rs_cgroups >/tmp/t 2>/dev/null
	cat /proc/loadavg_rs_metrics >/tmp/own
	cat "/proc/$TABLE_FILE" >/tmp/t1
	[ "$(hval /tmp/t0 samples)" = "$(hval /tmp/t1 samples)" ] && break
done
take_history /tmp/h0
k=$(hval /tmp/t0 samples)
check "the textfile collector read the file without an error (node_textfile_scrape_error $(metric node_textfile_scrape_error))" \
	test "$(metric node_textfile_scrape_error)" = 0
check "every series is the module's own, loadavg_rs_*, none in node_exporter's namespace ($(grep -c '^loadavg_rs_' /tmp/own) series)" \
	test "$(grep -v '^#' /tmp/own | grep -vc '^loadavg_rs_')" -eq 0 -a "$(grep -c '^node_loadavg' /tmp/scrape)" -eq 0
bad= n=0
for a in $ACCOUNTINGS; do
	set -- $(for w in 1 2 3; do fixed_at /tmp/h0.0 /tmp/h0 "$k" "$a" $w; done)
	[ $# -eq 3 ] || bad="$bad no-record-$k"
	for w in 10s 60s 300s; do
		v=$(metric loadavg_rs_load "definition=\"$a\",window=\"$w\"")
		got=$(awk -v v="$v" 'BEGIN { if (v == "") print "none"; else printf "%d", v * 2048 }')
		[ "$got" = "$1" ] || bad="$bad $a/$w:$v*2048=$got!=$1"
		n=$((n + 1))
		shift
	done
	want=$(record_value /tmp/h0 "$k" "$a")
	v=$(metric loadavg_rs_tasks "definition=\"$a\"")
	[ "$v" = "$want" ] || bad="$bad tasks/$a:$v!=$want"
done
check "sample $k: the scraped averages of every definition and window ($n) are the module's exactly, and the counts the sample's${bad:+:$bad}" test -z "$bad"
check "the counters are the table's: samples_total $(metric loadavg_rs_samples_total) = walks_total $(metric loadavg_rs_walks_total) = $k" \
	test "$(metric loadavg_rs_samples_total)" = "$k" -a "$(metric loadavg_rs_walks_total)" = "$k"
# The counter grows by each walk's duration, to the nanosecond: read again a few samples later,
# then the samples file (which still holds every walk between: fewer than its 64 records), its
# growth is the walk_ns of the records since sample $k added up (read in the module's own text,
# which prints all nine decimals; node_exporter prints the number again, as short as it can).
take_history /tmp/hw
wait_samples /tmp/hw 3
cat /proc/loadavg_rs_metrics >/tmp/own2
take_history /tmp/h2
k2=$(metric_in /tmp/own2 loadavg_rs_walks_total)
walk_ns=$(awk -v c="$(rcol /tmp/h2 walk_ns)" -v a="$k" -v b="$k2" '$1 == "sample" && NF > 2 { nf = NF; next }
	nf && NF == nf && $1 > a && $1 <= b { s += $c; n++ } END { printf "%d %d\n", s, n }' /tmp/h2)
ns() { metric_in "$1" loadavg_rs_walk_seconds_total | tr -d . | sed 's/^0*//'; }
grown=$(awk -v a="$(ns /tmp/own)" -v b="$(ns /tmp/own2)" 'BEGIN { printf "%d", b - a }')
check "walk_seconds_total grew by $grown ns from sample $k to $k2: the walk_ns of those walks added up (${walk_ns% *} ns over ${walk_ns#* } records)" \
	test "${walk_ns#* }" -eq $((k2 - k)) -a "$((k2 - k))" -le 63 -a "$grown" = "${walk_ns% *}"
if [ -n "$cgroups" ]; then
	bad=
	for a in $ACCOUNTINGS; do
		for w in 10s 60s 300s; do
			v=$(metric loadavg_rs_cgroup_load "cgroup=\"/fleet\",cgroupns=\"host\",definition=\"$a\",window=\"$w\"")
			shown=$(shown "$(awk -v v="$v" 'BEGIN { printf "%d", v * 2048 }')")
			[ "$shown" = "$(field /tmp/t "${a}_$w" /fleet)" ] || bad="$bad $a/$w:$shown!=$(field /tmp/t "${a}_$w" /fleet)"
		done
	done
	check "a cgroup's series are its row of the cgroup table (/fleet; sample $(metric loadavg_rs_cgroup_sample) of the table's $(hval /tmp/t sample))${bad:+:$bad}" \
		test -z "$bad" -a "$(metric loadavg_rs_cgroup_sample)" = "$(hval /tmp/t sample)"
	check "its tasks and threads too (cpu $(metric loadavg_rs_cgroup_tasks 'cgroup="/fleet",cgroupns="host",definition="cpu"'), threads $(metric loadavg_rs_cgroup_threads 'cgroup="/fleet",cgroupns="host"'))" \
		test "$(metric loadavg_rs_cgroup_tasks 'cgroup="/fleet",cgroupns="host",definition="cpu"')" = "$(field /tmp/t cpu /fleet)" \
		-a "$(metric loadavg_rs_cgroup_threads 'cgroup="/fleet",cgroupns="host"')" = "$(field /tmp/t threads /fleet)"
	check "every per-cgroup series is of the host's cgroup namespace, cgroupns=\"host\" ($(grep -c '^loadavg_rs_cgroup_[a-z]*{' /tmp/scrape) series)" \
		test "$(grep '^loadavg_rs_cgroup_[a-z]*{' /tmp/scrape | grep -vc ',cgroupns="host"')" -eq 0
	# The odd name: escaped in the table (/odd\xff\\x), the same text as the label's value,
	# whose every backslash the exposition doubles once more.
	check "a name that is not UTF-8 is in the table escaped ($(paths /tmp/t | grep '^/odd'))" \
		test "$(paths /tmp/t | grep '^/odd')" = '/odd\xff\\x'
	check "and in the scrape, with its row's threads ($(metric loadavg_rs_cgroup_threads 'cgroup="/odd\\xff\\\\x",cgroupns="host"'))" \
		test "$(metric loadavg_rs_cgroup_threads 'cgroup="/odd\\xff\\\\x",cgroupns="host"')" = "$(field /tmp/t threads '/odd\xff\\x')"
	check "no cgroup is left out at the default bound (cgroups_omitted $(metric loadavg_rs_cgroups_omitted 'cgroupns="host"'), no [other])" \
		test "$(metric loadavg_rs_cgroups_omitted 'cgroupns="host"')" = 0 -a "$(grep -c '{cgroup="\[other\]"' /tmp/scrape)" -eq 0
else
	skip "the per-cgroup series" "cgroup v2 could not be mounted (a kernel without CONFIG_CGROUPS, or a test before left it mounted)"
fi
echo "# node_load1 $(metric node_load1), loadavg_rs_load{all,10s} $(metric loadavg_rs_load 'definition="all",window="10s"'), io share: $(metric loadavg_rs_load 'definition="io",window="10s"')"
sed 's/^/prom| /' /tmp/own
kill "$exporter"
wait "$exporter" 2>/dev/null
check "module unloads" unload

# The bound: with room for one cgroup's series, the root's (it has the most load of all), the
# others are left out: /fleet, the odd one, /quiet and /quiet/deep, which is in /quiet's sum.
if [ -n "$cgroups" ]; then
	mkdir -p "$cg/quiet/deep"
	sleeper quiet/deep
	check "module loads with metrics_cgroups=1" load period_ms=100 window1_ms=2000 window2_ms=10000 window3_ms=30000 metrics_cgroups=1
	take_history /tmp/m0 && wait_samples /tmp/m0 3
	while :; do
		cat /proc/loadavg_rs_cgroups >/tmp/t
		cat /proc/loadavg_rs_metrics >/tmp/own
		[ "$(metric_in /tmp/own loadavg_rs_cgroup_sample)" = "$(hval /tmp/t sample)" ] && break
	done
	named=$(sed -n 's/^loadavg_rs_cgroup_threads{cgroup="\([^"]*\)",.*/\1/p' /tmp/own | paste -sd' ')
	tracked=$(hval /tmp/t cgroups_tracked)
	omitted=$(metric_in /tmp/own loadavg_rs_cgroups_omitted 'cgroupns="host"')
	check "the root alone has series of its own, then [other] ($named); the $((tracked - 1)) other tracked cgroups are counted left out ($omitted)" \
		test "$named" = "/ [other]" -a "$omitted" = $((tracked - 1)) -a "$tracked" -ge 5
	# The rows [other] sums: all but the root's, and none below another of them (a row counts
	# its descendants), by their paths.
	paths /tmp/t | awk '$0 != "/"' >/tmp/left
	awk 'NR == FNR { p[++n] = $0; next }
		{ below = 0; for (i = 1; i <= n; i++) if (index($0, p[i] "/") == 1) below = 1; if (!below) print }' /tmp/left /tmp/left >/tmp/tops
	check "the rows summed are the disjoint subtrees: $(paste -sd' ' /tmp/tops)" \
		test "$(grep -c . /tmp/tops)" -eq "$((tracked - 2))" -a "$(grep -cx /quiet/deep /tmp/tops)" -eq 0
	bad=
	for c in threads $ACCOUNTINGS; do
		sum=0
		while read -r p; do sum=$((sum + $(field /tmp/t "$c" "$p"))); done </tmp/tops
		if [ "$c" = threads ]; then
			v=$(metric_in /tmp/own loadavg_rs_cgroup_threads 'cgroup="[other]",cgroupns="host"')
		else
			v=$(metric_in /tmp/own loadavg_rs_cgroup_tasks "cgroup=\"[other]\",cgroupns=\"host\",definition=\"$c\"")
		fi
		[ "$v" = "$sum" ] || bad="$bad $c:$v!=$sum"
		# The table prints each average as /proc/loadavg does (10/2048 added, then cut to two
		# decimals), within 0.0052 of the exact one: the sum within that much a row.
		[ "$c" = threads ] && continue
		for w in 2s 10s 30s; do
			v=$(metric_in /tmp/own loadavg_rs_cgroup_load "cgroup=\"[other]\",cgroupns=\"host\",definition=\"$c\",window=\"$w\"")
			sum=$(while read -r p; do field /tmp/t "${c}_$w" "$p"; done </tmp/tops | awk '{ s += $1 } END { print s + 0 }')
			awk -v v="$v" -v s="$sum" -v n="$(grep -c . /tmp/tops)" 'BEGIN { d = v - s; if (d < 0) d = -d; exit !(v != "" && d <= 0.0052 * n) }' ||
				bad="$bad ${c}_$w:$v!~$sum"
		done
	done
	check "[other]'s threads and tasks are the summed rows' exactly, its 15 averages within their rounding${bad:+:$bad}" test -z "$bad"
	echo "# [other]: threads $(metric_in /tmp/own loadavg_rs_cgroup_threads 'cgroup="[other]",cgroupns="host"'), all_2s $(metric_in /tmp/own loadavg_rs_cgroup_load 'cgroup="[other]",cgroupns="host",definition="all",window="2s"')"
	sed 's/^/prom-bound| /' /tmp/own
	check "module unloads" unload
fi
if [ -n "$cgroups" ]; then
	remove_cgroup quiet/deep
	rmdir "$cg/quiet"
	remove_cgroup fleet
	kill -KILL $(cat "$cg/$odd/cgroup.procs") 2>/dev/null
	while [ -n "$(cat "$cg/$odd/cgroup.procs")" ]; do sleep 0.05; done
	rmdir "$cg/$odd"
	wait
	umount "$cg"
fi
finish
