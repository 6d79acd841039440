#!/usr/bin/env bash
# Boots Umbra in Bochs, the project's VMX reference CPU, and always ends.
#   run-bochs.sh --iso FILE | --pxe TFTP_DIR  [--cpus N] [--out DIR]
#                [--timeout SECONDS] [--ips N] [--megs N] [--model BOCHS_CPU_MODEL]
#                [--ignore-bad-msrs] [--follow] [--config-only]
#                [--interactive] [--type REGEX TEXT]...
# --ignore-bad-msrs: Bochs' own default (an MSR it lacks reads 0, takes
# writes), only for bare runs of kernels that read MSRs Bochs lacks (Linux
# reads IA32_MISC_ENABLE before it has an IDT); otherwise a #GP, as hardware.
# The serial console lands in OUT/serial.log (shown live with --follow).
# --interactive: COM1 is also this terminal (what is typed reaches it;
# Ctrl-] stops Bochs); --type: TEXT is typed on COM1 once the console's
# output matches REGEX, in order (scripts/serial-relay.py).
# Bochs' exit status means little (it is 1 after a clean shutdown): read the log
# (scripts/run-verdict.sh). CPU counts and memory Bochs 2.7 cannot take are
# refused before it starts; when Bochs stops before Umbra printed anything,
# its own message is shown and the status is 1.
set -euo pipefail

relay=() config_only=0 iso= pxe= model=corei7_skylake_x bad_msrs=0 cpus=4 out=build/run-bochs timeout=600 ips=20000000 megs=512 follow=0
while [ $# -gt 0 ]; do
	case $1 in
	--iso) iso=$2; shift ;;
	--pxe) pxe=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--out) out=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--ips) ips=$2; shift ;;
	--megs) megs=$2; shift ;;
	--model) model=$2; shift ;;
	--ignore-bad-msrs) bad_msrs=1 ;;
	--follow) follow=1 ;;
	--interactive) relay+=(--interactive) ;;
	--type) relay+=(--type "$2" "$3"); shift 2 ;;
	--config-only) config_only=1 ;;
	*) echo "run-bochs.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$iso$pxe" ] || { echo "run-bochs.sh: need --iso or --pxe" >&2; exit 2; }
# Bochs 2.7's limits here: 16 CPUs fail ("register_timer: too many registered
# timers"), memory is 1 to 2048 MiB ("host_size ... out of range").
if ! [[ $cpus =~ ^[0-9]+$ ]] || [ "$cpus" -lt 1 ] || [ "$cpus" -gt 15 ]; then
	echo "run-bochs.sh: Bochs supports 1 to 15 CPUs here, not $cpus (CPUS=)" >&2
	exit 2
fi
if ! [[ $megs =~ ^[0-9]+$ ]] || [ "$megs" -lt 1 ] || [ "$megs" -gt 2048 ]; then
	echo "run-bochs.sh: Bochs supports 1 to 2048 MiB of memory here, not $megs (MEM=)" >&2
	exit 2
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/serial.log" "$out/bochs.log" "$out/bochs.out"
: >"$out/serial.log"

{
	echo "megs: $megs"
	# The RTC starts at the host's time unless BOCHS_TIME0 (seconds since 1970)
	# fixes it: the BIOS's tick count, and so every later interleaving, follows it.
	[ -z "${BOCHS_TIME0:-}" ] || echo "clock: sync=none, time0=$BOCHS_TIME0"
	echo "romimage: file=/usr/share/bochs/BIOS-bochs-latest"
	echo "vgaromimage: file=/usr/share/vgabios/vgabios.bin"
	# A lower ips makes the BIOS and GRUB waits (emulated time) shorter.
	echo "cpu: model=$model, count=$cpus, ips=$ips, quantum=16, reset_on_triple_fault=0, ignore_bad_msrs=$bad_msrs"
	echo "display_library: rfb, options=\"timeout=0\""
	# With a relay, it adds COM1 on its pseudo-terminal.
	[ ${#relay[@]} -gt 0 ] || echo "com1: enabled=1, mode=file, dev=$out/serial.log"
	echo "port_e9_hack: enabled=1"
	echo "log: $out/bochs.log"
	echo "panic: action=fatal"
	echo "error: action=report"
	echo "mouse: enabled=0"
	# No sound: with no sound card Bochs' ALSA mixer thread aborts (buffer overflow).
	echo "speaker: enabled=0"
	echo "sound: driver=dummy"
	if [ -n "$iso" ]; then
		echo "ata0-master: type=cdrom, path=$(realpath "$iso"), status=inserted"
		echo "boot: cdrom"
	else
		pxe=$(realpath "$pxe")
		printf '# vnet config\nbootfile = boot/grub/i386-pc/core.0\n' >"$out/vnet.conf"
		echo "pci: enabled=1, chipset=i440fx, slot1=e1000"
		echo "e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=vnet, ethdev=$pxe, script=$out/vnet.conf, bootrom=/usr/lib/ipxe/qemu/pxe-e1000.rom"
		echo "boot: network"
	fi
} >"$out/bochsrc"
echo c >"$out/bochs.rc"
[ "$config_only" = 1 ] && exit 0

tail_pid=
if [ "$follow" = 1 ]; then
	tail -n +1 -f "$out/serial.log" &
	tail_pid=$!
fi
# Bochs 2.7's RFB display: two Bochs started at once may both bind port
# 5900, and the one whose listen() then fails binds no other port (the same
# socket stays bound) and stops before the guest runs (docs/bochs.md).
# Nothing ran then: it starts again, a moment later, at most three times.
cp "$out/bochsrc" "$out/bochsrc.base" # the relay adds its COM1 line at each start
for attempt in 1 2 3; do
	status=0
	cp "$out/bochsrc.base" "$out/bochsrc"
	if [ ${#relay[@]} -gt 0 ]; then
		"$(dirname "$0")/serial-relay.py" --bochsrc "$out/bochsrc" --log "$out/serial.log" "${relay[@]}" -- \
			timeout --kill-after=10 "$timeout" bochs -q -f "$out/bochsrc" -rc "$out/bochs.rc" \
			2>"$out/bochs.out" || status=$?
	else
		timeout --kill-after=10 "$timeout" bochs -q -f "$out/bochsrc" -rc "$out/bochs.rc" \
			>"$out/bochs.out" 2>&1 </dev/null || status=$?
	fi
	if [ -s "$out/serial.log" ] || [ "$attempt" = 3 ] ||
		! grep -aq 'RFB could not bind any port' "$out/bochs.log" 2>/dev/null; then
		break
	fi
	echo "run-bochs.sh: Bochs' display found no free port (its start raced another Bochs'): starting again" >&2
	rm -f "$out/bochs.log"
	sleep "$attempt"
done
if [ -n "$tail_pid" ]; then
	sleep 0.5
	kill "$tail_pid" 2>/dev/null || true
	wait "$tail_pid" 2>/dev/null || true
fi
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
	echo "run-bochs.sh: Bochs did not end within ${timeout}s and was stopped" >&2
	exit 124
fi
if [ ! -s "$out/serial.log" ]; then
	why=$(grep -ahE '>>PANIC<<|\[.*\] *(ERROR|error)' "$out/bochs.out" "$out/bochs.log" 2>/dev/null | head -n 3)
	echo "run-bochs.sh: Bochs stopped before Umbra printed anything${why:+:}" >&2
	[ -z "$why" ] || sed 's/^/  /' <<<"$why" >&2
	echo "run-bochs.sh: its whole output: $out/bochs.out and $out/bochs.log" >&2
	exit 1
fi
exit 0
