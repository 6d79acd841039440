/*
 * Multiboot2 and Multiboot1 headers. GRUB's `multiboot2` finds the first,
 * loaders that speak only Multiboot1 (iPXE, GRUB's `multiboot`) the second.
 * The v1 header uses the a.out kludge (load addresses given here) so those
 * loaders need not understand ELF64.
 */
#include "boot/multiboot.h"

#define MB1_FLAGS (MULTIBOOT1_HEADER_PAGE_ALIGN | MULTIBOOT1_HEADER_MEMORY_INFO | \
		   MULTIBOOT1_HEADER_AOUT_KLUDGE)

	.section .boot_header, "a"
	.balign 8
mb2_header:
	.long MULTIBOOT2_HEADER_MAGIC
	.long MULTIBOOT2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MULTIBOOT2_HEADER_MAGIC + MULTIBOOT2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* Console flags tag: we have an EGA text console (bit 1), optional. */
	.balign 8
	.short MULTIBOOT2_HEADER_TAG_CONSOLE_FLAGS
	.short 0
	.long 12
	.long 2
	/*
	 * Framebuffer tag, optional, no preferred mode (0x0x0): we can draw on
	 * an RGB framebuffer too (arch/x86/fb_console.c). Without it GRUB forces
	 * text mode whatever gfxpayload says; with it, GRUB sets gfxpayload=auto
	 * when `multiboot2` runs: our grub.cfg files set text on the next line
	 * (left at auto, GRUB 2.06 under Bochs faults before entering us:
	 * docs/boot.md).
	 */
	.balign 8
	.short MULTIBOOT2_HEADER_TAG_FRAMEBUFFER
	.short MULTIBOOT2_HEADER_TAG_OPTIONAL
	.long 20
	.long 0
	.long 0
	.long 0
	.balign 8
	.short MULTIBOOT2_HEADER_TAG_END
	.short 0
	.long 8
mb2_header_end:

	.balign 4
mb1_header:
	.long MULTIBOOT1_HEADER_MAGIC
	.long MB1_FLAGS
	.long -(MULTIBOOT1_HEADER_MAGIC + MB1_FLAGS)
	.long mb1_header	/* header_addr */
	.long __image_start	/* load_addr */
	.long __load_end	/* load_end_addr */
	.long __image_end	/* bss_end_addr */
	.long boot_entry32	/* entry_addr */
