/*
 * 32-bit entry from a Multiboot loader, and the 32->64-bit path shared with
 * the application processors.
 *
 * Contract with the loader (both Multiboot versions): 32-bit protected mode,
 * flat segments, paging off, interrupts off, EAX = magic, EBX = info
 * physical address. We check the magic and that the CPU has long mode,
 * identity-map the first 4 GiB with 2 MiB pages (enough for the C code to
 * parse the memory map and build the real map), enter long mode and call
 * boot_main(magic, info).
 */
#include "arch/x86/msr.h"
#include "boot/multiboot.h"

#define SEL_CODE32 0x08
#define SEL_DATA 0x10
#define SEL_CODE64 0x18

#define COM1 0x3f8

	.section .text.boot, "ax"
	.code32
	.globl boot_entry32
boot_entry32:
	movl %eax, %edi
	/* First: the TSC at the loader's hand-off (arch/x86/boot_time.c). */
	rdtsc
	movl %eax, boot_tsc_handoff
	movl %edx, boot_tsc_handoff + 4
	cli
	cld
	movl %ebx, %esi

	/*
	 * The early bss (our stack and page tables, 40 KiB) is cleared here,
	 * by dwords; the rest (4.8 MB) in 64-bit mode by qwords, before any C
	 * code runs: Bochs counts each REP STOS iteration as an instruction
	 * (docs/performance.md). Both ends are page-aligned (linker.ld).
	 */
	movl $__bss_start, %ebx
	movl $__bss_early_end, %ecx
	subl %ebx, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	movl %edi, %edx
	movl %ebx, %edi
	rep stosl
	movl %edx, %edi

	movl $boot_stack_top, %esp

	cmpl $MULTIBOOT2_BOOTLOADER_MAGIC, %edi
	je 1f
	cmpl $MULTIBOOT1_BOOTLOADER_MAGIC, %edi
	je 1f
	movl $msg_not_multiboot, %eax
	jmp early_fatal32
1:
	/* CPUID present (EFLAGS.ID toggles) and long mode supported? */
	pushfl
	popl %eax
	movl %eax, %ecx
	xorl $(1 << 21), %eax
	pushl %eax
	popfl
	pushfl
	popl %eax
	pushl %ecx
	popfl
	cmpl %eax, %ecx
	je no_long_mode
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode

	/* Early identity map: PML4[0] -> PDPT, PDPT[0..3] -> 4 PDs of 2 MiB pages. */
	movl $boot_pdpt, %eax
	orl $0x3, %eax
	movl %eax, boot_pml4
	movl $boot_pd, %ebx
	xorl %ecx, %ecx
2:	movl %ebx, %eax
	orl $0x3, %eax
	movl %eax, boot_pdpt(, %ecx, 8)
	addl $4096, %ebx
	incl %ecx
	cmpl $4, %ecx
	jb 2b
	xorl %ecx, %ecx
3:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax			/* present, writable, 2 MiB page */
	movl %eax, boot_pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax			/* high half of (index << 21) */
	movl %eax, boot_pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 3b

	movl $boot_pml4, %eax
	movl %eax, boot_cr3
	lgdt boot_gdt_ptr
	jmp long_mode_enter32

no_long_mode:
	movl $msg_no_long_mode, %eax
	/* fall through */

/*
 * Prints the NUL-terminated string at EAX on COM1 and port 0xE9, tells an
 * emulator to stop (exit code 2, as platform_exit does), then halts.
 */
early_fatal32:
	movl %eax, %esi
	movw $(COM1 + 3), %dx
	movb $0x03, %al			/* 8 data bits: Bochs defaults to 5 */
	outb %al, %dx
1:	movb (%esi), %bl
	testb %bl, %bl
	jz 3f
	movw $(COM1 + 5), %dx
2:	inb %dx, %al
	testb $0x20, %al
	jz 2b
	movw $COM1, %dx
	movb %bl, %al
	outb %al, %dx
	outb %al, $0xe9
	incl %esi
	jmp 1b
