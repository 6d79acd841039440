/* The vmcs12 fields, VMREAD/VMWRITE emulation and shadow bitmaps: see vmcs12.h. */
#include <string.h>

#include "arch/x86/vmx/vmx_bits.h"
#include "nested/vmcs12.h"

#define VMCS12_WIDTH_16  VMCS_WIDTH_16
#define VMCS12_WIDTH_32  VMCS_WIDTH_32
#define VMCS12_WIDTH_64  VMCS_WIDTH_64
#define VMCS12_WIDTH_NAT VMCS_WIDTH_NATURAL

#define VMCS12_BYTES_16  2
#define VMCS12_BYTES_32  4
#define VMCS12_BYTES_64  8
#define VMCS12_BYTES_NAT 8

#define VMCS12_ENC_ACCESS_HIGH 1u

/* Compile-time checks of every table entry. */
#define VMCS12_X(name, encoding, width, flags)                                                     \
	_Static_assert(VMCS_FIELD_WIDTH(encoding) == VMCS12_WIDTH_##width,                         \
	               #encoding ": width disagrees with encoding bits 14:13");                    \
	_Static_assert(((encoding)&0xffff8001u) == 0,                                              \
	               #encoding ": not a full-access encoding below 0x8000");                     \
	_Static_assert(((flags)&VMCS12_RO ? 1 : 0) == (VMCS_FIELD_TYPE(encoding) == VMCS_TYPE_RO), \
	               #encoding ": VMCS12_RO must mark exactly the exit-information fields");     \
	_Static_assert(                                                                            \
	        !(((flags)&VMCS12_SHADOW_RW) && ((flags) & (VMCS12_RO | VMCS12_SHADOW_RO))),       \
	        #encoding ": SHADOW_RW on a read-only or SHADOW_RO field");                        \
	_Static_assert(sizeof(((struct vmcs12 *)0)->name) == VMCS12_BYTES_##width,                 \
	               #encoding ": member size");
VMCS12_FIELDS(VMCS12_X)
#undef VMCS12_X

_Static_assert(sizeof(struct vmcs12) <= VMCS12_SIZE, "vmcs12 must fit its region");
_Static_assert(offsetof(struct vmcs12, abort) == 4, "SDM: the abort indicator is at byte 4");
_Static_assert((VMCS12_REVISION_ID & 0x80000000u) == 0, "bit 31 is the shadow-VMCS indicator");

const struct vmcs12_field vmcs12_fields[VMCS12_FIELD_COUNT] = {
#define VMCS12_X(name, encoding, width, flags)                                           \
	[VMCS12_IDX_##encoding] = {#encoding, (encoding), offsetof(struct vmcs12, name), \
	                           VMCS12_WIDTH_##width, (flags)},
        VMCS12_FIELDS(VMCS12_X)
#undef VMCS12_X
};

/*
 * A switch the compiler turns into a jump table or a binary search. A
 * duplicate encoding in the table does not compile (duplicate case value).
 */
int vmcs12_field_index(uint64_t encoding)
{
	switch (encoding) {
#define VMCS12_X(name, encoding, width, flags) \
	case (encoding): return VMCS12_IDX_##encoding;
		VMCS12_FIELDS(VMCS12_X)
#undef VMCS12_X
	default: return -1;
	}
}

static void dirty_mark(struct vmcs12_dirty *d, unsigned int idx)
{
	d->bits[idx / 64] |= 1ULL << (idx % 64);
}

/*
 * The table index an access encoding names, with *high set for the high
 * access of a 64-bit field; -1 if it names none (error 12).
 */
static int access_index(uint64_t encoding, bool *high)
{
	int idx = vmcs12_field_index(encoding & ~(uint64_t)VMCS12_ENC_ACCESS_HIGH);

	*high = encoding & VMCS12_ENC_ACCESS_HIGH;
	if (idx < 0 || (*high && vmcs12_fields[idx].width != VMCS_WIDTH_64))
		return -1;
	return idx;
}

int vmcs12_read(const struct vmcs12 *v, uint64_t encoding, uint64_t *val)
{
	bool high;
	int idx = access_index(encoding, &high);

	if (idx < 0)
		return VMXERR_UNSUPPORTED_VMCS_COMPONENT;
	*val = high ? vmcs12_get(v, idx) >> 32 : vmcs12_get(v, idx);
	return 0;
}

int vmcs12_write(struct vmcs12 *v, uint64_t encoding, uint64_t val, bool allow_ro)
{
	bool high;
	int idx = access_index(encoding, &high);

	if (idx < 0)
		return VMXERR_UNSUPPORTED_VMCS_COMPONENT;
	if ((vmcs12_fields[idx].flags & VMCS12_RO) && !allow_ro)
		return VMXERR_VMWRITE_READ_ONLY_COMPONENT;
	if (high)
		val = (val << 32) | (uint32_t)vmcs12_get(v, idx);
	vmcs12_set(v, idx, val);
	dirty_mark(&v->dirty, idx);
	return 0;
}

void vmcs12_dirty_clear_all(struct vmcs12_dirty *d)
{
	memset(d->bits, 0, sizeof(d->bits));
}

void vmcs12_dirty_set_all(struct vmcs12_dirty *d)
{
	vmcs12_dirty_clear_all(d);
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++)
		dirty_mark(d, i);
}

void vmcs12_dirty_of_flags(struct vmcs12_dirty *out, uint8_t flags)
{
	vmcs12_dirty_clear_all(out);
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++)
		if (vmcs12_fields[i].flags & flags)
			dirty_mark(out, i);
}

static void bitmap_clear(uint8_t *bitmap, uint32_t encoding)
{
	encoding &= 0x7fff;
	bitmap[encoding / 8] &= (uint8_t) ~(1u << (encoding % 8));
}

void vmcs12_shadow_bitmaps(uint8_t *vmread_bitmap, uint8_t *vmwrite_bitmap)
{
	memset(vmread_bitmap, 0xff, VMCS12_BITMAP_SIZE);
	memset(vmwrite_bitmap, 0xff, VMCS12_BITMAP_SIZE);
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		const struct vmcs12_field *f = &vmcs12_fields[i];
		unsigned int n = f->width == VMCS_WIDTH_64 ? 2 : 1;

		for (unsigned int h = 0; h < n; h++) {
			if (f->flags & (VMCS12_SHADOW_RO | VMCS12_SHADOW_RW))
				bitmap_clear(vmread_bitmap, f->encoding | h);
			if (f->flags & VMCS12_SHADOW_RW)
				bitmap_clear(vmwrite_bitmap, f->encoding | h);
		}
	}
}
