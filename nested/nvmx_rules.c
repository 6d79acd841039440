/* The VMX instructions' fault and failure rules (SDM Vol. 3 chapter 31): see nvmx_rules.h. */
#include "nested/nvmx_rules.h"

#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/x86_bits.h"

static const struct nvmx_outcome ok = {NVMX_OUT_OK, 0};

static struct nvmx_outcome outcome(enum nvmx_outcome_kind kind)
{
	return (struct nvmx_outcome){kind, 0};
}

struct nvmx_outcome nvmx_fail_outcome(const struct nvmx_l1_state *s, uint32_t error)
{
	if (s->current_vmcs == NVMX_NO_VMCS)
		return outcome(NVMX_OUT_FAIL_INVALID);
	return (struct nvmx_outcome){NVMX_OUT_FAIL_VALID, error};
}

/* The mode conditions every VMX instruction raises #UD for. */
static bool ud_mode(const struct nvmx_l1_state *s)
{
	return !s->cr0_pe || !s->cr4_vmxe || s->rflags_vm || s->compat_mode;
}

/* A physical address that is not 4 KiB aligned or beyond the physical-address width. */
static bool bad_pa(const struct nvmx_l1_state *s, uint64_t pa)
{
	return (pa & PAGE_MASK_4K) || (s->maxphyaddr < 64 && (pa >> s->maxphyaddr));
}

struct nvmx_outcome nvmx_check_common(const struct nvmx_l1_state *s)
{
	if (ud_mode(s) || !s->in_vmx)
		return outcome(NVMX_OUT_UD);
	if (s->cpl > 0)
		return outcome(NVMX_OUT_GP);
	return ok;
}

struct nvmx_outcome nvmx_check_vmxon(const struct nvmx_l1_state *s, uint64_t ptr, uint32_t revision,
                                     uint32_t want_revision)
{
	if (ud_mode(s))
		return outcome(NVMX_OUT_UD);
	if (s->in_vmx) {
		/* In VMX root operation: only the privilege check comes first. */
		if (s->cpl > 0)
			return outcome(NVMX_OUT_GP);
		return nvmx_fail_outcome(s, VMXERR_VMXON_IN_ROOT);
	}
	if (s->cpl > 0 || !s->cr_fixed_ok || !s->feature_control_ok)
		return outcome(NVMX_OUT_GP);
	/* Outside VMX operation there is no current VMCS: these are VMfailInvalid. */
	if (bad_pa(s, ptr) || (revision & VMCS_REVISION_MASK) != want_revision ||
	    (revision & SHADOW_VMCS_INDICATOR))
		return outcome(NVMX_OUT_FAIL_INVALID);
	return ok;
}

struct nvmx_outcome nvmx_check_vmclear(const struct nvmx_l1_state *s, uint64_t ptr)
{
	struct nvmx_outcome c = nvmx_check_common(s);

	if (c.kind != NVMX_OUT_OK)
		return c;
	if (bad_pa(s, ptr))
		return nvmx_fail_outcome(s, VMXERR_VMCLEAR_INVALID_ADDR);
	if (ptr == s->vmxon_ptr)
		return nvmx_fail_outcome(s, VMXERR_VMCLEAR_VMXON_PTR);
	return ok;
}

struct nvmx_outcome nvmx_check_vmptrld(const struct nvmx_l1_state *s, uint64_t ptr,
                                       uint32_t revision, uint32_t want_revision,
                                       bool shadowing_offered)
{
	struct nvmx_outcome c = nvmx_check_common(s);

	if (c.kind != NVMX_OUT_OK)
		return c;
	if (bad_pa(s, ptr))
		return nvmx_fail_outcome(s, VMXERR_VMPTRLD_INVALID_ADDR);
	if (ptr == s->vmxon_ptr)
		return nvmx_fail_outcome(s, VMXERR_VMPTRLD_VMXON_PTR);
	if ((revision & VMCS_REVISION_MASK) != want_revision ||
	    ((revision & SHADOW_VMCS_INDICATOR) && !shadowing_offered))
		return nvmx_fail_outcome(s, VMXERR_VMPTRLD_INCORRECT_REVISION_ID);
	return ok;
}

struct nvmx_outcome nvmx_check_vmread_vmwrite(const struct nvmx_l1_state *s, uint32_t field_error)
{
	struct nvmx_outcome c = nvmx_check_common(s);

	if (c.kind != NVMX_OUT_OK)
		return c;
	/* With no current VMCS there is no field to look at: VMfailInvalid first. */
	if (s->current_vmcs == NVMX_NO_VMCS)
		return outcome(NVMX_OUT_FAIL_INVALID);
	if (field_error)
		return nvmx_fail_outcome(s, field_error);
	return ok;
}

struct nvmx_outcome nvmx_check_vmlaunch_vmresume(const struct nvmx_l1_state *s, bool launch,
                                                 bool launched, bool blocked_by_mov_ss)
{
	struct nvmx_outcome c = nvmx_check_common(s);

	if (c.kind != NVMX_OUT_OK)
		return c;
	if (s->current_vmcs == NVMX_NO_VMCS)
		return outcome(NVMX_OUT_FAIL_INVALID);
	if (blocked_by_mov_ss)
		return nvmx_fail_outcome(s, VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
	if (launch && launched)
		return nvmx_fail_outcome(s, VMXERR_VMLAUNCH_NONCLEAR_VMCS);
	if (!launch && !launched)
		return nvmx_fail_outcome(s, VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	return ok;
}

struct nvmx_outcome nvmx_check_invalidate(const struct nvmx_l1_state *s, uint64_t type,
                                          uint32_t supported_types)
{
	struct nvmx_outcome c = nvmx_check_common(s);

	if (c.kind != NVMX_OUT_OK)
		return c;
	if (type > 31 || !(supported_types & (1u << type)))
		return nvmx_fail_outcome(s, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	return ok;
}
