/*
 * A GDT with ring-3 segments and a 64-bit TSS, and running a function at
 * CPL 3 (catch_exception_cpl3). The start-up GDT (entry.S) has no TSS, and
 * TR stays whatever the loader left (usually 0), so VMX host state, which
 * needs a non-zero TR selector, also uses these tables (vmx.c).
 *
 * BSP only, like catch_exception(). cpl3_init() keeps the start-up GDT's
 * first four descriptors, so selectors 0x08, 0x10 and 0x18 mean what they
 * meant before.
 */
#ifndef GUEST_LIB_CPL3_H
#define GUEST_LIB_CPL3_H

#include "payload.h"

#define GDT_SEL_CODE32    0x08
#define GDT_SEL_DATA      0x10
#define GDT_SEL_CODE64    0x18
#define GDT_SEL_USER_DATA 0x20 /* DPL 3; use with RPL 3: 0x23 */
#define GDT_SEL_USER_CODE 0x28 /* 64-bit, DPL 3; with RPL 3: 0x2b */
#define GDT_SEL_TSS       0x30 /* 64-bit TSS (two slots) */
#define TSS_LIMIT         0x67 /* 104 bytes, no I/O bitmap */

/*
 * Loads the GDT above (once; later calls do nothing) and the TSS into TR.
 * The TSS's RSP0 is a stack of this module's, used by exceptions at CPL 3.
 */
void cpl3_init(void);
/* The TSS's address (for TR base). */
uint64_t cpl3_tss_base(void);

/*
 * Runs fn(arg) at CPL 3 (64-bit code segment, RFLAGS 0x2: interrupts off,
 * IOPL 0) on a stack of this module's, with page tables that map the first
 * GiB user-accessible (identity, 2 MiB pages: the payload image lies
 * there) and nothing above, and an IDT of its own. Like catch_exception():
 * returns -1 if fn returned, else the vector of the first exception fn
 * raised, fn abandoned there, and *info (if not NULL) describes it (rip:
 * the CPL-3 instruction). CR3, IDTR and the data segments are as before on
 * return. fn must not touch I/O ports, print, or rely on anything above
 * 1 GiB.
 */
int catch_exception_cpl3(void (*fn)(void *), void *arg, struct exc_info *info);

#endif
