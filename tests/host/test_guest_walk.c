/* Host tests of vcpu/guest_walk.c: guest linear -> guest-physical through the guest's tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vcpu/guest_walk.h"

/* Guest memory: 1 MiB at gpa 0, where the tests build their tables. */
#define MEM_SIZE (1u << 20)

static struct {
	uint8_t bytes[MEM_SIZE];
	unsigned int reads;
	uint64_t read_at[8];
} mem;

static bool read64(void *ctx, uint64_t gpa, uint64_t *val)
{
	assert_ptr_equal(ctx, &mem);
	assert_int_equal(gpa & 7, 0); /* always aligned */
	if (mem.reads < 8)
		mem.read_at[mem.reads] = gpa;
	mem.reads++;
	if (gpa >= MEM_SIZE)
		return false;
	memcpy(val, mem.bytes + gpa, 8);
	return true;
}

static void set64(uint64_t gpa, uint64_t v)
{
	assert_true(gpa + 8 <= MEM_SIZE && !(gpa & 7));
	memcpy(mem.bytes + gpa, &v, 8);
}

static void set32(uint64_t gpa, uint32_t v)
{
	assert_true(gpa + 4 <= MEM_SIZE && !(gpa & 3));
	memcpy(mem.bytes + gpa, &v, 4);
}

static int reset(void **state)
{
	(void)state;
	memset(&mem, 0, sizeof(mem));
	return 0;
}

#define P   (1ULL << 0)
#define RW  (1ULL << 1)
#define US  (1ULL << 2)
#define PS  (1ULL << 7)
#define PAT (1ULL << 12) /* in large-page entries */
#define XD  (1ULL << 63)

#define RD GUEST_ACC_READ
#define WR GUEST_ACC_WRITE
#define FX GUEST_ACC_FETCH

#define NOT_PRESENT(l) GUEST_WALK_ERR(GUEST_WALK_NOT_PRESENT, l)
#define PROT(l)        GUEST_WALK_ERR(GUEST_WALK_PROTECTION, l)
#define RSVD(l)        GUEST_WALK_ERR(GUEST_WALK_RESERVED, l)
#define ACCESSOR(l)    GUEST_WALK_ERR(GUEST_WALK_ACCESSOR, l)
#define NONCANON       GUEST_WALK_ERR(GUEST_WALK_NONCANONICAL, 0)

/* Translates and checks: rc, and the gpa when rc is 0. */
#define EXPECT_WALK(p, lin, acc, want_rc, want_gpa)                                   \
	do {                                                                          \
		uint64_t gpa_ = 0xdeadULL;                                            \
		int rc_ = guest_walk((p), (lin), (acc), &gpa_, read64, &mem);         \
		if (rc_ != (want_rc))                                                 \
			fail_msg("walk %#llx acc %d: rc %d (%s), expected %d (%s)",   \
			         (unsigned long long)(lin), (int)(acc), rc_,          \
			         guest_walk_error(rc_), (int)(want_rc),               \
			         guest_walk_error(want_rc));                          \
		if (rc_ == 0 && gpa_ != (uint64_t)(want_gpa))                         \
			fail_msg("walk %#llx: gpa %#llx, expected %#llx",             \
			         (unsigned long long)(lin), (unsigned long long)gpa_, \
			         (unsigned long long)(want_gpa));                     \
	} while (0)

/* ---- paging off ---- */

static void test_paging_off(void **state)
{
	(void)state;
	/* PAE and LMA without PG change nothing. */
	struct guest_paging p = {.cr0 = CR0_PE, .cr3 = 0x1000, .cr4 = CR4_PAE};

	EXPECT_WALK(&p, 0xfee00300, WR, 0, 0xfee00300);
	EXPECT_WALK(&p, 0x7c00, FX, 0, 0x7c00);
	p.cr0 = 0;
	EXPECT_WALK(&p, 0x12345678, RD, 0, 0x12345678);
	assert_int_equal(mem.reads, 0);
}

/* ---- 32-bit paging ---- */

static const struct guest_paging p32 = {
        .cr0 = CR0_PE | CR0_PG | CR0_WP,
        .cr3 = 0x1000 | 0x18, /* PWT/PCD: not address bits */
        .cr4 = CR4_PSE,
};

