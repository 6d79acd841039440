#!/usr/bin/env bash
# Bochs instruction trace of one nested round trip or one context switch,
# split by function (scripts/trace-split.py): where docs/performance.md's
# splits come from. Deterministic, like make bench (fixed RTC start).
#   roundtrip: nestedbench as an L1 of Umbra; from one L2 exit reaching
#     nested_l2_exit (the 300th: the loop is warm) to the next, that is one
#     reflected CPUID, L1's handling and its VMRESUME.
#   switch: two sched VMs on one CPU; from the scheduler's return from a
#     vCPU's run (the 20th: a slice's end) to the next VM entry.
#   scripts/trace-split.sh roundtrip|switch BUILD_DIR [HITS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
what=$1
BUILD=$(cd "$2" && pwd)
out=$BUILD/trace-$what
elf=$BUILD/umbra.elf
sym() { nm "$elf" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
case $what in
roundtrip)
	cfg=tests/bench/grub-nested-bench.cfg guest=$BUILD/guest/nestedbench.elf hits=${3:-300}
	start=$(sym nested_l2_exit) stop=$start
	;;
switch)
	cfg=tests/bench/grub-switch.cfg guest=$BUILD/guest/sched.elf hits=${3:-20}
	# The instruction after sched_run_vms' call of vcpu_run: a run has ended.
	start=0x$(objdump -d --no-show-raw-insn "$elf" | awk '/<sched_run_vms>:/,/^$/' |
		grep -A1 'call.*<vcpu_run>' | tail -1 | awk '{ sub(":", "", $1); print $1 }')
	stop=$(sym vmx_vcpu_enter_stub)
	;;
*) echo "usage: $0 roundtrip|switch BUILD_DIR [HITS]" >&2; exit 2 ;;
esac
if [ -z "$start" ] || [ "$start" = 0x ] || [ -z "$stop" ]; then
	echo "trace-split: symbols not found in $elf" >&2
	exit 1
fi
mkdir -p "$out"
"$ROOT/scripts/make-iso.sh" "$out/trace.iso" "$ROOT/$cfg" "$elf" "$guest" >/dev/null
export BOCHS_TIME0=${BOCHS_TIME0:-1767225600}
"$ROOT/scripts/run-bochs.sh" --iso "$out/trace.iso" --cpus 1 --out "$out/run" --timeout 120 \
	--config-only >/dev/null
{
	echo "pb $start"
	for _ in $(seq "$hits"); do echo c; done
	[ "$stop" = "$start" ] || echo "pb $stop"
	echo "trace on"
	echo c
	echo "trace off"
	echo q
} >"$out/trace.rc"
(cd "$out/run" && timeout 120 bochs -q -f bochsrc -rc "$out/trace.rc" >"$out/trace.out" 2>&1 </dev/null) || true
python3 "$ROOT/scripts/trace-split.py" "$out/trace.out" "$elf" "$guest"
