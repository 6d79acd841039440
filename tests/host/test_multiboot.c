/* Host tests for boot/multiboot.c: Multiboot2/Multiboot1 parsing and validation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "boot/boot_info.h"
#include "boot/multiboot.h"

#define INFO_PA 0x10000ULL /* where the MB2 images "are" physically */
#define MIB     (1024ULL * 1024)

static struct boot_info bi;

/* ---- Multiboot2 images ---- */

struct mb2_img {
	_Alignas(8) uint8_t buf[8192];
	uint32_t len;
};

static struct mb2_img img;

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void mb2_begin(void)
{
	memset(&img, 0, sizeof(img));
	img.len = 8;
}

/* Appends a tag with the given payload; returns its offset. */
static uint32_t mb2_tag(uint32_t type, const void *payload, uint32_t plen)
{
	uint32_t off = img.len;

	assert_true(off + 8 + plen + 8 <= sizeof(img.buf));
	put32(img.buf + off, type);
	put32(img.buf + off + 4, 8 + plen);
	if (plen)
		memcpy(img.buf + off + 8, payload, plen);
	img.len = (off + 8 + plen + 7) & ~7U;
	return off;
}

static uint32_t mb2_str(uint32_t type, const char *s)
{
	return mb2_tag(type, s, (uint32_t)strlen(s) + 1);
}

static uint32_t mb2_module(uint32_t start, uint32_t end, const char *s)
{
	uint8_t p[1024];
	uint32_t n = (uint32_t)strlen(s) + 1;

	assert_true(8 + n <= sizeof(p));
	put32(p, start);
	put32(p + 4, end);
	memcpy(p + 8, s, n);
	return mb2_tag(MULTIBOOT2_TAG_MODULE, p, 8 + n);
}

struct ent {
	uint64_t base, len;
	uint32_t type;
};

static uint32_t mb2_mmap(uint32_t esize, const struct ent *e, uint32_t n)
{
	uint8_t p[4096];

	memset(p, 0xee, sizeof(p)); /* junk in the bytes past 24 of big entries */
	put32(p, esize);
	put32(p + 4, 0);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *q = p + 8 + i * esize;

		put64(q, e[i].base);
		put64(q + 8, e[i].len);
		put32(q + 16, e[i].type);
		put32(q + 20, 0);
	}
	return mb2_tag(MULTIBOOT2_TAG_MMAP, p, 8 + n * esize);
}

static void rsdp_fill(uint8_t *p, uint8_t rev)
{
	uint8_t sum = 0;

	memset(p, 0, 36);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "UMBRA ", 6);
	p[15] = rev;
	for (int i = 0; i < 20; i++)
		sum += p[i];
	p[8] = (uint8_t)-sum;
}

static uint32_t mb2_acpi(uint32_t type)
{
	uint8_t p[36];

	rsdp_fill(p, type == MULTIBOOT2_TAG_ACPI_NEW ? 2 : 0);
	return mb2_tag(type, p, type == MULTIBOOT2_TAG_ACPI_NEW ? 36 : 20);
}

static void mb2_end(void)
{
	mb2_tag(MULTIBOOT2_TAG_END, NULL, 0);
	put32(img.buf, img.len);
}

static int mb2_parse(void)
{
	return multiboot2_parse(img.buf, INFO_PA, &bi);
}

static void assert_error(int ret, int want, const char *fragment)
{
	assert_int_equal(ret, want);
	if (!strstr(bi.error, fragment))
		fail_msg("error '%s' lacks '%s'", bi.error, fragment);
}

static const struct ent std_map[] = {
        {0x100000, 127 * MIB, MULTIBOOT_MEMORY_AVAILABLE},
        {0, 0x9fc00, MULTIBOOT_MEMORY_AVAILABLE},
        {0x9fc00, 0x400, MULTIBOOT_MEMORY_RESERVED},
        {0xf0000, 0x10000, 7}, /* unknown type: reserved */
        {0x8000000, 0x10000, MULTIBOOT_MEMORY_ACPI_RECLAIMABLE},
        {0x8010000, 0x10000, MULTIBOOT_MEMORY_NVS},
        {0x9000000, 0, MULTIBOOT_MEMORY_AVAILABLE}, /* empty: dropped */
        {0x9000000, 0x1000, MULTIBOOT_MEMORY_BADRAM},
};

