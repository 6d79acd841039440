/*
 * Ring transitions for catch_exception_cpl3 (cpl3.c).
 *
 * int cpl3_enter(void (*fn)(void *), void *arg, uint64_t user_rsp,
 *                struct cpl3_landing *out)
 * saves the callee-saved registers and the stack pointer, pushes the CPL-3
 * return address (cpl3_return) on the user stack and IRETQs to fn(arg) at
 * CPL 3. Back in ring 0, through an exception stub or the return gate,
 * cpl3_land fills *out (vector, error code, RIP, CS), reloads the data
 * segments (the IRETQ to CPL 3 nulled DS and ES, the way back nulled SS),
 * and returns the vector from cpl3_enter, or -1 when fn returned.
 */
#define SEL_DATA 0x10
#define SEL_USER_DATA_RPL3 0x23
#define SEL_USER_CODE_RPL3 0x2b
#define CPL3_RETURN_VECTOR 0x80
#define RFLAGS_RESERVED1 0x2

/* Vectors for which the CPU pushes an error code (as in exceptions.S). */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
			   (v) == 29 || (v) == 30)

	.text
	.code64
	.altmacro

	.globl cpl3_enter
cpl3_enter:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, cpl3_saved_rsp(%rip)
	movq %rcx, cpl3_out(%rip)
	/* fn's return address: 16-byte aligned user_rsp minus 8, as after a CALL. */
	subq $8, %rdx
	leaq cpl3_return(%rip), %rax
	movq %rax, (%rdx)
	pushq $SEL_USER_DATA_RPL3
	pushq %rdx
	pushq $RFLAGS_RESERVED1
	pushq $SEL_USER_CODE_RPL3
	pushq %rdi
	movq %rsi, %rdi
	iretq

/* CPL 3: fn returned. */
cpl3_return:
	int $CPL3_RETURN_VECTOR
	ud2

.macro CPL3_STUB vec
cpl3_stub_\vec:
	.if HAS_ERROR_CODE(\vec) == 0
	pushq $0
	.endif
	pushq $\vec
	jmp cpl3_land
.endm

.macro CPL3_STUB_ADDR vec
	.quad cpl3_stub_\vec
.endm

	.set vec, 0
	.rept 32
	CPL3_STUB %vec
	.set vec, vec + 1
	.endr

	.globl cpl3_stub_return
cpl3_stub_return:
	pushq $0
	pushq $-1
	/* fall through */

/* Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS (on the TSS's RSP0 stack). */
cpl3_land:
	movq cpl3_out(%rip), %rax
	popq 0(%rax)
	popq 8(%rax)
	popq 16(%rax)
	popq 24(%rax)
	movl $SEL_DATA, %ecx
	movl %ecx, %ds
	movl %ecx, %es
	movl %ecx, %ss
	movq cpl3_saved_rsp(%rip), %rsp
	movl 0(%rax), %eax
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.section .rodata
	.balign 8
	.globl cpl3_stub_table
cpl3_stub_table:
	.set vec, 0
	.rept 32
	CPL3_STUB_ADDR %vec
	.set vec, vec + 1
	.endr

	.section .bss
	.balign 8
cpl3_saved_rsp:
	.skip 8
cpl3_out:
	.skip 8
