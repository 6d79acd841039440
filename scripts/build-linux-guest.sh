#!/usr/bin/env bash
# The Linux guest, from Debian packages only: the kernel of linux-image-amd64
# (a bzImage) and an initramfs of busybox-static with tests/linux/init.
#   scripts/build-linux-guest.sh OUT_DIR   ->  OUT_DIR/bzImage, OUT_DIR/initrd.gz
# The .debs are fetched from the Debian archive (apt-get download) once and
# kept in OUT_DIR/debs; nothing is installed on the host.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=$1
mkdir -p "$out/debs"
out=$(cd "$out" && pwd)

kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$kernel_pkg" ] || { echo "linux-guest: apt knows no linux-image-amd64 (apt-get update?)" >&2; exit 1; }
cd "$out/debs"
for pkg in "$kernel_pkg" busybox-static; do
	ls "${pkg}"_*.deb >/dev/null 2>&1 && continue
	echo "linux-guest: fetching $pkg from the Debian archive"
	apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
	ls "${pkg}"_*.deb >/dev/null 2>&1 || { echo "linux-guest: apt-get download $pkg failed" >&2; exit 1; }
done

rm -rf "$out/root" "$out/initramfs"
mkdir -p "$out/root"
for deb in "$kernel_pkg"_*.deb busybox-static_*.deb; do
	dpkg-deb -x "$deb" "$out/root"
done
cp "$out/root/boot/vmlinuz-${kernel_pkg#linux-image-}" "$out/bzImage"

# The initramfs: busybox and /init (which mounts devtmpfs for its console: no device nodes here).
mkdir -p "$out/initramfs"/{bin,dev,proc,sys}
cp "$out/root/bin/busybox" "$out/initramfs/bin/"
cp "$ROOT/tests/linux/init" "$out/initramfs/init"
chmod 755 "$out/initramfs/init"
(
	cd "$out/initramfs"
	find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | cpio -o -H newc --quiet >"$out/initrd.cpio"
)
gzip -9 -n -c "$out/initrd.cpio" >"$out/initrd.gz"
echo "linux-guest: $out/bzImage ($kernel_pkg), $out/initrd.gz"
