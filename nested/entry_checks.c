/* The VM-entry checks on a vmcs12 (SDM Vol. 3 26.2, 26.3.1): see entry_checks.h. */
#include "nested/entry_checks.h"

#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/x86_bits.h"
#include "vcpu/guest_efer.h"

#define LINEAR_BITS 48

#define SEL_RPL_TI 7u
#define SEL_TI     4u

#define AR_TYPE_DATA_RW_ACCESSED 3u    /* read/write, accessed, expand-up data */
#define AR_V86                   0xf3u /* virtual-8086 segments: that data type, S, DPL 3, P */

/* Entry interruption information's type, shifted down (vmx_bits.h's INTR_TYPE_* are in place). */
#define INTR_TYPE(i)   (((i) >> 8) & 7u)
#define ITYPE_EXT_INT  0u
#define ITYPE_RESERVED 1u
#define ITYPE_NMI      2u
#define ITYPE_HW_EXC   3u
#define ITYPE_SW_INT   4u
#define ITYPE_PRIV_SW  5u
#define ITYPE_SW_EXC   6u
#define ITYPE_OTHER    7u

/* EPTP fields (SDM Vol. 3 24.6.11). */
#define EPTP_MEMTYPE(e)      ((e)&7u)
#define EPTP_MEMTYPE_UC      0u
#define EPTP_MEMTYPE_WB      6u
#define EPTP_WALK_MINUS_1(e) (((e) >> 3) & 7u)
#define EPTP_WALK_4_LEVEL    3u
#define EPTP_AD_ENABLE       (1ULL << 6)
#define EPTP_RESERVED        0xf80ULL /* bits 11:7 (bit 7: supervisor shadow stacks, not offered) */

/* Pending debug exceptions (SDM Vol. 3 24.4.2). */
#define PENDING_DBG_ENABLED_BP (1ULL << 12)
#define PENDING_DBG_RTM        (1ULL << 16)

#define CR3_TARGETS(misc) \
	((uint32_t)((misc) >> VMX_MISC_CR3_TARGETS_SHIFT & VMX_MISC_CR3_TARGETS_MASK))

bool nested_canonical(uint64_t la)
{
	return (uint64_t)((int64_t)(la << 16) >> 16) == la;
}

bool nested_pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

static bool beyond(const struct nested_entry_env *env, uint64_t pa)
{
	return env->caps->maxphyaddr < 64 && (pa >> env->caps->maxphyaddr);
}

static uint64_t cap(const struct nested_entry_env *env, uint32_t msr)
{
	return nested_caps_get(env->caps, msr);
}

const char *nested_check_eptp(const struct nested_caps *caps, uint64_t eptp)
{
	uint64_t ev = nested_caps_get(caps, MSR_IA32_VMX_EPT_VPID_CAP);
	uint32_t type = EPTP_MEMTYPE(eptp);

	if (!(type == EPTP_MEMTYPE_UC && (ev & VMX_EPT_MEMTYPE_UC)) &&
	    !(type == EPTP_MEMTYPE_WB && (ev & VMX_EPT_MEMTYPE_WB)))
		return "26.2.1.1: EPTP memory type not one IA32_VMX_EPT_VPID_CAP allows";
	/* 4-level only: Umbra offers no 5-level walk (IA32_VMX_EPT_VPID_CAP bit 7). */
	if (EPTP_WALK_MINUS_1(eptp) != EPTP_WALK_4_LEVEL || !(ev & VMX_EPT_PAGE_WALK_4))
		return "26.2.1.1: EPTP page-walk length not a supported one (4-level)";
	if ((eptp & EPTP_AD_ENABLE) && !(ev & VMX_EPT_AD))
		return "26.2.1.1: EPTP A/D enable without IA32_VMX_EPT_VPID_CAP bit 21";
	if ((eptp & EPTP_RESERVED) || (caps->maxphyaddr < 64 && (eptp >> caps->maxphyaddr)))
		return "26.2.1.1: EPTP reserved bits 11:7 or bits beyond MAXPHYADDR set";
	return NULL;
}

/* An MSR load/store list: 16-byte entries, aligned, wholly below MAXPHYADDR (26.2.1.2, .3). */
static bool msr_list_ok(const struct nested_entry_env *env, uint64_t addr, uint32_t count)
{
	if (!count)
		return true;
	return !(addr & 0xf) && !beyond(env, addr) && !beyond(env, addr + (uint64_t)count * 16 - 1);
}

