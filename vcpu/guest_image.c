/*
 * Guest kernel images: finding the Multiboot header, deciding how to load,
 * and copying into the VM's RAM. The file is untrusted: every offset and
 * size is checked against the file and the RAM, by subtraction, so nothing
 * can wrap around.
 */
#include "vcpu/guest_image.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boot/multiboot.h"
#include "lib/bytes.h"
#include "lib/fmt.h"
#include "vcpu/linux_boot.h"

/* The few ELF fields used here (System V ABI, x86 and x86-64 supplements). */
#define ELF_EI_CLASS    4
#define ELF_EI_DATA     5
#define ELF_EI_VERSION  6
#define ELF_IDENT_SIZE  16
#define ELF_CLASS32     1
#define ELF_CLASS64     2
#define ELF_DATA_LSB    1
#define ELF_VERSION     1
#define ELF_ET_EXEC     2
#define ELF_EM_386      3
#define ELF_EM_X86_64   62
#define ELF_PT_LOAD     1
#define ELF32_EHDR_SIZE 52
#define ELF64_EHDR_SIZE 64
#define ELF32_PHDR_SIZE 32
#define ELF64_PHDR_SIZE 56

#define GI_4GIB (1ULL << 32)
#define GI_MIB  (1ULL << 20)

/* What the ELF parse learnt beyond the segments, for the entry point. */
struct gi_elf {
	uint64_t e_entry;
	uint64_t vaddr[GUEST_IMAGE_MAX_SEGMENTS]; /* p_vaddr of each img->seg[] */
};

/* Writes prefix then the formatted message into img->error; returns -1. */
static int gi_fail(struct guest_image *img, const char *prefix, const char *fmt,
                   const uint64_t *nums, const char *str)
{
	size_t n = fmt_print(img->error, sizeof(img->error), prefix, NULL, NULL);

	fmt_print(img->error + n, sizeof(img->error) - n, fmt, nums, str);
	return -1;
}

/* "32 MiB", or the exact byte count when it is not whole MiB. */
static void gi_ram_text(char *buf, size_t cap, uint64_t ram_size)
{
	if (ram_size % GI_MIB == 0)
		fmt_print(buf, cap, "%u MiB", (const uint64_t[]){ram_size / GI_MIB}, NULL);
	else
		fmt_print(buf, cap, "%x bytes", &ram_size, NULL);
}

/* [gpa, gpa + size) inside [0, ram_size), without computing a sum that could wrap. */
static bool gi_in_ram(uint64_t gpa, uint64_t size, uint64_t ram_size)
{
	return gpa <= ram_size && size <= ram_size - gpa;
}

/* End of [start, start + size) for messages: saturated, not wrapped. */
static uint64_t gi_end(uint64_t start, uint64_t size)
{
	return start + size < start ? UINT64_MAX : start + size;
}

static bool gi_entry_loaded(const struct guest_image *img, uint64_t entry)
{
	for (uint32_t i = 0; i < img->seg_count; i++)
		if (entry >= img->seg[i].gpa && entry - img->seg[i].gpa < img->seg[i].mem_size)
			return true;
	return false;
}

static int gi_set_entry(struct guest_image *img, uint64_t entry)
{
	if (!gi_entry_loaded(img, entry))
		return gi_fail(img, "", "entry point %x is not inside a loaded segment", &entry,
		               NULL);
	if (entry >= GI_4GIB)
		return gi_fail(img, "", "entry point %x is above 4 GiB", &entry, NULL);
	img->entry = (uint32_t)entry;
	return 0;
}

/*
 * Multiboot header search. MB2 first (8-aligned in the first 32 KiB), then
 * MB1 (4-aligned in the first 8 KiB); a magic whose checksum fails is data,
 * not a header, but it is named if no real header turns up.
 */
