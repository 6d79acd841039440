/* Host tests for vcpu/guest_image.c: Multiboot kernel images, ELF and flat. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "boot/multiboot.h"
#include "vcpu/guest_image.h"
#include "vcpu/linux_boot.h"

#define MIB      (1024ULL * 1024)
#define RAM_SIZE (32 * MIB)
#define FILE_MAX 0x10000
#define HDR_OFF  0x800  /* where the helpers put the Multiboot header */
#define DATA_OFF 0x1000 /* and the segment data */

static uint8_t file[FILE_MAX];
static uint64_t file_len;
static struct guest_image img;

static void put16(uint64_t off, uint16_t v)
{
	memcpy(file + off, &v, 2);
}

static void put32(uint64_t off, uint32_t v)
{
	memcpy(file + off, &v, 4);
}

static void put64(uint64_t off, uint64_t v)
{
	memcpy(file + off, &v, 8);
}

static uint32_t get32(uint64_t off)
{
	uint32_t v;

	memcpy(&v, file + off, 4);
	return v;
}

/* ---- builders ---- */

/* Recognisable file bytes: the loader must copy exactly these. */
static void fill_pattern(uint64_t off, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		file[off + i] = (uint8_t)(i * 7 + 3);
}

static void file_begin(uint64_t len)
{
	memset(file, 0, sizeof(file));
	file_len = len;
}

static bool elf64;

static void elf_begin(bool is64, uint64_t entry)
{
	file_begin(0x3000);
	elf64 = is64;
	memcpy(file, "\177ELF", 4);
	file[4] = is64 ? 2 : 1; /* class */
	file[5] = 1;            /* little-endian */
	file[6] = 1;            /* version */
	put16(16, 2);           /* ET_EXEC */
	put16(18, is64 ? 62 : 3);
	put32(20, 1);
	if (is64) {
		put64(24, entry);
		put64(32, 64); /* phoff: right after the header */
		put16(52, 64);
		put16(54, 56);
	} else {
		put32(24, (uint32_t)entry);
		put32(28, 52);
		put16(40, 52);
		put16(42, 32);
	}
}

static uint16_t elf_phnum(void)
{
	uint16_t n;

	memcpy(&n, file + (elf64 ? 56 : 44), 2);
	return n;
}

/* Appends a program header; returns its index. */
static uint16_t elf_phdr(uint32_t type, uint64_t offset, uint64_t vaddr, uint64_t paddr,
                         uint64_t filesz, uint64_t memsz)
{
	uint16_t n = elf_phnum();
	uint64_t p = elf64 ? 64 + n * 56ULL : 52 + n * 32ULL;

	assert_true(p + 56 <= HDR_OFF);
	put32(p, type);
	if (elf64) {
		put32(p + 4, 7);
		put64(p + 8, offset);
		put64(p + 16, vaddr);
		put64(p + 24, paddr);
		put64(p + 32, filesz);
		put64(p + 40, memsz);
		put64(p + 48, 0x1000);
	} else {
		put32(p + 4, (uint32_t)offset);
		put32(p + 8, (uint32_t)vaddr);
		put32(p + 12, (uint32_t)paddr);
		put32(p + 16, (uint32_t)filesz);
		put32(p + 20, (uint32_t)memsz);
		put32(p + 24, 7);
		put32(p + 28, 0x1000);
	}
	put16(elf64 ? 56 : 44, n + 1);
	return n;
}

static void elf_load(uint64_t offset, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	elf_phdr(1, offset, paddr, paddr, filesz, memsz);
}

static void mb1_header(uint64_t off, uint32_t flags)
{
	put32(off, MULTIBOOT1_HEADER_MAGIC);
	put32(off + 4, flags);
	put32(off + 8, -(MULTIBOOT1_HEADER_MAGIC + flags));
}

static void mb1_kludge(uint64_t off, uint32_t header_addr, uint32_t load_addr, uint32_t load_end,
                       uint32_t bss_end, uint32_t entry)
{
	mb1_header(off, MULTIBOOT1_HEADER_AOUT_KLUDGE | MULTIBOOT1_HEADER_MEMORY_INFO);
	put32(off + 12, header_addr);
	put32(off + 16, load_addr);
	put32(off + 20, load_end);
	put32(off + 24, bss_end);
	put32(off + 28, entry);
}

static uint64_t mb2_off, mb2_len;

static void mb2_begin(uint64_t off)
{
	mb2_off = off;
	mb2_len = 16;
	put32(off, MULTIBOOT2_HEADER_MAGIC);
	put32(off + 4, MULTIBOOT2_ARCH_I386);
}

static void mb2_htag(uint16_t type, uint16_t flags, const uint32_t *body, uint32_t words)
{
	uint64_t t = mb2_off + mb2_len;

	put16(t, type);
	put16(t + 2, flags);
	put32(t + 4, 8 + 4 * words);
	for (uint32_t i = 0; i < words; i++)
		put32(t + 8 + 4 * i, body[i]);
	mb2_len += (8 + 4 * words + 7) & ~7U;
}

/* Sets header_length and the checksum over the header as it stands. */
static void mb2_seal(uint32_t len)
{
	uint32_t arch = get32(mb2_off + 4);

	put32(mb2_off + 8, len);
	put32(mb2_off + 12, -(MULTIBOOT2_HEADER_MAGIC + arch + len));
}

static void mb2_end(void)
{
	mb2_htag(MULTIBOOT2_HEADER_TAG_END, 0, NULL, 0);
	mb2_seal((uint32_t)mb2_len);
}

