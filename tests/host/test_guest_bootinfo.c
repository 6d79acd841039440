/* Host tests for vcpu/guest_bootinfo.c: a guest's Multiboot info, read back by our parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot_info.h"
#include "boot/multiboot.h"
#include "lib/bytes.h"
#include "vcpu/guest_bootinfo.h"
#include "vcpu/guest_image.h"
#include "vcpu/linux_boot.h"

#define KIB      1024ULL
#define MIB      (1024 * KIB)
#define GIB      (1024 * MIB)
#define BUF_SIZE (2 * MIB) /* the RAM the tests really have */
#define FILL     0xa5      /* what RAM holds before a call */
#define INFO     0x9000ULL /* the customary spot */
#define LIMIT    0x9f000ULL

static uint8_t *ram;
static struct boot_info bi;
static struct guest_image img;

static int setup(void **state)
{
	(void)state;
	ram = malloc(BUF_SIZE);
	assert_non_null(ram);
	memset(ram, FILL, BUF_SIZE);
	memset(&bi, 0xcc, sizeof(bi));
	memset(&img, 0, sizeof(img));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + gpa, 4);
	return v;
}

/* The Multiboot1 parser's view of guest RAM: only the buffer the tests have. */
static const void *ram_reader(uint64_t pa, uint64_t len, void *ctx)
{
	(void)ctx;
	if (pa > BUF_SIZE || len > BUF_SIZE - pa)
		return NULL;
	return ram + pa;
}

/* Every byte of [from, to) still holds FILL: nothing was written there. */
static void assert_untouched(uint64_t from, uint64_t to)
{
	for (uint64_t a = from; a < to; a++)
		if (ram[a] != FILL)
			fail_msg("byte at %#llx written", (unsigned long long)a);
}

/* The documented map, as the parser reports it (sorted by base). */
static void assert_memory_map(uint64_t ram_size)
{
	assert_int_equal(bi.mem_count, 4);
	assert_int_equal(bi.mem[0].base, 0);
	assert_int_equal(bi.mem[0].length, 0x9fc00);
	assert_int_equal(bi.mem[0].type, BOOT_MEM_USABLE);
	assert_int_equal(bi.mem[1].base, 0x9fc00);
	assert_int_equal(bi.mem[1].length, 0x400);
	assert_int_equal(bi.mem[1].type, BOOT_MEM_RESERVED);
	assert_int_equal(bi.mem[2].base, 0xf0000);
	assert_int_equal(bi.mem[2].length, 0x10000);
	assert_int_equal(bi.mem[2].type, BOOT_MEM_RESERVED);
	assert_int_equal(bi.mem[3].base, 0x100000);
	assert_int_equal(bi.mem[3].length, ram_size - 0x100000);
	assert_int_equal(bi.mem[3].type, BOOT_MEM_USABLE);
	assert_int_equal(boot_info_ram_end(&bi), ram_size);
	assert_int_equal(boot_info_validate(&bi), 0);
}

static void parse_mb1(uint64_t info_gpa)
{
	assert_int_equal(multiboot1_parse(info_gpa, ram_reader, NULL, &bi), 0);
	assert_int_equal(bi.protocol, 1);
}

static void parse_mb2(uint64_t info_gpa)
{
	int err = multiboot2_parse(ram + info_gpa, info_gpa, &bi);

	if (err)
		fail_msg("multiboot2_parse: %d (%s)", err, bi.error);
	assert_int_equal(bi.protocol, 2);
}

/* ---- Multiboot1 ---- */

