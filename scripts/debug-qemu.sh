#!/usr/bin/env bash
# Boots Umbra in QEMU stopped at the first instruction, with the gdbstub on
# localhost:1234, and runs gdb on the image's symbols (scripts/umbra.gdb:
# stops at boot_main). The console goes to OUT/serial.log.
#   debug-qemu.sh ISO ELF [OUT_DIR] [-- GDB_ARGS...]
# With GDB_ARGS (for example -batch -ex ...) gdb runs them after the setup.
set -euo pipefail
iso=$1 elf=$2 out=${3:-build/debug}
shift 2
[ $# -gt 0 ] && [ "$1" != -- ] && shift
[ $# -gt 0 ] && [ "$1" = -- ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
: >"$out/serial.log"
qemu-system-x86_64 -M pc -accel tcg -cpu max -smp 2 -m 512 -cdrom "$iso" -boot d \
	-serial "file:$out/serial.log" -display none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=1 -s -S </dev/null >"$out/qemu.out" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
echo "debug-qemu.sh: QEMU waits for gdb on localhost:1234; console in $out/serial.log"
status=0
gdb -q -x "$root/scripts/umbra.gdb" "$@" "$elf" || status=$?
exit $status