static bool error_code_vector(uint32_t v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

/* 26.2.1.3: the event to inject, if any. */
const char *nested_check_entry_intr(const struct vmcs12 *c)
{
	uint32_t i = c->vm_entry_intr_info_field;
	uint32_t type = INTR_TYPE(i), vec = INTR_INFO_VECTOR(i);
	bool err_expected;

	if (!(i & INTR_INFO_VALID))
		return NULL;
	if (type == ITYPE_RESERVED || type == ITYPE_OTHER)
		return "26.2.1.3: VM-entry interruption type is reserved or not supported";
	if (type == ITYPE_NMI && vec != VECTOR_NMI)
		return "26.2.1.3: NMI injection with a vector other than 2";
	if (type == ITYPE_HW_EXC && vec > 31)
		return "26.2.1.3: hardware exception with a vector above 31";
	err_expected = type == ITYPE_HW_EXC && error_code_vector(vec) && (c->guest_cr0 & CR0_PE);
	if (!!(i & INTR_INFO_DELIVER_CODE) != err_expected)
		return "26.2.1.3: deliver-error-code bit disagrees with the type and vector";
	if ((i & INTR_INFO_DELIVER_CODE) && (c->vm_entry_exception_error_code >> 16))
		return "26.2.1.3: the error code to deliver has bits 31:16 set";
	if (i & INTR_INFO_RESERVED)
		return "26.2.1.3: VM-entry interruption-information bits 30:12 are not 0";
	if ((type == ITYPE_SW_INT || type == ITYPE_PRIV_SW || type == ITYPE_SW_EXC) &&
	    (c->vm_entry_instruction_len < 1 || c->vm_entry_instruction_len > 15))
		return "26.2.1.3: software event with an instruction length outside 1..15";
	return NULL;
}

const char *nested_check_controls(const struct vmcs12 *c, const struct nested_entry_env *env)
{
	uint32_t proc2 = 0;

	/* 26.2.1.1: VM-execution controls. */
	if (!nested_ctl_ok(cap(env, MSR_IA32_VMX_TRUE_PINBASED_CTLS), c->pin_based_vm_exec_control))
		return "26.2.1.1: pin-based controls outside IA32_VMX_TRUE_PINBASED_CTLS";
	if (!nested_ctl_ok(cap(env, MSR_IA32_VMX_TRUE_PROCBASED_CTLS),
	                   c->cpu_based_vm_exec_control))
		return "26.2.1.1: processor-based controls outside IA32_VMX_TRUE_PROCBASED_CTLS";
	if (c->cpu_based_vm_exec_control & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) {
		proc2 = c->secondary_vm_exec_control;
		if (!nested_ctl_ok(cap(env, MSR_IA32_VMX_PROCBASED_CTLS2), proc2))
			return "26.2.1.1: secondary controls outside IA32_VMX_PROCBASED_CTLS2";
	}
	if (c->cr3_target_count > CR3_TARGETS(cap(env, MSR_IA32_VMX_MISC)))
		return "26.2.1.1: CR3-target count above IA32_VMX_MISC bits 24:16";
	if ((c->cpu_based_vm_exec_control & CPU_BASED_USE_IO_BITMAPS) &&
	    ((c->io_bitmap_a & 0xfff) || beyond(env, c->io_bitmap_a) || (c->io_bitmap_b & 0xfff) ||
	     beyond(env, c->io_bitmap_b)))
		return "26.2.1.1: I/O bitmap address not 4-KiB aligned or beyond MAXPHYADDR";
	if ((c->cpu_based_vm_exec_control & CPU_BASED_USE_MSR_BITMAPS) &&
	    ((c->msr_bitmap & 0xfff) || beyond(env, c->msr_bitmap)))
		return "26.2.1.1: MSR bitmap address not 4-KiB aligned or beyond MAXPHYADDR";
	if ((proc2 & SECONDARY_EXEC_ENABLE_VPID) && c->virtual_processor_id == 0)
		return "26.2.1.1: enable VPID with VPID 0";
	if (proc2 & SECONDARY_EXEC_ENABLE_EPT) {
		const char *why = nested_check_eptp(env->caps, c->ept_pointer);

		if (why)
			return why;
	}
	if ((proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST) && !(proc2 & SECONDARY_EXEC_ENABLE_EPT))
		return "26.2.1.1: unrestricted guest without enable EPT";
	/* 26.2.1.2: VM-exit controls. */
	if (!nested_ctl_ok(cap(env, MSR_IA32_VMX_TRUE_EXIT_CTLS), c->vm_exit_controls))
		return "26.2.1.2: VM-exit controls outside IA32_VMX_TRUE_EXIT_CTLS";
	if ((c->vm_exit_controls & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER) &&
	    !(c->pin_based_vm_exec_control & PIN_BASED_VMX_PREEMPTION_TIMER))
		return "26.2.1.2: save VMX-preemption timer value without activating the timer";
	if (!msr_list_ok(env, c->vm_exit_msr_store_addr, c->vm_exit_msr_store_count))
		return "26.2.1.2: VM-exit MSR-store list misaligned or beyond MAXPHYADDR";
	if (!msr_list_ok(env, c->vm_exit_msr_load_addr, c->vm_exit_msr_load_count))
		return "26.2.1.2: VM-exit MSR-load list misaligned or beyond MAXPHYADDR";
	/* 26.2.1.3: VM-entry controls. */
	if (!nested_ctl_ok(cap(env, MSR_IA32_VMX_TRUE_ENTRY_CTLS), c->vm_entry_controls))
		return "26.2.1.3: VM-entry controls outside IA32_VMX_TRUE_ENTRY_CTLS";
	if (!msr_list_ok(env, c->vm_entry_msr_load_addr, c->vm_entry_msr_load_count))
		return "26.2.1.3: VM-entry MSR-load list misaligned or beyond MAXPHYADDR";
	return nested_check_entry_intr(c);
}

static bool cr_fixed_ok(uint64_t v, uint64_t fixed0, uint64_t fixed1)
{
	return (v & fixed0) == fixed0 && !(v & ~fixed1);
}

const char *nested_check_host_state(const struct vmcs12 *c, const struct nested_entry_env *env)
{
	bool host64 = c->vm_exit_controls & VM_EXIT_HOST_ADDR_SPACE_SIZE;
	const uint16_t sels[] = {c->host_es_selector, c->host_cs_selector, c->host_ss_selector,
	                         c->host_ds_selector, c->host_fs_selector, c->host_gs_selector,
	                         c->host_tr_selector};

	/* 26.2.2: control registers and MSRs. */
	if (!cr_fixed_ok(c->host_cr0, cap(env, MSR_IA32_VMX_CR0_FIXED0),
	                 cap(env, MSR_IA32_VMX_CR0_FIXED1) & 0xffffffffULL))
		return "26.2.2: host CR0 breaks IA32_VMX_CR0_FIXED0/1";
	if (!cr_fixed_ok(c->host_cr4, cap(env, MSR_IA32_VMX_CR4_FIXED0),
	                 cap(env, MSR_IA32_VMX_CR4_FIXED1)))
		return "26.2.2: host CR4 breaks IA32_VMX_CR4_FIXED0/1";
	if ((c->host_cr4 & CR4_CET) && !(c->host_cr0 & CR0_WP))
		return "26.2.2: host CR4.CET without CR0.WP";
	if (beyond(env, c->host_cr3))
		return "26.2.2: host CR3 beyond MAXPHYADDR";
	if (!nested_canonical(c->host_ia32_sysenter_esp) ||
	    !nested_canonical(c->host_ia32_sysenter_eip))
		return "26.2.2: host IA32_SYSENTER_ESP/EIP not canonical";
	if ((c->vm_exit_controls & VM_EXIT_LOAD_IA32_PAT) && !nested_pat_valid(c->host_ia32_pat))
		return "26.2.2: host IA32_PAT holds an invalid memory type";
	if (c->vm_exit_controls & VM_EXIT_LOAD_IA32_EFER) {
		if (c->host_ia32_efer & ~EFER_GUEST_ALLOWED)
			return "26.2.2: host IA32_EFER reserved bits set";
		if (!!(c->host_ia32_efer & EFER_LMA) != host64 ||
		    !!(c->host_ia32_efer & EFER_LME) != host64)
			return "26.2.2: host IA32_EFER.LMA/LME disagree with host address-space "
			       "size";
	}
	/* 26.2.3: segment and descriptor-table registers. */
	for (unsigned int i = 0; i < sizeof(sels) / sizeof(sels[0]); i++)
		if (sels[i] & SEL_RPL_TI)
			return "26.2.3: host selector with RPL or TI set";
	if (c->host_cs_selector == 0)
		return "26.2.3: host CS selector is 0";
	if (c->host_tr_selector == 0)
		return "26.2.3: host TR selector is 0";
	if (!host64 && c->host_ss_selector == 0)
		return "26.2.3: host SS selector 0 without a 64-bit host";
	if (!nested_canonical(c->host_fs_base) || !nested_canonical(c->host_gs_base) ||
	    !nested_canonical(c->host_gdtr_base) || !nested_canonical(c->host_idtr_base) ||
	    !nested_canonical(c->host_tr_base))
		return "26.2.3: host FS/GS/GDTR/IDTR/TR base not canonical";
	/* 26.2.4: address-space size. */
	if (env->l1_long_mode && !host64)
		return "26.2.4: host address-space size 0 while in IA-32e mode";
	if (!env->l1_long_mode && (host64 || (c->vm_entry_controls & VM_ENTRY_IA32E_MODE)))
		return "26.2.4: IA-32e controls set outside IA-32e mode";
	if (host64 && !(c->host_cr4 & CR4_PAE))
		return "26.2.4: 64-bit host without CR4.PAE";
	if (host64 && !nested_canonical(c->host_rip))
		return "26.2.4: host RIP not canonical";
	if (!host64 && ((c->host_cr4 & CR4_PCIDE) || (c->host_rip >> 32)))
		return "26.2.4: 32-bit host with CR4.PCIDE or RIP bits 63:32";
	return NULL;
}

/* G must be 0 if limit bits 11:0 are not all 1, and 1 if bits 31:20 are not all 0. */
static bool granularity_ok(uint32_t limit, uint32_t ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & AR_G))
		return false;
	if ((limit >> 20) && !(ar & AR_G))
		return false;
	return true;
}

