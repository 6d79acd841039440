/*
 * Multiboot2 and Multiboot1 information parsers. Everything the loader gave
 * is untrusted: every length is checked before the bytes behind it are read.
 */
#include "boot/boot_info.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boot/multiboot.h"
#include "lib/bytes.h"
#include "lib/fmt.h"

#define MB2_INFO_MAX       (1024 * 1024) /* larger is garbage, not a real loader */
#define MB2_MMAP_ENTRY_MIN 24
#define MB2_MODULE_HDR     16                   /* tag header + mod_start + mod_end */
#define MB2_MMAP_HDR       16                   /* tag header + entry_size + entry_version */
#define MB1_READ_SIZE      MULTIBOOT1_INFO_SIZE /* the whole block, framebuffer fields included */
#define MB1_MMAP_MAX       (1024 * 1024)
#define MB1_STR_SCAN_MAX   4096 /* a MB1 string without a NUL by then is garbage */
#define MB1_STR_CHUNK      64   /* reads never cross a 64-byte (so page) boundary */
#define RSDP_V1_SIZE       20
#define RSDP_V2_SIZE       36

static int mb_fail(struct boot_info *bi, int err, const char *fmt, const uint64_t *nums,
                   const char *str)
{
	fmt_print(bi->error, sizeof(bi->error), fmt, nums, str);
	return err;
}

/*
 * Copies the NUL-terminated string at the start of src[0, len) into dst,
 * truncated to cap - 1 bytes (*cut, if not NULL, says whether it was).
 * False if there is no NUL within len.
 */