static void test_32bit_4k(void **state)
{
	(void)state;
	/* 0xc0005123: PDE 0x300 (low half of its quadword), PTE 5 (high half). */
	set32(0x1000 + 0x300 * 4, 0x2000 | P | RW);
	set32(0x2000 + 5 * 4, 0x00abc000 | P | RW);
	/* 0xc0400000 + 0x4567: PDE 0x301 (high half), PTE 4 (low half). */
	set32(0x1000 + 0x301 * 4, 0x3000 | P | RW);
	set32(0x3000 + 4 * 4, 0xfffff000 | P);
	/* Garbage in the other halves of the PTEs' quadwords must not leak in. */
	set32(0x2000 + 4 * 4, 0xffffffff);
	set32(0x3000 + 5 * 4, 0xffffffff);

	EXPECT_WALK(&p32, 0xc0005123, RD, 0, 0xabc123);
	assert_int_equal(mem.reads, 2);
	assert_int_equal(mem.read_at[0], 0x1c00);
	assert_int_equal(mem.read_at[1], 0x2010);
	EXPECT_WALK(&p32, 0xc0404567, RD, 0, 0xfffff567);
	/* Linear bits 63:32 are ignored. */
	EXPECT_WALK(&p32, 0xffffffffc0005fffULL, RD, 0, 0xabcfff);
	/* PTE 6 and PDE 0 are not present. */
	EXPECT_WALK(&p32, 0xc0006000, RD, NOT_PRESENT(1), 0);
	EXPECT_WALK(&p32, 0x00001000, RD, NOT_PRESENT(2), 0);
}

static void test_32bit_4m_and_pse36(void **state)
{
	(void)state;
	struct guest_paging p = p32;

	/* The xAPIC through a 4 MiB page (PDE 0x3fb), PAT bit set. */
	set32(0x1000 + 0x3fb * 4, 0xfec00000 | PS | PAT | P | RW);
	EXPECT_WALK(&p, 0xfee00300, WR, 0, 0xfee00300);
	assert_int_equal(mem.reads, 1);
	/* PSE-36: bits 20:13 = gpa bits 39:32. */
	set32(0x1000 + 0x001 * 4, 0x00400000 | (0x12u << 13) | PS | P);
	EXPECT_WALK(&p, 0x00412345, RD, 0, 0x1200412345ULL);
	/* MAXPHYADDR 36: bits 20:17 reserved (0x12 has bit 17 set); 0x02 is fine. */
	p.maxphyaddr = 36;
	EXPECT_WALK(&p, 0x00412345, RD, RSVD(2), 0);
	set32(0x1000 + 0x001 * 4, 0x00400000 | (0x02u << 13) | PS | P);
	EXPECT_WALK(&p, 0x00412345, RD, 0, 0x200412345ULL);
	/* Bit 21 is always reserved. */
	set32(0x1000 + 0x001 * 4, 0x00400000 | (1u << 21) | PS | P);
	p.maxphyaddr = 0;
	EXPECT_WALK(&p, 0x00412345, RD, RSVD(2), 0);
	/* Without CR4.PSE, PS is ignored: the PDE points to a page table. */
	set32(0x1000 + 0x002 * 4, 0x5000 | PS | P);
	set32(0x5000 + 3 * 4, 0x77000 | P);
	p.cr4 = 0;
	EXPECT_WALK(&p, 0x00803abc, RD, 0, 0x77abc);
	/* With it, a 4 MiB page at 0: 0x5000 has PAT (bit 12) and bit 14 = gpa bit 33. */
	p.cr4 = CR4_PSE;
	EXPECT_WALK(&p, 0x00803abc, RD, 0, 0x200003abcULL);
}

