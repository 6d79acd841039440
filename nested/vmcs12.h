/*
 * vmcs12: the VMCS an L1 hypervisor sees, kept by Umbra in software.
 *
 * The SDM (Vol. 3 25.2 "Format of the VMCS Region") fixes only the first
 * 8 bytes of a VMCS region (revision identifier, VMX-abort indicator); the
 * rest is "implementation-specific" and software must use VMREAD/VMWRITE.
 * struct vmcs12 is Umbra's own format: a small header, then one member per
 * field of nested/vmcs12_fields.h in table order. L1 sees it only as the
 * 4-KiB region it handed to VMPTRLD. Changing the table changes the layout:
 * bump VMCS12_REVISION_ID with it (a region saved in the old format then
 * fails VMPTRLD with error 11 instead of being misread).
 *
 * Caching: the current vmcs12 is held by Umbra and written back to L1
 * memory (sizeof(struct vmcs12) bytes at the VMCS pointer) on VMCLEAR of
 * it, on VMPTRLD of another VMCS and on VMXOFF; on VMPTRLD Umbra reads it
 * in and marks every field dirty (vmcs12_dirty_set_all), since the vmcs02
 * was not built from it.
 *
 * Dirty tracking: vmcs12_write (the emulated L1 VMWRITE) and
 * shadow_vmcs_save (a changed value read back from the hardware shadow
 * VMCS) mark the field in vmcs12->dirty; a nested VM-entry rewrites into vmcs02 only the dirty
 * fields, then clears them. Umbra's own stores (the exit path copying L2
 * state from vmcs02 into vmcs12) use vmcs12_set or the members directly and
 * do not mark: vmcs02 already holds those values. The dirty bits are stored
 * inside the region but mean nothing in L1 memory.
 *
 * Shadowed fields: while L1 runs, a VMCS12_SHADOW_* field's value is in the
 * hardware shadow VMCS, not here. An emulated VMWRITE that succeeds on a
 * shadowed field (only possible for SHADOW_RO ones, with allow_ro) must
 * also be written to the shadow VMCS.
 */
#ifndef NESTED_VMCS12_H
#define NESTED_VMCS12_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nested/vmcs12_fields.h"

/* Umbra's vmcs12 format, reported to L1 in IA32_VMX_BASIC bits 30:0. */
#define VMCS12_REVISION_ID 0x554d0001u
/* The region size reported in IA32_VMX_BASIC bits 44:32. */
#define VMCS12_SIZE 4096u

/* The VMCS launch state (SDM 25.1), kept in the region as hardware does. */
#define VMCS12_LAUNCH_CLEAR    0u
#define VMCS12_LAUNCH_LAUNCHED 1u

/* Bits 14:0 of an encoding select a bit of a VMREAD/VMWRITE bitmap (SDM 25.6.15). */
#define VMCS12_BITMAP_SIZE 4096u

/* CR3-target value fields (CR3_TARGET_VALUE0-3): the most an L1 is offered. */
#define VMCS12_CR3_TARGETS 4u

/* A field's index in the table: VMCS12_IDX_GUEST_RIP, ...; VMCS12_FIELD_COUNT. */
enum vmcs12_index {
#define VMCS12_X(name, encoding, width, flags) VMCS12_IDX_##encoding,
	VMCS12_FIELDS(VMCS12_X)
#undef VMCS12_X
	        VMCS12_FIELD_COUNT
};

/* One bit per table index. */
struct vmcs12_dirty {
	uint64_t bits[(VMCS12_FIELD_COUNT + 63) / 64];
};

#define VMCS12_TYPE_16  uint16_t
#define VMCS12_TYPE_32  uint32_t
#define VMCS12_TYPE_64  uint64_t
#define VMCS12_TYPE_NAT uint64_t

struct vmcs12 {
	/* Bits 30:0; bit 31, the shadow-VMCS indicator, is 0: L1 gets no VMCS shadowing. */
	uint32_t revision_id;
	uint32_t abort;        /* VMX-abort indicator (SDM 28.7) */
	uint32_t launch_state; /* VMCS12_LAUNCH_* */
	uint32_t reserved;
	struct vmcs12_dirty dirty;
#define VMCS12_X(name, encoding, width, flags) VMCS12_TYPE_##width name;
	VMCS12_FIELDS(VMCS12_X)
#undef VMCS12_X
};

/* A table entry, for generic loops (sync, checks, logs). */
struct vmcs12_field {
	const char *name;  /* the encoding's constant, "GUEST_RIP" */
	uint16_t encoding; /* full access */
	uint16_t offset;   /* in struct vmcs12 */
	uint8_t width;     /* VMCS_WIDTH_16/64/32/NATURAL, as encoding bits 14:13 */
	uint8_t flags;     /* VMCS12_RO, VMCS12_SHADOW_RO, VMCS12_SHADOW_RW */
};

extern const struct vmcs12_field vmcs12_fields[VMCS12_FIELD_COUNT];

/*
 * The table index of a full-access encoding, or -1 if vmcs12 has no such
 * field. Takes the whole 64-bit register operand: an encoding with any of
 * bits 63:15 set is no field (SDM: VMREAD/VMWRITE fail on bits 63:32).
 */
int vmcs12_field_index(uint64_t encoding);

