/* Host tests of nested/vmcs12.c: the field table, VMREAD/VMWRITE emulation, shadow bitmaps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "arch/x86/vmx/vmx_bits.h"
#include "nested/vmcs12.h"

#define ERR_UNSUPPORTED 12 /* SDM Vol. 3 31.4: VMREAD/VMWRITE from/to unsupported VMCS component */
#define ERR_READ_ONLY   13 /* SDM Vol. 3 31.4: VMWRITE to read-only VMCS component */

/*
 * The supported encodings copied from SDM Vol. 3 Appendix B as literals,
 * independent of the constants the table uses.
 */
static const uint32_t appendix_b[] = {
        /* B.1.1-B.1.3: VPID; guest ES..TR selectors; host ES..TR selectors */
        0x0000,
        0x0800,
        0x0802,
        0x0804,
        0x0806,
        0x0808,
        0x080a,
        0x080c,
        0x080e,
        0x0c00,
        0x0c02,
        0x0c04,
        0x0c06,
        0x0c08,
        0x0c0a,
        0x0c0c,
        /* B.2.1: I/O bitmaps A/B, MSR bitmap, exit MSR-store/load, entry MSR-load, TSC offset,
	 * virtual-APIC address, EPT pointer */
        0x2000,
        0x2002,
        0x2004,
        0x2006,
        0x2008,
        0x200a,
        0x2010,
        0x2012,
        0x201a,
        /* B.2.2: guest-physical address */
        0x2400,
        /* B.2.3: VMCS link pointer, DEBUGCTL, PAT, EFER, PERF_GLOBAL_CTRL, PDPTE0-3 */
        0x2800,
        0x2802,
        0x2804,
        0x2806,
        0x2808,
        0x280a,
        0x280c,
        0x280e,
        0x2810,
        /* B.2.4: host PAT, EFER, PERF_GLOBAL_CTRL */
        0x2c00,
        0x2c02,
        0x2c04,
        /* B.3.1: pin .. secondary controls (TPR threshold 0x401c) */
        0x4000,
        0x4002,
        0x4004,
        0x4006,
        0x4008,
        0x400a,
        0x400c,
        0x400e,
        0x4010,
        0x4012,
        0x4014,
        0x4016,
        0x4018,
        0x401a,
        0x401c,
        0x401e,
        /* B.3.2: VM-instruction error .. VMX instruction information */
        0x4400,
        0x4402,
        0x4404,
        0x4406,
        0x4408,
        0x440a,
        0x440c,
        0x440e,
        /* B.3.3: limits, AR bytes, interruptibility, activity, SMBASE, SYSENTER_CS, timer */
        0x4800,
        0x4802,
        0x4804,
        0x4806,
        0x4808,
        0x480a,
        0x480c,
        0x480e,
        0x4810,
        0x4812,
        0x4814,
        0x4816,
        0x4818,
        0x481a,
        0x481c,
        0x481e,
        0x4820,
        0x4822,
        0x4824,
        0x4826,
        0x4828,
        0x482a,
        0x482e,
        /* B.3.4: host SYSENTER_CS */
        0x4c00,
        /* B.4.1: CR0/CR4 masks and read shadows, CR3 targets 0-3 */
        0x6000,
        0x6002,
        0x6004,
        0x6006,
        0x6008,
        0x600a,
        0x600c,
        0x600e,
        /* B.4.2: exit qualification, I/O RCX/RSI/RDI/RIP, guest linear address */
        0x6400,
        0x6402,
        0x6404,
        0x6406,
        0x6408,
        0x640a,
        /* B.4.3: CR0, CR3, CR4, ES..IDTR bases, DR7, RSP, RIP, RFLAGS, pending debug,
	 * SYSENTER ESP/EIP */
        0x6800,
        0x6802,
        0x6804,
        0x6806,
        0x6808,
        0x680a,
        0x680c,
        0x680e,
        0x6810,
        0x6812,
        0x6814,
        0x6816,
        0x6818,
        0x681a,
        0x681c,
        0x681e,
        0x6820,
        0x6822,
        0x6824,
        0x6826,
        /* B.4.4: host CR0, CR3, CR4, FS/GS/TR/GDTR/IDTR bases, SYSENTER ESP/EIP, RSP, RIP */
        0x6c00,
        0x6c02,
        0x6c04,
        0x6c06,
        0x6c08,
        0x6c0a,
        0x6c0c,
        0x6c0e,
        0x6c10,
        0x6c12,
        0x6c14,
        0x6c16,
};
#define APPENDIX_B_COUNT (sizeof(appendix_b) / sizeof(appendix_b[0]))

