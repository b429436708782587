# SPDX-License-Identifier: GPL-2.0
# The demo's chart: the kernel's /proc/loadavg, then one curve per definition (the CSV's columns
# 4 to `columns`, named by its header), phases shaded. Called by scripts/demo.sh with
#   gnuplot -e "csv='...'; png='...'; phases='...'; columns=N; title='...'" chart.gp
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
# A colour per definition, in the module's order (cpu red, io blue, all grey, cpuio purple,
# blocked green, then others), again from the first past the eighth.
colors = "#d62728 #1f77b4 #7f7f7f #9467bd #2ca02c #ff7f0e #8c564b #e377c2"
set key autotitle columnheader
plot csv using 1:3 with lines lw 3 lc rgb "#000000" title "/proc/loadavg (kernel, R+D)", \
     for [i = 4:columns] csv using 1:i with lines lw 2 \
         lc rgb word(colors, (i - 4) % words(colors) + 1) title columnheader(i)