static void test_32bit_protection(void **state)
{
	(void)state;
	struct guest_paging p = p32;

	/* PDE 0: user, read-only; its PT: PTE 0 user RW, PTE 1 supervisor RW. */
	set32(0x1000, 0x2000 | P | US);
	set32(0x2000, 0x10000 | P | RW | US);
	set32(0x2004, 0x11000 | P | RW);
	/* PDE 1: supervisor RW; PTE 0 user RW. */
	set32(0x1004, 0x3000 | P | RW);
	set32(0x3000, 0x12000 | P | RW | US);

	p.cpl = 3;
	EXPECT_WALK(&p, 0x0000, RD, 0, 0x10000);
	EXPECT_WALK(&p, 0x0000, FX, 0, 0x10000);
	EXPECT_WALK(&p, 0x0000, WR, PROT(1), 0);   /* R/W = 0 in the PDE */
	EXPECT_WALK(&p, 0x1000, RD, PROT(1), 0);   /* U/S = 0 in the PTE */
	EXPECT_WALK(&p, 0x400000, RD, PROT(1), 0); /* U/S = 0 in the PDE */
	p.cr0 &= ~CR0_WP;
	EXPECT_WALK(&p, 0x0000, WR, PROT(1), 0); /* WP does not matter to users */
	p.cpl = 0;
	EXPECT_WALK(&p, 0x0000, WR, 0, 0x10000); /* WP = 0: supervisor writes anything */
	p.cr0 |= CR0_WP;
	EXPECT_WALK(&p, 0x0000, WR, PROT(1), 0);
	EXPECT_WALK(&p, 0x1000, WR, PROT(1), 0); /* PTE R/W = 1, but not the PDE */
	EXPECT_WALK(&p, 0x400000, WR, 0, 0x12000);
	/* No XD in 32-bit paging: NXE changes nothing, and the I/D bit stays clear. */
	p.efer = EFER_NXE;
	EXPECT_WALK(&p, 0x0000, FX, 0, 0x10000);
	/* A user 4 MiB page. */
	set32(0x1008, 0x00c00000 | PS | P | US);
	p.cpl = 3;
	EXPECT_WALK(&p, 0x00812345, RD, 0, 0x00c12345);
	EXPECT_WALK(&p, 0x00812345, WR, PROT(2), 0);
	/* The page directory outside guest memory. */
	p.cr3 = 0x80000000;
	EXPECT_WALK(&p, 0x0000, RD, ACCESSOR(2), 0);
}

/* ---- PAE paging ---- */

static const struct guest_paging ppae = {
        .cr0 = CR0_PE | CR0_PG | CR0_WP,
        .cr3 = 0x3020, /* 32-byte aligned */
        .cr4 = CR4_PAE,
        .efer = EFER_NXE,
};

static void build_pae(void)
{
	set64(0x3020 + 0 * 8, 0x5000 | P);
	set64(0x3020 + 3 * 8, 0x4000 | P);
	/* 0xfee00000: PDPTE 3, PDE 0x1f7 -> a 2 MiB page. */
	set64(0x4000 + 0x1f7 * 8, 0xfee00000 | PS | P | RW);
	/* 0x00202abc: PDPTE 0, PDE 1, PTE 2 -> a page above 4 GiB. */
	set64(0x5000 + 1 * 8, 0x6000 | P | RW | US);
	set64(0x6000 + 2 * 8, 0x123456000ULL | P | RW | US);
}

static void test_pae_translation(void **state)
{
	(void)state;
	struct guest_paging p = ppae;

	build_pae();
	EXPECT_WALK(&p, 0xfee00300, WR, 0, 0xfee00300);
	assert_int_equal(mem.reads, 2);
	assert_int_equal(mem.read_at[0], 0x3020 + 3 * 8);
	assert_int_equal(mem.read_at[1], 0x4000 + 0x1f7 * 8);
	EXPECT_WALK(&p, 0x00202abc, RD, 0, 0x123456abcULL);
	EXPECT_WALK(&p, 0xffffffff00202abcULL, RD, 0, 0x123456abcULL); /* bits 63:32 ignored */
	/* Not present at each level. */
	EXPECT_WALK(&p, 0x40000000, RD, NOT_PRESENT(3), 0);
	EXPECT_WALK(&p, 0x00400000, RD, NOT_PRESENT(2), 0);
	EXPECT_WALK(&p, 0x00203000, RD, NOT_PRESENT(1), 0);
	/* 2 MiB page: PAT (bit 12) is fine, bit 13 is reserved. */
	set64(0x4000 + 0x1f7 * 8, 0xfee00000 | PAT | PS | P | RW);
	EXPECT_WALK(&p, 0xfee00300, RD, 0, 0xfee00300);
	set64(0x4000 + 0x1f7 * 8, 0xfee00000 | (1ULL << 13) | PS | P | RW);
	EXPECT_WALK(&p, 0xfee00300, RD, RSVD(2), 0);
	/* EFER.LMA, not LME, selects IA-32e paging: LME alone is still PAE. */
	p.efer |= EFER_LME;
	EXPECT_WALK(&p, 0x00202abc, RD, 0, 0x123456abcULL);
	/* The PDPT outside guest memory. */
	p.cr3 = 0x80000000;
	EXPECT_WALK(&p, 0x00202abc, RD, ACCESSOR(3), 0);
}

