/*
 * Exits through port 0xF4 with the code given as code=N on its command
 * line (default 0), after one passing test: the harness checks that the
 * code reaches Umbra's verdict line (0 = pass, else fail).
 */
#include "payload.h"

PAYLOAD("exitcode");

#define EXIT_CODE_MAX 255 /* port 0xF4 takes one byte */

static uint64_t code;

TEST(exit_code_argument)
{
	char raw[32];

	if (!cmdline_get("code", raw, sizeof(raw))) {
		printf("# no code= on the command line: exiting with 0\n");
		return;
	}
	REQUIRE(cmdline_get_u64("code", &code) && code <= EXIT_CODE_MAX,
	        "code=%s is not a number from 0 to %d", raw, EXIT_CODE_MAX);
	printf("# exiting with code %lu\n", code);
}

/* The requested code once the test passed; a failed test's verdict otherwise. */
int payload_exit_code(int verdict)
{
	return verdict == PAYLOAD_PASS ? (int)code : verdict;
}
