/*
 * Multiboot1 and Multiboot2 boot information for a guest, laid out as a
 * loader would, so Umbra's own parsers (boot/multiboot.c) read it back.
 */
#include "vcpu/guest_bootinfo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boot/multiboot.h"
#include "lib/bytes.h"
#include "vcpu/linux_boot.h"
#include "vcpu/guest_files.h"

#define GBI_KIB        1024ULL
#define GBI_LOW_END    0x9fc00ULL  /* conventional memory, below the EBDA */
#define GBI_EBDA_END   0xa0000ULL  /* then the VGA hole, not listed */
#define GBI_BIOS_START 0xf0000ULL  /* BIOS ROM area, to 1 MiB */
#define GBI_HIGH_START 0x100000ULL /* 1 MiB */
#define GBI_4GIB       (1ULL << 32)
#define GBI_MAP_COUNT  4
#define GBI_PAGE       0x1000ULL

struct gbi_range {
	uint64_t base, end;
	uint32_t type;
};

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void wr64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint64_t gbi_align8(uint64_t v)
{
	return (v + 7) & ~7ULL;
}

static void gbi_map(struct gbi_range map[GBI_MAP_COUNT], uint64_t ram_size)
{
	map[0] = (struct gbi_range){0, GBI_LOW_END, MULTIBOOT_MEMORY_AVAILABLE};
	map[1] = (struct gbi_range){GBI_LOW_END, GBI_EBDA_END, MULTIBOOT_MEMORY_RESERVED};
	map[2] = (struct gbi_range){GBI_BIOS_START, GBI_HIGH_START, MULTIBOOT_MEMORY_RESERVED};
	map[3] = (struct gbi_range){GBI_HIGH_START, ram_size, MULTIBOOT_MEMORY_AVAILABLE};
}

/* KiB of RAM above 1 MiB, as both protocols' mem_upper. */
static uint32_t gbi_mem_upper(uint64_t ram_size)
{
	uint64_t kib = (ram_size - GBI_HIGH_START) / GBI_KIB;

	return kib > UINT32_MAX ? UINT32_MAX : (uint32_t)kib;
}

/*
 * [info_gpa, info_gpa + total) below limit_gpa, inside RAM and below 4 GiB
 * (the info holds 32-bit pointers), aligned; and RAM above 1 MiB, so the map
 * we describe exists.
 */
static bool gbi_fits(uint64_t ram_size, uint64_t info_gpa, uint64_t limit_gpa, uint64_t total,
                     uint64_t align)
{
	uint64_t limit = limit_gpa;

	if (ram_size <= GBI_HIGH_START || info_gpa % align)
		return false;
	if (limit > ram_size)
		limit = ram_size;
	if (limit > GBI_4GIB)
		limit = GBI_4GIB;
	return info_gpa <= limit && total <= limit - info_gpa;
}

