/*
 * The only VM entry. Contract (vmenter.h's vmx_vcpu_enter() calls it):
 *
 *   vmx_vcpu_enter_stub: %rdi = struct guest_gprs *gprs,
 *                        %rsi = struct loaded_vmcs *vmcs, %dl = launched
 *
 * `vmcs` must be current on this CPU and its host state (other than RSP
 * and RIP) already written. Loads the guest GPRs from `gprs`, then
 * VMRESUME if `launched`, else VMLAUNCH. Returns in %eax 0 after a VM
 * exit, with the guest GPRs saved back into `gprs`; 1 on VMfailValid (the
 * error is in VM_INSTRUCTION_ERROR), 2 on VMfailInvalid. Only RBP, RBX
 * and RSP survive: the caller's asm statement declares every other
 * register clobbered, so the compiler keeps in RBX what it needs most
 * after the exit (the vCPU) and reloads the rest only where it needs it.
 * RFLAGS comes back as the VM exit leaves it (IF=0).
 *
 * HOST_RSP is the stack pointer with `gprs` on top, so the exit path finds
 * `gprs` at 0(%rsp). It is written only when it differs from this VMCS's
 * cached value (the call stack to here is the same every time, so in
 * steady state it never is). HOST_RIP is vmx_vmexit, written once at
 * VMCS set-up.
 */
#include "arch/x86/vmx/vmcs_fields.h"
#include "asm_offsets.h"

	.section .text
	.globl vmx_vcpu_enter_stub
vmx_vcpu_enter_stub:
	pushq %rbp			/* the caller's frame pointer: the guest loads its own */
	pushq %rbx			/* one register the caller keeps: its vCPU, say */
	pushq %rdi			/* gprs: 0(%rsp) at VM exit */

	cmpq %rsp, LOADED_VMCS_HOST_RSP(%rsi)
	je 1f
	movq %rsp, LOADED_VMCS_HOST_RSP(%rsi)
	movq $HOST_RSP, %rax
	vmwrite %rsp, %rax
	movq %gs:PERCPU_VMX_ACCT, %rax	/* counted like every VMWRITE */
	incq EXIT_COUNTS_VMWRITES(%rax)
1:
	testb %dl, %dl			/* launched? ZF survives the MOVs below */
	movq GPR_RAX(%rdi), %rax
	movq GPR_RCX(%rdi), %rcx
	movq GPR_RDX(%rdi), %rdx
	movq GPR_RBX(%rdi), %rbx
	movq GPR_RBP(%rdi), %rbp
	movq GPR_RSI(%rdi), %rsi
	movq GPR_R8(%rdi), %r8
	movq GPR_R9(%rdi), %r9
	movq GPR_R10(%rdi), %r10
	movq GPR_R11(%rdi), %r11
	movq GPR_R12(%rdi), %r12
	movq GPR_R13(%rdi), %r13
	movq GPR_R14(%rdi), %r14
	movq GPR_R15(%rdi), %r15
	movq GPR_RDI(%rdi), %rdi
	jnz 2f
	vmlaunch
	jmp vmx_vmfail
2:	vmresume
	/* Falls through only on VMfail. */
vmx_vmfail:
	movl $1, %eax			/* VMfailValid: ZF=1 */
	jz 3f
	movl $2, %eax			/* VMfailInvalid: CF=1 */
	jmp 3f

	.globl vmx_vmexit
vmx_vmexit:
	pushq %rdi			/* guest RDI; gprs is now at 8(%rsp) */
	movq 8(%rsp), %rdi
	movq %rax, GPR_RAX(%rdi)
	movq %rcx, GPR_RCX(%rdi)
	movq %rdx, GPR_RDX(%rdi)
	movq %rbx, GPR_RBX(%rdi)
	movq %rbp, GPR_RBP(%rdi)
	movq %rsi, GPR_RSI(%rdi)
	movq %r8, GPR_R8(%rdi)
	movq %r9, GPR_R9(%rdi)
	movq %r10, GPR_R10(%rdi)
	movq %r11, GPR_R11(%rdi)
	movq %r12, GPR_R12(%rdi)
	movq %r13, GPR_R13(%rdi)
	movq %r14, GPR_R14(%rdi)
	movq %r15, GPR_R15(%rdi)
	popq GPR_RDI(%rdi)
	xorl %eax, %eax
3:	addq $8, %rsp			/* gprs */
	popq %rbx
	popq %rbp
	ret
