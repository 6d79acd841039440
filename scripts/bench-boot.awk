# make bench's boot-time figures (scripts/bench.sh), from Umbra's
# `umbra: boot-time` line of a 4-CPU boot: TSC ticks from GRUB's hand-off to
# the last CPU's VMXON and to the boot CPU's first guest entry. Under Bochs
# the TSC advances one per instruction of each CPU (all CPUs step together,
# docs/performance.md): the boot CPU's instruction count. Target: the first
# entry within 5,000,000. Exit status 1 if missed. Each figure also goes to
# results.tsv (bench-results.awk, loaded first).
function field(line, key) {
	if (match(line, " " key "=[^ ]+"))
		return substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2)
	return ""
}
/^umbra: boot-time tsc_from_handoff / {
	vmx = field($0, "vmx_all")
	entry = field($0, "first_entry")
	cpus = field($0, "vmx_cpus")
}
/^umbra: summary / { online = field($0, "cpus") }
END {
	if (entry == "") {
		print "bench: the boot-time run printed no boot-time line" > "/dev/stderr"
		exit 1
	}
	print ""
	printf "Boot time (%s CPUs, one 4 MiB VM; Bochs instructions of the boot CPU from GRUB's hand-off)\n", online
	printf "  every CPU in VMX operation (%s)      %9d\n", cpus, vmx
	printf "  first guest entry (boot CPU)        %9d  (target <= 5000000)  %s\n", entry,
	       entry + 0 <= 5000000 ? "met" : "MISSED"
	result("boot.cpus", online, "CPUs")
	result("boot.vmx_all", vmx, "instructions")
	result("boot.first_entry", entry, "instructions", 5000000)
	exit entry + 0 <= 5000000 ? 0 : 1
}