static void test_mb2_all_tags(void **state)
{
	(void)state;
	mb2_begin();
	mb2_str(MULTIBOOT2_TAG_CMDLINE, "console=com1 x2apic=0");
	mb2_str(MULTIBOOT2_TAG_BOOT_LOADER_NAME, "GRUB 2.06");
	mb2_module(0x200000, 0x201234, "guest.bin arg");
	mb2_module(0x300000, 0x400000, "");
	mb2_mmap(24, std_map, 8);
	mb2_tag(MULTIBOOT2_TAG_LOAD_BASE_ADDR, "\0\0\0\0", 4); /* ignored */
	mb2_acpi(MULTIBOOT2_TAG_ACPI_OLD);
	uint32_t new_off = mb2_acpi(MULTIBOOT2_TAG_ACPI_NEW);
	mb2_end();

	assert_int_equal(mb2_parse(), 0);
	assert_string_equal(bi.error, "");
	assert_int_equal(bi.protocol, 2);
	assert_string_equal(bi.cmdline, "console=com1 x2apic=0");
	assert_string_equal(bi.loader, "GRUB 2.06");
	assert_int_equal(bi.module_count, 2);
	assert_int_equal(bi.modules[0].start, 0x200000);
	assert_int_equal(bi.modules[0].end, 0x201234);
	assert_string_equal(bi.modules[0].cmdline, "guest.bin arg");
	assert_int_equal(bi.modules[1].start, 0x300000);
	assert_int_equal(bi.modules[1].end, 0x400000);
	assert_string_equal(bi.modules[1].cmdline, "");

	/* Sorted by base, empty range dropped, types mapped. */
	assert_int_equal(bi.mem_count, 7);
	const struct boot_mem_range want[] = {
	        {0, 0x9fc00, BOOT_MEM_USABLE},
	        {0x9fc00, 0x400, BOOT_MEM_RESERVED},
	        {0xf0000, 0x10000, BOOT_MEM_RESERVED},
	        {0x100000, 127 * MIB, BOOT_MEM_USABLE},
	        {0x8000000, 0x10000, BOOT_MEM_ACPI_RECLAIM},
	        {0x8010000, 0x10000, BOOT_MEM_ACPI_NVS},
	        {0x9000000, 0x1000, BOOT_MEM_BAD},
	};
	for (int i = 0; i < 7; i++) {
		assert_int_equal(bi.mem[i].base, want[i].base);
		assert_int_equal(bi.mem[i].length, want[i].length);
		assert_int_equal(bi.mem[i].type, want[i].type);
	}

	/* The ACPI 2.0 copy wins; the address is inside the info, past the tag header. */
	assert_int_equal(bi.rsdp, INFO_PA + new_off + 8);
	assert_int_equal(bi.rsdp_revision, 2);
	assert_int_equal(bi.info_start, INFO_PA);
	assert_int_equal(bi.info_end, INFO_PA + img.len);
	assert_int_equal(boot_info_ram_end(&bi), 128 * MIB);
	assert_int_equal(boot_info_validate(&bi), 0);
}

static void test_mb2_minimal(void **state)
{
	(void)state;
	mb2_begin();
	mb2_end();
	assert_int_equal(img.len, 16);
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(bi.mem_count, 0);
	assert_int_equal(bi.module_count, 0);
	assert_int_equal(bi.rsdp, 0);
	assert_string_equal(bi.cmdline, "");
	assert_int_equal(bi.info_end, INFO_PA + 16);
	assert_error(boot_info_validate(&bi), BOOT_EINVAL, "no usable memory");
}

/*
 * Framebuffer tag body as GRUB writes it: addr, pitch, width, height, bpp,
 * type, 2 reserved bytes, then (RGB) the colour fields: RGB565 here, so that
 * every position and size differs.
 */
static uint32_t mb2_fb(uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h, uint8_t bpp,
                       uint8_t type)
{
	uint8_t body[30] = {0};

	put64(body, addr);
	put32(body + 8, pitch);
	put32(body + 12, w);
	put32(body + 16, h);
	body[20] = bpp;
	body[21] = type;
	body[22] = 0xee, body[23] = 0xee; /* reserved: must not be read as colours */
	body[24] = 11, body[25] = 5, body[26] = 5, body[27] = 6, body[28] = 0, body[29] = 5;
	return mb2_tag(MULTIBOOT2_TAG_FRAMEBUFFER, body, type == 1 ? 30 : 24);
}

static void test_mb2_framebuffer(void **state)
{
	(void)state;
	mb2_begin();
	mb2_fb(0xb8000, 160, 80, 25, 16, MULTIBOOT_FRAMEBUFFER_EGA_TEXT);
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(bi.fb.type, BOOT_FB_EGA_TEXT);
	assert_int_equal(bi.fb.addr, 0xb8000);
	assert_int_equal(bi.fb.width, 80);
	assert_int_equal(bi.fb.height, 25);
	assert_int_equal(bi.fb.pitch, 160);

	mb2_begin();
	mb2_fb(0xfd000000ULL, 1600, 800, 600, 16, MULTIBOOT_FRAMEBUFFER_RGB);
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(bi.fb.type, BOOT_FB_RGB);
	assert_int_equal(bi.fb.addr, 0xfd000000ULL);
	assert_int_equal(bi.fb.bpp, 16);
	assert_int_equal(bi.fb.red_pos, 11);
	assert_int_equal(bi.fb.red_size, 5);
	assert_int_equal(bi.fb.green_pos, 5);
	assert_int_equal(bi.fb.green_size, 6);
	assert_int_equal(bi.fb.blue_pos, 0);
	assert_int_equal(bi.fb.blue_size, 5);

	/* No framebuffer tag: the loader did not say. */
	mb2_begin();
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(bi.fb.type, BOOT_FB_NONE);
}

