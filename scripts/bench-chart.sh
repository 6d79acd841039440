#!/usr/bin/env bash
# make bench's chart: L0 (Umbra) instructions per exit, by reason and level,
# from results.tsv (written by the scripts that print the tables), as SVG.
#   scripts/bench-chart.sh RESULTS_TSV OUT_SVG
set -euo pipefail
tsv=$1 svg=$2
command -v gnuplot >/dev/null || {
	echo "bench: no gnuplot for the chart: sudo apt-get install gnuplot-nox" >&2
	exit 1
}
data=${svg%.svg}.dat
# One bar per figure: label, value, level (1 guest, 2 L2 reflected to L1, 3 L2 kept by Umbra).
awk -F'\t' '
	{ v[$1] = $2 }
	function bar(label, key, level) {
		if (key in v)
			printf "\"%s\" %s %d\n", label, v[key], level
		else
			missing = missing " " key
	}
	END {
		bar("CPUID", "exit.cpuid.l0", 1)
		bar("VMCALL", "exit.vmcall.l0", 1)
		bar("I/O (OUT)", "exit.io.l0", 1)
		bar("L2 CPUID, EPT off", "nested.reflected.ept_off.l0", 2)
		bar("L2 CPUID, EPT on", "nested.reflected.ept_on.l0", 2)
		bar("EPT02 fill, per page", "sept.fill.l0", 3)
		if (missing != "") {
			print "bench: the chart misses figures:" missing > "/dev/stderr"
			exit 1
		}
	}' "$tsv" >"$data"
gnuplot <<GP
set terminal svg size 760,460 font "sans,12" background "white"
set output "$svg"
set title "Umbra: L0 instructions per exit (Bochs, one CPU; make bench)"
set ylabel "L0 instructions"
set yrange [0:*]
set offsets 0.6, 0.6, 1400, 0
set style fill solid 0.85 border -1
set boxwidth 0.7
set xtics nomirror rotate by -20 scale 0
set ytics nomirror
set grid ytics
set border 3
set key top left Left reverse samplen 2
set bmargin 6
set rmargin 8
plot "$data" using 0:(\$3 == 1 ? \$2 : 1/0):xtic(1) with boxes lc rgb "#4477aa" \
	title "guest exit (exitbench)", \
     "" using 0:(\$3 == 2 ? \$2 : 1/0) with boxes lc rgb "#ee6677" \
	title "L2 exit reflected to L1 (round trip: 2 L0 exits)", \
     "" using 0:(\$3 == 3 ? \$2 : 1/0) with boxes lc rgb "#228833" \
	title "L2 exit kept by Umbra (EPT violation)", \
     "" using 0:2:(sprintf("%d", \$2)) with labels offset 0,0.8 notitle
GP
