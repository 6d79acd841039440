/* Host tests for lib/frame_alloc.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "lib/frame_alloc.h"

#define KIB 1024ULL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

static struct frame_alloc fa;

static int setup(void **state)
{
	(void)state;
	memset(&fa, 0xcc, sizeof(fa)); /* init must not rely on zeroed memory */
	frame_alloc_init(&fa);
	return 0;
}

/* Asserts the exact free ranges (pairs of start, end) and the invariants. */
static void expect(const uint64_t *r, uint32_t n)
{
	uint64_t frames = 0;

	assert_true(frame_alloc_check(&fa));
	assert_int_equal(fa.count, n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(fa.free[i].start, r[2 * i]);
		assert_int_equal(fa.free[i].end, r[2 * i + 1]);
		frames += (r[2 * i + 1] - r[2 * i]) / FRAME_SIZE;
	}
	assert_int_equal(fa.free_frames, frames);
}

#define EXPECT(...)                                         \
	do {                                                \
		const uint64_t r_[] = {__VA_ARGS__};        \
		expect(r_, sizeof(r_) / sizeof(r_[0]) / 2); \
	} while (0)

static void test_empty(void **state)
{
	(void)state;
	expect(NULL, 0);
	assert_int_equal(frame_alloc_alloc(&fa, 1, 0), 0);
	frame_alloc_reserve(&fa, 0, UINT64_MAX);
	expect(NULL, 0);
}

static void test_add_merge(void **state)
{
	(void)state;
	assert_int_equal(frame_alloc_add(&fa, 1 * MIB, 2 * MIB), 0);
	assert_int_equal(frame_alloc_add(&fa, 3 * MIB, 4 * MIB), 0);
	EXPECT(1 * MIB, 2 * MIB, 3 * MIB, 4 * MIB);
	/* Fills the gap: all three become one. */
	assert_int_equal(frame_alloc_add(&fa, 2 * MIB, 3 * MIB), 0);
	EXPECT(1 * MIB, 4 * MIB);
	/* Overlapping add (firmware maps do that): union, frames counted once. */
	assert_int_equal(frame_alloc_add(&fa, 3 * MIB + 512 * KIB, 5 * MIB), 0);
	EXPECT(1 * MIB, 5 * MIB);
	assert_int_equal(frame_alloc_add(&fa, 2 * MIB, 3 * MIB), 0);
	EXPECT(1 * MIB, 5 * MIB);
	/* Covering several ranges at once. */
	assert_int_equal(frame_alloc_add(&fa, 6 * MIB, 7 * MIB), 0);
	assert_int_equal(frame_alloc_add(&fa, 8 * MIB, 9 * MIB), 0);
	assert_int_equal(frame_alloc_add(&fa, 512 * KIB, 10 * MIB), 0);
	EXPECT(512 * KIB, 10 * MIB);
	/* Adjacent below. */
	assert_int_equal(frame_alloc_add(&fa, 256 * KIB, 512 * KIB), 0);
	EXPECT(256 * KIB, 10 * MIB);
}

static void test_add_rounding(void **state)
{
	(void)state;
	/* Rounded inward. */
	assert_int_equal(frame_alloc_add(&fa, 0x600123, 0x602fff), 0);
	EXPECT(0x601000, 0x602000);
	/* Less than a whole frame: nothing. */
	assert_int_equal(frame_alloc_add(&fa, 0x700001, 0x701fff), 0);
	assert_int_equal(frame_alloc_add(&fa, 0x800000, 0x800000), 0);
	EXPECT(0x601000, 0x602000);
	/* Frame 0 is never free, so 0 can mean failure. */
	assert_int_equal(frame_alloc_add(&fa, 0, 0x3000), 0);
	EXPECT(0x1000, 0x3000, 0x601000, 0x602000);
	assert_int_equal(frame_alloc_add(&fa, 0, 0xfff), 0);
	EXPECT(0x1000, 0x3000, 0x601000, 0x602000);
	/* The very top of the address space. */
	assert_int_equal(frame_alloc_add(&fa, UINT64_MAX - 0x2fff, UINT64_MAX), 0);
	EXPECT(0x1000, 0x3000, 0x601000, 0x602000, UINT64_MAX - 0x2fff, UINT64_MAX - 0xfff);
	assert_int_equal(frame_alloc_add(&fa, UINT64_MAX - 10, UINT64_MAX), 0);
	assert_int_equal(fa.count, 3);
	/* Backwards. */
	assert_int_equal(frame_alloc_add(&fa, 0x900000, 0x800000), FRAME_ALLOC_EINVAL);
	assert_int_equal(fa.count, 3);
}