static int gi_find_header(const uint8_t *file, uint64_t file_size, struct guest_image *img,
                          uint64_t *hdr_off)
{
	uint64_t bad_proto = 0, bad_off = 0;
	uint64_t lim;

	lim = file_size < MULTIBOOT2_SEARCH ? file_size : MULTIBOOT2_SEARCH;
	for (uint64_t off = 0; off + MULTIBOOT2_HEADER_SIZE <= lim; off += MULTIBOOT2_TAG_ALIGN) {
		const uint8_t *h = file + off;

		if (rd32(h) != MULTIBOOT2_HEADER_MAGIC)
			continue;
		if ((uint32_t)(rd32(h) + rd32(h + 4) + rd32(h + 8) + rd32(h + 12)) == 0) {
			img->protocol = GUEST_MULTIBOOT2;
			*hdr_off = off;
			return 0;
		}
		if (!bad_proto) {
			bad_proto = 2;
			bad_off = off;
		}
	}
	lim = file_size < MULTIBOOT1_SEARCH ? file_size : MULTIBOOT1_SEARCH;
	for (uint64_t off = 0; off + MULTIBOOT1_HEADER_MIN_SIZE <= lim;
	     off += MULTIBOOT1_HEADER_ALIGN) {
		const uint8_t *h = file + off;

		if (rd32(h) != MULTIBOOT1_HEADER_MAGIC)
			continue;
		if ((uint32_t)(rd32(h) + rd32(h + 4) + rd32(h + 8)) == 0) {
			img->protocol = GUEST_MULTIBOOT1;
			*hdr_off = off;
			return 0;
		}
		if (!bad_proto) {
			bad_proto = 1;
			bad_off = off;
		}
	}
	if (bad_proto)
		return gi_fail(img, "", "MB%u header at file offset %x has a bad checksum",
		               (const uint64_t[]){bad_proto, bad_off}, NULL);
	return gi_fail(img, "",
	               "no Multiboot header in the first 8 KiB (MB1) or 32 KiB (MB2): "
	               "not a Multiboot kernel?",
	               NULL, NULL);
}

/*
 * One flat segment from header address fields: the MB1 a.out kludge or the
 * MB2 address tag (where load_addr 0xffffffff means "from file offset 0").
 */
static int gi_flat(struct guest_image *img, const char *what, uint64_t file_size, uint64_t ram_size,
                   uint64_t hdr_off, uint32_t header_addr, uint32_t load_addr, uint32_t load_end,
                   uint32_t bss_end, uint32_t entry)
{
	uint64_t gpa, foff, fsize, msize;
	char ram[32];

	if (img->protocol == GUEST_MULTIBOOT2 && load_addr == MULTIBOOT2_LOAD_ADDR_FILE_START) {
		if (header_addr < hdr_off)
			return gi_fail(img, what,
			               "header_addr %x is below the header's file offset %x",
			               (const uint64_t[]){header_addr, hdr_off}, NULL);
		gpa = header_addr - hdr_off;
		foff = 0;
	} else {
		if (load_addr > header_addr)
			return gi_fail(img, what, "load_addr %x is above header_addr %x",
			               (const uint64_t[]){load_addr, header_addr}, NULL);
		if (header_addr - load_addr > hdr_off)
			return gi_fail(img, what,
			               "load_addr %x would start loading before the file does "
			               "(header at file offset %x, header_addr %x)",
			               (const uint64_t[]){load_addr, hdr_off, header_addr}, NULL);
		gpa = load_addr;
		foff = hdr_off - (header_addr - load_addr);
	}
	if (load_end == 0) {
		fsize = file_size - foff; /* foff <= hdr_off < file_size */
	} else {
		if (load_end < gpa)
			return gi_fail(img, what, "load_end_addr %x is below load_addr %x",
			               (const uint64_t[]){load_end, gpa}, NULL);
		fsize = load_end - gpa;
		if (fsize > file_size - foff)
			return gi_fail(img, what,
			               "load range [%x-%x) extends past the end of the file "
			               "(%u bytes from file offset %x, the file has %u)",
			               (const uint64_t[]){gpa, load_end, fsize, foff, file_size},
			               NULL);
	}
	if (bss_end == 0) {
		msize = fsize;
	} else {
		if (bss_end < gpa + fsize)
			return gi_fail(img, what, "bss_end_addr %x is below the end of the data %x",
			               (const uint64_t[]){bss_end, gpa + fsize}, NULL);
		msize = bss_end - gpa;
	}
	if (msize == 0)
		return gi_fail(img, what, "the address fields describe an empty image", NULL, NULL);
	if (!gi_in_ram(gpa, msize, ram_size)) {
		gi_ram_text(ram, sizeof(ram), ram_size);
		return gi_fail(img, what, "load range [%x-%x) is outside the VM's RAM (%s)",
		               (const uint64_t[]){gpa, gpa + msize}, ram);
	}
	img->seg[0] = (struct guest_segment){gpa, foff, fsize, msize};
	img->seg_count = 1;
	return gi_set_entry(img, entry);
}