static void test_mb1_parses_back(void **state)
{
	(void)state;
	const char *cmd = "console=ttyS0 root=/dev/ram0 quiet";
	const uint64_t ram_size = 64 * MIB;
	uint64_t n = guest_bootinfo_mb1(ram, ram_size, INFO, LIMIT, cmd, NULL, 0);

	assert_true(n >= MULTIBOOT1_INFO_SIZE + strlen(cmd) + 1 + sizeof("Umbra") +
	                         4 * MULTIBOOT1_MMAP_ENTRY_SIZE);
	assert_untouched(INFO + n, INFO + n + 4096);
	assert_untouched(INFO - 4096, INFO);
	parse_mb1(INFO);
	assert_string_equal(bi.cmdline, cmd);
	assert_string_equal(bi.loader, "Umbra");
	assert_string_equal(bi.loader, GUEST_BOOTINFO_LOADER);
	assert_int_equal(bi.module_count, 0);
	assert_int_equal(bi.fb.type, BOOT_FB_NONE);
	assert_int_equal(bi.info_start, INFO);
	assert_memory_map(ram_size);

	/* The raw block: exactly these flags, BIOS sizes in KiB, pointers inside [INFO, +n). */
	assert_int_equal(get32(INFO + MULTIBOOT1_INFO_OFF_FLAGS),
	                 MULTIBOOT1_INFO_MEMORY | MULTIBOOT1_INFO_CMDLINE |
	                         MULTIBOOT1_INFO_MEM_MAP | MULTIBOOT1_INFO_BOOT_LOADER_NAME);
	assert_int_equal(get32(INFO + MULTIBOOT1_INFO_OFF_MEM_LOWER), 639);
	assert_int_equal(get32(INFO + MULTIBOOT1_INFO_OFF_MEM_UPPER), 63 * 1024);
	assert_int_equal(get32(INFO + MULTIBOOT1_INFO_OFF_MMAP_LENGTH),
	                 4 * MULTIBOOT1_MMAP_ENTRY_SIZE);
	const uint32_t ptrs[] = {
	        MULTIBOOT1_INFO_OFF_CMDLINE,
	        MULTIBOOT1_INFO_OFF_BOOT_LOADER_NAME,
	        MULTIBOOT1_INFO_OFF_MMAP_ADDR,
	};
	for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++) {
		uint32_t p = get32(INFO + ptrs[i]);

		assert_in_range(p, INFO + MULTIBOOT1_INFO_SIZE, INFO + n - 1);
	}
	/* The memory map lies entirely inside the bytes reported used. */
	assert_true(get32(INFO + MULTIBOOT1_INFO_OFF_MMAP_ADDR) + 4 * MULTIBOOT1_MMAP_ENTRY_SIZE <=
	            INFO + n);
	/* Fields it does not set are zero, not stale RAM. */
	assert_int_equal(get32(INFO + MULTIBOOT1_INFO_OFF_MODS_COUNT), 0);
	assert_int_equal(get32(INFO + MULTIBOOT1_INFO_OFF_BOOT_DEVICE), 0);
	assert_int_equal(get32(INFO + MULTIBOOT1_INFO_OFF_FRAMEBUFFER), 0);
}

/* A VM's files: each a module the parser reads back, with its own command line. */
static const struct guest_file files[] = {
        {0x200000, 0x201234, "config=a.ini"}, {0x202000, 0x202000, ""}, /* an empty one */
};

static void assert_files_parsed(void)
{
	assert_int_equal(bi.module_count, 2);
	assert_int_equal(bi.modules[0].start, 0x200000);
	assert_int_equal(bi.modules[0].end, 0x201234);
	assert_string_equal(bi.modules[0].cmdline, "config=a.ini");
	assert_int_equal(bi.modules[1].start, 0x202000);
	assert_int_equal(bi.modules[1].end, 0x202000);
	assert_string_equal(bi.modules[1].cmdline, "");
}

static void test_mb1_files_as_modules(void **state)
{
	(void)state;
	uint64_t n = guest_bootinfo_mb1(ram, 64 * MIB, INFO, LIMIT, "x", files, 2);

	assert_true(n > 0);
	assert_untouched(INFO + n, INFO + n + 4096);
	parse_mb1(INFO);
	assert_true(get32(INFO + MULTIBOOT1_INFO_OFF_FLAGS) & MULTIBOOT1_INFO_MODS);
	assert_files_parsed();
}

static void test_mb2_files_as_modules(void **state)
{
	(void)state;
	uint64_t n = guest_bootinfo_mb2(ram, 64 * MIB, INFO, LIMIT, "x", files, 2);

	assert_true(n > 0);
	assert_untouched(INFO + n, INFO + n + 4096);
	parse_mb2(INFO);
	assert_files_parsed();
}

