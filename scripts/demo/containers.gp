# SPDX-License-Identifier: GPL-2.0
# The demo's containers chart: one panel per cgroup, its first-window averages (tasks, left
# axis) and its own pressure, PSI "some" avg10 (percent, right axis). Called by scripts/demo.sh
# with
#   gnuplot -e "csv='...'; png='...'; phase=N; title='...'" containers.gp
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
	set title c
	set ylabel "tasks"
	set y2label "PSI some avg10 (%)"
	if (c eq "batch") { set xlabel "seconds" } else { unset xlabel }
	plot csv using 1:(strcol(2) eq c ? $3 : NaN) skip 1 with lines lw 2 dt 2 lc rgb "#7f7f7f" title "all (R+D)", \
	     csv using 1:(strcol(2) eq c ? $4 : NaN) skip 1 with lines lw 2 lc rgb "#d62728" title "cpu", \
	     csv using 1:(strcol(2) eq c ? $5 : NaN) skip 1 with lines lw 2 lc rgb "#1f77b4" title "io", \
	     csv using 1:(strcol(2) eq c ? $6 : NaN) skip 1 with lines lw 2 lc rgb "#2ca02c" title "blocked", \
	     csv using 1:(strcol(2) eq c ? $7 : NaN) axes x1y2 skip 1 with lines lw 1 dt 3 lc rgb "#d62728" title "PSI cpu", \
	     csv using 1:(strcol(2) eq c ? $8 : NaN) axes x1y2 skip 1 with lines lw 1 dt 3 lc rgb "#1f77b4" title "PSI io"
}
unset multiplot