static bool mb_copy_str_cut(char *dst, size_t cap, const uint8_t *src, size_t len, bool *cut)
{
	size_t n = 0;

	while (n < len && src[n])
		n++;
	if (n == len)
		return false;
	if (cut)
		*cut = n > cap - 1;
	if (n > cap - 1)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

static bool mb_copy_str(char *dst, size_t cap, const uint8_t *src, size_t len)
{
	return mb_copy_str_cut(dst, cap, src, len, NULL);
}

static uint32_t mb_mem_type(uint32_t mb_type)
{
	switch (mb_type) {
	case MULTIBOOT_MEMORY_AVAILABLE: return BOOT_MEM_USABLE;
	case MULTIBOOT_MEMORY_ACPI_RECLAIMABLE: return BOOT_MEM_ACPI_RECLAIM;
	case MULTIBOOT_MEMORY_NVS: return BOOT_MEM_ACPI_NVS;
	case MULTIBOOT_MEMORY_BADRAM: return BOOT_MEM_BAD;
	default: return BOOT_MEM_RESERVED;
	}
}

static int mb_add_range(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t mb_type)
{
	if (len == 0)
		return 0; /* some firmware lists empty ranges; they mean nothing */
	if (base + len < base)
		return mb_fail(bi, BOOT_EINVAL, "memory range at %x wraps around", &base, NULL);
	if (bi->mem_count == BOOT_MAX_MEM_RANGES)
		return mb_fail(bi, BOOT_ENOSPC, "too many memory ranges (max %u)",
		               (const uint64_t[]){BOOT_MAX_MEM_RANGES}, NULL);
	bi->mem[bi->mem_count++] = (struct boot_mem_range){base, len, mb_mem_type(mb_type)};
	return 0;
}

/* Insertion sort by base: maps are short and usually already sorted. */
static void mb_sort_mem(struct boot_info *bi)
{
	for (uint32_t i = 1; i < bi->mem_count; i++) {
		struct boot_mem_range r = bi->mem[i];
		uint32_t j = i;

		while (j > 0 && bi->mem[j - 1].base > r.base) {
			bi->mem[j] = bi->mem[j - 1];
			j--;
		}
		bi->mem[j] = r;
	}
}

/*
 * Framebuffer info, laid out alike in the MB2 tag body and the MB1 block
 * (from its framebuffer_addr field) up to the colour info, which is at
 * color_off. `len` bytes are readable at p.
 */
static void mb_framebuffer(struct boot_info *bi, const uint8_t *p, uint32_t len, uint32_t color_off)
{
	struct boot_framebuffer *fb = &bi->fb;
	uint8_t type;

	if (len < MULTIBOOT_FRAMEBUFFER_INFO_SIZE)
		return;
	memset(fb, 0, sizeof(*fb));
	memcpy(&fb->addr, p, 8);
	fb->pitch = rd32(p + 8);
	fb->width = rd32(p + 12);
	fb->height = rd32(p + 16);
	fb->bpp = p[20];
	type = p[21];
	if (type == MULTIBOOT_FRAMEBUFFER_RGB &&
	    len >= color_off + MULTIBOOT_FRAMEBUFFER_RGB_COLOR_SIZE) {
		const uint8_t *c = p + color_off;

		fb->type = BOOT_FB_RGB;
		fb->red_pos = c[0];
		fb->red_size = c[1];
		fb->green_pos = c[2];
		fb->green_size = c[3];
		fb->blue_pos = c[4];
		fb->blue_size = c[5];
	} else if (type == MULTIBOOT_FRAMEBUFFER_EGA_TEXT) {
		fb->type = BOOT_FB_EGA_TEXT;
	} else if (type == MULTIBOOT_FRAMEBUFFER_INDEXED) {
		fb->type = BOOT_FB_INDEXED;
	}
}

static int mb2_tag(struct boot_info *bi, const uint8_t *tag, uint32_t type, uint32_t size,
                   uint64_t tag_pa, uint32_t *seen)
{
	const uint64_t at[] = {type, tag_pa};

	/* One of each: two memory maps or command lines would be ambiguous. */
	if (type < 32 && ((1U << type) & *seen) &&
	    (type == MULTIBOOT2_TAG_CMDLINE || type == MULTIBOOT2_TAG_BOOT_LOADER_NAME ||
	     type == MULTIBOOT2_TAG_MMAP || type == MULTIBOOT2_TAG_ACPI_OLD ||
	     type == MULTIBOOT2_TAG_ACPI_NEW))
		return mb_fail(bi, BOOT_EINVAL, "duplicate tag %u at %x", at, NULL);
	if (type < 32)
		*seen |= 1U << type;

	switch (type) {
	case MULTIBOOT2_TAG_CMDLINE:
		if (!mb_copy_str(bi->cmdline, sizeof(bi->cmdline), tag + 8, size - 8))
			return mb_fail(bi, BOOT_EINVAL, "tag %u at %x: command line not terminated",
			               at, NULL);
		return 0;
	case MULTIBOOT2_TAG_BOOT_LOADER_NAME:
		if (!mb_copy_str(bi->loader, sizeof(bi->loader), tag + 8, size - 8))
			return mb_fail(bi, BOOT_EINVAL, "tag %u at %x: loader name not terminated",
			               at, NULL);
		return 0;
	case MULTIBOOT2_TAG_MODULE: {
		struct boot_module *m;

		if (size < MB2_MODULE_HDR)
			return mb_fail(bi, BOOT_EINVAL, "tag %u at %x: module tag too short", at,
			               NULL);
		/* Those past the limit are counted, and each refused (the others run). */
		if (bi->module_count == BOOT_MAX_MODULES) {
			bi->modules_past_limit++;
			return 0;
		}
		m = &bi->modules[bi->module_count];
		m->start = rd32(tag + 8);
		m->end = rd32(tag + 12);
		if (!mb_copy_str_cut(m->cmdline, sizeof(m->cmdline), tag + MB2_MODULE_HDR,
		                     size - MB2_MODULE_HDR, &m->cmdline_cut))
			return mb_fail(bi, BOOT_EINVAL,
			               "tag %u at %x: module command line not terminated", at,
			               NULL);
		bi->module_count++;
		return 0;
	}
	case MULTIBOOT2_TAG_MMAP: {
		uint32_t esize, count;
		int err;

		if (size < MB2_MMAP_HDR)
			return mb_fail(bi, BOOT_EINVAL, "tag %u at %x: mmap tag too short", at,
			               NULL);
		esize = rd32(tag + 8);
		if (esize < MB2_MMAP_ENTRY_MIN)
			return mb_fail(bi, BOOT_EINVAL, "mmap entry_size %u < 24",
			               (const uint64_t[]){esize}, NULL);
		if ((size - MB2_MMAP_HDR) % esize)
			return mb_fail(bi, BOOT_EINVAL,
			               "tag %u at %x: mmap ends in a partial entry", at, NULL);
		count = (size - MB2_MMAP_HDR) / esize;
		for (uint32_t i = 0; i < count; i++) {
			struct multiboot2_mmap_entry e;

			memcpy(&e, tag + MB2_MMAP_HDR + (size_t)i * esize, sizeof(e));
			err = mb_add_range(bi, e.base, e.length, e.type);
			if (err)
				return err;
		}
		return 0;
	}
	case MULTIBOOT2_TAG_ACPI_OLD:
	case MULTIBOOT2_TAG_ACPI_NEW: {
		bool is_new = type == MULTIBOOT2_TAG_ACPI_NEW;

		if (size < 8 + (is_new ? RSDP_V2_SIZE : RSDP_V1_SIZE))
			return mb_fail(bi, BOOT_EINVAL, "tag %u at %x: RSDP copy too short", at,
			               NULL);
		if (memcmp(tag + 8, "RSD PTR ", 8))
			return mb_fail(bi, BOOT_EINVAL, "tag %u at %x: no RSDP signature", at,
			               NULL);
		/* The ACPI 2.0 copy wins whatever the tag order. */
		if (is_new || !(*seen & (1U << MULTIBOOT2_TAG_ACPI_NEW))) {
			bi->rsdp = tag_pa + 8;
			bi->rsdp_revision = is_new ? 2 : 0;
		}
		return 0;
	}
	case MULTIBOOT2_TAG_FRAMEBUFFER:
		mb_framebuffer(bi, tag + 8, size - 8, MULTIBOOT2_FRAMEBUFFER_COLOR_OFF);
		return 0;
	default: return 0;
	}
}

int multiboot2_parse(const void *info, uint64_t info_pa, struct boot_info *out)
{
	const uint8_t *p = info;
	struct multiboot2_info_header hdr;
	uint32_t seen = 0;
	uint32_t off;
	int err;

	memset(out, 0, sizeof(*out));
	out->protocol = 2;
	if (!p)
		return mb_fail(out, BOOT_EFAULT, "info at %x unreadable", &info_pa, NULL);
	if (info_pa % MULTIBOOT2_TAG_ALIGN)
		return mb_fail(out, BOOT_EINVAL, "info at %x not 8-byte aligned", &info_pa, NULL);
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.total_size < 16 || hdr.total_size % 8 || hdr.total_size > MB2_INFO_MAX)
		return mb_fail(out, BOOT_EINVAL, "bad total_size %u",
		               (const uint64_t[]){hdr.total_size}, NULL);
	if (info_pa + hdr.total_size < info_pa)
		return mb_fail(out, BOOT_EINVAL, "info at %x wraps around", &info_pa, NULL);
	out->info_start = info_pa;
	out->info_end = info_pa + hdr.total_size;

	/* off and total_size are multiples of 8, so a tag header always fits. */
	for (off = sizeof(hdr);;) {
		struct multiboot2_tag tag;

		if (off >= hdr.total_size)
			return mb_fail(out, BOOT_EINVAL, "missing end tag", NULL, NULL);
		memcpy(&tag, p + off, sizeof(tag));
		const uint64_t at[] = {tag.type, info_pa + off, tag.size, hdr.total_size};

		if (tag.size < sizeof(tag))
			return mb_fail(out, BOOT_EINVAL, "tag %u at %x: size %u < 8", at, NULL);
		if (tag.size > hdr.total_size - off)
			return mb_fail(out, BOOT_EINVAL,
			               "tag %u at %x: size %u runs past total_size %u", at, NULL);
		if (tag.type == MULTIBOOT2_TAG_END) {
			if (tag.size != sizeof(tag))
				return mb_fail(out, BOOT_EINVAL, "end tag at %x: size %u != 8",
				               (const uint64_t[]){info_pa + off, tag.size}, NULL);
			break;
		}
		err = mb2_tag(out, p + off, tag.type, tag.size, info_pa + off, &seen);
		if (err)
			return err;
		/* size <= total_size <= 1 MiB: no overflow. */
		off += (tag.size + 7) & ~7U;
	}
	mb_sort_mem(out);
	return 0;
}

