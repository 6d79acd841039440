# make bench's machine-readable results (scripts/bench.sh): the awk scripts
# that print its tables load this too and record each figure as they print it,
# one line per figure in $BENCH_RESULTS (build/bench/results.tsv):
#   key <TAB> value <TAB> unit <TAB> target ("<= N" or -) <TAB> met, missed or -
# Without BENCH_RESULTS nothing is written.
function result(key, value, unit, max,    file, target, verdict) {
	file = ENVIRON["BENCH_RESULTS"]
	if (file == "")
		return
	target = verdict = "-"
	if (max != "") {
		target = "<= " max
		verdict = (value + 0 <= max + 0) ? "met" : "missed"
	}
	printf "%s\t%s\t%s\t%s\t%s\n", key, value, unit, target, verdict >> file
}