static void mb2_address(uint32_t header_addr, uint32_t load_addr, uint32_t load_end,
                        uint32_t bss_end)
{
	const uint32_t b[] = {header_addr, load_addr, load_end, bss_end};

	mb2_htag(MULTIBOOT2_HEADER_TAG_ADDRESS, 0, b, 4);
}

static void mb2_entry(uint32_t entry)
{
	mb2_htag(MULTIBOOT2_HEADER_TAG_ENTRY_ADDRESS, 0, &entry, 1);
}

/* A Multiboot1 ELF32 kernel: one segment at 1 MiB, 4 KiB of data, 8 KiB of bss. */
static void mb1_elf32(void)
{
	elf_begin(false, 0x100010);
	elf_load(DATA_OFF, 0x100000, 0x1000, 0x3000);
	mb1_header(HDR_OFF, MULTIBOOT1_HEADER_PAGE_ALIGN | MULTIBOOT1_HEADER_MEMORY_INFO);
	fill_pattern(DATA_OFF, 0x1000);
	file_len = DATA_OFF + 0x1000;
}

/* A Multiboot2 ELF64 kernel: text and data+bss at 2 MiB. */
static void mb2_elf64(void)
{
	elf_begin(true, 0x200020);
	elf_load(DATA_OFF, 0x200000, 0x800, 0x800);
	elf_load(DATA_OFF + 0x800, 0x201000, 0x800, 0x2000);
	mb2_begin(HDR_OFF);
	mb2_end();
	fill_pattern(DATA_OFF, 0x1000);
	file_len = DATA_OFF + 0x1000;
}

/* ---- checks ---- */

static int parse(void)
{
	return guest_image_parse(file, file_len, RAM_SIZE, &img);
}

static void assert_ok(void)
{
	int ret = parse();

	if (ret != 0)
		fail_msg("parse failed: %s", img.error);
	assert_string_equal(img.error, "");
}

static void assert_error(const char *fragment)
{
	assert_int_equal(parse(), -1);
	if (!strstr(img.error, fragment))
		fail_msg("error '%s' lacks '%s'", img.error, fragment);
	assert_int_equal(img.seg_count, 0);
}

static void assert_seg(uint32_t i, uint64_t gpa, uint64_t off, uint64_t fsize, uint64_t msize)
{
	assert_true(i < img.seg_count);
	assert_int_equal(img.seg[i].gpa, gpa);
	assert_int_equal(img.seg[i].file_offset, off);
	assert_int_equal(img.seg[i].file_size, fsize);
	assert_int_equal(img.seg[i].mem_size, msize);
}

/* ---- valid images ---- */

static void test_mb1_elf32(void **state)
{
	(void)state;
	mb1_elf32();
	assert_ok();
	assert_int_equal(img.protocol, GUEST_MULTIBOOT1);
	assert_int_equal(img.entry, 0x100010);
	assert_int_equal(img.seg_count, 1);
	assert_seg(0, 0x100000, DATA_OFF, 0x1000, 0x3000);
	assert_int_equal(img.load_start, 0x100000);
	assert_int_equal(img.load_end, 0x103000);
}

static void test_mb2_elf64(void **state)
{
	(void)state;
	mb2_elf64();
	assert_ok();
	assert_int_equal(img.protocol, GUEST_MULTIBOOT2);
	assert_int_equal(img.entry, 0x200020);
	assert_int_equal(img.seg_count, 2);
	assert_seg(0, 0x200000, DATA_OFF, 0x800, 0x800);
	assert_seg(1, 0x201000, DATA_OFF + 0x800, 0x800, 0x2000);
	assert_int_equal(img.load_start, 0x200000);
	assert_int_equal(img.load_end, 0x203000);
}

/* Non-LOAD headers and empty LOAD segments are skipped; p_offset of a bss-only one is moot. */
static void test_elf_skips_segments(void **state)
{
	(void)state;
	elf_begin(true, 0x100000);
	elf_phdr(4, 0xdead0000, 0, 0, 0x10, 0x10);                  /* PT_NOTE */
	elf_load(DATA_OFF, 0x100000, 0x100, 0x100);                 /* segment 1 */
	elf_phdr(1, 0, 0x500000, 0x500000, 0, 0);                   /* empty */
	elf_phdr(1, 0xffffffff0000, 0x110000, 0x110000, 0, 0x1000); /* bss only */
	mb1_header(HDR_OFF, 0);
	assert_ok();
	assert_int_equal(img.seg_count, 2);
	assert_seg(0, 0x100000, DATA_OFF, 0x100, 0x100);
	assert_seg(1, 0x110000, 0, 0, 0x1000);
	assert_int_equal(img.load_end, 0x111000);
}

static void test_mb2_preferred(void **state)
{
	(void)state;
	mb2_elf64();
	mb1_header(HDR_OFF + 0x100, 0);
	assert_ok();
	assert_int_equal(img.protocol, GUEST_MULTIBOOT2);

	/* MB1 first in the file changes nothing. */
	mb2_elf64();
	mb1_header(0x400, 0);
	assert_ok();
	assert_int_equal(img.protocol, GUEST_MULTIBOOT2);
}

/* MB1 flag bit 2 (video mode) is accepted and ignored; bits 16-31 other than 16 too. */
static void test_mb1_optional_flags(void **state)
{
	(void)state;
	mb1_elf32();
	mb1_header(HDR_OFF,
	           MULTIBOOT1_HEADER_VIDEO_MODE | MULTIBOOT1_HEADER_MEMORY_INFO | (1U << 20));
	assert_ok();
}

