/* The VMX instructions' fault and failure rules (SDM Vol. 3 chapter 31): see vmx_rules.h. */
#include "nested/vmx_rules.h"

#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/x86_bits.h"

static const struct vmx_outcome ok = {VMX_OUT_OK, 0};

static struct vmx_outcome outcome(enum vmx_outcome_kind kind)
{
	return (struct vmx_outcome){kind, 0};
}

struct vmx_outcome vmx_fail(const struct vmx_l1_state *s, uint32_t error)
{
	if (s->current_vmcs == VMX_NO_VMCS)
		return outcome(VMX_OUT_FAIL_INVALID);
	return (struct vmx_outcome){VMX_OUT_FAIL_VALID, error};
}

/* The mode conditions every VMX instruction raises #UD for. */
static bool ud_mode(const struct vmx_l1_state *s)
{
	return !s->cr0_pe || !s->cr4_vmxe || s->rflags_vm || s->compat_mode;
}

/* A physical address that is not 4 KiB aligned or beyond the physical-address width. */
static bool bad_pa(const struct vmx_l1_state *s, uint64_t pa)
{
	return (pa & PAGE_MASK_4K) || (s->maxphyaddr < 64 && (pa >> s->maxphyaddr));
}

struct vmx_outcome vmx_check_common(const struct vmx_l1_state *s)
{
	if (ud_mode(s) || !s->in_vmx)
		return outcome(VMX_OUT_UD);
	if (s->cpl > 0)
		return outcome(VMX_OUT_GP);
	return ok;
}

struct vmx_outcome vmx_check_vmxon(const struct vmx_l1_state *s, uint64_t ptr, uint32_t revision,
                                   uint32_t want_revision)
{
	if (ud_mode(s))
		return outcome(VMX_OUT_UD);
	if (s->in_vmx) {
		/* In VMX root operation: only the privilege check comes first. */
		if (s->cpl > 0)
			return outcome(VMX_OUT_GP);
		return vmx_fail(s, VMXERR_VMXON_IN_ROOT);
	}
	if (s->cpl > 0 || !s->cr_fixed_ok || !s->feature_control_ok)
		return outcome(VMX_OUT_GP);
	/* Outside VMX operation there is no current VMCS: these are VMfailInvalid. */
	if (bad_pa(s, ptr) || (revision & VMCS_REVISION_MASK) != want_revision ||
	    (revision & SHADOW_VMCS_INDICATOR))
		return outcome(VMX_OUT_FAIL_INVALID);
	return ok;
}

struct vmx_outcome vmx_check_vmclear(const struct vmx_l1_state *s, uint64_t ptr)
{
	struct vmx_outcome c = vmx_check_common(s);

	if (c.kind != VMX_OUT_OK)
		return c;
	if (bad_pa(s, ptr))
		return vmx_fail(s, VMXERR_VMCLEAR_INVALID_ADDR);
	if (ptr == s->vmxon_ptr)
		return vmx_fail(s, VMXERR_VMCLEAR_VMXON_PTR);
	return ok;
}

struct vmx_outcome vmx_check_vmptrld(const struct vmx_l1_state *s, uint64_t ptr, uint32_t revision,
                                     uint32_t want_revision, bool shadowing_offered)
{
	struct vmx_outcome c = vmx_check_common(s);

	if (c.kind != VMX_OUT_OK)
		return c;
	if (bad_pa(s, ptr))
		return vmx_fail(s, VMXERR_VMPTRLD_INVALID_ADDR);
	if (ptr == s->vmxon_ptr)
		return vmx_fail(s, VMXERR_VMPTRLD_VMXON_PTR);
	if ((revision & VMCS_REVISION_MASK) != want_revision ||
	    ((revision & SHADOW_VMCS_INDICATOR) && !shadowing_offered))
		return vmx_fail(s, VMXERR_VMPTRLD_INCORRECT_REVISION_ID);
	return ok;
}

struct vmx_outcome vmx_check_vmread_vmwrite(const struct vmx_l1_state *s, uint32_t field_error)
{
	struct vmx_outcome c = vmx_check_common(s);

	if (c.kind != VMX_OUT_OK)
		return c;
	/* With no current VMCS there is no field to look at: VMfailInvalid first. */
	if (s->current_vmcs == VMX_NO_VMCS)
		return outcome(VMX_OUT_FAIL_INVALID);
	if (field_error)
		return vmx_fail(s, field_error);
	return ok;
}

struct vmx_outcome vmx_check_vmlaunch_vmresume(const struct vmx_l1_state *s, bool launch,
                                               bool launched, bool blocked_by_mov_ss)
{
	struct vmx_outcome c = vmx_check_common(s);

	if (c.kind != VMX_OUT_OK)
		return c;
	if (s->current_vmcs == VMX_NO_VMCS)
		return outcome(VMX_OUT_FAIL_INVALID);
	if (blocked_by_mov_ss)
		return vmx_fail(s, VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
	if (launch && launched)
		return vmx_fail(s, VMXERR_VMLAUNCH_NONCLEAR_VMCS);
	if (!launch && !launched)
		return vmx_fail(s, VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	return ok;
}

struct vmx_outcome vmx_check_invalidate(const struct vmx_l1_state *s, uint64_t type,
                                        uint32_t supported_types)
{
	struct vmx_outcome c = vmx_check_common(s);

	if (c.kind != VMX_OUT_OK)
		return c;
	if (type > 31 || !(supported_types & (1u << type)))
		return vmx_fail(s, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	return ok;
}
