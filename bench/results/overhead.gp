# overhead: drawn by sensix_bench_suite; render again with `gnuplot overhead.gp` in this folder
set terminal svg size 800,480 dynamic background rgb 'white' font 'sans,12'
set output 'overhead.svg'
set grid
set key below
set title 'PP-OCRv4 det: bare engine vs full runtime'
set xlabel 'intra-op threads'
set ylabel 'inferences/s'
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
plot 'overhead.dat' using 2:xtic(1) title 'bare engine', \
     '' using 3 title 'full runtime'
set terminal pngcairo size 800,480
set output 'overhead.png'
replot
unset output
