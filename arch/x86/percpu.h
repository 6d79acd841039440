/*
 * Per-CPU data, reached through the GS base: %gs:0 holds the structure's own
 * address so this_cpu() is a single load.
 */
#ifndef ARCH_X86_PERCPU_H
#define ARCH_X86_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/gdt.h"
#include "abi/umbra_abi.h"

#define MAX_CPUS       64
#define CPU_STACK_SIZE (16 * 1024)
#define IST_STACK_SIZE 4096

enum ist_index { IST_DOUBLE_FAULT = 1, IST_NMI, IST_MACHINE_CHECK, IST_COUNT = 3 };

struct loaded_vmcs;
struct vcpu;

struct percpu {
	struct percpu *self; /* must stay first: read as %gs:0 */
	uint32_t index;
	uint32_t apic_id;
	uint64_t stack_lo, stack_hi; /* this CPU's main stack, for backtraces */
	volatile bool online;
	volatile bool parked;    /* bring-up done, idling */
	volatile bool panicking; /* a panic report is under way or done */
	/* Where VMREAD/VMWRITE counts go: the current exit reason's bucket. */
	struct umbra_exit_counts *vmx_acct;
	struct umbra_exit_counts vmx_acct_unattributed;
	uint64_t vmxon_pa;
	struct loaded_vmcs *current_vmcs; /* the VMCS VMPTRLD made current here */
	volatile bool resched; /* a vCPU placed here became runnable: the running one yields */
	/* Something may have changed for a vCPU placed here: the next pick looks at each one. */
	volatile bool look_all;
	struct vcpu *running; /* the vCPU in vcpu_run() here, if any */
	bool vmx_on;
	struct gdt_table gdt;
	uint8_t ist_stacks[IST_COUNT][IST_STACK_SIZE] __attribute__((aligned(16)));
};

extern struct percpu percpu_area[MAX_CPUS];
extern uint32_t percpu_count;

/* Points GS at percpu_area[index] (the APIC ID is filled in by the caller). */
struct percpu *percpu_setup(uint32_t index);

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/*
 * this_cpu()->vmx_acct in one %gs-relative load instead of two: every
 * counted VMREAD and VMWRITE takes it. The percpu_area input orders the
 * load after stores to any CPU's area (vcpu_run points it at each exit).
 */
static inline struct umbra_exit_counts *this_cpu_vmx_acct(void)
{
	struct umbra_exit_counts *acct;

	__asm__("movq %%gs:%c1, %0"
	        : "=r"(acct)
	        : "i"(__builtin_offsetof(struct percpu, vmx_acct)), "m"(percpu_area));
	return acct;
}

/* Points this CPU's accounting elsewhere, %gs-relative (no this_cpu() load). */
static inline void this_cpu_set_vmx_acct(struct umbra_exit_counts *acct)
{
	__asm__ volatile("movq %1, %%gs:%c2"
	                 : "+m"(percpu_area)
	                 : "r"(acct), "i"(__builtin_offsetof(struct percpu, vmx_acct)));
}

/* True once percpu_setup() ran on this CPU. */
bool percpu_ready(void);

/* Usable before percpu_setup() ran on this CPU (returns 0 then). */
uint32_t this_cpu_index_safe(void);

#endif