static void test_add_full(void **state)
{
	(void)state;
	for (uint64_t i = 0; i < FRAME_ALLOC_MAX_RANGES; i++)
		assert_int_equal(frame_alloc_add(&fa, (2 * i + 1) * MIB, (2 * i + 2) * MIB), 0);
	assert_int_equal(fa.count, FRAME_ALLOC_MAX_RANGES);
	uint64_t frames = fa.free_frames;

	assert_int_equal(frame_alloc_add(&fa, 1000 * MIB, 1001 * MIB), FRAME_ALLOC_ENOSPC);
	assert_int_equal(fa.free_frames, frames);
	/* Merging needs no new slot, so it still works. */
	assert_int_equal(frame_alloc_add(&fa, 2 * MIB, 3 * MIB), 0);
	assert_int_equal(fa.count, FRAME_ALLOC_MAX_RANGES - 1);
	assert_int_equal(fa.free_frames, frames + 256);
	assert_true(frame_alloc_check(&fa));
}

static void test_reserve_split(void **state)
{
	(void)state;
	frame_alloc_add(&fa, 1 * MIB, 2 * MIB);
	/* One byte reserves its whole frame: rounded outward. */
	frame_alloc_reserve(&fa, 0x150000, 0x150001);
	EXPECT(1 * MIB, 0x150000, 0x151000, 2 * MIB);
	frame_alloc_reserve(&fa, 0x160fff, 0x162001);
	EXPECT(1 * MIB, 0x150000, 0x151000, 0x160000, 0x163000, 2 * MIB);
	/* Head and tail cuts. */
	frame_alloc_reserve(&fa, 0, 0x101000);
	frame_alloc_reserve(&fa, 0x1ff800, 3 * MIB);
	EXPECT(0x101000, 0x150000, 0x151000, 0x160000, 0x163000, 0x1ff000);
	/* Nothing there: no change. */
	frame_alloc_reserve(&fa, 0x150000, 0x151000);
	frame_alloc_reserve(&fa, 5 * MIB, 6 * MIB);
	frame_alloc_reserve(&fa, 0x170000, 0x170000);
	frame_alloc_reserve(&fa, 0x170000, 0x160000);
	EXPECT(0x101000, 0x150000, 0x151000, 0x160000, 0x163000, 0x1ff000);
}

static void test_reserve_across_ranges(void **state)
{
	(void)state;
	frame_alloc_add(&fa, 1 * MIB, 2 * MIB);
	frame_alloc_add(&fa, 3 * MIB, 4 * MIB);
	frame_alloc_add(&fa, 5 * MIB, 6 * MIB);
	frame_alloc_add(&fa, 7 * MIB, 8 * MIB);
	/* Tail of the first, all of the second and third, head of the fourth. */
	frame_alloc_reserve(&fa, 0x180000, 0x7c0000);
	EXPECT(1 * MIB, 0x180000, 0x7c0000, 8 * MIB);
	frame_alloc_reserve(&fa, 0, UINT64_MAX);
	expect(NULL, 0);
}

static void test_reserve_first_mib(void **state)
{
	(void)state;
	/* What the boot code does with a typical BIOS map. */
	frame_alloc_add(&fa, 0, 0x9fc00);
	frame_alloc_add(&fa, 1 * MIB, 128 * MIB);
	frame_alloc_reserve(&fa, 0, 1 * MIB);
	EXPECT(1 * MIB, 128 * MIB);
	frame_alloc_reserve(&fa, 2 * MIB, 2 * MIB + 0x12345); /* the image */
	frame_alloc_reserve(&fa, 0x10000, 0x10400);           /* info below: no effect */
	EXPECT(1 * MIB, 2 * MIB, 0x213000, 128 * MIB);
	assert_int_equal(frame_alloc_alloc(&fa, 1, 0), 1 * MIB);
}