static void test_mb2_acpi_tags(void **state)
{
	uint32_t off;

	(void)state;
	/* Old tag only: revision 0. */
	mb2_begin();
	off = mb2_acpi(MULTIBOOT2_TAG_ACPI_OLD);
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(bi.rsdp, INFO_PA + off + 8);
	assert_int_equal(bi.rsdp_revision, 0);

	/* New before old: new still wins. */
	mb2_begin();
	off = mb2_acpi(MULTIBOOT2_TAG_ACPI_NEW);
	mb2_acpi(MULTIBOOT2_TAG_ACPI_OLD);
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(bi.rsdp, INFO_PA + off + 8);
	assert_int_equal(bi.rsdp_revision, 2);

	/* Too short for an ACPI 2.0 RSDP. */
	mb2_begin();
	uint8_t r[36];
	rsdp_fill(r, 2);
	mb2_tag(MULTIBOOT2_TAG_ACPI_NEW, r, 20);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "RSDP copy too short");

	/* Not an RSDP. */
	mb2_begin();
	memcpy(r, "RSD PTX ", 8);
	mb2_tag(MULTIBOOT2_TAG_ACPI_OLD, r, 20);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "no RSDP signature");
}

static void test_mb2_mmap_big_entries(void **state)
{
	(void)state;
	mb2_begin();
	mb2_mmap(40, std_map, 2);
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(bi.mem_count, 2);
	assert_int_equal(bi.mem[0].base, 0);
	assert_int_equal(bi.mem[0].length, 0x9fc00);
	assert_int_equal(bi.mem[1].base, 0x100000);
	assert_int_equal(bi.mem[1].length, 127 * MIB);
	assert_int_equal(bi.mem[1].type, BOOT_MEM_USABLE);
}

static void test_mb2_bad_mmap(void **state)
{
	(void)state;
	mb2_begin();
	mb2_mmap(20, std_map, 2);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "entry_size 20 < 24");

	mb2_begin();
	mb2_mmap(0, std_map, 0); /* entry_size 0 must not divide by zero */
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "entry_size 0 < 24");

	/* 2 entries and a half. */
	mb2_begin();
	uint32_t off = mb2_mmap(24, std_map, 3);
	put32(img.buf + off + 4, get32(img.buf + off + 4) - 12);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "partial entry");

	/* Tag too short for its own header. */
	mb2_begin();
	mb2_tag(MULTIBOOT2_TAG_MMAP, "\x18\0\0\0", 4);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "mmap tag too short");

	/* base + length wraps. */
	const struct ent wrap = {UINT64_MAX - 0xfff, 0x2000, 1};
	mb2_begin();
	mb2_mmap(24, &wrap, 1);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "wraps");

	/* Two memory maps are ambiguous. */
	mb2_begin();
	mb2_mmap(24, std_map, 1);
	mb2_mmap(24, std_map + 1, 1);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "duplicate tag 6");
}

static void test_mb2_bad_total_size(void **state)
{
	static const uint32_t bad[] = {0, 8, 12, 20, 1024 * 1024 + 8, UINT32_MAX - 7};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mb2_begin();
		mb2_end();
		put32(img.buf, bad[i]);
		assert_error(mb2_parse(), BOOT_EINVAL, "bad total_size");
	}
}

static void test_mb2_zero_and_short_tag(void **state)
{
	uint32_t off;

	(void)state;
	mb2_begin();
	off = mb2_str(MULTIBOOT2_TAG_CMDLINE, "x");
	mb2_end();
	put32(img.buf + off + 4, 0); /* would loop forever if accepted */
	assert_error(mb2_parse(), BOOT_EINVAL, "size 0 < 8");

	put32(img.buf + off + 4, 7);
	assert_error(mb2_parse(), BOOT_EINVAL, "size 7 < 8");

	/* A zero-size end tag too. */
	mb2_begin();
	mb2_end();
	put32(img.buf + 12, 0);
	assert_error(mb2_parse(), BOOT_EINVAL, "size 0 < 8");
}

static void test_mb2_tag_past_total(void **state)
{
	uint32_t off;

	(void)state;
	mb2_begin();
	off = mb2_str(MULTIBOOT2_TAG_CMDLINE, "hello");
	mb2_end();
	put32(img.buf + off + 4, 8 + 6 + 16); /* runs over the end tag and beyond */
	assert_error(mb2_parse(), BOOT_EINVAL, "runs past total_size");

	/* Truncated: total_size cuts the mmap tag in half. */
	mb2_begin();
	off = mb2_mmap(24, std_map, 4);
	mb2_end();
	put32(img.buf, off + 48);
	assert_error(mb2_parse(), BOOT_EINVAL, "runs past total_size");
}

static void test_mb2_missing_end_tag(void **state)
{
	(void)state;
	mb2_begin();
	mb2_str(MULTIBOOT2_TAG_CMDLINE, "hello");
	put32(img.buf, img.len); /* no end tag */
	assert_error(mb2_parse(), BOOT_EINVAL, "missing end tag");

	/* End tag with the wrong size. */
	mb2_begin();
	mb2_tag(MULTIBOOT2_TAG_END, "\0\0\0\0\0\0\0\0", 8);
	put32(img.buf, img.len);
	assert_error(mb2_parse(), BOOT_EINVAL, "end tag");
}

