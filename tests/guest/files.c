/*
 * Files a VM was given (issue 12): modules in its Multiboot boot
 * information, in its RAM, each with its own command line. Each module's
 * words say what it must hold: "fill=C size=N" (N bytes of C) or
 * "text=WORD" (it starts with WORD); "-- files=N" says how many. Bare, a
 * loader's module lines give the same (QEMU puts the file's path first).
 */
#include "payload.h"

PAYLOAD("files");

/* key=value among the words of s (a module's command line), into val. */
static bool word_get(const char *s, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);

	while (*s) {
		while (*s == ' ')
			s++;
		const char *w = s;

		while (*s && *s != ' ')
			s++;
		if ((size_t)(s - w) > klen && !memcmp(w, key, klen) && w[klen] == '=') {
			size_t n = (size_t)(s - w) - klen - 1;

			if (n >= size)
				return false;
			memcpy(val, w + klen + 1, n);
			val[n] = '\0';
			return true;
		}
	}
	return false;
}

TEST(every_file_is_there)
{
	uint64_t want = 0;

	cmdline_get_u64("files", &want);
	printf("# %u modules, %lu expected\n", bootinfo_module_count(), want);
	CHECK(bootinfo_module_count() == want, "%u modules, want %lu", bootinfo_module_count(),
	      want);
	for (unsigned int i = 0; i < bootinfo_module_count(); i++) {
		const struct bootinfo_module *m = bootinfo_module(i);
		const uint8_t *p = (const uint8_t *)(uintptr_t)m->start;
		char fill[4], size[16], text[32];

		printf("# module %u at [0x%lx, 0x%lx): '%s'\n", i, m->start, m->end, m->cmdline);
		CHECK(m->start >= 0x100000 && m->end <= mem_ram_top() && m->start <= m->end,
		      "module %u [0x%lx, 0x%lx) is not in usable RAM", i, m->start, m->end);
		CHECK(m->start % 4096 == 0, "module %u at 0x%lx: not page-aligned", i, m->start);
		if (word_get(m->cmdline, "fill", fill, sizeof(fill)) &&
		    word_get(m->cmdline, "size", size, sizeof(size))) {
			uint64_t n = 0, bad = 0;

			for (const char *c = size; *c; c++)
				n = n * 10 + (uint64_t)(*c - '0');
			CHECK(m->end - m->start == n, "module %u: %lu bytes, want %lu", i,
			      m->end - m->start, n);
			for (uint64_t b = 0; b < m->end - m->start; b++)
				bad += p[b] != (uint8_t)fill[0];
			CHECK(bad == 0, "module %u: %lu bytes are not '%c'", i, bad, fill[0]);
		} else if (word_get(m->cmdline, "text", text, sizeof(text))) {
			CHECK(m->end - m->start >= strlen(text) && !memcmp(p, text, strlen(text)),
			      "module %u does not start with '%s'", i, text);
		} else {
			CHECK(false, "module %u: no fill=/size= or text= to check it by", i);
		}
	}
}
