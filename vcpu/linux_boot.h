/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst): where the
 * setup header sits in a bzImage and what a boot loader writes into the
 * zero page (struct boot_params). Offsets are from the image's start, which
 * is also the zero page's layout for the header's bytes.
 */
#ifndef VCPU_LINUX_BOOT_H
#define VCPU_LINUX_BOOT_H

/* Setup header (in the image and, copied, in the zero page). */
#define LINUX_SETUP_SECTS     0x1f1 /* 0 means 4 */
#define LINUX_BOOT_FLAG       0x1fe /* 0xAA55 */
#define LINUX_HEADER_END_BYTE 0x201 /* the header ends at 0x202 + this byte */
#define LINUX_HEADER          0x202 /* "HdrS" */
#define LINUX_VERSION         0x206
#define LINUX_TYPE_OF_LOADER  0x210
#define LINUX_LOADFLAGS       0x211
#define LINUX_CODE32_START    0x214
#define LINUX_RAMDISK_IMAGE   0x218
#define LINUX_RAMDISK_SIZE    0x21c
#define LINUX_CMD_LINE_PTR    0x228
#define LINUX_INITRD_ADDR_MAX 0x22c
#define LINUX_KERNEL_ALIGN    0x230
#define LINUX_RELOCATABLE     0x234
#define LINUX_CMDLINE_SIZE    0x238
#define LINUX_PREF_ADDRESS    0x258
#define LINUX_INIT_SIZE       0x260
#define LINUX_HEADER_MIN_SIZE 0x268 /* through init_size: protocol 2.10 and later */

#define LINUX_BOOT_FLAG_VALUE 0xaa55
#define LINUX_HEADER_MAGIC    0x53726448 /* "HdrS" */
#define LINUX_MIN_VERSION     0x020c     /* 2.12: xloadflags, 64-bit ramdisk fields */
#define LINUX_LOADED_HIGH     0x01       /* loadflags: the kernel runs at 1 MiB or above */
#define LINUX_LOADER_UNKNOWN  0xff       /* type_of_loader: no registered ID */

/* Zero page (struct boot_params) fields beyond the header. */
#define LINUX_BP_ACPI_RSDP      0x070
#define LINUX_BP_EXT_RAMDISK    0x0c0 /* bits 63:32 of ramdisk_image */
#define LINUX_BP_EXT_RAMDISK_SZ 0x0c4
#define LINUX_BP_EXT_CMD_LINE   0x0c8
#define LINUX_BP_E820_ENTRIES   0x1e8
#define LINUX_BP_E820_TABLE     0x2d0 /* 20-byte entries: base, size, type */
#define LINUX_BP_SIZE           0x1000
#define LINUX_E820_ENTRY        20

#endif