3:	movw $(COM1 + 5), %dx
	inb %dx, %al
	testb $0x40, %al		/* drain the UART before power-off */
	jz 3b
	movb $2, %al
	outb %al, $0xf4
	movl $msg_shutdown, %esi
	movw $0x8900, %dx
4:	movb (%esi), %al
	testb %al, %al
	jz 5f
	outb %al, %dx
	incl %esi
	jmp 4b
5:	cli
	hlt
	jmp 5b

/*
 * Common 32->64 step (BSP and APs): flat data segments, PAE, CR3 from
 * boot_cr3, EFER.LME (+NXE if present), paging on, far jump to 64-bit code.
 * ESI/EDI survive; the 64-bit side picks its continuation from boot_is_ap.
 */
long_mode_enter32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl %cr4, %eax
	orl $(1 << 5), %eax		/* PAE */
	movl %eax, %cr4
	movl boot_cr3, %eax
	movl %eax, %cr3
	movl $0x80000001, %eax
	cpuid				/* no stack here: an AP has none yet */
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	testl $(1 << 20), %edx		/* CPUID.80000001H:EDX.NX */
	jz 1f
	orl $EFER_NXE, %eax
1:	movl $MSR_EFER, %ecx
	xorl %edx, %edx
	wrmsr
	movl %cr0, %eax
	andl $~0x60000000, %eax		/* caches on: an AP starts with CD|NW set */
	orl $0x80010001, %eax		/* PG | WP | PE */
	movl %eax, %cr0
	ljmp $SEL_CODE64, $long_mode_entry64

/* Application processors arrive here from the real-mode trampoline. */
	.globl ap_entry32
ap_entry32:
	movl $1, %edi
	jmp long_mode_enter32

	.code64
long_mode_entry64:
	/* The upper halves of GPRs are undefined after the switch. */
	movl %edi, %edi
	movl %esi, %esi
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	cmpl $1, %edi
	je 1f
	/* BSP: EDI = magic, ESI = info (zero-extended by the 32-bit moves). */
	movq $boot_stack_top, %rsp
	movl %edi, %r8d
	movq $__bss_early_end, %rdi
	movq $__bss_end, %rcx
	subq %rdi, %rcx
	shrq $3, %rcx
	xorl %eax, %eax
	rep stosq
	movl %r8d, %edi
	xorl %ebp, %ebp
	call boot_main
	jmp 2f
1:	/* AP: stack and CPU index were published by the BSP before the SIPI. */
	movq ap_boot_stack(%rip), %rsp
	testq %rsp, %rsp		/* 0: the BSP gave up on us */
	jz 2f
	xorl %ebp, %ebp
	movl ap_boot_index(%rip), %edi
	call ap_main
2:	cli
	hlt
	jmp 2b

	.section .rodata
msg_not_multiboot:
	.asciz "umbra: fatal: not started by a Multiboot2 or Multiboot1 loader (bad magic in EAX); load umbra.elf with GRUB's multiboot2 command\r\n"
msg_shutdown:
	.asciz "Shutdown"
msg_no_long_mode:
	.asciz "umbra: fatal: this CPU has no 64-bit long mode; Umbra needs an x86-64 CPU with VT-x\r\n"

	.section .data
	.balign 16
/* Null, 32-bit code, data, 64-bit code: used by the entry and the APs. */
	.globl boot_gdt
boot_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0x00af9a000000ffff
boot_gdt_end:
	.globl boot_gdt_ptr
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt
	.globl boot_cr3
boot_cr3:
	.long 0
/* In .data: the entry writes it before clearing the bss. */
	.balign 8
	.globl boot_tsc_handoff
boot_tsc_handoff:
	.quad 0

	/* Cleared in 32-bit mode, before the rest of the bss (linker.ld). */
	.section .bss.early, "aw", @nobits
	.balign 4096
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4 * 4096
boot_stack:	.skip 16384
boot_stack_top:
