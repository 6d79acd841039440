#!/usr/bin/env bash
# Fails if any instruction in the image names an xmm/ymm/zmm register: the
# hypervisor must never touch the vector state its guests own.
set -euo pipefail
elf=$1
hits=$(objdump -d --no-show-raw-insn "$elf" | grep -E '%[xyz]mm[0-9]+' || true)
if [ -n "$hits" ]; then
	echo "check-no-sse: FAIL: vector instructions in $elf:" >&2
	echo "$hits" | head -20 >&2
	exit 1
fi
insns=$(objdump -d "$elf" | grep -cE '^\s+[0-9a-f]+:' || true)
echo "check-no-sse: ok: $insns instructions in $elf, none uses an xmm/ymm/zmm register"
