/*
 * Interrupt entry for vectors 32-255 (exceptions.S has 0-31). exceptions.c
 * puts irq_stub_table into the IDT as interrupt gates (IF cleared on entry,
 * so handlers do not nest); irq_common hands the frame to irq_dispatch
 * (interrupts.c), which runs the handler installed for the vector.
 */
#define IRQ_FIRST 32
#define IRQ_COUNT (256 - IRQ_FIRST)

	.text
	.code64
	.altmacro		/* %vec below passes the value, to name the stubs */

.macro IRQ_STUB vec
irq_stub_\vec:
	pushq $0		/* no error code: the frame is exceptions.S's exc_frame */
	pushq $\vec
	jmp irq_common
.endm

.macro IRQ_STUB_ADDR vec
	.quad irq_stub_\vec
.endm

	.set vec, IRQ_FIRST
	.rept IRQ_COUNT
	IRQ_STUB %vec
	.set vec, vec + 1
	.endr

/* The frame: GPRs, vector, a zero error code, the IRET frame (struct irq_frame). */
irq_common:
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rbx
	pushq %rax
	movq %rsp, %rdi
	cld
	call irq_dispatch	/* 22 pushes after a 16-aligned frame start: aligned */
	popq %rax
	popq %rbx
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	popq %r8
	popq %r9
	popq %r10
	popq %r11
	popq %r12
	popq %r13
	popq %r14
	popq %r15
	addq $16, %rsp		/* vector and error code */
	iretq

	.section .rodata
	.balign 8
	.globl irq_stub_table
irq_stub_table:
	.set vec, IRQ_FIRST
	.rept IRQ_COUNT
	IRQ_STUB_ADDR %vec
	.set vec, vec + 1
	.endr