/* Flat image with the a.out kludge: whole file from offset 0, plus bss. */
static void test_mb1_kludge(void **state)
{
	(void)state;
	file_begin(0x2000);
	fill_pattern(0, 0x2000);
	mb1_kludge(0x40, 0x100040, 0x100000, 0, 0x105000, 0x100080);
	assert_ok();
	assert_int_equal(img.protocol, GUEST_MULTIBOOT1);
	assert_int_equal(img.entry, 0x100080);
	assert_int_equal(img.seg_count, 1);
	assert_seg(0, 0x100000, 0, 0x2000, 0x5000);
	assert_int_equal(img.load_start, 0x100000);
	assert_int_equal(img.load_end, 0x105000);
}

/* load_addr above the file start, load_end_addr and no bss. */
static void test_mb1_kludge_offsets(void **state)
{
	(void)state;
	file_begin(0x3000);
	mb1_kludge(0x1040, 0x200040, 0x200000, 0x200800, 0, 0x200000);
	assert_ok();
	assert_seg(0, 0x200000, 0x1000, 0x800, 0x800);
	assert_int_equal(img.entry, 0x200000);
}

/* The kludge wins over ELF (Umbra's own image works so). */
static void test_mb1_kludge_over_elf(void **state)
{
	(void)state;
	mb1_elf32();
	mb1_kludge(HDR_OFF, 0x300000 + HDR_OFF, 0x300000, 0, 0, 0x300000 + DATA_OFF);
	assert_ok();
	assert_seg(0, 0x300000, 0, file_len, file_len);
	assert_int_equal(img.entry, 0x300000 + DATA_OFF);
}

static void test_mb2_address_entry_tags(void **state)
{
	(void)state;
	file_begin(0x2000);
	fill_pattern(0, 0x2000);
	mb2_begin(0x100);
	mb2_address(0x400100, 0x400000, 0x401800, 0x404000);
	mb2_entry(0x400200);
	mb2_end();
	assert_ok();
	assert_int_equal(img.protocol, GUEST_MULTIBOOT2);
	assert_int_equal(img.entry, 0x400200);
	assert_seg(0, 0x400000, 0, 0x1800, 0x4000);
	assert_int_equal(img.load_start, 0x400000);
	assert_int_equal(img.load_end, 0x404000);
}

/* The tags override ELF: the program headers are ignored. */
static void test_mb2_tags_over_elf(void **state)
{
	(void)state;
	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_address(0x600000 + HDR_OFF, 0x600000, 0, 0);
	mb2_entry(0x600000 + DATA_OFF);
	mb2_end();
	assert_ok();
	assert_int_equal(img.seg_count, 1);
	assert_seg(0, 0x600000, 0, file_len, file_len);
	assert_int_equal(img.entry, 0x600000 + DATA_OFF);
}

/* Entry tag alone: ELF segments, the tag's entry. */
static void test_mb2_entry_tag_only(void **state)
{
	(void)state;
	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_entry(0x201100); /* in the bss of segment 1, but loaded */
	mb2_end();
	assert_ok();
	assert_int_equal(img.seg_count, 2);
	assert_int_equal(img.entry, 0x201100);
}

/* load_addr 0xffffffff: from file offset 0, placed by header_addr. */
static void test_mb2_load_from_file_start(void **state)
{
	(void)state;
	file_begin(0x1000);
	mb2_begin(0x200);
	mb2_address(0x500200, MULTIBOOT2_LOAD_ADDR_FILE_START, 0, 0x502000);
	mb2_entry(0x500000);
	mb2_end();
	assert_ok();
	assert_seg(0, 0x500000, 0, 0x1000, 0x2000);
}

/* Tags Umbra satisfies as they are, required or not, and optional ones it cannot. */
static void test_mb2_ignored_tags(void **state)
{
	(void)state;
	const uint32_t req[] = {MULTIBOOT2_TAG_CMDLINE, MULTIBOOT2_TAG_MMAP};
	const uint32_t fb[] = {1024, 768, 32};
	const uint32_t console[] = {2};
	const uint32_t reloc[] = {0x100000, 0x1000000, 0x1000, 0};

	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_htag(MULTIBOOT2_HEADER_TAG_INFO_REQUEST, 0, req, 2);
	mb2_htag(MULTIBOOT2_HEADER_TAG_CONSOLE_FLAGS, 0, console, 1);
	mb2_htag(MULTIBOOT2_HEADER_TAG_MODULE_ALIGN, 0, NULL, 0);
	mb2_htag(MULTIBOOT2_HEADER_TAG_RELOCATABLE, 0, reloc, 4);
	mb2_htag(MULTIBOOT2_HEADER_TAG_FRAMEBUFFER, MULTIBOOT2_HEADER_TAG_OPTIONAL, fb, 3);
	mb2_htag(42, MULTIBOOT2_HEADER_TAG_OPTIONAL, NULL, 0);
	mb2_end();
	assert_ok();
	assert_int_equal(img.entry, 0x200020);
}

