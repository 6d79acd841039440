/* Host local APIC, in x2APIC mode when the CPU has it, else xAPIC (MMIO). */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* BSP: choose the mode for every CPU (x2APIC if allowed and supported). */
void lapic_select_mode(bool allow_x2apic);
/* Every CPU: enable its APIC in the chosen mode (never disabled later: Bochs
 * cannot re-enable an APIC once it was software-disabled). */
void lapic_init(void);
bool lapic_x2apic_mode(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_init(uint32_t apic_id);
void lapic_send_sipi(uint32_t apic_id, uint8_t page);
void lapic_send_fixed(uint32_t apic_id, uint8_t vector);
/* An NMI IPI (vcpu/slice.c's kicks, with TSC-deadline slices). */
void lapic_send_nmi(uint32_t apic_id);

/* The timer in TSC-deadline mode (needs CPUID.1:ECX.TSC_DEADLINE), raising `vector`. */
bool lapic_deadline_timer_init(uint8_t vector);
/* One interrupt when the TSC reaches `tsc` (0 disarms). */
void lapic_deadline_arm(uint64_t tsc);

#endif