/*
 * The emulated VMREAD/VMWRITE of a 64-bit L1. Returns 0, or the
 * VM-instruction error number for VMfailValid (SDM Vol. 3 31.4):
 * VMXERR_UNSUPPORTED_VMCS_COMPONENT (12) for an encoding that is not in
 * the table (high access included: only 64-bit fields have one), and, for
 * vmcs12_write, VMXERR_VMWRITE_READ_ONLY_COMPONENT (13) for a VMCS12_RO
 * field unless allow_ro (Umbra advertises IA32_VMX_MISC bit 29). On an
 * error nothing is stored.
 * A read is zero-extended; a write keeps the field's width's low bits. The
 * high access (encoding | 1) of a 64-bit field reads or writes bits 63:32
 * as a 32-bit value, leaving bits 31:0 as they are.
 * A successful write marks the field dirty, even if the value is unchanged.
 */
int vmcs12_read(const struct vmcs12 *v, uint64_t encoding, uint64_t *val);
int vmcs12_write(struct vmcs12 *v, uint64_t encoding, uint64_t val, bool allow_ro);

/* Inline: the shadow-VMCS and vmcs02 loops call these for every field they copy. */

/* A field by table index, zero-extended. */
static inline uint64_t vmcs12_get(const struct vmcs12 *v, unsigned int idx)
{
	const void *p = (const char *)v + vmcs12_fields[idx].offset;

	switch (vmcs12_fields[idx].width) {
	case VMCS_WIDTH_16: return *(const uint16_t *)p;
	case VMCS_WIDTH_32: return *(const uint32_t *)p;
	default: return *(const uint64_t *)p;
	}
}

/* Stores (truncated to the width) without marking dirty: Umbra's own writes. */
static inline void vmcs12_set(struct vmcs12 *v, unsigned int idx, uint64_t val)
{
	void *p = (char *)v + vmcs12_fields[idx].offset;

	switch (vmcs12_fields[idx].width) {
	case VMCS_WIDTH_16: *(uint16_t *)p = (uint16_t)val; break;
	case VMCS_WIDTH_32: *(uint32_t *)p = (uint32_t)val; break;
	default: *(uint64_t *)p = val; break;
	}
}

void vmcs12_dirty_clear_all(struct vmcs12_dirty *d);
void vmcs12_dirty_set_all(struct vmcs12_dirty *d);
/* The fields whose flags include any of `flags`, as a dirty set. */
void vmcs12_dirty_of_flags(struct vmcs12_dirty *out, uint8_t flags);

/* Inline too: every nested VM entry tests and walks the dirty set. */

static inline bool vmcs12_dirty_test(const struct vmcs12_dirty *d, unsigned int idx)
{
	return idx < VMCS12_FIELD_COUNT && (d->bits[idx / 64] >> (idx % 64)) & 1;
}

/* Marks a field whose vmcs02 value depends on more than vmcs12 (L1's EFER, PAT). */
static inline void vmcs12_dirty_set(struct vmcs12_dirty *d, unsigned int idx)
{
	if (idx < VMCS12_FIELD_COUNT)
		d->bits[idx / 64] |= 1ULL << (idx % 64);
}

/*
 * The first dirty index >= from, or VMCS12_FIELD_COUNT if none:
 *   for (i = vmcs12_dirty_next(d, 0); i < VMCS12_FIELD_COUNT;
 *        i = vmcs12_dirty_next(d, i + 1))
 */
static inline unsigned int vmcs12_dirty_next(const struct vmcs12_dirty *d, unsigned int from)
{
	while (from < VMCS12_FIELD_COUNT) {
		uint64_t w = d->bits[from / 64] >> (from % 64);

		if (w) {
			from += (unsigned int)__builtin_ctzll(w);
			return from < VMCS12_FIELD_COUNT ? from : VMCS12_FIELD_COUNT;
		}
		from = (from / 64 + 1) * 64;
	}
	return VMCS12_FIELD_COUNT;
}

/* True if d has a field that `within` does not. */
static inline bool vmcs12_dirty_beyond(const struct vmcs12_dirty *d,
                                       const struct vmcs12_dirty *within)
{
	/* A few words, tested at every nested entry: unrolled. */
#pragma GCC unroll 4
	for (unsigned int w = 0; w < sizeof(d->bits) / sizeof(d->bits[0]); w++)
		if (d->bits[w] & ~within->bits[w])
			return true;
	return false;
}

/* True if no field is dirty in d (the words ORed: one branch). */
static inline bool vmcs12_dirty_none(const struct vmcs12_dirty *d)
{
	uint64_t any = 0;

#pragma GCC unroll 4
	for (unsigned int w = 0; w < sizeof(d->bits) / sizeof(d->bits[0]); w++)
		any |= d->bits[w];
	return !any;
}

/* True if any field of `set` is dirty in d. */
static inline bool vmcs12_dirty_any(const struct vmcs12_dirty *d, const struct vmcs12_dirty *set)
{
	/* A few words, tested at every nested entry: unrolled. */
#pragma GCC unroll 4
	for (unsigned int w = 0; w < sizeof(d->bits) / sizeof(d->bits[0]); w++)
		if (d->bits[w] & set->bits[w])
			return true;
	return false;
}

/*
 * The VMREAD and VMWRITE bitmaps (VMCS12_BITMAP_SIZE bytes each) of the
 * hardware shadow VMCS Umbra links to vmcs01 for L1: bit n is encoding n
 * (bits 14:0); a clear bit lets the access go to the shadow VMCS without
 * a VM exit. Clear in both for VMCS12_SHADOW_RW fields, in the VMREAD one
 * only for VMCS12_SHADOW_RO fields, for the full and (64-bit fields) high
 * encodings alike; every other bit is set, so the access exits and is
 * emulated (or fails with error 12).
 */
void vmcs12_shadow_bitmaps(uint8_t *vmread_bitmap, uint8_t *vmwrite_bitmap);

#endif