static void test_mb1_null_and_empty_cmdline(void **state)
{
	(void)state;
	uint64_t n_null, n_empty;

	n_null = guest_bootinfo_mb1(ram, 16 * MIB, INFO, LIMIT, NULL, NULL, 0);
	assert_int_not_equal(n_null, 0);
	parse_mb1(INFO);
	assert_string_equal(bi.cmdline, "");
	assert_string_equal(bi.loader, "Umbra");
	assert_memory_map(16 * MIB);
	/* The flag is still set and the pointer leads to an empty string. */
	assert_true(get32(INFO + MULTIBOOT1_INFO_OFF_FLAGS) & MULTIBOOT1_INFO_CMDLINE);
	assert_int_equal(ram[get32(INFO + MULTIBOOT1_INFO_OFF_CMDLINE)], 0);

	memset(ram, FILL, BUF_SIZE);
	n_empty = guest_bootinfo_mb1(ram, 16 * MIB, INFO, LIMIT, "", NULL, 0);
	assert_int_equal(n_empty, n_null);
	parse_mb1(INFO);
	assert_string_equal(bi.cmdline, "");
}

static void test_mb1_limits(void **state)
{
	(void)state;
	const uint64_t n = guest_bootinfo_mb1(ram, 16 * MIB, INFO, LIMIT, "x", NULL, 0);

	assert_int_not_equal(n, 0);
	/* Exactly up to the limit fits; one byte less does not, and writes nothing. */
	memset(ram, FILL, BUF_SIZE);
	assert_int_equal(guest_bootinfo_mb1(ram, 16 * MIB, INFO, INFO + n, "x", NULL, 0), n);
	memset(ram, FILL, BUF_SIZE);
	assert_int_equal(guest_bootinfo_mb1(ram, 16 * MIB, INFO, INFO + n - 1, "x", NULL, 0), 0);
	assert_untouched(0, BUF_SIZE);
	/* A limit below the info itself. */
	assert_int_equal(guest_bootinfo_mb1(ram, 16 * MIB, INFO, INFO - 0x1000, "x", NULL, 0), 0);
	assert_int_equal(guest_bootinfo_mb1(ram, 16 * MIB, INFO, 0, "x", NULL, 0), 0);

	/* A longer command line needs more room: the same limit no longer suffices. */
	assert_int_equal(
	        guest_bootinfo_mb1(ram, 16 * MIB, INFO, INFO + n, "xxxxxxxxxxxxxxxx", NULL, 0), 0);
	assert_untouched(0, BUF_SIZE);

	/* RAM is a limit too: a generous limit_gpa does not let it run past RAM's end. */
	const uint64_t ram_size = 1 * MIB + 4 * KIB;
	assert_int_equal(guest_bootinfo_mb1(ram, ram_size, ram_size - n, UINT64_MAX, "x", NULL, 0),
	                 n);
	memset(ram, FILL, BUF_SIZE);
	assert_int_equal(
	        guest_bootinfo_mb1(ram, ram_size, ram_size - n + 4, UINT64_MAX, "x", NULL, 0), 0);
	assert_untouched(0, BUF_SIZE);

	/* RAM must be larger than 1 MiB. */
	assert_int_equal(guest_bootinfo_mb1(ram, 1 * MIB, INFO, LIMIT, "x", NULL, 0), 0);
	assert_int_equal(guest_bootinfo_mb1(ram, 640 * KIB, INFO, LIMIT, "x", NULL, 0), 0);
	assert_int_equal(guest_bootinfo_mb1(ram, 0, INFO, LIMIT, "x", NULL, 0), 0);
	assert_untouched(0, BUF_SIZE);
	assert_int_equal(guest_bootinfo_mb1(ram, 1 * MIB + 1, INFO, LIMIT, "x", NULL, 0), n);
}

