#!/usr/bin/env bash
# Differential vmcs12 fuzzing (tests/guest/vmcs12_fuzz.c): the same seeded
# cases bare on Bochs' VMX and as an L1 under Umbra, compared block by block;
# each block that differs is run again case by case, and every case that
# differs is printed with its mutations (bare, then nested). So is each case
# where the CPU refused the vmcs02 that Umbra's own entry checks had passed:
# the outcome still agrees (Umbra gives L1 the CPU's answer), but a check
# is missing from nested/entry_checks.c.
#   scripts/fuzz-vmcs12.sh BUILD_DIR [SEED] [COUNT] [BLOCK]
# SEED defaults to the date's seconds, printed first so a run can be repeated.
# Exits 0 when every block is the same, 1 otherwise.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
SEED=${2:-$(date +%s)} COUNT=${3:-100000} BLOCK=${4:-1000}
OUT=$BUILD/fuzz-vmcs12
mkdir -p "$OUT"
echo "fuzz-vmcs12: seed $SEED, $COUNT cases in blocks of $BLOCK"

# shellcheck source=scripts/bare-and-nested.sh
. "$ROOT/scripts/bare-and-nested.sh"
# run NAME ARGS: both runs of cases ARGS into $OUT/NAME-{bare,nested}/serial.log.
run() { bare_and_nested "$OUT" "$1" vmcs12_fuzz "$2"; }

# The "# outcome" and mutation lines of a log, without Umbra's prefix.
lines() { tr -d '\r' <"$1" | sed -e 's/^\[vmcs12_fuzz\] //' | grep -E '^# (outcome|case|  )'; }

run all "seed=$SEED count=$COUNT block=$BLOCK"
# Not finished: the console's last lines and Bochs' own words say where it stopped.
unfinished() {
	echo "fuzz-vmcs12: the $1 run did not finish; the last lines of its console:" >&2
	tr -d '\r' <"$OUT/all-$1/serial.log" | grep -av '^\s*$' | tail -n 15 | sed 's/^/  /' >&2
	echo "fuzz-vmcs12: Bochs said:" >&2
	grep -ahE 'PANIC|ERROR|error|Segmentation|Abort' "$OUT/all-$1/bochs.out" "$OUT/all-$1/bochs.log" 2>/dev/null |
		tail -n 5 | sed 's/^/  /' >&2
}
grep -q '^ok 1 ' "$OUT/all-bare/serial.log" || { unfinished bare; exit 2; }
grep -q '^\[vmcs12_fuzz\] ok 1 ' "$OUT/all-nested/serial.log" || { unfinished nested; exit 1; }
REFUSED='the CPU refused vmcs02'
blocks=$({
	join <(lines "$OUT/all-bare/serial.log" | awk '$2 == "outcome" {print $3, $4}' | sort) \
		<(lines "$OUT/all-nested/serial.log" | awk '$2 == "outcome" {print $3, $4}' | sort) |
		awk '$2 != $3 {sub("fuzz_block", "", $1); print $1}'
	# A refusal is printed before its block's outcome line.
	tr -d '\r' <"$OUT/all-nested/serial.log" | awk -v re="$REFUSED" '
		index($0, re) {r = 1}
		/# outcome fuzz_block/ {if (r) {b = $4; sub("fuzz_block", "", b); print b}; r = 0}'
} | sort -nu)
if [ -z "$blocks" ]; then
	echo "fuzz-vmcs12: seed $SEED: all $COUNT cases alike bare and nested"
	exit 0
fi
echo "fuzz-vmcs12: seed $SEED: blocks that differ or that Umbra's checks let through: $(echo $blocks)"
for b in $(echo "$blocks" | head -10); do
	run "block$b" "seed=$SEED first=$((b * BLOCK)) count=$BLOCK verbose=1"
	lines "$OUT/block$b-bare/serial.log" >"$OUT/block$b-bare.txt"
	lines "$OUT/block$b-nested/serial.log" >"$OUT/block$b-nested.txt"
	for c in $(diff <(grep '^# outcome' "$OUT/block$b-bare.txt") <(grep '^# outcome' "$OUT/block$b-nested.txt") |
		sed -n 's/^< # outcome fuzz\([0-9]*\) .*/\1/p'); do
		echo "--- case $c"
		awk -v c="$c" '$2 == "case" {on = ($3 == c ":")} on' "$OUT/block$b-bare.txt" | sed 's/^/bare:   /'
		grep "^# outcome fuzz$c " "$OUT/block$b-nested.txt" | sed 's/^/nested: /'
	done
	for c in $(tr -d '\r' <"$OUT/block$b-nested/serial.log" | awk -v re="$REFUSED" '
		/# case [0-9]+:/ {c = $4; sub(":", "", c)} index($0, re) {print c}'); do
		echo "--- case $c: Umbra's checks passed it, the CPU refused vmcs02"
		awk -v c="$c" '$2 == "case" {on = ($3 == c ":")} on' "$OUT/block$b-nested.txt" | sed 's/^/nested: /'
	done
done
exit 1
