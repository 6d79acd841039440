/*
 * A vCPU's MTRRs (SDM 12.11): stored and read back with the checks
 * hardware makes. Umbra's EPT maps guest RAM write-back whatever they say;
 * a guest kernel reads and programs them at boot, and expects that to work.
 */
#ifndef VCPU_MTRR_H
#define VCPU_MTRR_H

#include <stdbool.h>
#include <stdint.h>

#define MTRR_VARIABLE 8
#define MTRR_FIXED    11

#define MSR_IA32_MTRRCAP         0xfe
#define MSR_IA32_MTRR_PHYSBASE0  0x200
#define MSR_IA32_MTRR_FIX64K     0x250
#define MSR_IA32_MTRR_FIX16K_80K 0x258
#define MSR_IA32_MTRR_FIX16K_A0K 0x259
#define MSR_IA32_MTRR_FIX4K_C0K  0x268 /* to 0x26f */
#define MSR_IA32_MTRR_DEF_TYPE   0x2ff

struct mtrr_state {
	uint64_t def_type;
	uint64_t var[MTRR_VARIABLE][2]; /* PHYSBASEn, PHYSMASKn */
	uint64_t fixed[MTRR_FIXED];
};

/* Whether msr is one of the MTRR MSRs (MTRRCAP included). */
bool mtrr_msr(uint32_t msr);
/* RDMSR of an MTRR MSR. */
uint64_t mtrr_read(const struct mtrr_state *m, uint32_t msr);
/* WRMSR: false (#GP) for a read-only MSR, an invalid memory type or a reserved bit set. */
bool mtrr_write(struct mtrr_state *m, uint32_t msr, uint64_t val, unsigned int maxphyaddr);

#endif