static void test_mb1_alignment(void **state)
{
	(void)state;
	/* 4-aligned is enough. */
	assert_int_not_equal(guest_bootinfo_mb1(ram, 16 * MIB, INFO + 4, LIMIT, "a", NULL, 0), 0);
	parse_mb1(INFO + 4);
	assert_string_equal(bi.cmdline, "a");
	memset(ram, FILL, BUF_SIZE);
	for (uint64_t off = 1; off < 4; off++)
		assert_int_equal(guest_bootinfo_mb1(ram, 16 * MIB, INFO + off, LIMIT, "a", NULL, 0),
		                 0);
	assert_untouched(0, BUF_SIZE);
}

/* ---- Multiboot2 ---- */

/* Walks the tags at info_gpa; returns how many, their types in types[]. */
static uint32_t mb2_tags(uint64_t info_gpa, uint32_t types[], uint32_t offs[], uint32_t max)
{
	uint32_t total = get32(info_gpa), off = 8, n = 0;

	while (off < total && n < max) {
		types[n] = get32(info_gpa + off);
		offs[n] = off;
		n++;
		if (types[n - 1] == MULTIBOOT2_TAG_END)
			break;
		off += (get32(info_gpa + off + 4) + 7) & ~7U;
	}
	return n;
}

static void test_mb2_parses_back(void **state)
{
	(void)state;
	const char *cmd = "console=ttyS0 loglevel=7";
	const uint64_t ram_size = 128 * MIB;
	uint64_t n = guest_bootinfo_mb2(ram, ram_size, INFO, LIMIT, cmd, NULL, 0);
	uint32_t types[16], offs[16], count;

	assert_int_not_equal(n, 0);
	assert_int_equal(n % 8, 0);
	assert_int_equal(get32(INFO), n); /* total_size */
	assert_untouched(INFO + n, INFO + n + 4096);
	assert_untouched(INFO - 4096, INFO);
	parse_mb2(INFO);
	assert_string_equal(bi.cmdline, cmd);
	assert_string_equal(bi.loader, "Umbra");
	assert_int_equal(bi.module_count, 0);
	assert_int_equal(bi.rsdp, 0);
	assert_int_equal(bi.fb.type, BOOT_FB_NONE);
	assert_int_equal(bi.info_start, INFO);
	assert_int_equal(bi.info_end, INFO + n);
	assert_memory_map(ram_size);

	/* The tags the header promises, in order. */
	count = mb2_tags(INFO, types, offs, 16);
	assert_int_equal(count, 5);
	assert_int_equal(types[0], MULTIBOOT2_TAG_CMDLINE);
	assert_int_equal(types[1], MULTIBOOT2_TAG_BOOT_LOADER_NAME);
	assert_int_equal(types[2], MULTIBOOT2_TAG_BASIC_MEMINFO);
	assert_int_equal(types[3], MULTIBOOT2_TAG_MMAP);
	assert_int_equal(types[4], MULTIBOOT2_TAG_END);
	assert_int_equal(offs[4] + 8, n); /* the end tag closes the info */
	/* Basic meminfo: KiB below 640 KiB and above 1 MiB. */
	assert_int_equal(get32(INFO + offs[2] + 4), MULTIBOOT2_TAG_BASIC_MEMINFO_SIZE);
	assert_int_equal(get32(INFO + offs[2] + 8), 639);
	assert_int_equal(get32(INFO + offs[2] + 12), 127 * 1024);
	/* Memory map header: entry_size 24, entry_version 0. */
	assert_int_equal(get32(INFO + offs[3] + 4), MULTIBOOT2_TAG_MMAP_HDR_SIZE + 4 * 24);
	assert_int_equal(get32(INFO + offs[3] + 8), 24);
	assert_int_equal(get32(INFO + offs[3] + 12), 0);
	/* Each tag starts 8-aligned. */
	for (uint32_t i = 0; i < count; i++)
		assert_int_equal(offs[i] % 8, 0);
}

