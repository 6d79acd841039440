# gdb setup for debugging Umbra under QEMU's gdbstub (make debug).
# qemu-system-x86_64 always reports 64-bit registers: say so before connecting,
# even though the CPU starts in real mode.
set architecture i386:x86-64
set pagination off
# The port is debug-qemu.sh's (GDB_PORT, default 1234).
eval "target remote localhost:%d", $umbra_gdb_port
# Hardware breakpoints work before the image is loaded (software ones would be
# overwritten by GRUB loading Umbra over them).
hbreak boot_main
