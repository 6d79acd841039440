/* vCPU time slices on the hardware: see slice.h. */
#include "vcpu/slice.h"

#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/idt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/tsc.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/cmdline.h"
#include "lib/console.h"
#include "vcpu/vcpu.h"

#define SLICE_MS_DEFAULT 10
#define SLICE_MS_MAX     1000

static enum slice_mode mode = SLICE_NONE;
static uint64_t slice_tsc;
static uint32_t timer_value;
static bool rdtsc_exits, nmi_kicks;

void slice_init(const char *cmdline)
{
	uint64_t ms = SLICE_MS_DEFAULT;
	struct slice_caps caps = {
	        .allow_timer = cmdline_get_bool(cmdline, "preemption_timer", true),
	        .timer = cpu_has_vmx_preemption_timer(),
	        .timer_save = cpu_has_vmx_save_preemption_timer(),
	        .timer_max_ms =
	                vmx_preemption_timer_max_ms(vmx_caps.preemption_timer_rate, tsc_khz()),
	        .tsc_deadline = cpu_has_tsc_deadline(),
	};

	if (cmdline_get_u64(cmdline, "slice_ms", &ms) && (ms == 0 || ms > SLICE_MS_MAX)) {
		console_printf("umbra: sched: slice_ms=%lu is out of range (1 to %u): using %u\n",
		               ms, SLICE_MS_MAX, SLICE_MS_DEFAULT);
		ms = SLICE_MS_DEFAULT;
	}
	mode = slice_choose_mode(&caps);
	slice_tsc = ms * tsc_khz();
	timer_value = slice_timer_value(slice_tsc, vmx_caps.preemption_timer_rate);
	rdtsc_exits = mode == SLICE_LAPIC_DEADLINE &&
	              vmx_caps_allowed1(vmx_caps.proc_ctls, CPU_BASED_RDTSC_EXITING);
	nmi_kicks = mode == SLICE_LAPIC_DEADLINE;
	if (nmi_kicks)
		trap_nmi_is_kick();
	console_printf("umbra: sched: %lu ms slices, ended by %s (preemption timer: %s, max "
	               "delay %lu ms)\n",
	               ms, slice_mode_name(mode),
	               !caps.timer         ? "absent"
	               : !caps.timer_save  ? "cannot save its value"
	               : !caps.allow_timer ? "off by preemption_timer=0"
	                                   : "usable",
	               caps.timer_max_ms);
}

uint32_t slice_pin_controls(void)
{
	return mode == SLICE_PREEMPTION_TIMER ? PIN_BASED_VMX_PREEMPTION_TIMER : 0;
}

uint32_t slice_exit_controls(void)
{
	/* Saved on exit, the timer counts guest time across exits with no VMWRITE. */
	return mode == SLICE_PREEMPTION_TIMER ? VM_EXIT_SAVE_VMX_PREEMPTION_TIMER : 0;
}

void slice_kick_cpu(uint32_t apic_id)
{
	lapic_send_fixed(apic_id, VECTOR_WAKEUP);
	if (nmi_kicks)
		lapic_send_nmi(apic_id);
}

void slice_cpu_init(void)
{
	/* Also wakes an idle CPU for a halted vCPU's timer (sched.c), whatever ends slices. */
	if (cpu_has_tsc_deadline())
		lapic_deadline_timer_init(VECTOR_SLICE);
}

/*
 * Bochs does not let a host interrupt exit a guest entered with IF=0 until
 * the guest changes IF (docs/bochs.md): in a slice, RDTSC and RDTSCP exit
 * too, so a guest that waits on the TSC with IF=0 still reaches an exit,
 * where the slice's end is seen (vcpu_run). vmcs01 only: vmcs02 takes its
 * controls from L1's vmcs12 and Umbra's base (nested/vmcs02.c).
 */
static void slice_rdtsc_exits(struct vcpu *v)
{
	if (!rdtsc_exits || v->loaded != &v->vmcs)
		return;
	if (v->slice_end != UINT64_MAX)
		exec_controls_setbit(&v->vmcs, CPU_BASED_RDTSC_EXITING);
	else
		exec_controls_clearbit(&v->vmcs, CPU_BASED_RDTSC_EXITING);
}

/* Out of line: slice_arm's timer path (Bochs', every switch of the nested round trip) keeps no frame. */
static __attribute__((noinline)) void slice_arm_lapic(struct vcpu *v, uint64_t next)
{
	lapic_deadline_arm(next == UINT64_MAX ? 0 : next);
	slice_rdtsc_exits(v);
}

void slice_arm(struct vcpu *v, uint64_t now)
{
	uint64_t next = v->slice_end < v->timer_next ? v->slice_end : v->timer_next;

	/* In L2, the L1's own preemption timer may come first (nested/nested.c). */
	if (v->nested.in_l2 && v->nested.l1_timer_deadline < next)
		next = v->nested.l1_timer_deadline;

	v->next_event = next;
	if (mode == SLICE_PREEMPTION_TIMER) {
		uint32_t value = SLICE_TIMER_SOFT_DISABLED;

		if (next != UINT64_MAX)
			value = slice_timer_value(next > now ? next - now : 0,
			                          vmx_caps.preemption_timer_rate);
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, value);
	} else if (mode == SLICE_LAPIC_DEADLINE) {
		slice_arm_lapic(v, next);
	}
}

void slice_begin(struct vcpu *v, bool alone, uint64_t now)
{
	v->yield = false;
	v->slice_end = alone ? UINT64_MAX : now + slice_tsc;
	/* Mostly a whole slice before the APIC timer, outside L2: slice_arm()'s value, known. */
	if (mode == SLICE_PREEMPTION_TIMER && !alone && v->slice_end <= v->timer_next &&
	    !v->nested.in_l2) {
		v->next_event = v->slice_end;
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, timer_value);
		return;
	}
	slice_arm(v, now);
}

void slice_timer_spurious(struct vcpu *v, uint64_t now)
{
	v->spurious_timer_exits++;
	slice_arm(v, now);
}