static void test_mb2_null_cmdline(void **state)
{
	(void)state;
	uint64_t n_null, n_empty;
	uint32_t types[16], offs[16];

	n_null = guest_bootinfo_mb2(ram, 16 * MIB, INFO, LIMIT, NULL, NULL, 0);
	assert_int_not_equal(n_null, 0);
	parse_mb2(INFO);
	assert_string_equal(bi.cmdline, "");
	assert_string_equal(bi.loader, "Umbra");
	assert_memory_map(16 * MIB);
	/* A command-line tag with just the NUL. */
	assert_int_equal(mb2_tags(INFO, types, offs, 16), 5);
	assert_int_equal(types[0], MULTIBOOT2_TAG_CMDLINE);
	assert_int_equal(get32(INFO + offs[0] + 4), 9);

	memset(ram, FILL, BUF_SIZE);
	n_empty = guest_bootinfo_mb2(ram, 16 * MIB, INFO, LIMIT, "", NULL, 0);
	assert_int_equal(n_empty, n_null);
}

static void test_mb2_limits_and_alignment(void **state)
{
	(void)state;
	const uint64_t n = guest_bootinfo_mb2(ram, 16 * MIB, INFO, LIMIT, "x", NULL, 0);

	assert_int_not_equal(n, 0);
	memset(ram, FILL, BUF_SIZE);
	assert_int_equal(guest_bootinfo_mb2(ram, 16 * MIB, INFO, INFO + n, "x", NULL, 0), n);
	memset(ram, FILL, BUF_SIZE);
	assert_int_equal(guest_bootinfo_mb2(ram, 16 * MIB, INFO, INFO + n - 1, "x", NULL, 0), 0);
	assert_int_equal(
	        guest_bootinfo_mb2(ram, 16 * MIB, INFO, INFO + n, "a longer line", NULL, 0), 0);
	assert_int_equal(guest_bootinfo_mb2(ram, 1 * MIB, INFO, LIMIT, "x", NULL, 0), 0);
	assert_int_equal(guest_bootinfo_mb2(ram, 512 * KIB, INFO, LIMIT, "x", NULL, 0), 0);
	/* Inside RAM: ends exactly at RAM's end, or one 8-byte step too far. */
	const uint64_t ram_size = 1 * MIB + 8 * KIB;
	assert_int_equal(
	        guest_bootinfo_mb2(ram, ram_size, ram_size - n + 8, UINT64_MAX, "x", NULL, 0), 0);
	/* 8-aligned only: 4 is not enough for Multiboot2. */
	for (uint64_t off = 1; off < 8; off++)
		assert_int_equal(guest_bootinfo_mb2(ram, 16 * MIB, INFO + off, LIMIT, "x", NULL, 0),
		                 0);
	assert_untouched(0, BUF_SIZE);
	assert_int_equal(guest_bootinfo_mb2(ram, ram_size, ram_size - n, UINT64_MAX, "x", NULL, 0),
	                 n);
	parse_mb2(ram_size - n);
	assert_string_equal(bi.cmdline, "x");
	assert_memory_map(ram_size);
}

/*
 * Both protocols hold 32-bit pointers: the info must end at or below 4 GiB
 * whatever the RAM size. `ram` is shifted so that the test buffer appears
 * at guest-physical 4 GiB - 1 MiB.
 */
static void test_below_4gib(void **state)
{
	(void)state;
	const uint64_t base = 4 * GIB - 1 * MIB, ram_size = 8 * GIB;
	uint8_t *const buf = ram;
	uint8_t *shifted = (uint8_t *)((uintptr_t)buf - base);
	uint64_t n1, n2;

	n1 = guest_bootinfo_mb1(shifted, ram_size, 4 * GIB - 4096, UINT64_MAX, "hi", NULL, 0);
	assert_int_not_equal(n1, 0);
	n2 = guest_bootinfo_mb2(shifted, ram_size, 4 * GIB - 4096, UINT64_MAX, "hi", NULL, 0);
	assert_int_not_equal(n2, 0);
	/* Exactly ending at 4 GiB still fits. */
	assert_int_equal(
	        guest_bootinfo_mb2(shifted, ram_size, 4 * GIB - n2, UINT64_MAX, "hi", NULL, 0), n2);
	assert_int_equal(multiboot2_parse(buf + (4 * GIB - n2 - base), 4 * GIB - n2, &bi), 0);
	assert_string_equal(bi.cmdline, "hi");
	assert_memory_map(ram_size);

	memset(buf, FILL, BUF_SIZE);
	assert_int_equal(
	        guest_bootinfo_mb1(shifted, ram_size, 4 * GIB - 64, UINT64_MAX, "hi", NULL, 0), 0);
	assert_int_equal(
	        guest_bootinfo_mb2(shifted, ram_size, 4 * GIB - 64, UINT64_MAX, "hi", NULL, 0), 0);
	assert_int_equal(guest_bootinfo_mb1(shifted, ram_size, 4 * GIB, UINT64_MAX, "hi", NULL, 0),
	                 0);
	assert_int_equal(guest_bootinfo_mb2(shifted, ram_size, 4 * GIB, UINT64_MAX, "hi", NULL, 0),
	                 0);
	assert_untouched(0, BUF_SIZE);
}