static bool gi_is_elf(const uint8_t *file, uint64_t file_size)
{
	return file_size >= 4 && !memcmp(file, "\177ELF", 4);
}

/* The ELF header of a file that starts with the ELF magic: one we can load? */
static int gi_elf_check(struct guest_image *img, const uint8_t *file, uint64_t file_size)
{
	uint8_t cls;
	uint16_t machine, want;

	if (file_size < ELF_IDENT_SIZE)
		return gi_fail(img, "", "ELF header truncated", NULL, NULL);
	cls = file[ELF_EI_CLASS];
	if (cls != ELF_CLASS32 && cls != ELF_CLASS64)
		return gi_fail(img, "", "ELF class %u is neither 32-bit (1) nor 64-bit (2)",
		               (const uint64_t[]){cls}, NULL);
	if (file[ELF_EI_DATA] != ELF_DATA_LSB)
		return gi_fail(img, "", "ELF data encoding %u is not little-endian (1)",
		               (const uint64_t[]){file[ELF_EI_DATA]}, NULL);
	if (file[ELF_EI_VERSION] != ELF_VERSION)
		return gi_fail(img, "", "ELF version %u is not 1",
		               (const uint64_t[]){file[ELF_EI_VERSION]}, NULL);
	if (file_size < (cls == ELF_CLASS64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE))
		return gi_fail(img, "", "ELF header truncated", NULL, NULL);
	if (rd16(file + 16) != ELF_ET_EXEC)
		return gi_fail(img, "", "ELF type %u is not an executable (ET_EXEC, 2)",
		               (const uint64_t[]){rd16(file + 16)}, NULL);
	machine = rd16(file + 18);
	want = cls == ELF_CLASS64 ? ELF_EM_X86_64 : ELF_EM_386;
	if (machine != want)
		return gi_fail(img, "", "ELF%s machine %u is not x86 (want %u)",
		               (const uint64_t[]){machine, want}, cls == ELF_CLASS64 ? "64" : "32");
	return 0;
}

/* Reads one program header of either class into the 64-bit shape. */
static void gi_elf_phdr(const uint8_t *p, bool is64, uint32_t *type, uint64_t *offset,
                        uint64_t *vaddr, uint64_t *paddr, uint64_t *filesz, uint64_t *memsz)
{
	*type = rd32(p);
	if (is64) {
		*offset = rd64(p + 8);
		*vaddr = rd64(p + 16);
		*paddr = rd64(p + 24);
		*filesz = rd64(p + 32);
		*memsz = rd64(p + 40);
	} else {
		*offset = rd32(p + 4);
		*vaddr = rd32(p + 8);
		*paddr = rd32(p + 12);
		*filesz = rd32(p + 16);
		*memsz = rd32(p + 20);
	}
}

