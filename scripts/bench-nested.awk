# make bench's nested-VMX figures from nestedbench's "# nbench" lines, bare
# (the CPU's own VMX) and nested (an L1 of Umbra), against issue 5's targets:
# an L2 CPUID handled by L1 at most 3x the bare instructions, 2 L0 exits per
# L2 exit, at most 4 VMWRITEs per nested entry when L1 changed only RIP and
# at most k + 4 after it wrote k other fields. Then shadow EPT (the
# shadow-EPT issue's targets): the round trip with EPT on costs L0 (nested -
# bare) no more than with EPT off when the issue was filed (3,476); filling EPT02 on L2's first touch of a
# 4 KiB page costs L0 at most 600 instructions, the same pages again no
# exit; no EPT02 re-initialisation in steady state (Umbra's `umbra: ept02`
# line: one role miss per EPT test, as each ends with VMXOFF). Exit status
# 1 if one is missed. Each figure also goes to results.tsv (bench-results.awk,
# loaded first).
function field(line, key) {
	if (match(line, " " key "=[^ ]+"))
		return substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2)
	return ""
}
/# nbench / {
	sub(/^\[[a-z]+\] /, "")
	name = $3
	mode = field($0, "mode")
	tsc[name, mode] = field($0, "tsc_per_roundtrip")
	if (name == "l2_ept_fill") {
		pages = field($0, "pages")
		first[mode] = field($0, "first_touch_per_page")
		again[mode] = field($0, "again_per_page")
		if (mode == "nested") {
			first_exits = field($0, "first_l0_exits")
			first_viol = field($0, "first_ept_violations")
			again_exits = field($0, "again_l0_exits")
			again_viol = field($0, "again_ept_violations")
		}
	}
	if (mode == "nested" && (name == "l2_cpuid_ept" || name == "l2_ept_fill"))
		ept_tests++
	if (mode == "nested") {
		l0[name] = field($0, "l0_exits_per_l2_exit")
		wr[name] = field($0, "vmwrites_per_nested_entry")
		k[name] = field($0, "extra_fields")
	}
}
/^umbra: ept02 nestedbench\.0 / {
	hits = field($0, "role_hits")
	misses = field($0, "role_misses")
	fills = field($0, "fills")
}
function verdict(ok) { return ok ? "met" : "MISSED" }
END {
	if (tsc["l2_cpuid", "bare"] == "" || tsc["l2_cpuid", "nested"] == "" ||
	    tsc["l2_cpuid_k", "nested"] == "") {
		print "bench: nestedbench printed no figures" > "/dev/stderr"
		exit 1
	}
	ok = 1
	print ""
	print "Nested VMX (an L2 CPUID handled by its L1; Bochs instructions per round trip)"
	printf "  %-34s %8s %8s %6s  %s\n", "L1 writes", "bare", "nested", "ratio", "target <= 3x"
	split("l2_cpuid l2_cpuid_k", names, " ")
	for (i = 1; i <= 2; i++) {
		n = names[i]
		r = tsc[n, "nested"] / tsc[n, "bare"]
		ok = ok && r <= 3
		printf "  %-34s %8d %8d %5.2fx  %s\n", (n == "l2_cpuid" ? "RIP only" : "RIP and " k[n] " more fields"),
		       tsc[n, "bare"], tsc[n, "nested"], r, verdict(r <= 3)
		result("nested." n ".bare", tsc[n, "bare"], "instructions")
		result("nested." n ".nested", tsc[n, "nested"], "instructions")
		result("nested." n ".ratio", sprintf("%.2f", r), "x bare", 3)
	}
	printf "  L0 exits per L2 exit handled by L1: %s (target 2, %s)\n", l0["l2_cpuid"],
	       verdict(l0["l2_cpuid"] + 0 <= 2)
	result("nested.l0_exits_per_l2_exit", l0["l2_cpuid"], "exits", 2)
	result("nested.vmwrites_per_entry.rip_only", wr["l2_cpuid"], "VMWRITEs", 4)
	result("nested.vmwrites_per_entry.k" k["l2_cpuid_k"], wr["l2_cpuid_k"], "VMWRITEs",
	       k["l2_cpuid_k"] + 4)
	printf "  VMWRITEs per nested VM entry, RIP only: %s (target <= 4, %s)\n", wr["l2_cpuid"],
	       verdict(wr["l2_cpuid"] + 0 <= 4)
	printf "  VMWRITEs per nested VM entry, k = %s more fields: %s (target <= k + 4 = %d, %s)\n",
	       k["l2_cpuid_k"], wr["l2_cpuid_k"], k["l2_cpuid_k"] + 4,
	       verdict(wr["l2_cpuid_k"] + 0 <= k["l2_cpuid_k"] + 4)
	ok = ok && l0["l2_cpuid"] + 0 <= 2 && wr["l2_cpuid"] + 0 <= 4 && wr["l2_cpuid_k"] + 0 <= k["l2_cpuid_k"] + 4
	# The exit-path issue's targets (issue 15): L0's share of a reflected round trip.
	l0rt = tsc["l2_cpuid", "nested"] - tsc["l2_cpuid", "bare"]
	l0rtk = tsc["l2_cpuid_k", "nested"] - tsc["l2_cpuid_k", "bare"]
	printf "  L0 per reflected round trip (nested - bare), RIP only: %d (target <= 1000, %s)\n", l0rt,
	       verdict(l0rt <= 1000)
	printf "  L0 per reflected round trip, k = %s more fields: %d (target <= 1100, %s)\n",
	       k["l2_cpuid_k"], l0rtk, verdict(l0rtk <= 1100)
	result("nested.reflected.l0", l0rt, "instructions", 1000)
	result("nested.reflected.k" k["l2_cpuid_k"] ".l0", l0rtk, "instructions", 1100)
	ok = ok && l0rt <= 1000 && l0rtk <= 1100

	if (tsc["l2_cpuid_ept", "bare"] == "" || tsc["l2_cpuid_ept", "nested"] == "" ||
	    first["bare"] == "" || first["nested"] == "" || hits == "") {
		print "bench: nestedbench printed no shadow-EPT figures (or Umbra no ept02 line)" > "/dev/stderr"
		exit 1
	}
	print ""
	print "Shadow EPT (L1 gives L2 EPT12; Bochs instructions, L0 = nested - bare)"
	printf "  %-34s %8s %8s %6s\n", "L2 CPUID round trip", "bare", "nested", "L0"
	off = tsc["l2_cpuid", "nested"] - tsc["l2_cpuid", "bare"]
	on = tsc["l2_cpuid_ept", "nested"] - tsc["l2_cpuid_ept", "bare"]
	printf "  %-34s %8d %8d %6d\n", "EPT off", tsc["l2_cpuid", "bare"], tsc["l2_cpuid", "nested"], off
	# Per L2 exit reflected to L1: its two L0 exits (the L2 exit, L1's VMRESUME).
	result("nested.reflected.ept_off.l0", off, "instructions")
	result("nested.reflected.ept_on.bare", tsc["l2_cpuid_ept", "bare"], "instructions")
	result("nested.reflected.ept_on.nested", tsc["l2_cpuid_ept", "nested"], "instructions")
	result("nested.reflected.ept_on.l0", on, "instructions", 3476)
	printf "  %-34s %8d %8d %6d\n", "EPT on (EPT12: 2 MiB leaves)", tsc["l2_cpuid_ept", "bare"],
	       tsc["l2_cpuid_ept", "nested"], on
	# The issue's target: EPT on costs no more than EPT off did when it was
	# filed (5,834 with the nestedbench L1, on 2,358 bare: 3,476 L0).
	printf "  L0 per round trip with EPT on: %d (target <= 3476, EPT off when shadow EPT was asked for, %s); against EPT off today: %+d\n",
	       on, verdict(on <= 3476), on - off
	fill = first["nested"] - first["bare"]
	printf "  %-34s %8s %8s %6s\n", "per 4 KiB page (" pages " pages)", "bare", "nested", "L0"
	printf "  %-34s %8d %8d %6d  (target <= 600, %s)\n", "first touch (EPT02 filled)", first["bare"],
	       first["nested"], fill, verdict(fill <= 600)
	printf "  %-34s %8d %8d %6d\n", "again", again["bare"], again["nested"], again["nested"] - again["bare"]
	result("sept.fill.bare", first["bare"], "instructions per page")
	result("sept.fill.nested", first["nested"], "instructions per page")
	result("sept.fill.l0", fill, "instructions per page", 600)
	result("sept.again.l0", again["nested"] - again["bare"], "instructions per page")
	result("sept.again.extra_exits", again_exits - 2, "exits", 0)
	result("sept.again.ept_violations", again_viol, "exits", 0)
	printf "  L0 exits per pass beyond the VMRESUME and the CPUID: first %d (%d EPT violations), again %d (target 0, %s)\n",
	       first_exits - 2, first_viol, again_exits - 2, verdict(again_exits - 2 == 0 && again_viol == 0)
	reinit = misses - ept_tests
	printf "  EPT02 role cache: %d hits, %d misses (%.2f%% hits), %d fills; re-initialisations in steady state: %d (target 0, %s)\n",
	       hits, misses, 100 * hits / (hits + misses), fills, reinit, verdict(reinit <= 0)
	result("sept.role_cache.hits", hits, "lookups")
	result("sept.role_cache.misses", misses, "lookups")
	result("sept.reinit_steady_state", reinit, "re-initialisations", 0)
	ok = ok && on <= 3476 && fill <= 600 && again_exits - 2 == 0 && again_viol == 0 && reinit <= 0
	exit ok ? 0 : 1
}