/* mem_upper is 32 bits of KiB: a huge RAM saturates it, the map keeps the full size. */
static void test_mem_upper_saturates(void **state)
{
	(void)state;
	const uint64_t ram_size = 1 * MIB + (1ULL << 32) * KIB; /* 4 TiB above 1 MiB */
	uint32_t types[16], offs[16];

	assert_int_not_equal(guest_bootinfo_mb1(ram, ram_size, INFO, LIMIT, NULL, NULL, 0), 0);
	assert_int_equal(get32(INFO + MULTIBOOT1_INFO_OFF_MEM_UPPER), UINT32_MAX);
	parse_mb1(INFO);
	assert_memory_map(ram_size);

	assert_int_not_equal(guest_bootinfo_mb2(ram, ram_size, INFO, LIMIT, NULL, NULL, 0), 0);
	assert_int_equal(mb2_tags(INFO, types, offs, 16), 5);
	assert_int_equal(get32(INFO + offs[2] + 12), UINT32_MAX);
	parse_mb2(INFO);
	assert_memory_map(ram_size);
}

/* ---- guest_bootinfo_place ---- */

static void add_seg(uint64_t gpa, uint64_t file_size, uint64_t mem_size)
{
	assert_true(img.seg_count < GUEST_IMAGE_MAX_SEGMENTS);
	img.seg[img.seg_count++] = (struct guest_segment){
	        .gpa = gpa,
	        .file_offset = 0x1000,
	        .file_size = file_size,
	        .mem_size = mem_size,
	};
}

static void test_place_no_conflict(void **state)
{
	(void)state;
	/* No segments, or a kernel at 1 MiB: the customary 0x9000. */
	assert_int_equal(guest_bootinfo_place(&img, 0x1000), 0x9000);
	add_seg(1 * MIB, 0x20000, 0x30000);
	assert_int_equal(guest_bootinfo_place(&img, 0x1000), 0x9000);
	assert_int_equal(guest_bootinfo_place(&img, 1), 0x9000);
	assert_int_equal(guest_bootinfo_place(&img, 0), 0x9000);
	/* The whole first window fits; one byte more fits in neither window. */
	assert_int_equal(guest_bootinfo_place(&img, 0x96000), 0x9000);
	assert_int_equal(guest_bootinfo_place(&img, 0x96001), 0);
	assert_int_equal(guest_bootinfo_place(&img, UINT64_MAX), 0);
}

static void test_place_avoids_segments(void **state)
{
	(void)state;
	/* A segment on the first page: the next page. */
	add_seg(0x9000, 0x1000, 0x1000);
	assert_int_equal(guest_bootinfo_place(&img, 0x1000), 0xa000);
	/* A segment ending exactly at 0x9000 does not overlap it (half-open). */
	img.seg_count = 0;
	add_seg(0x8000, 0x1000, 0x1000);
	assert_int_equal(guest_bootinfo_place(&img, 0x1000), 0x9000);
	/* Its bss counts: mem_size, not file_size. */
	img.seg_count = 0;
	add_seg(0x9000, 0x100, 0x2800);
	assert_int_equal(guest_bootinfo_place(&img, 0x1000), 0xc000);
	/* An unaligned segment start: the block must end before it. */
	img.seg_count = 0;
	add_seg(0xa800, 0x100, 0x100);
	assert_int_equal(guest_bootinfo_place(&img, 0x1000), 0x9000);
	assert_int_equal(guest_bootinfo_place(&img, 0x1801), 0xb000);
	/* Every segment is consulted, not just the first. */
	img.seg_count = 0;
	add_seg(1 * MIB, 0x1000, 0x1000);
	add_seg(0x20000, 0x1000, 0x1000);
	add_seg(0x9000, 0x10000, 0x10000);
	assert_int_equal(guest_bootinfo_place(&img, 0x1000), 0x19000);
	assert_int_equal(guest_bootinfo_place(&img, 0x8000), 0x21000);
}