uint64_t guest_bootinfo_mb1(uint8_t *ram, uint64_t ram_size, uint64_t info_gpa, uint64_t limit_gpa,
                            const char *cmdline, const struct guest_file *files, uint32_t nfiles)
{
	static const char loader[] = GUEST_BOOTINFO_LOADER;
	struct gbi_range map[GBI_MAP_COUNT];
	uint64_t cmd_len, cmd_off, loader_off, mmap_off, mods_off, str_off, total;
	uint8_t *p;

	if (!cmdline)
		cmdline = "";
	cmd_len = strlen(cmdline) + 1;
	cmd_off = MULTIBOOT1_INFO_SIZE;
	loader_off = cmd_off + cmd_len;
	mmap_off = gbi_align8(loader_off + sizeof(loader));
	mods_off = mmap_off + GBI_MAP_COUNT * MULTIBOOT1_MMAP_ENTRY_SIZE;
	str_off = mods_off + (uint64_t)nfiles * MULTIBOOT1_MODULE_SIZE;
	total = str_off;
	for (uint32_t i = 0; i < nfiles; i++)
		total += strlen(files[i].cmdline) + 1;
	if (!gbi_fits(ram_size, info_gpa, limit_gpa, total, MULTIBOOT1_HEADER_ALIGN))
		return 0;

	p = ram + info_gpa;
	memset(p, 0, total);
	wr32(p + MULTIBOOT1_INFO_OFF_FLAGS,
	     MULTIBOOT1_INFO_MEMORY | MULTIBOOT1_INFO_CMDLINE | MULTIBOOT1_INFO_MEM_MAP |
	             MULTIBOOT1_INFO_BOOT_LOADER_NAME | (nfiles ? MULTIBOOT1_INFO_MODS : 0));
	wr32(p + MULTIBOOT1_INFO_OFF_MODS_COUNT, nfiles);
	wr32(p + MULTIBOOT1_INFO_OFF_MODS_ADDR, nfiles ? (uint32_t)(info_gpa + mods_off) : 0);
	for (uint32_t i = 0; i < nfiles; i++) {
		uint8_t *e = p + mods_off + i * MULTIBOOT1_MODULE_SIZE;
		size_t len = strlen(files[i].cmdline) + 1;

		/* Placed below 4 GiB (guest_file_place): the 32-bit fields hold. */
		wr32(e, (uint32_t)files[i].start);
		wr32(e + 4, (uint32_t)files[i].end);
		wr32(e + 8, (uint32_t)(info_gpa + str_off));
		memcpy(p + str_off, files[i].cmdline, len);
		str_off += len;
	}
	wr32(p + MULTIBOOT1_INFO_OFF_MEM_LOWER, (uint32_t)(GBI_LOW_END / GBI_KIB));
	wr32(p + MULTIBOOT1_INFO_OFF_MEM_UPPER, gbi_mem_upper(ram_size));
	/* Below 4 GiB (gbi_fits), so the 32-bit pointers hold. */
	wr32(p + MULTIBOOT1_INFO_OFF_CMDLINE, (uint32_t)(info_gpa + cmd_off));
	wr32(p + MULTIBOOT1_INFO_OFF_BOOT_LOADER_NAME, (uint32_t)(info_gpa + loader_off));
	wr32(p + MULTIBOOT1_INFO_OFF_MMAP_LENGTH, GBI_MAP_COUNT * MULTIBOOT1_MMAP_ENTRY_SIZE);
	wr32(p + MULTIBOOT1_INFO_OFF_MMAP_ADDR, (uint32_t)(info_gpa + mmap_off));
	memcpy(p + cmd_off, cmdline, cmd_len);
	memcpy(p + loader_off, loader, sizeof(loader));

	gbi_map(map, ram_size);
	for (uint32_t i = 0; i < GBI_MAP_COUNT; i++) {
		uint8_t *e = p + mmap_off + i * MULTIBOOT1_MMAP_ENTRY_SIZE;

		wr32(e, MULTIBOOT1_MMAP_ENTRY_MIN); /* size excludes the size field */
		wr64(e + 4, map[i].base);
		wr64(e + 12, map[i].end - map[i].base);
		wr32(e + 20, map[i].type);
	}
	return total;
}

/* Writes a tag header at off and returns the 8-aligned offset after the tag. */
static uint64_t gbi_tag(uint8_t *p, uint64_t off, uint32_t type, uint64_t size)
{
	wr32(p + off, type);
	wr32(p + off + 4, (uint32_t)size);
	return gbi_align8(off + size);
}

uint64_t guest_bootinfo_mb2(uint8_t *ram, uint64_t ram_size, uint64_t info_gpa, uint64_t limit_gpa,
                            const char *cmdline, const struct guest_file *files, uint32_t nfiles)
{
	static const char loader[] = GUEST_BOOTINFO_LOADER;
	const uint64_t mmap_size =
	        MULTIBOOT2_TAG_MMAP_HDR_SIZE + GBI_MAP_COUNT * sizeof(struct multiboot2_mmap_entry);
	struct gbi_range map[GBI_MAP_COUNT];
	uint64_t cmd_len, total, off;
	uint8_t *p;

	if (!cmdline)
		cmdline = "";
	cmd_len = strlen(cmdline) + 1;
	total = sizeof(struct multiboot2_info_header) + gbi_align8(8 + cmd_len) +
	        gbi_align8(8 + sizeof(loader)) + MULTIBOOT2_TAG_BASIC_MEMINFO_SIZE + mmap_size +
	        sizeof(struct multiboot2_tag);
	for (uint32_t i = 0; i < nfiles; i++)
		total += gbi_align8(16 + strlen(files[i].cmdline) + 1);
	/* The tag size field is 32 bits; a command line that long is no command line. */
	if (total > UINT32_MAX ||
	    !gbi_fits(ram_size, info_gpa, limit_gpa, total, MULTIBOOT2_TAG_ALIGN))
		return 0;

	p = ram + info_gpa;
	memset(p, 0, total); /* padding between tags included */
	wr32(p, (uint32_t)total);
	off = sizeof(struct multiboot2_info_header);

	memcpy(p + off + 8, cmdline, cmd_len);
	off = gbi_tag(p, off, MULTIBOOT2_TAG_CMDLINE, 8 + cmd_len);

	memcpy(p + off + 8, loader, sizeof(loader));
	off = gbi_tag(p, off, MULTIBOOT2_TAG_BOOT_LOADER_NAME, 8 + sizeof(loader));

	wr32(p + off + 8, (uint32_t)(GBI_LOW_END / GBI_KIB));
	wr32(p + off + 12, gbi_mem_upper(ram_size));
	off = gbi_tag(p, off, MULTIBOOT2_TAG_BASIC_MEMINFO, MULTIBOOT2_TAG_BASIC_MEMINFO_SIZE);

	wr32(p + off + 8, sizeof(struct multiboot2_mmap_entry));
	wr32(p + off + 12, 0); /* entry_version */
	gbi_map(map, ram_size);
	for (uint32_t i = 0; i < GBI_MAP_COUNT; i++) {
		struct multiboot2_mmap_entry e = {map[i].base, map[i].end - map[i].base,
		                                  map[i].type, 0};

		memcpy(p + off + MULTIBOOT2_TAG_MMAP_HDR_SIZE + i * sizeof(e), &e, sizeof(e));
	}
	off = gbi_tag(p, off, MULTIBOOT2_TAG_MMAP, mmap_size);

	for (uint32_t i = 0; i < nfiles; i++) {
		size_t len = strlen(files[i].cmdline) + 1;

		wr32(p + off + 8, (uint32_t)files[i].start);
		wr32(p + off + 12, (uint32_t)files[i].end);
		memcpy(p + off + 16, files[i].cmdline, len);
		off = gbi_tag(p, off, MULTIBOOT2_TAG_MODULE, 16 + len);
	}

	off = gbi_tag(p, off, MULTIBOOT2_TAG_END, sizeof(struct multiboot2_tag));
	return off;
}

