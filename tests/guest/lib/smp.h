/*
 * Starting APs the way an OS does without firmware tables: the BSP copies
 * a real-mode trampoline (trampoline.S) to a free page below 1 MiB and sends
 * each AP INIT, STARTUP, STARTUP with the SDM's delays (at least 10 ms and
 * 200 us, timed with the TSC: tsc_ticks_at_least_us). The AP goes from
 * real mode through 32-bit protected mode to long mode on the BSP's GDT,
 * page tables and IDT, takes a stack of its own, brings its local APIC to
 * the driver's mode (apic_cpu_init) and runs the function it was started
 * with, interrupts off. If that returns, the AP halts (cli; hlt).
 *
 * APs must not print (COM1 is the BSP's) or use catch_exception().
 */
#ifndef GUEST_LIB_SMP_H
#define GUEST_LIB_SMP_H

#include "apic.h"

#define SMP_MAX_CPUS      32
#define SMP_AP_STACK_SIZE 16384
/* The trampoline's page if it is free (usable RAM outside the image). */
#define SMP_TRAMPOLINE_PREFERRED 0x8000

/* Runs on the AP `cpu` (1 .. SMP_MAX_CPUS - 1). */
typedef void (*smp_ap_fn)(unsigned int cpu, void *arg);

/*
 * Registers the BSP as cpu 0 (its APIC must be initialised: apic_cpu_init)
 * and installs the trampoline. The APs' stacks (SMP_MAX_CPUS of
 * SMP_AP_STACK_SIZE) take the usable RAM right after the image. Returns the
 * trampoline's page; 0 if no page below 1 MiB is free usable RAM outside
 * the image, or there is no room for the stacks.
 */
uint64_t smp_init(void);

enum smp_start_result {
	SMP_STARTED,
	SMP_BAD_ARGS,  /* cpu out of range or already used, or smp_init failed */
	SMP_IPI_STUCK, /* an xAPIC ICR never went idle */
	SMP_TIMEOUT,   /* the AP did not report within the timeout */
};

/* What the start-up took, in TSC ticks. */
struct smp_start_times {
	uint64_t init_to_sipi, sipi_to_sipi, sipi_to_online;
};

/*
 * INIT, >= 10 ms, STARTUP, >= 200 us, STARTUP (always both, as the SDM's
 * example does: a started AP ignores the second) to the APIC ID `dest_id`,
 * which then runs fn(cpu, arg); waits at least timeout_us for it to report.
 * *t (if not NULL) gets the measured delays.
 */
enum smp_start_result smp_start_ap(unsigned int cpu, uint32_t dest_id, smp_ap_fn fn, void *arg,
                                   uint64_t timeout_us, struct smp_start_times *t);
const char *smp_start_result_name(enum smp_start_result r);

/* The calling CPU's number (0: the BSP), by its APIC ID; -1 if it has none. */
int smp_this_cpu(void);
bool smp_cpu_online(unsigned int cpu);
/* The APIC ID registered for cpu. */
uint32_t smp_cpu_apic_id(unsigned int cpu);
/* Starts of the trampoline so far (each takes a stack: an AP started twice counts twice). */
unsigned int smp_trampoline_entries(void);
/* APs that reached C with an APIC ID no smp_start_ap() asked for (they halt). */
unsigned int smp_stray_aps(void);

#endif