static void test_reserve_full_array(void **state)
{
	(void)state;
	for (uint64_t i = 0; i < FRAME_ALLOC_MAX_RANGES; i++)
		frame_alloc_add(&fa, (2 * i + 1) * MIB, (2 * i + 2) * MIB);
	/* Splitting range 0 needs a slot there is not: the smaller side goes. */
	frame_alloc_reserve(&fa, 1 * MIB + 0x10000, 1 * MIB + 0x11000);
	assert_true(frame_alloc_check(&fa));
	assert_int_equal(fa.count, FRAME_ALLOC_MAX_RANGES);
	assert_int_equal(fa.free[0].start, 1 * MIB + 0x11000);
	assert_int_equal(fa.free[0].end, 2 * MIB);
	/* Larger side below this time. */
	frame_alloc_reserve(&fa, 4 * MIB - 0x3000, 4 * MIB - 0x1000);
	assert_true(frame_alloc_check(&fa));
	assert_int_equal(fa.free[1].start, 3 * MIB);
	assert_int_equal(fa.free[1].end, 4 * MIB - 0x3000);
	/* Whatever was dropped, no reserved frame is ever handed out. */
	for (uint64_t pa; (pa = frame_alloc_alloc(&fa, 1, 0));) {
		assert_false(pa >= 1 * MIB + 0x10000 && pa < 1 * MIB + 0x11000);
		assert_false(pa >= 4 * MIB - 0x3000 && pa < 4 * MIB - 0x1000);
	}
	assert_int_equal(fa.free_frames, 0);
}

static void test_alloc_aligned(void **state)
{
	(void)state;
	frame_alloc_add(&fa, 0x101000, 16 * MIB);
	/* 2 MiB aligned: splits the range. */
	assert_int_equal(frame_alloc_alloc(&fa, 1, 2 * MIB), 2 * MIB);
	EXPECT(0x101000, 2 * MIB, 2 * MIB + 0x1000, 16 * MIB);
	/* Lowest fitting address. */
	assert_int_equal(frame_alloc_alloc(&fa, 1, FRAME_SIZE), 0x101000);
	/* 512 frames at 2 MiB: 2 MiB is taken, so 4 MiB. */
	assert_int_equal(frame_alloc_alloc(&fa, 512, 2 * MIB), 4 * MIB);
	EXPECT(0x102000, 2 * MIB, 2 * MIB + 0x1000, 4 * MIB, 6 * MIB, 16 * MIB);
	/* A whole range taken exactly. */
	assert_int_equal(frame_alloc_alloc(&fa, 10 * 256, 2 * MIB), 6 * MIB);
	EXPECT(0x102000, 2 * MIB, 2 * MIB + 0x1000, 4 * MIB);
	/* No 2 MiB-aligned frame is left. */
	assert_int_equal(frame_alloc_alloc(&fa, 1, 2 * MIB), 0);
	/* Aligned block ending exactly at a range end: cut from the tail. */
	assert_int_equal(frame_alloc_alloc(&fa, 256, MIB), 3 * MIB);
	EXPECT(0x102000, 2 * MIB, 2 * MIB + 0x1000, 3 * MIB);
	/* Align 0 and below a frame mean one frame; non-powers of two fail. */
	assert_int_equal(frame_alloc_alloc(&fa, 1, 0), 0x102000);
	assert_int_equal(frame_alloc_alloc(&fa, 1, 64), 0x103000);
	assert_int_equal(frame_alloc_alloc(&fa, 1, 3 * FRAME_SIZE), 0);
	assert_int_equal(frame_alloc_alloc(&fa, 1, 1ULL << 63), 0);
	assert_true(frame_alloc_check(&fa));
}

static void test_alloc_exhaustion(void **state)
{
	uint64_t got[16];

	(void)state;
	frame_alloc_add(&fa, 1 * MIB, 1 * MIB + 16 * FRAME_SIZE);
	assert_int_equal(frame_alloc_alloc(&fa, 17, 0), 0);
	assert_int_equal(frame_alloc_alloc(&fa, 0, 0), 0);
	assert_int_equal(frame_alloc_alloc(&fa, UINT64_MAX, 0), 0);
	assert_int_equal(frame_alloc_alloc(&fa, UINT64_MAX / FRAME_SIZE, 0), 0);
	assert_int_equal(frame_alloc_alloc(&fa, (1ULL << 52) + 1, 0), 0); /* size wraps to 4K */
	for (int i = 0; i < 16; i++) {
		got[i] = frame_alloc_alloc(&fa, 1, 0);
		assert_int_equal(got[i], 1 * MIB + (uint64_t)i * FRAME_SIZE);
		assert_int_equal(fa.free_frames, 15 - (uint64_t)i);
	}
	assert_int_equal(frame_alloc_alloc(&fa, 1, 0), 0);
	expect(NULL, 0);

	/* Free back in a scrambled order: everything merges into one range. */
	for (int i = 0; i < 16; i++)
		assert_int_equal(frame_alloc_free(&fa, got[(i * 7) % 16], 1), 0);
	EXPECT(1 * MIB, 1 * MIB + 16 * FRAME_SIZE);
	assert_int_equal(frame_alloc_alloc(&fa, 16, 0), 1 * MIB);
}