static void test_pae_pdpte_registers(void **state)
{
	(void)state;
	struct guest_paging p = ppae;

	build_pae();
	/* The VMCS's PDPTEs win over memory: swap entries 0 and 3. */
	p.pdptes_valid = true;
	p.pdpte[0] = 0x4000 | P;
	p.pdpte[3] = 0x5000 | P;
	EXPECT_WALK(&p, 0x3ee00300, RD, 0, 0xfee00300);
	assert_int_equal(mem.reads, 1); /* the PDE only */
	EXPECT_WALK(&p, 0xc0202abc, RD, 0, 0x123456abcULL);
	EXPECT_WALK(&p, 0x00202abc, RD, NOT_PRESENT(2), 0);
	p.pdpte[3] = 0x5000;
	EXPECT_WALK(&p, 0xc0202abc, RD, NOT_PRESENT(3), 0);
	p.pdpte[3] = 0x5000 | P | RW; /* R/W is reserved in a PAE PDPTE */
	EXPECT_WALK(&p, 0xc0202abc, RD, RSVD(3), 0);
}

static void test_pae_reserved_bits(void **state)
{
	(void)state;
	struct guest_paging p = ppae;
	static const uint64_t pdpte_rsvd[] = {RW, US, 1ULL << 5, PS, 1ULL << 8, 1ULL << 52, XD};

	build_pae();
	for (size_t i = 0; i < sizeof(pdpte_rsvd) / sizeof(pdpte_rsvd[0]); i++) {
		set64(0x3020, 0x5000 | P | pdpte_rsvd[i]);
		EXPECT_WALK(&p, 0x00202abc, RD, RSVD(3), 0);
	}
	set64(0x3020, 0x5000 | P | (1ULL << 3) | (1ULL << 4) | (7ULL << 9)); /* PWT, PCD, AVL */
	EXPECT_WALK(&p, 0x00202abc, RD, 0, 0x123456abcULL);

	/* Bits 62:52 are reserved in PAE PDEs and PTEs (unlike 4-level paging). */
	set64(0x6000 + 2 * 8, 0x123456000ULL | (1ULL << 62) | P);
	EXPECT_WALK(&p, 0x00202abc, RD, RSVD(1), 0);
	set64(0x6000 + 2 * 8, 0x123456000ULL | P);
	set64(0x5000 + 1 * 8, 0x6000 | (1ULL << 52) | P | RW | US);
	EXPECT_WALK(&p, 0x00202abc, RD, RSVD(2), 0);
	set64(0x5000 + 1 * 8, 0x6000 | P | RW | US);

	/* XD: reserved without EFER.NXE; with it, forbids fetches only. */
	set64(0x6000 + 2 * 8, 0x123456000ULL | XD | P | RW | US);
	EXPECT_WALK(&p, 0x00202abc, RD, 0, 0x123456abcULL);
	EXPECT_WALK(&p, 0x00202abc, WR, 0, 0x123456abcULL);
	EXPECT_WALK(&p, 0x00202abc, FX, PROT(1), 0);
	p.efer = 0;
	EXPECT_WALK(&p, 0x00202abc, RD, RSVD(1), 0);

	/* MAXPHYADDR 32: the page above 4 GiB has reserved bits. */
	p.efer = EFER_NXE;
	p.maxphyaddr = 32;
	set64(0x6000 + 2 * 8, 0x123456000ULL | P);
	EXPECT_WALK(&p, 0x00202abc, RD, RSVD(1), 0);
	set64(0x6000 + 2 * 8, 0x23456000ULL | P);
	EXPECT_WALK(&p, 0x00202abc, RD, 0, 0x23456abc);
}

