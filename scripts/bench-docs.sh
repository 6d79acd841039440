#!/usr/bin/env bash
# Pastes the figures of the last `make bench` (BUILD_DIR/bench/results.txt)
# into docs/performance.md, so the document shows a run, not a memory of one.
# Each block there follows a marker line `<!-- bench:NAME -->` and is the
# fenced block after it: exits, boot, sched, nested, umbra-in-umbra or
# linux. The run's chart (BUILD_DIR/bench/exits.svg) becomes
# docs/bench-exits.svg.
#   scripts/bench-docs.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
results=$1/bench/results.txt
doc=$ROOT/docs/performance.md
chart=$1/bench/exits.svg
[ -s "$results" ] || { echo "bench-docs: no $results: run make bench first" >&2; exit 1; }
[ -s "$chart" ] || { echo "bench-docs: no $chart: run make bench first" >&2; exit 1; }

# The lines of results.txt from the first matching FIRST to the first LAST after it.
section() { # FIRST LAST
	awk -v a="$1" -v b="$2" 'index($0, a) == 1 { on = 1 } on { print } on && index($0, b) { exit }' "$results"
}
exits=$(section "exit     round-trip" "(loop alone")
boot=$(section "Boot time (" "first guest entry")
sched=$(section "Umbra scheduler (Bochs)" "pin-control VMWRITEs")
nested=$(section "Nested VMX (an L2 CPUID" "EPT02 role cache:")
umbra_in_umbra=$(section "Umbra in Umbra (" "  L0 exits per L2 CPUID")
linux=$(section "Linux boot (Debian" "  all ")
for s in exits boot sched nested umbra_in_umbra linux; do
	[ -n "${!s}" ] || { echo "bench-docs: no $s figures in $results" >&2; exit 1; }
done

EXITS=$exits BOOT=$boot SCHED=$sched NESTED=$nested UMBRA_IN_UMBRA=$umbra_in_umbra LINUX=$linux awk '
	/^<!-- bench:(exits|boot|sched|nested|umbra-in-umbra|linux) -->$/ {
		name = toupper(substr($0, 12, length($0) - 15))
		gsub(/-/, "_", name)
		print
		next
	}
	name && /^```/ && !open { print; print ENVIRON[name]; open = 1; next }
	open && /^```/ { print; open = 0; name = ""; next }
	open { next }
	{ print }
' "$doc" >"$doc.new"
if cmp -s "$chart" "$ROOT/docs/bench-exits.svg"; then
	echo "bench-docs: docs/bench-exits.svg is already this chart"
else
	cp "$chart" "$ROOT/docs/bench-exits.svg"
	echo "bench-docs: docs/bench-exits.svg is now $chart"
fi
cmp -s "$doc" "$doc.new" && { rm "$doc.new"; echo "bench-docs: docs/performance.md already shows these figures"; exit 0; }
mv "$doc.new" "$doc"
echo "bench-docs: docs/performance.md now shows the figures of $results"
