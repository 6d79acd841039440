/*
 * Interrupt and exception entry. Each vector's stub pushes a zero error code
 * where the CPU pushes none, then its vector number, and jumps to the common
 * path, which saves the GPRs to form a struct trap_frame (arch/x86/idt.h)
 * and calls trap_dispatch(frame). If that returns, state is restored and
 * IRETQ resumes the interrupted code.
 */
	.section .text

	/* Vectors for which the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30. */
	.macro trap_stub vec
	.balign 16
trap_stub_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
	.endm

	.altmacro
	.macro trap_stubs_from n
	trap_stub %n
	.endm
	.set vec, 0
	.rept 256
	trap_stubs_from %vec
	.set vec, vec + 1
	.endr

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	/* Align the stack for C; the frame pointer chain starts at the trap. */
	movq %rsp, %rbx
	andq $-16, %rsp
	cld
	call trap_dispatch
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp		/* vector and error code */
	iretq

	.section .rodata
	.balign 8
	.globl trap_stub_table
trap_stub_table:
	.macro trap_stub_addr n
	.quad trap_stub_\n
	.endm
	.set vec, 0
	.rept 256
	trap_stub_addr %vec
	.set vec, vec + 1
	.endr
