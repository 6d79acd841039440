/*
 * Which exits of L2 go to L1 (SDM Vol. 3 25.1 "Instructions That Cause VM
 * Exits" and 25.2 "Other Causes of VM Exits", read against vmcs12): pure,
 * host-tested. vmcs02 exits on more than L1 asked (Umbra's own reasons:
 * host interrupts, slices, I/O and MSR exits checked here, HLT, CR0/CR4
 * bits it owns); an exit L1 did not ask for is handled by Umbra as for
 * any guest, and L2 resumes without L1 knowing.
 */
#ifndef NESTED_EXIT_ROUTE_H
#define NESTED_EXIT_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "nested/vmcs12.h"

/* An L2 exit, as the router needs it. */
struct l2_exit {
	uint32_t reason; /* basic exit reason */
	uint64_t qual;
	uint32_t intr_info; /* exit interruption information (exceptions, NMIs) */
	uint32_t intr_error;
	uint32_t msr;      /* RDMSR/WRMSR: ECX */
	uint64_t cr_value; /* MOV to CR0/CR4: the value; LMSW: its source operand */
	/* Reads bit `bit` of the L1 bitmap page at guest-physical `gpa` (I/O, MSR bitmaps). */
	bool (*bitmap_bit)(void *ctx, uint64_t gpa, uint32_t bit);
	void *ctx;
};

/* True if L1's vmcs12 asks for this exit (a nested VM exit follows), false if Umbra handles it. */
bool nested_exit_to_l1(const struct vmcs12 *c, const struct l2_exit *e);

#endif
