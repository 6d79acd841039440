/*
 * The TEST() runner and its KTAP output on COM1: "ok N name",
 * "not ok N name # first failure reason", "ok N name # SKIP reason", with
 * every failed CHECK as a "# " line, and a totals line at the end.
 */
#include "internal.h"
#include "payload.h"

#define REASON_MAX 160

/* The TEST() descriptors, in link order (payload.ld). */
extern const struct test_desc __tests_start[], __tests_end[];

static const struct test_desc *current;
static bool current_failed, current_skipped;
static char current_reason[REASON_MAX];
/* A CHECK outside any test (a payload bug) still fails the run. */
static bool stray_failure;

static unsigned int test_number(const struct test_desc *t)
{
	return (unsigned int)(t - __tests_start) + 1;
}

void ktap_begin(void)
{
	printf("KTAP version 1\n1..%u\n", (unsigned int)(__tests_end - __tests_start));
}

int ktap_run(void)
{
	unsigned int pass = 0, fail = 0, skip = 0;

	for (const struct test_desc *t = __tests_start; t < __tests_end; t++) {
		current = t;
		current_failed = current_skipped = false;
		current_reason[0] = '\0';
		t->fn();
		if (current_failed) {
			printf("not ok %u %s # %s\n", test_number(t), t->name, current_reason);
			fail++;
		} else if (current_skipped) {
			printf("ok %u %s # SKIP %s\n", test_number(t), t->name, current_reason);
			skip++;
		} else {
			printf("ok %u %s\n", test_number(t), t->name);
			pass++;
		}
	}
	current = NULL;
	printf("# Totals: pass:%u fail:%u skip:%u\n", pass, fail, skip);
	return fail || stray_failure ? PAYLOAD_FAIL : PAYLOAD_PASS;
}

void test_fail(int line, const char *fmt, ...)
{
	char msg[REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# %s: line %d: %s\n", current ? current->name : payload_name, line, msg);
	if (!current) {
		stray_failure = true;
		return;
	}
	/* The first failure is usually the cause; later ones its consequences. */
	if (!current_failed)
		memcpy(current_reason, msg, sizeof(msg));
	current_failed = true;
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	if (!current || current_failed)
		return;
	va_start(ap, fmt);
	vsnprintf(current_reason, sizeof(current_reason), fmt, ap);
	va_end(ap);
	current_skipped = true;
}

void ktap_abort(const char *reason)
{
	if (current)
		printf("not ok %u %s # %s\n", test_number(current), current->name, reason);
	else
		printf("# %s: %s\n", payload_name, reason);
	/* The plan promised more lines than follow: parsers count the rest as missing. */
	payload_exit(PAYLOAD_EXCEPTION);
}
