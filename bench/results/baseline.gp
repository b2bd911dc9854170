# baseline: drawn by sensix_bench_suite; render again with `gnuplot baseline.gp` in this folder
set terminal svg size 800,480 dynamic background rgb 'white' font 'sans,12'
set output 'baseline.svg'
set grid
set key below
set title 'Ten models: one sensix process relative to ten processes'
set xlabel ''
set ylabel 'relative to the baseline'
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
plot 'baseline.dat' using 2:xtic(1) title 'baseline: 10 processes (= 1)', \
     '' using 3 title 'sensix: 1 process'
set terminal pngcairo size 800,480
set output 'baseline.png'
replot
unset output
