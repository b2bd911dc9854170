# overhead: drawn by sensix_bench_suite; render again with `gnuplot overhead.gp` in this folder
set terminal svg size 800,480 dynamic background rgb 'white' font 'sans,12'
set output 'overhead.svg'
set grid
set key below
set title 'PP-OCRv4 det on a video: pure engine, expert loop, full runtime (median, min-max)'
set xlabel 'intra-op threads, cores'
set ylabel 'inferences/s'
set yrange [0:*]
set style data histograms
set style histogram errorbars lw 1 gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
plot 'overhead.dat' using 2:3:4:xtic(1) title 'pure engine', \
     '' using 5:6:7 title 'expert loop', \
     '' using 8:9:10 title 'full runtime'
set terminal pngcairo size 800,480
set output 'overhead.png'
replot
unset output
