#!/usr/bin/env bash
# Boots Umbra in QEMU stopped at the first instruction, with the gdbstub on
# localhost:GDB_PORT (default 1234), and runs gdb on the image's symbols
# (scripts/umbra.gdb: stops at boot_main). The console goes to OUT/serial.log.
#   [CPUS=n] [GDB_PORT=n] debug-qemu.sh ISO ELF [OUT_DIR] [-- GDB_ARGS...]
# With GDB_ARGS (for example -batch -ex ...) gdb runs them after the setup.
set -euo pipefail
iso=$1 elf=$2 out=${3:-build/debug}
shift 2
[ $# -gt 0 ] && [ "$1" != -- ] && shift
[ $# -gt 0 ] && [ "$1" = -- ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
cpus=${CPUS:-2} port=${GDB_PORT:-1234}
mkdir -p "$out"
: >"$out/serial.log"
qemu-system-x86_64 -M pc -accel tcg -cpu max -smp "$cpus" -m 512 -cdrom "$iso" -boot d \
	-serial "file:$out/serial.log" -display none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=1 -gdb "tcp::$port" -S </dev/null >"$out/qemu.out" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
echo "debug-qemu.sh: QEMU ($cpus CPUs) waits for gdb on localhost:$port; console in $out/serial.log"
status=0
gdb -q -ex "set \$umbra_gdb_port = $port" -x "$root/scripts/umbra.gdb" "$@" "$elf" || status=$?
exit $status
