/*
 * Shadowed VMCS control setters, generated once per control field. A
 * VMWRITE to a major control makes the next VM entry run every consistency
 * check (several hundred cycles), so a setter writes only when the value
 * differs from the VMCS's shadow, and counts the writes it saved.
 */
#ifndef ARCH_X86_VMX_CONTROLS_H
#define ARCH_X86_VMX_CONTROLS_H

#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"

/*
 * Every bit Umbra itself puts in each control: vmcs01's base
 * (vcpu/vmcs_setup.c, whose required and optional sets are checked against
 * these), the window exits (vcpu/events.c), IA-32e mode (vcpu/cr.c,
 * nested/nested_exit.c), VMCS shadowing (nested/shadow_vmcs.c) and the
 * preemption timer and RDTSC exiting (vcpu/slice.c). A setter given a constant bit outside
 * them does not compile: a bit nobody meant to use, found before it runs.
 * vmcs02's controls, merged with an L1's vmcs12, are not constants and are
 * not checked.
 */
#define PIN_CONTROLS_KNOWN                                                             \
	(PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS | \
	 PIN_BASED_VMX_PREEMPTION_TIMER)
#define EXEC_CONTROLS_KNOWN                                                              \
	(CPU_BASED_HLT_EXITING | CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |  \
	 CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING | CPU_BASED_RDPMC_EXITING | \
	 CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |                      \
	 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS | CPU_BASED_USE_TSC_OFFSETTING |          \
	 CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_NMI_WINDOW_EXITING | CPU_BASED_RDTSC_EXITING)
#define SECONDARY_EXEC_CONTROLS_KNOWN                                       \
	(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |           \
	 SECONDARY_EXEC_UNRESTRICTED_GUEST | SECONDARY_EXEC_ENABLE_RDTSCP | \
	 SECONDARY_EXEC_ENABLE_INVPCID | SECONDARY_EXEC_XSAVES | SECONDARY_EXEC_VMCS_SHADOWING)
#define EXIT_CONTROLS_KNOWN                                                                \
	(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_ACK_INTR_ON_EXIT | VM_EXIT_SAVE_IA32_PAT | \
	 VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER |         \
	 VM_EXIT_SAVE_VMX_PREEMPTION_TIMER | VM_EXIT_SAVE_DEBUG_CONTROLS)
#define ENTRY_CONTROLS_KNOWN                                                      \
	(VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_IA32E_MODE | \
	 VM_ENTRY_LOAD_DEBUG_CONTROLS)

/* True if a constant set of bits lies within known (usable in _Static_assert). */
#define CONTROLS_WITHIN(bits, known) (((bits) & ~(uint32_t)(known)) == 0)

/*
 * Called only where a constant bit outside the known ones reaches a setter:
 * the call survives optimisation and the build fails with this message.
 */
extern void vmx_control_bit_unknown(void) __attribute__((
        error("a constant VMCS control bit Umbra never uses: add it to the *_CONTROLS_KNOWN "
              "mask in arch/x86/vmx/controls.h if it is meant")));

#define BUILD_CONTROLS_SHADOW(name, field, known)                                           \
	static inline __attribute__((always_inline)) void name##_controls_check(uint32_t b) \
	{                                                                                   \
		if (__builtin_constant_p(b) && !CONTROLS_WITHIN(b, known))                  \
			vmx_control_bit_unknown();                                          \
	}                                                                                   \
	static inline __attribute__((always_inline)) void name##_controls_set(              \
	        struct loaded_vmcs *v, uint32_t val)                                        \
	{                                                                                   \
		name##_controls_check(val);                                                 \
		if (v->controls_shadow.name == val) {                                       \
			this_cpu()->vmx_acct->vmwrites_skipped++;                           \
			return;                                                             \
		}                                                                           \
		vmcs_write32(field, val);                                                   \
		v->control_writes.name++;                                                   \
		v->control_writes_all++;                                                    \
		this_cpu()->vmx_acct->control_vmwrites++;                                   \
		v->controls_shadow.name = val;                                              \
	}                                                                                   \
	static inline uint32_t name##_controls_get(const struct loaded_vmcs *v)             \
	{                                                                                   \
		return v->controls_shadow.name;                                             \
	}                                                                                   \
	static inline __attribute__((always_inline)) void name##_controls_setbit(           \
	        struct loaded_vmcs *v, uint32_t b)                                          \
	{                                                                                   \
		name##_controls_check(b);                                                   \
		name##_controls_set(v, v->controls_shadow.name | b);                        \
	}                                                                                   \
	static inline __attribute__((always_inline)) void name##_controls_clearbit(         \
	        struct loaded_vmcs *v, uint32_t b)                                          \
	{                                                                                   \
		name##_controls_check(b);                                                   \
		name##_controls_set(v, v->controls_shadow.name & ~b);                       \
	}

BUILD_CONTROLS_SHADOW(pin, PIN_BASED_VM_EXEC_CONTROL, PIN_CONTROLS_KNOWN)
BUILD_CONTROLS_SHADOW(exec, CPU_BASED_VM_EXEC_CONTROL, EXEC_CONTROLS_KNOWN)
BUILD_CONTROLS_SHADOW(secondary_exec, SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_CONTROLS_KNOWN)
BUILD_CONTROLS_SHADOW(entry, VM_ENTRY_CONTROLS, ENTRY_CONTROLS_KNOWN)
BUILD_CONTROLS_SHADOW(exit, VM_EXIT_CONTROLS, EXIT_CONTROLS_KNOWN)

#undef BUILD_CONTROLS_SHADOW

#endif
