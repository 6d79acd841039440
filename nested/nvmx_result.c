/*
 * How an emulated VMX instruction ends for L1 (SDM Vol. 3 31.2): VMsucceed,
 * VMfailInvalid or VMfailValid in RFLAGS, the error number in vmcs12, then
 * past the instruction. Below every module that emulates one.
 */
#include "arch/x86/x86_bits.h"
#include "nested/nested_internal.h"
#include "nested/vmcs12.h"
#include "nested/nvmx_rules.h"

static void set_flags(struct vcpu *v, uint64_t flags)
{
	uint64_t rf = reg_cache_read(&v->regs, REG_RFLAGS);

	reg_cache_write(&v->regs, REG_RFLAGS, (rf & ~RFLAGS_ARITH) | flags);
	vcpu_skip_instruction(v);
}

void nvmx_succeed(struct vcpu *v)
{
	set_flags(v, 0);
}

void nvmx_fail_invalid(struct vcpu *v)
{
	set_flags(v, RFLAGS_CF);
}

void nvmx_fail(struct vcpu *v, uint32_t error)
{
	if (v->nested.current_ptr == NVMX_NO_VMCS) {
		nvmx_fail_invalid(v);
		return;
	}
	v->nested.vmcs12->vm_instruction_error = error;
	set_flags(v, RFLAGS_ZF);
}
