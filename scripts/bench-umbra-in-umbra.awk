# make bench's Umbra-in-Umbra figures (scripts/bench.sh): an L2 CPUID
# handled by the inner Umbra, an L1 of the outer one, beside the same
# CPUID handled by Umbra for a plain guest and by the nestedbench L1.
# Reads, in order: the plain exitbench console, the nestedbench-as-L1
# console, then the Umbra-in-Umbra consoles without and with EXTRA more
# L2 CPUIDs (exitbench's extra_cpuids=). Round trips are exitbench's and
# nestedbench's RDTSC (Bochs instructions). L0 exits per L2 CPUID: the
# outer Umbra's exits of the inner VM (its `umbra: stats inner` lines, all
# reasons, over the VM's life) in the second run less the first, over the
# inner Umbra's CPUID exits (its `umbra: stats exitbench CPUID` line) in
# the second less the first. No target.
function field(line, key) {
	if (match(line, " " key "=[^ ]+"))
		return substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2)
	return ""
}
FNR == 1 { file++ }
file == 1 && /^\[exitbench\] # bench exit=cpuid / { plain = field($0, "cycles_per_iter") }
file == 2 && /# nbench l2_cpuid mode=nested / { l1 = field($0, "tsc_per_roundtrip") }
file >= 3 && /^\[inner\] \[exitbench\] # bench exit=cpuid / { l2[file] = field($0, "cycles_per_iter") }
file >= 3 && /^\[inner\] umbra: stats exitbench CPUID / { inner_cpuid[file] = field($0, "exits") }
file >= 3 && /^umbra: stats inner / { outer[file] += field($0, "exits") }
END {
	if (plain == "" || l1 == "" || l2[3] == "" || l2[4] == "" || inner_cpuid[3] == "" ||
	    inner_cpuid[4] == "" || !outer[3] || !outer[4] || inner_cpuid[4] == inner_cpuid[3]) {
		print "bench: the Umbra-in-Umbra runs printed no figures" > "/dev/stderr"
		exit 1
	}
	print ""
	print "Umbra in Umbra (a CPUID exit and who handles it; Bochs instructions per round trip)"
	printf "  %-48s %10s\n", "CPUID exit of", "round-trip"
	printf "  %-48s %10d\n", "a guest, handled by Umbra (exitbench)", plain
	printf "  %-48s %10d\n", "an L2, handled by the nestedbench L1", l1
	printf "  %-48s %10d\n", "an L2, handled by the inner Umbra (exitbench)", l2[3]
	d = inner_cpuid[4] - inner_cpuid[3]
	printf "  L0 exits per L2 CPUID handled by the inner Umbra: %.2f (the outer's exits of the inner VM, %d more for %d more L2 CPUIDs; no target)\n",
	       (outer[4] - outer[3]) / d, outer[4] - outer[3], d
	result("umbra_in_umbra.l2_cpuid.round_trip", l2[3], "instructions")
	result("umbra_in_umbra.l0_exits_per_l2_cpuid", sprintf("%.2f", (outer[4] - outer[3]) / d), "exits")
}
