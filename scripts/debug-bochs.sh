#!/usr/bin/env bash
# Boots Umbra in Bochs under its built-in debugger, with Umbra's symbols
# loaded, stopped before the BIOS. Type `c` to run, Ctrl-C to stop;
# `vmexitbp` breaks on every VM exit; see docs/debugging.md.
#   debug-bochs.sh ISO ELF [CPUS] [OUT_DIR]
set -euo pipefail
iso=$1 elf=$2 cpus=${3:-4} out=${4:-build/debug-bochs}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Bochs' symbol files are "address name" lines.
nm "$elf" | awk '$2 ~ /^[tTdDbBrR]$/ { print $1, $3 }' >"$out/umbra.sym"
# Write the config the normal runner uses, without starting Bochs.
"$root/scripts/run-bochs.sh" --iso "$iso" --cpus "$cpus" --out "$out" --config-only
printf 'ldsym global "%s"\n' "$out/umbra.sym" >"$out/debug.rc"
echo "debug-bochs.sh: console in $out/serial.log; symbols loaded; 'c' to run"
exec bochs -q -f "$out/bochsrc" -rc "$out/debug.rc"
