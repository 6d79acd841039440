/* Turning VMX operation on, on every CPU. */
#ifndef ARCH_X86_VMX_VMX_H
#define ARCH_X86_VMX_VMX_H

#include <stdbool.h>

/*
 * BSP, once: reads the VMX capabilities and decides whether Umbra can run
 * guests here. Returns false, with the reason on the console naming what
 * is missing (no VMX, VMX locked off in IA32_FEATURE_CONTROL, a control
 * Umbra needs), if it cannot. hide: Umbra's `vmx_hide=` (vmx_caps_hide),
 * or NULL.
 */
bool vmx_platform_check(const char *hide);

/*
 * Every CPU: IA32_FEATURE_CONTROL (enable and lock if unlocked), CR0/CR4
 * fixed bits, VMXON.
 * Reports the result on the console. Returns true if in VMX operation.
 */
bool vmx_cpu_enable(void);

#endif
