#include "vcpu/mtrr.h"

#include "arch/x86/x86_bits.h"

#define MTRRCAP_FIX        (1u << 8)
#define MTRRCAP_WC         (1u << 10)
#define DEF_TYPE_FE        (1u << 10)
#define DEF_TYPE_E         (1u << 11)
#define PHYSMASK_VALID     (1u << 11)
#define PHYSBASE_TYPE_MASK 0xffULL

/* The memory types an MTRR may hold: UC, WC, WT, WP, WB. */
static bool type_ok(uint64_t t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/* The index into fixed[] of a fixed-range MTRR, or -1. */
static int fixed_index(uint32_t msr)
{
	if (msr == MSR_IA32_MTRR_FIX64K)
		return 0;
	if (msr == MSR_IA32_MTRR_FIX16K_80K || msr == MSR_IA32_MTRR_FIX16K_A0K)
		return 1 + (int)(msr - MSR_IA32_MTRR_FIX16K_80K);
	if (msr >= MSR_IA32_MTRR_FIX4K_C0K && msr < MSR_IA32_MTRR_FIX4K_C0K + 8)
		return 3 + (int)(msr - MSR_IA32_MTRR_FIX4K_C0K);
	return -1;
}

static bool variable(uint32_t msr)
{
	return msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * MTRR_VARIABLE;
}

bool mtrr_msr(uint32_t msr)
{
	return msr == MSR_IA32_MTRRCAP || msr == MSR_IA32_MTRR_DEF_TYPE || variable(msr) ||
	       fixed_index(msr) >= 0;
}

uint64_t mtrr_read(const struct mtrr_state *m, uint32_t msr)
{
	int f = fixed_index(msr);

	if (msr == MSR_IA32_MTRRCAP)
		return MTRR_VARIABLE | MTRRCAP_FIX | MTRRCAP_WC;
	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return m->def_type;
	if (f >= 0)
		return m->fixed[f];
	if (variable(msr))
		return m->var[(msr - MSR_IA32_MTRR_PHYSBASE0) / 2][msr & 1];
	return 0;
}

bool mtrr_write(struct mtrr_state *m, uint32_t msr, uint64_t val, unsigned int maxphyaddr)
{
	uint64_t above = maxphyaddr >= 64 ? 0 : ~0ULL << maxphyaddr;
	int f = fixed_index(msr);

	if (msr == MSR_IA32_MTRR_DEF_TYPE) {
		if ((val & ~(PHYSBASE_TYPE_MASK | DEF_TYPE_FE | DEF_TYPE_E)) ||
		    !type_ok(val & PHYSBASE_TYPE_MASK))
			return false;
		m->def_type = val;
		return true;
	}
	if (f >= 0) {
		for (int i = 0; i < 8; i++)
			if (!type_ok((val >> (8 * i)) & 0xff))
				return false;
		m->fixed[f] = val;
		return true;
	}
	if (!variable(msr))
		return false; /* MTRRCAP is read-only */
	if (msr & 1) {
		if (val & (above | (PAGE_MASK_4K & ~PHYSMASK_VALID)))
			return false;
	} else if ((val & (above | (PAGE_MASK_4K & ~PHYSBASE_TYPE_MASK))) ||
	           !type_ok(val & PHYSBASE_TYPE_MASK)) {
		return false;
	}
	m->var[(msr - MSR_IA32_MTRR_PHYSBASE0) / 2][msr & 1] = val;
	return true;
}
