# SPDX-License-Identifier: GPL-2.0
# The demo's chart: one curve per definition, phases shaded. Called by scripts/demo.sh with
#   gnuplot -e "csv='...'; png='...'; phases='...'; title='...'" chart.gp
# where phases is "NAME START END NAME START END ...".
set terminal pngcairo size 1200,650 font "sans,11"
set output png
set datafile separator ","
set title title
set xlabel "seconds"
set ylabel "load average, first window (tasks)"
set key outside right top
set grid ytics
set yrange [0:*]
n = words(phases) / 3
do for [i = 1:n] {
	x0 = word(phases, 3 * i - 1) + 0
	x1 = word(phases, 3 * i) + 0
	set object i rectangle from x0, graph 0 to x1, graph 1 behind \
		fillcolor rgb (i % 2 ? "#f2f2f2" : "#e4e4e4") fillstyle solid noborder
	set label i word(phases, 3 * i - 2) at (x0 + x1) / 2, graph 0.97 center
}
plot csv using 1:3 skip 1 with lines lw 3 lc rgb "#000000" title "/proc/loadavg (kernel, R+D)", \
     csv using 1:4 skip 1 with lines lw 2 dt 2 lc rgb "#7f7f7f" title "all (R+D, recomputed)", \
     csv using 1:5 skip 1 with lines lw 2 lc rgb "#d62728" title "cpu (R)", \
     csv using 1:6 skip 1 with lines lw 2 lc rgb "#1f77b4" title "io (iowait)", \
     csv using 1:7 skip 1 with lines lw 2 dt 3 lc rgb "#9467bd" title "cpuio (R+iowait)", \
     csv using 1:8 skip 1 with lines lw 2 lc rgb "#2ca02c" title "blocked (D, not IO)"
