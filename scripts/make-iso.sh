#!/usr/bin/env bash
# Builds a BIOS-bootable GRUB ISO: make-iso.sh OUT.iso GRUB_CFG UMBRA_ELF [FILE...]
# Extra FILEs are copied to /boot/ beside the hypervisor (the modules grub.cfg names).
set -euo pipefail
out=$1 cfg=$2 elf=$3
shift 3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/boot/grub"
cp "$cfg" "$root/boot/grub/grub.cfg"
cp "$elf" "$root/boot/umbra.elf"
for f in "$@"; do cp "$f" "$root/boot/"; done
grub-mkrescue -d /usr/lib/grub/i386-pc -o "$out" "$root" >/dev/null 2>"$out.log" || {
	cat "$out.log" >&2
	exit 1
}
rm -f "$out.log"
