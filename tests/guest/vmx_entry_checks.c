/*
 * The checks a VM entry makes (SDM Vol. 3 chapter 26), one at a time:
 * starting each time from a complete, valid VMCS (the one vmx_insn's L2
 * runs on), one field is made invalid and VMLAUNCH must give the SDM's
 * answer: VMfailValid(7) for a control (26.2.1), VMfailValid(8) for host
 * state (26.2.2-26.2.4), a VM exit with reason 33 and its qualification for
 * guest state (26.3.1), reason 34 with the failing entry's index for the
 * VM-entry MSR-load list (26.4).
 *
 * With EPT and unrestricted guest (when the CPU offers them; not run
 * otherwise): each EPTP rule, unrestricted guest without EPT, the
 * unrestricted-guest rules on CR0 and segments, PDPTEs from the guest-state
 * fields; and VMCSs that must enter (an identity EPT for the first GiB):
 * a 64-bit L2, a real-mode L2, a 32-bit PAE L2 whose CR3 holds no valid
 * PDPTEs. An EPTP with A/D enabled is valid where IA32_VMX_EPT_VPID_CAP
 * offers EPT A/D flags (Bochs does, Umbra does not).
 *
 * Runs bare on Bochs and as an L1 under Umbra (nested=1): "# outcome"
 * lines for the harness to compare (tests/system/).
 */
#include "vmx.h"

PAYLOAD("vmx_entry_checks");

#define SLOT_VMXON 0
#define SLOT_ZERO  2 /* a page that is no VMCS (revision 0) */

#define NONCANONICAL 0x0000800000000000ULL
/* Guest RIP is held to bits 63:N alike (N = 48), not to canonical form (SDM 26.3.1.4). */
#define RIP_BITS_63_48_DIFFER 0x8000000000000000ULL
#define RFLAGS_BIT3           (1ULL << 3)
#define RFLAGS_VM             (1ULL << 17)
#define EFER_LMA_BIT          (1ULL << 10)
#define AR_DATA_RW            0xc093u
#define AR_SS_DPL3            0xc0f3u
#define AR_TSS16_BUSY         0x83u
#define AR_TSS16_AVAIL        0x81u
#define ACTIVITY_BAD          4
#define AR_CONFORMING         0x4u
#define AR_UNUSABLE_BIT       0x10000u
#define AR_DPL3_BITS          0x60u
#define AR_LDT                0x82u /* present LDT: LDTR usable */
#define SEL_TI                4u
#define MSR_X2APIC_TPR        0x808
#define MSR_LSTAR             0xc0000082
#define CR4_PAE_BIT           (1ULL << 5)
#define CR4_PCIDE_BIT         (1ULL << 17)
#define AR_REAL_DATA          0x93u /* P, S, DPL 0, type 3: real-mode style (CS too, with UG) */
#define AR_REAL_DATA_DPL3     0xf3u /* the same with DPL 3: also virtual-8086 segments */
#define AR_REAL_CODE          0x9bu
#define AR_CODE32             0xc09bu
/* EPT (SDM 29.3): a 2-MiB leaf read/write/execute, write-back; a table entry read/write/execute. */
#define EPT_RWX        7ULL
#define EPT_LEAF_2M_WB (EPT_RWX | 6ULL << 3 | 1ULL << 7)
#define EPTP_WB_4LEVEL (6ULL | 3ULL << 3)
#define EPTP_AD        (1ULL << 6)
#define PAE_PDE_2M     0x83ULL /* P, RW, PS */

/* WANT_AD: VMfailValid(7) unless IA32_VMX_EPT_VPID_CAP offers EPT A/D flags, then as valid. */
enum want_kind { WANT_FAIL, WANT_EXIT, WANT_AD };
/* What a case needs of the CPU: the secondary controls it enables. */
enum need { NEED_NONE, NEED_EPT, NEED_EPT_UG };

struct entry_case {
	const char *name;
	const char *
	        bochs_bug; /* bare on Bochs, a VM entry that succeeds is tolerated (docs/bochs.md) */
	void (*apply)(void); /* breaks one field of the current, valid VMCS */
	enum want_kind kind;
	uint32_t error; /* WANT_FAIL: the VM-instruction error; WANT_EXIT: the basic exit reason */
	uint64_t qual;  /* WANT_EXIT */
	enum need need; /* without it the case is not run (no outcome line) */
};

