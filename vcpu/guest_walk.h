/*
 * Guest linear -> guest-physical translation through the guest's own page
 * tables (pure, host-tested), as the CPU does it (SDM Vol. 3, chapter 4
 * "Paging"): used to fetch the instruction behind an exit at the guest's RIP.
 *
 * Modes, chosen from CR0.PG, CR4.PAE, EFER.LMA and CR4.LA57:
 *   paging off  gpa = linear, unchanged;
 *   32-bit      (CR4.PAE = 0) PD -> PT, 4 KiB pages, and 4 MiB pages when
 *               CR4.PSE = 1 (PSE-36: PDE bits 20:13 give gpa bits 39:32);
 *               linear bits 63:32 are ignored;
 *   PAE         (CR4.PAE = 1, EFER.LMA = 0) 4 PDPTEs -> PD -> PT, 4 KiB and
 *               2 MiB pages; linear bits 63:32 are ignored;
 *   4-level     (EFER.LMA = 1) PML4 -> PDPT -> PD -> PT, 4 KiB, 2 MiB and 1 GiB
 *               pages (1 GiB pages are taken as supported);
 *   5-level     (EFER.LMA = 1, CR4.LA57 = 1) PML5 above that.
 * IA-32e linear addresses must be canonical.
 *
 * Entries are read through read64(ctx, gpa, &val), always at an 8-byte
 * aligned gpa. 32-bit paging's 4-byte entries are read as the aligned
 * quadword that holds them, then its low half (entry gpa bit 2 clear) or
 * high half (bit 2 set) is taken.
 *
 * Checks, per the SDM (4.6 "Access rights"), with the protection bits
 * combined over all levels: present bits; user accesses (cpl 3) need U/S=1
 * at every level; writes need R/W=1 at every level, except supervisor writes
 * with CR0.WP = 0; fetches fail if XD is set at any level (EFER.NXE = 1, not
 * in 32-bit paging); CR4.SMEP forbids supervisor fetches, and CR4.SMAP
 * supervisor data accesses unless `ac`, from user pages (U/S = 1 at every
 * level); reserved bits: bits 51:MAXPHYADDR, XD without EFER.NXE, PS in
 * PML5Es/PML4Es, bits 29:13 of 1 GiB and 20:13 of 2 MiB entries, PAE PDPTE
 * bits 2:1, 8:5 and 63:MAXPHYADDR, PAE PDE/PTE bits 62:52, bit 21 (and the
 * address bits beyond MAXPHYADDR) of 4 MiB entries. Not checked: protection
 * keys, implicit supervisor accesses (they are the caller's to describe).
 *
 * Accessed and dirty bits are not set: Umbra only reads guest memory here,
 * and the CPU has already set them for the access that caused the exit.
 */
#ifndef VCPU_GUEST_WALK_H
#define VCPU_GUEST_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/x86_bits.h" /* the CR0, CR4 and EFER bits of struct guest_paging */

enum guest_access {
	GUEST_ACC_READ,
	GUEST_ACC_WRITE,
	GUEST_ACC_FETCH,
};

/* The guest's paging state (from the VMCS guest-state area). */
struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
	uint8_t cpl;        /* current privilege level: 3 = user accesses */
	bool ac;            /* RFLAGS.AC (lets supervisor data accesses through SMAP) */
	uint8_t maxphyaddr; /* the guest's MAXPHYADDR; 0 = 52 */
	/*
	 * PAE paging: the CPU uses the PDPTEs it loaded with CR3 (with EPT,
	 * the VMCS guest PDPTE fields), not memory. If pdptes_valid, pdpte[]
	 * is used; otherwise the four PDPTEs are read at CR3.
	 */
	bool pdptes_valid;
	uint64_t pdpte[4];
};

/*
 * Failure reasons. guest_walk() returns 0 or GUEST_WALK_ERR(reason, level),
 * negative: level is the paging level of the entry at fault (1 = PTE,
 * 2 = PDE, 3 = PDPTE, 4 = PML4E, 5 = PML5E; for a protection fault, the
 * level of the entry that maps the page), 0 for a non-canonical address.
 */
#define GUEST_WALK_NOT_PRESENT        1 /* present bit clear */
#define GUEST_WALK_PROTECTION         2 /* U/S, R/W, XD, SMEP or SMAP forbid the access */
#define GUEST_WALK_RESERVED           3 /* a reserved bit set in a present entry */
#define GUEST_WALK_ACCESSOR           4 /* read64() failed */
#define GUEST_WALK_NONCANONICAL       5 /* IA-32e: linear address not canonical */
#define GUEST_WALK_ERR(reason, level) (-((reason) | ((level) << 4)))

static inline int guest_walk_reason(int rc)
{
	return rc < 0 ? (-rc) & 0xf : 0;
}
static inline int guest_walk_level(int rc)
{
	return rc < 0 ? (-rc) >> 4 : 0;
}

typedef bool (*guest_read64_fn)(void *ctx, uint64_t gpa, uint64_t *val);

/* Translates `linear` for an access of kind `acc`: 0 and *gpa, or a GUEST_WALK_ERR(). */
int guest_walk(const struct guest_paging *p, uint64_t linear, enum guest_access acc, uint64_t *gpa,
               bool (*read64)(void *ctx, uint64_t gpa, uint64_t *val), void *ctx);

/* A short description of a return code ("PDE not present", "ok"...). */
const char *guest_walk_error(int rc);

/*
 * The #PF error code the CPU would push for a failure `rc` of an access
 * `acc` (bits P, W/R, U/S, RSVD, I/D), should the caller reflect it.
 * Meaningless for GUEST_WALK_ACCESSOR and GUEST_WALK_NONCANONICAL (#GP).
 */
uint32_t guest_walk_pf_error_code(const struct guest_paging *p, enum guest_access acc, int rc);

#endif
