/*
 * Exception entry for vectors 0-31 and the register save/restore behind
 * catch_exception(). exceptions.c fills the IDT from exc_stub_table and
 * decides, in exc_handle, whether to resume the code that was running or a
 * catch_exception() caller.
 */

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
			   (v) == 29 || (v) == 30)

	.text
	.code64
	.altmacro		/* %vec below passes the value, to name the stubs */

.macro EXC_STUB vec
exc_stub_\vec:
	.if HAS_ERROR_CODE(\vec) == 0
	pushq $0		/* same frame layout with or without an error code */
	.endif
	pushq $\vec
	jmp exc_common
.endm

.macro EXC_STUB_ADDR vec
	.quad exc_stub_\vec
.endm

	.set vec, 0
	.rept 32
	EXC_STUB %vec
	.set vec, vec + 1
	.endr

/* The frame is struct exc_frame (exceptions.c): GPRs, vector, error code, IRET frame. */
exc_common:
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
	call exc_handle		/* 22 pushes after a 16-aligned frame start: aligned */
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

/*
 * int exc_run(struct exc_jmp *j, void (*fn)(void *), void *arg)
 * Saves what a return from here needs (callee-saved registers, the stack
 * pointer after return, the return address), then calls fn(arg) and
 * returns 0. exc_handle makes a caught exception "return 1" from here by
 * loading that state into the IRET frame.
 */
	.globl exc_run
exc_run:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	leaq 8(%rsp), %rax
	movq %rax, 48(%rdi)
	movq (%rsp), %rax
	movq %rax, 56(%rdi)
	subq $8, %rsp		/* 16-byte alignment for the call */
	movq %rsi, %rax
	movq %rdx, %rdi
	call *%rax
	addq $8, %rsp
	xorl %eax, %eax
	ret

	.section .rodata
	.balign 8
	.globl exc_stub_table
exc_stub_table:
	.set vec, 0
	.rept 32
	EXC_STUB_ADDR %vec
	.set vec, vec + 1
	.endr
