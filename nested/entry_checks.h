/*
 * The checks a VM entry makes on an L1's vmcs12 (SDM Vol. 3 chapter 26,
 * "VM Entries"), in software, before Umbra builds vmcs02 from it. Pure and
 * host-tested: one check per SDM rule; a failing check returns the rule it
 * enforces (a string naming the SDM section), which Umbra logs at debug
 * level and turns into the SDM's answer:
 *   nested_check_controls     VMfailValid(7)  (26.2.1)
 *   nested_check_host_state   VMfailValid(8)  (26.2.2, 26.2.3)
 *   nested_check_guest_state  VM exit 33 with *qual (26.3.1), qualification
 *                             0 (default), 2 (PDPTE loading) or 4 (VMCS
 *                             link pointer)
 * The checks hold vmcs12 to what L1 was offered (l1_caps.h), not to what
 * the host CPU would accept.
 */
#ifndef NESTED_ENTRY_CHECKS_H
#define NESTED_ENTRY_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include "nested/l1_caps.h"
#include "nested/vmcs12.h"

#define ENTRY_QUAL_DEFAULT  0
#define ENTRY_QUAL_PDPTE    2
#define ENTRY_QUAL_LINK_PTR 4

/* What the checks need from outside vmcs12. */
struct nested_entry_env {
	const struct nested_caps *caps;
	bool l1_long_mode; /* the L1 runs in IA-32e mode (so VMX root does too) */
	/* Reads 8 bytes of L1 guest-physical memory; false if it is not RAM. */
	bool (*read64)(void *ctx, uint64_t gpa, uint64_t *val);
	void *ctx;
	uint64_t current_vmcs; /* L1's current-VMCS pointer (the link pointer must differ) */
};

const char *nested_check_controls(const struct vmcs12 *c, const struct nested_entry_env *env);
const char *nested_check_host_state(const struct vmcs12 *c, const struct nested_entry_env *env);
const char *nested_check_guest_state(const struct vmcs12 *c, const struct nested_entry_env *env,
                                     uint32_t *qual);

/*
 * The guest-state rules that read RIP, RSP, RFLAGS and the interruptibility
 * (26.3.1.4, 26.3.1.5): enough at an entry after which L1 wrote no other
 * field, when nested_check_guest_state passed at the last entry and
 * nested_guest_hot_check_enough (no virtual-8086 mode, no rule reading L1
 * memory). The other fields then hold what passed, or what the CPU saved at
 * the exit since, which its own checks on vmcs02 see.
 */
bool nested_guest_hot_check_enough(const struct vmcs12 *c);
const char *nested_check_guest_hot(const struct vmcs12 *c, const struct nested_entry_env *env);
/*
 * The rule that reads RIP (26.3.1.4, part of the above): enough after an
 * exit whose state L1 changed only in RIP and fields no guest rule reads.
 */
const char *nested_check_guest_rip(const struct vmcs12 *c);

/*
 * The rules of nested_check_controls on the event to inject (26.2.1.3): they
 * read the VM-entry interruption information, exception error code and
 * instruction length, and guest CR0.PE. Enough at an entry after which L1
 * wrote no other control or host-state field (the TPR threshold aside: no
 * rule reads it, L1 has no TPR shadow), when nested_check_controls and
 * nested_check_host_state passed at the last one.
 */
const char *nested_check_entry_intr(const struct vmcs12 *c);

/* Helpers the other nested code shares. */
bool nested_canonical(uint64_t la);
bool nested_pat_valid(uint64_t pat);
/*
 * 26.2.1.1: an EPTP as VM entry with "enable EPT" checks it against what
 * L1 is offered (IA32_VMX_EPT_VPID_CAP, its MAXPHYADDR): NULL if valid,
 * else the rule it breaks. INVEPT's single-context EPTP is held to the same.
 */
const char *nested_check_eptp(const struct nested_caps *caps, uint64_t eptp);
static inline bool nested_eptp_valid(const struct nested_caps *caps, uint64_t eptp)
{
	return !nested_check_eptp(caps, eptp);
}

#endif