/* PT_LOAD segments at p_paddr (Multiboot kernels link their load addresses there). */
static int gi_elf_load(struct guest_image *img, const uint8_t *file, uint64_t file_size,
                       uint64_t ram_size, struct gi_elf *elf)
{
	uint32_t index[GUEST_IMAGE_MAX_SEGMENTS]; /* program header of each segment */
	uint32_t min_phentsize;
	uint16_t phentsize, phnum;
	uint64_t phoff;
	bool is64;

	if (gi_elf_check(img, file, file_size) < 0)
		return -1;
	is64 = file[ELF_EI_CLASS] == ELF_CLASS64;
	min_phentsize = is64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
	if (is64) {
		elf->e_entry = rd64(file + 24);
		phoff = rd64(file + 32);
		phentsize = rd16(file + 54);
		phnum = rd16(file + 56);
	} else {
		elf->e_entry = rd32(file + 24);
		phoff = rd32(file + 28);
		phentsize = rd16(file + 42);
		phnum = rd16(file + 44);
	}
	if (phnum == 0)
		return gi_fail(img, "", "ELF file has no program headers", NULL, NULL);
	if (phentsize < min_phentsize)
		return gi_fail(img, "", "ELF program header size %u is too small (want %u)",
		               (const uint64_t[]){phentsize, min_phentsize}, NULL);
	/* phnum * phentsize < 2^32: no overflow in 64 bits. */
	if (phoff > file_size || (uint64_t)phnum * phentsize > file_size - phoff)
		return gi_fail(img, "", "ELF program headers extend past the end of the file", NULL,
		               NULL);

	for (uint32_t i = 0; i < phnum; i++) {
		uint32_t type;
		uint64_t offset, vaddr, paddr, filesz, memsz;
		char ram[32];

		gi_elf_phdr(file + phoff + (uint64_t)i * phentsize, is64, &type, &offset, &vaddr,
		            &paddr, &filesz, &memsz);
		if (type != ELF_PT_LOAD)
			continue;
		if (filesz > memsz)
			return gi_fail(img, "",
			               "ELF segment %u has more file bytes (%x) than memory (%x)",
			               (const uint64_t[]){i, filesz, memsz}, NULL);
		if (memsz == 0)
			continue;
		if (filesz == 0)
			offset = 0; /* nothing read: an odd p_offset does not matter */
		else if (offset > file_size || filesz > file_size - offset)
			return gi_fail(img, "", "ELF segment %u extends past the end of the file",
			               (const uint64_t[]){i}, NULL);
		if (!gi_in_ram(paddr, memsz, ram_size)) {
			gi_ram_text(ram, sizeof(ram), ram_size);
			return gi_fail(img, "",
			               "ELF segment %u [%x-%x) is outside the VM's RAM (%s)",
			               (const uint64_t[]){i, paddr, gi_end(paddr, memsz)}, ram);
		}
		if (img->seg_count == GUEST_IMAGE_MAX_SEGMENTS)
			return gi_fail(img, "", "more than %u loadable ELF segments",
			               (const uint64_t[]){GUEST_IMAGE_MAX_SEGMENTS}, NULL);
		index[img->seg_count] = i;
		elf->vaddr[img->seg_count] = vaddr;
		img->seg[img->seg_count++] = (struct guest_segment){paddr, offset, filesz, memsz};
	}
	if (img->seg_count == 0)
		return gi_fail(img, "", "ELF file has no loadable segments", NULL, NULL);

	/* Both inside RAM, so the sums below cannot wrap. */
	for (uint32_t a = 0; a < img->seg_count; a++) {
		for (uint32_t b = a + 1; b < img->seg_count; b++) {
			const struct guest_segment *x = &img->seg[a], *y = &img->seg[b];

			if (x->gpa < y->gpa + y->mem_size && y->gpa < x->gpa + x->mem_size)
				return gi_fail(img, "", "ELF segments %u and %u overlap",
				               (const uint64_t[]){index[a], index[b]}, NULL);
		}
	}
	return 0;
}

/*
 * e_entry is a link-time (virtual) address: as GRUB does, translate it
 * through the segment whose p_vaddr range holds it. Otherwise it must be a
 * physical address inside a segment.
 */
static int gi_elf_entry(struct guest_image *img, const struct gi_elf *elf)
{
	for (uint32_t i = 0; i < img->seg_count; i++) {
		uint64_t delta = elf->e_entry - elf->vaddr[i];

		if (elf->e_entry >= elf->vaddr[i] && delta < img->seg[i].mem_size)
			return gi_set_entry(img, img->seg[i].gpa + delta);
	}
	if (elf->e_entry >= GI_4GIB)
		return gi_fail(img, "", "64-bit ELF entry %x above 4 GiB", &elf->e_entry, NULL);
	return gi_set_entry(img, elf->e_entry);
}

static const char *gi_mb2_tag_name(uint16_t type)
{
	switch (type) {
	case MULTIBOOT2_HEADER_TAG_FRAMEBUFFER: return "framebuffer";
	case MULTIBOOT2_HEADER_TAG_EFI_BS: return "EFI boot services";
	case MULTIBOOT2_HEADER_TAG_ENTRY_ADDRESS_EFI32: return "EFI i386 entry address";
	case MULTIBOOT2_HEADER_TAG_ENTRY_ADDRESS_EFI64: return "EFI amd64 entry address";
	default: return "unknown";
	}
}