/* The guest-state checks' view of vmcs12: the modes and controls the rules depend on. */
struct guest_mode {
	bool ia32e; /* "IA-32e mode guest" */
	bool ug;    /* "unrestricted guest" (with the secondary controls active) */
	bool v86;   /* RFLAGS.VM: the guest will be in virtual-8086 mode */
	bool pe;    /* CR0.PE */
};

/* The secondary controls, 0 unless "activate secondary controls" is 1. */
static uint32_t secondary(const struct vmcs12 *c)
{
	return (c->cpu_based_vm_exec_control & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
	               ? c->secondary_vm_exec_control
	               : 0;
}

/* 26.3.1.2: CS, SS, DS, ES, FS, GS in virtual-8086 mode: base = selector * 16, limit 0xffff, AR 0xf3. */
static const char *check_v86_segments(const struct vmcs12 *c)
{
	const uint16_t sels[] = {c->guest_cs_selector, c->guest_ss_selector, c->guest_ds_selector,
	                         c->guest_es_selector, c->guest_fs_selector, c->guest_gs_selector};
	const uint64_t bases[] = {c->guest_cs_base, c->guest_ss_base, c->guest_ds_base,
	                          c->guest_es_base, c->guest_fs_base, c->guest_gs_base};
	const uint32_t limits[] = {c->guest_cs_limit, c->guest_ss_limit, c->guest_ds_limit,
	                           c->guest_es_limit, c->guest_fs_limit, c->guest_gs_limit};
	const uint32_t ars[] = {c->guest_cs_ar_bytes, c->guest_ss_ar_bytes, c->guest_ds_ar_bytes,
	                        c->guest_es_ar_bytes, c->guest_fs_ar_bytes, c->guest_gs_ar_bytes};

	for (unsigned int i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		if (bases[i] != (uint64_t)sels[i] << 4)
			return "26.3.1.2: virtual-8086 segment base is not its selector times 16";
		if (limits[i] != 0xffff)
			return "26.3.1.2: virtual-8086 segment limit is not 0xffff";
		if (ars[i] != AR_V86)
			return "26.3.1.2: virtual-8086 segment access rights are not 0xf3";
	}
	return NULL;
}

/* 26.3.1.2: CS, SS, DS, ES, FS, GS access rights outside virtual-8086 mode. */
static const char *check_code_data_segments(const struct vmcs12 *c, const struct guest_mode *m)
{
	const uint32_t ars[] = {c->guest_ds_ar_bytes, c->guest_es_ar_bytes, c->guest_fs_ar_bytes,
	                        c->guest_gs_ar_bytes};
	const uint32_t limits[] = {c->guest_ds_limit, c->guest_es_limit, c->guest_fs_limit,
	                           c->guest_gs_limit};
	const uint16_t sels[] = {c->guest_ds_selector, c->guest_es_selector, c->guest_fs_selector,
	                         c->guest_gs_selector};
	uint32_t cs = c->guest_cs_ar_bytes, ss = c->guest_ss_ar_bytes;
	bool cs_data = AR_TYPE(cs) == AR_TYPE_DATA_RW_ACCESSED;

	if (!m->ug && (c->guest_ss_selector & 3) != (c->guest_cs_selector & 3))
		return "26.3.1.2: SS.RPL differs from CS.RPL";
	/* CS is checked whatever its unusable bit says ("if the register is CS or ... usable"). */
	if (AR_TYPE(cs) != 9 && AR_TYPE(cs) != 11 && AR_TYPE(cs) != 13 && AR_TYPE(cs) != 15 &&
	    !(m->ug && cs_data))
		return "26.3.1.2: CS type is not an accessed code segment (nor type 3 with "
		       "unrestricted guest)";
	if (!(cs & AR_S) || !(cs & AR_P) || (cs & AR_RESERVED))
		return "26.3.1.2: CS S, P or reserved bits";
	if (cs_data && AR_DPL(cs) != 0)
		return "26.3.1.2: CS type 3 (unrestricted guest) with DPL other than 0";
	if (!cs_data && (!(AR_TYPE(cs) & AR_TYPE_CONFORMING) ? AR_DPL(cs) != AR_DPL(ss)
	                                                     : AR_DPL(cs) > AR_DPL(ss)))
		return "26.3.1.2: CS.DPL disagrees with SS.DPL";
	if (m->ia32e && (cs & AR_L) && (cs & AR_DB))
		return "26.3.1.2: CS.L and CS.D both set in IA-32e mode";
	if (!granularity_ok(c->guest_cs_limit, cs))
		return "26.3.1.2: CS limit and granularity disagree";
	/* Whether SS is usable or not: its DPL is the CPL (26.3.1.2's DPL rules are not gated). */
	if (!m->ug && AR_DPL(ss) != (c->guest_ss_selector & 3u))
		return "26.3.1.2: SS.DPL differs from its RPL";
	if (!(ss & AR_UNUSABLE)) {
		if (AR_TYPE(ss) != 3 && AR_TYPE(ss) != 7)
			return "26.3.1.2: SS type is not a writable accessed data segment";
		if (!(ss & AR_S) || !(ss & AR_P) || (ss & AR_RESERVED) ||
		    !granularity_ok(c->guest_ss_limit, ss))
			return "26.3.1.2: SS S, P, reserved or granularity bits";
	}
	if ((cs_data || !m->pe) && AR_DPL(ss) != 0)
		return "26.3.1.2: SS.DPL not 0 with CR0.PE = 0 or CS type 3";
	for (unsigned int i = 0; i < 4; i++) {
		uint32_t ar = ars[i];

		if (ar & AR_UNUSABLE)
			continue;
		if (!(AR_TYPE(ar) & AR_TYPE_ACCESSED) ||
		    ((AR_TYPE(ar) & AR_TYPE_CODE) && !(AR_TYPE(ar) & AR_TYPE_READABLE)))
			return "26.3.1.2: DS/ES/FS/GS type not accessed, or code not readable";
		if (!(ar & AR_S) || !(ar & AR_P) || (ar & AR_RESERVED) ||
		    !granularity_ok(limits[i], ar))
			return "26.3.1.2: DS/ES/FS/GS S, P, reserved or granularity bits";
		/* Types 0-11: data or non-conforming code. */
		if (!m->ug && AR_TYPE(ar) <= 11 && AR_DPL(ar) < (sels[i] & 3u))
			return "26.3.1.2: DS/ES/FS/GS DPL below its RPL (data or non-conforming "
			       "code)";
	}
	return NULL;
}

/* 26.3.1.2: selectors, bases, TR and LDTR. */
static const char *check_segments(const struct vmcs12 *c, const struct guest_mode *m)
{
	uint32_t tr = c->guest_tr_ar_bytes, ldtr = c->guest_ldtr_ar_bytes;
	const char *why;

	if (c->guest_tr_selector & SEL_TI)
		return "26.3.1.2: TR selector TI set";
	if (!(ldtr & AR_UNUSABLE) && (c->guest_ldtr_selector & SEL_TI))
		return "26.3.1.2: LDTR selector TI set";
	if (!nested_canonical(c->guest_tr_base) || !nested_canonical(c->guest_fs_base) ||
	    !nested_canonical(c->guest_gs_base) ||
	    (!(ldtr & AR_UNUSABLE) && !nested_canonical(c->guest_ldtr_base)))
		return "26.3.1.2: TR/FS/GS/LDTR base not canonical";
	if ((c->guest_cs_base >> 32) ||
	    (!(c->guest_ss_ar_bytes & AR_UNUSABLE) && (c->guest_ss_base >> 32)) ||
	    (!(c->guest_ds_ar_bytes & AR_UNUSABLE) && (c->guest_ds_base >> 32)) ||
	    (!(c->guest_es_ar_bytes & AR_UNUSABLE) && (c->guest_es_base >> 32)))
		return "26.3.1.2: CS/SS/DS/ES base bits 63:32 not 0";
	why = m->v86 ? check_v86_segments(c) : check_code_data_segments(c, m);
	if (why)
		return why;
	if (m->ia32e ? AR_TYPE(tr) != AR_TYPE_TSS_BUSY
	             : AR_TYPE(tr) != AR_TYPE_TSS16_BUSY && AR_TYPE(tr) != AR_TYPE_TSS_BUSY)
		return "26.3.1.2: TR type is not a busy TSS (64-bit in IA-32e mode)";
	if ((tr & AR_S) || !(tr & AR_P) || (tr & AR_RESERVED) || (tr & AR_UNUSABLE) ||
	    !granularity_ok(c->guest_tr_limit, tr))
		return "26.3.1.2: TR S, P, reserved, unusable or granularity bits";
	if (!(ldtr & AR_UNUSABLE) &&
	    (AR_TYPE(ldtr) != AR_TYPE_LDT || (ldtr & AR_S) || !(ldtr & AR_P) ||
	     (ldtr & AR_RESERVED) || !granularity_ok(c->guest_ldtr_limit, ldtr)))
		return "26.3.1.2: LDTR type, S, P, reserved or granularity bits";
	/* 26.3.1.3: descriptor tables. */
	if (!nested_canonical(c->guest_gdtr_base) || !nested_canonical(c->guest_idtr_base))
		return "26.3.1.3: GDTR/IDTR base not canonical";
	if ((c->guest_gdtr_limit >> 16) || (c->guest_idtr_limit >> 16))
		return "26.3.1.3: GDTR/IDTR limit bits 31:16 not 0";
	return NULL;
}

/*
 * 26.3.1.5: an event injected into the HLT state must be one that ends it:
 * an external interrupt, an NMI, #DB or #MC, or a pending MTF exit.
 */
static bool injectable_into_hlt(uint32_t intr)
{
	uint32_t type = INTR_TYPE(intr), vector = intr & 0xff;

	return type == ITYPE_EXT_INT || type == ITYPE_NMI ||
	       (type == ITYPE_HW_EXC &&
	        (vector == VECTOR_DEBUG || vector == VECTOR_MACHINE_CHECK)) ||
	       (type == ITYPE_OTHER && vector == 0);
}

/* 26.3.1.5: activity and interruptibility state. */
static const char *check_non_register_state(const struct vmcs12 *c,
                                            const struct nested_entry_env *env)
{
	uint32_t blk = c->guest_interruptibility_info, intr = c->vm_entry_intr_info_field;
	uint32_t act = c->guest_activity_state;
	bool injecting = intr & INTR_INFO_VALID;

	if (act != VMX_ACTIVITY_ACTIVE &&
	    (act != VMX_ACTIVITY_HLT || !(cap(env, MSR_IA32_VMX_MISC) & VMX_MISC_ACTIVITY_HLT)))
		return "26.3.1.5: activity state not supported (IA32_VMX_MISC offers active and "
		       "HLT)";
	if (act == VMX_ACTIVITY_HLT && AR_DPL(c->guest_ss_ar_bytes) != 0)
		return "26.3.1.5: HLT activity state with SS.DPL not 0";
	if (act != VMX_ACTIVITY_ACTIVE && (blk & (BLOCK_STI | BLOCK_MOV_SS)))
		return "26.3.1.5: blocking by STI or MOV SS outside the active state";
	if (act == VMX_ACTIVITY_HLT && injecting && !injectable_into_hlt(intr))
		return "26.3.1.5: an event injected into the HLT state that does not end it";
	if (blk & BLOCK_RESERVED)
		return "26.3.1.5: interruptibility-state bits 31:5 not 0";
	/* Needs SGX in CPUID, which Umbra shows no guest (vcpu/cpuid_filter.c). */
	if (blk & BLOCK_ENCLAVE)
		return "26.3.1.5: enclave interruption without SGX";
	if ((blk & BLOCK_STI) && (blk & BLOCK_MOV_SS))
		return "26.3.1.5: blocking by STI and by MOV SS both set";
	if (!(c->guest_rflags & RFLAGS_IF) && (blk & BLOCK_STI))
		return "26.3.1.5: blocking by STI with RFLAGS.IF = 0";
	if (injecting && (INTR_TYPE(intr) == ITYPE_EXT_INT || INTR_TYPE(intr) == ITYPE_NMI) &&
	    (blk & (BLOCK_STI | BLOCK_MOV_SS)))
		return "26.3.1.5: injecting an interrupt or NMI under STI/MOV-SS blocking";
	if (blk & BLOCK_SMI)
		return "26.3.1.5: blocking by SMI outside SMM";
	if (c->guest_pending_dbg_exceptions & ~(0xfULL | 1ULL << 12 | 1ULL << 14 | 1ULL << 16))
		return "26.3.1.5: pending debug exceptions reserved bits set";
	return NULL;
}

/*
 * 26.3.1.5: the RTM bit of the pending debug exceptions, only with RTM in
 * L1's CPUID and then with bit 12 alone beside it. (Its MOV-SS rule, and the
 * BS bit's against RFLAGS.TF, are left to the CPU: they tie this field,
 * saved lazily, to RFLAGS and interruptibility, saved on every exit, and a
 * VMRESUME that finds them apart would fail.)
 */
static const char *check_pending_dbg_rtm(const struct vmcs12 *c, const struct nested_entry_env *env)
{
	uint64_t dbg = c->guest_pending_dbg_exceptions;

	if (!(dbg & PENDING_DBG_RTM))
		return NULL;
	if (!env->caps->rtm)
		return "26.3.1.5: pending-debug RTM bit without RTM in CPUID";
	if ((dbg & ~PENDING_DBG_RTM) != PENDING_DBG_ENABLED_BP)
		return "26.3.1.5: pending-debug RTM bit beside bits other than 12";
	return NULL;
}

/* 26.3.1.5: the VMCS link pointer (L1 is offered no VMCS shadowing). */
static bool link_pointer_ok(const struct vmcs12 *c, const struct nested_entry_env *env)
{
	uint64_t p = c->vmcs_link_pointer, head;

	if (p == ~0ULL)
		return true;
	if ((p & 0xfff) || beyond(env, p) || !env->read64 || !env->read64(env->ctx, p, &head))
		return false;
	/* Outside SMM it must not be the current-VMCS pointer. */
	if (p == env->current_vmcs)
		return false;
	/* Revision identifier, and bit 31 (shadow VMCS) equal to "VMCS shadowing", which is 0. */
	return (uint32_t)head == VMCS12_REVISION_ID;
}

static bool pdpte_ok(const struct nested_entry_env *env, uint64_t e)
{
	return !(e & PDPTE_P) || (!(e & PDPTE_RESERVED) && !beyond(env, e & ~0xfffULL));
}

/* 26.3.1.6: PAE paging without IA-32e mode and without EPT: the PDPTEs at CR3 (L1 memory). */
static bool pdptes_at_cr3_ok(const struct vmcs12 *c, const struct nested_entry_env *env)
{
	uint64_t base = c->guest_cr3 & PDPTE_ALIGN_MASK;

	for (int i = 0; i < 4; i++) {
		uint64_t e;

		if (!env->read64 || !env->read64(env->ctx, base + 8 * (uint64_t)i, &e))
			return false;
		if (!pdpte_ok(env, e))
			return false;
	}
	return true;
}

/*
 * With "enable EPT", the guest-state fields PDPTE0-3: CR3 is then an L2
 * guest-physical address, and VM entry loads the PDPTEs from the VMCS.
 */
static bool pdpte_fields_ok(const struct vmcs12 *c, const struct nested_entry_env *env)
{
	return pdpte_ok(env, c->guest_pdptr0) && pdpte_ok(env, c->guest_pdptr1) &&
	       pdpte_ok(env, c->guest_pdptr2) && pdpte_ok(env, c->guest_pdptr3);
}

/*
 * 26.3.1.4 (RIP and RFLAGS) and 26.3.1.5 (activity and interruptibility):
 * the rules that read the fields L1 writes on nearly every exit.
 */
static const char rip_rule[] = "26.3.1.4: guest RIP bits 63:48 differ (64-bit) or RIP above 4 GiB";

static bool rip_ok(const struct vmcs12 *c, bool ia32e)
{
	/* 64-bit code: bits 63:N alike, N = 48 linear-address bits (not canonical: 63:47). */
	if (ia32e && (c->guest_cs_ar_bytes & AR_L))
		return ((int64_t)c->guest_rip >> LINEAR_BITS) == 0 ||
		       ((int64_t)c->guest_rip >> LINEAR_BITS) == -1;
	return (c->guest_rip >> 32) == 0;
}

const char *nested_check_guest_rip(const struct vmcs12 *c)
{
	return rip_ok(c, c->vm_entry_controls & VM_ENTRY_IA32E_MODE) ? NULL : rip_rule;
}

static const char *check_hot_rules(const struct vmcs12 *c, const struct nested_entry_env *env,
                                   const struct guest_mode *m)
{
	if (!rip_ok(c, m->ia32e))
		return rip_rule;
	if ((c->guest_rflags & RFLAGS_RSVD) || !(c->guest_rflags & RFLAGS_FIXED1))
		return "26.3.1.4: guest RFLAGS reserved bits wrong (bit 1 must be 1)";
	if (m->ia32e && (c->guest_rflags & RFLAGS_VM))
		return "26.3.1.4: RFLAGS.VM in IA-32e mode";
	/* CR0.PE = 0 is possible only with unrestricted guest. */
	if (!m->pe && (c->guest_rflags & RFLAGS_VM))
		return "26.3.1.4: RFLAGS.VM with CR0.PE = 0";
	if ((c->vm_entry_intr_info_field & INTR_INFO_VALID) &&
	    INTR_TYPE(c->vm_entry_intr_info_field) == ITYPE_EXT_INT &&
	    !(c->guest_rflags & RFLAGS_IF))
		return "26.3.1.4: injecting an external interrupt with RFLAGS.IF = 0";
	return check_non_register_state(c, env);
}

static struct guest_mode guest_mode_of(const struct vmcs12 *c)
{
	return (struct guest_mode){
	        .ia32e = c->vm_entry_controls & VM_ENTRY_IA32E_MODE,
	        .ug = secondary(c) & SECONDARY_EXEC_UNRESTRICTED_GUEST,
	        .v86 = c->guest_rflags & RFLAGS_VM,
	        .pe = c->guest_cr0 & CR0_PE,
	};
}

bool nested_guest_hot_check_enough(const struct vmcs12 *c)
{
	bool pae32 = (c->guest_cr0 & CR0_PG) && (c->guest_cr4 & CR4_PAE) &&
	             !(c->vm_entry_controls & VM_ENTRY_IA32E_MODE);

	/* Virtual-8086 mode has segment rules; the link pointer and PDPTEs are read from memory. */
	return !(c->guest_rflags & RFLAGS_VM) && c->vmcs_link_pointer == ~0ULL && !pae32;
}

const char *nested_check_guest_hot(const struct vmcs12 *c, const struct nested_entry_env *env)
{
	const struct guest_mode m = guest_mode_of(c);

	return check_hot_rules(c, env, &m);
}

const char *nested_check_guest_state(const struct vmcs12 *c, const struct nested_entry_env *env,
                                     uint32_t *qual)
{
	uint32_t proc2 = secondary(c);
	const struct guest_mode m = guest_mode_of(c);
	bool ia32e = m.ia32e;
	bool pg = c->guest_cr0 & CR0_PG;
	uint64_t cr0_fixed0 = cap(env, MSR_IA32_VMX_CR0_FIXED0);
	const char *why;

	*qual = ENTRY_QUAL_DEFAULT;
	/* 26.3.1.1: control registers, debug registers and MSRs. */
	/* With unrestricted guest, PE and PG are not checked against IA32_VMX_CR0_FIXED0. */
	if (m.ug)
		cr0_fixed0 &= ~(uint64_t)(CR0_PE | CR0_PG);
	if (!cr_fixed_ok(c->guest_cr0, cr0_fixed0,
	                 cap(env, MSR_IA32_VMX_CR0_FIXED1) & 0xffffffffULL))
		return "26.3.1.1: guest CR0 breaks IA32_VMX_CR0_FIXED0/1";
	if (!cr_fixed_ok(c->guest_cr4, cap(env, MSR_IA32_VMX_CR4_FIXED0),
	                 cap(env, MSR_IA32_VMX_CR4_FIXED1)))
		return "26.3.1.1: guest CR4 breaks IA32_VMX_CR4_FIXED0/1";
	if (pg && !(c->guest_cr0 & CR0_PE))
		return "26.3.1.1: guest CR0.PG without CR0.PE";
	if ((c->guest_cr4 & CR4_CET) && !(c->guest_cr0 & CR0_WP))
		return "26.3.1.1: guest CR4.CET without CR0.WP";
	if ((c->vm_entry_controls & VM_ENTRY_LOAD_DEBUG_CONTROLS) &&
	    ((c->guest_ia32_debugctl & ~0xffc3ULL) || (c->guest_dr7 >> 32)))
		return "26.3.1.1: guest IA32_DEBUGCTL reserved bits or DR7 bits 63:32 set";
	if (ia32e && (!pg || !(c->guest_cr4 & CR4_PAE)))
		return "26.3.1.1: IA-32e mode guest without CR0.PG and CR4.PAE";
	if (!ia32e && (c->guest_cr4 & CR4_PCIDE))
		return "26.3.1.1: CR4.PCIDE outside IA-32e mode";
	if (beyond(env, c->guest_cr3))
		return "26.3.1.1: guest CR3 beyond MAXPHYADDR";
	if (!nested_canonical(c->guest_sysenter_esp) || !nested_canonical(c->guest_sysenter_eip))
		return "26.3.1.1: guest IA32_SYSENTER_ESP/EIP not canonical";
	if ((c->vm_entry_controls & VM_ENTRY_LOAD_IA32_PAT) && !nested_pat_valid(c->guest_ia32_pat))
		return "26.3.1.1: guest IA32_PAT holds an invalid memory type";
	if (c->vm_entry_controls & VM_ENTRY_LOAD_IA32_EFER) {
		if (c->guest_ia32_efer & ~EFER_GUEST_ALLOWED)
			return "26.3.1.1: guest IA32_EFER reserved bits set";
		if (!!(c->guest_ia32_efer & EFER_LMA) != ia32e)
			return "26.3.1.1: guest IA32_EFER.LMA differs from IA-32e mode guest";
		if (pg && !!(c->guest_ia32_efer & EFER_LME) != ia32e)
			return "26.3.1.1: guest IA32_EFER.LME differs from LMA with paging on";
	}
	/* 26.3.1.2, 26.3.1.3. */
	why = check_segments(c, &m);
	if (why)
		return why;
	why = check_hot_rules(c, env, &m);
	if (!why)
		why = check_pending_dbg_rtm(c, env);
	if (why)
		return why;
	if (!link_pointer_ok(c, env)) {
		*qual = ENTRY_QUAL_LINK_PTR;
		return "26.3.1.5: VMCS link pointer is not all ones nor a valid VMCS";
	}
	if (pg && (c->guest_cr4 & CR4_PAE) && !ia32e) {
		bool ept = proc2 & SECONDARY_EXEC_ENABLE_EPT;

		if (ept ? !pdpte_fields_ok(c, env) : !pdptes_at_cr3_ok(c, env)) {
			*qual = ENTRY_QUAL_PDPTE;
			return ept ? "26.3.1.6: a guest PDPTE field has reserved bits set (enable "
			             "EPT)"
			           : "26.3.1.6: a PDPTE at guest CR3 has reserved bits set";
		}
	}
	return NULL;
}
