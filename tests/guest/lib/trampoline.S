/*
 * The AP start-up trampoline. smp.c copies [ap_tramp_start, ap_tramp_end)
 * to a free page below 1 MiB and fills in its parameters (the ap_tramp_*
 * fields below, found by their offset from ap_tramp_start); a STARTUP IPI
 * with that page's number as its vector starts an AP here in real mode,
 * CS = page >> 4, IP = 0. It goes to 32-bit protected mode on the BSP's
 * GDT (entry.S), then to long mode on the BSP's page tables, takes the next
 * free stack of the stack array, and calls the C entry with the stack's
 * index. The code is position-independent: real mode addresses through CS
 * (= DS), protected and long mode through EBX = the page's address.
 */
#define SEL_CODE32 0x08		/* entry.S's GDT */
#define SEL_DATA 0x10
#define SEL_CODE64 0x18
#define MSR_EFER 0xc0000080

#define OFF(sym) ((sym) - ap_tramp_start)

	.section .rodata
	.balign 16
	.globl ap_tramp_start
ap_tramp_start:
	.code16
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	/* EBX = the page's linear address, for the modes after this one. */
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx
	/* o32 LGDT: the 32-bit base of the BSP's GDT, wherever it lies. */
	lgdtl OFF(ap_tramp_gdtr)
	/* The BSP's CR0 without PG: PE set, and CD/NW (set by INIT) cleared. */
	movl OFF(ap_tramp_cr0_pe), %eax
	movl %eax, %cr0
	ljmpl *OFF(ap_tramp_far32)

	.code32
ap_tramp_32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	/* Long mode as entry.S enters it, with the BSP's CR4, CR3 and EFER bits. */
	movl OFF(ap_tramp_cr4)(%ebx), %eax
	movl %eax, %cr4
	movl OFF(ap_tramp_cr3)(%ebx), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl OFF(ap_tramp_efer)(%ebx), %eax
	wrmsr
	movl OFF(ap_tramp_cr0)(%ebx), %eax
	movl %eax, %cr0
	ljmpl *OFF(ap_tramp_far64)(%ebx)

	.code64
ap_tramp_64:
	movl %ebx, %ebx		/* the upper half is undefined after the mode switch */
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	/* A stack of our own: every AP that gets here takes the next index. */
	movl $1, %edi
	lock xaddl %edi, OFF(ap_tramp_next)(%rbx)
	cmpl OFF(ap_tramp_stacks)(%rbx), %edi
	jae 2f
	movl %edi, %eax
	imulq OFF(ap_tramp_stack_size)(%rbx), %rax
	addq OFF(ap_tramp_stack_base)(%rbx), %rax
	addq OFF(ap_tramp_stack_size)(%rbx), %rax
	movq %rax, %rsp
	xorl %ebp, %ebp		/* the end of the frame-pointer chain */
	call *OFF(ap_tramp_entry)(%rbx)	/* entry(stack index in EDI); it does not return */
2:	cli
	hlt
	jmp 2b

	/* Parameters (smp.c fills them in the copy), each naturally aligned. */
	.balign 8
	.globl ap_tramp_gdtr, ap_tramp_cr0_pe, ap_tramp_cr0, ap_tramp_cr3, ap_tramp_cr4
	.globl ap_tramp_efer, ap_tramp_far32, ap_tramp_far64, ap_tramp_next, ap_tramp_stacks
	.globl ap_tramp_stack_base, ap_tramp_stack_size, ap_tramp_entry
ap_tramp_stack_base:
	.quad 0
ap_tramp_stack_size:
	.quad 0
ap_tramp_entry:
	.quad 0			/* void entry(unsigned int stack_index) */
ap_tramp_far32:
	.long 0			/* page + OFF(ap_tramp_32) */
	.word SEL_CODE32
	.word 0
ap_tramp_far64:
	.long 0			/* page + OFF(ap_tramp_64) */
	.word SEL_CODE64
	.word 0
ap_tramp_next:
	.long 0			/* the next free stack index (LOCK XADD) */
ap_tramp_stacks:
	.long 0			/* how many stacks there are */
ap_tramp_cr0_pe:
	.long 0
ap_tramp_cr0:
	.long 0
ap_tramp_cr3:
	.long 0
ap_tramp_cr4:
	.long 0
ap_tramp_efer:
	.long 0			/* bits ORed into EFER: LME, and NXE/SCE if the BSP has them */
	.word 0			/* aligns the base below */
ap_tramp_gdtr:
	.word 0			/* limit */
	.long 0			/* base */
	.globl ap_tramp_end
ap_tramp_end:

	/* The symbols ap_tramp_32 and ap_tramp_64 are offsets smp.c needs too. */
	.globl ap_tramp_32, ap_tramp_64