struct gi_mb2_tags {
	bool have_addr, have_entry;
	uint32_t header_addr, load_addr, load_end, bss_end, entry;
};

/* Walks the MB2 header's tags (8-aligned, each inside header_length, up to the end tag). */
static int gi_mb2_header(struct guest_image *img, const uint8_t *file, uint64_t file_size,
                         uint64_t hdr_off, struct gi_mb2_tags *t)
{
	const uint8_t *h = file + hdr_off;
	uint32_t arch = rd32(h + 4), len = rd32(h + 8);
	uint64_t pos;

	if (arch != MULTIBOOT2_ARCH_I386)
		return gi_fail(img, "", "MB2 header is for architecture %u, not i386 (0)",
		               (const uint64_t[]){arch}, NULL);
	if (len < MULTIBOOT2_HEADER_SIZE + 8)
		return gi_fail(img, "", "MB2 header_length %u is too small",
		               (const uint64_t[]){len}, NULL);
	if (len > file_size - hdr_off)
		return gi_fail(img, "",
		               "MB2 header at file offset %x runs past the end of the file",
		               &hdr_off, NULL);
	if (len > MULTIBOOT2_SEARCH - hdr_off)
		return gi_fail(img, "", "MB2 header at file offset %x runs past the first 32 KiB",
		               &hdr_off, NULL);

	/* len <= 32 KiB, so pos never wraps. */
	for (pos = MULTIBOOT2_HEADER_SIZE;;) {
		uint16_t type, flags;
		uint32_t size;

		if (pos >= len || len - pos < 8)
			return gi_fail(img, "", "MB2 header has no end tag", NULL, NULL);
		type = rd16(h + pos);
		flags = rd16(h + pos + 2);
		size = rd32(h + pos + 4);
		const uint64_t at[] = {type, hdr_off + pos, size, len};

		if (size < 8)
			return gi_fail(img, "", "MB2 header tag %u at file offset %x: size %u < 8",
			               at, NULL);
		if (size > len - pos)
			return gi_fail(img, "",
			               "MB2 header tag %u at file offset %x: size %u runs past "
			               "header_length %u",
			               at, NULL);
		switch (type) {
		case MULTIBOOT2_HEADER_TAG_END: return 0;
		case MULTIBOOT2_HEADER_TAG_ADDRESS:
			if (t->have_addr)
				return gi_fail(img, "", "MB2 header has two address tags", NULL,
				               NULL);
			if (size < MULTIBOOT2_HEADER_TAG_ADDRESS_SIZE)
				return gi_fail(img, "", "MB2 address tag: size %u < 24",
				               (const uint64_t[]){size}, NULL);
			t->have_addr = true;
			t->header_addr = rd32(h + pos + 8);
			t->load_addr = rd32(h + pos + 12);
			t->load_end = rd32(h + pos + 16);
			t->bss_end = rd32(h + pos + 20);
			break;
		case MULTIBOOT2_HEADER_TAG_ENTRY_ADDRESS:
			if (t->have_entry)
				return gi_fail(img, "", "MB2 header has two entry address tags",
				               NULL, NULL);
			if (size < MULTIBOOT2_HEADER_TAG_ENTRY_SIZE)
				return gi_fail(img, "", "MB2 entry address tag: size %u < 12",
				               (const uint64_t[]){size}, NULL);
			t->have_entry = true;
			t->entry = rd32(h + pos + 8);
			break;
		/*
		 * Satisfied as they are: the info Umbra always gives (cmdline,
		 * memory map, loader name, meminfo) is what guests ask for, the
		 * console is serial, there are no modules to align, and loading
		 * at the linked address is a valid choice for a relocatable image.
		 */
		case MULTIBOOT2_HEADER_TAG_INFO_REQUEST:
		case MULTIBOOT2_HEADER_TAG_CONSOLE_FLAGS:
		case MULTIBOOT2_HEADER_TAG_MODULE_ALIGN:
		case MULTIBOOT2_HEADER_TAG_RELOCATABLE: break;
		default:
			if (!(flags & MULTIBOOT2_HEADER_TAG_OPTIONAL))
				return gi_fail(img, "",
				               "MB2 header tag %u (%s) is required but Umbra does "
				               "not support it",
				               at, gi_mb2_tag_name(type));
			break;
		}
		pos += (size + 7) & ~7U;
	}
}