/* The shadowing decision of vmcs12_fields.h, as literals. */
static const uint32_t expect_shadow_ro[] = {
        0x2400, /* guest-physical address */
        0x4402, /* exit reason */
        0x4404, /* exit interruption information */
        0x4406, /* exit interruption error code */
        0x4408, /* IDT-vectoring information */
        0x440a, /* IDT-vectoring error code */
        0x440c, /* exit instruction length */
        0x440e, /* VMX instruction information */
        0x6400, /* exit qualification */
        0x640a, /* guest linear address */
};
static const uint32_t expect_shadow_rw[] = {
        0x4002, /* primary processor-based controls */
        0x4016, /* entry interruption information */
        0x4018, /* entry exception error code */
        0x401a, /* entry instruction length */
        0x401c, /* TPR threshold */
        0x4824, /* guest interruptibility */
        0x6004, /* CR0 read shadow */
        0x6006, /* CR4 read shadow */
        0x681c, /* guest RSP */
        0x681e, /* guest RIP */
        0x6820, /* guest RFLAGS */
};
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct vmcs12 vmcs;

static int setup(void **state)
{
	(void)state;
	memset(&vmcs, 0, sizeof(vmcs));
	return 0;
}

static unsigned int width_bits(const struct vmcs12_field *f)
{
	switch (f->width) {
	case VMCS_WIDTH_16: return 16;
	case VMCS_WIDTH_32: return 32;
	default: return 64;
	}
}

static uint64_t width_mask(const struct vmcs12_field *f)
{
	return width_bits(f) == 64 ? ~0ULL : (1ULL << width_bits(f)) - 1;
}

/* A value that differs per field and uses all 64 bits. */
static uint64_t pattern(unsigned int i)
{
	return 0x9e3779b97f4a7c15ULL * (i + 1) ^ 0xa5a5a5a5a5a5a5a5ULL;
}

static bool in_list(const uint32_t *list, size_t n, uint32_t e)
{
	for (size_t i = 0; i < n; i++) {
		if (list[i] == e)
			return true;
	}
	return false;
}

static int write_ok(unsigned int i, uint64_t v)
{
	return vmcs12_write(&vmcs, vmcs12_fields[i].encoding, v, true);
}

static void test_width_matches_encoding(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		const struct vmcs12_field *f = &vmcs12_fields[i];

		assert_int_equal(f->width, (f->encoding >> 13) & 3);
		assert_int_equal(f->encoding & 1, 0); /* listed by full access */
		assert_true(f->encoding < 0x8000);
		/* Read-only exactly when the field type (bits 11:10) is VM-exit information. */
		assert_int_equal(!!(f->flags & VMCS12_RO), ((f->encoding >> 10) & 3) == 1);
		assert_false((f->flags & VMCS12_SHADOW_RW) &&
		             (f->flags & (VMCS12_RO | VMCS12_SHADOW_RO)));
		assert_non_null(f->name);
	}
}

static void test_no_duplicates(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		for (unsigned int j = i + 1; j < VMCS12_FIELD_COUNT; j++) {
			assert_int_not_equal(vmcs12_fields[i].encoding, vmcs12_fields[j].encoding);
			assert_string_not_equal(vmcs12_fields[i].name, vmcs12_fields[j].name);
		}
		assert_int_equal(vmcs12_field_index(vmcs12_fields[i].encoding), i);
	}
	assert_int_equal(vmcs12_field_index(GUEST_RIP), VMCS12_IDX_GUEST_RIP);
	assert_string_equal(vmcs12_fields[VMCS12_IDX_GUEST_RIP].name, "GUEST_RIP");
}

static void test_encodings_are_appendix_b(void **state)
{
	(void)state;
	assert_int_equal(VMCS12_FIELD_COUNT, APPENDIX_B_COUNT);
	for (unsigned int i = 0; i < APPENDIX_B_COUNT; i++) {
		int idx = vmcs12_field_index(appendix_b[i]);

		assert_true(idx >= 0);
		assert_int_equal(vmcs12_fields[idx].encoding, appendix_b[i]);
	}
}

