/*
 * Shadowed VMCS control setters, generated once per control field. A
 * VMWRITE to a major control makes the next VM entry run every consistency
 * check (several hundred cycles), so a setter writes only when the value
 * differs from the VMCS's shadow, and counts the writes it saved.
 */
#ifndef ARCH_X86_VMX_CONTROLS_H
#define ARCH_X86_VMX_CONTROLS_H

#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_ops.h"

#define BUILD_CONTROLS_SHADOW(name, field)                                             \
	static inline void name##_controls_set(struct loaded_vmcs *v, uint32_t val)    \
	{                                                                              \
		if (v->controls_shadow.name == val) {                                  \
			this_cpu()->vmx_acct->vmwrites_skipped++;                      \
			return;                                                        \
		}                                                                      \
		vmcs_write32(field, val);                                              \
		v->control_writes.name++;                                              \
		this_cpu()->vmx_acct->control_vmwrites++;                              \
		v->controls_shadow.name = val;                                         \
	}                                                                              \
	static inline uint32_t name##_controls_get(const struct loaded_vmcs *v)        \
	{                                                                              \
		return v->controls_shadow.name;                                        \
	}                                                                              \
	static inline void name##_controls_setbit(struct loaded_vmcs *v, uint32_t b)   \
	{                                                                              \
		name##_controls_set(v, v->controls_shadow.name | b);                   \
	}                                                                              \
	static inline void name##_controls_clearbit(struct loaded_vmcs *v, uint32_t b) \
	{                                                                              \
		name##_controls_set(v, v->controls_shadow.name & ~b);                  \
	}

BUILD_CONTROLS_SHADOW(pin, PIN_BASED_VM_EXEC_CONTROL)
BUILD_CONTROLS_SHADOW(exec, CPU_BASED_VM_EXEC_CONTROL)
BUILD_CONTROLS_SHADOW(secondary_exec, SECONDARY_VM_EXEC_CONTROL)
BUILD_CONTROLS_SHADOW(entry, VM_ENTRY_CONTROLS)
BUILD_CONTROLS_SHADOW(exit, VM_EXIT_CONTROLS)

#undef BUILD_CONTROLS_SHADOW

#endif
