/*
 * Boot information in one loader-independent shape, filled from the
 * Multiboot2 or Multiboot1 structures the loader left in memory.
 */
#ifndef BOOT_BOOT_INFO_H
#define BOOT_BOOT_INFO_H

#include <stdbool.h>
#include <stdint.h>

#define BOOT_MAX_MEM_RANGES 64
#define BOOT_MAX_MODULES    64
#define BOOT_CMDLINE_MAX    256
#define BOOT_LOADER_MAX     64
#define BOOT_ERROR_MAX      128

/* Negative results of the parsers and of boot_info_validate(). */
#define BOOT_EINVAL (-1) /* malformed or inconsistent information */
#define BOOT_ENOSPC (-2) /* more ranges or modules than the arrays hold */
#define BOOT_EFAULT (-3) /* a physical pointer could not be read */

enum boot_mem_type {
	BOOT_MEM_USABLE = 1,
	BOOT_MEM_RESERVED,
	BOOT_MEM_ACPI_RECLAIM,
	BOOT_MEM_ACPI_NVS,
	BOOT_MEM_BAD,
};

struct boot_mem_range {
	uint64_t base;
	uint64_t length;
	uint32_t type; /* enum boot_mem_type */
};

/* The screen the loader left us, if it said (Multiboot framebuffer info). */
enum boot_fb_type {
	BOOT_FB_NONE = 0, /* the loader did not say */
	BOOT_FB_INDEXED,
	BOOT_FB_RGB,
	BOOT_FB_EGA_TEXT, /* width x height character cells of 2 bytes */
};

struct boot_framebuffer {
	uint64_t addr;
	uint32_t pitch; /* bytes per line */
	uint32_t width; /* pixels, or characters for EGA text */
	uint32_t height;
	uint8_t bpp;
	uint8_t type; /* enum boot_fb_type */
	/* RGB: bit position and size of each colour in a pixel. */
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct boot_module {
	uint64_t start; /* [start, end) physical; empty modules are kept (and refused later) */
	uint64_t end;
	char cmdline[BOOT_CMDLINE_MAX];
	bool cmdline_cut; /* the loader's was longer than BOOT_CMDLINE_MAX - 1 */
};

struct boot_info {
	uint32_t protocol; /* 1 or 2 */
	char cmdline[BOOT_CMDLINE_MAX];
	char loader[BOOT_LOADER_MAX];
	struct boot_mem_range mem[BOOT_MAX_MEM_RANGES]; /* sorted by base */
	uint32_t mem_count;
	struct boot_module modules[BOOT_MAX_MODULES]; /* in loader order */
	uint32_t module_count;
	uint32_t modules_past_limit; /* modules the loader gave after the first BOOT_MAX_MODULES */
	/* Physical address of the RSDP copy inside the MB2 info, 0 if none. */
	uint64_t rsdp;
	uint32_t rsdp_revision; /* 0: ACPI 1.0 copy (tag 14), 2: tag 15 */
	struct boot_framebuffer fb;
	/* Physical extent of the info structure itself, so it can be reserved. */
	uint64_t info_start;
	uint64_t info_end;
	char error[BOOT_ERROR_MAX]; /* why the last parse/validate failed */
};

/*
 * Returns a readable pointer to [pa, pa + len) or NULL if that range cannot
 * be read. The parsers use each pointer only until their next call.
 */
typedef const void *(*phys_reader_fn)(uint64_t pa, uint64_t len, void *ctx);

/*
 * Multiboot2: `info` points at the info structure (its total_size bytes must
 * be readable), `info_pa` is its physical address. Returns 0 or a negative
 * BOOT_E* with the reason in out->error.
 */
int multiboot2_parse(const void *info, uint64_t info_pa, struct boot_info *out);

/* Multiboot1: the info block and everything it points to go through read(). */
int multiboot1_parse(uint64_t info_pa, phys_reader_fn read, void *ctx, struct boot_info *out);

/*
 * Checks what the kernel relies on: some usable RAM, and modules that are
 * inside RAM and disjoint (an empty one is the VM's problem, not the boot's). Returns 0 or BOOT_EINVAL with bi->error.
 */
int boot_info_validate(struct boot_info *bi);

/* Highest end of usable RAM in the memory map, 0 if there is none. */
uint64_t boot_info_ram_end(const struct boot_info *bi);

#endif
