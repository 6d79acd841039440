/*
 * The Multiboot2 header, linked into Multiboot2 payloads only (the Makefile
 * picks this file or mb1_header.S), so a loader sees exactly one protocol.
 * payload.ld puts .mb_header first in the image: file offset 0x1000, well
 * inside the 32 KiB Multiboot2 loaders search, and 8-aligned as they require.
 *
 * The address and entry address tags give the load layout directly, as the
 * Multiboot1 a.out kludge does: the payload ELF is ELF64, which a loader
 * need not parse (and the entry must be the 32-bit entry32 anyway).
 */
#include "boot/multiboot.h"

	.section .mb_header, "a"
	.balign MULTIBOOT2_TAG_ALIGN
mb2_header:
	.long MULTIBOOT2_HEADER_MAGIC
	.long MULTIBOOT2_ARCH_I386
	.long mb2_header_end - mb2_header	/* header_length */
	.long -(MULTIBOOT2_HEADER_MAGIC + MULTIBOOT2_ARCH_I386 + (mb2_header_end - mb2_header))

	/* Tags: u16 type, u16 flags (0: required), u32 size, body; each 8-aligned. */
	.balign MULTIBOOT2_TAG_ALIGN
	.short MULTIBOOT2_HEADER_TAG_ADDRESS, 0
	.long MULTIBOOT2_HEADER_TAG_ADDRESS_SIZE
	.long mb2_header	/* header_addr */
	.long __image_start	/* load_addr */
	.long __load_end	/* load_end_addr */
	.long __image_end	/* bss_end_addr */

	.balign MULTIBOOT2_TAG_ALIGN
	.short MULTIBOOT2_HEADER_TAG_ENTRY_ADDRESS, 0
	.long MULTIBOOT2_HEADER_TAG_ENTRY_SIZE
	.long entry32		/* entry_addr */

	.balign MULTIBOOT2_TAG_ALIGN
	.short MULTIBOOT2_HEADER_TAG_END, 0
	.long 8
mb2_header_end:
