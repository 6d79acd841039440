#include "vcpu/exit_dispatch.h"

#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/exit_reason.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "lib/console.h"
#include "nested/nested.h"
#include "vcpu/events.h"
#include "vcpu/exits.h"
#include "vcpu/lapic_access.h"
#include "vcpu/mmio_access.h"
#include "vcpu/slice.h"
#include "vcpu/vm.h"
#include "vcpu/vm_irq.h"

void vcpu_mmio_access(struct vcpu *v, uint64_t gpa, uint64_t qual)
{
	/* The xAPIC page is not in the EPT: its reads and writes land here. */
	if (!(qual & EPT_QUAL_FETCH) && (vcpu_lapic_mmio(v, gpa) || vm_irq_ioapic_mmio(v, gpa)))
		return;
	vcpu_empty_mmio(v, gpa, qual);
}

/* Out of line, like every handler: the dispatch stays a jump table with tail calls. */
static __attribute__((noinline)) void handle_ept_violation(struct vcpu *v)
{
	vcpu_mmio_access(v, reg_cache_read(&v->regs, REG_GUEST_PHYSICAL_ADDRESS),
	                 reg_cache_read(&v->regs, REG_EXIT_QUALIFICATION));
}

static __attribute__((noinline)) void handle_external_interrupt(struct vcpu *v)
{
	/*
	 * Acknowledged on exit ("ack interrupt on exit"). Umbra's own vectors
	 * only wake or kick: what they announce is read from shared state.
	 */
	struct percpu *cpu = this_cpu();
	uint32_t info = (uint32_t)reg_cache_read(&v->regs, REG_EXIT_INTR_INFO);

	if ((info & 0xff) == VECTOR_CONSOLE_INPUT)
		console_input_irq();
	lapic_eoi();
	if (cpu->resched) {
		cpu->resched = false;
		v->yield = true;
	}
}

/* Out of line and cold, as the exit that ends the VM: the dispatch keeps no frame of its own. */
static __attribute__((noinline, cold)) void entry_failed(struct vcpu *v, uint32_t basic)
{
	vm_end_error(v->vm, "VM entry failed: %s (exit reason %u, qualification 0x%lx)",
	             basic == EXIT_REASON_INVALID_STATE   ? "invalid guest state"
	             : basic == EXIT_REASON_MSR_LOAD_FAIL ? "MSR loading"
	                                                  : vmx_exit_reason_name(basic),
	             basic, reg_cache_read(&v->regs, REG_EXIT_QUALIFICATION));
}

static __attribute__((noinline, cold)) void unhandled_exit(struct vcpu *v, uint32_t basic)
{
	vm_end_error(v->vm, "unhandled VM exit %u (%s) at rip 0x%lx", basic,
	             vmx_exit_reason_name(basic), reg_cache_read(&v->regs, REG_RIP));
}

/*
 * An NMI exit: with TSC-deadline slices, NMIs are Umbra's kicks (slice.h),
 * read like the wake-up IPI's. The exit left NMIs blocked: unblocked here.
 */
static __attribute__((noinline)) void handle_nmi(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();
	uint32_t info = (uint32_t)reg_cache_read(&v->regs, REG_EXIT_INTR_INFO);

	if ((info & INTR_INFO_TYPE_MASK) != INTR_TYPE_NMI) {
		unhandled_exit(v, EXIT_REASON_EXCEPTION_NMI); /* no exception bitmap: never */
		return;
	}
	nmi_unblock();
	if (cpu->resched) {
		cpu->resched = false;
		v->yield = true;
	}
}

static __attribute__((noinline, cold)) void handle_triple_fault(struct vcpu *v)
{
	vm_end_error(v->vm, "triple fault at rip 0x%lx", reg_cache_read(&v->regs, REG_RIP));
}

/* INVD, MWAIT, MONITOR: no cache to lose, no monitor to arm: these behave as NOPs. */
static __attribute__((noinline)) void handle_as_nop(struct vcpu *v)
{
	vcpu_skip_instruction(v);
}

static void other_exit(struct vcpu *v);

/*
 * By the exit reason as read: most exits set no bit above the basic
 * reason, so they go straight to their handler; other_exit() takes the
 * rest (entry failures, bits such as a pending MTF exit, unknown reasons)
 * and comes back here with the basic reason alone (`masked`).
 */
static inline __attribute__((always_inline)) void dispatch(struct vcpu *v, uint32_t basic,
                                                           bool masked)
{
	switch (basic) {
	case EXIT_REASON_EXTERNAL_INTERRUPT: handle_external_interrupt(v); return;
	case EXIT_REASON_EXCEPTION_NMI: handle_nmi(v); return;
	case EXIT_REASON_TRIPLE_FAULT: handle_triple_fault(v); return;
	case EXIT_REASON_CPUID: vcpu_exit_cpuid(v); return;
	case EXIT_REASON_HLT: vcpu_exit_hlt(v); return;
	case EXIT_REASON_INTERRUPT_WINDOW: vcpu_exit_interrupt_window(v); return;
	case EXIT_REASON_NMI_WINDOW: vcpu_exit_nmi_window(v); return;
	case EXIT_REASON_INVD:
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION: handle_as_nop(v); return;
	case EXIT_REASON_VMCALL: vcpu_exit_hypercall(v); return;
	case EXIT_REASON_VMCLEAR:
	case EXIT_REASON_VMLAUNCH:
	case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMWRITE:
	case EXIT_REASON_VMOFF:
	case EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC: nested_exit_vmx_instruction(v, basic); return;
	case EXIT_REASON_VMRESUME: nested_exit_vmresume(v); return;
	case EXIT_REASON_CR_ACCESS: vcpu_exit_cr_access(v); return;
	case EXIT_REASON_IO_INSTRUCTION: vcpu_exit_io(v); return;
	case EXIT_REASON_MSR_READ: vcpu_exit_msr(v, false); return;
	case EXIT_REASON_MSR_WRITE: vcpu_exit_msr(v, true); return;
	case EXIT_REASON_PREEMPTION_TIMER: slice_exit_preemption_timer(v); return;
	case EXIT_REASON_EPT_VIOLATION: handle_ept_violation(v); return;
	case EXIT_REASON_XSETBV: vcpu_exit_xsetbv(v); return;
	case EXIT_REASON_RDPMC: vcpu_exit_rdpmc(v); return;
	case EXIT_REASON_RDTSC: vcpu_exit_rdtsc(v, false); return;
	case EXIT_REASON_RDTSCP: vcpu_exit_rdtsc(v, true); return;
	default:
		if (masked)
			unhandled_exit(v, basic);
		else
			other_exit(v);
	}
}

static __attribute__((noinline, cold)) void other_exit(struct vcpu *v)
{
	uint32_t reason = v->exit_reason, basic = vmx_exit_basic(reason);

	if (vmx_exit_entry_failed(reason))
		entry_failed(v, basic);
	else if (basic != reason)
		dispatch(v, basic, true);
	else
		unhandled_exit(v, basic);
}

void vcpu_handle_exit(struct vcpu *v)
{
	dispatch(v, v->exit_reason, false);
}
