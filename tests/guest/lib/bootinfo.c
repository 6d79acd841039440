/*
 * What the Multiboot loader told us, copied at start-up (the info block lies
 * in RAM the tests may overwrite): which protocol started us, the command
 * line, the boot loader name and the modules, from a Multiboot1 info block or Multiboot2
 * tags. Then key=value look-ups in the command line as Umbra parses it:
 * space-separated words, sizes with an optional K, M or G suffix.
 */
#include "boot/multiboot.h"
#include "internal.h"
#include "payload.h"

#define CMDLINE_MAX     256
#define LOADER_NAME_MAX 64
/* A Multiboot2 tag: u32 type, u32 size (header included, not padded), body. */
#define MB2_TAG_HDR_SIZE 8

#define MODULES_MAX 16

static unsigned int protocol;
static struct bootinfo_module modules[MODULES_MAX];
static unsigned int module_count;
static char cmdline[CMDLINE_MAX];
static char loader_name[LOADER_NAME_MAX];

/* Copies the NUL-terminated string at pa, cut to fit (and to max bytes of source). */
static void copy_string(char *dst, size_t size, uint64_t pa, size_t max)
{
	const volatile char *s = (const volatile char *)(uintptr_t)pa;
	size_t i;

	for (i = 0; i + 1 < size && i < max && s[i]; i++)
		dst[i] = s[i];
	dst[i] = '\0';
}

/*
 * Walks the tags after the 8-byte header (u32 total_size, u32 reserved),
 * each 8-aligned, to the end tag, never past total_size: a tag that does
 * not fit ends the walk as the end tag would.
 */
uint64_t mb2_tag_find(uint32_t info_pa, uint32_t type, uint32_t *size)
{
	return mb2_tag_find_after(info_pa, 0, type, size);
}

uint64_t mb2_tag_find_after(uint32_t info_pa, uint64_t after, uint32_t type, uint32_t *size)
{
	uint64_t total = phys_read32(info_pa);
	uint64_t off = sizeof(struct multiboot2_info_header);

	while (off + MB2_TAG_HDR_SIZE <= total) {
		uint32_t t = phys_read32(info_pa + off), sz = phys_read32(info_pa + off + 4);

		if (t == MULTIBOOT2_TAG_END || sz < MB2_TAG_HDR_SIZE || sz > total - off)
			break;
		if (t == type && info_pa + off > after) {
			*size = sz;
			return info_pa + off;
		}
		off += ((uint64_t)sz + 7) & ~7ULL; /* the next tag is 8-aligned */
	}
	return 0;
}

static void bootinfo_init_mb1(uint32_t info_pa)
{
	uint32_t flags = phys_read32(info_pa + MULTIBOOT1_INFO_OFF_FLAGS);
	uint32_t pa;

	pa = phys_read32(info_pa + MULTIBOOT1_INFO_OFF_CMDLINE);
	if ((flags & MULTIBOOT1_INFO_CMDLINE) && pa)
		copy_string(cmdline, sizeof(cmdline), pa, SIZE_MAX);
	pa = phys_read32(info_pa + MULTIBOOT1_INFO_OFF_BOOT_LOADER_NAME);
	if ((flags & MULTIBOOT1_INFO_BOOT_LOADER_NAME) && pa)
		copy_string(loader_name, sizeof(loader_name), pa, SIZE_MAX);
	if (!(flags & MULTIBOOT1_INFO_MODS))
		return;
	pa = phys_read32(info_pa + MULTIBOOT1_INFO_OFF_MODS_ADDR);
	for (uint32_t i = 0; i < phys_read32(info_pa + MULTIBOOT1_INFO_OFF_MODS_COUNT) &&
	                     module_count < MODULES_MAX;
	     i++) {
		uint64_t e = pa + (uint64_t)i * MULTIBOOT1_MODULE_SIZE;
		struct bootinfo_module *m = &modules[module_count++];

		m->start = phys_read32(e);
		m->end = phys_read32(e + 4);
		if (phys_read32(e + 8))
			copy_string(m->cmdline, sizeof(m->cmdline), phys_read32(e + 8), SIZE_MAX);
	}
}

static void bootinfo_init_mb2(uint32_t info_pa)
{
	uint64_t tag;
	uint32_t size;

	/* The string fills the tag after its header, NUL included. */
	tag = mb2_tag_find(info_pa, MULTIBOOT2_TAG_CMDLINE, &size);
	if (tag)
		copy_string(cmdline, sizeof(cmdline), tag + MB2_TAG_HDR_SIZE,
		            size - MB2_TAG_HDR_SIZE);
	tag = mb2_tag_find(info_pa, MULTIBOOT2_TAG_BOOT_LOADER_NAME, &size);
	if (tag)
		copy_string(loader_name, sizeof(loader_name), tag + MB2_TAG_HDR_SIZE,
		            size - MB2_TAG_HDR_SIZE);
	/* Module tags: u32 mod_start, u32 mod_end, the string. */
	for (tag = 0; module_count < MODULES_MAX &&
	              (tag = mb2_tag_find_after(info_pa, tag, MULTIBOOT2_TAG_MODULE, &size));) {
		struct bootinfo_module *m = &modules[module_count++];

		m->start = phys_read32(tag + 8);
		m->end = phys_read32(tag + 12);
		copy_string(m->cmdline, sizeof(m->cmdline), tag + 16, size - 16);
	}
}

unsigned int bootinfo_module_count(void)
{
	return module_count;
}

const struct bootinfo_module *bootinfo_module(unsigned int i)
{
	return i < module_count ? &modules[i] : NULL;
}

void bootinfo_init(unsigned int multiboot, uint32_t info_pa)
{
	protocol = multiboot;
	if (multiboot == 2)
		bootinfo_init_mb2(info_pa);
	else
		bootinfo_init_mb1(info_pa);
}

unsigned int bootinfo_protocol(void)
{
	return protocol;
}

const char *bootinfo_cmdline(void)
{
	return cmdline;
}

const char *bootinfo_loader_name(void)
{
	return loader_name;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The first key=value word wins, as in Umbra's own parser (lib/cmdline.c). */
bool cmdline_get(const char *key, char *val, size_t size)
{
	size_t key_len = strlen(key);
	const char *p = cmdline;

	while (*p) {
		const char *word;
		size_t len;

		while (is_space(*p))
			p++;
		word = p;
		while (*p && !is_space(*p))
			p++;
		len = (size_t)(p - word);
		if (len <= key_len || memcmp(word, key, key_len) || word[key_len] != '=')
			continue;
		len -= key_len + 1;
		if (len + 1 > size)
			return false; /* a cut value would parse as another one */
		memcpy(val, word + key_len + 1, len);
		val[len] = '\0';
		return true;
	}
	return false;
}

static int digit_value(char c, unsigned int base)
{
	int d = -1;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	return d >= 0 && (unsigned int)d < base ? d : -1;
}

bool cmdline_get_u64(const char *key, uint64_t *out)
{
	char buf[32];
	const char *s = buf;
	unsigned int base = 10, shift = 0;
	uint64_t v = 0;
	int d, digits = 0;

	if (!cmdline_get(key, buf, sizeof(buf)))
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; (d = digit_value(*s, base)) >= 0; s++, digits++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	switch (*s) {
	case 'K':
	case 'k':
		shift = 10;
		s++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		s++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		s++;
		break;
	default: break;
	}
	if (!digits || *s || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = v << shift;
	return true;
}
