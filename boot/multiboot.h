/*
 * Multiboot2 and Multiboot1 constants: magics, tag numbers, info flags and
 * offsets. Plain numbers only (no U suffixes) so .S files can include this.
 */
#ifndef BOOT_MULTIBOOT_H
#define BOOT_MULTIBOOT_H

/* Multiboot2 */
#define MULTIBOOT2_HEADER_MAGIC     0xe85250d6
#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36d76289 /* in EAX at entry */
#define MULTIBOOT2_ARCH_I386        0
#define MULTIBOOT2_TAG_ALIGN        8
#define MULTIBOOT2_SEARCH           32768 /* the header lies in the image's first 32 KiB */
#define MULTIBOOT2_HEADER_SIZE      16    /* magic, architecture, header_length, checksum */

/* Header tags (kernel -> loader). */
#define MULTIBOOT2_HEADER_TAG_END                 0
#define MULTIBOOT2_HEADER_TAG_INFO_REQUEST        1
#define MULTIBOOT2_HEADER_TAG_ADDRESS             2
#define MULTIBOOT2_HEADER_TAG_ENTRY_ADDRESS       3
#define MULTIBOOT2_HEADER_TAG_CONSOLE_FLAGS       4
#define MULTIBOOT2_HEADER_TAG_FRAMEBUFFER         5
#define MULTIBOOT2_HEADER_TAG_MODULE_ALIGN        6
#define MULTIBOOT2_HEADER_TAG_EFI_BS              7
#define MULTIBOOT2_HEADER_TAG_ENTRY_ADDRESS_EFI32 8
#define MULTIBOOT2_HEADER_TAG_ENTRY_ADDRESS_EFI64 9
#define MULTIBOOT2_HEADER_TAG_RELOCATABLE         10

/* Header tag layout: u16 type, u16 flags, u32 size, then the body. */
#define MULTIBOOT2_HEADER_TAG_OPTIONAL     1          /* flags bit 0: loader may ignore it */
#define MULTIBOOT2_HEADER_TAG_ADDRESS_SIZE 24         /* header_addr, load, load_end, bss_end */
#define MULTIBOOT2_HEADER_TAG_ENTRY_SIZE   12         /* entry_addr */
#define MULTIBOOT2_LOAD_ADDR_FILE_START    0xffffffff /* address tag: load from file offset 0 */

/* Basic meminfo tag: header, u32 mem_lower (KiB), u32 mem_upper (KiB). */
#define MULTIBOOT2_TAG_BASIC_MEMINFO_SIZE 16
/* Memory map tag: header, u32 entry_size, u32 entry_version, entries. */
#define MULTIBOOT2_TAG_MMAP_HDR_SIZE 16

/* Information tags (loader -> kernel). */
#define MULTIBOOT2_TAG_END              0
#define MULTIBOOT2_TAG_CMDLINE          1
#define MULTIBOOT2_TAG_BOOT_LOADER_NAME 2
#define MULTIBOOT2_TAG_MODULE           3
#define MULTIBOOT2_TAG_BASIC_MEMINFO    4
#define MULTIBOOT2_TAG_BOOTDEV          5
#define MULTIBOOT2_TAG_MMAP             6
#define MULTIBOOT2_TAG_VBE              7
#define MULTIBOOT2_TAG_FRAMEBUFFER      8
#define MULTIBOOT2_TAG_ELF_SECTIONS     9
#define MULTIBOOT2_TAG_APM              10
#define MULTIBOOT2_TAG_EFI32            11
#define MULTIBOOT2_TAG_EFI64            12
#define MULTIBOOT2_TAG_SMBIOS           13
#define MULTIBOOT2_TAG_ACPI_OLD         14
#define MULTIBOOT2_TAG_ACPI_NEW         15
#define MULTIBOOT2_TAG_NETWORK          16
#define MULTIBOOT2_TAG_EFI_MMAP         17
#define MULTIBOOT2_TAG_EFI_BS           18
#define MULTIBOOT2_TAG_EFI32_IH         19
#define MULTIBOOT2_TAG_EFI64_IH         20
#define MULTIBOOT2_TAG_LOAD_BASE_ADDR   21

/* Multiboot1 */
#define MULTIBOOT1_HEADER_MAGIC     0x1badb002
#define MULTIBOOT1_BOOTLOADER_MAGIC 0x2badb002 /* in EAX at entry */
#define MULTIBOOT1_SEARCH           8192       /* the header lies in the image's first 8 KiB */
#define MULTIBOOT1_HEADER_ALIGN     4

/* Header flags. */
#define MULTIBOOT1_HEADER_PAGE_ALIGN  (1 << 0)
#define MULTIBOOT1_HEADER_MEMORY_INFO (1 << 1)
#define MULTIBOOT1_HEADER_VIDEO_MODE  (1 << 2)
#define MULTIBOOT1_HEADER_AOUT_KLUDGE (1 << 16)
#define MULTIBOOT1_HEADER_REQUIRED    0xffff /* bits 0-15: a loader must understand them */

