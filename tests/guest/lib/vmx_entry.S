/*
 * VM entry and exit for vmx.c.
 *
 *   int vmx_enter(struct vmx_gprs *g, int mode)
 *
 * mode 0: VMLAUNCH, 1: VMRESUME, 2: MOV SS, then VMLAUNCH (blocking by
 * MOV SS). Saves the callee-saved registers and the stack pointer in this
 * file's variables, loads the guest GPRs from *g and enters. Returns 1 on
 * VMfailValid (ZF), 2 on VMfailInvalid (CF), 0 after a VM exit, with the
 * guest GPRs saved into *g. An exception (#UD, #GP) leaves as
 * catch_exception() leaves any function.
 *
 * HOST_RSP is the top of vmx_exit_stack and HOST_RIP is vmx_exit_stub
 * (vmx_vmcs_init_l2), so entry needs no VMWRITE and faults exactly as the
 * VMLAUNCH or VMRESUME itself does. One CPU at a time.
 */
#define G_RAX 0
#define G_RBX 8
#define G_RCX 16
#define G_RDX 24
#define G_RSI 32
#define G_RDI 40
#define G_RBP 48
#define G_R8 56
#define G_R9 64
#define G_R10 72
#define G_R11 80
#define G_R12 88
#define G_R13 96
#define G_R14 104
#define G_R15 112

#define MODE_RESUME 1
#define MODE_MOV_SS 2

	.text
	.code64
	.globl vmx_enter
vmx_enter:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, vmx_host_rsp(%rip)
	movq %rdi, vmx_guest_gprs(%rip)
	movl %esi, vmx_mode(%rip)
	movq G_RAX(%rdi), %rax
	movq G_RBX(%rdi), %rbx
	movq G_RCX(%rdi), %rcx
	movq G_RDX(%rdi), %rdx
	movq G_RSI(%rdi), %rsi
	movq G_RBP(%rdi), %rbp
	movq G_R8(%rdi), %r8
	movq G_R9(%rdi), %r9
	movq G_R10(%rdi), %r10
	movq G_R11(%rdi), %r11
	movq G_R12(%rdi), %r12
	movq G_R13(%rdi), %r13
	movq G_R14(%rdi), %r14
	movq G_R15(%rdi), %r15
	movq G_RDI(%rdi), %rdi
	/* The flags are not guest state (GUEST_RFLAGS is): compare freely. */
	cmpl $MODE_RESUME, vmx_mode(%rip)
	je 1f
	cmpl $MODE_MOV_SS, vmx_mode(%rip)
	je 2f
	vmlaunch
	jmp vmx_enter_failed
1:	vmresume
	jmp vmx_enter_failed
2:	movw %ss, vmx_ss(%rip)
	movw vmx_ss(%rip), %ss
	vmlaunch
	/* Falls through only on VMfail: MOVs keep the flags. */
vmx_enter_failed:
	movq vmx_host_rsp(%rip), %rsp
	movl $1, %eax
	jz 3f
	movl $2, %eax
	jc 3f
	movl $3, %eax			/* neither flag: not an outcome the SDM has */
	jmp 3f

	.globl vmx_exit_stub
vmx_exit_stub:
	/* VM exit: RSP = HOST_RSP (vmx_exit_stack), the guest's GPRs in the registers. */
	pushq %rdi
	movq vmx_guest_gprs(%rip), %rdi
	movq %rax, G_RAX(%rdi)
	movq %rbx, G_RBX(%rdi)
	movq %rcx, G_RCX(%rdi)
	movq %rdx, G_RDX(%rdi)
	movq %rsi, G_RSI(%rdi)
	movq %rbp, G_RBP(%rdi)
	movq %r8, G_R8(%rdi)
	movq %r9, G_R9(%rdi)
	movq %r10, G_R10(%rdi)
	movq %r11, G_R11(%rdi)
	movq %r12, G_R12(%rdi)
	movq %r13, G_R13(%rdi)
	movq %r14, G_R14(%rdi)
	movq %r15, G_R15(%rdi)
	popq G_RDI(%rdi)
	movq vmx_host_rsp(%rip), %rsp
	xorl %eax, %eax
3:	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* L2: CPUID (exits unconditionally), VMCALL (exits), then UD2 (exits: bitmap all ones). */
	.globl vmx_l2_cpuid_vmcall
vmx_l2_cpuid_vmcall:
	cpuid
	vmcall
	ud2

	.section .bss
	.balign 16
	.globl vmx_exit_stack_top
vmx_exit_stack:
	.skip 256
vmx_exit_stack_top:
vmx_host_rsp:
	.skip 8
vmx_guest_gprs:
	.skip 8
vmx_mode:
	.skip 4
vmx_ss:
	.skip 2
