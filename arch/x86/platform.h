/* Ending a run: emulators get told the verdict, real machines halt. */
#ifndef ARCH_X86_PLATFORM_H
#define ARCH_X86_PLATFORM_H

/*
 * Exit codes written to QEMU's isa-debug-exit port (QEMU's own exit status
 * is then (code << 1) | 1: 1 pass, 3 fail, 5 error).
 */
enum umbra_exit_code {
	UMBRA_EXIT_PASS = 0,
	UMBRA_EXIT_FAIL = 1,
	UMBRA_EXIT_ERROR = 2,
};

__attribute__((noreturn)) void platform_exit(enum umbra_exit_code code);

#endif