/* e_entry is virtual: a higher-half kernel's entry is translated to p_paddr. */
static void test_elf_entry_translated(void **state)
{
	(void)state;
	elf_begin(false, 0xc0100010);
	elf_phdr(1, DATA_OFF, 0xc0100000, 0x100000, 0x1000, 0x1000);
	mb1_header(HDR_OFF, 0);
	assert_ok();
	assert_int_equal(img.entry, 0x100010);

	elf_begin(true, 0xffffffff80100020);
	elf_phdr(1, DATA_OFF, 0xffffffff80100000, 0x100000, 0x1000, 0x1000);
	mb1_header(HDR_OFF, 0);
	assert_ok();
	assert_int_equal(img.entry, 0x100020);
}

/* Segments that touch but do not overlap are fine; so is one that ends at the end of RAM. */
static void test_elf_edges(void **state)
{
	(void)state;
	elf_begin(false, 0x100000);
	elf_load(DATA_OFF, 0x100000, 0x1000, 0x1000);
	elf_load(DATA_OFF, 0x101000, 0x1000, 0x1000);
	elf_load(DATA_OFF, RAM_SIZE - 0x1000, 0x1000, 0x1000);
	mb1_header(HDR_OFF, 0);
	assert_ok();
	assert_int_equal(img.seg_count, 3);
	assert_int_equal(img.load_end, RAM_SIZE);
}

/* Exactly 16 loadable segments fit. */
static void test_elf_max_segments(void **state)
{
	(void)state;
	elf_begin(false, 0x100000);
	for (uint32_t i = 0; i < GUEST_IMAGE_MAX_SEGMENTS; i++)
		elf_load(DATA_OFF, 0x100000 + i * 0x1000, 0x100, 0x1000);
	mb1_header(HDR_OFF, 0);
	assert_ok();
	assert_int_equal(img.seg_count, GUEST_IMAGE_MAX_SEGMENTS);
}

/* The last MB1 position in the first 8 KiB, and the last MB2 position in 32 KiB. */
static void test_header_search_limits(void **state)
{
	(void)state;
	mb1_elf32();
	memset(file + HDR_OFF, 0, 12);
	file_len = 0x4000;
	mb1_header(8192 - 12, 0);
	assert_ok();
	assert_int_equal(img.protocol, GUEST_MULTIBOOT1);

	mb2_elf64();
	memset(file + HDR_OFF, 0, 24);
	file_len = 0x9000;
	mb2_begin(32768 - 24);
	mb2_end();
	assert_ok();
	assert_int_equal(img.protocol, GUEST_MULTIBOOT2);
}

/* ---- loading ---- */

static void check_load(uint64_t ram_size)
{
	uint8_t *ram = malloc(ram_size);

	assert_non_null(ram);
	memset(ram, 0xaa, ram_size);
	guest_image_load(&img, file, ram);
	for (uint32_t i = 0; i < img.seg_count; i++) {
		const struct guest_segment *s = &img.seg[i];

		assert_memory_equal(ram + s->gpa, file + s->file_offset, s->file_size);
		for (uint64_t b = s->file_size; b < s->mem_size; b++)
			if (ram[s->gpa + b] != 0)
				fail_msg("segment %u: bss byte %lx not zero", i, (unsigned long)b);
	}
	/* Nothing outside the segments is touched. */
	for (uint64_t a = 0; a < ram_size; a++) {
		bool inside = false;

		for (uint32_t i = 0; i < img.seg_count; i++)
			inside |= a >= img.seg[i].gpa && a < img.seg[i].gpa + img.seg[i].mem_size;
		if (!inside && ram[a] != 0xaa)
			fail_msg("byte %lx outside the segments changed", (unsigned long)a);
	}
	free(ram);
}

static void test_load_elf_bss(void **state)
{
	(void)state;
	mb2_elf64();
	assert_int_equal(guest_image_parse(file, file_len, 4 * MIB, &img), 0);
	check_load(4 * MIB);
}

static void test_load_kludge_bss(void **state)
{
	(void)state;
	file_begin(0x2000);
	fill_pattern(0, 0x2000);
	mb1_kludge(0x40, 0x100040, 0x100000, 0x101800, 0x104000, 0x100080);
	assert_int_equal(guest_image_parse(file, file_len, 2 * MIB, &img), 0);
	check_load(2 * MIB);
}

/* ---- header errors ---- */

static void test_no_header(void **state)
{
	(void)state;
	file_begin(0x4000);
	fill_pattern(0, 0x4000);
	assert_error("no Multiboot header in the first 8 KiB (MB1) or 32 KiB (MB2)");

	file_begin(0);
	assert_error("no Multiboot header");

	assert_int_equal(guest_image_parse(NULL, 100, RAM_SIZE, &img), -1);
	assert_string_equal(img.error, "no file");
}

static void test_header_beyond_limits(void **state)
{
	(void)state;
	/* MB1 at 8 KiB, or straddling it, is not found. */
	mb1_elf32();
	memset(file + HDR_OFF, 0, 12);
	file_len = 0x4000;
	mb1_header(8192, 0);
	assert_error("no Multiboot header");
	memset(file + 8192, 0, 12);
	mb1_header(8192 - 8, 0);
	assert_error("no Multiboot header");

	/* MB2 at 32 KiB is not found; one that runs past 32 KiB is refused. */
	mb2_elf64();
	memset(file + HDR_OFF, 0, 24);
	file_len = 0x9000;
	mb2_begin(32768);
	mb2_end();
	assert_error("no Multiboot header");
	memset(file + 32768, 0, 24);
	mb2_begin(32768 - 16);
	mb2_end();
	assert_error("MB2 header at file offset 0x7ff0 runs past the first 32 KiB");

	/* Misaligned headers are not headers. */
	mb1_elf32();
	memset(file + HDR_OFF, 0, 12);
	mb1_header(HDR_OFF + 2, 0);
	assert_error("no Multiboot header");
	mb2_elf64();
	memset(file + HDR_OFF, 0, 24);
	mb2_begin(HDR_OFF + 4);
	mb2_end();
	assert_error("no Multiboot header");
}