static void test_layout(void **state)
{
	(void)state;
	assert_true(sizeof(struct vmcs12) <= VMCS12_SIZE);
	assert_int_equal(offsetof(struct vmcs12, revision_id), 0);
	assert_int_equal(offsetof(struct vmcs12, abort), 4);
	assert_int_equal(vmcs12_fields[VMCS12_IDX_GUEST_RIP].offset,
	                 offsetof(struct vmcs12, guest_rip));
	assert_int_equal(vmcs12_fields[VMCS12_IDX_HOST_TR_SELECTOR].offset,
	                 offsetof(struct vmcs12, host_tr_selector));
	/* Every field lies after the header, inside the struct, overlapping no other. */
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		const struct vmcs12_field *f = &vmcs12_fields[i];
		unsigned int size = width_bits(f) / 8;

		assert_true(f->offset >= offsetof(struct vmcs12, dirty) + sizeof(vmcs.dirty));
		assert_true(f->offset + size <= sizeof(struct vmcs12));
		assert_int_equal(f->offset % size, 0);
		for (unsigned int j = 0; j < VMCS12_FIELD_COUNT; j++) {
			const struct vmcs12_field *g = &vmcs12_fields[j];

			if (j != i)
				assert_true(g->offset + width_bits(g) / 8 <= f->offset ||
				            f->offset + size <= g->offset);
		}
	}
}

/* Reads every field back; values are pattern(i + salt). */
static void expect_patterns(unsigned int salt)
{
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		uint64_t v = 0;

		assert_int_equal(vmcs12_read(&vmcs, vmcs12_fields[i].encoding, &v), 0);
		assert_int_equal(v, pattern(i + salt) & width_mask(&vmcs12_fields[i]));
		assert_int_equal(vmcs12_get(&vmcs, i), v);
	}
}

static void test_read_after_write(void **state)
{
	(void)state;
	/* Both orders: a write that spills into a neighbour is caught either way. */
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++)
		assert_int_equal(write_ok(i, pattern(i)), 0);
	expect_patterns(0);
	for (unsigned int i = VMCS12_FIELD_COUNT; i-- > 0;)
		assert_int_equal(write_ok(i, pattern(i + 1000)), 0);
	expect_patterns(1000);
	/* The members are what VMREAD returns. */
	assert_int_equal(vmcs.guest_rip, pattern(VMCS12_IDX_GUEST_RIP + 1000));
	assert_int_equal(vmcs.guest_cs_selector,
	                 (uint16_t)pattern(VMCS12_IDX_GUEST_CS_SELECTOR + 1000));
	assert_int_equal(vmcs.vm_exit_reason, (uint32_t)pattern(VMCS12_IDX_VM_EXIT_REASON + 1000));
	/* Fields do not clobber the header. */
	assert_int_equal(vmcs.revision_id, 0);
	assert_int_equal(vmcs.abort, 0);
	assert_int_equal(vmcs.launch_state, 0);
}

static void test_truncation(void **state)
{
	(void)state;
	const uint64_t v = 0xfedcba9876543210ULL;

	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		uint64_t r = 0;
		uint64_t want;

		switch (vmcs12_fields[i].width) {
		case VMCS_WIDTH_16: want = 0x3210; break;
		case VMCS_WIDTH_32: want = 0x76543210; break;
		default: want = v; break;
		}
		assert_int_equal(write_ok(i, v), 0);
		assert_int_equal(vmcs12_read(&vmcs, vmcs12_fields[i].encoding, &r), 0);
		assert_int_equal(r, want);
	}
	/* vmcs12_set truncates the same way. */
	vmcs12_set(&vmcs, VMCS12_IDX_GUEST_ES_SELECTOR, 0x123456789ULL);
	assert_int_equal(vmcs.guest_es_selector, 0x6789);
}

