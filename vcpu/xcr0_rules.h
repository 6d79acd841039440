/* The SDM's rules for a value XSETBV may load into XCR0 (pure: host-tested). */
#ifndef VCPU_XCR0_RULES_H
#define VCPU_XCR0_RULES_H

#include <stdbool.h>
#include <stdint.h>

#define XCR0_X87       (1ULL << 0)
#define XCR0_SSE       (1ULL << 1)
#define XCR0_AVX       (1ULL << 2)
#define XCR0_BNDREGS   (1ULL << 3)
#define XCR0_BNDCSR    (1ULL << 4)
#define XCR0_OPMASK    (1ULL << 5)
#define XCR0_ZMM_HI256 (1ULL << 6)
#define XCR0_HI16_ZMM  (1ULL << 7)
#define XCR0_XTILECFG  (1ULL << 17)
#define XCR0_XTILEDATA (1ULL << 18)
#define XCR0_RESET     XCR0_X87

/*
 * True if XSETBV accepts `val` for XCR0 on a CPU whose XCR0-settable bits
 * (CPUID.(EAX=0DH,ECX=0):EDX:EAX) are `supported`: x87 always set, AVX
 * only with SSE, the MPX pair and the AMX pair each both or neither, the
 * three AVX-512 bits all or none and only with AVX, no unsupported bit.
 */
bool xcr0_valid(uint64_t val, uint64_t supported);

#endif
