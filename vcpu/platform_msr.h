/*
 * The MSRs a PC kernel expects of its CPU, emulated per vCPU: the TSC
 * (a write moves this vCPU's TSC offset), IA32_TSC_ADJUST, MISC_ENABLE,
 * the MTRRs, the machine-check globals, the microcode probes, IA32_XSS
 * and IA32_DEBUGCTL.
 * docs/guest-abi.md lists them with what each does.
 */
#ifndef VCPU_PLATFORM_MSR_H
#define VCPU_PLATFORM_MSR_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/mtrr.h"

struct vcpu;

struct platform_msrs {
	uint64_t tsc_offset; /* guest TSC = host TSC + tsc_offset (vmcs01's TSC_OFFSET) */
	uint64_t tsc_adjust; /* IA32_TSC_ADJUST: moves with every TSC write */
	uint64_t misc_enable;
	uint64_t mcg_status;
	struct mtrr_state mtrr;
};

enum platform_msr_result {
	PLATFORM_MSR_NONE, /* not one of these: the caller goes on */
	PLATFORM_MSR_DONE,
	PLATFORM_MSR_GP, /* the access faults, as on hardware */
};

/* Reset values (vCPU creation). */
void platform_msrs_init(struct platform_msrs *m);
enum platform_msr_result platform_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
enum platform_msr_result platform_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);

#endif
