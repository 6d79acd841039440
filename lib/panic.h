/*
 * Fatal errors: one clear line, then this CPU stops. The interface lives
 * here so that every layer may CHECK(); the platform implements it
 * (arch/x86/panic.c).
 */
#ifndef LIB_PANIC_H
#define LIB_PANIC_H

#include <stdbool.h>
#include <stdint.h>

/* Prints a backtrace from the caller, then the panic line. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/* The same for a trap: the backtrace starts at the interrupted rip/rbp. */
__attribute__((noreturn, format(printf, 3, 4))) void panic_at(uint64_t rip, uint64_t rbp,
                                                              const char *fmt, ...);

/* How many CPUs have panicked: a run with any is not a clean run. */
unsigned panic_count(void);
/* Marks this CPU as panicking (once); traps call it before their report. */
void panic_enter(void);
/* True while some CPU is still printing its panic report. */
bool panic_in_progress(void);

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond))                                                           \
			panic("CHECK(%s) failed at %s:%d", #cond, __FILE__, __LINE__); \
	} while (0)

#endif