static void test_mb2_unterminated_strings(void **state)
{
	uint8_t p[64];

	(void)state;
	/* The padding after the tag is zero: the parser must not count it. */
	mb2_begin();
	mb2_tag(MULTIBOOT2_TAG_CMDLINE, "abc", 3);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "command line not terminated");

	mb2_begin();
	mb2_tag(MULTIBOOT2_TAG_BOOT_LOADER_NAME, "GRUB", 4);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "loader name not terminated");

	mb2_begin();
	put32(p, 0x200000);
	put32(p + 4, 0x300000);
	memcpy(p + 8, "mod", 3);
	mb2_tag(MULTIBOOT2_TAG_MODULE, p, 11);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "module command line not terminated");

	/* Module tag without even room for a string. */
	mb2_begin();
	mb2_tag(MULTIBOOT2_TAG_MODULE, p, 8);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "module command line not terminated");

	mb2_begin();
	mb2_tag(MULTIBOOT2_TAG_MODULE, p, 4);
	mb2_end();
	assert_error(mb2_parse(), BOOT_EINVAL, "module tag too short");

	/* Empty strings are fine. */
	mb2_begin();
	mb2_tag(MULTIBOOT2_TAG_CMDLINE, "", 1);
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_string_equal(bi.cmdline, "");
}

static void test_mb2_long_strings_truncated(void **state)
{
	char s[600];

	(void)state;
	for (int i = 0; i < 599; i++)
		s[i] = (char)('a' + i % 26);
	s[599] = '\0';
	/* Loader first: a cmdline copied one byte too far would clobber it. */
	mb2_begin();
	mb2_str(MULTIBOOT2_TAG_BOOT_LOADER_NAME, s);
	mb2_str(MULTIBOOT2_TAG_CMDLINE, s);
	mb2_module(0x200000, 0x201000, s);
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	assert_memory_equal(bi.cmdline, s, BOOT_CMDLINE_MAX - 1);
	assert_int_equal(strlen(bi.loader), sizeof(bi.loader) - 1);
	assert_memory_equal(bi.loader, s, sizeof(bi.loader) - 1);
	assert_int_equal(strlen(bi.modules[0].cmdline), BOOT_CMDLINE_MAX - 1);
	assert_true(bi.modules[0].cmdline_cut); /* refused later, never run on a cut line */

	/* Exactly at the limit: 255 fits, 256 loses its last character. */
	for (size_t n = BOOT_CMDLINE_MAX - 1; n <= BOOT_CMDLINE_MAX; n++) {
		s[n] = '\0';
		mb2_begin();
		mb2_str(MULTIBOOT2_TAG_BOOT_LOADER_NAME, "loader");
		mb2_str(MULTIBOOT2_TAG_CMDLINE, s);
		mb2_end();
		assert_int_equal(mb2_parse(), 0);
		assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
		assert_memory_equal(bi.cmdline, s, BOOT_CMDLINE_MAX - 1);
		assert_string_equal(bi.loader, "loader");
		s[n] = 'x';
	}
}

static void test_mb2_too_many(void **state)
{
	struct ent many[BOOT_MAX_MEM_RANGES + 1];

	(void)state;
	mb2_begin();
	for (uint32_t i = 0; i < BOOT_MAX_MODULES; i++)
		mb2_module(0x200000 + i * 0x1000, 0x201000 + i * 0x1000, "m");
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(bi.module_count, BOOT_MAX_MODULES);
	assert_int_equal(bi.modules_past_limit, 0);
	assert_false(bi.modules[0].cmdline_cut);

	/* Past the limit: counted (each is refused later), the others kept. */
	mb2_begin();
	for (uint32_t i = 0; i <= BOOT_MAX_MODULES + 1; i++)
		mb2_module(0x200000 + i * 0x1000, 0x201000 + i * 0x1000, "m");
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(bi.module_count, BOOT_MAX_MODULES);
	assert_int_equal(bi.modules_past_limit, 2);
	assert_true(BOOT_MAX_MODULES >= 64);

	for (uint32_t i = 0; i <= BOOT_MAX_MEM_RANGES; i++)
		many[i] = (struct ent){i * 0x10000ULL, 0x1000, 1};
	mb2_begin();
	mb2_mmap(24, many, BOOT_MAX_MEM_RANGES);
	mb2_end();
	assert_int_equal(mb2_parse(), 0);
	assert_int_equal(bi.mem_count, BOOT_MAX_MEM_RANGES);

	mb2_begin();
	mb2_mmap(24, many, BOOT_MAX_MEM_RANGES + 1);
	mb2_end();
	assert_error(mb2_parse(), BOOT_ENOSPC, "too many memory ranges (max 64)");
}

static void test_mb2_bad_pointer(void **state)
{
	(void)state;
	assert_error(multiboot2_parse(NULL, INFO_PA, &bi), BOOT_EFAULT, "unreadable");
	mb2_begin();
	mb2_end();
	assert_error(multiboot2_parse(img.buf, INFO_PA + 4, &bi), BOOT_EINVAL,
	             "not 8-byte aligned");
	/* info_pa + total_size would wrap. */
	assert_error(multiboot2_parse(img.buf, UINT64_MAX - 7, &bi), BOOT_EINVAL, "wraps");
}

/* ---- boot_info_validate ---- */

