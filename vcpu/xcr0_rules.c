#include "vcpu/xcr0_rules.h"

#define XCR0_AVX512 (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define XCR0_MPX    (XCR0_BNDREGS | XCR0_BNDCSR)
#define XCR0_AMX    (XCR0_XTILECFG | XCR0_XTILEDATA)

/* A group of bits that must be all set or all clear. */
static bool all_or_none(uint64_t val, uint64_t group)
{
	return (val & group) == 0 || (val & group) == group;
}

bool xcr0_valid(uint64_t val, uint64_t supported)
{
	if (!(val & XCR0_X87) || (val & ~supported))
		return false;
	if ((val & XCR0_AVX) && !(val & XCR0_SSE))
		return false;
	if (!all_or_none(val, XCR0_MPX) || !all_or_none(val, XCR0_AMX) ||
	    !all_or_none(val, XCR0_AVX512))
		return false;
	return !(val & XCR0_AVX512) || (val & XCR0_AVX);
}
