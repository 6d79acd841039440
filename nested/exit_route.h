/*
 * Who answers an exit of L2: the one place that decides (pure,
 * host-tested). L1 gets the exits it asked for (SDM Vol. 3 25.1
 * "Instructions That Cause VM Exits" and 25.2 "Other Causes of VM Exits",
 * read against vmcs12). vmcs02 exits on more than L1 asked, and of the
 * rest, some are Umbra's own reasons (host interrupts, its slices, EPT01,
 * its event windows) and some are L2 instructions that L1 let through but
 * Umbra intercepts for itself: those Umbra carries out as L1's CPU would
 * have for L2. Either way L2 resumes without L1 knowing.
 */
#ifndef NESTED_EXIT_ROUTE_H
#define NESTED_EXIT_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmx/vmx_bits.h"
#include "nested/vmcs12.h"

/* True if L1 gives L2 EPT (EPT12): "enable EPT" under active secondary controls. */
static inline bool vmcs12_ept_enabled(const struct vmcs12 *c)
{
	return (c->cpu_based_vm_exec_control & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	       (c->secondary_vm_exec_control & SECONDARY_EXEC_ENABLE_EPT);
}

/* True if L1 gives L2 unrestricted guest (under active secondary controls). */
static inline bool vmcs12_unrestricted_guest(const struct vmcs12 *c)
{
	return (c->cpu_based_vm_exec_control & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	       (c->secondary_vm_exec_control & SECONDARY_EXEC_UNRESTRICTED_GUEST);
}

/* An L2 exit, as the router needs it. */
struct l2_exit {
	uint32_t reason; /* basic exit reason */
	uint64_t qual;
	uint32_t intr_info; /* exit interruption information (exceptions, NMIs) */
	uint32_t intr_error;
	uint32_t msr;      /* RDMSR/WRMSR: ECX */
	uint64_t cr_value; /* MOV to CR0/CR4: the value; LMSW: its source operand */
	bool l1_timer_due; /* L1's VMX-preemption timer for L2 has run out */
	/* Reads bit `bit` of the L1 bitmap page at guest-physical `gpa` (I/O, MSR bitmaps). */
	bool (*bitmap_bit)(void *ctx, uint64_t gpa, uint32_t bit);
	void *ctx;
};

/* KVM's "L0 wants / L1 wants": the three answers to an L2 exit. */
enum l2_exit_owner {
	/* Umbra's own reason: handled as for any guest, on vmcs02. */
	L2_EXIT_UMBRA,
	/* L1 asked for it: a nested VM exit to L1. */
	L2_EXIT_REFLECT,
	/*
	 * L2 did what L1 lets it do but Umbra intercepts (CR0/CR4 bits Umbra
	 * owns, MSRs and ports L1 passes through, HLT): Umbra does what L1's
	 * CPU would do, on L2's state under L1's vmcs12; with EPT12, every EPT
	 * violation (shadow_ept.c: EPT02 filled, or L1 told).
	 */
	L2_EXIT_FOR_L1,
};

/*
 * Exits L1's CPU takes whatever vmcs12 says (SDM 25.1.2): triple fault,
 * task switch, CPUID, GETSEC, INVD, XSETBV, VMCALL and the VMX instructions
 * (VMFUNC is not offered: L2's raises #UD). nested_exit_to_l1() says the
 * same of each; the L2 exit path asks this first, and reads no vmcs12.
 */
#define L2_EXITS_ALWAYS_TO_L1                                                                      \
	((1ULL << EXIT_REASON_TRIPLE_FAULT) | (1ULL << EXIT_REASON_TASK_SWITCH) |                  \
	 (1ULL << EXIT_REASON_CPUID) | (1ULL << EXIT_REASON_GETSEC) | (1ULL << EXIT_REASON_INVD) | \
	 (1ULL << EXIT_REASON_XSETBV) | (1ULL << EXIT_REASON_VMCALL) |                             \
	 (1ULL << EXIT_REASON_VMCLEAR) | (1ULL << EXIT_REASON_VMLAUNCH) |                          \
	 (1ULL << EXIT_REASON_VMPTRLD) | (1ULL << EXIT_REASON_VMPTRST) |                           \
	 (1ULL << EXIT_REASON_VMREAD) | (1ULL << EXIT_REASON_VMRESUME) |                           \
	 (1ULL << EXIT_REASON_VMWRITE) | (1ULL << EXIT_REASON_VMOFF) |                             \
	 (1ULL << EXIT_REASON_VMON) | (1ULL << EXIT_REASON_INVEPT) |                               \
	 (1ULL << EXIT_REASON_INVVPID))

static inline bool nested_exit_always_to_l1(uint32_t basic)
{
	return basic < 64 && ((L2_EXITS_ALWAYS_TO_L1 >> basic) & 1);
}

/* True if L1's vmcs12 asks for this exit (SDM 25.1, 25.2): nested_l2_exit_owner's first question. */
bool nested_exit_to_l1(const struct vmcs12 *c, const struct l2_exit *e);

/* Inline: it is on every L2 exit's path, and the reflected exit's round trip is counted. */
static inline enum l2_exit_owner nested_l2_exit_owner(const struct vmcs12 *c,
                                                      const struct l2_exit *e)
{
	/* The preemption timer is Umbra's and, once L1's deadline passed, L1's too. */
	if (e->reason == EXIT_REASON_PREEMPTION_TIMER)
		return e->l1_timer_due ? L2_EXIT_REFLECT : L2_EXIT_UMBRA;
	if (nested_exit_to_l1(c, e))
		return L2_EXIT_REFLECT;
	switch (e->reason) {
	/* L2's instructions on what L1's CPU owns: L1's CRs, MSRs, ports, halting. */
	case EXIT_REASON_CR_ACCESS:
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_IO_INSTRUCTION:
	case EXIT_REASON_HLT:
	case EXIT_REASON_RDPMC:
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION: return L2_EXIT_FOR_L1;
	/* With EPT12, EPT02 is built from it: its violations are L1's tables' to answer. */
	case EXIT_REASON_EPT_VIOLATION:
		return vmcs12_ept_enabled(c) ? L2_EXIT_FOR_L1 : L2_EXIT_UMBRA;
	/* Host interrupts, Umbra's slices and windows, EPT01 (L1's own memory), INIT/SIPI. */
	default: return L2_EXIT_UMBRA;
	}
}

#endif
