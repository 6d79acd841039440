#include "lib/cmdline.h"

#include <string.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cmdline_next_word(const char **cursor, const char **word, size_t *len)
{
	const char *p = *cursor;

	while (is_space(*p))
		p++;
	*word = p;
	while (*p && !is_space(*p))
		p++;
	*len = (size_t)(p - *word);
	*cursor = p;
	/* "--" ends the words addressed to the reader: the rest is someone else's. */
	return *len != 0 && !(*len == 2 && (*word)[0] == '-' && (*word)[1] == '-');
}

const char *cmdline_after_dashes(const char *cmdline)
{
	const char *p = cmdline, *word;
	size_t len;

	while (cmdline_next_word(&p, &word, &len))
		;
	if (len == 0)
		return p; /* the end: no "--" */
	while (is_space(*p))
		p++;
	return p;
}

bool cmdline_get(const char *cmdline, const char *key, char *val, size_t val_size)
{
	size_t key_len = strlen(key);
	const char *p = cmdline;
	const char *tok;
	size_t tok_len;

	while (cmdline_next_word(&p, &tok, &tok_len)) {
		if (tok_len < key_len || memcmp(tok, key, key_len) != 0)
			continue;
		if (tok_len == key_len) {
			if (val_size == 0)
				return false;
			val[0] = '\0';
			return true;
		}
		if (tok[key_len] != '=')
			continue;
		size_t v_len = tok_len - key_len - 1;

		if (v_len + 1 > val_size)
			return false;
		memcpy(val, tok + key_len + 1, v_len);
		val[v_len] = '\0';
		return true;
	}
	return false;
}

bool cmdline_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0, base = 10;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++, digits++) {
		uint64_t d;

		if (*s >= '0' && *s <= '9')
			d = (uint64_t)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (uint64_t)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (uint64_t)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (digits == 0)
		return false;
	unsigned shift = 0;

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
	if (*s != '\0' || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = v << shift;
	return true;
}

bool cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out)
{
	char buf[32];

	return cmdline_get(cmdline, key, buf, sizeof(buf)) && cmdline_parse_u64(buf, out);
}

bool cmdline_parse_bool(const char *s, bool *out)
{
	if (s[0] == '\0' || !strcmp(s, "1") || !strcmp(s, "on") || !strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "0") || !strcmp(s, "off") || !strcmp(s, "no"))
		*out = false;
	else
		return false;
	return true;
}

bool cmdline_get_bool(const char *cmdline, const char *key, bool dflt)
{
	char buf[8];
	bool val;

	if (!cmdline_get(cmdline, key, buf, sizeof(buf)) || !cmdline_parse_bool(buf, &val))
		return dflt;
	return val;
}