static void test_high_access(void **state)
{
	(void)state;
	unsigned int n64 = 0;

	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		const struct vmcs12_field *f = &vmcs12_fields[i];
		uint64_t r = 0xdead;

		if (f->width != VMCS_WIDTH_64) {
			/* Only 64-bit fields have a high access. */
			assert_int_equal(vmcs12_read(&vmcs, f->encoding | 1, &r), ERR_UNSUPPORTED);
			assert_int_equal(r, 0xdead);
			assert_int_equal(vmcs12_write(&vmcs, f->encoding | 1, 1, true),
			                 ERR_UNSUPPORTED);
			continue;
		}
		n64++;
		assert_int_equal(write_ok(i, 0x1122334455667788ULL), 0);
		assert_int_equal(vmcs12_read(&vmcs, f->encoding | 1, &r), 0);
		assert_int_equal(r, 0x11223344);
		/* A high write takes the source's low 32 bits, keeps the field's low half. */
		assert_int_equal(vmcs12_write(&vmcs, f->encoding | 1, 0xaaaabbbbccccddddULL, true),
		                 0);
		assert_int_equal(vmcs12_read(&vmcs, f->encoding, &r), 0);
		assert_int_equal(r, 0xccccdddd55667788ULL);
		assert_int_equal(vmcs12_read(&vmcs, f->encoding | 1, &r), 0);
		assert_int_equal(r, 0xccccdddd);
	}
	assert_int_equal(n64, 22);
	/* The high half of a read-only field is read-only too. */
	assert_int_equal(vmcs12_write(&vmcs, GUEST_PHYSICAL_ADDRESS | 1, 5, false), ERR_READ_ONLY);
}

static void test_unsupported(void **state)
{
	(void)state;
	static const uint64_t bad[] = {
	        0x0002,                   /* posted-interrupt notification vector */
	        0x0004,                   /* EPTP index */
	        0x0810,                   /* guest interrupt status */
	        0x200c,                   /* executive-VMCS pointer */
	        0x2014,                   /* APIC-access address */
	        0x2026,                   /* VMREAD-bitmap address */
	        0x2028,                   /* VMWRITE-bitmap address */
	        0x2812,                   /* guest IA32_BNDCFGS */
	        0x4020,                   /* PLE gap */
	        0x0001,                   /* high access of a 16-bit field */
	        0x4003,                   /* high access of a 32-bit field */
	        0x681f,                   /* high access of a natural-width field */
	        0x8000 | GUEST_RIP,       /* bit 15 set */
	        0x10000 | GUEST_RIP,      /* bits 31:16 */
	        (1ULL << 32) | GUEST_RIP, /* bits 63:32 set on a supported encoding */
	        ~0ULL,
	};
	struct vmcs12 before;

	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++)
		assert_int_equal(write_ok(i, pattern(i)), 0);
	vmcs12_dirty_clear_all(&vmcs.dirty);
	memcpy(&before, &vmcs, sizeof(vmcs));
	for (unsigned int i = 0; i < ARRAY_LEN(bad); i++) {
		uint64_t r = 0x5555;

		assert_int_equal(vmcs12_field_index(bad[i]), -1);
		assert_int_equal(vmcs12_read(&vmcs, bad[i], &r), ERR_UNSUPPORTED);
		assert_int_equal(r, 0x5555);
		assert_int_equal(vmcs12_write(&vmcs, bad[i], 7, true), ERR_UNSUPPORTED);
		assert_int_equal(vmcs12_write(&vmcs, bad[i], 7, false), ERR_UNSUPPORTED);
	}
	/* Exhaustively: each 15-bit encoding is supported iff the table says so. */
	for (uint32_t e = 0; e < 0x8000; e++) {
		int idx = vmcs12_field_index(e & ~1u);
		bool ok = idx >= 0 && (!(e & 1) || vmcs12_fields[idx].width == VMCS_WIDTH_64);
		uint64_t r;

		assert_int_equal(vmcs12_read(&vmcs, e, &r), ok ? 0 : ERR_UNSUPPORTED);
		if (!ok)
			assert_int_equal(vmcs12_write(&vmcs, e, 0, true), ERR_UNSUPPORTED);
	}
	assert_memory_equal(&before, &vmcs, sizeof(vmcs)); /* nothing stored, nothing dirty */
	assert_int_equal(ERR_UNSUPPORTED, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
}

