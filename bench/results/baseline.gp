# baseline: drawn by sensix_bench_suite; render again with `gnuplot baseline.gp` in this folder
set terminal svg size 800,480 dynamic background rgb 'white' font 'sans,12'
set output 'baseline.svg'
set grid
set key below
set title 'Ten models: relative to the per-component baseline (median, min-max)'
set xlabel ''
set ylabel 'relative to the per-component baseline'
set yrange [0:*]
set style data histograms
set style histogram errorbars lw 1 gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
plot 'baseline.dat' using 2:3:4:xtic(1) title 'per-model baseline', \
     '' using 5:6:7 title 'per-component baseline (= 1)', \
     '' using 8:9:10 title 'sensix: 1 process'
set terminal pngcairo size 800,480
set output 'baseline.png'
replot
unset output
