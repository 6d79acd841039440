#!/usr/bin/env bash
# Random L2 instruction streams at scale (tests/guest/l2_streams.c): the
# same seeded streams bare on Bochs' VMX and as an L1 under Umbra; every
# block's hash must match (tests/system/compare-outcomes.sh, no
# divergences allowed). A block that differs is named: run it again with
# "-- seed=S first... verbose=1" bare and nested to see its exits.
#   scripts/fuzz-l2-streams.sh BUILD_DIR [SEED] [COUNT] [BLOCK]
# SEED defaults to the date's seconds, printed first so a run can be repeated.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
SEED=${2:-$(date +%s)} COUNT=${3:-100000} BLOCK=${4:-500}
OUT=$BUILD/fuzz-l2-streams
mkdir -p "$OUT"
echo "fuzz-l2-streams: seed $SEED, $COUNT streams in blocks of $BLOCK"
# shellcheck source=scripts/bare-and-nested.sh
. "$ROOT/scripts/bare-and-nested.sh"
bare_and_nested "$OUT" all l2_streams "seed=$SEED count=$COUNT block=$BLOCK"
: >"$OUT/no-divergences.txt"
if "$ROOT/tests/system/compare-outcomes.sh" "$OUT/all-bare/serial.log" "$OUT/all-nested/serial.log" \
	l2_streams "$OUT/no-divergences.txt" >"$OUT/compare.txt"; then
	echo "fuzz-l2-streams: seed $SEED: all $COUNT streams alike bare and nested"
	exit 0
fi
echo "fuzz-l2-streams: seed $SEED: bare and nested differ:"
cat "$OUT/compare.txt"
exit 1