static void test_read_only(void **state)
{
	(void)state;
	unsigned int n_ro = 0;

	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		const struct vmcs12_field *f = &vmcs12_fields[i];
		uint64_t r = 0;

		vmcs12_dirty_clear_all(&vmcs.dirty);
		vmcs12_set(&vmcs, i, 0x42);
		if (f->flags & VMCS12_RO) {
			n_ro++;
			assert_int_equal(vmcs12_write(&vmcs, f->encoding, 0x99, false),
			                 ERR_READ_ONLY);
			assert_int_equal(vmcs12_get(&vmcs, i), 0x42);
			assert_false(vmcs12_dirty_test(&vmcs.dirty, i));
		} else {
			assert_int_equal(vmcs12_write(&vmcs, f->encoding, 0x99, false), 0);
			assert_int_equal(vmcs12_get(&vmcs, i), 0x99);
		}
		/* With "VMWRITE to any field" (IA32_VMX_MISC bit 29) every field is writable. */
		assert_int_equal(vmcs12_write(&vmcs, f->encoding, 0x77, true), 0);
		assert_int_equal(vmcs12_read(&vmcs, f->encoding, &r), 0);
		assert_int_equal(r, 0x77);
		assert_true(vmcs12_dirty_test(&vmcs.dirty, i));
	}
	/* 8 32-bit (VM-instruction error included), 6 natural-width, guest-physical address. */
	assert_int_equal(n_ro, 15);
	assert_int_equal(ERR_READ_ONLY, VMXERR_VMWRITE_READ_ONLY_COMPONENT);
}

/* Asserts the dirty set is exactly the fields with want[i], by test and by iteration. */
static void expect_dirty(const bool *want)
{
	unsigned int next = vmcs12_dirty_next(&vmcs.dirty, 0);

	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		assert_int_equal(vmcs12_dirty_test(&vmcs.dirty, i), want[i]);
		if (want[i]) {
			assert_int_equal(next, i);
			next = vmcs12_dirty_next(&vmcs.dirty, i + 1);
		}
	}
	assert_int_equal(next, VMCS12_FIELD_COUNT);
}

static void test_dirty(void **state)
{
	(void)state;
	bool want[VMCS12_FIELD_COUNT] = {false};
	uint64_t r;

	vmcs12_dirty_set_all(&vmcs.dirty);
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++)
		want[i] = true;
	expect_dirty(want);
	vmcs12_dirty_clear_all(&vmcs.dirty);
	memset(want, 0, sizeof(want));
	expect_dirty(want);

	/* Writes mark exactly the written fields (index 0 and the last one included). */
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i += 3) {
		assert_int_equal(write_ok(i, pattern(i)), 0);
		want[i] = true;
	}
	assert_int_equal(write_ok(VMCS12_FIELD_COUNT - 1, 1), 0);
	want[VMCS12_FIELD_COUNT - 1] = true;
	/* A high write marks its field; reads, failed writes and Umbra's own stores do not. */
	assert_int_equal(vmcs12_write(&vmcs, EPT_POINTER | 1, 1, false), 0);
	want[VMCS12_IDX_EPT_POINTER] = true;
	assert_int_equal(vmcs12_read(&vmcs, GUEST_CR3, &r), 0);
	assert_int_equal(vmcs12_write(&vmcs, EXIT_QUALIFICATION, 1, false), ERR_READ_ONLY);
	assert_int_equal(vmcs12_write(&vmcs, 0x2026, 1, false), ERR_UNSUPPORTED);
	vmcs12_set(&vmcs, VMCS12_IDX_GUEST_CR4, 0x2000);
	/* A write of the value already there still marks. */
	assert_int_equal(vmcs12_write(&vmcs, HOST_RIP, vmcs.host_rip, false), 0);
	want[VMCS12_IDX_HOST_RIP] = true;
	expect_dirty(want);

	/* Cleared whole, as a nested VM-entry leaves it (test_vmcs02, test_shadow_vmcs: the read-back). */
	vmcs12_dirty_clear_all(&vmcs.dirty);
	memset(want, 0, sizeof(want));
	expect_dirty(want);
	assert_int_equal(vmcs12_dirty_next(&vmcs.dirty, VMCS12_FIELD_COUNT + 5),
	                 VMCS12_FIELD_COUNT);
}