/* Fault injection: exactly the n-th allocation fails, nothing is taken for it, the next works. */
static void test_fail_nth(void **state)
{
	(void)state;
	frame_alloc_add(&fa, 1 * MIB, 1 * MIB + 16 * FRAME_SIZE);
	frame_alloc_fail_nth(&fa, 3);
	assert_int_equal(frame_alloc_alloc(&fa, 1, 0), 1 * MIB);
	assert_int_equal(frame_alloc_alloc(&fa, 1, 0), 1 * MIB + FRAME_SIZE);
	assert_int_equal(frame_alloc_alloc(&fa, 1, 0), 0);
	assert_int_equal(fa.free_frames, 14);
	assert_int_equal(frame_alloc_alloc(&fa, 1, 0), 1 * MIB + 2 * FRAME_SIZE);
	frame_alloc_fail_nth(&fa, 1);
	frame_alloc_fail_nth(&fa, 0); /* disarmed before it fired */
	assert_int_not_equal(frame_alloc_alloc(&fa, 1, 0), 0);
}

static void test_free_merges(void **state)
{
	(void)state;
	frame_alloc_add(&fa, 1 * MIB, 2 * MIB);
	uint64_t a = frame_alloc_alloc(&fa, 4, 0);
	uint64_t b = frame_alloc_alloc(&fa, 4, 0);
	uint64_t c = frame_alloc_alloc(&fa, 4, 0);

	assert_int_equal(b, a + 4 * FRAME_SIZE);
	EXPECT(c + 4 * FRAME_SIZE, 2 * MIB);
	assert_int_equal(frame_alloc_free(&fa, b, 4), 0); /* hole in the middle */
	EXPECT(b, c, c + 4 * FRAME_SIZE, 2 * MIB);
	assert_int_equal(frame_alloc_free(&fa, c, 4), 0); /* joins both sides */
	EXPECT(b, 2 * MIB);
	assert_int_equal(frame_alloc_free(&fa, a, 4), 0); /* joins above */
	EXPECT(1 * MIB, 2 * MIB);
	/* Freeing memory that never was added is allowed (it is the caller's). */
	assert_int_equal(frame_alloc_free(&fa, 4 * MIB, 1), 0);
	EXPECT(1 * MIB, 2 * MIB, 4 * MIB, 4 * MIB + FRAME_SIZE);
	assert_int_equal(frame_alloc_free(&fa, 0x5000, 0), 0);
	EXPECT(1 * MIB, 2 * MIB, 4 * MIB, 4 * MIB + FRAME_SIZE);
}

static void test_double_free(void **state)
{
	struct frame_alloc before;

	(void)state;
	frame_alloc_add(&fa, 1 * MIB, 2 * MIB);
	uint64_t a = frame_alloc_alloc(&fa, 8, 0);

	assert_int_equal(frame_alloc_free(&fa, a, 8), 0);
	memcpy(&before, &fa, sizeof(fa));
	assert_int_equal(frame_alloc_free(&fa, a, 8), FRAME_ALLOC_EOVERLAP);
	assert_int_equal(frame_alloc_free(&fa, a + 7 * FRAME_SIZE, 1), FRAME_ALLOC_EOVERLAP);
	assert_memory_equal(&before, &fa, sizeof(fa));

	/* Partly overlapping a free range, from either side. */
	frame_alloc_reserve(&fa, 0x180000, 0x190000);
	memcpy(&before, &fa, sizeof(fa));
	assert_int_equal(frame_alloc_free(&fa, 0x17f000, 2), FRAME_ALLOC_EOVERLAP);
	assert_int_equal(frame_alloc_free(&fa, 0x18f000, 2), FRAME_ALLOC_EOVERLAP);
	assert_int_equal(frame_alloc_free(&fa, 0x170000, 0x40), FRAME_ALLOC_EOVERLAP);
	assert_memory_equal(&before, &fa, sizeof(fa));
	/* Exactly the hole is fine. */
	assert_int_equal(frame_alloc_free(&fa, 0x180000, 0x10), 0);
	EXPECT(1 * MIB, 2 * MIB);

	/* Bad arguments. */
	memcpy(&before, &fa, sizeof(fa));
	assert_int_equal(frame_alloc_free(&fa, 0, 1), FRAME_ALLOC_EINVAL);
	assert_int_equal(frame_alloc_free(&fa, 3 * MIB + 1, 1), FRAME_ALLOC_EINVAL);
	assert_int_equal(frame_alloc_free(&fa, UINT64_MAX - 0xfff, 1), FRAME_ALLOC_EINVAL);
	assert_int_equal(frame_alloc_free(&fa, 3 * MIB, UINT64_MAX / FRAME_SIZE),
	                 FRAME_ALLOC_EINVAL);
	assert_memory_equal(&before, &fa, sizeof(fa));
}

