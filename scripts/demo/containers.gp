# SPDX-License-Identifier: GPL-2.0
# The demo's containers chart: one panel per cgroup, its first-window averages (tasks, left
# axis) and its own pressure, PSI "some" avg10 (percent, right axis). Called by scripts/demo.sh
# with
#   gnuplot -e "prefix='...'; png='...'; phase=N; title='...'" containers.gp
# where prefix.'web.csv' (and db, batch) hold one cgroup's rows each.
set terminal pngcairo size 1200,900 font "sans,11"
set output png
set datafile separator ","
set multiplot layout 3,1 title title
set grid ytics
set yrange [0:*]
set y2range [0:100]
set y2tics
set ytics nomirror
set key outside right top
set xrange [0:3 * phase]
do for [c in "web db batch"] {
	csv = prefix . c . ".csv"
	set title sprintf("cgroup /%s", c)
	set ylabel "tasks"
	set y2label "PSI some avg10 (%)"
	if (c eq "batch") { set xlabel "seconds" } else { unset xlabel }
	plot csv using 1:3 with lines lw 2 dt 2 lc rgb "#7f7f7f" title "all (R+D)", \
	     csv using 1:4 with lines lw 2 lc rgb "#d62728" title "cpu", \
	     csv using 1:5 with lines lw 2 lc rgb "#1f77b4" title "io", \
	     csv using 1:6 with lines lw 2 lc rgb "#2ca02c" title "blocked", \
	     csv using 1:7 axes x1y2 with lines lw 1 dt 3 lc rgb "#d62728" title "PSI cpu", \
	     csv using 1:8 axes x1y2 with lines lw 1 dt 3 lc rgb "#1f77b4" title "PSI io"
}
unset multiplot