/* The hot set (shadowed read-write fields) and "dirty beyond it". */
static void test_dirty_beyond(void **state)
{
	struct vmcs12_dirty hot, d;

	(void)state;
	vmcs12_dirty_of_flags(&hot, VMCS12_SHADOW_RW);
	assert_true(vmcs12_dirty_test(&hot, VMCS12_IDX_GUEST_RIP));
	assert_false(vmcs12_dirty_test(&hot, VMCS12_IDX_GUEST_CR3));
	assert_false(vmcs12_dirty_test(&hot, VMCS12_IDX_VM_EXIT_REASON)); /* SHADOW_RO */
	vmcs12_dirty_clear_all(&d);
	assert_false(vmcs12_dirty_beyond(&d, &hot));
	vmcs12_write(&vmcs, GUEST_RIP, 1, false);
	assert_false(vmcs12_dirty_beyond(&vmcs.dirty, &hot));
	vmcs12_write(&vmcs, GUEST_CR3, 0x1000, false);
	assert_true(vmcs12_dirty_beyond(&vmcs.dirty, &hot));
}

static bool bit_set(const uint8_t *bitmap, uint32_t n)
{
	return (bitmap[n / 8] >> (n % 8)) & 1;
}

static void test_shadow_bitmaps(void **state)
{
	(void)state;
	static uint8_t rd[VMCS12_BITMAP_SIZE], wr[VMCS12_BITMAP_SIZE];
	unsigned int n_rd = 0, n_wr = 0;

	/* The table's flags are the decision documented in vmcs12_fields.h. */
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		const struct vmcs12_field *f = &vmcs12_fields[i];

		assert_int_equal(
		        !!(f->flags & VMCS12_SHADOW_RO),
		        in_list(expect_shadow_ro, ARRAY_LEN(expect_shadow_ro), f->encoding));
		assert_int_equal(
		        !!(f->flags & VMCS12_SHADOW_RW),
		        in_list(expect_shadow_rw, ARRAY_LEN(expect_shadow_rw), f->encoding));
	}

	memset(rd, 0x00, sizeof(rd)); /* the function must write every byte */
	memset(wr, 0x5a, sizeof(wr));
	vmcs12_shadow_bitmaps(rd, wr);
	for (uint32_t e = 0; e < 0x8000; e++) {
		int idx = vmcs12_field_index(e & ~1u);
		bool exists = idx >= 0 && (!(e & 1) || vmcs12_fields[idx].width == VMCS_WIDTH_64);
		uint32_t full = e & ~1u;
		bool ro = exists && in_list(expect_shadow_ro, ARRAY_LEN(expect_shadow_ro), full);
		bool rw = exists && in_list(expect_shadow_rw, ARRAY_LEN(expect_shadow_rw), full);

		/* Clear = no exit. */
		assert_int_equal(bit_set(rd, e), !(ro || rw));
		assert_int_equal(bit_set(wr, e), !rw);
		n_rd += !bit_set(rd, e);
		n_wr += !bit_set(wr, e);
	}
	/* 21 fields readable, one of them (guest-physical address) with a high half too. */
	assert_int_equal(n_rd, ARRAY_LEN(expect_shadow_ro) + ARRAY_LEN(expect_shadow_rw) + 1);
	assert_int_equal(n_wr, ARRAY_LEN(expect_shadow_rw));
	/* Spot checks of the bit numbering (SDM 25.6.15: bit n of the bitmap = encoding n). */
	assert_int_equal(rd[GUEST_RIP / 8] & (1u << (GUEST_RIP % 8)), 0);
	assert_int_equal(wr[GUEST_RIP / 8] & (1u << (GUEST_RIP % 8)), 0);
	assert_int_not_equal(wr[VM_EXIT_REASON / 8] & (1u << (VM_EXIT_REASON % 8)), 0);
	assert_int_equal(rd[VM_EXIT_REASON / 8] & (1u << (VM_EXIT_REASON % 8)), 0);
	assert_int_not_equal(rd[GUEST_CR3 / 8] & (1u << (GUEST_CR3 % 8)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_width_matches_encoding, setup),
	        cmocka_unit_test_setup(test_no_duplicates, setup),
	        cmocka_unit_test_setup(test_encodings_are_appendix_b, setup),
	        cmocka_unit_test_setup(test_layout, setup),
	        cmocka_unit_test_setup(test_read_after_write, setup),
	        cmocka_unit_test_setup(test_truncation, setup),
	        cmocka_unit_test_setup(test_high_access, setup),
	        cmocka_unit_test_setup(test_unsupported, setup),
	        cmocka_unit_test_setup(test_read_only, setup),
	        cmocka_unit_test_setup(test_dirty, setup),
	        cmocka_unit_test_setup(test_shadow_bitmaps, setup),
	        cmocka_unit_test_setup(test_dirty_beyond, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
