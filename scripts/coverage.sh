#!/usr/bin/env bash
# Line coverage of the host tests (tests/host) over Umbra's own sources:
#   scripts/coverage.sh OUT [--files]
# Builds the host tests with --coverage into OUT/tests, runs them, and
# compiles every hypervisor source once more into OUT/baseline (nothing
# run), so a file no host test builds counts with all its lines unhit.
# lcov's HTML report goes to OUT/html; the terminal gets one line per
# folder (with --files, one per file too) and the total.
set -euo pipefail

out=${1:?usage: coverage.sh OUT [--files]}
files=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in lcov genhtml gcov; do
	command -v "$tool" >/dev/null || { echo "coverage: $tool is missing (make deps installs lcov)" >&2; exit 1; }
done

# The folders of the layout (the Makefile's SRC_DIRS), in its order.
dirs=(boot arch/x86 arch/x86/vmx lib vcpu nested ept)

# Counts from an earlier run would add up: every run starts at zero.
find "$out" -name '*.gcda' -delete 2>/dev/null || true

echo "coverage: host tests with --coverage in $out/tests"
make --no-print-directory -C "$root/tests/host" BUILD="$out/tests" COVERAGE=1 all >"$out/build.log" 2>&1 ||
	{ cat "$out/build.log" >&2; echo "coverage: the host tests did not build" >&2; exit 1; }
make --no-print-directory -C "$root/tests/host" BUILD="$out/tests" COVERAGE=1 run >"$out/run.log" 2>&1 ||
	{ tail -n 40 "$out/run.log" >&2; echo "coverage: host tests FAILED (all output: $out/run.log)" >&2; exit 1; }

# The zero baseline: every source of the layout, compiled as the tests are.
# A file the host cannot compile is named, not counted.
mkdir -p "$out/baseline"
skipped=()
# Warnings do not matter here (-Werror off): only the line table is wanted.
cflags=$(make --no-print-directory -s -C "$root/tests/host" COVERAGE=1 print-cflags)
cflags="${cflags//-Werror/} -w"
for d in "${dirs[@]}"; do
	for src in "$root/$d"/*.c; do
		[ "$src" = "$root/arch/x86/asm_offsets.c" ] && continue
		rel=${src#"$root"/}
		obj="$out/baseline/$(echo "${rel%.c}" | tr / _).o"
		# shellcheck disable=SC2086 # the flags are words
		gcc $cflags -c "$src" -o "$obj" 2>/dev/null || { skipped+=("$rel"); rm -f "${obj%.o}.gcno"; }
	done
done

# lcov talks on stderr even when all is well (Debian's 1.16 under Perl
# 5.36): kept in lcov.log, shown if it fails.
lcov_run() {
	"$@" --quiet --rc lcov_branch_coverage=0 2>>"$out/lcov.log" ||
		{ cat "$out/lcov.log" >&2; echo "coverage: $1 failed" >&2; exit 1; }
}
: >"$out/lcov.log"
lcov_run lcov --capture --initial --directory "$out/baseline" --output-file "$out/baseline.info"
lcov_run lcov --capture --directory "$out/tests" --output-file "$out/tests.info"
lcov_run lcov --add-tracefile "$out/baseline.info" --add-tracefile "$out/tests.info" \
	--output-file "$out/all.info"
# Umbra's own sources only: not the tests and their fakes, not system headers.
patterns=()
for d in "${dirs[@]}"; do patterns+=("$root/$d/*"); done
lcov_run lcov --extract "$out/all.info" "${patterns[@]}" --output-file "$out/umbra.info"
lcov_run genhtml --prefix "$root" --title "Umbra host tests" --output-directory "$out/html" \
	"$out/umbra.info"

# One line per folder (a file counts in its own folder, not its parent's), then the total.
awk -v root="$root/" -v files="$files" -v order="${dirs[*]}" '
	/^SF:/ { f = substr($0, 4); sub("^" root, "", f); d = f; sub("/[^/]*$", "", d) }
	/^LF:/ { lf[f] += substr($0, 4); dl[d] += substr($0, 4) }
	/^LH:/ { lh[f] += substr($0, 4); dh[d] += substr($0, 4) }
	function line(name, hit, total) {
		printf "  %-34s %6d / %-6d %5.1f%%\n", name, hit, total, total ? 100 * hit / total : 0
	}
	END {
		n = split(order, ds, " ")
		printf "coverage: host tests, lines hit / lines (a file no test builds counts as unhit)\n"
		for (i = 1; i <= n; i++) {
			d = ds[i]
			line(d "/", dh[d], dl[d])
			th += dh[d]; tl += dl[d]
			if (files != "--files")
				continue
			m = 0
			for (f in lf) {
				p = f; sub("/[^/]*$", "", p)
				if (p != d)
					continue
				# Insertion sort by name (plain awk has no sort).
				for (j = ++m; j > 1 && sorted[j - 1] > f; j--)
					sorted[j] = sorted[j - 1]
				sorted[j] = f
			}
			for (j = 1; j <= m; j++)
				line("  " sorted[j], lh[sorted[j]], lf[sorted[j]])
		}
		line("total", th, tl)
	}' "$out/umbra.info"
if [ ${#skipped[@]} -gt 0 ]; then
	echo "coverage: not counted (the host cannot compile them): ${skipped[*]}"
fi
echo "coverage: HTML report in $out/html/index.html"