static void test_full_array_alloc_and_free(void **state)
{
	(void)state;
	for (uint64_t i = 0; i < FRAME_ALLOC_MAX_RANGES - 1; i++)
		frame_alloc_add(&fa, (4 * i + 1) * MIB, (4 * i + 3) * MIB);
	frame_alloc_add(&fa, 1000 * MIB, 1000 * MIB + FRAME_SIZE);
	assert_int_equal(fa.count, FRAME_ALLOC_MAX_RANGES);
	/* The lower ranges would need a split: the exact one at the top is used. */
	assert_int_equal(frame_alloc_alloc(&fa, 1, 2 * MIB), 1000 * MIB);
	frame_alloc_add(&fa, 1001 * MIB, 1002 * MIB); /* full again */
	assert_int_equal(fa.count, FRAME_ALLOC_MAX_RANGES);

	uint64_t frames = fa.free_frames;
	struct frame_alloc before = fa;

	/* Every 2 MiB-aligned frame is mid-range: a split, no room, so 0. */
	assert_int_equal(frame_alloc_alloc(&fa, 1, 2 * MIB), 0);
	assert_memory_equal(&before, &fa, sizeof(fa));
	/* A block that ends at a range end needs no split. */
	assert_int_equal(frame_alloc_alloc(&fa, 256, 2 * MIB), 2 * MIB);
	assert_int_equal(fa.free_frames, frames - 256);
	assert_true(frame_alloc_check(&fa));
	/* Nor do head allocations. */
	assert_int_equal(frame_alloc_alloc(&fa, 1, 0), 1 * MIB);
	/* Freeing something that cannot merge needs a slot: reported. */
	assert_int_equal(frame_alloc_free(&fa, 512 * MIB, 1), FRAME_ALLOC_ENOSPC);
	assert_int_equal(fa.free_frames, frames - 257);
	/* Freeing something that merges is fine. */
	assert_int_equal(frame_alloc_free(&fa, 1 * MIB, 1), 0);
	assert_true(frame_alloc_check(&fa));
}

static void test_check_detects_corruption(void **state)
{
	(void)state;
	frame_alloc_add(&fa, 1 * MIB, 2 * MIB);
	frame_alloc_add(&fa, 3 * MIB, 4 * MIB);
	assert_true(frame_alloc_check(&fa));

	struct frame_alloc good = fa;

	fa.free[0].end = 3 * MIB; /* adjacent, not merged */
	fa.free_frames += 256;
	assert_false(frame_alloc_check(&fa));
	fa = good;
	fa.free[0].end = 3 * MIB + FRAME_SIZE; /* overlapping */
	fa.free_frames += 257;
	assert_false(frame_alloc_check(&fa));
	fa = good;
	fa.free[1].start += 1; /* unaligned */
	assert_false(frame_alloc_check(&fa));
	fa = good;
	fa.free[0].start = 0; /* frame 0 */
	fa.free_frames += 256;
	assert_false(frame_alloc_check(&fa));
	fa = good;
	fa.free[1].end = fa.free[1].start; /* empty */
	fa.free_frames -= 256;
	assert_false(frame_alloc_check(&fa));
	fa = good;
	fa.free_frames++;
	assert_false(frame_alloc_check(&fa));
	fa = good;
	fa.count = FRAME_ALLOC_MAX_RANGES + 1;
	assert_false(frame_alloc_check(&fa));
}