uint64_t guest_bootinfo_linux(uint8_t *ram, uint64_t ram_size, uint64_t info_gpa,
                              uint64_t limit_gpa, const char *cmdline,
                              const struct guest_file *initrd, const uint8_t *kernel,
                              uint64_t acpi_rsdp)
{
	struct gbi_range map[GBI_MAP_COUNT];
	uint64_t cmd_len, header_end, total;
	uint8_t *p;

	if (!cmdline)
		cmdline = "";
	cmd_len = strlen(cmdline) + 1;
	total = LINUX_BP_SIZE + cmd_len;
	/* The kernel says how long a command line it takes (cmdline_size, without the NUL). */
	if (cmd_len - 1 > rd32(kernel + LINUX_CMDLINE_SIZE) ||
	    !gbi_fits(ram_size, info_gpa, limit_gpa, total, GBI_PAGE))
		return 0;
	if (initrd && initrd->end > (uint64_t)rd32(kernel + LINUX_INITRD_ADDR_MAX) + 1)
		return 0;
	p = ram + info_gpa;
	memset(p, 0, total);
	/* The setup header, as the image has it; then what a loader fills in. */
	header_end = LINUX_HEADER + 2 + kernel[LINUX_HEADER_END_BYTE];
	memcpy(p + LINUX_SETUP_SECTS, kernel + LINUX_SETUP_SECTS, header_end - LINUX_SETUP_SECTS);
	p[LINUX_TYPE_OF_LOADER] = LINUX_LOADER_UNKNOWN;
	wr32(p + LINUX_CMD_LINE_PTR, (uint32_t)(info_gpa + LINUX_BP_SIZE));
	memcpy(p + LINUX_BP_SIZE, cmdline, cmd_len);
	/* Written either way: the image's own fields are not the loader's answer. */
	wr32(p + LINUX_RAMDISK_IMAGE, initrd ? (uint32_t)initrd->start : 0);
	wr32(p + LINUX_RAMDISK_SIZE, initrd ? (uint32_t)(initrd->end - initrd->start) : 0);
	wr64(p + LINUX_BP_ACPI_RSDP, acpi_rsdp);
	gbi_map(map, ram_size);
	p[LINUX_BP_E820_ENTRIES] = GBI_MAP_COUNT;
	for (uint32_t i = 0; i < GBI_MAP_COUNT; i++) {
		uint8_t *e = p + LINUX_BP_E820_TABLE + i * LINUX_E820_ENTRY;

		wr64(e, map[i].base);
		wr64(e + 8, map[i].end - map[i].base);
		wr32(e + 16, map[i].type); /* Multiboot's types 1 and 2 are E820's */
	}
	return total;
}

static bool gbi_overlaps_image(const struct guest_image *img, uint64_t gpa, uint64_t size)
{
	for (uint32_t i = 0; img && i < img->seg_count; i++) {
		const struct guest_segment *s = &img->seg[i];

		/* A parsed segment lies inside RAM, so its end does not wrap. */
		if (gpa < s->gpa + s->mem_size && s->gpa < gpa + size)
			return true;
	}
	return false;
}

uint64_t guest_bootinfo_place(const struct guest_image *img, uint64_t size)
{
	/* Usable low memory, the customary spot first; page 0 (real-mode IVT) never. */
	static const uint64_t windows[][2] = {{0x9000, 0x9f000}, {0x1000, 0x9000}};

	if (size == 0)
		size = 1;
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
		uint64_t start = windows[w][0], end = windows[w][1];

		for (uint64_t gpa = start; gpa < end && size <= end - gpa; gpa += GBI_PAGE)
			if (!gbi_overlaps_image(img, gpa, size))
				return gpa;
	}
	return 0;
}
