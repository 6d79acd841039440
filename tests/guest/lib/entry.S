/*
 * Payload entry from a Multiboot1 or Multiboot2 loader (GRUB `multiboot` or
 * `multiboot2`, QEMU -kernel, Umbra): 32-bit flat protected mode, paging
 * off, EAX = magic, EBX = info. Both protocols start a kernel in this same
 * state, so one entry serves both; the header that picks the protocol is in
 * mb1_header.S or mb2_header.S, and payload_start tells them apart by the
 * magic. We clear bss, take our own stack and GDT, identity-map the first
 * 4 GiB with 2 MiB pages (the local APIC's page uncached), enter long mode
 * and call payload_start(magic, info), which checks the magic (C can report
 * on serial, asm cannot cheaply). APs started by lib/smp.c reuse this GDT
 * (its selectors are also in trampoline.S) and these page tables.
 *
 * Under Umbra every step here is an ordinary guest action: LGDT/LIDT and
 * segment loads run natively, the CR4 write (PAE only) does not exit, the
 * EFER write (LME only) and the CR0.PG write exit and are emulated.
 */
#define SEL_CODE32 0x08
#define SEL_DATA 0x10
#define SEL_CODE64 0x18

#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define CR4_PAE (1 << 5)
#define CR0_PE_PG 0x80000001
#define PTE_PW 0x03		/* present, writable */
#define PDE_2M 0x83		/* present, writable, 2 MiB page */
#define PDE_PWT_PCD 0x18	/* write-through, cache disable: UC with the reset PAT */
#define LAPIC_MMIO 0xfee00000	/* the local APIC's registers (xAPIC mode) */
#define IOAPIC_MMIO 0xfec00000	/* the I/O APIC's, where PCs have it */

	.section .text.entry, "ax"
	.code32
	.globl entry32
entry32:
	cli
	cld
	movl %eax, %esi
	movl %ebx, %ebp

	/* Loaders should zero bss, but our page tables must not trust that. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	movl $stack_top, %esp
	lgdt gdt_ptr
	ljmp $SEL_CODE32, $1f
1:	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs

	/* PML4[0] -> PDPT; PDPT[0..3] -> four page directories. */
	movl $pdpt, %eax
	orl $PTE_PW, %eax
	movl %eax, pml4
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $12, %eax
	addl $pd, %eax
	orl $PTE_PW, %eax
	movl %eax, pdpt(, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jb 2b
	/* 2048 PDEs of 2 MiB: entry i maps i << 21 (bits 32+ in the high dword). */
	xorl %ecx, %ecx
3:	movl %ecx, %eax
	shll $21, %eax
	orl $PDE_2M, %eax
	movl %eax, pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 3b
	/* The local and I/O APICs' 2 MiB pages are MMIO: uncached, as the SDM requires. */
	orl $PDE_PWT_PCD, pd + (LAPIC_MMIO >> 21) * 8
	orl $PDE_PWT_PCD, pd + (IOAPIC_MMIO >> 21) * 8

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $CR0_PE_PG, %eax
	movl %eax, %cr0
	ljmp $SEL_CODE64, $entry64

	.code64
entry64:
	/* Reload GDTR with the 10-byte form: the same table, now a 64-bit base. */
	lgdt gdt_ptr(%rip)
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	movq $stack_top, %rsp
	/* ESI = magic, EBP = info: 32-bit values, upper halves undefined. */
	movl %esi, %edi
	movl %ebp, %esi
	xorl %ebp, %ebp			/* the end of the frame-pointer chain */
	call payload_start
4:	cli
	hlt
	jmp 4b

	.section .rodata
	.balign 16
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code, flat */
	.quad 0x00cf92000000ffff	/* 0x10: data, flat */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
gdt_end:
	.balign 8
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt		/* 32-bit LGDT reads the low 4 bytes */

	.section .bss
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
	.balign 16
	.skip 16384
	.globl stack_top
stack_top:
