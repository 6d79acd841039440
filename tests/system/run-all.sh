#!/usr/bin/env bash
# System tests: boot Umbra in Bochs and QEMU and check what its console says.
#   tests/system/run-all.sh BUILD_DIR [CASE_REGEX]
# Ends with "N passed, N failed" and a non-zero status if any case failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
ONLY=${2:-.}
# shellcheck source=tests/system/lib.sh
. "$ROOT/tests/system/lib.sh"

ELF=$BUILD/umbra.elf
mkdir -p "$BUILD/system"

# Two modules with known contents and a test ISO that passes them.
head -c 8192 /dev/zero | tr '\0' 'A' >"$BUILD/system/mod-alpha.bin"
echo "umbra boot test module" >"$BUILD/system/mod-beta.txt"
"$ROOT/scripts/make-iso.sh" "$BUILD/system/boot-test.iso" "$ROOT/tests/system/grub-boot.cfg" "$ELF" \
	"$BUILD/system/mod-alpha.bin" "$BUILD/system/mod-beta.txt" || exit 1
ISO=$BUILD/system/boot-test.iso
# The network-boot tree `make pxe` builds, from the same inputs.
"$ROOT/scripts/make-pxe.sh" "$BUILD/system/pxe" "$ROOT/boot/grub.cfg" "$ROOT/boot/umbra.ipxe" "$ELF" || exit 1
PXE=$BUILD/system/pxe

cpu_lines() { echo "count:$1:^umbra: cpu [0-9]+ apic=[0-9]+ online in long mode"; }
summary() { echo "last:^umbra: summary cpus=$1 vmx=0 vms=0 pass=0 fail=0\$"; }
BOOT_CHECKS=(
	"has:^umbra: loaded by GRUB .*\(Multiboot2\), command line 'test=boot screen=1'"
	"has:^umbra: mem 0x000000000000-0x00000009f[0-9a-f]{3} usable"
	"has:^umbra: module 0 0x[0-9a-f]+-0x[0-9a-f]+ 'name=alpha mem=1M'"
	"has:^umbra: module 1 0x[0-9a-f]+-0x[0-9a-f]+ 'name=beta'"
	"not:panic|exception"
)

want() { [[ $1 =~ $ONLY ]]; }

if want bochs-smp4; then
	run_bochs bochs-smp4 --iso "$ISO" --cpus 4 -- "${BOOT_CHECKS[@]}" "$(cpu_lines 4)" \
		"has:^umbra: local APIC in x2APIC mode" "$(summary 4)"
fi
if want bochs-smp1; then
	run_bochs bochs-smp1 --iso "$ISO" --cpus 1 -- "${BOOT_CHECKS[@]}" "$(cpu_lines 1)" "$(summary 1)"
fi
for n in 1 4; do
	if want "qemu-smp$n"; then
		run_qemu "qemu-smp$n" --iso "$ISO" --accel tcg --cpus $n -- "${BOOT_CHECKS[@]}" \
			"$(cpu_lines $n)" "$(summary $n)" exit:0
	fi
done
if want qemu-multiboot1; then
	# QEMU's -kernel loader speaks Multiboot1 only: Umbra's v1 header, the
	# v1 info block, xAPIC mode, and an AP that never answers (phantom APIC ID).
	# v1 loaders put the module's file name first in its string.
	run_qemu qemu-multiboot1 --kernel "$ELF" --accel tcg --cpus 2 \
		--append "x2apic=0 test_phantom_apic=9" \
		--initrd "$BUILD/system/mod-alpha.bin name=alpha mem=1M,$BUILD/system/mod-beta.txt name=beta" -- \
		"has:^umbra: loaded by .*\(Multiboot1\), command line '.*x2apic=0 test_phantom_apic=9'" \
		"has:^umbra: module 0 0x[0-9a-f]+-0x[0-9a-f]+ '[^ ]*mod-alpha.bin name=alpha mem=1M'" \
		"has:^umbra: module 1 0x[0-9a-f]+-0x[0-9a-f]+ '[^ ]*mod-beta.txt name=beta'" \
		"has:^umbra: local APIC in xAPIC mode" \
		"has:^umbra: cpu apic=9 did not answer INIT-SIPI-SIPI" \
		"$(cpu_lines 2)" "$(summary 2)" "not:panic|exception" exit:0
