/* Who answers an L2 exit, L1 or Umbra: see exit_route.h. */
#include "nested/exit_route.h"

#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/x86_bits.h"

#define LMSW_BITS        0xfULL
#define MSR_LOW_END      0x1fffu
#define MSR_HIGH_BASE    0xc0000000u
#define MSR_HIGH_END     0xc0001fffu
#define MSR_BITMAP_WRITE 2048u
#define MSR_BITMAP_HIGH  1024u

static bool exec(const struct vmcs12 *c, uint32_t bit)
{
	return c->cpu_based_vm_exec_control & bit;
}

static bool exec2(const struct vmcs12 *c, uint32_t bit)
{
	return exec(c, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	       (c->secondary_vm_exec_control & bit);
}

/* 25.2: an exception exits if its bitmap bit is set; #PF also by error-code mask and match. */
static bool exception_to_l1(const struct vmcs12 *c, const struct l2_exit *e)
{
	uint32_t vector = e->intr_info & 0xff;
	bool bit;

	/* A physical NMI is Umbra's kick (vcpu/slice.h); L1's own NMIs come through its vLAPIC. */
	if ((e->intr_info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI)
		return false;
	bit = c->exception_bitmap & (1u << (vector & 31));
	if (vector != VECTOR_PF)
		return bit;
	if ((e->intr_error & c->page_fault_error_code_mask) == c->page_fault_error_code_match)
		return bit;
	return !bit;
}

/* 25.1.3: I/O; each byte the access touches is checked, and a wrap past 0xffff exits. */
static bool io_to_l1(const struct vmcs12 *c, const struct l2_exit *e)
{
	uint32_t port = IO_QUAL_PORT(e->qual), size = IO_QUAL_SIZE(e->qual);

	if (!exec(c, CPU_BASED_USE_IO_BITMAPS))
		return exec(c, CPU_BASED_UNCOND_IO_EXITING);
	for (uint32_t p = port; p < port + size; p++) {
		if (p > 0xffff)
			return true;
		if (e->bitmap_bit(e->ctx, p < 0x8000 ? c->io_bitmap_a : c->io_bitmap_b, p & 0x7fff))
			return true;
	}
	return false;
}

/* 25.1.3: RDMSR/WRMSR; MSRs outside the bitmap's two ranges always exit. */
static bool msr_to_l1(const struct vmcs12 *c, const struct l2_exit *e, bool write)
{
	uint32_t msr = e->msr, bit;

	if (!exec(c, CPU_BASED_USE_MSR_BITMAPS))
		return true;
	if (msr <= MSR_LOW_END)
		bit = msr;
	else if (msr >= MSR_HIGH_BASE && msr <= MSR_HIGH_END)
		bit = MSR_BITMAP_HIGH * 8 + (msr - MSR_HIGH_BASE);
	else
		return true;
	if (write)
		bit += MSR_BITMAP_WRITE * 8;
	return e->bitmap_bit(e->ctx, c->msr_bitmap, bit);
}

/* 25.1.3: MOV to CR3 of one of the first CR3-target-count values does not exit. */
static bool cr3_target(const struct vmcs12 *c, uint64_t val)
{
	const uint64_t targets[VMCS12_CR3_TARGETS] = {c->cr3_target_value0, c->cr3_target_value1,
	                                              c->cr3_target_value2, c->cr3_target_value3};

	for (uint32_t i = 0; i < c->cr3_target_count && i < VMCS12_CR3_TARGETS; i++)
		if (targets[i] == val)
			return true;
	return false;
}

/* 25.1.3: control-register accesses against the L1's masks, shadows and controls. */
static bool cr_to_l1(const struct vmcs12 *c, const struct l2_exit *e)
{
	uint32_t cr = CR_QUAL_CR(e->qual), type = CR_QUAL_TYPE(e->qual);
	uint64_t mask0 = c->cr0_guest_host_mask, shadow0 = c->cr0_read_shadow;

	switch (type) {
	case CR_TYPE_MOV_TO:
		if (cr == 0)
			return (e->cr_value ^ shadow0) & mask0;
		if (cr == 4)
			return (e->cr_value ^ c->cr4_read_shadow) & c->cr4_guest_host_mask;
		if (cr == 3)
			return exec(c, CPU_BASED_CR3_LOAD_EXITING) && !cr3_target(c, e->cr_value);
		if (cr == 8)
			return exec(c, CPU_BASED_CR8_LOAD_EXITING);
		return true;
	case CR_TYPE_MOV_FROM:
		if (cr == 3)
			return exec(c, CPU_BASED_CR3_STORE_EXITING);
		if (cr == 8)
			return exec(c, CPU_BASED_CR8_STORE_EXITING);
		return true;
	case CR_TYPE_CLTS: return (mask0 & CR0_TS) && (shadow0 & CR0_TS);
	default: /* LMSW: bits 3:0, and it cannot clear PE */
		return (mask0 & LMSW_BITS & ~1ULL & (e->cr_value ^ shadow0)) ||
		       ((mask0 & 1) && !(shadow0 & 1) && (e->cr_value & 1));
	}
}

bool nested_exit_to_l1(const struct vmcs12 *c, const struct l2_exit *e)
{
	switch (e->reason) {
	case EXIT_REASON_EXCEPTION_NMI: return exception_to_l1(c, e);
	/* Host interrupts and Umbra's timers: L1's interrupts reach it through its vLAPIC. */
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_PREEMPTION_TIMER:
	case EXIT_REASON_EPT_VIOLATION: /* EPT02's or EPT01's: nested_l2_exit_owner decides */
	case EXIT_REASON_EPT_MISCONFIG:
	case EXIT_REASON_INIT_SIGNAL:
	case EXIT_REASON_SIPI_SIGNAL:
	case EXIT_REASON_NMI_WINDOW: return false;
	case EXIT_REASON_INTERRUPT_WINDOW: return exec(c, CPU_BASED_INTR_WINDOW_EXITING);
	case EXIT_REASON_HLT: return exec(c, CPU_BASED_HLT_EXITING);
	case EXIT_REASON_MWAIT_INSTRUCTION: return exec(c, CPU_BASED_MWAIT_EXITING);
	case EXIT_REASON_MONITOR_INSTRUCTION: return exec(c, CPU_BASED_MONITOR_EXITING);
	case EXIT_REASON_PAUSE_INSTRUCTION: return exec(c, CPU_BASED_PAUSE_EXITING);
	case EXIT_REASON_INVLPG: return exec(c, CPU_BASED_INVLPG_EXITING);
	case EXIT_REASON_RDPMC: return exec(c, CPU_BASED_RDPMC_EXITING);
	case EXIT_REASON_RDTSC:
	case EXIT_REASON_RDTSCP: return exec(c, CPU_BASED_RDTSC_EXITING);
	case EXIT_REASON_DR_ACCESS: return exec(c, CPU_BASED_MOV_DR_EXITING);
	case EXIT_REASON_WBINVD: return exec2(c, SECONDARY_EXEC_WBINVD_EXITING);
	case EXIT_REASON_RDRAND: return exec2(c, SECONDARY_EXEC_RDRAND_EXITING);
	case EXIT_REASON_RDSEED: return exec2(c, SECONDARY_EXEC_RDSEED_EXITING);
	case EXIT_REASON_GDTR_IDTR:
	case EXIT_REASON_LDTR_TR: return exec2(c, SECONDARY_EXEC_DESC_TABLE_EXITING);
	case EXIT_REASON_INVPCID: return exec(c, CPU_BASED_INVLPG_EXITING);
	case EXIT_REASON_IO_INSTRUCTION: return io_to_l1(c, e);
	case EXIT_REASON_MSR_READ: return msr_to_l1(c, e, false);
	case EXIT_REASON_MSR_WRITE: return msr_to_l1(c, e, true);
	case EXIT_REASON_CR_ACCESS: return cr_to_l1(c, e);
	/*
	 * Unconditional in VMX non-root operation: triple fault, task switch,
	 * CPUID, GETSEC, INVD, XSETBV, VMCALL and the VMX instructions, and
	 * anything the SDM adds that Umbra does not know.
	 */
	default: return true;
	}
}
