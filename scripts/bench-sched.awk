# make bench's scheduler figures (scripts/bench.sh), from three console logs:
# the switch run (two VMs on one CPU), the fairness run (16 VMs on 4 CPUs)
# and the uneven run (16 VMs of unequal work on 4 CPUs).
#  - a context switch: Umbra's TSC from the preemption-timer exit to the
#    next vCPU's entry, that is the exit's handler ("PREEMPTION_TIMER
#    l0_cycles" per exit) plus the switch itself ("sched switch_cycles" per
#    switch), on one CPU, where the TSC counts instructions;
#  - pin-based control VMWRITEs after set-up: every VMCS gets one at set-up;
#  - fairness: scripts/sched-fairness.awk over the fairness run.
#  - unequal VMs: the TSC from placement to the last VM's end, against the
#    TSC the CPUs spent on vCPUs divided by the CPUs ("umbra: sched all"
#    run_cycles * cpus / busy_cycles): 1 if no CPU ever idled; and the
#    vCPUs that moved (migrations).
# Each figure also goes to results.tsv (bench-results.awk, loaded first).
FNR == 1 { file++ }
file == 1 && /^umbra: stats-all PREEMPTION_TIMER / {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "exits") pt_exits = kv[2]; if (kv[1] == "l0_cycles") pt_cycles = kv[2] }
}
file == 1 && /^umbra: sched cpu=/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "switches") sw += kv[2]; if (kv[1] == "switch_cycles") swc += kv[2] }
}
file == 3 && /^umbra: sched all / {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); all[kv[1]] = kv[2] }
}
/^umbra: vmcs / {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "pin") { vmcs++; pin_after += kv[2] - 1 } }
}
END {
	if (!pt_exits || !sw) { print "bench: no context switches in the switch run" > "/dev/stderr"; exit 1 }
	if (!all["busy_cycles"]) { print "bench: no \"umbra: sched all\" line in the uneven run" > "/dev/stderr"; exit 1 }
	finish = sprintf("%.3f", all["run_cycles"] * all["cpus"] / all["busy_cycles"])
	cmd = "awk -f " ENVIRON["ROOT"] "/scripts/sched-fairness.awk " ENVIRON["FAIRNESS_LOG"]
	cmd | getline fair
	close(cmd)
	split(fair, f, "ratio=")
	ratio = f[2]
	cost = pt_cycles / pt_exits + swc / sw
	printf "\nUmbra scheduler (Bochs)\n"
	printf "  context switches (1 CPU, 2 VMs)      %d, L0 instructions each: %.0f (exit handler %.0f + switch %.0f)\n", sw, cost, pt_cycles / pt_exits, swc / sw
	printf "  %s\n", fair
	printf "  unequal VMs (16 VMs, 4 CPUs)         finish %.3fx work / %d CPUs, %d migrations\n", finish, all["cpus"], all["migrations"]
	result("sched.switches", sw, "switches")
	result("sched.switch.l0", sprintf("%.0f", cost), "instructions", 250)
	result("sched.switch.exit_handler", sprintf("%.0f", pt_cycles / pt_exits), "instructions")
	result("sched.switch.switch", sprintf("%.0f", swc / sw), "instructions")
	result("sched.uneven.migrations", all["migrations"], "vCPUs moved")
	ok = 1
	printf "targets for the scheduler:\n"
	ok = target("context switch: L0 instructions", sprintf("%.0f", cost), 250) && ok
	ok = target("fairness max/min (16 VMs, 4 CPUs)", ratio, 1.1) && ok
	result("sched.fairness_max_over_min", ratio, "ratio", 1.1)
	ok = target("unequal VMs: finish / (work / 4)", finish, 1.1) && ok
	result("sched.uneven.finish_over_ideal", sprintf("%.3f", finish), "ratio", 1.1)
	ok = target("pin-control VMWRITEs after set-up", pin_after, 0) && ok
	result("sched.pin_vmwrites_after_setup", pin_after, "VMWRITEs", 0)
	printf "bench: %s\n", ok ? "scheduler targets met" : "some scheduler targets missed"
	exit !ok
}
function target(what, got, max) {
	printf "  %-34s %8s  (target <= %s)  %s\n", what, got, max, got + 0 <= max ? "met" : "MISSED"
	return got + 0 <= max
}