/* Byte offsets of the header fields (all u32); the address fields need flag bit 16. */
#define MULTIBOOT1_HEADER_OFF_MAGIC         0
#define MULTIBOOT1_HEADER_OFF_FLAGS         4
#define MULTIBOOT1_HEADER_OFF_CHECKSUM      8
#define MULTIBOOT1_HEADER_OFF_HEADER_ADDR   12
#define MULTIBOOT1_HEADER_OFF_LOAD_ADDR     16
#define MULTIBOOT1_HEADER_OFF_LOAD_END_ADDR 20
#define MULTIBOOT1_HEADER_OFF_BSS_END_ADDR  24
#define MULTIBOOT1_HEADER_OFF_ENTRY_ADDR    28
#define MULTIBOOT1_HEADER_MIN_SIZE          12 /* magic, flags, checksum */
#define MULTIBOOT1_HEADER_AOUT_SIZE         32 /* with the address fields */

/* Info flags: which fields of the info block are valid. */
#define MULTIBOOT1_INFO_MEMORY           (1 << 0)
#define MULTIBOOT1_INFO_BOOTDEV          (1 << 1)
#define MULTIBOOT1_INFO_CMDLINE          (1 << 2)
#define MULTIBOOT1_INFO_MODS             (1 << 3)
#define MULTIBOOT1_INFO_AOUT_SYMS        (1 << 4)
#define MULTIBOOT1_INFO_ELF_SHDR         (1 << 5)
#define MULTIBOOT1_INFO_MEM_MAP          (1 << 6)
#define MULTIBOOT1_INFO_DRIVE_INFO       (1 << 7)
#define MULTIBOOT1_INFO_CONFIG_TABLE     (1 << 8)
#define MULTIBOOT1_INFO_BOOT_LOADER_NAME (1 << 9)
#define MULTIBOOT1_INFO_APM_TABLE        (1 << 10)
#define MULTIBOOT1_INFO_VBE              (1 << 11)
#define MULTIBOOT1_INFO_FRAMEBUFFER      (1 << 12)

/* Byte offsets of the info block fields (all u32). */
#define MULTIBOOT1_INFO_OFF_FLAGS            0
#define MULTIBOOT1_INFO_OFF_MEM_LOWER        4
#define MULTIBOOT1_INFO_OFF_MEM_UPPER        8
#define MULTIBOOT1_INFO_OFF_BOOT_DEVICE      12
#define MULTIBOOT1_INFO_OFF_CMDLINE          16
#define MULTIBOOT1_INFO_OFF_MODS_COUNT       20
#define MULTIBOOT1_INFO_OFF_MODS_ADDR        24
#define MULTIBOOT1_INFO_OFF_MMAP_LENGTH      44
#define MULTIBOOT1_INFO_OFF_MMAP_ADDR        48
#define MULTIBOOT1_INFO_OFF_BOOT_LOADER_NAME 64
#define MULTIBOOT1_INFO_OFF_FRAMEBUFFER      88  /* the MB2 tag's body, less its 2 reserved bytes */
#define MULTIBOOT1_INFO_SIZE                 116 /* whole block, framebuffer fields included */

#define MULTIBOOT1_MODULE_SIZE     16 /* u32 mod_start, mod_end, string, reserved */
#define MULTIBOOT1_MMAP_ENTRY_MIN  20 /* `size` field: u64 base, u64 len, u32 type */
#define MULTIBOOT1_MMAP_ENTRY_SIZE 24 /* a whole entry: the size field and those 20 bytes */

/* Framebuffer types (both protocols). */
#define MULTIBOOT_FRAMEBUFFER_INDEXED  0
#define MULTIBOOT_FRAMEBUFFER_RGB      1
#define MULTIBOOT_FRAMEBUFFER_EGA_TEXT 2
/*
 * addr u64, pitch, width, height u32, bpp u8, type u8, then the colour info
 * (RGB: position and size of red, green, blue): at 22 in the MB1 block, at 24
 * in the MB2 tag body, which has 2 reserved bytes before it (GRUB, the spec).
 */
#define MULTIBOOT_FRAMEBUFFER_INFO_SIZE      22
#define MULTIBOOT1_FRAMEBUFFER_COLOR_OFF     22
#define MULTIBOOT2_FRAMEBUFFER_COLOR_OFF     24
#define MULTIBOOT_FRAMEBUFFER_RGB_COLOR_SIZE 6

/* Memory map types (both protocols). */
#define MULTIBOOT_MEMORY_AVAILABLE        1
#define MULTIBOOT_MEMORY_RESERVED         2
#define MULTIBOOT_MEMORY_ACPI_RECLAIMABLE 3
#define MULTIBOOT_MEMORY_NVS              4
#define MULTIBOOT_MEMORY_BADRAM           5

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Multiboot2 info header and tag header, as laid out by the loader. */
struct multiboot2_info_header {
	uint32_t total_size;
	uint32_t reserved;
};

struct multiboot2_tag {
	uint32_t type;
	uint32_t size; /* header included, not padded to 8 */
};

/* One Multiboot2 mmap entry (entry_size in the tag may be larger). */
struct multiboot2_mmap_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
};

_Static_assert(sizeof(struct multiboot2_mmap_entry) == 24, "mmap entry layout");
#endif

#endif