fi
if want bochs-pxe; then
	# Bochs' e1000 with Debian's iPXE ROM, its built-in DHCP/TFTP, then GRUB.
	run_bochs bochs-pxe --pxe "$PXE" --cpus 4 --ips 10000000 -- \
		"has:^umbra: loaded by GRUB .*\(Multiboot2\)" "$(cpu_lines 4)" "$(summary 4)" "not:panic|exception"
fi
if want qemu-pxe-grub; then
	run_qemu qemu-pxe-grub --pxe "$PXE" --accel tcg --cpus 4 -- \
		"has:^umbra: loaded by GRUB .*\(Multiboot2\)" "$(cpu_lines 4)" "$(summary 4)" exit:0
fi
if want qemu-pxe-ipxe; then
	# No GRUB: QEMU's iPXE runs umbra.ipxe and loads Umbra by its Multiboot1 header.
	run_qemu qemu-pxe-ipxe --pxe "$PXE" --bootfile umbra.ipxe --accel tcg --cpus 4 -- \
		"has:^umbra: loaded by iPXE .*\(Multiboot1\), command line 'tftp://[^ ]*/boot/umbra.elf'" \
		"$(cpu_lines 4)" "$(summary 4)" exit:0
fi
if want qemu-fault-bsp; then
	# An exception on the boot CPU: full report, one panic line, run ends with code 2.
	run_qemu qemu-fault-bsp --kernel "$ELF" --accel tcg --cpus 1 --append "test_fault=0" -- \
		"has:^umbra: exception #UD \(vector 6\) on cpu 0 error=0x0" \
		"has:^umbra:   rip=0x0000000000[0-9a-f]{6} cs=0x8 " "has:^umbra:   cr0=0x[0-9a-f]+ cr2=" \
		"has:^umbra:   rax=0x[0-9a-f]{16} rbx=" "has:^umbra: backtrace on cpu 0:" \
		"has:^umbra:   #0 0x[0-9a-f]+ test_fault_maybe\\+0x[0-9a-f]+|^umbra:   #0 0x[0-9a-f]+ boot_main\\+0x[0-9a-f]+" \
		"has:^umbra:   #[12] 0x[0-9a-f]+ long_mode_entry64\\+0x[0-9a-f]+" \
		"last:^umbra: panic on cpu 0: unhandled exception #UD at rip 0x[0-9a-f]+\$" exit:2
fi
if want qemu-fault-ap; then
	# An exception on an AP stops that CPU only: the boot goes on, the run is an error.
	run_qemu qemu-fault-ap --kernel "$ELF" --accel tcg --cpus 2 --append "test_fault=1" -- \
		"has:^umbra: exception #UD \(vector 6\) on cpu 1 " \
		"has:^umbra:   #0 0x[0-9a-f]+ (test_fault_maybe|ap_main)\\+0x[0-9a-f]+" \
		"has:^umbra: panic on cpu 1: unhandled exception #UD" "$(summary 2)" exit:2
fi
if want qemu-screen; then
	# The console is mirrored to the VGA text screen: the last lines, summary included.
	run_qemu qemu-screen --iso "$ISO" --accel tcg --cpus 2 --screen-dump "$BUILD/system/qemu-screen/screen.txt" -- \
		"$(summary 2)" "in:screen.txt:^umbra: cpu 1 apic=1 online in long mode *\$" \
		"in:screen.txt:^umbra: summary cpus=2 vmx=0 vms=0 pass=0 fail=0 *\$"
fi
if want qemu-gdb; then
	# make debug: a hardware breakpoint in 64-bit code hits, with symbols and source.
	run_gdb qemu-gdb -- "in:gdb.log:hit Breakpoint 1, boot_main \\(magic=920085129, info_pa=[0-9]+\\) at boot/main.c" \
		"in:gdb.log:^#1 +0x[0-9a-f]+ in long_mode_entry64 \\(\\) at boot/entry.S" \
		"in:gdb.log:^cs +0x18 " "in:gdb.log:^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <boot_main>"
fi
if want qemu-no-long-mode; then
	run_qemu qemu-no-long-mode --kernel "$ELF" --accel tcg --cpu qemu32 --cpus 1 -- \
		"has:^umbra: fatal: this CPU has no 64-bit long mode" "not:summary" exit:2
fi

[ "$FAILED" = 0 ] || echo "system: failed cases: ${FAILED_NAMES[*]}"
echo "system: ${PASSED} passed, ${FAILED} failed"
[ "$FAILED" = 0 ]