/*
 * Copies the string at pa into dst (truncated to cap - 1; *cut, if not
 * NULL, says whether it was). Reads in small
 * chunks that never cross a page, so a string near the end of readable
 * memory still works. pa == 0 means "no string".
 */
static int mb1_read_str(struct boot_info *bi, phys_reader_fn read, void *ctx, uint64_t pa,
                        char *dst, size_t cap, const char *what, bool *cut)
{
	size_t n = 0;

	dst[0] = '\0';
	if (cut)
		*cut = false;
	if (pa == 0)
		return 0;
	for (uint64_t scanned = 0; scanned < MB1_STR_SCAN_MAX;) {
		uint64_t chunk = MB1_STR_CHUNK - (pa % MB1_STR_CHUNK);
		const uint8_t *s;

		if (pa + chunk < pa)
			break;
		s = read(pa, chunk, ctx);
		if (!s)
			return mb_fail(bi, BOOT_EFAULT, "%s at %x unreadable", &pa, what);
		for (uint64_t i = 0; i < chunk; i++) {
			if (!s[i]) {
				dst[n] = '\0';
				return 0;
			}
			if (n + 1 < cap)
				dst[n++] = (char)s[i];
			else if (cut)
				*cut = true;
		}
		pa += chunk;
		scanned += chunk;
	}
	return mb_fail(bi, BOOT_EINVAL, "%s not terminated within 4096 bytes", NULL, what);
}

