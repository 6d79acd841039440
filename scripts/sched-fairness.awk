# Scheduler fairness from the sched payloads' lines (tests/guest/sched.c):
#   [vm] # sched first=F sub=S counts=c0,c1,...
# Over the sub-windows every VM counted in (the common stretch of TSC time),
# each VM's iterations are added up; fairness is max/min of those sums.
# Prints "sched fairness vms=N windows=W min=... max=... ratio=R.RRR" and
# exits 1 if there is no common stretch or no sched line.
/\] # sched first=[0-9]+ sub=[0-9]+ counts=/ {
	vm = substr($1, 2, length($1) - 2)
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		val[kv[1]] = kv[2]
	}
	n = split(val["counts"], c, ",")
	first[vm] = val["first"]; sub_len = val["sub"]
	for (i = 1; i <= n; i++)
		cnt[vm, val["first"] + (i - 1) * sub_len] = c[i]
	last[vm] = val["first"] + (n - 1) * sub_len
	vms[++nvm] = vm
}
END {
	if (!nvm) { print "sched fairness: no sched lines" > "/dev/stderr"; exit 1 }
	lo = first[vms[1]]; hi = last[vms[1]]
	for (i = 2; i <= nvm; i++) {
		if (first[vms[i]] > lo) lo = first[vms[i]]
		if (last[vms[i]] < hi) hi = last[vms[i]]
	}
	if (lo > hi) { print "sched fairness: the VMs never counted at the same time" > "/dev/stderr"; exit 1 }
	windows = (hi - lo) / sub_len + 1
	for (i = 1; i <= nvm; i++) {
		s = 0
		for (t = lo; t <= hi; t += sub_len)
			s += cnt[vms[i], t]
		if (i == 1 || s < min) min = s
		if (i == 1 || s > max) max = s
	}
	if (min == 0) { print "sched fairness: a VM made no progress" > "/dev/stderr"; exit 1 }
	printf "sched fairness vms=%d windows=%d min=%d max=%d ratio=%.3f\n", nvm, windows, min, max, max / min
}