static void test_place_second_window(void **state)
{
	(void)state;
	/* The first window full: [0x1000, 0x9000) next. */
	add_seg(0x9000, 0x96000, 0x96000);
	assert_int_equal(guest_bootinfo_place(&img, 0x1000), 0x1000);
	assert_int_equal(guest_bootinfo_place(&img, 0x8000), 0x1000);
	assert_int_equal(guest_bootinfo_place(&img, 0x8001), 0);
	/* Only the last page of the first window free: too small, so the second window. */
	img.seg_count = 0;
	add_seg(0x9000, 0x95000, 0x95000);
	assert_int_equal(guest_bootinfo_place(&img, 0x1000), 0x9e000);
	assert_int_equal(guest_bootinfo_place(&img, 0x2000), 0x1000);
	/* Something at 0x1000 too: the next free page of the second window. */
	add_seg(0x1000, 0x1000, 0x3000);
	assert_int_equal(guest_bootinfo_place(&img, 0x2000), 0x4000);
	/* Never page 0, never at or past 0x9f000 (the EBDA starts at 0x9fc00). */
	img.seg_count = 0;
	add_seg(0x1000, 0x9e000, 0x9e000);
	assert_int_equal(guest_bootinfo_place(&img, 0x1000), 0);
	assert_int_equal(guest_bootinfo_place(&img, 1), 0);
}

static void test_place_result_fits_bootinfo(void **state)
{
	(void)state;
	/* What a VM build does: place, then write there; the info fits the window it got. */
	add_seg(0x9000, 0x1000, 0x1000);
	const uint64_t gpa = guest_bootinfo_place(&img, 4096);
	assert_int_equal(gpa, 0xa000);
	assert_int_equal(gpa % 4096, 0);
	assert_int_not_equal(guest_bootinfo_mb2(ram, 32 * MIB, gpa, gpa + 4096, "quiet", NULL, 0),
	                     0);
	parse_mb2(gpa);
	assert_string_equal(bi.cmdline, "quiet");
	assert_untouched(0x9000, 0xa000);
}

/* ---- Linux zero page ---- */

/* A kernel's setup header as a bzImage carries it (the bytes the zero page copies). */
static void linux_header(uint8_t *k)
{
	memset(k, 0, 0x1000);
	for (unsigned int i = LINUX_SETUP_SECTS; i < 0x268; i++)
		k[i] = (uint8_t)i;
	k[LINUX_HEADER_END_BYTE] = 0x66; /* the header ends at 0x268 */
	memcpy(k + LINUX_INITRD_ADDR_MAX, &(uint32_t){0x7fffffff}, 4);
	memcpy(k + LINUX_CMDLINE_SIZE, &(uint32_t){2047}, 4);
}