static void test_bad_checksum(void **state)
{
	(void)state;
	mb1_elf32();
	put32(HDR_OFF + 8, get32(HDR_OFF + 8) + 1);
	assert_int_equal(parse(), -1);
	assert_string_equal(img.error, "MB1 header at file offset 0x800 has a bad checksum");

	mb2_elf64();
	put32(HDR_OFF + 12, get32(HDR_OFF + 12) ^ 0x100);
	assert_error("MB2 header at file offset 0x800 has a bad checksum");

	/* A valid MB1 header is still used when the MB2 magic is only data. */
	mb1_elf32();
	put32(0x400, MULTIBOOT2_HEADER_MAGIC);
	assert_ok();
	assert_int_equal(img.protocol, GUEST_MULTIBOOT1);
}

static void test_mb1_unsupported_flags(void **state)
{
	(void)state;
	mb1_elf32();
	mb1_header(HDR_OFF, MULTIBOOT1_HEADER_MEMORY_INFO | (1U << 3) | (1U << 15));
	assert_int_equal(parse(), -1);
	assert_string_equal(img.error, "MB1 header requests unsupported flag bits 0x8008");
}

static void test_not_elf_no_addresses(void **state)
{
	(void)state;
	file_begin(0x1000);
	mb1_header(0x10, MULTIBOOT1_HEADER_MEMORY_INFO);
	assert_error("not an ELF file and no address fields in the Multiboot header");

	file_begin(0x1000);
	mb2_begin(0x10);
	mb2_entry(0x100000);
	mb2_end();
	assert_error("not an ELF file and no address fields in the Multiboot header");
}

static void test_mb2_header_errors(void **state)
{
	(void)state;
	mb2_elf64();
	put32(HDR_OFF + 4, 4); /* MIPS */
	mb2_end();
	assert_error("MB2 header is for architecture 4, not i386 (0)");

	mb2_elf64();
	mb2_seal(16);
	assert_error("MB2 header_length 16 is too small");

	/* Header (or the file) cut short. */
	mb2_elf64();
	file_len = HDR_OFF + 20;
	assert_error("MB2 header at file offset 0x800 runs past the end of the file");

	/* No end tag: header_length ends after a non-end tag. */
	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_htag(MULTIBOOT2_HEADER_TAG_MODULE_ALIGN, 0, NULL, 0);
	mb2_seal((uint32_t)mb2_len);
	assert_error("MB2 header has no end tag");

	/* A tag whose size is not a multiple of 8 skips past header_length. */
	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_htag(MULTIBOOT2_HEADER_TAG_CONSOLE_FLAGS, 0, (const uint32_t[]){0}, 1);
	mb2_seal(16 + 12);
	assert_error("MB2 header has no end tag");

	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_htag(MULTIBOOT2_HEADER_TAG_MODULE_ALIGN, 0, NULL, 0);
	put32(HDR_OFF + 16 + 4, 4);
	mb2_end();
	assert_error("MB2 header tag 6 at file offset 0x810: size 4 < 8");

	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_htag(MULTIBOOT2_HEADER_TAG_MODULE_ALIGN, 0, NULL, 0);
	mb2_end();
	put32(HDR_OFF + 16 + 4, 0x1000);
	assert_error("size 4096 runs past header_length 32");
	put32(HDR_OFF + 16 + 4, 0xfffffff8); /* must not wrap the tag walk */
	assert_error("runs past header_length");
}

static void test_mb2_required_tags(void **state)
{
	(void)state;
	const uint32_t fb[] = {1024, 768, 32};

	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_htag(MULTIBOOT2_HEADER_TAG_FRAMEBUFFER, 0, fb, 3);
	mb2_end();
	assert_error("MB2 header tag 5 (framebuffer) is required but Umbra does not support it");

	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_htag(MULTIBOOT2_HEADER_TAG_EFI_BS, 0, NULL, 0);
	mb2_end();
	assert_error("MB2 header tag 7 (EFI boot services) is required");

	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_htag(42, 0, NULL, 0);
	mb2_end();
	assert_error("MB2 header tag 42 (unknown) is required but Umbra does not support it");
}

static void test_mb2_address_tag_errors(void **state)
{
	(void)state;
	file_begin(0x2000);
	mb2_begin(0x100);
	mb2_address(0x400100, 0x400000, 0, 0);
	mb2_end();
	assert_error("MB2 address tag without an entry address tag");

	file_begin(0x2000);
	mb2_begin(0x100);
	mb2_address(0x400100, 0x400000, 0, 0);
	mb2_address(0x400100, 0x400000, 0, 0);
	mb2_entry(0x400000);
	mb2_end();
	assert_error("MB2 header has two address tags");

	file_begin(0x2000);
	mb2_begin(0x100);
	mb2_entry(0x400000);
	mb2_entry(0x400000);
	mb2_end();
	assert_error("MB2 header has two entry address tags");

	file_begin(0x2000);
	mb2_begin(0x100);
	mb2_htag(MULTIBOOT2_HEADER_TAG_ADDRESS, 0, (const uint32_t[]){0x400100, 0x400000}, 2);
	mb2_entry(0x400000);
	mb2_end();
	assert_error("MB2 address tag: size 16 < 24");

	file_begin(0x2000);
	mb2_begin(0x100);
	mb2_htag(MULTIBOOT2_HEADER_TAG_ENTRY_ADDRESS, 0, NULL, 0);
	mb2_end();
	assert_error("MB2 entry address tag: size 8 < 12");

	/* load_addr -1 with header_addr below the header's file offset. */
	file_begin(0x2000);
	mb2_begin(0x100);
	mb2_address(0x80, MULTIBOOT2_LOAD_ADDR_FILE_START, 0, 0);
	mb2_entry(0x0);
	mb2_end();
	assert_error("MB2 address tag: header_addr 0x80 is below the header's file offset 0x100");
}