/* ---- 4-level and 5-level paging ---- */

static const struct guest_paging p64 = {
        .cr0 = CR0_PE | CR0_PG | CR0_WP,
        .cr3 = 0x10000 | 0x18,
        .cr4 = CR4_PAE | CR4_PSE,
        .efer = EFER_LME | EFER_LMA | EFER_NXE,
};

/*
 * 0xffffffff80010abc: PML4 511 -> PDPT 510 -> PD 0 -> PT 0x10 -> 0x7654321000.
 * 0x41234567: PML4 0 -> PDPT 1, a 1 GiB page at 2 GiB.
 * 0x80300123: PML4 0 -> PDPT 2 -> PD 1, a 2 MiB page at 0xfee00000.
 * 0x00005abc: PML4 0 -> PDPT 0 -> PD 0 -> PT 5, a user page (all levels U/S = 1).
 */
static void build_4level(void)
{
	const uint64_t u = P | RW | US;

	set64(0x10000 + 511 * 8, 0x11000 | P | RW);
	set64(0x11000 + 510 * 8, 0x12000 | P | RW);
	set64(0x12000 + 0 * 8, 0x13000 | P | RW);
	set64(0x13000 + 0x10 * 8, 0x7654321000ULL | P | RW);

	set64(0x10000 + 0 * 8, 0x20000 | u);
	set64(0x20000 + 1 * 8, 0x80000000 | PS | P | RW);
	set64(0x20000 + 2 * 8, 0x21000 | P | RW);
	set64(0x21000 + 1 * 8, 0xfee00000 | PS | P | RW);
	set64(0x20000 + 0 * 8, 0x22000 | u);
	set64(0x22000 + 0 * 8, 0x23000 | u);
	set64(0x23000 + 5 * 8, 0x40000 | u);
}

static void test_4level_translation(void **state)
{
	(void)state;
	struct guest_paging p = p64;

	build_4level();
	EXPECT_WALK(&p, 0xffffffff80010abcULL, RD, 0, 0x7654321abcULL);
	assert_int_equal(mem.reads, 4);
	assert_int_equal(mem.read_at[0], 0x10000 + 511 * 8);
	assert_int_equal(mem.read_at[1], 0x11000 + 510 * 8);
	assert_int_equal(mem.read_at[2], 0x12000);
	assert_int_equal(mem.read_at[3], 0x13000 + 0x10 * 8);
	EXPECT_WALK(&p, 0x41234567, WR, 0, 0x81234567);
	EXPECT_WALK(&p, 0x80300123, WR, 0, 0xfef00123);
	EXPECT_WALK(&p, 0x5abc, FX, 0, 0x40abc);
	/* Ignored bits 62:52 (and protection keys) in a leaf, AVL bits anywhere. */
	set64(0x23000 + 5 * 8, 0x40000 | (0x7ffULL << 52) | (7ULL << 9) | P | RW | US);
	EXPECT_WALK(&p, 0x5abc, RD, 0, 0x40abc);
	/* A CR3 with bits above MAXPHYADDR (e.g. LAM, no-flush) still finds the PML4. */
	p.cr3 |= 3ULL << 61;
	EXPECT_WALK(&p, 0xffffffff80010abcULL, RD, 0, 0x7654321abcULL);
}

