/*
 * Struct offsets for assembly, generated at build time (never hand-copied):
 * the Makefile compiles this file to assembly and turns each "->NAME value"
 * marker into "#define NAME value" in build/include/asm_offsets.h.
 */
#include <stddef.h>

#include "arch/x86/percpu.h"
#include "arch/x86/vmx/vmcs.h"
#include "abi/umbra_abi.h"
#include "arch/x86/vmx/guest_gprs.h"

#define DEFINE(sym, val)          __asm__ volatile("\n.ascii \"->" #sym " %c0\"" : : "i"(val))
#define OFFSET(sym, type, member) DEFINE(sym, offsetof(struct type, member))

void asm_offsets(void);

void asm_offsets(void)
{
	OFFSET(GPR_RAX, guest_gprs, rax);
	OFFSET(GPR_RCX, guest_gprs, rcx);
	OFFSET(GPR_RDX, guest_gprs, rdx);
	OFFSET(GPR_RBX, guest_gprs, rbx);
	OFFSET(GPR_RBP, guest_gprs, rbp);
	OFFSET(GPR_RSI, guest_gprs, rsi);
	OFFSET(GPR_RDI, guest_gprs, rdi);
	OFFSET(GPR_R8, guest_gprs, r8);
	OFFSET(GPR_R9, guest_gprs, r9);
	OFFSET(GPR_R10, guest_gprs, r10);
	OFFSET(GPR_R11, guest_gprs, r11);
	OFFSET(GPR_R12, guest_gprs, r12);
	OFFSET(GPR_R13, guest_gprs, r13);
	OFFSET(GPR_R14, guest_gprs, r14);
	OFFSET(GPR_R15, guest_gprs, r15);
	OFFSET(LOADED_VMCS_HOST_RSP, loaded_vmcs, host_state.rsp);
	OFFSET(PERCPU_VMX_ACCT, percpu, vmx_acct);
	OFFSET(EXIT_COUNTS_VMWRITES, umbra_exit_counts, vmwrites);
}
