#!/usr/bin/env bash
# Installs the Debian packages Umbra's build, run and tests need, if missing.
# As root it runs apt-get; otherwise it names exactly what to install.
# Packages named as arguments are needed too (make bench: gnuplot-nox).
#   scripts/deps.sh [PACKAGE...]
set -euo pipefail

packages=(
	gcc make binutils xz-utils       # toolchain, newlib tarball
	clang-format                     # make check-format (part of make test)
	gdb                              # make debug (and its test)
	grub-pc-bin grub-common xorriso mtools  # ISO and PXE images
	bochs bochsbios vgabios          # the VMX reference CPU
	qemu-system-x86 ipxe-qemu        # boot/SMP/PXE tests, iPXE ROMs
	newlib-source                    # our libc, built from source
	libcmocka-dev                    # host unit tests
	lcov                             # make coverage (host tests' line coverage)
	console-setup-linux              # the framebuffer console's font (Lat15-Fixed16)
	cpio                             # the Linux guest's initramfs
	"$@"
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "umbra: missing Debian packages: ${missing[*]}" >&2
	echo "umbra: install them with: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "umbra: installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