static int mb1_modules(struct boot_info *bi, phys_reader_fn read, void *ctx, uint32_t count,
                       uint64_t addr)
{
	/* Those past the limit are counted, and each refused (the others run). */
	if (count > BOOT_MAX_MODULES) {
		bi->modules_past_limit = count - BOOT_MAX_MODULES;
		count = BOOT_MAX_MODULES;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint64_t pa = addr + (uint64_t)i * MULTIBOOT1_MODULE_SIZE;
		const uint8_t *e = read(pa, MULTIBOOT1_MODULE_SIZE, ctx);
		struct boot_module *m = &bi->modules[i];
		uint32_t str;
		int err;

		if (!e)
			return mb_fail(bi, BOOT_EFAULT, "module %u entry at %x unreadable",
			               (const uint64_t[]){i, pa}, NULL);
		m->start = rd32(e);
		m->end = rd32(e + 4);
		str = rd32(e + 8);
		err = mb1_read_str(bi, read, ctx, str, m->cmdline, sizeof(m->cmdline),
		                   "module command line", &m->cmdline_cut);
		if (err)
			return err;
		bi->module_count++;
	}
	return 0;
}

static int mb1_mmap(struct boot_info *bi, phys_reader_fn read, void *ctx, uint32_t len,
                    uint64_t addr)
{
	uint32_t off = 0;

	if (len > MB1_MMAP_MAX)
		return mb_fail(bi, BOOT_EINVAL, "mmap_length %u absurd", (const uint64_t[]){len},
		               NULL);
	while (off < len) {
		const uint8_t *e;
		uint32_t size;
		int err;

		if (len - off < 4)
			return mb_fail(bi, BOOT_EINVAL, "mmap: %u trailing bytes",
			               (const uint64_t[]){len - off}, NULL);
		e = read(addr + off, 4, ctx);
		if (!e)
			return mb_fail(bi, BOOT_EFAULT, "mmap at %x unreadable",
			               (const uint64_t[]){addr + off}, NULL);
		size = rd32(e);
		if (size < MULTIBOOT1_MMAP_ENTRY_MIN || size > len - off - 4)
			return mb_fail(bi, BOOT_EINVAL, "mmap entry at offset %u: bad size %u",
			               (const uint64_t[]){off, size}, NULL);
		e = read(addr + off + 4, MULTIBOOT1_MMAP_ENTRY_MIN, ctx);
		if (!e)
			return mb_fail(bi, BOOT_EFAULT, "mmap at %x unreadable",
			               (const uint64_t[]){addr + off + 4}, NULL);
		err = mb_add_range(bi, rd64(e), rd64(e + 8), rd32(e + 16));
		if (err)
			return err;
		off += size + 4;
	}
	return 0;
}

