#!/usr/bin/env bash
# make bench: runs the exitbench payload under Umbra in Bochs and prints the
# cost of each kind of VM exit. Under Bochs the guest's RDTSC advances one
# per instruction, so every figure is an instruction count and repeats
# exactly from run to run. Then the scheduler's figures: a context switch's
# cost (one CPU), fairness (16 VMs on 4 CPUs) and the time 16 VMs of
# unequal work take on 4 CPUs against their work / 4 (vCPU migration).
# Then nested VMX: the nestedbench payload bare and as an L1 of Umbra; and
# Umbra as an L1 of Umbra, with exitbench as its guest. Last, Debian's Linux
# boot, bare and as a guest (make linux-guest). docs/performance.md
# explains them; its figures are this output (BUILD_DIR/bench/results.txt),
# pasted by scripts/bench-docs.sh (make bench-docs). The same figures, one
# per line with unit, target and verdict, go to BUILD_DIR/bench/results.tsv
# (scripts/bench-results.awk); the chart of exit costs to bench/exits.svg.
# Also the boot on 4 CPUs: GRUB's hand-off to every CPU in VMX operation
# and to the first guest entry.
#   scripts/bench.sh BUILD_DIR
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
out=$BUILD/bench
mkdir -p "$out"
# The emulated RTC starts at a fixed time, not the host's: the BIOS's tick
# count, and so every interleaving after it, is then the same in every run.
export BOCHS_TIME0=${BOCHS_TIME0:-1767225600} # 2026-01-01 00:00 UTC
[ "$BOCHS_TIME0" != host ] || unset BOCHS_TIME0
# Everything printed is also kept: scripts/bench-docs.sh pastes it into docs/performance.md.
exec > >(tee "$out/results.txt")
# Every figure, machine-readable: the table scripts load bench-results.awk.
export BENCH_RESULTS=$out/results.tsv
printf '# key\tvalue\tunit\ttarget\tverdict\n' >"$BENCH_RESULTS"
table() { awk -f "$ROOT/scripts/bench-results.awk" -f "$@"; }

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
table "$ROOT/scripts/bench-table.awk" "$out/console.log"
status=$?

# Boot time: the same payload, one small VM, on four CPUs.
"$ROOT/scripts/make-iso.sh" "$out/boot-time.iso" "$ROOT/tests/bench/grub-boot-time.cfg" \
	"$BUILD/umbra.elf" "$BUILD/guest/exitbench.elf"
"$ROOT/scripts/run-bochs.sh" --iso "$out/boot-time.iso" --cpus 4 --out "$out/boot-time" --timeout 300
tr -d '\r' <"$out/boot-time/serial.log" >"$out/boot-time.log"
grep -q '^umbra: summary .* fail=0$' "$out/boot-time.log" || {
	echo "bench: the boot-time run did not pass; see $out/boot-time.log" >&2
	exit 1
}
table "$ROOT/scripts/bench-boot.awk" "$out/boot-time.log" || status=1

# The scheduler: two VMs on one CPU (switch cost), 16 VMs on four (fairness),
# 16 VMs of unequal work on four (how busy migration keeps the CPUs).
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
bochs_run uneven tests/bench/grub-sched-uneven.cfg 4
ROOT=$ROOT FAIRNESS_LOG=$out/fairness.log table "$ROOT/scripts/bench-sched.awk" \
	"$out/switch.log" "$out/fairness.log" "$out/uneven.log" || status=1

