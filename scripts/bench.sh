#!/usr/bin/env bash
# make bench: runs the exitbench payload under Umbra in Bochs and prints the
# cost of each kind of VM exit. Under Bochs the guest's RDTSC advances one
# per instruction, so every figure is an instruction count and repeats
# exactly from run to run. Then the scheduler's figures: a context switch's
# cost (one CPU) and fairness (16 VMs on 4 CPUs). Then nested VMX: the
# nestedbench payload bare and as an L1 of Umbra. docs/performance.md
# explains them; its figures are this output (BUILD_DIR/bench/results.txt),
# pasted by scripts/bench-docs.sh (make bench-docs).
#   scripts/bench.sh BUILD_DIR
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
out=$BUILD/bench
mkdir -p "$out"
# Everything printed is also kept: scripts/bench-docs.sh pastes it into docs/performance.md.
exec > >(tee "$out/results.txt")

"$ROOT/scripts/make-iso.sh" "$out/bench.iso" "$ROOT/tests/bench/grub-bench.cfg" \
	"$BUILD/umbra.elf" "$BUILD/guest/exitbench.elf"
# One CPU: nothing else runs, so the counts are the exits' alone.
"$ROOT/scripts/run-bochs.sh" --iso "$out/bench.iso" --cpus 1 --out "$out/run" --timeout 300
log=$out/run/serial.log
tr -d '\r' <"$log" >"$out/console.log"

if ! grep -q '^umbra: vm exitbench exit=0 verdict=pass' "$out/console.log"; then
	echo "bench: the exitbench payload did not pass; its console:" >&2
	grep -E '^\[exitbench\]|^umbra: (vm|summary|panic)' "$out/console.log" >&2 || tail -20 "$out/console.log" >&2
	exit 1
fi
awk -f "$ROOT/scripts/bench-table.awk" "$out/console.log"
status=$?

# The scheduler: two VMs on one CPU (switch cost), 16 VMs on four (fairness).
bochs_run() { # NAME CFG CPUS
	"$ROOT/scripts/make-iso.sh" "$out/$1.iso" "$ROOT/$2" "$BUILD/umbra.elf" "$BUILD/guest/sched.elf"
	"$ROOT/scripts/run-bochs.sh" --iso "$out/$1.iso" --cpus "$3" --out "$out/$1" --timeout 600
	tr -d '\r' <"$out/$1/serial.log" >"$out/$1.log"
	grep -q '^umbra: summary .* fail=0$' "$out/$1.log" || {
		echo "bench: the $1 run did not pass; see $out/$1.log" >&2
		exit 1
	}
}
bochs_run switch tests/bench/grub-switch.cfg 1
bochs_run fairness tests/system/grub-sched.cfg 4
ROOT=$ROOT FAIRNESS_LOG=$out/fairness.log awk -f "$ROOT/scripts/bench-sched.awk" \
	"$out/switch.log" "$out/fairness.log" || status=1

# Nested VMX: the same payload on the CPU's own VMX, then as an L1 of Umbra.
nested_run() { # NAME CFG
	"$ROOT/scripts/make-iso.sh" "$out/$1.iso" "$ROOT/$2" "$BUILD/umbra.elf" "$BUILD/guest/nestedbench.elf"
	"$ROOT/scripts/run-bochs.sh" --iso "$out/$1.iso" --cpus 1 --out "$out/$1" --timeout 300
	tr -d '\r' <"$out/$1/serial.log" >"$out/$1.log"
	grep -q '^\(\[nestedbench\] \)\?# Totals: pass:2 fail:0' "$out/$1.log" || {
		echo "bench: the $1 run did not pass; see $out/$1.log" >&2
		exit 1
	}
}
nested_run nested-bare tests/bench/grub-nested-bench-bare.cfg
nested_run nested tests/bench/grub-nested-bench.cfg
awk -f "$ROOT/scripts/bench-nested.awk" "$out/nested-bare.log" "$out/nested.log" || status=1
exit $status
