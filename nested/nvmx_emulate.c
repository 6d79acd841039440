/*
 * The VMX instructions an L1 executes: every one exits (VMX non-root
 * operation), and Umbra does what the CPU L1 believes it has would do,
 * rules first (nvmx_rules.c, in the SDM's order), then the instruction's
 * effect on the L1's VMX state and vmcs12 cache.
 */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/console.h"
#include "nested/nested.h"
#include "nested/entry_checks.h"
#include "nested/nested_internal.h"
#include "nested/vmcs12.h"
#include "nested/nvmx_operand.h"
#include "nested/nvmx_rules.h"
#include "vcpu/guest_mem.h"
#include "abi/umbra_abi.h"
#include "vcpu/vm.h"
#include "vcpu/vmcs_setup.h"

#define SEG_SS        2
#define SEG_FS        4
#define INV_DESC_SIZE 16
#define VPID_MASK     0xffffULL

static bool long_mode_64(void)
{
	return (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) && (vmcs_read32(GUEST_CS_AR_BYTES) & AR_L);
}

/* CR0/CR4 as L1 sees them (its read shadows under Umbra's masks); vmcs01 current. */
static uint64_t l1_cr0(struct vcpu *v)
{
	uint64_t shadow = vmcs_readl(CR0_READ_SHADOW);

	return (reg_cache_read(&v->regs, REG_CR0) & ~VMCS_CR0_HOST_OWNED) |
	       (shadow & VMCS_CR0_HOST_OWNED);
}

static uint64_t l1_cr4(struct vcpu *v)
{
	uint64_t shadow = vmcs_readl(CR4_READ_SHADOW);

	return (reg_cache_read(&v->regs, REG_CR4) & ~VMCS_CR4_HOST_OWNED) |
	       (shadow & VMCS_CR4_HOST_OWNED);
}

/*
 * The L1's state as the rules read it, at the exit of a VMX instruction
 * (VMCALL's aside: vmcall_state). The CPU raises #UD for CR0.PE = 0,
 * virtual-8086 mode and compatibility mode before such an instruction
 * exits (SDM "Relative Priority of Faults and VM Exits" and each one's
 * Operation section), so those passed; CR4.VMXE, fixed to 1 in VMX
 * operation (cr.c), matters to VMXON alone (vmxon_state).
 */
static void l1_state(struct vcpu *v, struct nvmx_l1_state *s)
{
	const struct nested_vmx *n = &v->nested;

	s->cr0_pe = true;
	s->cr4_vmxe = true;
	s->rflags_vm = false;
	s->compat_mode = false;
	s->cpl = (uint8_t)vcpu_cpl(v);
	s->in_vmx = n->vmxon;
	s->vmxon_ptr = n->vmxon_ptr;
	s->current_vmcs = n->current_ptr;
	s->maxphyaddr = nested_caps.maxphyaddr;
	/* Only VMXON's checks read these: vmxon_state() fills them. */
	s->feature_control_ok = false;
	s->cr_fixed_ok = false;
}

/*
 * VMCALL exits before its mode checks (its Operation section: #UD outside
 * VMX operation, then the exit, then virtual-8086 and compatibility mode).
 */
static void vmcall_state(struct vcpu *v, struct nvmx_l1_state *s)
{
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);

	l1_state(v, s);
	s->rflags_vm = reg_cache_read(&v->regs, REG_RFLAGS) & RFLAGS_VM;
	s->compat_mode = (efer & EFER_LMA) && !(vmcs_read32(GUEST_CS_AR_BYTES) & AR_L);
}

