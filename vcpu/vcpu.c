/*
 * The vCPU run loop: enter the guest, account the exit, hand it to its
 * handler, until the VM ends.
 */
#include "vcpu/vcpu.h"

#include <stddef.h>

#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/exit_reason.h"
#include "arch/x86/vmx/vmenter.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "vcpu/events.h"
#include "vcpu/exit_dispatch.h"
#include "vcpu/slice.h"
#include "vcpu/vm.h"

/* #DB, #BP, #OF, #DF, #MC: the exceptions that are not faults. */
#define EXCEPTION_NOT_FAULTS ((1u << 1) | (1u << 3) | (1u << 4) | (1u << 8) | (1u << 18))

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;

	/*
	 * A fault pushes RFLAGS with RF set, so the faulting instruction's own
	 * breakpoint does not fire again on its restart (SDM 6.12.1 and 18.3.1.1);
	 * VM entry pushes RFLAGS as the VMCS holds it. Not for #DB, #BP and #OF
	 * (traps here) nor the aborts #DF and #MC.
	 */
	if (vector < 32 && !((1u << vector) & EXCEPTION_NOT_FAULTS))
		reg_cache_write(&v->regs, REG_RFLAGS,
		                reg_cache_read(&v->regs, REG_RFLAGS) | RFLAGS_RF);
	/* Until the entry that delivers it (events.c clears it), interrupts wait behind it. */
	v->exception_injected = true;
	v->irq_hint = true;
	if (has_error) {
		info |= INTR_INFO_DELIVER_CODE;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

static const char *vm_instruction_error_name(uint32_t err)
{
	switch (err) {
	case 3: return "VMCLEAR with the VMXON pointer";
	case 7: return "invalid control fields";
	case 8: return "invalid host-state fields";
	case 12: return "read-only field";
	case 13: return "VMRESUME with non-launched VMCS";
	default: return "see SDM 31.4";
	}
}

/* A VMfail: true if the vCPU runs on (an L1's vmcs02 failed), false if its VM has ended. */
static __attribute__((noinline, cold)) bool entry_failed(struct vcpu *v,
                                                         enum vmx_enter_result entered)
{
	if (entered == VMX_ENTER_FAIL_VALID && v->nested.in_l2) {
		/* vmcs02, built from an L1's vmcs12: L1's failure, not the VM's end. */
		nested_hw_entry_failed(v, vmcs_read32(VM_INSTRUCTION_ERROR));
		return true;
	}
	if (entered == VMX_ENTER_FAIL_VALID) {
		uint32_t err = vmcs_read32(VM_INSTRUCTION_ERROR);

		vm_end_error(v->vm, "VM entry failed: VMfailValid error %u (%s)", err,
		             vm_instruction_error_name(err));
	} else {
		vm_end_error(v->vm, "VM entry failed: VMfailInvalid (no current VMCS)");
	}
	return false;
}

void vcpu_run(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct percpu *cpu = this_cpu();
	/*
	 * Umbra's time from each exit to the next entry goes to that exit's
	 * bucket: the one the CPU's accounting pointer names (unattributed
	 * until the first exit), which counts its VMREADs and VMWRITEs too.
	 */
	uint64_t exited_at = rdtsc();

	/* Only from ready: another vCPU may have ended the VM since the scheduler looked. */
	enum vm_state ready = VM_READY;
	__atomic_compare_exchange_n(&vm->state, &ready, VM_RUNNING, false, __ATOMIC_ACQ_REL,
	                            __ATOMIC_ACQUIRE);
	/*
	 * CR2 is not in the VMCS. Umbra never takes a page fault (memory is
	 * identity-mapped; a host #PF is fatal), so the guest's CR2 stays in
	 * the register across exits: it is swapped only around the run.
	 */
	write_cr2(v->cr2);
	guest_cpu_state_load(v);
	/*
	 * An INVEPT of another of the VM's vCPUs asked this one to drop roots
	 * (shadow_ept.c): here, on this CPU, before guest mode. One asked while
	 * this loop runs kicks it out of guest mode and of the loop (a
	 * reschedule), so it comes back through here.
	 */
	if (nested_sept_asked(&v->nested))
		nested_sept_shootdown(v);
	while (vm->state != VM_ENDED && !v->yield) {
		if (__builtin_expect(v->irq_hint, 0)) {
			vcpu_events_before_entry(v, exited_at);
			if (v->yield)
				break;
		}
		reg_cache_flush(&v->regs);
		uint64_t spent = rdtsc() - exited_at;

		__asm__("" : "+r"(spent)); /* one add to memory, not a load, two ops and a store */
		this_cpu_vmx_acct()->l0_cycles += spent;

		enum vmx_enter_result entered =
		        vmx_vcpu_enter(&v->gprs, v->loaded, v->loaded->launched);

		if (__builtin_expect(entered != VMX_ENTER_EXITED, 0)) {
			exited_at = rdtsc();
			this_cpu_set_vmx_acct(&cpu->vmx_acct_unattributed);
			if (entry_failed(v, entered))
				continue;
			break;
		}
		exited_at = rdtsc();
		v->loaded->launched = true;
		reg_cache_after_exit(&v->regs);

		/* The exit reason: read once, and counted in the bucket it selects. */
		v->exit_reason = (uint32_t)vmcs_read_uncounted(VM_EXIT_REASON);
		uint32_t basic = vmx_exit_basic(v->exit_reason);
		/* Reasons the SDM may add later share bucket 0. */
		struct umbra_exit_counts *bucket = v->stats.reason;

		if (__builtin_expect(basic < UMBRA_EXIT_REASONS, 1))
			bucket += basic;
		bucket->exits++;
		bucket->vmreads++;
		this_cpu_set_vmx_acct(bucket);
		v->stats.total_exits++;

		/* The slice's end or the APIC timer came: seen first, as the exit took place. */
		if (__builtin_expect(exited_at >= v->next_event, 0)) {
			slice_event(v, exited_at);
			/* The preemption timer set for it (L2's may be L1's too): nothing more. */
			if (v->exit_reason == EXIT_REASON_PREEMPTION_TIMER && !v->nested.in_l2)
				continue;
		}
		if (v->nested.in_l2)
			nested_l2_exit(v);
		else
			vcpu_handle_exit(v);
	}
	v->cr2 = read_cr2();
	this_cpu_vmx_acct()->l0_cycles += rdtsc() - exited_at;
	this_cpu_set_vmx_acct(&cpu->vmx_acct_unattributed);
}