static uint8_t page[4096] __attribute__((aligned(4096)));
/* EPT identity-mapping the first GiB with 2-MiB pages; a PAE page directory doing the same. */
static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept_pd[512] __attribute__((aligned(4096)));
static uint64_t pae_pd[512] __attribute__((aligned(4096)));
static struct {
	uint32_t index, reserved;
	uint64_t value;
} msr_list[2] __attribute__((aligned(16)));

static uint64_t vmread(uint32_t field)
{
	uint64_t v = 0;

	vmx_vmread(field, &v);
	return v;
}

static void write(uint32_t field, uint64_t value)
{
	vmx_vmwrite(field, value);
}

/* The highest control bit capability `cap` does not allow to be 1. */
static uint32_t disallowed_bit(uint64_t cap)
{
	for (int b = 31; b >= 0; b--)
		if (!vmx_controls_allow(cap, 1u << b))
			return 1u << b;
	return 0;
}

/* ---- controls: VMfailValid(7) ---- */
static void pin_disallowed(void)
{
	write(PIN_BASED_VM_EXEC_CONTROL,
	      vmread(PIN_BASED_VM_EXEC_CONTROL) | disallowed_bit(vmx_caps()->pin));
}
static void proc_must_be_one_clear(void)
{
	uint32_t must = (uint32_t)vmx_caps()->proc;

	write(CPU_BASED_VM_EXEC_CONTROL, vmread(CPU_BASED_VM_EXEC_CONTROL) & ~(must & -must));
}
static void io_bitmap_misaligned(void)
{
	write(CPU_BASED_VM_EXEC_CONTROL,
	      vmread(CPU_BASED_VM_EXEC_CONTROL) | CPU_BASED_USE_IO_BITMAPS);
	write(IO_BITMAP_A, (uintptr_t)page + 0x800);
	write(IO_BITMAP_B, (uintptr_t)page);
}
static void msr_bitmap_beyond_maxphyaddr(void)
{
	write(CPU_BASED_VM_EXEC_CONTROL,
	      vmread(CPU_BASED_VM_EXEC_CONTROL) | CPU_BASED_USE_MSR_BITMAPS);
	write(MSR_BITMAP, 1ULL << vmx_caps()->maxphyaddr);
}
static void entry_intr_reserved_type(void)
{
	write(VM_ENTRY_INTR_INFO_FIELD, 0x80000100u | 0x20);
}
static void entry_intr_gp_without_error_code(void)
{
	write(VM_ENTRY_INTR_INFO_FIELD, 0x80000300u | 13);
}
static void entry_intr_error_code_high(void)
{
	write(VM_ENTRY_INTR_INFO_FIELD, 0x80000b00u | 13); /* #GP with its error code */
	write(VM_ENTRY_EXCEPTION_ERROR_CODE, 0x10000);     /* bits 31:16 must be 0 */
}
/* "Save VMX-preemption timer value" needs the timer active (or is not offered): 7 either way. */
static void exit_save_timer_without_timer(void)
{
	write(VM_EXIT_CONTROLS, vmread(VM_EXIT_CONTROLS) | VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
	write(PIN_BASED_VM_EXEC_CONTROL,
	      vmread(PIN_BASED_VM_EXEC_CONTROL) & ~PIN_BASED_VMX_PREEMPTION_TIMER);
}
static void exit_msr_load_misaligned(void)
{
	write(VM_EXIT_MSR_LOAD_COUNT, 1);
	write(VM_EXIT_MSR_LOAD_ADDR, (uintptr_t)msr_list + 8);
}

/* ---- host state: VMfailValid(8) ---- */
static void host_cr0_pe_clear(void)
{
	write(HOST_CR0, vmread(HOST_CR0) & ~1ULL);
}
static void host_cr4_vmxe_clear(void)
{
	write(HOST_CR4, vmread(HOST_CR4) & ~CR4_VMXE);
}
static void host_cs_zero(void)
{
	write(HOST_CS_SELECTOR, 0);
}
static void host_ss_rpl3(void)
{
	write(HOST_SS_SELECTOR, vmread(HOST_SS_SELECTOR) | 3);
}
static void host_tr_ti(void)
{
	write(HOST_TR_SELECTOR, vmread(HOST_TR_SELECTOR) | 4);
}
static void host_rip_noncanonical(void)
{
	write(HOST_RIP, NONCANONICAL);
}
static void host_gs_base_noncanonical(void)
{
	write(HOST_GS_BASE, NONCANONICAL);
}
static void host_efer_lma_clear(void)
{
	write(VM_EXIT_CONTROLS, vmread(VM_EXIT_CONTROLS) | VM_EXIT_LOAD_IA32_EFER);
	write(HOST_IA32_EFER, rdmsr(MSR_EFER) & ~EFER_LMA_BIT);
}

/* ---- guest state: VM exit 33 ---- */
static void guest_cr0_ne_clear(void)
{
	write(GUEST_CR0, vmread(GUEST_CR0) & ~CR0_NE);
}
static void guest_rflags_bit3(void)
{
	write(GUEST_RFLAGS, vmread(GUEST_RFLAGS) | RFLAGS_BIT3);
}
static void guest_rflags_vm(void)
{
	write(GUEST_RFLAGS, vmread(GUEST_RFLAGS) | RFLAGS_VM);
}
static void guest_cs_data(void)
{
	write(GUEST_CS_AR_BYTES, AR_DATA_RW);
}
static void guest_ss_dpl3(void)
{
	write(GUEST_SS_AR_BYTES, AR_SS_DPL3);
}
/* An unusable SS keeps its DPL (the CPL), held to its RPL; a conforming CS takes SS.DPL 3. */
static void guest_ss_unusable_dpl_not_rpl(void)
{
	write(GUEST_CS_AR_BYTES, vmread(GUEST_CS_AR_BYTES) | AR_CONFORMING);
	write(GUEST_SS_AR_BYTES, AR_UNUSABLE_BIT | AR_DPL3_BITS);
}
static void guest_tr_16bit(void)
{
	write(GUEST_TR_AR_BYTES, AR_TSS16_BUSY);
}
static void guest_ldtr_bad_type(void)
{
	write(GUEST_LDTR_AR_BYTES, AR_TSS16_AVAIL);
}
static void guest_gdtr_limit_high(void)
{
	write(GUEST_GDTR_LIMIT, 0x10000);
}
/*
 * The rules a third-party VMX test kernel found missing (issue 18): each
 * makes hardware and Bochs fail the entry with exit 33.
 */
static void guest_gdtr_base_noncanonical(void)
{
	write(GUEST_GDTR_BASE, NONCANONICAL);
}
static void guest_idtr_base_noncanonical(void)
{
	write(GUEST_IDTR_BASE, NONCANONICAL);
}
static void guest_sysenter_esp_noncanonical(void)
{
	write(GUEST_SYSENTER_ESP, NONCANONICAL);
}
static void guest_sysenter_eip_noncanonical(void)
{
	write(GUEST_SYSENTER_EIP, NONCANONICAL);
}
static void usable_ldtr(uint16_t sel, uint64_t base)
{
	write(GUEST_LDTR_SELECTOR, sel);
	write(GUEST_LDTR_BASE, base);
	write(GUEST_LDTR_LIMIT, 0xffff);
	write(GUEST_LDTR_AR_BYTES, AR_LDT);
}
/* The reference: that LDTR with a canonical base and no TI enters. */
static void guest_ldtr_usable_valid(void)
{
	usable_ldtr(0x28, 0);
}
static void guest_ldtr_base_noncanonical(void)
{
	usable_ldtr(0x28, NONCANONICAL);
}
static void guest_ldtr_selector_ti(void)
{
	usable_ldtr(0x28 | SEL_TI, 0);
}
static void guest_ds_base_bits_63_32(void)
{
	write(GUEST_DS_BASE, 1ULL << 32);
}
static void guest_ss_rpl_not_cs_rpl(void)
{
	write(GUEST_SS_SELECTOR, vmread(GUEST_SS_SELECTOR) | 1);
}
static void guest_rip_bits_63_48(void)
{
	write(GUEST_RIP, RIP_BITS_63_48_DIFFER);
}
static void guest_activity_reserved(void)
{
	write(GUEST_ACTIVITY_STATE, ACTIVITY_BAD);
}
static void guest_sti_and_movss(void)
{
	write(GUEST_INTERRUPTIBILITY_INFO, 3);
}
static void guest_link_pointer_not_vmcs(void)
{
	write(VMCS_LINK_POINTER, vmx_region(SLOT_ZERO, 0));
}
static void guest_link_pointer_current(void)
{
	uint64_t current = 0;

	vmx_vmptrst(&current);
	write(VMCS_LINK_POINTER, current);
}
/* Pending debug exceptions bit 16 (RTM) on a CPU without RTM: reserved (Bochs has none). */
static void guest_pending_dbg_rtm(void)
{
	write(GUEST_PENDING_DBG_EXCEPTIONS, 1ULL << 16 | 1ULL << 12);
}
static void guest_efer_lma_clear(void)
{
	write(VM_ENTRY_CONTROLS, vmread(VM_ENTRY_CONTROLS) | VM_ENTRY_LOAD_IA32_EFER);
	write(GUEST_IA32_EFER, rdmsr(MSR_EFER) & ~EFER_LMA_BIT);
}
static void guest_pat_invalid(void)
{
	write(VM_ENTRY_CONTROLS, vmread(VM_ENTRY_CONTROLS) | VM_ENTRY_LOAD_IA32_PAT);
	write(GUEST_IA32_PAT, 0x02);
}

/* ---- EPT and unrestricted guest ---- */
static uint64_t ept_identity_eptp(void)
{
	for (int i = 0; i < 512; i++) {
		ept_pd[i] = (uint64_t)i << 21 | EPT_LEAF_2M_WB;
		pae_pd[i] = (uint64_t)i << 21 | PAE_PDE_2M;
	}
	ept_pdpt[0] = (uintptr_t)ept_pd | EPT_RWX;
	ept_pml4[0] = (uintptr_t)ept_pdpt | EPT_RWX;
	return (uintptr_t)ept_pml4 | EPTP_WB_4LEVEL;
}

/* "Enable EPT" (and "unrestricted guest" if ug) with EPTP eptp. */
static void secondary_ept(bool ug, uint64_t eptp)
{
	write(CPU_BASED_VM_EXEC_CONTROL,
	      vmread(CPU_BASED_VM_EXEC_CONTROL) | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	write(SECONDARY_VM_EXEC_CONTROL,
	      vmx_controls(vmx_caps()->proc2,
	                   SECONDARY_EXEC_ENABLE_EPT |
	                           (ug ? SECONDARY_EXEC_UNRESTRICTED_GUEST : 0)));
	write(EPT_POINTER, eptp);
}

/* A real-mode L2 (CR0.PE = PG = 0, no IA-32e mode) whose CS base is the CPUID it runs first. */
/* A guest segment register whole: its selector field names it. */
static void write_segment(uint32_t selector_field, uint16_t sel, uint64_t base, uint32_t ar)
{
	/* Selector, base, limit and access rights are 2 apart in each field group. */
	write(selector_field, sel);
	write(selector_field - GUEST_ES_SELECTOR + GUEST_ES_BASE, base);
	write(selector_field - GUEST_ES_SELECTOR + GUEST_ES_LIMIT, 0xffff);
	write(selector_field - GUEST_ES_SELECTOR + GUEST_ES_AR_BYTES, ar);
}

static void real_mode_state(void)
{
	static const uint32_t segs[] = {GUEST_SS_SELECTOR, GUEST_DS_SELECTOR, GUEST_ES_SELECTOR};

	write(VM_ENTRY_CONTROLS, vmread(VM_ENTRY_CONTROLS) & ~(uint64_t)VM_ENTRY_IA32E_MODE);
	write(GUEST_CR0, vmread(GUEST_CR0) & ~(CR0_PE | CR0_PG));
	write(GUEST_CR4, vmread(GUEST_CR4) & ~CR4_PCIDE_BIT);
	write_segment(GUEST_CS_SELECTOR, 0, (uintptr_t)vmx_l2_cpuid_vmcall, AR_REAL_DATA);
	for (unsigned int i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		write_segment(segs[i], 0, 0, AR_REAL_DATA);
	write(GUEST_RIP, 0);
}

static void ept_memtype_wc(void)
{
	secondary_ept(false, (ept_identity_eptp() & ~7ULL) | 1);
}
static void ept_walk_length_5(void)
{
	secondary_ept(false, (ept_identity_eptp() & ~(7ULL << 3)) | 4ULL << 3);
}
static void ept_ad_enable(void)
{
	secondary_ept(false, ept_identity_eptp() | EPTP_AD);
}
static void ept_reserved_bit_7(void)
{
	secondary_ept(false, ept_identity_eptp() | 1ULL << 7);
}
static void ept_reserved_bit_11(void)
{
	secondary_ept(false, ept_identity_eptp() | 1ULL << 11);
}
static void ept_beyond_maxphyaddr(void)
{
	secondary_ept(false, ept_identity_eptp() | 1ULL << vmx_caps()->maxphyaddr);
}
static void ug_without_ept(void)
{
	write(CPU_BASED_VM_EXEC_CONTROL,
	      vmread(CPU_BASED_VM_EXEC_CONTROL) | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	write(SECONDARY_VM_EXEC_CONTROL,
	      vmx_controls(vmx_caps()->proc2, SECONDARY_EXEC_UNRESTRICTED_GUEST));
}
static void ept_valid(void)
{
	secondary_ept(false, ept_identity_eptp());
}
static void ug_real_mode_valid(void)
{
	secondary_ept(true, ept_identity_eptp());
	real_mode_state();
}
static void ug_cr0_pg_without_pe(void)
{
	secondary_ept(true, ept_identity_eptp());
	write(GUEST_CR0, vmread(GUEST_CR0) & ~CR0_PE);
}
static void guest_cr0_pe_clear_without_ug(void)
{
	secondary_ept(false, ept_identity_eptp());
	real_mode_state();
}
static void ug_cs_type3_dpl3(void)
{
	ug_real_mode_valid();
	write(GUEST_CS_AR_BYTES, AR_REAL_DATA_DPL3);
}
static void ug_real_mode_ss_dpl3(void)
{
	ug_real_mode_valid();
	write(GUEST_SS_AR_BYTES, AR_REAL_DATA_DPL3);
}
/* Without unrestricted guest a data segment's DPL may not be below its selector's RPL. */
static void guest_ds_rpl_above_dpl(void)
{
	write(GUEST_DS_SELECTOR, vmread(GUEST_DS_SELECTOR) | 3);
}
/* A 32-bit PAE L2 with EPT: the PDPTEs come from the guest-state fields, not from CR3. */
static void pae_state(void)
{
	write(VM_ENTRY_CONTROLS, vmread(VM_ENTRY_CONTROLS) & ~(uint64_t)VM_ENTRY_IA32E_MODE);
	write(GUEST_CR4, (vmread(GUEST_CR4) | CR4_PAE_BIT) & ~CR4_PCIDE_BIT);
	write(GUEST_CS_AR_BYTES, AR_CODE32);
}
/* CR3 holds the payload's PML4, whose entries (RW set) are no valid PDPTEs. */
static void ept_pae_pdptes_from_vmcs_valid(void)
{
	secondary_ept(false, ept_identity_eptp());
	pae_state();
	write(GUEST_PDPTR0, (uintptr_t)pae_pd | 1);
	write(GUEST_PDPTR1, 0);
	write(GUEST_PDPTR2, 0);
	write(GUEST_PDPTR3, 0);
}
static void ept_pae_pdpte_field_reserved(void)
{
	ept_pae_pdptes_from_vmcs_valid();
	write(GUEST_PDPTR2, (uintptr_t)pae_pd | 1 | 1ULL << 1);
}
/* Virtual-8086 mode (32-bit paging): segments must have base = selector * 16. */
static void guest_v8086_cs_base(void)
{
	static const uint32_t segs[] = {GUEST_ES_SELECTOR, GUEST_CS_SELECTOR, GUEST_SS_SELECTOR,
	                                GUEST_DS_SELECTOR, GUEST_FS_SELECTOR, GUEST_GS_SELECTOR};

	write(VM_ENTRY_CONTROLS, vmread(VM_ENTRY_CONTROLS) & ~(uint64_t)VM_ENTRY_IA32E_MODE);
	write(GUEST_CR4, vmread(GUEST_CR4) & ~(CR4_PAE_BIT | CR4_PCIDE_BIT));
	write(GUEST_RFLAGS, vmread(GUEST_RFLAGS) | RFLAGS_VM);
	for (unsigned int i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		write_segment(segs[i], 0x100, 0x1000, AR_REAL_DATA_DPL3);
	write(GUEST_CS_BASE, 0x1010);
	write(GUEST_RIP, 0);
}

/* ---- VM-entry MSR loading: VM exit 34, qualification = the failing entry (from 1) ---- */
static void entry_msr_load_fs_base(void)
{
	msr_list[0].index = MSR_FS_BASE;
	msr_list[0].reserved = 0;
	msr_list[0].value = 0;
	write(VM_ENTRY_MSR_LOAD_COUNT, 1);
	write(VM_ENTRY_MSR_LOAD_ADDR, (uintptr_t)msr_list);
}
/* A value WRMSR would refuse (#GP): a non-canonical LSTAR. */
static void entry_msr_load_lstar_noncanonical(void)
{
	msr_list[0].index = MSR_LSTAR;
	msr_list[0].reserved = 0;
	msr_list[0].value = NONCANONICAL;
	write(VM_ENTRY_MSR_LOAD_COUNT, 1);
	write(VM_ENTRY_MSR_LOAD_ADDR, (uintptr_t)msr_list);
}
static void entry_msr_load_second_x2apic(void)
{
	msr_list[0].index = MSR_LSTAR;
	msr_list[0].reserved = 0;
	msr_list[0].value = rdmsr(MSR_LSTAR);
	msr_list[1].index = MSR_X2APIC_TPR;
	msr_list[1].reserved = 0;
	msr_list[1].value = 0;
	write(VM_ENTRY_MSR_LOAD_COUNT, 2);
	write(VM_ENTRY_MSR_LOAD_ADDR, (uintptr_t)msr_list);
}

static void nothing(void)
{
}

#define FAIL(n, fn, e)                                    \
	{                                                 \
		n, NULL, fn, WANT_FAIL, (e), 0, NEED_NONE \
	}
#define EXIT(n, fn, r, q)                                   \
	{                                                   \
		n, NULL, fn, WANT_EXIT, (r), (q), NEED_NONE \
	}
#define FAIL_NEEDS(n, fn, e, need)                     \
	{                                              \
		n, NULL, fn, WANT_FAIL, (e), 0, (need) \
	}
#define EXIT_NEEDS(n, fn, r, q, need)                    \
	{                                                \
		n, NULL, fn, WANT_EXIT, (r), (q), (need) \
	}
#define BUG_GUEST_RIP "VM entry does not check bits 63:48 of a 64-bit guest's RIP"

static const struct entry_case cases[] = {
        EXIT("valid", nothing, EXIT_REASON_CPUID, 0),
        FAIL("pin_disallowed_bit", pin_disallowed, 7),
        FAIL("proc_must_be_one_clear", proc_must_be_one_clear, 7),
        FAIL("io_bitmap_misaligned", io_bitmap_misaligned, 7),
        FAIL("msr_bitmap_beyond_maxphyaddr", msr_bitmap_beyond_maxphyaddr, 7),
        FAIL("entry_intr_reserved_type", entry_intr_reserved_type, 7),
        FAIL("entry_intr_gp_without_error_code", entry_intr_gp_without_error_code, 7),
        FAIL("entry_intr_error_code_high", entry_intr_error_code_high, 7),
        FAIL("exit_save_timer_without_timer", exit_save_timer_without_timer, 7),
        FAIL("exit_msr_load_misaligned", exit_msr_load_misaligned, 7),
        FAIL("host_cr0_pe_clear", host_cr0_pe_clear, 8),
        FAIL("host_cr4_vmxe_clear", host_cr4_vmxe_clear, 8),
        FAIL("host_cs_zero", host_cs_zero, 8),
        FAIL("host_ss_rpl3", host_ss_rpl3, 8),
        FAIL("host_tr_ti", host_tr_ti, 8),
        FAIL("host_rip_noncanonical", host_rip_noncanonical, 8),
        FAIL("host_gs_base_noncanonical", host_gs_base_noncanonical, 8),
        FAIL("host_efer_lma_clear", host_efer_lma_clear, 8),
        EXIT("guest_cr0_ne_clear", guest_cr0_ne_clear, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_rflags_bit3", guest_rflags_bit3, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_rflags_vm", guest_rflags_vm, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_cs_data", guest_cs_data, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_ss_dpl3", guest_ss_dpl3, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_tr_16bit", guest_tr_16bit, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_ldtr_bad_type", guest_ldtr_bad_type, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_gdtr_limit_high", guest_gdtr_limit_high, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_gdtr_base_noncanonical", guest_gdtr_base_noncanonical,
             EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_idtr_base_noncanonical", guest_idtr_base_noncanonical,
             EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_sysenter_esp_noncanonical", guest_sysenter_esp_noncanonical,
             EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_sysenter_eip_noncanonical", guest_sysenter_eip_noncanonical,
             EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_ldtr_usable_valid", guest_ldtr_usable_valid, EXIT_REASON_CPUID, 0),
        EXIT("guest_ldtr_base_noncanonical", guest_ldtr_base_noncanonical,
             EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_ldtr_selector_ti", guest_ldtr_selector_ti, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_ds_base_bits_63_32", guest_ds_base_bits_63_32, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_ss_rpl_not_cs_rpl", guest_ss_rpl_not_cs_rpl, EXIT_REASON_INVALID_STATE, 0),
        {"guest_rip_bits_63_48", BUG_GUEST_RIP, guest_rip_bits_63_48, WANT_EXIT,
         EXIT_REASON_INVALID_STATE, 0, NEED_NONE},
        EXIT("guest_activity_reserved", guest_activity_reserved, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_sti_and_movss", guest_sti_and_movss, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_link_pointer_not_vmcs", guest_link_pointer_not_vmcs, EXIT_REASON_INVALID_STATE,
             4),
        EXIT("guest_ss_unusable_dpl_not_rpl", guest_ss_unusable_dpl_not_rpl,
             EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_link_pointer_current", guest_link_pointer_current, EXIT_REASON_INVALID_STATE,
             4),
        EXIT("guest_pending_dbg_rtm", guest_pending_dbg_rtm, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_efer_lma_clear", guest_efer_lma_clear, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_pat_invalid", guest_pat_invalid, EXIT_REASON_INVALID_STATE, 0),
        EXIT("entry_msr_load_fs_base", entry_msr_load_fs_base, EXIT_REASON_MSR_LOAD_FAIL, 1),
        EXIT("entry_msr_load_lstar_noncanonical", entry_msr_load_lstar_noncanonical,
             EXIT_REASON_MSR_LOAD_FAIL, 1),
        EXIT("entry_msr_load_second_x2apic", entry_msr_load_second_x2apic,
             EXIT_REASON_MSR_LOAD_FAIL, 2),
        /* EPT and unrestricted guest (26.2.1.1, 26.3.1.1, 26.3.1.2, 26.3.1.6). */
        EXIT_NEEDS("ept_valid", ept_valid, EXIT_REASON_CPUID, 0, NEED_EPT),
        FAIL_NEEDS("ept_memtype_wc", ept_memtype_wc, 7, NEED_EPT),
        FAIL_NEEDS("ept_walk_length_5", ept_walk_length_5, 7, NEED_EPT),
        {"ept_ad_enable", NULL, ept_ad_enable, WANT_AD, 7, 0, NEED_EPT},
        FAIL_NEEDS("ept_reserved_bit_7", ept_reserved_bit_7, 7, NEED_EPT),
        FAIL_NEEDS("ept_reserved_bit_11", ept_reserved_bit_11, 7, NEED_EPT),
        FAIL_NEEDS("ept_beyond_maxphyaddr", ept_beyond_maxphyaddr, 7, NEED_EPT),
        FAIL_NEEDS("ug_without_ept", ug_without_ept, 7, NEED_EPT_UG),
        EXIT_NEEDS("ug_real_mode_valid", ug_real_mode_valid, EXIT_REASON_CPUID, 0, NEED_EPT_UG),
        EXIT_NEEDS("ug_cr0_pg_without_pe", ug_cr0_pg_without_pe, EXIT_REASON_INVALID_STATE, 0,
                   NEED_EPT_UG),
        EXIT_NEEDS("guest_cr0_pe_clear_without_ug", guest_cr0_pe_clear_without_ug,
                   EXIT_REASON_INVALID_STATE, 0, NEED_EPT),
        EXIT_NEEDS("ug_cs_type3_dpl3", ug_cs_type3_dpl3, EXIT_REASON_INVALID_STATE, 0, NEED_EPT_UG),
        EXIT_NEEDS("ug_real_mode_ss_dpl3", ug_real_mode_ss_dpl3, EXIT_REASON_INVALID_STATE, 0,
                   NEED_EPT_UG),
        EXIT("guest_ds_rpl_above_dpl", guest_ds_rpl_above_dpl, EXIT_REASON_INVALID_STATE, 0),
        EXIT("guest_v8086_cs_base", guest_v8086_cs_base, EXIT_REASON_INVALID_STATE, 0),
        EXIT_NEEDS("ept_pae_pdptes_from_vmcs_valid", ept_pae_pdptes_from_vmcs_valid,
                   EXIT_REASON_CPUID, 0, NEED_EPT),
        EXIT_NEEDS("ept_pae_pdpte_field_reserved", ept_pae_pdpte_field_reserved,
                   EXIT_REASON_INVALID_STATE, 2, NEED_EPT),
};

/* Whether the CPU has what case c needs (else it is not run). */
static bool case_available(const struct entry_case *c)
{
	const struct vmx_caps *caps = vmx_caps();
	uint32_t need = c->need == NEED_EPT_UG
	                        ? SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST
	                        : SECONDARY_EXEC_ENABLE_EPT;

	if (c->need == NEED_NONE)
		return true;
	return vmx_controls_allow(caps->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	       vmx_controls_allow(caps->proc2, need) && (caps->ept_vpid & VMX_EPT_PAGE_WALK_4) &&
	       (caps->ept_vpid & VMX_EPT_MEMTYPE_WB) && (caps->ept_vpid & VMX_EPT_2MB_PAGE);
}

/* Each case on a fresh VMCS: VMCLEAR, VMPTRLD, the valid L2 state, then the one break. */
TEST(entry_checks_one_field_at_a_time)
{
	const char *why = vmx_unavailable();

	if (why)
		SKIP("%s", why);
	vmx_leave();
	why = vmx_enable();
	if (why)
		SKIP("%s", why);
	REQUIRE(vmx_vmxon(vmx_region(SLOT_VMXON, vmx_caps()->revision)).kind == VMX_OK,
	        "VMXON failed");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct entry_case *c = &cases[i];
		struct vmx_vcpu v = {0};
		struct vmx_result r;
		uint32_t want_reason;
		enum want_kind kind = c->kind;

		if (!case_available(c)) {
			printf("# %s: not run: the CPU lacks EPT (4-level, WB, 2-MiB pages) or "
			       "unrestricted guest\n",
			       c->name);
			continue;
		}
		/* EPT A/D flags offered: the EPTP is valid, the L2 runs to its CPUID. */
		if (kind == WANT_AD)
			kind = (vmx_caps()->ept_vpid & VMX_EPT_AD) ? WANT_EXIT : WANT_FAIL;
		why = vmx_fresh_l2_vmcs(vmx_l2_cpuid_vmcall);
		REQUIRE(!why, "%s: %s", c->name, why);
		c->apply();
		r = vmx_vmlaunch(&v);
		vmx_outcome_print(c->name, r);
		if (kind == WANT_FAIL) {
			CHECK(r.kind == VMX_FAIL_VALID && r.error == c->error,
			      "%s: want VMfailValid(%u), got kind %d error %u", c->name, c->error,
			      r.kind, r.error);
			continue;
		}
		want_reason = c->kind == WANT_AD || c->error == EXIT_REASON_CPUID
		                      ? EXIT_REASON_CPUID
		                      : VM_ENTRY_FAILURE | c->error;
		if (r.kind == VMX_OK)
			printf("# outcome %s_exit reason 0x%x qualification 0x%lx\n", c->name,
			       v.exit_reason, v.exit_qualification);
		if (c->bochs_bug && vmx_bare_bochs() && r.kind == VMX_OK &&
		    !(v.exit_reason & VM_ENTRY_FAILURE)) {
			printf("# %s: tolerated Bochs bug (docs/bochs.md): %s\n", c->name,
			       c->bochs_bug);
			continue;
		}
		CHECK(r.kind == VMX_OK && v.exit_reason == want_reason &&
		              v.exit_qualification == c->qual,
		      "%s: want exit 0x%x qualification 0x%lx, got kind %d reason 0x%x "
		      "qualification 0x%lx",
		      c->name, want_reason, c->qual, r.kind, v.exit_reason, v.exit_qualification);
	}
	vmx_leave();
}
