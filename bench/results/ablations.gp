# ablations: drawn by sensix_bench_suite; render again with `gnuplot ablations.gp` in this folder
set terminal svg size 800,480 dynamic background rgb 'white' font 'sans,12'
set output 'ablations.svg'
set grid
set key below
set title 'Ablations (part 2''s workload; batching on its own)'
set xlabel ''
set ylabel 'useful inferences/s'
set yrange [0:*]
set style data histograms
set style histogram errorbars lw 1 gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
plot 'ablations.dat' using 2:3:4:xtic(1) title 'useful inferences/s (serving; median, min-max)'
set terminal pngcairo size 800,480
set output 'ablations.png'
replot
unset output