/* ---- a.out kludge errors (MB1 header; the MB2 address tag shares the code) ---- */

static void kludge(uint32_t header_addr, uint32_t load_addr, uint32_t load_end, uint32_t bss_end,
                   uint32_t entry)
{
	file_begin(0x2000);
	mb1_kludge(0x40, header_addr, load_addr, load_end, bss_end, entry);
}

static void test_kludge_errors(void **state)
{
	(void)state;
	kludge(0x100040, 0x100080, 0, 0, 0x100080);
	assert_error("MB1 header: load_addr 0x100080 is above header_addr 0x100040");

	kludge(0x100040, 0xf0000, 0, 0, 0x100000);
	assert_error("MB1 header: load_addr 0xf0000 would start loading before the file does");

	kludge(0x100040, 0x100000, 0xfffff, 0, 0x100000);
	assert_error("MB1 header: load_end_addr 0xfffff is below load_addr 0x100000");

	kludge(0x100040, 0x100000, 0x102001, 0, 0x100000);
	assert_error("MB1 header: load range [0x100000-0x102001) extends past the end of the file");

	kludge(0x100040, 0x100000, 0x101000, 0x100fff, 0x100000);
	assert_error("MB1 header: bss_end_addr 0x100fff is below the end of the data 0x101000");

	kludge(0x100040, 0x100000, 0, 0x2000000 + 1, 0x100000);
	assert_int_equal(parse(), -1);
	assert_string_equal(img.error, "MB1 header: load range [0x100000-0x2000001) is outside "
	                               "the VM's RAM (32 MiB)");

	kludge(0x1000040, 0x1000000, 0, 0, 0x1000000);
	assert_int_equal(guest_image_parse(file, file_len, 0x1000800, &img), -1);
	assert_string_equal(img.error, "MB1 header: load range [0x1000000-0x1002000) is outside "
	                               "the VM's RAM (0x1000800 bytes)");

	kludge(0x100040, 0x100000, 0x100000, 0, 0x100000);
	assert_error("MB1 header: the address fields describe an empty image");

	kludge(0x100040, 0x100000, 0, 0, 0x102000); /* just past the end */
	assert_error("entry point 0x102000 is not inside a loaded segment");

	/* Address fields cut off by the end of the file. */
	file_begin(0x40 + 20);
	mb1_header(0x40, MULTIBOOT1_HEADER_AOUT_KLUDGE);
	assert_error("MB1 header at file offset 0x40 is cut off by the end of the file");

	/* Wrapping 32-bit values: highest addresses, still outside 32 MiB of RAM. */
	kludge(0xffffffff, 0xffffffc0, 0, 0, 0xffffffc0);
	assert_error("outside the VM's RAM");
}

/* ---- ELF errors ---- */

static void test_elf_segment_outside_ram(void **state)
{
	(void)state;
	elf_begin(false, 0x100000);
	elf_load(DATA_OFF, 0x100000, 0x1000, 0x1000);
	elf_phdr(6, 0, 0, 0, 0, 0); /* PT_PHDR: counted as header 1, skipped */
	elf_load(DATA_OFF, 0x1ff0000, 0x1000, 0x20000);
	mb1_header(HDR_OFF, 0);
	assert_int_equal(parse(), -1);
	assert_string_equal(img.error,
	                    "ELF segment 2 [0x1ff0000-0x2010000) is outside the VM's RAM (32 MiB)");

	/* paddr + memsz wraps around 2^64. */
	elf_begin(true, 0x100000);
	elf_load(DATA_OFF, 0x100000, 0x1000, 0x1000);
	elf_load(DATA_OFF, 0xfffffffffffff000, 0x1000, 0x2000);
	mb1_header(HDR_OFF, 0);
	assert_error("ELF segment 1 [0xfffffffffffff000-0xffffffffffffffff) is outside the VM's "
	             "RAM (32 MiB)");

	/* Starts exactly at the end of RAM. */
	elf_begin(false, 0x100000);
	elf_load(DATA_OFF, RAM_SIZE, 0, 1);
	mb1_header(HDR_OFF, 0);
	assert_error("ELF segment 0 [0x2000000-0x2000001) is outside the VM's RAM");
}

static void test_elf_segment_past_eof(void **state)
{
	(void)state;
	mb1_elf32();
	elf_load(DATA_OFF + 0x800, 0x200000, 0x801, 0x1000);
	assert_error("ELF segment 1 extends past the end of the file");

	/* p_offset + p_filesz wraps around 2^64. */
	elf_begin(true, 0x100000);
	elf_load(0xfffffffffffff000, 0x100000, 0x2000, 0x2000);
	mb1_header(HDR_OFF, 0);
	assert_error("ELF segment 0 extends past the end of the file");

	/* ... and 2^32 for ELF32 (computed in 64 bits, so simply past the end). */
	elf_begin(false, 0x100000);
	elf_load(0xfffff000, 0x100000, 0x2000, 0x2000);
	mb1_header(HDR_OFF, 0);
	assert_error("ELF segment 0 extends past the end of the file");

	/* The file truncated: the data a valid header promises is missing. */
	mb1_elf32();
	file_len -= 1;
	assert_error("ELF segment 0 extends past the end of the file");
}

