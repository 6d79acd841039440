/* Fatal errors: one clear line, then this CPU stops. */
#ifndef LIB_PANIC_H
#define LIB_PANIC_H

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* How many CPUs have panicked: a run with any is not a clean run. */
unsigned panic_count(void);

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond))                                                         \
			panic("CHECK(%s) failed at %s:%d", #cond, __FILE__, __LINE__); \
	} while (0)

#endif
