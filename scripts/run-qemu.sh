#!/usr/bin/env bash
# Boots Umbra in QEMU and always ends.
#   run-qemu.sh --iso FILE | --pxe TFTP_DIR [--bootfile PATH]
#               | --kernel ELF [--append CMDLINE] [--initrd "MOD ARGS,MOD ARGS"]
#               [--cpu MODEL] [--cpus N] [--mem MiB] [--screen-dump FILE | --screen-ppm FILE] [--out DIR] [--timeout SECONDS] [--accel auto|kvm|tcg] [--follow]
# With --accel auto (default) it uses KVM with nested VMX when the host offers
# it, else TCG (no VMX: Umbra refuses cleanly). The console lands in
# OUT/serial.log; OUT/exit-code holds Umbra's isa-debug-exit code (0 pass,
# 1 fail, 2 error) or "none" if QEMU ended another way.
# --screen-dump: no exit device; once Umbra's summary (or a panic) is on the
# serial console, the VGA text screen is saved to FILE as text (80x25) and
# QEMU is stopped. --screen-ppm: the same, but the screen as QEMU shows it
# (graphics modes too), saved by the monitor's screendump as a PPM image.
set -euo pipefail

screen_dump= screen_ppm= kernel= append= initrd= cpu_model= iso= pxe= bootfile=boot/grub/i386-pc/core.0 cpus=4 mem=512 out=build/run-qemu timeout=300 accel=auto follow=0
while [ $# -gt 0 ]; do
	case $1 in
	--iso) iso=$2; shift ;;
	--pxe) pxe=$2; shift ;;
	--bootfile) bootfile=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--append) append=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--cpu) cpu_model=$2; shift ;;
	--screen-dump) screen_dump=$2; shift ;;
	--screen-ppm) screen_ppm=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--mem) mem=$2; shift ;;
	--out) out=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--accel) accel=$2; shift ;;
	--follow) follow=1 ;;
	*) echo "run-qemu.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$iso$pxe$kernel" ] || { echo "run-qemu.sh: need --iso, --pxe or --kernel" >&2; exit 2; }

kvm_nested_ok() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	grep -qw vmx /proc/cpuinfo || return 1
	local n
	n=$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null || echo N)
	[ "$n" = Y ] || [ "$n" = 1 ]
}

case $accel in
auto) if kvm_nested_ok; then accel=kvm; else accel=tcg; fi ;;
kvm) kvm_nested_ok || { echo "run-qemu.sh: KVM with nested VMX is not available here" >&2; exit 1; } ;;
tcg) ;;
*) echo "run-qemu.sh: --accel must be auto, kvm or tcg" >&2; exit 2 ;;
esac
if [ "$accel" = kvm ]; then
	echo "run-qemu.sh: using KVM with nested VMX (-cpu host)"
	accel_args=(-enable-kvm -cpu host)
else
	echo "run-qemu.sh: using TCG (no KVM with nested VMX here): Umbra will find no VMX"
	accel_args=(-accel tcg -cpu "${cpu_model:-max}")
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
: >"$out/serial.log"
boot_args=(-cdrom "$iso" -boot d)
if [ -n "$pxe" ]; then
	boot_args=(-netdev "user,id=n0,tftp=$(realpath "$pxe"),bootfile=$bootfile"
		-device e1000,netdev=n0 -boot n)
fi
if [ -n "$kernel" ]; then
	# QEMU's own Multiboot1 loader: exercises Umbra's v1 header and info parsing.
	boot_args=(-kernel "$kernel")
	[ -n "$append" ] && boot_args+=(-append "$append")
	[ -n "$initrd" ] && boot_args+=(-initrd "$initrd")
fi

exit_args=(-device isa-debug-exit,iobase=0xf4,iosize=1)
if [ -n "$screen_dump$screen_ppm" ]; then
	exit_args=(-chardev "pipe,id=mon0,path=$out/mon" -mon chardev=mon0,mode=readline)
	rm -f "$out/mon.in" "$out/mon.out"
	mkfifo "$out/mon.in" "$out/mon.out"
fi

tail_pid=
if [ "$follow" = 1 ]; then
	tail -n +1 -f "$out/serial.log" &
	tail_pid=$!
fi
status=0
if [ -z "$screen_dump$screen_ppm" ]; then
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 -M pc "${accel_args[@]}" -smp "$cpus" \
		-m "$mem" "${boot_args[@]}" -serial "file:$out/serial.log" -display none -no-reboot \
		"${exit_args[@]}" </dev/null >"$out/qemu.out" 2>&1 || status=$?
else
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 -M pc "${accel_args[@]}" -smp "$cpus" \
		-m "$mem" "${boot_args[@]}" -serial "file:$out/serial.log" -display none -no-reboot \
		"${exit_args[@]}" </dev/null >"$out/qemu.out" 2>&1 &
	qemu_pid=$!
	cat "$out/mon.out" >"$out/monitor.log" &
	exec 3>"$out/mon.in"
	for _ in $(seq $((timeout * 10))); do
		grep -qE '^umbra: (summary|panic)' "$out/serial.log" && break
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.2
	if [ -n "$screen_ppm" ]; then
		echo "screendump \"$screen_ppm\"" >&3
	else
		echo "pmemsave 0xb8000 4000 \"$out/screen.bin\"" >&3
	fi
	sleep 0.5
	echo quit >&3
	exec 3>&-
	wait "$qemu_pid" || status=$?
	# Every other byte is a character (the others are attributes), 80 a row.
	[ -z "$screen_dump" ] || od -An -v -tu1 -w2 "$out/screen.bin" |
		awk '{ printf "%c", ($1 >= 32 && $1 < 127) ? $1 : 32 } NR % 80 == 0 { print "" }' \
			>"$screen_dump"
fi
if [ -n "$tail_pid" ]; then
	sleep 0.5
	kill "$tail_pid" 2>/dev/null || true
	wait "$tail_pid" 2>/dev/null || true
fi
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
	echo none >"$out/exit-code"
	echo "run-qemu.sh: QEMU did not end within ${timeout}s and was stopped" >&2
	exit 124
fi
# isa-debug-exit makes QEMU exit with (code << 1) | 1.
if [ $((status & 1)) = 1 ]; then
	echo $((status >> 1)) >"$out/exit-code"
else
	echo none >"$out/exit-code"
fi
exit 0