/* A kernel without the header's address fields: it must be an ELF file, loaded as such. */
static int gi_elf_or_fail(struct guest_image *img, const uint8_t *file, uint64_t file_size,
                          uint64_t ram_size, bool is_elf, struct gi_elf *elf)
{
	if (!is_elf)
		return gi_fail(img, "",
		               "not an ELF file and no address fields in the Multiboot "
		               "header",
		               NULL, NULL);
	memset(elf, 0, sizeof(*elf));
	return gi_elf_load(img, file, file_size, ram_size, elf);
}

static int gi_mb1(struct guest_image *img, const uint8_t *file, uint64_t file_size,
                  uint64_t ram_size, uint64_t hdr_off, bool is_elf)
{
	const uint8_t *h = file + hdr_off;
	uint32_t flags = rd32(h + MULTIBOOT1_HEADER_OFF_FLAGS);
	/* Video mode (bit 2) is only a preference: the guest gets no framebuffer. */
	uint32_t unsupported =
	        flags & MULTIBOOT1_HEADER_REQUIRED &
	        ~(uint32_t)(MULTIBOOT1_HEADER_PAGE_ALIGN | MULTIBOOT1_HEADER_MEMORY_INFO |
	                    MULTIBOOT1_HEADER_VIDEO_MODE);
	struct gi_elf elf;

	if (unsupported)
		return gi_fail(img, "", "MB1 header requests unsupported flag bits %x",
		               (const uint64_t[]){unsupported}, NULL);
	if (flags & MULTIBOOT1_HEADER_AOUT_KLUDGE) {
		if (MULTIBOOT1_HEADER_AOUT_SIZE > file_size - hdr_off)
			return gi_fail(img, "",
			               "MB1 header at file offset %x is cut off by the end of the "
			               "file",
			               &hdr_off, NULL);
		return gi_flat(img, "MB1 header: ", file_size, ram_size, hdr_off,
		               rd32(h + MULTIBOOT1_HEADER_OFF_HEADER_ADDR),
		               rd32(h + MULTIBOOT1_HEADER_OFF_LOAD_ADDR),
		               rd32(h + MULTIBOOT1_HEADER_OFF_LOAD_END_ADDR),
		               rd32(h + MULTIBOOT1_HEADER_OFF_BSS_END_ADDR),
		               rd32(h + MULTIBOOT1_HEADER_OFF_ENTRY_ADDR));
	}
	if (gi_elf_or_fail(img, file, file_size, ram_size, is_elf, &elf) < 0)
		return -1;
	return gi_elf_entry(img, &elf);
}

static int gi_mb2(struct guest_image *img, const uint8_t *file, uint64_t file_size,
                  uint64_t ram_size, uint64_t hdr_off, bool is_elf)
{
	struct gi_mb2_tags t;
	struct gi_elf elf;

	memset(&t, 0, sizeof(t));
	if (gi_mb2_header(img, file, file_size, hdr_off, &t) < 0)
		return -1;
	if (t.have_addr) {
		/* As GRUB: the address tag says where, only the entry tag says where to start. */
		if (!t.have_entry)
			return gi_fail(img, "", "MB2 address tag without an entry address tag",
			               NULL, NULL);
		return gi_flat(img, "MB2 address tag: ", file_size, ram_size, hdr_off,
		               t.header_addr, t.load_addr, t.load_end, t.bss_end, t.entry);
	}
	if (gi_elf_or_fail(img, file, file_size, ram_size, is_elf, &elf) < 0)
		return -1;
	return t.have_entry ? gi_set_entry(img, t.entry) : gi_elf_entry(img, &elf);
}

static bool gi_is_bzimage(const uint8_t *file, uint64_t file_size)
{
	return file_size >= LINUX_HEADER + 4 && rd32(file + LINUX_HEADER) == LINUX_HEADER_MAGIC;
}

