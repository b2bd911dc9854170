# priorities-throughput: drawn by sensix_bench_suite; render again with `gnuplot priorities-throughput.gp` in this folder
set terminal svg size 800,480 dynamic background rgb 'white' font 'sans,12'
set output 'priorities-throughput.svg'
set grid
set key below
set title 'Total throughput vs offered load'
set xlabel 'low-priority models'
set ylabel 'inferences/s'
set yrange [0:*]
plot 'priorities-throughput.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'latency', \
     'priorities-throughput.dat' index 1 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'throughput', \
     'priorities-throughput.dat' index 2 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'balanced'
set terminal pngcairo size 800,480
set output 'priorities-throughput.png'
replot
unset output
