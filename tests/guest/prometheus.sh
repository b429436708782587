# SPDX-License-Identifier: GPL-2.0
# The split load in Prometheus, through the real node_exporter (Debian's, run as a user runs
# it): its textfile collector reads /proc/loadavg_rs_metrics through a `.prom` symlink in its
# directory, at every scrape; no daemon of ours, no file to keep current.
#
# Scraped over loopback with busybox wget, at one sample (the module's samples file read before
# and after the scrape, again until no sample fell between): every definition's three averages
# are exactly the module's fixed-point values (the metric times 2048), its counts the sample's,
# the counters the table's, and a cgroup's series its row in /proc/loadavg_rs_cgroups. The
# module's own exposition is printed (`prom| ` lines) for the host's `promtool check metrics`.
. /tests/lib.sh

if ! ip link set lo up 2>/dev/null || ! ip addr show lo 2>/dev/null | grep -q '127.0.0.1'; then
	skip "node_exporter scrapes the module's series" "this kernel has no networking (CONFIG_NET, CONFIG_INET)"
	finish
fi
cg=/sys/fs/cgroup
mkdir -p "$cg"
cgroups=
if mount -t cgroup2 none "$cg" 2>/dev/null; then
	cgroups=1
	mkdir "$cg/fleet"
	in_cgroup fleet loadgen cpu 1 3600 >/tmp/fleet.started &
	wait_started /tmp/fleet.started >/dev/null
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
# The scrape and the cgroup table, between two readings of the samples file at the same sample,
# and, with cgroups, the scrape's cgroup series of the table's sample (the walker publishes the
# cgroups' rows a moment after the sample itself).
while :; do
	take_history /tmp/h0
	scrape /tmp/scrape
	cat /proc/loadavg_rs_cgroups >/tmp/t 2>/dev/null
	cat /proc/loadavg_rs_metrics >/tmp/own
	take_history /tmp/h1
	[ "$(hval /tmp/h0 samples)" = "$(hval /tmp/h1 samples)" ] || continue
	[ -z "$cgroups" ] || [ "$(awk '$1 == "node_loadavg_rs_cgroup_sample" { print $2 }' /tmp/scrape)" = "$(hval /tmp/t sample)" ] || continue
	break
done
k=$(hval /tmp/h0 samples)
# metric NAME [LABELS]: the value of series NAME{LABELS} (NAME without labels) in the scrape.
metric() {
	local s=$1
	[ -z "${2:-}" ] || s="$1{$2}"
	awk -v s="$s" '$1 == s { print $2 }' /tmp/scrape
}
check "the textfile collector read the file without an error (node_textfile_scrape_error $(metric node_textfile_scrape_error))" \
	test "$(metric node_textfile_scrape_error)" = 0
bad= n=0
for a in $ACCOUNTINGS; do
	set -- $(awk -v a="$a" '$1 == "fixed" && $2 == a { print $3, $4, $5 }' /tmp/h0)
	for w in 10s 60s 300s; do
		v=$(metric node_loadavg_rs_load "definition=\"$a\",window=\"$w\"")
		got=$(awk -v v="$v" 'BEGIN { if (v == "") print "none"; else printf "%d", v * 2048 }')
		[ "$got" = "$1" ] || bad="$bad $a/$w:$v*2048=$got!=$1"
		n=$((n + 1))
		shift
	done
	want=$(record_value /tmp/h0 last "$a")
	v=$(metric node_loadavg_rs_tasks "definition=\"$a\"")
	[ "$v" = "$want" ] || bad="$bad tasks/$a:$v!=$want"
done
check "sample $k: the scraped averages of every definition and window ($n) are the module's exactly, and the counts the sample's${bad:+:$bad}" test -z "$bad"
check "the counters are the table's: samples_total $(metric node_loadavg_rs_samples_total) = $k" \
	test "$(metric node_loadavg_rs_samples_total)" = "$k"
if [ -n "$cgroups" ]; then
	bad=
	for a in $ACCOUNTINGS; do
		for w in 10s 60s 300s; do
			v=$(metric node_loadavg_rs_cgroup_load "cgroup=\"/fleet\",definition=\"$a\",window=\"$w\"")
			shown=$(shown "$(awk -v v="$v" 'BEGIN { printf "%d", v * 2048 }')")
			[ "$shown" = "$(field /tmp/t "${a}_$w" /fleet)" ] || bad="$bad $a/$w:$shown!=$(field /tmp/t "${a}_$w" /fleet)"
		done
	done
	check "a cgroup's series are its row of the cgroup table (/fleet; sample $(metric node_loadavg_rs_cgroup_sample) of the table's $(hval /tmp/t sample))${bad:+:$bad}" \
		test -z "$bad" -a "$(metric node_loadavg_rs_cgroup_sample)" = "$(hval /tmp/t sample)"
	check "its tasks and threads too (cpu $(metric node_loadavg_rs_cgroup_tasks 'cgroup="/fleet",definition="cpu"'), threads $(metric node_loadavg_rs_cgroup_threads 'cgroup="/fleet"'))" \
		test "$(metric node_loadavg_rs_cgroup_tasks 'cgroup="/fleet",definition="cpu"')" = "$(field /tmp/t cpu /fleet)" \
		-a "$(metric node_loadavg_rs_cgroup_threads 'cgroup="/fleet"')" = "$(field /tmp/t threads /fleet)"
fi
echo "# node_load1 $(awk '$1 == "node_load1" { print $2 }' /tmp/scrape), node_loadavg_rs_load{all,10s} $(metric node_loadavg_rs_load 'definition="all",window="10s"'), io share: $(metric node_loadavg_rs_load 'definition="io",window="10s"')"
sed 's/^/prom| /' /tmp/own
kill "$exporter"
wait "$exporter" 2>/dev/null
check "module unloads" unload
if [ -n "$cgroups" ]; then
	remove_cgroup fleet
	wait
	umount "$cg"
fi
finish