static void valid_bi(void)
{
	memset(&bi, 0, sizeof(bi));
	bi.protocol = 2;
	bi.mem[0] = (struct boot_mem_range){0, 0x9fc00, BOOT_MEM_USABLE};
	bi.mem[1] = (struct boot_mem_range){0x100000, 63 * MIB, BOOT_MEM_USABLE};
	bi.mem[2] = (struct boot_mem_range){0xfec00000, 0x1000, BOOT_MEM_RESERVED};
	bi.mem_count = 3;
	bi.modules[0] = (struct boot_module){.start = 0x200000, .end = 0x300000, .cmdline = "a"};
	bi.modules[1] = (struct boot_module){
	        .start = 0x300000, .end = 0x400000, .cmdline = "b"}; /* touches a */
	bi.modules[2] = (struct boot_module){
	        .start = 0x3fff000, .end = 0x4000000, .cmdline = "c"}; /* ends at RAM end */
	bi.module_count = 3;
}

static void test_validate_ok(void **state)
{
	(void)state;
	valid_bi();
	assert_int_equal(boot_info_ram_end(&bi), 64 * MIB);
	assert_int_equal(boot_info_validate(&bi), 0);
	assert_string_equal(bi.error, "");

	/* Touching in the other order is not an overlap either. */
	bi.modules[0] = (struct boot_module){.start = 0x300000, .end = 0x400000, .cmdline = "b"};
	bi.modules[1] = (struct boot_module){.start = 0x200000, .end = 0x300000, .cmdline = "a"};
	assert_int_equal(boot_info_validate(&bi), 0);
}

static void test_validate_module_past_memory(void **state)
{
	(void)state;
	valid_bi();
	bi.modules[2].end = 64 * MIB + 1;
	assert_error(boot_info_validate(&bi), BOOT_EINVAL, "module 2 [");
	assert_non_null(strstr(bi.error, "past end of memory"));

	/* Reserved ranges above do not count as RAM. */
	valid_bi();
	bi.modules[2] = (struct boot_module){.start = 0xfec00000, .end = 0xfec01000, .cmdline = ""};
	assert_error(boot_info_validate(&bi), BOOT_EINVAL, "module 2 [0xfec00000, 0xfec01000)");
}

static void test_validate_overlap(void **state)
{
	(void)state;
	valid_bi();
	bi.modules[1].start = 0x2ff000; /* one page into module 0 */
	assert_error(boot_info_validate(&bi), BOOT_EINVAL, "modules 0 and 1 overlap");

	valid_bi();
	bi.modules[2] = (struct boot_module){
	        .start = 0x100000, .end = 0x5000000 / 16, .cmdline = ""}; /* covers 0 */
	assert_error(boot_info_validate(&bi), BOOT_EINVAL, "modules 0 and 2 overlap");

	valid_bi();
	bi.modules[2] = bi.modules[1]; /* identical */
	assert_error(boot_info_validate(&bi), BOOT_EINVAL, "modules 1 and 2 overlap");
}

static void test_validate_empty_module(void **state)
{
	(void)state;
	valid_bi();
	/* An empty module is the VM's problem (refused then), not the boot's. */
	bi.modules[1].end = bi.modules[1].start;
	assert_int_equal(boot_info_validate(&bi), 0);
	bi.modules[1].start = bi.modules[1].end =
	        bi.modules[0].start + 0x1000; /* inside module 0 */
	assert_int_equal(boot_info_validate(&bi), 0);

	valid_bi();
	bi.modules[0].end = bi.modules[0].start - 1;
	assert_error(boot_info_validate(&bi), BOOT_EINVAL, "module 0 ends");
}

static void test_validate_no_memory(void **state)
{
	(void)state;
	valid_bi();
	bi.mem[0].type = BOOT_MEM_ACPI_RECLAIM;
	bi.mem[1].type = BOOT_MEM_RESERVED;
	assert_int_equal(boot_info_ram_end(&bi), 0);
	assert_error(boot_info_validate(&bi), BOOT_EINVAL, "no usable memory");

	valid_bi();
	bi.mem_count = 1000; /* garbage count must not make it read past mem[] */
	assert_error(boot_info_validate(&bi), BOOT_EINVAL, "corrupt");
}

/* ---- Multiboot1: a fake physical memory behind a one-window reader ---- */

#define PHYS_SIZE (2 * MIB)
#define MB1_INFO  0x9000ULL

static uint8_t phys[PHYS_SIZE];
static uint8_t window[16384];
static uint64_t hole_start, hole_end; /* unreadable [start, end) */
static unsigned int reads;

/*
 * Copies into one window, poisoning it first: a parser that keeps using an
 * old pointer after its next read sees garbage and fails.
 */
static const void *phys_read(uint64_t pa, uint64_t len, void *ctx)
{
	assert_ptr_equal(ctx, &phys);
	reads++;
	memset(window, 0xa5, sizeof(window));
	if (len > sizeof(window) || pa > PHYS_SIZE || len > PHYS_SIZE - pa)
		return NULL;
	if (pa < hole_end && hole_start < pa + len)
		return NULL;
	memcpy(window, phys + pa, len);
	return window;
}

static void pput32(uint64_t pa, uint32_t v)
{
	put32(phys + pa, v);
}

