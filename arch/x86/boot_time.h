/*
 * Boot time: TSC ticks from the loader's hand-off to the last CPU's VMXON
 * and to the boot CPU's first guest entry (docs/performance.md).
 */
#ifndef ARCH_X86_BOOT_TIME_H
#define ARCH_X86_BOOT_TIME_H

#include <stdint.h>

/* The TSC at the first instruction of boot/entry.S, before anything else. */
extern uint64_t boot_tsc_handoff;

/* Each CPU, right after its VMXON succeeded. */
void boot_time_vmx_on(void);
/*
 * The boot CPU, once, as it starts scheduling: its first guest entry
 * follows (a pick and a switch: a context switch's few hundred).
 */
void boot_time_first_entry(void);
/* The boot CPU, after the guests: the `umbra: boot-time` line. */
void boot_time_report(uint32_t vmx_cpus);

#endif