static void test_4level_not_present_and_noncanonical(void **state)
{
	(void)state;
	struct guest_paging p = p64;

	build_4level();
	EXPECT_WALK(&p, 0x0000008000000000ULL, RD, NOT_PRESENT(4), 0); /* PML4 1 */
	EXPECT_WALK(&p, 0xc0000000, RD, NOT_PRESENT(3), 0);            /* PDPT 3 */
	EXPECT_WALK(&p, 0x80400000, RD, NOT_PRESENT(2), 0);            /* PD 2 */
	EXPECT_WALK(&p, 0x6000, RD, NOT_PRESENT(1), 0);                /* PT 6 */
	EXPECT_WALK(&p, 0x0000800000000000ULL, RD, NONCANON, 0);
	EXPECT_WALK(&p, 0xffff7fffffffffffULL, RD, NONCANON, 0);
	EXPECT_WALK(&p, 0x8000000000000000ULL, RD, NONCANON, 0);
	EXPECT_WALK(&p, 0x00007fffffffffffULL, RD, NOT_PRESENT(4), 0);
	assert_int_equal(guest_walk_level(NONCANON), 0);
	/* Accessor failures name the level being read. */
	set64(0x20000 + 3 * 8, 0x200000 | P | RW); /* a PD beyond guest memory */
	EXPECT_WALK(&p, 0xc0000000, RD, ACCESSOR(2), 0);
	p.cr3 = 0x40000000;
	EXPECT_WALK(&p, 0x0, RD, ACCESSOR(4), 0);
}

static void test_4level_reserved_bits(void **state)
{
	(void)state;
	struct guest_paging p = p64;

	build_4level();
	/* PS in a PML4E. */
	set64(0x10000, 0x20000 | PS | P | RW | US);
	EXPECT_WALK(&p, 0x41234567, RD, RSVD(4), 0);
	set64(0x10000, 0x20000 | P | RW | US);
	/* 1 GiB page: PAT fine, bits 29:13 reserved. */
	set64(0x20000 + 1 * 8, 0x80000000 | PAT | PS | P | RW);
	EXPECT_WALK(&p, 0x41234567, RD, 0, 0x81234567);
	set64(0x20000 + 1 * 8, 0x80000000 | (1ULL << 29) | PS | P | RW);
	EXPECT_WALK(&p, 0x41234567, RD, RSVD(3), 0);
	set64(0x20000 + 1 * 8, 0x80000000 | (1ULL << 13) | PS | P | RW);
	EXPECT_WALK(&p, 0x41234567, RD, RSVD(3), 0);
	/* 2 MiB page: bits 20:13. */
	set64(0x21000 + 1 * 8, 0xfee00000 | (1ULL << 20) | PS | P | RW);
	EXPECT_WALK(&p, 0x80300123, RD, RSVD(2), 0);
	/* XD without NXE, at a non-leaf level. */
	set64(0x21000 + 1 * 8, 0xfee00000 | PS | P | RW);
	set64(0x20000 + 2 * 8, 0x21000 | XD | P | RW);
	EXPECT_WALK(&p, 0x80300123, RD, 0, 0xfef00123);
	p.efer &= ~EFER_NXE;
	EXPECT_WALK(&p, 0x80300123, RD, RSVD(3), 0);
	p.efer |= EFER_NXE;
	/* Bits 51:MAXPHYADDR, at the leaf and above it. */
	p.maxphyaddr = 38; /* 0x7654321000 has bit 38 set */
	EXPECT_WALK(&p, 0xffffffff80010abcULL, RD, RSVD(1), 0);
	p.maxphyaddr = 39;
	EXPECT_WALK(&p, 0xffffffff80010abcULL, RD, 0, 0x7654321abcULL);
	p.maxphyaddr = 40;
	EXPECT_WALK(&p, 0xffffffff80010abcULL, RD, 0, 0x7654321abcULL);
	set64(0x12000, 0x13000 | (1ULL << 40) | P | RW);
	EXPECT_WALK(&p, 0xffffffff80010abcULL, RD, RSVD(2), 0);
	p.maxphyaddr = 0;
	set64(0x12000, 0x13000 | (1ULL << 51) | P | RW);
	EXPECT_WALK(&p, 0xffffffff80010abcULL, RD, ACCESSOR(1), 0); /* 52 bits: a real address */
}