static void test_elf_filesz_above_memsz(void **state)
{
	(void)state;
	mb1_elf32();
	elf_load(DATA_OFF, 0x200000, 0x800, 0x400);
	assert_error("ELF segment 1 has more file bytes (0x800) than memory (0x400)");

	/* Even with memsz 0 (otherwise a skipped segment). */
	mb1_elf32();
	elf_load(DATA_OFF, 0x200000, 0x800, 0);
	assert_error("ELF segment 1 has more file bytes");
}

static void test_elf_overlap(void **state)
{
	(void)state;
	mb1_elf32(); /* [0x100000, 0x103000) */
	elf_phdr(4, 0, 0, 0, 0, 0);
	elf_load(DATA_OFF, 0x102fff, 0x10, 0x10);
	assert_error("ELF segments 0 and 2 overlap");

	/* One inside another. */
	mb1_elf32();
	elf_load(DATA_OFF, 0xff000, 0x10, 0x10000);
	assert_error("ELF segments 0 and 1 overlap");
}

static void test_elf_entry_errors(void **state)
{
	(void)state;
	elf_begin(false, 0x101000);
	elf_load(DATA_OFF, 0x100000, 0x1000, 0x1000);
	mb1_header(HDR_OFF, 0);
	assert_int_equal(parse(), -1);
	assert_string_equal(img.error, "entry point 0x101000 is not inside a loaded segment");

	elf_begin(true, 0x100000000);
	elf_load(DATA_OFF, 0x100000, 0x1000, 0x1000);
	mb1_header(HDR_OFF, 0);
	assert_int_equal(parse(), -1);
	assert_string_equal(img.error, "64-bit ELF entry 0x100000000 above 4 GiB");

	/* Only the low 32 bits would be in a segment: still refused. */
	elf_begin(true, 0x100100010);
	elf_load(DATA_OFF, 0x100000, 0x1000, 0x1000);
	mb1_header(HDR_OFF, 0);
	assert_error("64-bit ELF entry 0x100100010 above 4 GiB");

	/* MB2 entry tag outside the segments. */
	mb2_elf64();
	mb2_begin(HDR_OFF);
	mb2_entry(0x203000);
	mb2_end();
	assert_error("entry point 0x203000 is not inside a loaded segment");
}

static void test_elf_header_errors(void **state)
{
	(void)state;
	/* Truncated: the MB1 header fits, the ELF header does not. */
	file_begin(0x30);
	memcpy(file, "\177ELF", 4);
	file[4] = 1;
	file[5] = 1;
	file[6] = 1;
	mb1_header(0x20, 0);
	assert_error("ELF header truncated");

	mb1_elf32();
	file[4] = 3;
	assert_error("ELF class 3 is neither 32-bit (1) nor 64-bit (2)");

	mb1_elf32();
	file[5] = 2;
	assert_error("ELF data encoding 2 is not little-endian (1)");

	mb1_elf32();
	file[6] = 0;
	assert_error("ELF version 0 is not 1");

	mb1_elf32();
	put16(16, 3); /* ET_DYN */
	assert_error("ELF type 3 is not an executable (ET_EXEC, 2)");

	mb1_elf32();
	put16(18, 62);
	assert_error("ELF32 machine 62 is not x86 (want 3)");

	mb2_elf64();
	put16(18, 3);
	assert_error("ELF64 machine 3 is not x86 (want 62)");

	mb1_elf32();
	put16(44, 0);
	assert_error("ELF file has no program headers");

	mb1_elf32();
	put16(42, 31);
	assert_error("ELF program header size 31 is too small (want 32)");

	mb2_elf64();
	put16(54, 32);
	assert_error("ELF program header size 32 is too small (want 56)");

	mb1_elf32();
	put32(28, (uint32_t)file_len - 16);
	assert_error("ELF program headers extend past the end of the file");

	mb2_elf64();
	put64(32, 0xffffffffffffffc0); /* phoff + table size wraps */
	assert_error("ELF program headers extend past the end of the file");

	mb1_elf32();
	put16(44, 0xffff); /* PN_XNUM: the table runs past the file */
	assert_error("ELF program headers extend past the end of the file");

	elf_begin(false, 0x100000);
	elf_phdr(4, 0, 0, 0, 0, 0);
	mb1_header(HDR_OFF, 0);
	assert_error("ELF file has no loadable segments");
}

static void test_elf_too_many_segments(void **state)
{
	(void)state;
	elf_begin(false, 0x100000);
	for (uint32_t i = 0; i <= GUEST_IMAGE_MAX_SEGMENTS; i++)
		elf_load(DATA_OFF, 0x100000 + i * 0x1000, 0x100, 0x1000);
	mb1_header(HDR_OFF, 0);
	assert_error("more than 16 loadable ELF segments");
}

/* ---- Linux bzImage ---- */