static void pput64(uint64_t pa, uint64_t v)
{
	put64(phys + pa, v);
}

static void pput_str(uint64_t pa, const char *s)
{
	memcpy(phys + pa, s, strlen(s) + 1);
}

static int mb1_parse(void)
{
	return multiboot1_parse(MB1_INFO, phys_read, &phys, &bi);
}

static int setup_phys(void **state)
{
	(void)state;
	memset(phys, 0x5a, sizeof(phys)); /* no accidental NULs */
	hole_start = hole_end = 0;
	reads = 0;
	memset(phys + MB1_INFO, 0, MULTIBOOT1_INFO_SIZE);
	return 0;
}

/* mmap with one 24-byte "size" entry in the middle to check the stride. */
static uint32_t mb1_put_mmap(uint64_t pa)
{
	uint64_t p = pa;

	pput32(p, 20);
	pput64(p + 4, 0);
	pput64(p + 12, 0x9fc00);
	pput32(p + 20, 1);
	p += 24;
	pput32(p, 24);
	pput64(p + 4, 0xf0000);
	pput64(p + 12, 0x10000);
	pput32(p + 20, 2);
	pput32(p + 24, 0x5a5a5a5a);
	p += 28;
	pput32(p, 20);
	pput64(p + 4, 0x100000);
	pput64(p + 12, 255 * MIB);
	pput32(p + 20, 1);
	p += 24;
	return (uint32_t)(p - pa);
}

static void mb1_full(void)
{
	pput32(MB1_INFO, MULTIBOOT1_INFO_CMDLINE | MULTIBOOT1_INFO_MODS | MULTIBOOT1_INFO_MEM_MAP |
	                         MULTIBOOT1_INFO_BOOT_LOADER_NAME | MULTIBOOT1_INFO_MEMORY);
	pput32(MB1_INFO + 4, 639);
	pput32(MB1_INFO + 8, 1000);
	pput32(MB1_INFO + 16, 0x9100);
	pput_str(0x9100, "umbra.elf serial=1");
	pput32(MB1_INFO + 64, 0x9200);
	pput_str(0x9200, "iPXE");
	pput32(MB1_INFO + 20, 2);
	pput32(MB1_INFO + 24, 0x9300);
	pput32(0x9300, 0x200000);
	pput32(0x9304, 0x280000);
	pput32(0x9308, 0x9400);
	pput_str(0x9400, "guest1 mem=64M");
	pput32(0x9310, 0x300000);
	pput32(0x9314, 0x300800);
	pput32(0x9318, 0); /* no string */
	pput32(MB1_INFO + 44, mb1_put_mmap(0x9800));
	pput32(MB1_INFO + 48, 0x9800);
}

static void test_mb1_framebuffer(void **state)
{
	(void)state;
	mb1_full();
	assert_int_equal(mb1_parse(), 0);
	assert_int_equal(bi.fb.type, BOOT_FB_NONE); /* flag 12 clear */

	pput32(MB1_INFO, MULTIBOOT1_INFO_FRAMEBUFFER | MULTIBOOT1_INFO_MEMORY);
	pput64(MB1_INFO + MULTIBOOT1_INFO_OFF_FRAMEBUFFER, 0xb8000);
	pput32(MB1_INFO + 96, 160);
	pput32(MB1_INFO + 100, 80);
	pput32(MB1_INFO + 104, 25);
	phys[MB1_INFO + 108] = 16;
	phys[MB1_INFO + 109] = MULTIBOOT_FRAMEBUFFER_EGA_TEXT;
	assert_int_equal(mb1_parse(), 0);
	assert_int_equal(bi.fb.type, BOOT_FB_EGA_TEXT);
	assert_int_equal(bi.fb.addr, 0xb8000);
	assert_int_equal(bi.fb.height, 25);

	/* RGB: MB1 has no reserved bytes, the colour fields follow the type at 110. */
	pput64(MB1_INFO + MULTIBOOT1_INFO_OFF_FRAMEBUFFER, 0xfd000000ULL);
	pput32(MB1_INFO + 96, 3072);
	pput32(MB1_INFO + 100, 1024);
	pput32(MB1_INFO + 104, 768);
	phys[MB1_INFO + 108] = 24;
	phys[MB1_INFO + 109] = MULTIBOOT_FRAMEBUFFER_RGB;
	memcpy(&phys[MB1_INFO + 110], (const uint8_t[]){0, 8, 8, 8, 16, 8}, 6);
	assert_int_equal(mb1_parse(), 0);
	assert_int_equal(bi.fb.type, BOOT_FB_RGB);
	assert_int_equal(bi.fb.bpp, 24);
	assert_int_equal(bi.fb.pitch, 3072);
	assert_int_equal(bi.fb.red_pos, 0);
	assert_int_equal(bi.fb.red_size, 8);
	assert_int_equal(bi.fb.green_pos, 8);
	assert_int_equal(bi.fb.green_size, 8);
	assert_int_equal(bi.fb.blue_pos, 16);
	assert_int_equal(bi.fb.blue_size, 8);
}

