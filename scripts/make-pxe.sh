#!/usr/bin/env bash
# Builds a TFTP tree for network boot:
#   make-pxe.sh OUT_DIR GRUB_CFG IPXE_SCRIPT UMBRA_ELF [FILE...]
# OUT_DIR/boot/grub/i386-pc/core.0  GRUB's PXE image (BIOS): the DHCP boot file
# OUT_DIR/boot/grub/grub.cfg        loads Umbra by multiboot2 (over TFTP)
# OUT_DIR/umbra.ipxe                the same boot for iPXE (Multiboot1), as a script
# OUT_DIR/boot/umbra.elf and FILEs  the hypervisor and the modules both name
set -euo pipefail
out=$1 cfg=$2 ipxe=$3 elf=$4
shift 4
rm -rf "$out"
mkdir -p "$out/boot"
grub-mknetdir --net-directory="$out" --subdir=boot/grub -d /usr/lib/grub/i386-pc >/dev/null
cp "$cfg" "$out/boot/grub/grub.cfg"
cp "$ipxe" "$out/umbra.ipxe"
cp "$elf" "$out/boot/umbra.elf"
for f in "$@"; do cp "$f" "$out/boot/"; done
