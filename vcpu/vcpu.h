/* A virtual CPU: its registers, its VMCS, and the VM it belongs to. */
#ifndef VCPU_VCPU_H
#define VCPU_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/x86_bits.h"
#include "lib/spinlock.h"
#include "nested/nested.h"
#include "vcpu/guest_cpu_state.h"
#include "vcpu/platform_msr.h"
#include "vcpu/reg_cache.h"
#include "abi/umbra_abi.h"
#include "arch/x86/vmx/guest_gprs.h"
#include "vcpu/vlapic.h"

struct vm;

/* What a vCPU is doing when it is not in guest mode. */
enum vcpu_state {
	VCPU_RUNNABLE,  /* ready for its CPU */
	VCPU_HALTED,    /* HLT: waits for an interrupt */
	VCPU_WAIT_SIPI, /* an AP after INIT (or from power-on): waits for a SIPI */
};

struct vcpu {
	struct guest_gprs gprs;
	struct reg_cache regs;      /* VMCS-held registers, read lazily */
	struct loaded_vmcs vmcs;    /* vmcs01: the VMCS the VM's own code runs on */
	struct loaded_vmcs *loaded; /* the current one: &vmcs, or the nested vmcs02 while L2 runs */
	struct vm *vm;
	uint32_t id;   /* its index in the VM, and its APIC ID */
	uint16_t vpid; /* one per vCPU: vCPUs sharing a CPU never share TLB entries */
	struct umbra_exit_stats stats;
	uint64_t cr2;                     /* not in the VMCS: swapped around each run (vcpu_run) */
	struct guest_cpu_state cpu_state; /* what else the VMCS does not switch */
	uint32_t exit_reason;             /* read once per exit */
	uint64_t efer;                    /* the guest's EFER as it wrote it */
	struct platform_msrs msrs;        /* TSC offset, MTRRs, ... (platform_msr.c) */
	/* Scheduling (vcpu/sched.c, vcpu/slice.c). */
	/*
	 * The CPU whose run queue holds it: where it runs and where kicks go.
	 * Set at placement, and changed under `lock` when it moves (sched.c).
	 */
	uint32_t cpu;
	bool arrived; /* moved here from another CPU: vcpu_migrate_in() before its next entry */
	volatile enum vcpu_state state;
	bool set_up; /* its VMCS holds its controls, host and entry state */
	bool yield;  /* the slice ended: back to the scheduler */
	bool woken;  /* runnable again after HLT or a SIPI: picked first, once (sched.c) */
	/*
	 * TSC at which the slice ends in wall time (UINT64_MAX: no slice). The
	 * timer counts guest time only; time Umbra spends on the vCPU's exits
	 * is its too, so each exit also checks this.
	 */
	uint64_t slice_end;
	uint64_t next_event; /* min(slice_end, timer_next): the one TSC compare each exit makes */
	uint64_t spurious_timer_exits;
	/* Interrupts (vcpu/events.c); `lock` guards what other vCPUs change: lapic, the wake-ups. */
	struct spinlock lock;
	struct vlapic lapic;
	bool irq_hint;         /* the local APIC may have an interrupt to inject */
	bool halted_with_if;   /* HLT with interrupts enabled: an interrupt wakes it */
	bool halted_apic_only; /* ...only its local APIC's: an L2 halted with IF=0 (L1's exits) */
	bool init_pending;     /* INIT arrived: back to waiting for a SIPI */
	bool nmi_pending;      /* an NMI arrived, not yet delivered (more collapse into it) */
	bool sipi_pending;     /* a SIPI arrived while waiting for one */
	uint8_t sipi_vector;
	int16_t injected;         /* the vector injected at the last VM entry, -1 if none */
	bool exception_injected;  /* this exit injects an exception (cleared at entry) */
	bool start_at_sipi;       /* runnable again after a SIPI: its state is set at switch-in */
	uint64_t timer_next;      /* TSC of the local APIC timer's next expiry (UINT64_MAX: none) */
	struct nested_vmx nested; /* VMX for the guest's own guests (nested=1) */
};

/* Runs the vCPU on this CPU (its VMCS current, its slice begun) until its slice or its VM ends. */
void vcpu_run(struct vcpu *v);

/*
 * Moves RIP past the instruction that caused the current exit (on most
 * exits' path, so inline). Blocking by STI/MOV SS is left as it is: at worst
 * the shadow covers one more instruction, and it never breaks a VM-entry
 * check (blocking by STI implies IF=1).
 */
static inline void vcpu_skip_instruction(struct vcpu *v)
{
	reg_cache_advance_rip(&v->regs);
}

/* General register n (x86 numbering) of the guest: RSP is in the VMCS, the rest in gprs. */
#define VCPU_REG_RSP 4
#define VCPU_REG_RSI 6
#define VCPU_REG_RDI 7
static inline uint64_t vcpu_reg_read(struct vcpu *v, unsigned int n)
{
	return n == VCPU_REG_RSP ? reg_cache_read(&v->regs, REG_RSP) : *guest_gpr(&v->gprs, n);
}

static inline void vcpu_reg_write(struct vcpu *v, unsigned int n, uint64_t val)
{
	if (n == VCPU_REG_RSP)
		reg_cache_write(&v->regs, REG_RSP, val);
	else
		*guest_gpr(&v->gprs, n) = val;
}

/* Makes the next VM entry deliver a hardware exception to the guest. */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);

/* The guest's current privilege level (SS.DPL): one VMREAD, inline (the VMRESUME's short path). */
static inline unsigned int vcpu_cpl(struct vcpu *v)
{
	(void)v;
	return (vmcs_read32(GUEST_SS_AR_BYTES) >> AR_DPL_SHIFT) & 3;
}

#endif
