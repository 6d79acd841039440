/* Starting the application processors (INIT-SIPI-SIPI through a low trampoline). */
#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include <stdbool.h>
#include <stdint.h>

/* How long an AP has to report after its second SIPI. */
#define SMP_AP_TIMEOUT_US 200000

/*
 * Starts every CPU in apic_ids other than the caller's, one at a time,
 * through a trampoline copied to trampoline_pa (below 1 MiB). Each AP enters
 * long mode and calls ap_main(index). APs that do not report in time are
 * named on the console and left out. Returns the number of CPUs online,
 * the caller included.
 */
uint32_t smp_start_aps(const uint32_t *apic_ids, uint32_t count, uint64_t trampoline_pa);

/* Size of the real-mode trampoline in bytes. */
uint64_t smp_trampoline_size(void);

/* Called by an AP once it is fully set up. */
void smp_ap_report_online(void);
/* Called by an AP when its bring-up work is done and it idles. */
void smp_ap_park(void);

/* How long the BSP waits for every online AP to park (or finish panicking). */
#define SMP_SETTLE_TIMEOUT_US 1000000
/*
 * BSP: waits until every online AP has parked or panicked and no panic
 * report is still being printed. Returns false on timeout.
 */
bool smp_wait_settled(void);

#endif