/*
 * Random operations checked against a bitmap model. 200 frames keep the range
 * count below the array size, so the allocator must match the model exactly.
 */
#define MODEL_FRAMES 200
#define MODEL_BASE   (1 * GIB)

static bool model[MODEL_FRAMES];
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t frame_pa(uint64_t f)
{
	return MODEL_BASE + f * FRAME_SIZE;
}

static uint64_t model_alloc(uint64_t n, uint64_t align_frames)
{
	for (uint64_t f = 0; f + n <= MODEL_FRAMES; f++) {
		bool ok = (frame_pa(f) / FRAME_SIZE) % align_frames == 0;

		for (uint64_t k = 0; ok && k < n; k++)
			ok = model[f + k];
		if (ok) {
			for (uint64_t k = 0; k < n; k++)
				model[f + k] = false;
			return frame_pa(f);
		}
	}
	return 0;
}

static void model_check(void)
{
	uint64_t nfree = 0;

	assert_true(frame_alloc_check(&fa));
	for (uint64_t f = 0; f < MODEL_FRAMES; f++) {
		bool in = false;

		for (uint32_t i = 0; i < fa.count; i++)
			in |= fa.free[i].start <= frame_pa(f) && frame_pa(f) < fa.free[i].end;
		assert_int_equal(in, model[f]);
		nfree += model[f];
	}
	assert_int_equal(fa.free_frames, nfree);
}

static void test_random_against_model(void **state)
{
	(void)state;
	memset(model, 0, sizeof(model));
	for (int step = 0; step < 20000; step++) {
		uint64_t f = rng() % MODEL_FRAMES;
		uint64_t n = 1 + rng() % 8;
		uint64_t off = rng() % FRAME_SIZE;

		if (f + n > MODEL_FRAMES)
			n = MODEL_FRAMES - f;
		switch (rng() % 4) {
		case 0: /* add, with unaligned ends rounded inward */
			assert_int_equal(frame_alloc_add(&fa,
			                                 frame_pa(f) - (off ? FRAME_SIZE - off : 0),
			                                 frame_pa(f + n) + off),
			                 0);
			for (uint64_t k = 0; k < n; k++)
				model[f + k] = true;
			break;
		case 1: /* reserve, with unaligned ends rounded outward */
			frame_alloc_reserve(&fa, frame_pa(f) + off / 2, frame_pa(f + n) - off / 2);
			for (uint64_t k = 0; k < n; k++)
				model[f + k] = false;
			break;
		case 2: { /* alloc, sometimes aligned */
			uint64_t align_frames = 1ULL << (rng() % 4);
			uint64_t want = model_alloc(n, align_frames);

			assert_int_equal(frame_alloc_alloc(&fa, n, align_frames * FRAME_SIZE),
			                 want);
			break;
		}
		default: { /* free: overlap must be detected */
			bool any = false;

			for (uint64_t k = 0; k < n; k++)
				any |= model[f + k];
			assert_int_equal(frame_alloc_free(&fa, frame_pa(f), n),
			                 any ? FRAME_ALLOC_EOVERLAP : 0);
			for (uint64_t k = 0; !any && k < n; k++)
				model[f + k] = true;
			break;
		}
		}
		model_check();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_empty, setup),
	        cmocka_unit_test_setup(test_add_merge, setup),
	        cmocka_unit_test_setup(test_add_rounding, setup),
	        cmocka_unit_test_setup(test_add_full, setup),
	        cmocka_unit_test_setup(test_reserve_split, setup),
	        cmocka_unit_test_setup(test_reserve_across_ranges, setup),
	        cmocka_unit_test_setup(test_reserve_first_mib, setup),
	        cmocka_unit_test_setup(test_reserve_full_array, setup),
	        cmocka_unit_test_setup(test_alloc_aligned, setup),
	        cmocka_unit_test_setup(test_alloc_exhaustion, setup),
	        cmocka_unit_test_setup(test_fail_nth, setup),
	        cmocka_unit_test_setup(test_free_merges, setup),
	        cmocka_unit_test_setup(test_double_free, setup),
	        cmocka_unit_test_setup(test_full_array_alloc_and_free, setup),
	        cmocka_unit_test_setup(test_check_detects_corruption, setup),
	        cmocka_unit_test_setup(test_random_against_model, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