/* A Linux bzImage: one segment, the protected-mode kernel with its init_size of room. */
static int gi_linux(struct guest_image *img, const uint8_t *file, uint64_t file_size,
                    uint64_t ram_size)
{
	uint64_t version, setup, load, size, room;
	char ram[32];

	img->protocol = GUEST_LINUX;
	if (file_size < LINUX_HEADER_MIN_SIZE)
		return gi_fail(img, "Linux bzImage: ", "truncated setup header", NULL, NULL);
	version = rd16(file + LINUX_VERSION);
	if (rd16(file + LINUX_BOOT_FLAG) != LINUX_BOOT_FLAG_VALUE)
		return gi_fail(img, "Linux bzImage: ", "no boot flag 0xaa55", NULL, NULL);
	if (version < LINUX_MIN_VERSION)
		return gi_fail(img, "Linux bzImage: ",
		               "boot protocol %x is too old (2.12, 0x20c, or later needed)",
		               &version, NULL);
	if (!(file[LINUX_LOADFLAGS] & LINUX_LOADED_HIGH))
		return gi_fail(img, "Linux bzImage: ", "not a bzImage (a zImage loads low)", NULL,
		               NULL);
	setup = file[LINUX_SETUP_SECTS] ? file[LINUX_SETUP_SECTS] : 4;
	setup = (setup + 1) * 512;
	if (setup >= file_size)
		return gi_fail(img, "Linux bzImage: ",
		               "no protected-mode kernel after %x bytes of setup", &setup, NULL);
	size = file_size - setup;
	room = rd32(file + LINUX_INIT_SIZE);
	if (room < size)
		room = size;
	/* A relocatable kernel goes where it prefers (it runs there without moving); else 1 MiB. */
	load = file[LINUX_RELOCATABLE] ? rd32(file + LINUX_PREF_ADDRESS) : GI_MIB;
	if (load < GI_MIB || !gi_in_ram(load, room, ram_size)) {
		uint64_t need[2] = {gi_end(load, room) / GI_MIB + 1, 0};

		gi_ram_text(ram, sizeof(ram), ram_size);
		return gi_fail(img, "Linux bzImage: ",
		               "needs %u MiB of RAM or more for its kernel, the VM has %s", need,
		               ram);
	}
	img->seg[0] = (struct guest_segment){load, setup, size, room};
	img->seg_count = 1;
	img->entry = (uint32_t)load; /* code32_start: the 32-bit entry */
	return 0;
}

int guest_image_parse(const uint8_t *file, uint64_t file_size, uint64_t ram_size,
                      struct guest_image *img)
{
	uint64_t hdr_off;
	bool is_elf;
	int err;

	memset(img, 0, sizeof(*img));
	if (!file)
		return gi_fail(img, "", "no file", NULL, NULL);
	if (gi_is_bzimage(file, file_size)) {
		err = gi_linux(img, file, file_size, ram_size);
	} else if (gi_find_header(file, file_size, img, &hdr_off) < 0) {
		return -1;
	} else if ((is_elf = gi_is_elf(file, file_size)), img->protocol == GUEST_MULTIBOOT2) {
		err = gi_mb2(img, file, file_size, ram_size, hdr_off, is_elf);
	} else {
		err = gi_mb1(img, file, file_size, ram_size, hdr_off, is_elf);
	}
	if (err < 0) {
		img->seg_count = 0;
		return -1;
	}
	img->load_start = UINT64_MAX;
	for (uint32_t i = 0; i < img->seg_count; i++) {
		const struct guest_segment *s = &img->seg[i];

		if (s->gpa < img->load_start)
			img->load_start = s->gpa;
		if (s->gpa + s->mem_size > img->load_end)
			img->load_end = s->gpa + s->mem_size;
	}
	return 0;
}

void guest_image_load(const struct guest_image *img, const uint8_t *file, uint8_t *ram)
{
	for (uint32_t i = 0; i < img->seg_count; i++) {
		const struct guest_segment *s = &img->seg[i];

		memcpy(ram + s->gpa, file + s->file_offset, s->file_size);
		memset(ram + s->gpa + s->file_size, 0, s->mem_size - s->file_size);
	}
}