# Nested VMX: the same payload on the CPU's own VMX, then as an L1 of Umbra.
nested_run() { # NAME CFG
	"$ROOT/scripts/make-iso.sh" "$out/$1.iso" "$ROOT/$2" "$BUILD/umbra.elf" "$BUILD/guest/nestedbench.elf"
	"$ROOT/scripts/run-bochs.sh" --iso "$out/$1.iso" --cpus 1 --out "$out/$1" --timeout 300
	tr -d '\r' <"$out/$1/serial.log" >"$out/$1.log"
	grep -q '^\(\[nestedbench\] \)\?# Totals: pass:4 fail:0' "$out/$1.log" || {
		echo "bench: the $1 run did not pass; see $out/$1.log" >&2
		exit 1
	}
}
nested_run nested-bare tests/bench/grub-nested-bench-bare.cfg
nested_run nested tests/bench/grub-nested-bench.cfg
table "$ROOT/scripts/bench-nested.awk" "$out/nested-bare.log" "$out/nested.log" || status=1
# The chart: guest exits, L2 exits reflected to L1, EPT02 fills (all figures are in by now).
"$ROOT/scripts/bench-chart.sh" "$BENCH_RESULTS" "$out/exits.svg" || status=1
echo "bench: chart of the exit costs in $out/exits.svg, every figure in $BENCH_RESULTS"

# Umbra in Umbra: exitbench as the inner Umbra's guest, without and with
# 10,000 more L2 CPUIDs (the same command-line length, for the same console).
uu_run() { # NAME EXTRA_CPUIDS
	sed "s/extra_cpuids=00000/extra_cpuids=$2/" "$ROOT/tests/bench/grub-umbra-in-umbra-bench.cfg" \
		>"$out/grub-$1.cfg"
	"$ROOT/scripts/make-iso.sh" "$out/$1.iso" "$out/grub-$1.cfg" "$BUILD/umbra.elf" "$BUILD/guest/exitbench.elf"
	"$ROOT/scripts/run-bochs.sh" --iso "$out/$1.iso" --cpus 1 --out "$out/$1" --timeout 300
	tr -d '\r' <"$out/$1/serial.log" >"$out/$1.log"
	grep -q '^\[inner\] umbra: summary cpus=1 vmx=1 vms=1 pass=1 fail=0$' "$out/$1.log" &&
		grep -q '^umbra: vm inner exit=0 verdict=pass' "$out/$1.log" || {
		echo "bench: the $1 run did not pass; see $out/$1.log" >&2
		exit 1
	}
}
uu_run umbra-in-umbra 00000
uu_run umbra-in-umbra-more 10000
table "$ROOT/scripts/bench-umbra-in-umbra.awk" "$out/console.log" "$out/nested.log" \
	"$out/umbra-in-umbra.log" "$out/umbra-in-umbra-more.log" || status=1

# Linux: the same kernel and initramfs bare (GRUB's linux) and under Umbra,
# one CPU each, the two emulators side by side on two cores.
linux_run() { # NAME CFG MEGS [run-bochs.sh options]
	local name=$1 cfg=$2 megs=$3
	shift 3
	"$ROOT/scripts/make-iso.sh" "$out/$name.iso" "$ROOT/$cfg" "$BUILD/umbra.elf" \
		"$BUILD/linux/bzImage" "$BUILD/linux/initrd.gz"
	"$ROOT/scripts/run-bochs.sh" --iso "$out/$name.iso" --cpus 1 --megs "$megs" --out "$out/$name" \
		--timeout 900 "$@"
	tr -d '\r' <"$out/$name/serial.log" >"$out/$name.log"
	grep -q '# Totals: pass:7 fail:0' "$out/$name.log" || {
		echo "bench: the $name run did not pass; see $out/$name.log" >&2
		return 1
	}
}
# Bochs lacks IA32_MISC_ENABLE, which Linux reads before it has an IDT: bare, its default of
# ignoring such MSRs (docs/bochs.md).
linux_run linux-bare tests/bench/grub-linux-bench-bare.cfg 256 --ignore-bad-msrs &
bare_pid=$!
linux_run linux tests/bench/grub-linux-bench.cfg 512 || exit 1
wait "$bare_pid" || exit 1
table "$ROOT/scripts/bench-linux.awk" "$out/linux-bare.log" "$out/linux.log" || status=1
exit $status