/* A bzImage's setup header: protocol `version`, 4 setup sectors, relocatable to `pref`. */
static void bzimage(uint16_t version, uint32_t pref, uint32_t init_size, uint64_t len)
{
	file_begin(len);
	file[LINUX_SETUP_SECTS] = 4;
	put16(LINUX_BOOT_FLAG, LINUX_BOOT_FLAG_VALUE);
	file[LINUX_HEADER_END_BYTE] = 0x66;
	put32(LINUX_HEADER, LINUX_HEADER_MAGIC);
	put16(LINUX_VERSION, version);
	file[LINUX_LOADFLAGS] = LINUX_LOADED_HIGH;
	file[LINUX_RELOCATABLE] = pref ? 1 : 0;
	put64(LINUX_PREF_ADDRESS, pref);
	put32(LINUX_INIT_SIZE, init_size);
	if (len > 5 * 512)
		fill_pattern(5 * 512, len - 5 * 512);
}

static void test_linux_bzimage(void **state)
{
	(void)state;
	uint8_t *ram;

	bzimage(0x20f, 0x1000000, 0x400000, 0x8000);
	assert_int_equal(parse(), 0);
	assert_int_equal(img.protocol, GUEST_LINUX);
	assert_int_equal(img.entry, 0x1000000);
	assert_int_equal(img.seg_count, 1);
	assert_int_equal(img.seg[0].gpa, 0x1000000);
	assert_int_equal(img.seg[0].file_offset, 5 * 512);
	assert_int_equal(img.seg[0].file_size, 0x8000 - 5 * 512);
	assert_int_equal(img.seg[0].mem_size, 0x400000); /* init_size: room for it to unpack */
	assert_int_equal(img.load_end, 0x1400000);
	ram = calloc(1, RAM_SIZE);
	assert_non_null(ram);
	guest_image_load(&img, file, ram);
	assert_memory_equal(ram + 0x1000000, file + 5 * 512, 0x8000 - 5 * 512);
	free(ram);
	/* Not relocatable: at 1 MiB. */
	bzimage(0x20f, 0, 0x100000, 0x8000);
	assert_int_equal(parse(), 0);
	assert_int_equal(img.entry, 0x100000);
}

static void test_linux_refusals(void **state)
{
	(void)state;

	bzimage(0x20b, 0x1000000, 0x400000, 0x8000);
	assert_error(
	        "Linux bzImage: boot protocol 0x20b is too old (2.12, 0x20c, or later needed)");
	bzimage(0x20f, 0x1000000, 0x400000, 0x8000);
	file[LINUX_LOADFLAGS] = 0;
	assert_error("not a bzImage (a zImage loads low)");
	bzimage(0x20f, 0x1000000, 0x400000, 0x8000);
	put16(LINUX_BOOT_FLAG, 0);
	assert_error("no boot flag 0xaa55");
	/* 16 MiB + 32 MiB of room in a 32 MiB VM. */
	bzimage(0x20f, 0x1000000, 0x2000000, 0x8000);
	assert_error(
	        "Linux bzImage: needs 49 MiB of RAM or more for its kernel, the VM has 32 MiB");
	bzimage(0x20f, 0x1000000, 0x400000, 0x800);
	assert_error("no protected-mode kernel after 0xa00 bytes of setup");
	bzimage(0x20f, 0x1000000, 0x400000, 0x8000);
	file_len = 0x250;
	assert_error("truncated setup header");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mb1_elf32),
	        cmocka_unit_test(test_linux_bzimage),
	        cmocka_unit_test(test_linux_refusals),
	        cmocka_unit_test(test_mb2_elf64),
	        cmocka_unit_test(test_elf_skips_segments),
	        cmocka_unit_test(test_mb2_preferred),
	        cmocka_unit_test(test_mb1_optional_flags),
	        cmocka_unit_test(test_mb1_kludge),
	        cmocka_unit_test(test_mb1_kludge_offsets),
	        cmocka_unit_test(test_mb1_kludge_over_elf),
	        cmocka_unit_test(test_mb2_address_entry_tags),
	        cmocka_unit_test(test_mb2_tags_over_elf),
	        cmocka_unit_test(test_mb2_entry_tag_only),
	        cmocka_unit_test(test_mb2_load_from_file_start),
	        cmocka_unit_test(test_mb2_ignored_tags),
	        cmocka_unit_test(test_elf_entry_translated),
	        cmocka_unit_test(test_elf_edges),
	        cmocka_unit_test(test_elf_max_segments),
	        cmocka_unit_test(test_header_search_limits),
	        cmocka_unit_test(test_load_elf_bss),
	        cmocka_unit_test(test_load_kludge_bss),
	        cmocka_unit_test(test_no_header),
	        cmocka_unit_test(test_header_beyond_limits),
	        cmocka_unit_test(test_bad_checksum),
	        cmocka_unit_test(test_mb1_unsupported_flags),
	        cmocka_unit_test(test_not_elf_no_addresses),
	        cmocka_unit_test(test_mb2_header_errors),
	        cmocka_unit_test(test_mb2_required_tags),
	        cmocka_unit_test(test_mb2_address_tag_errors),
	        cmocka_unit_test(test_kludge_errors),
	        cmocka_unit_test(test_elf_segment_outside_ram),
	        cmocka_unit_test(test_elf_segment_past_eof),
	        cmocka_unit_test(test_elf_filesz_above_memsz),
	        cmocka_unit_test(test_elf_overlap),
	        cmocka_unit_test(test_elf_entry_errors),
	        cmocka_unit_test(test_elf_header_errors),
	        cmocka_unit_test(test_elf_too_many_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