static void test_mb1_with_mmap(void **state)
{
	(void)state;
	mb1_full();
	assert_int_equal(mb1_parse(), 0);
	assert_string_equal(bi.error, "");
	assert_int_equal(bi.protocol, 1);
	assert_string_equal(bi.cmdline, "umbra.elf serial=1");
	assert_string_equal(bi.loader, "iPXE");
	assert_int_equal(bi.module_count, 2);
	assert_int_equal(bi.modules[0].start, 0x200000);
	assert_int_equal(bi.modules[0].end, 0x280000);
	assert_string_equal(bi.modules[0].cmdline, "guest1 mem=64M");
	assert_int_equal(bi.modules[1].start, 0x300000);
	assert_int_equal(bi.modules[1].end, 0x300800);
	assert_string_equal(bi.modules[1].cmdline, "");
	/* The mmap wins over mem_lower/mem_upper. */
	assert_int_equal(bi.mem_count, 3);
	assert_int_equal(bi.mem[0].base, 0);
	assert_int_equal(bi.mem[0].length, 0x9fc00);
	assert_int_equal(bi.mem[1].base, 0xf0000);
	assert_int_equal(bi.mem[1].type, BOOT_MEM_RESERVED);
	assert_int_equal(bi.mem[2].base, 0x100000);
	assert_int_equal(bi.mem[2].length, 255 * MIB);
	assert_int_equal(bi.rsdp, 0);
	assert_int_equal(bi.info_start, MB1_INFO);
	assert_int_equal(bi.info_end, MB1_INFO + MULTIBOOT1_INFO_SIZE);
	assert_int_equal(boot_info_ram_end(&bi), 256 * MIB);
	assert_int_equal(boot_info_validate(&bi), 0);
}

static void test_mb1_without_mmap(void **state)
{
	(void)state;
	pput32(MB1_INFO, MULTIBOOT1_INFO_MEMORY);
	pput32(MB1_INFO + 4, 639);
	pput32(MB1_INFO + 8, 130048); /* 127 MiB above 1 MiB */
	/* Garbage in fields whose flags are clear must be ignored. */
	pput32(MB1_INFO + 16, 0xdead0000);
	pput32(MB1_INFO + 20, 1000);
	pput32(MB1_INFO + 44, 1);
	pput32(MB1_INFO + 48, 0xdead0000);
	assert_int_equal(mb1_parse(), 0);
	assert_int_equal(bi.mem_count, 2);
	assert_int_equal(bi.mem[0].base, 0);
	assert_int_equal(bi.mem[0].length, 639 * 1024);
	assert_int_equal(bi.mem[0].type, BOOT_MEM_USABLE);
	assert_int_equal(bi.mem[1].base, MIB);
	assert_int_equal(bi.mem[1].length, 127 * MIB);
	assert_int_equal(bi.mem[1].type, BOOT_MEM_USABLE);
	assert_int_equal(bi.module_count, 0);
	assert_string_equal(bi.cmdline, "");
	assert_string_equal(bi.loader, "");
	assert_int_equal(boot_info_ram_end(&bi), 128 * MIB);

	/* No memory information at all: parses, but does not validate. */
	pput32(MB1_INFO, 0);
	assert_int_equal(mb1_parse(), 0);
	assert_int_equal(bi.mem_count, 0);
	assert_error(boot_info_validate(&bi), BOOT_EINVAL, "no usable memory");
}

static void test_mb1_unreadable(void **state)
{
	(void)state;
	assert_error(multiboot1_parse(PHYS_SIZE - 16, phys_read, &phys, &bi), BOOT_EFAULT,
	             "info at 0x1ffff0 unreadable");
	assert_error(multiboot1_parse(MB1_INFO, NULL, NULL, &bi), BOOT_EFAULT, "reader");

	mb1_full();
	hole_start = 0x9100, hole_end = 0x9101;
	assert_error(mb1_parse(), BOOT_EFAULT, "command line at 0x9100 unreadable");

	hole_start = 0x9200, hole_end = 0x9201;
	assert_error(mb1_parse(), BOOT_EFAULT, "loader name at 0x9200 unreadable");

	hole_start = 0x9310, hole_end = 0x9320; /* second module entry */
	assert_error(mb1_parse(), BOOT_EFAULT, "module 1 entry at 0x9310 unreadable");

	hole_start = 0x9400, hole_end = 0x9401;
	assert_error(mb1_parse(), BOOT_EFAULT, "module command line at 0x9400 unreadable");

	hole_start = 0x9800 + 30, hole_end = 0x9800 + 31; /* inside the second entry */
	assert_error(mb1_parse(), BOOT_EFAULT, "mmap at");

	hole_start = hole_end = 0;
	pput32(MB1_INFO + 48, PHYS_SIZE + 0x1000);
	assert_error(mb1_parse(), BOOT_EFAULT, "mmap at");
}

static void test_mb1_string_at_end_of_memory(void **state)
{
	(void)state;
	/* 5 bytes before the end: one big read would fail, small chunks must not. */
	pput32(MB1_INFO, MULTIBOOT1_INFO_CMDLINE);
	pput32(MB1_INFO + 16, PHYS_SIZE - 5);
	pput_str(PHYS_SIZE - 5, "tail");
	assert_int_equal(mb1_parse(), 0);
	assert_string_equal(bi.cmdline, "tail");

	/* Runs into unreadable memory without a NUL. */
	phys[PHYS_SIZE - 1] = 'x';
	assert_error(mb1_parse(), BOOT_EFAULT, "command line at 0x200000 unreadable");
}