/* l1_state() with what only VMXON checks: CR4.VMXE, IA32_FEATURE_CONTROL, the CRs' fixed bits. */
static void vmxon_state(struct vcpu *v, struct nvmx_l1_state *s)
{
	const struct nested_vmx *n = &v->nested;
	uint64_t cr0 = l1_cr0(v), cr4 = l1_cr4(v);

	l1_state(v, s);
	s->cr4_vmxe = cr4 & CR4_VMXE;
	s->feature_control_ok = (n->feature_control & FEATURE_CONTROL_LOCKED) &&
	                        (n->feature_control & FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
	s->cr_fixed_ok = vmx_cr_valid(cr0, nested_caps_get(&nested_caps, MSR_IA32_VMX_CR0_FIXED0),
	                              nested_caps_get(&nested_caps, MSR_IA32_VMX_CR0_FIXED1)) &&
	                 vmx_cr_valid(cr4, nested_caps_get(&nested_caps, MSR_IA32_VMX_CR4_FIXED0),
	                              nested_caps_get(&nested_caps, MSR_IA32_VMX_CR4_FIXED1));
}

/* Applies a rule's outcome; true if the instruction goes on (NVMX_OUT_OK). */
static bool apply(struct vcpu *v, struct nvmx_outcome o)
{
	switch (o.kind) {
	case NVMX_OUT_OK: return true;
	case NVMX_OUT_UD: vcpu_inject_exception(v, VECTOR_UD, false, 0); return false;
	case NVMX_OUT_GP: vcpu_inject_exception(v, VECTOR_GP, true, 0); return false;
	case NVMX_OUT_FAIL_INVALID: nvmx_fail_invalid(v); return false;
	case NVMX_OUT_FAIL_VALID: nvmx_fail(v, o.error); return false;
	}
	return false;
}

/* The memory operand's linear address (64-bit mode ignores the ES/CS/SS/DS bases). */
static uint64_t operand_address(struct vcpu *v, const struct nvmx_insn_info *ii)
{
	uint64_t gpr[GUEST_GPR_COUNT], base = 0;

	for (unsigned int i = 0; i < GUEST_GPR_COUNT; i++)
		gpr[i] = vcpu_reg_read(v, i);
	if (!long_mode_64() || ii->segment >= SEG_FS)
		base = __vmcs_read(GUEST_ES_BASE + 2u * ii->segment);
	return nvmx_operand_linear(ii, reg_cache_read(&v->regs, REG_EXIT_QUALIFICATION), base, gpr);
}

static void insn_info(struct nvmx_insn_info *ii)
{
	nvmx_insn_info_decode(vmcs_read32(VMX_INSTRUCTION_INFO), ii);
}

/*
 * The memory operand's fault: a non-canonical address is #SS(0) through
 * SS (base RSP or RBP), #GP(0) through any other segment (SDM Vol. 3,
 * the 64-bit-mode exceptions of each VMX instruction); else a page fault.
 */
static void operand_fault(struct vcpu *v, const struct nvmx_insn_info *ii, uint64_t la, int rc,
                          enum guest_access acc)
{
	if (guest_walk_reason(rc) == GUEST_WALK_NONCANONICAL && ii->segment == SEG_SS)
		vcpu_inject_exception(v, VECTOR_SS, true, 0);
	else
		vcpu_inject_access_fault(v, la, rc, acc);
}

/* Reads the memory operand; false after injecting the fault. */
static bool read_mem(struct vcpu *v, const struct nvmx_insn_info *ii, void *buf, size_t len)
{
	uint64_t la = operand_address(v, ii);
	int rc = vcpu_linear_read(v, la, buf, len);

	if (rc < 0) {
		operand_fault(v, ii, la, rc, GUEST_ACC_READ);
		return false;
	}
	return true;
}

static bool write_mem(struct vcpu *v, const struct nvmx_insn_info *ii, const void *buf, size_t len)
{
	uint64_t la = operand_address(v, ii);
	int rc = vcpu_linear_write(v, la, buf, len);

	if (rc < 0) {
		operand_fault(v, ii, la, rc, GUEST_ACC_WRITE);
		return false;
	}
	return true;
}

/* The 64-bit pointer operand of VMXON, VMCLEAR and VMPTRLD. */
static bool read_pointer(struct vcpu *v, uint64_t *ptr)
{
	struct nvmx_insn_info ii;

	insn_info(&ii);
	return read_mem(v, &ii, ptr, sizeof(*ptr));
}

/* A region's first dword; memory that is not RAM reads as all ones, as unbacked memory does. */
static uint32_t region_revision(struct vcpu *v, uint64_t ptr)
{
	const uint32_t *p = vm_gpa_to_ptr(v->vm, gpa_of(ptr), sizeof(*p));

	return p ? *p : UINT32_MAX;
}

static void emulate_vmxon(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;
	struct nvmx_l1_state s;
	uint64_t ptr;

	vmxon_state(v, &s);
	/* The checks before the operand is read (a valid-looking region stands in). */
	if (!apply(v, nvmx_check_vmxon(&s, 0, VMCS12_REVISION_ID, VMCS12_REVISION_ID)))
		return;
	if (!read_pointer(v, &ptr))
		return;
	if (!apply(v, nvmx_check_vmxon(&s, ptr, region_revision(v, ptr), VMCS12_REVISION_ID)))
		return;
	n->vmxon = true;
	n->vmxon_ptr = ptr;
	n->current_ptr = NVMX_NO_VMCS;
	nvmx_succeed(v);
}

static void emulate_vmxoff(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;
	struct nvmx_l1_state s;

	l1_state(v, &s);
	if (!apply(v, nvmx_check_common(&s)))
		return;
	nested_vmcs12_flush(v);
	shadow_vmcs_activate(v, false);
	nested_sept_drop_all(v);
	n->vmxon = false;
	n->current_ptr = NVMX_NO_VMCS;
	nvmx_succeed(v);
}

static void emulate_vmclear(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;
	struct nvmx_l1_state s;
	uint64_t ptr;
	uint32_t *launch;

	l1_state(v, &s);
	if (!apply(v, nvmx_check_common(&s)) || !read_pointer(v, &ptr))
		return;
	if (!apply(v, nvmx_check_vmclear(&s, ptr)))
		return;
	if (ptr == n->current_ptr) {
		n->vmcs12->launch_state = VMCS12_LAUNCH_CLEAR;
		nested_vmcs12_flush(v);
		shadow_vmcs_activate(v, false);
		n->current_ptr = NVMX_NO_VMCS;
	} else {
		/* Not cached: its launch state is in L1 memory (if it is RAM at all). */
		launch = vm_gpa_to_ptr(v->vm, gpa_of(ptr + offsetof(struct vmcs12, launch_state)),
		                       sizeof(*launch));
		if (launch)
			*launch = VMCS12_LAUNCH_CLEAR;
	}
	nvmx_succeed(v);
}

static void emulate_vmptrld(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;
	struct nvmx_l1_state s;
	uint64_t ptr;
	const void *region;

	l1_state(v, &s);
	if (!apply(v, nvmx_check_common(&s)) || !read_pointer(v, &ptr))
		return;
	if (!apply(v,
	           nvmx_check_vmptrld(&s, ptr, region_revision(v, ptr), VMCS12_REVISION_ID, false)))
		return;
	if (ptr != n->current_ptr) {
		region = vm_gpa_to_ptr(v->vm, gpa_of(ptr), sizeof(struct vmcs12));
		if (!region) {
			/* Unreachable: a region that is not RAM fails the revision check. */
			nvmx_fail(v, VMXERR_VMPTRLD_INCORRECT_REVISION_ID);
			return;
		}
		nested_vmcs12_flush(v);
		memcpy(n->vmcs12, region, sizeof(struct vmcs12));
		if (n->vmcs12->launch_state != VMCS12_LAUNCH_LAUNCHED)
			n->vmcs12->launch_state = VMCS12_LAUNCH_CLEAR;
		/* vmcs02 was not built from it: every field must reach vmcs02 at the next entry. */
		vmcs12_dirty_set_all(&n->vmcs12->dirty);
		n->current_ptr = ptr;
		shadow_vmcs_activate(v, true);
		shadow_vmcs_load(v, &v->vmcs);
	}
	nvmx_succeed(v);
}

static void emulate_vmptrst(struct vcpu *v)
{
	struct nvmx_l1_state s;
	struct nvmx_insn_info ii;
	uint64_t ptr = v->nested.current_ptr;

	l1_state(v, &s);
	if (!apply(v, nvmx_check_common(&s)))
		return;
	insn_info(&ii);
	if (write_mem(v, &ii, &ptr, sizeof(ptr)))
		nvmx_succeed(v);
}

static void emulate_vmread_vmwrite(struct vcpu *v, bool write)
{
	struct nested_vmx *n = &v->nested;
	struct nvmx_l1_state s;
	struct nvmx_insn_info ii;
	bool is64 = long_mode_64();
	size_t size = is64 ? 8 : 4;
	uint64_t field, val = 0;
	int err;

	l1_state(v, &s);
	if (!apply(v, nvmx_check_common(&s)))
		return;
	if (n->current_ptr == NVMX_NO_VMCS) {
		apply(v, nvmx_check_vmread_vmwrite(&s, 0));
		return;
	}
	insn_info(&ii);
	field = vcpu_reg_read(v, ii.reg2);
	if (!is64)
		field = (uint32_t)field;
	if (write) {
		if (ii.mem) {
			if (!read_mem(v, &ii, &val, size))
				return;
		} else {
			val = vcpu_reg_read(v, ii.reg1);
		}
		if (!is64)
			val = (uint32_t)val;
		err = vmcs12_write(n->vmcs12, field, val,
		                   nested_caps_get(&nested_caps, MSR_IA32_VMX_MISC) &
		                           VMX_MISC_VMWRITE_ANY_FIELD);
		if (!apply(v, nvmx_check_vmread_vmwrite(&s, (uint32_t)err)))
			return;
		/* A read-only field L1 may write (IA32_VMX_MISC bit 29) may be shadowed. */
		shadow_vmcs_write_field(v, (unsigned int)vmcs12_field_index(field & ~1ULL));
	} else {
		/* L1 reads what is not shadowed: L2's whole state must be in vmcs12. */
		nested_sync_l2_rare(v);
		err = vmcs12_read(n->vmcs12, field, &val);
		if (!apply(v, nvmx_check_vmread_vmwrite(&s, (uint32_t)err)))
			return;
		if (ii.mem) {
			if (!write_mem(v, &ii, &val, size))
				return;
		} else {
			vcpu_reg_write(v, ii.reg1, is64 ? val : (uint32_t)val);
		}
	}
	nvmx_succeed(v);
}

static void emulate_vmlaunch_vmresume(struct vcpu *v, bool launch)
{
	struct nvmx_l1_state s;
	bool mov_ss = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & BLOCK_MOV_SS;
	bool launched;

	l1_state(v, &s);
	launched = s.current_vmcs != NVMX_NO_VMCS &&
	           v->nested.vmcs12->launch_state == VMCS12_LAUNCH_LAUNCHED;
	/* The common checks come first in it. */
	if (apply(v, nvmx_check_vmlaunch_vmresume(&s, launch, launched, mov_ss)))
		nested_vmentry(v, launch);
}

/*
 * What INVEPT and INVVPID share (SDM pseudo-code): #UD if the CPU L1 sees
 * has no such instruction (no type offered), the common checks, the type
 * (32 bits outside 64-bit mode) checked before the descriptor is read, then
 * the 128-bit descriptor. False if the instruction ended there.
 */
static bool invalidate_operands(struct vcpu *v, uint32_t types, uint64_t *type, uint64_t desc[2])
{
	struct nvmx_l1_state s;
	struct nvmx_insn_info ii;

	l1_state(v, &s);
	if (!types) {
		vcpu_inject_exception(v, VECTOR_UD, false, 0);
		return false;
	}
	if (!apply(v, nvmx_check_common(&s)))
		return false;
	insn_info(&ii);
	*type = vcpu_reg_read(v, ii.reg2);
	if (!long_mode_64())
		*type = (uint32_t)*type;
	if (!apply(v, nvmx_check_invalidate(&s, *type, types)))
		return false;
	return read_mem(v, &ii, desc, INV_DESC_SIZE);
}

/* INVVPID: the L1 VPIDs' hardware VPIDs are flushed (nested_invvpid). */
static void emulate_invvpid(struct vcpu *v)
{
	uint64_t desc[2], type;

	if (!invalidate_operands(v, nested_caps_invvpid_types(&nested_caps), &type, desc))
		return;
	if ((desc[0] & ~VPID_MASK) || (type != INVVPID_ALL_CONTEXT && (desc[0] & VPID_MASK) == 0) ||
	    (type == INVVPID_INDIVIDUAL_ADDR && !nested_canonical(desc[1]))) {
		nvmx_fail(v, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
		return;
	}
	nested_invvpid(v, type, (uint16_t)desc[0], desc[1]);
	nvmx_succeed(v);
}

/*
 * INVEPT: a single-context EPTP held to VM entry's EPTP checks; then the
 * shadow EPT engine drops what it built from the EPTs named (nested_invept).
 */
static void emulate_invept(struct vcpu *v)
{
	uint64_t desc[2], type;

	if (!invalidate_operands(v, nested_caps_invept_types(&nested_caps), &type, desc))
		return;
	/* Descriptor bits 127:64 are reserved; the pseudo-code does not look at them. */
	if (type == INVEPT_SINGLE_CONTEXT && !nested_eptp_valid(&nested_caps, desc[0])) {
		nvmx_fail(v, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
		return;
	}
	nested_invept(v, type, desc[0]);
	nvmx_succeed(v);
}

void nested_exit_vmx_instruction(struct vcpu *v, uint32_t basic)
{
	/* L1 executed it: every emulation below reads and writes vmcs01. */
	VMCS_ASSERT_CURRENT(&v->vmcs);
	if (!v->nested.enabled) {
		/* VMX is not offered to this guest: the CPU it sees would raise #UD. */
		vcpu_inject_exception(v, VECTOR_UD, false, 0);
		return;
	}
	switch (basic) {
	case EXIT_REASON_VMON: emulate_vmxon(v); return;
	case EXIT_REASON_VMOFF: emulate_vmxoff(v); return;
	case EXIT_REASON_VMCLEAR: emulate_vmclear(v); return;
	case EXIT_REASON_VMPTRLD: emulate_vmptrld(v); return;
	case EXIT_REASON_VMPTRST: emulate_vmptrst(v); return;
	case EXIT_REASON_VMREAD: emulate_vmread_vmwrite(v, false); return;
	case EXIT_REASON_VMWRITE: emulate_vmread_vmwrite(v, true); return;
	case EXIT_REASON_VMLAUNCH: emulate_vmlaunch_vmresume(v, true); return;
	case EXIT_REASON_VMRESUME: emulate_vmlaunch_vmresume(v, false); return;
	case EXIT_REASON_INVVPID: emulate_invvpid(v); return;
	case EXIT_REASON_INVEPT: emulate_invept(v); return;
	default:
		/* VMFUNC: VM functions are not offered (l1_caps.h). */
		vcpu_inject_exception(v, VECTOR_UD, false, 0);
	}
}

bool nested_vmcall(struct vcpu *v)
{
	struct nvmx_l1_state s;
	struct nvmx_outcome o;

	/* Umbra's hypercalls keep working in and out of VMX operation (abi/umbra_abi.h). */
	if (!v->nested.enabled || v->gprs.rax < UMBRA_HC_COUNT)
		return false;
	/* Any other VMCALL is the SDM's: #UD outside VMX operation, VMfail(1) in it. */
	vmcall_state(v, &s);
	o = nvmx_check_common(&s);
	if (o.kind == NVMX_OUT_OK)
		o = nvmx_fail_outcome(&s, VMXERR_VMCALL_IN_ROOT);
	apply(v, o);
	return true;
}
