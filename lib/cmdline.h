/* Command lines of the form "key=value key2 key3=value -- other": looking up keys. */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The next whitespace-separated word at *cursor, which moves past it. False
 * at the end and at a "--" word: what follows is not addressed to this parser.
 */
bool cmdline_next_word(const char **cursor, const char **word, size_t *len);
/* What follows the first "--" word, from its next word on ("" if there is none). */
const char *cmdline_after_dashes(const char *cmdline);
/*
 * Copies the value of `key` (empty for a bare key) into val, NUL-terminated.
 * Returns false if the key is absent or the value does not fit.
 */
bool cmdline_get(const char *cmdline, const char *key, char *val, size_t val_size);
/* Unsigned number (decimal, 0x hex) with an optional K/M/G suffix (binary units). */
bool cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out);
/* "0"/"off"/"no" are false, "1"/"on"/"yes"/bare key are true; absent or bad gives dflt. */
bool cmdline_get_bool(const char *cmdline, const char *key, bool dflt);
/* "", 1/on/yes or 0/off/no into *out; false for anything else. */
bool cmdline_parse_bool(const char *s, bool *out);
bool cmdline_parse_u64(const char *s, uint64_t *out);

#endif