static void test_4level_protection(void **state)
{
	(void)state;
	struct guest_paging p = p64;
	const uint64_t u = P | RW | US;
	/* The user page's entries, from PML4E to PTE. */
	const uint64_t at[4] = {0x10000, 0x20000, 0x22000, 0x23000 + 5 * 8};
	const uint64_t to[4] = {0x20000, 0x22000, 0x23000, 0x40000};

	build_4level();
	p.cpl = 3;
	EXPECT_WALK(&p, 0x5abc, RD, 0, 0x40abc);
	EXPECT_WALK(&p, 0x5abc, WR, 0, 0x40abc);
	EXPECT_WALK(&p, 0x5abc, FX, 0, 0x40abc);
	EXPECT_WALK(&p, 0xffffffff80010abcULL, RD, PROT(1), 0); /* a supervisor page */
	EXPECT_WALK(&p, 0x41234567, RD, PROT(3), 0);            /* U/S = 0 in the 1 GiB PDPTE */
	/* U/S, R/W and XD each count at every level. */
	for (int l = 0; l < 4; l++) {
		p.cpl = 3;
		set64(at[l], to[l] | P | RW);
		EXPECT_WALK(&p, 0x5abc, RD, PROT(1), 0);
		p.cpl = 0;
		EXPECT_WALK(&p, 0x5abc, FX, 0, 0x40abc); /* a supervisor page now */
		set64(at[l], to[l] | P | US);
		p.cpl = 3;
		EXPECT_WALK(&p, 0x5abc, RD, 0, 0x40abc);
		EXPECT_WALK(&p, 0x5abc, WR, PROT(1), 0);
		p.cr0 &= ~CR0_WP;
		EXPECT_WALK(&p, 0x5abc, WR, PROT(1), 0); /* users ignore WP */
		p.cpl = 0;
		EXPECT_WALK(&p, 0x5abc, WR, 0, 0x40abc);
		p.cr0 |= CR0_WP;
		EXPECT_WALK(&p, 0x5abc, WR, PROT(1), 0);
		EXPECT_WALK(&p, 0x5abc, RD, 0, 0x40abc);
		set64(at[l], to[l] | XD | u);
		for (int cpl = 0; cpl <= 3; cpl += 3) {
			p.cpl = (uint8_t)cpl;
			EXPECT_WALK(&p, 0x5abc, RD, 0, 0x40abc);
			EXPECT_WALK(&p, 0x5abc, WR, 0, 0x40abc);
			EXPECT_WALK(&p, 0x5abc, FX, PROT(1), 0);
		}
		set64(at[l], to[l] | u);
	}
	/* SMEP: no supervisor fetches from user pages; users unaffected. */
	p.cpl = 0;
	p.cr4 |= CR4_SMEP;
	EXPECT_WALK(&p, 0x5abc, FX, PROT(1), 0);
	EXPECT_WALK(&p, 0x5abc, RD, 0, 0x40abc);
	EXPECT_WALK(&p, 0xffffffff80010abcULL, FX, 0, 0x7654321abcULL);
	p.cpl = 3;
	EXPECT_WALK(&p, 0x5abc, FX, 0, 0x40abc);
	/* SMAP: no supervisor data accesses to user pages unless RFLAGS.AC. */
	p.cr4 = p64.cr4 | CR4_SMAP;
	p.cpl = 0;
	EXPECT_WALK(&p, 0x5abc, RD, PROT(1), 0);
	EXPECT_WALK(&p, 0x5abc, WR, PROT(1), 0);
	EXPECT_WALK(&p, 0x5abc, FX, 0, 0x40abc);
	EXPECT_WALK(&p, 0xffffffff80010abcULL, RD, 0, 0x7654321abcULL);
	p.ac = true;
	EXPECT_WALK(&p, 0x5abc, RD, 0, 0x40abc);
	EXPECT_WALK(&p, 0x5abc, WR, 0, 0x40abc);
	p.ac = false;
	p.cpl = 3;
	EXPECT_WALK(&p, 0x5abc, RD, 0, 0x40abc);
}

