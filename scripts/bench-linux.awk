# make bench's Linux boot figures: Debian's kernel and initramfs bare on
# Bochs and as an Umbra guest, one CPU each, from their "# bench boot_us"
# lines (the kernel's clock at its power-off, emulated time), against issue
# 13's target of at most 1.3x bare; then the guest's VM exits by reason
# during the boot, from Umbra's "umbra: stats linux" lines. Each figure also
# goes to results.tsv (bench-results.awk, loaded first).
#   awk -f bench-linux.awk BARE_LOG UMBRA_LOG
function field(line, key) {
	if (match(line, " " key " [^ ]+"))
		return substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2)
	return ""
}
FNR == 1 { file++ }
/# bench boot_us / {
	us[file] = field($0, "boot_us")
	mhz[file] = field($0, "tsc_mhz")
}
file == 2 && /^umbra: stats linux [A-Z_]+ exits=/ {
	r = $4
	n = $5; sub(/exits=/, "", n)
	c = $NF; sub(/l0_cycles=/, "", c)
	exits[r] = n; cycles[r] = c
	total += n; total_cycles += c
	reasons[++count] = r
}
END {
	if (us[1] == "" || us[2] == "" || us[1] == 0) {
		print "bench: a Linux boot printed no figure (bench boot_us)" > "/dev/stderr"
		exit 1
	}
	r = us[2] / us[1]
	print ""
	print "Linux boot (Debian's kernel to its /init's power-off, one CPU; the kernel's clock, emulated)"
	printf "  %-10s %10s %14s\n", "", "ms", "TSC ticks"
	printf "  %-10s %10.1f %14.0f\n", "bare", us[1] / 1000, us[1] * mhz[1]
	printf "  %-10s %10.1f %14.0f\n", "Umbra", us[2] / 1000, us[2] * mhz[2]
	printf "  ratio %.3fx bare (target <= 1.3x): %s\n", r, r <= 1.3 ? "met" : "MISSED"
	result("linux.boot.bare", sprintf("%.1f", us[1] / 1000), "ms")
	result("linux.boot.umbra", sprintf("%.1f", us[2] / 1000), "ms")
	result("linux.boot.ratio", sprintf("%.3f", r), "x bare", 1.3)
	print ""
	print "VM exits during the Linux boot, by reason (L0 instructions in Umbra's handlers)"
	printf "  %-22s %9s %12s %9s\n", "reason", "exits", "L0 instr", "per exit"
	# Most frequent first (insertion sort: a few dozen reasons at most).
	for (i = 2; i <= count; i++)
		for (j = i; j > 1 && exits[reasons[j]] + 0 > exits[reasons[j - 1]] + 0; j--) {
			t = reasons[j]; reasons[j] = reasons[j - 1]; reasons[j - 1] = t
		}
	for (i = 1; i <= count; i++) {
		printf "  %-22s %9d %12d %9d\n", reasons[i], exits[reasons[i]], cycles[reasons[i]],
		       cycles[reasons[i]] / exits[reasons[i]]
		result("linux.exits." reasons[i] ".count", exits[reasons[i]], "exits")
		result("linux.exits." reasons[i] ".handler", int(cycles[reasons[i]] / exits[reasons[i]]),
		       "instructions per exit")
	}
	printf "  %-22s %9d %12d %9d\n", "all", total, total_cycles, total ? total_cycles / total : 0
	result("linux.exits.all.count", total, "exits")
	result("linux.exits.all.handler", total ? int(total_cycles / total) : 0, "instructions per exit")
	if (r > 1.3)
		exit 1
}