static void test_linux_zero_page(void **state)
{
	(void)state;
	static uint8_t kernel[0x1000];
	struct guest_file initrd = {0x180000, 0x1a0123, ""};
	const uint8_t *bp = ram + INFO;

	linux_header(kernel);
	assert_int_equal(guest_bootinfo_linux(ram, BUF_SIZE, INFO, INFO + 0x2000, "console=ttyS0",
	                                      &initrd, kernel, 0xf0000),
	                 0x1000 + 14);
	/* The header as the image has it, but for what the loader fills in. */
	assert_memory_equal(bp + LINUX_SETUP_SECTS, kernel + LINUX_SETUP_SECTS,
	                    LINUX_TYPE_OF_LOADER - LINUX_SETUP_SECTS);
	assert_int_equal(bp[LINUX_TYPE_OF_LOADER], LINUX_LOADER_UNKNOWN);
	assert_int_equal(bp[0x267], kernel[0x267]);
	assert_int_equal(bp[0x268], 0); /* past the header: zero */
	assert_int_equal(rd32(bp + LINUX_CMD_LINE_PTR), INFO + 0x1000);
	assert_string_equal((const char *)ram + INFO + 0x1000, "console=ttyS0");
	assert_int_equal(rd32(bp + LINUX_RAMDISK_IMAGE), 0x180000);
	assert_int_equal(rd32(bp + LINUX_RAMDISK_SIZE), 0x20123);
	assert_int_equal(rd64(bp + LINUX_BP_ACPI_RSDP), 0xf0000);
	/* E820: the same map as the Multiboot protocols give. */
	assert_int_equal(bp[LINUX_BP_E820_ENTRIES], 4);
	assert_int_equal(rd64(bp + LINUX_BP_E820_TABLE + 8), 0x9fc00);
	assert_int_equal(rd32(bp + LINUX_BP_E820_TABLE + 16), 1);
	assert_int_equal(rd64(bp + LINUX_BP_E820_TABLE + 20), 0x9fc00);
	assert_int_equal(rd32(bp + LINUX_BP_E820_TABLE + 36), 2);
	assert_int_equal(rd64(bp + LINUX_BP_E820_TABLE + 60), 0x100000);
	assert_int_equal(rd64(bp + LINUX_BP_E820_TABLE + 68), BUF_SIZE - 0x100000);
	assert_int_equal(rd32(bp + LINUX_BP_E820_TABLE + 76), 1);
	assert_untouched(INFO + 0x1000 + 14, INFO + 0x2000);
	/* No initrd: the fields stay 0. */
	assert_int_equal(
	        guest_bootinfo_linux(ram, BUF_SIZE, INFO, INFO + 0x2000, NULL, NULL, kernel, 0),
	        0x1000 + 1);
	assert_int_equal(rd32(bp + LINUX_RAMDISK_IMAGE), 0);
}

static void test_linux_zero_page_refusals(void **state)
{
	(void)state;
	static uint8_t kernel[0x1000];
	static char longline[3000];
	struct guest_file high = {0x80000000, 0x80001000, ""};

	linux_header(kernel);
	memset(longline, 'a', sizeof(longline) - 1);
	/* Longer than the kernel's cmdline_size (2047). */
	assert_int_equal(guest_bootinfo_linux(ram, BUF_SIZE, INFO, INFO + 0x2000, longline + 951,
	                                      NULL, kernel, 0),
	                 0);
	assert_int_not_equal(guest_bootinfo_linux(ram, BUF_SIZE, INFO, INFO + 0x2000,
	                                          longline + 952, NULL, kernel, 0),
	                     0);
	/* An initrd the kernel cannot reach (above initrd_addr_max). */
	assert_int_equal(
	        guest_bootinfo_linux(ram, BUF_SIZE, INFO, INFO + 0x2000, "", &high, kernel, 0), 0);
	/* Not page-aligned, or not room below the limit. */
	assert_int_equal(
	        guest_bootinfo_linux(ram, BUF_SIZE, INFO + 8, INFO + 0x2000, "", NULL, kernel, 0),
	        0);
	assert_int_equal(
	        guest_bootinfo_linux(ram, BUF_SIZE, INFO, INFO + 0x1000, "", NULL, kernel, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_mb1_parses_back, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_linux_zero_page, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_linux_zero_page_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mb1_files_as_modules, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mb2_files_as_modules, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mb1_null_and_empty_cmdline, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mb1_limits, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mb1_alignment, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mb2_parses_back, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mb2_null_cmdline, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mb2_limits_and_alignment, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_below_4gib, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mem_upper_saturates, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_place_no_conflict, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_place_avoids_segments, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_place_second_window, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_place_result_fits_bootinfo, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