static void test_5level(void **state)
{
	(void)state;
	struct guest_paging p = p64;
	/* 0xff00000000001234 = PML5 0x100, PML4 0, PDPT 0, PD 0, PT 1. */
	const uint64_t lin = 0xff00000000001234ULL;

	p.cr4 |= CR4_LA57;
	set64(0x10000 + 0x100 * 8, 0x30000 | P | RW);
	set64(0x30000, 0x31000 | P | RW);
	set64(0x31000, 0x32000 | P | RW);
	set64(0x32000, 0x33000 | P | RW);
	set64(0x33000 + 8, 0x98765000 | P | RW);
	EXPECT_WALK(&p, lin, RD, 0, 0x98765234);
	assert_int_equal(mem.reads, 5);
	/* Canonical at 57 bits, not at 48. */
	EXPECT_WALK(&p, 0x0000800000000000ULL, RD, NOT_PRESENT(5), 0);
	EXPECT_WALK(&p, 0x0100000000000000ULL, RD, NONCANON, 0);
	/* PS is reserved in a PML5E as in a PML4E. */
	set64(0x10000 + 0x100 * 8, 0x30000 | PS | P | RW);
	EXPECT_WALK(&p, lin, RD, RSVD(5), 0);
	/* Without LA57 the same tables are a 4-level hierarchy. */
	p.cr4 &= ~CR4_LA57;
	EXPECT_WALK(&p, lin, RD, NONCANON, 0);
}

static void test_error_strings_and_pf_codes(void **state)
{
	(void)state;
	struct guest_paging p = p64;

	assert_string_equal(guest_walk_error(0), "ok");
	assert_string_equal(guest_walk_error(NOT_PRESENT(2)), "PDE not present");
	assert_string_equal(guest_walk_error(NOT_PRESENT(5)), "PML5E not present");
	assert_string_equal(guest_walk_error(RSVD(4)), "PML4E reserved bit set");
	assert_string_equal(guest_walk_error(RSVD(1)), "PTE reserved bit set");
	assert_string_not_equal(guest_walk_error(PROT(1)), "unknown error");
	assert_string_not_equal(guest_walk_error(ACCESSOR(3)), "unknown error");
	assert_string_not_equal(guest_walk_error(NONCANON), "unknown error");
	assert_string_equal(guest_walk_error(-99 * 16 - 1), "unknown error");
	assert_int_equal(guest_walk_reason(PROT(3)), GUEST_WALK_PROTECTION);
	assert_int_equal(guest_walk_level(PROT(3)), 3);
	assert_true(NOT_PRESENT(1) < 0 && NONCANON < 0);

	/* #PF error codes: P=1, W/R=2, U/S=4, RSVD=8, I/D=16. */
	assert_int_equal(guest_walk_pf_error_code(&p, RD, NOT_PRESENT(4)), 0);
	assert_int_equal(guest_walk_pf_error_code(&p, WR, PROT(1)), 1 | 2);
	assert_int_equal(guest_walk_pf_error_code(&p, FX, PROT(1)), 1 | 16);
	assert_int_equal(guest_walk_pf_error_code(&p, RD, RSVD(2)), 1 | 8);
	p.cpl = 3;
	assert_int_equal(guest_walk_pf_error_code(&p, WR, NOT_PRESENT(1)), 2 | 4);
	/* I/D only with PAE/4-level paging and NXE, or SMEP. */
	p = p32;
	assert_int_equal(guest_walk_pf_error_code(&p, FX, NOT_PRESENT(1)), 0);
	p.cr4 |= CR4_SMEP;
	assert_int_equal(guest_walk_pf_error_code(&p, FX, NOT_PRESENT(1)), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_paging_off, reset),
	        cmocka_unit_test_setup(test_32bit_4k, reset),
	        cmocka_unit_test_setup(test_32bit_4m_and_pse36, reset),
	        cmocka_unit_test_setup(test_32bit_protection, reset),
	        cmocka_unit_test_setup(test_pae_translation, reset),
	        cmocka_unit_test_setup(test_pae_pdpte_registers, reset),
	        cmocka_unit_test_setup(test_pae_reserved_bits, reset),
	        cmocka_unit_test_setup(test_4level_translation, reset),
	        cmocka_unit_test_setup(test_4level_not_present_and_noncanonical, reset),
	        cmocka_unit_test_setup(test_4level_reserved_bits, reset),
	        cmocka_unit_test_setup(test_4level_protection, reset),
	        cmocka_unit_test_setup(test_5level, reset),
	        cmocka_unit_test_setup(test_error_strings_and_pf_codes, reset),
	};
	return cmocka_run_group_tests_name("guest_walk", tests, NULL, NULL);
}
