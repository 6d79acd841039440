# System test helpers: run one boot, check its serial log, print one verdict.
# Sourced by run-all.sh. Each case ends with a line
#   system: PASS <name>   or   system: FAIL <name>: <reason>
# and on failure the tail of its log.

PASSED=0
FAILED=0
FAILED_NAMES=()

# The log with CRs removed (the console sends CRLF on serial).
case_log() { tr -d '\r' <"$1/serial.log"; }

# check_case NAME OUTDIR RUN_STATUS CHECK... ; each CHECK is one of
#   has:REGEX       a line matching REGEX must be present
#   not:REGEX       no line may match REGEX
#   count:N:REGEX   exactly N lines match REGEX
#   last:REGEX      the last non-empty line matches REGEX
#   exit:CODE       QEMU's isa-debug-exit code (OUTDIR/exit-code) is CODE
#   in:FILE:REGEX   a line of OUTDIR/FILE matches REGEX (screen dumps, gdb output)
check_case() {
	local name=$1 dir=$2 status=$3
	shift 3
	local why=
	if [ "$status" = 124 ]; then
		why="emulator did not end in time"
	fi
	local log
	log=$(case_log "$dir")
	for c in "$@"; do
		[ -n "$why" ] && break
		case $c in
		has:*) grep -qE -- "${c#has:}" <<<"$log" || why="missing line /${c#has:}/" ;;
		not:*) ! grep -qE -- "${c#not:}" <<<"$log" || why="unexpected line: $(grep -E -- "${c#not:}" <<<"$log" | head -1)" ;;
		count:*)
			local rest=${c#count:} n
			n=$(grep -cE -- "${rest#*:}" <<<"$log" || true)
			[ "$n" = "${rest%%:*}" ] || why="expected ${rest%%:*} lines /${rest#*:}/, found $n" ;;
		last:*)
			local last
			last=$(grep -v '^[[:space:]]*$' <<<"$log" | tail -1)
			grep -qE -- "${c#last:}" <<<"$last" || why="last line is '$last', expected /${c#last:}/" ;;
		in:*)
			local spec=${c#in:}
			grep -qE -- "${spec#*:}" "$dir/${spec%%:*}" 2>/dev/null ||
				why="${spec%%:*} has no line /${spec#*:}/" ;;
		exit:*)
			local code
			code=$(cat "$dir/exit-code" 2>/dev/null || echo none)
			[ "$code" = "${c#exit:}" ] || why="exit code $code, expected ${c#exit:}" ;;
		*) why="bad check '$c'" ;;
		esac
	done
	if [ -z "$why" ]; then
		echo "system: PASS $name"
		PASSED=$((PASSED + 1))
	else
		echo "system: FAIL $name: $why"
		echo "---- last lines of $dir/serial.log ----"
		tail -n 25 <<<"$log"
		echo "----"
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$name")
	fi
}

# run_bochs NAME ARGS... -- CHECKS...   (ARGS go to scripts/run-bochs.sh)
run_bochs() {
	local name=$1 args=() status=0
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	local dir=$BUILD/system/$name
	mkdir -p "$dir"
	# run-bochs.sh's own messages (in:run-bochs.err:... checks read them).
	"$ROOT/scripts/run-bochs.sh" "${args[@]}" --out "$dir" --timeout "${BOCHS_TIMEOUT:-600}" \
		>/dev/null 2>"$dir/run-bochs.err" || status=$?
	# The scheduler's fairness, for the checks that read it (in:fairness.txt:...).
	case_log "$dir" | awk -f "$ROOT/scripts/sched-fairness.awk" >"$dir/fairness.txt" 2>&1 || true
	# A case's own work on the finished run, for in:FILE checks ($AFTER_RUN DIR).
	[ -n "${AFTER_RUN:-}" ] && "$AFTER_RUN" "$dir"
	check_case "$name" "$dir" "$status" "$@"
}

# run_gdb NAME -- CHECKS...: make debug's QEMU + gdb, in batch; gdb's output in gdb.log.
run_gdb() {
	local name=$1 status=0
	shift 2
	local dir=$BUILD/system/$name
	mkdir -p "$dir"
	GDB_PORT=12345 timeout --kill-after=5 "${QEMU_TIMEOUT:-120}" "$ROOT/scripts/debug-qemu.sh" "$BUILD/umbra.iso" \
		"$BUILD/umbra.elf" "$dir" -- -batch -ex continue -ex bt -ex 'info registers rip cs' \
		>"$dir/gdb.log" 2>&1 || status=$?
	check_case "$name" "$dir" "$status" "$@"
}

# run_qemu NAME ARGS... -- CHECKS...   (ARGS go to scripts/run-qemu.sh)
run_qemu() {
	local name=$1 args=() status=0
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	local dir=$BUILD/system/$name
	"$ROOT/scripts/run-qemu.sh" "${args[@]}" --out "$dir" --timeout "${QEMU_TIMEOUT:-120}" \
		>/dev/null 2>&1 || status=$?
	check_case "$name" "$dir" "$status" "$@"
}

