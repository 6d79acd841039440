/*
 * Real-mode start of an application processor. The BSP copies the bytes
 * [ap_trampoline_start, ap_trampoline_end) to a free page below 1 MiB and
 * sends it a SIPI with that page's number: the AP starts here with
 * CS = page << 8, IP = 0. The code is position-independent within its page:
 * it only loads the kernel's boot GDT (an absolute address below 4 GiB),
 * turns protection on and jumps to ap_entry32 in the kernel image, which
 * shares the BSP's path to long mode.
 */
	.section .text, "ax"
	.code16
	.globl ap_trampoline_start
ap_trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl ap_trampoline_gdt_ptr - ap_trampoline_start
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $ap_entry32

	.balign 8
ap_trampoline_gdt_ptr:
	.short 31
	.long boot_gdt
	.globl ap_trampoline_end
ap_trampoline_end:
	.code64
