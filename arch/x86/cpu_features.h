/*
 * CPU features, read once on the boot CPU into a snapshot; one-line
 * predicates answer from it (all CPUs of a machine are assumed alike).
 */
#ifndef ARCH_X86_CPU_FEATURES_H
#define ARCH_X86_CPU_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_features {
	char vendor[13];
	uint32_t family, model, stepping;
	uint32_t max_leaf, max_ext_leaf;
	uint32_t leaf1_ecx, leaf1_edx;
	uint32_t ext1_ecx, ext1_edx;
	uint32_t phys_addr_bits;
};

extern struct cpu_features cpu_features;

void cpu_features_read(void);
/* One line naming the CPU and the features Umbra cares about. */
void cpu_features_report(void);

static inline bool cpu_has_vmx(void)
{
	return cpu_features.leaf1_ecx & (1U << 5);
}
static inline bool cpu_has_x2apic(void)
{
	return cpu_features.leaf1_ecx & (1U << 21);
}
static inline bool cpu_has_tsc_deadline(void)
{
	return cpu_features.leaf1_ecx & (1U << 24);
}
static inline bool cpu_has_hypervisor_bit(void)
{
	return cpu_features.leaf1_ecx & (1U << 31);
}
static inline bool cpu_has_apic(void)
{
	return cpu_features.leaf1_edx & (1U << 9);
}
static inline bool cpu_has_nx(void)
{
	return cpu_features.ext1_edx & (1U << 20);
}
static inline bool cpu_has_1g_pages(void)
{
	return cpu_features.ext1_edx & (1U << 26);
}
static inline bool cpu_has_rdtscp(void) /* and so IA32_TSC_AUX */
{
	return cpu_features.ext1_edx & (1U << 27);
}
static inline bool cpu_has_long_mode(void)
{
	return cpu_features.ext1_edx & (1U << 29);
}

#endif