# run_qemu_fb NAME FONT ARGS... -- CHECKS...: run_qemu, the screen saved as
# OUTDIR/screen.ppm and read back cell by cell against the PSF FONT's glyphs
# (tests/system/fb-to-text.py) into OUTDIR/screen.txt; the reader's verdict is
# in OUTDIR/fb-to-text.log ("fb-to-text: ok ..." when every cell is a glyph).
run_qemu_fb() {
	local name=$1 font=$2 args=() status=0
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	local dir=$BUILD/system/$name
	rm -f "$dir/screen.ppm" "$dir/screen.txt" "$dir/fb-to-text.log"
	"$ROOT/scripts/run-qemu.sh" "${args[@]}" --screen-ppm "$dir/screen.ppm" --out "$dir" \
		--timeout "${QEMU_TIMEOUT:-120}" >/dev/null 2>&1 || status=$?
	python3 "$ROOT/tests/system/fb-to-text.py" "$dir/screen.ppm" "$font" "$dir/screen.txt" \
		>"$dir/fb-to-text.log" 2>&1
	check_case "$name" "$dir" "$status" "$@"
}

# compare_bare PAYLOAD BARE_DIR UMBRA_DIR: every test the payload passed bare
# (not skipped) passes under Umbra too, with the same number and name.
compare_bare() {
	local payload=$1 bare=$2 umbra=$3 why= n=0
	local bare_ok umbra_log
	bare_ok=$(case_log "$bare" | grep -E '^ok [0-9]+ ' | grep -v '# SKIP' || true)
	# Read once: grep -q on a pipe can end it early, and pipefail then calls that a miss.
	umbra_log=$(case_log "$umbra")
	[ -n "$bare_ok" ] || why="no passing test in the bare run"
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		n=$((n + 1))
		grep -qxF "[$payload] $line" <<<"$umbra_log" || { why="bare '$line' is not ok under Umbra"; break; }
	done <<<"$bare_ok"
	if [ -z "$why" ]; then
		echo "system: PASS compare-bare-$payload ($n tests that pass bare pass under Umbra)"
		PASSED=$((PASSED + 1))
	else
		echo "system: FAIL compare-bare-$payload: $why"
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("compare-bare-$payload")
	fi
}

# umbra_iso NAME MODULE... : $BUILD/system/NAME.iso, Umbra with one module2
# line per MODULE ("file.elf words..."), the files they name from $GUEST.
umbra_iso() {
	local name=$1 m elfs=()
	shift
	{
		printf 'set timeout=0\nset default=0\nmenuentry "%s" {\n' "$name"
		printf '\tmultiboot2 /boot/umbra.elf\n\tset gfxpayload=text\n'
		for m in "$@"; do printf '\tmodule2 /boot/%s\n' "$m"; done
		printf '\tboot\n}\n'
	} >"$BUILD/system/grub-$name.cfg"
	for m in "$@"; do elfs+=("$GUEST/${m%% *}"); done
	"$ROOT/scripts/make-iso.sh" "$BUILD/system/$name.iso" "$BUILD/system/grub-$name.cfg" "$ELF" \
		$(printf '%s\n' "${elfs[@]}" | sort -u)
}

# solo_case NAME MODULE CHECK... : Bochs case NAME with one VM (MODULE) alone
# on one CPU, beside nothing: its summary, no panic, the VM's payload passes
# (its name= is its console prefix), and the CHECKs.
solo_case() {
	local name=$1 module=$2 vm
	shift 2
	vm=$(sed -n 's/.*name=\([^ ]*\).*/\1/p' <<<"$module")
	umbra_iso "$name" "$module" || return 1
	local solo_checks=("last:^umbra: summary cpus=1 vmx=1 vms=1 pass=1 fail=0\$"
		"not:panic|exception" "$@")
	payload_passes solo_checks "$vm"
	run_bochs "$name" --iso "$BUILD/system/$name.iso" --cpus 1 -- "${solo_checks[@]}"
}

# bare_vs_umbra CASE PAYLOAD DIVERGENCES MODULE... : PAYLOAD's reference run bare
# on Bochs (bochs-bare-CASE) and an ISO of Umbra with one module2 line per
# MODULE ($BUILD/system/CASE.iso, the payloads they name on it); run that ISO with
# AFTER_RUN=compare_to_bare to get compare.txt: the VM named by the first
# MODULE's name= against the bare run, DIVERGENCES allowed
# (tests/system/compare-outcomes.sh).
bare_vs_umbra() {
	local case=$1 payload=$2 m
	BARE_DIVERGENCES=$3
	shift 3
	BARE_VM=$(sed -n 's/.*name=\([^ ]*\).*/\1/p' <<<"$1")
	BARE_LOG=$BUILD/system/bochs-bare-$case/serial.log
	printf 'set timeout=0\nset default=0\nmenuentry "%s bare" {\n\tmultiboot /boot/%s.elf name=bare\n\tboot\n}\n' \
		"$payload" "$payload" >"$BUILD/system/grub-$case-bare.cfg"
	"$ROOT/scripts/make-iso.sh" "$BUILD/system/$case-bare.iso" "$BUILD/system/grub-$case-bare.cfg" \
		"$ELF" "$GUEST/$payload.elf" || return 1
	umbra_iso "$case" "$@" || return 1
	"$ROOT/scripts/run-bochs.sh" --iso "$BUILD/system/$case-bare.iso" --cpus 1 \
		--out "$BUILD/system/bochs-bare-$case" >/dev/null 2>&1
}

# AFTER_RUN for a bare_vs_umbra case: DIR/compare.txt.
compare_to_bare() {
	"$ROOT/tests/system/compare-outcomes.sh" "$BARE_LOG" "$1/serial.log" "$BARE_VM" \
		"$BARE_DIVERGENCES" >"$1/compare.txt" 2>&1
}
