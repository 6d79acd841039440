#!/usr/bin/env bash
# make bench: runs the exitbench payload under Umbra in Bochs and prints the
# cost of each kind of VM exit. Under Bochs the guest's RDTSC advances one
# per instruction, so every figure is an instruction count and repeats
# exactly from run to run. docs/performance.md explains the columns.
#   scripts/bench.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
out=$BUILD/bench
mkdir -p "$out"

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
scripts_awk=$ROOT/scripts/bench-table.awk
awk -f "$scripts_awk" "$out/console.log"