int multiboot1_parse(uint64_t info_pa, phys_reader_fn read, void *ctx, struct boot_info *out)
{
	const uint8_t *p;
	uint32_t flags, mem_lower, mem_upper, cmdline, mods_count, mods_addr;
	uint32_t mmap_len, mmap_addr, loader;
	int err;

	memset(out, 0, sizeof(*out));
	out->protocol = 1;
	if (!read)
		return mb_fail(out, BOOT_EFAULT, "no physical memory reader", NULL, NULL);
	if (info_pa + MULTIBOOT1_INFO_SIZE < info_pa)
		return mb_fail(out, BOOT_EINVAL, "info at %x wraps around", &info_pa, NULL);
	p = read(info_pa, MB1_READ_SIZE, ctx);
	if (!p)
		return mb_fail(out, BOOT_EFAULT, "info at %x unreadable", &info_pa, NULL);
	/* Copy out first: the next read() may reuse the mapping. */
	flags = rd32(p + MULTIBOOT1_INFO_OFF_FLAGS);
	mem_lower = rd32(p + MULTIBOOT1_INFO_OFF_MEM_LOWER);
	mem_upper = rd32(p + MULTIBOOT1_INFO_OFF_MEM_UPPER);
	cmdline = rd32(p + MULTIBOOT1_INFO_OFF_CMDLINE);
	mods_count = rd32(p + MULTIBOOT1_INFO_OFF_MODS_COUNT);
	mods_addr = rd32(p + MULTIBOOT1_INFO_OFF_MODS_ADDR);
	mmap_len = rd32(p + MULTIBOOT1_INFO_OFF_MMAP_LENGTH);
	mmap_addr = rd32(p + MULTIBOOT1_INFO_OFF_MMAP_ADDR);
	loader = rd32(p + MULTIBOOT1_INFO_OFF_BOOT_LOADER_NAME);
	if (flags & MULTIBOOT1_INFO_FRAMEBUFFER)
		mb_framebuffer(out, p + MULTIBOOT1_INFO_OFF_FRAMEBUFFER,
		               MULTIBOOT1_INFO_SIZE - MULTIBOOT1_INFO_OFF_FRAMEBUFFER,
		               MULTIBOOT1_FRAMEBUFFER_COLOR_OFF);
	/* Reserve the whole block even though only its head is parsed. */
	out->info_start = info_pa;
	out->info_end = info_pa + MULTIBOOT1_INFO_SIZE;

	if (flags & MULTIBOOT1_INFO_CMDLINE) {
		err = mb1_read_str(out, read, ctx, cmdline, out->cmdline, sizeof(out->cmdline),
		                   "command line", NULL);
		if (err)
			return err;
	}
	if (flags & MULTIBOOT1_INFO_BOOT_LOADER_NAME) {
		err = mb1_read_str(out, read, ctx, loader, out->loader, sizeof(out->loader),
		                   "loader name", NULL);
		if (err)
			return err;
	}
	if (flags & MULTIBOOT1_INFO_MODS) {
		err = mb1_modules(out, read, ctx, mods_count, mods_addr);
		if (err)
			return err;
	}
	if (flags & MULTIBOOT1_INFO_MEM_MAP) {
		err = mb1_mmap(out, read, ctx, mmap_len, mmap_addr);
		if (err)
			return err;
	} else if (flags & MULTIBOOT1_INFO_MEMORY) {
		/* Only the BIOS sizes: conventional memory and RAM above 1 MiB. */
		err = mb_add_range(out, 0, (uint64_t)mem_lower * 1024, MULTIBOOT_MEMORY_AVAILABLE);
		if (!err)
			err = mb_add_range(out, 0x100000, (uint64_t)mem_upper * 1024,
			                   MULTIBOOT_MEMORY_AVAILABLE);
		if (err)
			return err;
	}
	mb_sort_mem(out);
	return 0;
}

uint64_t boot_info_ram_end(const struct boot_info *bi)
{
	uint32_t n = bi->mem_count < BOOT_MAX_MEM_RANGES ? bi->mem_count : BOOT_MAX_MEM_RANGES;
	uint64_t end = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct boot_mem_range *r = &bi->mem[i];
		uint64_t e = r->base + r->length;

		if (r->type != BOOT_MEM_USABLE || r->length == 0)
			continue;
		if (e < r->base)
			e = UINT64_MAX;
		if (e > end)
			end = e;
	}
	return end;
}

int boot_info_validate(struct boot_info *bi)
{
	uint64_t ram_end;

	bi->error[0] = '\0';
	if (bi->mem_count > BOOT_MAX_MEM_RANGES || bi->module_count > BOOT_MAX_MODULES)
		return mb_fail(bi, BOOT_EINVAL, "corrupt counts", NULL, NULL);
	ram_end = boot_info_ram_end(bi);
	if (ram_end == 0)
		return mb_fail(bi, BOOT_EINVAL, "no usable memory in the memory map", NULL, NULL);
	for (uint32_t i = 0; i < bi->module_count; i++) {
		const struct boot_module *m = &bi->modules[i];
		const uint64_t args[] = {i, m->start, m->end, ram_end};

		if (m->end < m->start)
			return mb_fail(bi, BOOT_EINVAL, "module %u ends (%x) before it starts (%x)",
			               (const uint64_t[]){i, m->end, m->start}, NULL);
		if (m->end > ram_end)
			return mb_fail(bi, BOOT_EINVAL, "module %u [%x, %x) past end of memory %x",
			               args, NULL);
	}
	for (uint32_t i = 0; i < bi->module_count; i++) {
		for (uint32_t j = i + 1; j < bi->module_count; j++) {
			const struct boot_module *a = &bi->modules[i], *b = &bi->modules[j];

			if (a->start < a->end && b->start < b->end && a->start < b->end &&
			    b->start < a->end)
				return mb_fail(bi, BOOT_EINVAL, "modules %u and %u overlap",
				               (const uint64_t[]){i, j}, NULL);
		}
	}
	return 0;
}
