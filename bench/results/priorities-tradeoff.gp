# priorities-tradeoff: drawn by sensix_bench_suite; render again with `gnuplot priorities-tradeoff.gp` in this folder
set terminal svg size 800,480 dynamic background rgb 'white' font 'sans,12'
set output 'priorities-tradeoff.svg'
set grid
set key below
set title 'Trade-off: total throughput vs high-priority p99'
set xlabel 'all inferences/s'
set ylabel 'high-priority p99 ms'
set yrange [0:*]
plot 'priorities-tradeoff.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'latency', \
     'priorities-tradeoff.dat' index 1 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'throughput', \
     'priorities-tradeoff.dat' index 2 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'balanced'
set terminal pngcairo size 800,480
set output 'priorities-tradeoff.png'
replot
unset output
