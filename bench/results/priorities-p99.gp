# priorities-p99: drawn by sensix_bench_suite; render again with `gnuplot priorities-p99.gp` in this folder
set terminal svg size 800,480 dynamic background rgb 'white' font 'sans,12'
set output 'priorities-p99.svg'
set grid
set key below
set title 'High-priority p99 latency vs offered load'
set xlabel 'low-priority models'
set ylabel 'p99 ms'
set yrange [0:*]
plot 'priorities-p99.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'latency', \
     'priorities-p99.dat' index 1 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'throughput', \
     'priorities-p99.dat' index 2 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'balanced', \
     'priorities-p99.dat' index 3 with linespoints lw 2 pt 7 title 'objective (100 ms)'
set terminal pngcairo size 800,480
set output 'priorities-p99.png'
replot
unset output