static void test_mb1_bad_strings(void **state)
{
	(void)state;
	/* 0x5a everywhere: no NUL within the scan limit. */
	pput32(MB1_INFO, MULTIBOOT1_INFO_BOOT_LOADER_NAME);
	pput32(MB1_INFO + 64, 0x20000);
	assert_error(mb1_parse(), BOOT_EINVAL, "loader name not terminated");

	/* Long but terminated: truncated. */
	phys[0x20000 + 1000] = 0;
	assert_int_equal(mb1_parse(), 0);
	assert_int_equal(strlen(bi.loader), sizeof(bi.loader) - 1);
	assert_memory_equal(bi.loader, phys + 0x20000, sizeof(bi.loader) - 1);

	pput32(MB1_INFO, MULTIBOOT1_INFO_CMDLINE);
	pput32(MB1_INFO + 16, 0x20000);
	assert_int_equal(mb1_parse(), 0);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
}

static void test_mb1_bad_mmap(void **state)
{
	(void)state;
	mb1_full();
	pput32(0x9800 + 24, 12); /* second entry's size < 20 */
	assert_error(mb1_parse(), BOOT_EINVAL, "mmap entry at offset 24: bad size 12");

	mb1_full();
	pput32(MB1_INFO + 44, 24 + 28 + 20); /* last entry cut short */
	assert_error(mb1_parse(), BOOT_EINVAL, "mmap entry at offset 52: bad size 20");

	mb1_full();
	pput32(MB1_INFO + 44, 24 + 28 + 24 + 2);
	assert_error(mb1_parse(), BOOT_EINVAL, "2 trailing bytes");

	mb1_full();
	pput32(0x9800, 0xfffffff0); /* huge size must not wrap the offset */
	assert_error(mb1_parse(), BOOT_EINVAL, "bad size");

	mb1_full();
	pput32(MB1_INFO + 44, 0x7fffffff);
	assert_error(mb1_parse(), BOOT_EINVAL, "absurd");

	/* Zero length: no ranges, not an error. */
	mb1_full();
	pput32(MB1_INFO + 44, 0);
	assert_int_equal(mb1_parse(), 0);
	assert_int_equal(bi.mem_count, 0);
}

static void test_mb1_too_many_modules(void **state)
{
	(void)state;
	mb1_full();
	pput32(MB1_INFO + 20, BOOT_MAX_MODULES + 1);
	pput32(MB1_INFO + 24, 0x10000); /* entries with no strings, one page each */
	for (uint32_t i = 0; i <= BOOT_MAX_MODULES; i++) {
		pput32(0x10000 + i * 16, 0x200000 + i * 0x1000);
		pput32(0x10000 + i * 16 + 4, 0x201000 + i * 0x1000);
		pput32(0x10000 + i * 16 + 8, 0);
	}
	/* The first BOOT_MAX_MODULES are read; the one past them is counted, to be refused. */
	assert_int_equal(mb1_parse(), 0);
	assert_int_equal(bi.module_count, BOOT_MAX_MODULES);
	assert_int_equal(bi.modules_past_limit, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mb2_all_tags),
	        cmocka_unit_test(test_mb2_minimal),
	        cmocka_unit_test(test_mb2_framebuffer),
	        cmocka_unit_test(test_mb2_acpi_tags),
	        cmocka_unit_test(test_mb2_mmap_big_entries),
	        cmocka_unit_test(test_mb2_bad_mmap),
	        cmocka_unit_test(test_mb2_bad_total_size),
	        cmocka_unit_test(test_mb2_zero_and_short_tag),
	        cmocka_unit_test(test_mb2_tag_past_total),
	        cmocka_unit_test(test_mb2_missing_end_tag),
	        cmocka_unit_test(test_mb2_unterminated_strings),
	        cmocka_unit_test(test_mb2_long_strings_truncated),
	        cmocka_unit_test(test_mb2_too_many),
	        cmocka_unit_test(test_mb2_bad_pointer),
	        cmocka_unit_test(test_validate_ok),
	        cmocka_unit_test(test_validate_module_past_memory),
	        cmocka_unit_test(test_validate_overlap),
	        cmocka_unit_test(test_validate_empty_module),
	        cmocka_unit_test(test_validate_no_memory),
	        cmocka_unit_test_setup(test_mb1_with_mmap, setup_phys),
	        cmocka_unit_test_setup(test_mb1_without_mmap, setup_phys),
	        cmocka_unit_test_setup(test_mb1_unreadable, setup_phys),
	        cmocka_unit_test_setup(test_mb1_string_at_end_of_memory, setup_phys),
	        cmocka_unit_test_setup(test_mb1_bad_strings, setup_phys),
	        cmocka_unit_test_setup(test_mb1_bad_mmap, setup_phys),
	        cmocka_unit_test_setup(test_mb1_too_many_modules, setup_phys),
	        cmocka_unit_test_setup(test_mb1_framebuffer, setup_phys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
