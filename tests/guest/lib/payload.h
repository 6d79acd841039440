/*
 * The self-test payload library: KTAP tests over COM1, a small formatter,
 * exception catching, interrupt handlers, TSC time, the machine's memory
 * map and the Umbra guest ABI. The local APIC driver is apic.h, AP
 * start-up smp.h. tests/guest/README.md describes how a payload uses it.
 */
#ifndef GUEST_LIB_PAYLOAD_H
#define GUEST_LIB_PAYLOAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/umbra_abi.h"
#include "x86.h"

/* ---- the payload and its tests ---- */

/* Each payload names itself once: PAYLOAD("basic"); */
#define PAYLOAD(n) const char payload_name[] = n
extern const char payload_name[];

struct test_desc {
	const char *name;
	void (*fn)(void);
};

/* TEST(name) { ... }: registered in a linker section, run in link order. */
#define TEST(n)                                                                                \
	static void test_##n(void);                                                            \
	static const struct test_desc test_desc_##n                                            \
	        __attribute__((used, section(".payload_tests"), aligned(8))) = {#n, test_##n}; \
	static void test_##n(void)

void test_fail(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * CHECK marks the test failed when cond is false and goes on, so one run
 * shows every broken check as a "# " line; the first reason goes on the
 * "not ok" line. It evaluates to cond. REQUIRE also returns from the test.
 */
#define CHECK(cond, fmt, ...)                                    \
	({                                                       \
		bool __ok = !!(cond);                            \
		if (!__ok)                                       \
			test_fail(__LINE__, fmt, ##__VA_ARGS__); \
		__ok;                                            \
	})
#define REQUIRE(cond, fmt, ...)                       \
	do {                                          \
		if (!CHECK(cond, fmt, ##__VA_ARGS__)) \
			return;                       \
	} while (0)
/* Ends the test as skipped (unless a CHECK already failed it). */
#define SKIP(fmt, ...)                         \
	do {                                   \
		test_skip(fmt, ##__VA_ARGS__); \
		return;                        \
	} while (0)
#define REQUIRE_UMBRA()                                  \
	do {                                             \
		if (!on_umbra())                         \
			SKIP("not running under Umbra"); \
	} while (0)

/* Exit codes (port 0xF4): the harness reads them from QEMU or Umbra. */
#define PAYLOAD_PASS      0
#define PAYLOAD_FAIL      1
#define PAYLOAD_ERROR     2 /* not booted by a Multiboot1 or Multiboot2 loader */
#define PAYLOAD_EXCEPTION 3 /* an unexpected exception ended the run */

/* Ends the run: drains COM1, port 0xF4, then Bochs' shutdown port, then halts. */
void payload_exit(int code) __attribute__((noreturn));
/*
 * The code the run ends with, given the tests' verdict (PAYLOAD_PASS or
 * PAYLOAD_FAIL). The library's weak default returns the verdict; a payload
 * may define its own (exitcode.c).
 */
int payload_exit_code(int verdict);

/* ---- boot information ---- */

/*
 * The Multiboot protocol that started the payload: 1 or 2 (the magic in
 * EAX). The linked header decides it: mb1_header.S or mb2_header.S.
 */
unsigned int bootinfo_protocol(void);
/* The command line (Multiboot1 loaders put the file name first) and loader name. */
const char *bootinfo_cmdline(void);
const char *bootinfo_loader_name(void); /* "Umbra" under Umbra */
/* A Multiboot module the loader gave (up to 16): where it is and its command line. */
struct bootinfo_module {
	uint64_t start, end;
	char cmdline[128];
};
unsigned int bootinfo_module_count(void);
const struct bootinfo_module *bootinfo_module(unsigned int i); /* NULL past the count */
/* key=value from the command line into val; false if absent or longer than size - 1. */
bool cmdline_get(const char *key, char *val, size_t size);
/* A number (decimal or 0x hex) with an optional K, M or G suffix, as Umbra parses mem=. */
bool cmdline_get_u64(const char *key, uint64_t *out);

/* ---- firmware tables (the BIOS's, or Umbra's) ---- */

uint32_t phys_read32(uint64_t pa); /* below 4 GiB: identity-mapped */
bool acpi_checksum_ok(uint64_t pa, uint32_t len);
/* The RSDP in the BIOS area (0xE0000-0xFFFFF), or 0. */
uint64_t acpi_rsdp(void);
/* A table by signature, through the RSDT (every ACPI version has one), or 0. */
uint64_t acpi_table(const char *sig);
/* The MADT's entries in turn: the first with prev NULL; NULL after the last. */
const uint8_t *acpi_madt_entry(uint64_t madt, const uint8_t *prev);

/* ---- output ---- */

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

void serial_init(void);
void serial_putc(char c);
void serial_flush(void);

/* ---- exceptions ---- */

struct exc_info {
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip;    /* the faulting instruction (for traps such as #BP: the next one) */
	uint64_t cr2;    /* #PF only */
	uint64_t rflags; /* as pushed: RF is set for a fault (0 from catch_exception_cpl3) */
};

/*
 * Runs fn(arg). Returns -1 if it returned normally, else the vector of the
 * first exception it raised: fn is abandoned there (as by longjmp) and
 * *info (if not NULL) describes the exception. Calls may nest.
 */
int catch_exception(void (*fn)(void *), void *arg, struct exc_info *info);
const char *exception_name(unsigned int vector);
/*
 * fn handles NMIs (vector 2) from now on, with NMIs blocked until it
 * returns (IRET unblocks them); NULL: an NMI is an unexpected exception.
 */
void nmi_set_handler(void (*fn)(void));

/* ---- interrupts (vectors 32-255; 0-31 are exceptions) ---- */

#define IRQ_VECTOR_FIRST 32
#define IRQ_VECTORS      256

/*
 * A handler runs with interrupts off (interrupt gates, no nesting), on the
 * CPU that took the interrupt; it sends its own EOI (apic_eoi()) if the
 * source wants one. All CPUs share one table: install handlers before
 * starting APs, and use smp_this_cpu() (smp.h) inside for per-CPU state.
 */
typedef void (*irq_handler_t)(unsigned int vector);

/* Installs fn for vector (32-255; NULL: deliveries are only counted, as unhandled). */
void irq_set_handler(unsigned int vector, irq_handler_t fn);
/* Deliveries of vector so far, on all CPUs, handled or not. */
uint64_t irq_count(unsigned int vector);
/* Deliveries with no handler installed, and (if not NULL) the last such vector. */
uint64_t irq_unhandled(unsigned int *last_vector);

static inline void irq_enable(void)
{
	sti();
}

static inline void irq_disable(void)
{
	cli();
}

static inline bool irq_enabled(void)
{
	return read_rflags() & RFLAGS_IF;
}

/*
 * STI; HLT; CLI: waits for an interrupt and runs its handler, then returns
 * with interrupts off. Called with interrupts off, it cannot miss one that
 * arrives after the caller last looked (STI's shadow covers the HLT):
 *   irq_disable(); while (!done) halt_until_interrupt();
 * With nothing to wake it, it never returns.
 */
void halt_until_interrupt(void);

/*
 * The 8259 PICs (ports 0x20/0x21, 0xA0/0xA1): initialised (ICW1-4) to raise
 * vectors vector_base .. vector_base + 15, all masked. Call it before
 * enabling interrupts: a BIOS may leave IRQ 0 unmasked on vector 8.
 */
void pic_init_masked(uint8_t vector_base);

/* ---- time (the TSC) ---- */

/*
 * The TSC's frequency: CPUID 0x15 (crystal and ratio), else CPUID 0x16's
 * base frequency, else an assumed upper bound (TSC_HZ_ASSUMED_MAX), since
 * a guest without those leaves (Umbra's) has nothing to measure against.
 * tsc_hz_source() says which.
 */
#define TSC_HZ_ASSUMED_MAX 5000000000ULL
uint64_t tsc_hz(void);
const char *tsc_hz_source(void);
/*
 * TSC ticks that last at least `us` microseconds: from tsc_hz(), with 25%
 * added when that is CPUID 0x16's nominal frequency. For the SDM's minimum
 * delays and for timeouts, never for measuring.
 */
uint64_t tsc_ticks_at_least_us(uint64_t us);
/* Spins for at least `us` microseconds. */
void tsc_delay_us(uint64_t us);
/*
 * TSC ticks for `periods` one-shot counts of 0xFFFF PIT ticks on the
 * 8254's channel 2 (mode 0, gated on by port 0x61, its output polled at
 * bit 5), as Linux's pit_calibrate_tsc does; 0 if the output never rose.
 */
uint64_t pit_channel2_tsc_ticks(unsigned int periods);

/*
 * Evaluates cond until it holds or `ticks` TSC ticks have passed; true if
 * it held. Interrupts stay as they are (enable them to wait for one).
 */
#define spin_until(cond, ticks)                                 \
	({                                                      \
		uint64_t __end = rdtsc() + (ticks);             \
		bool __held;                                    \
		while (!(__held = !!(cond)) && rdtsc() < __end) \
			cpu_relax();                            \
		__held;                                         \
	})

/* ---- memory ---- */

#define MEM_MAX_RANGES 32

struct mem_range {
	uint64_t start, end; /* [start, end) */
};

/* Usable RAM from the Multiboot info (memory map, else mem_lower/upper or basic meminfo). */
extern struct mem_range mem_usable[MEM_MAX_RANGES];
extern unsigned int mem_usable_count;
/* The end of the highest usable range: the RAM size as Umbra gives it. */
uint64_t mem_ram_top(void);
/* Our image, bss, stack and page tables: [payload_image_start(), payload_image_end()). */
uint64_t payload_image_start(void);
uint64_t payload_image_end(void);
/* Only the first 4 GiB are mapped (identity, 2 MiB pages). */
#define PAYLOAD_MAPPED_END (4ULL << 30)
/*
 * Maps the 1 GiB around addr (below 512 GiB) at its own address with a
 * 1 GiB page. False without 1 GiB pages or past 512 GiB.
 */
bool mem_map_gib(uint64_t addr);

/* ---- Umbra ---- */

/*
 * The CPUID signature leaf (behind CPUID.1:ECX.hypervisor) says Umbra, or
 * the boot loader name does: either sign counts, so a CPUID filter bug
 * fails the CPUID tests instead of skipping every Umbra test.
 */
bool on_umbra(void);

/* VMCALL: only under Umbra (bare, VMCALL raises #UD). */
static inline long umbra_hypercall(unsigned long nr, unsigned long a1, unsigned long a2,
                                   unsigned long a3)
{
	long ret;

	__asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "b"(a1), "c"(a2), "d"(a3) : "memory");
	return ret;
}

/* UMBRA_HC_EXIT_STATS into *s: 0, or a negative UMBRA_E*. */
long umbra_exit_stats(struct umbra_exit_stats *s);

/* ---- seeded randomness and outcome hashes (the differential payloads) ---- */

/* splitmix64: the same sequence from the same state on any CPU. */
uint64_t splitmix64(uint64_t *state);
/* FNV-1a over the 8 bytes of v, continuing hash h. */
uint64_t fnv1a_fold(uint64_t h, uint64_t v);

/* ---- small string helpers (no libc) ---- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
