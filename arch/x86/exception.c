/* What happens on a trap: exceptions are fatal to the CPU, with a full report. */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/extable.h"
#include "arch/x86/idt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "lib/console.h"
#include "lib/panic.h"

static const char *const exception_names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
        "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
        "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static void exception_report(const struct trap_frame *f)
{
	uint32_t cpu = this_cpu_index_safe();

	console_printf("umbra: exception %s (vector %lu) on cpu %u error=0x%lx\n",
	               exception_names[f->vector], f->vector, cpu, f->error_code);
	console_printf("umbra:   rip=0x%016lx cs=0x%lx rflags=0x%lx rsp=0x%016lx ss=0x%lx\n",
	               f->rip, f->cs, f->rflags, f->rsp, f->ss);
	console_printf("umbra:   cr0=0x%lx cr2=0x%016lx cr3=0x%lx cr4=0x%lx\n", read_cr0(),
	               read_cr2(), read_cr3(), read_cr4());
	console_printf("umbra:   rax=0x%016lx rbx=0x%016lx rcx=0x%016lx rdx=0x%016lx\n", f->rax,
	               f->rbx, f->rcx, f->rdx);
	console_printf("umbra:   rsi=0x%016lx rdi=0x%016lx rbp=0x%016lx r8 =0x%016lx\n", f->rsi,
	               f->rdi, f->rbp, f->r8);
	console_printf("umbra:   r9 =0x%016lx r10=0x%016lx r11=0x%016lx r12=0x%016lx\n", f->r9,
	               f->r10, f->r11, f->r12);
	console_printf("umbra:   r13=0x%016lx r14=0x%016lx r15=0x%016lx\n", f->r13, f->r14, f->r15);
}

static bool nmi_is_kick;

void trap_nmi_is_kick(void)
{
	nmi_is_kick = true;
}

void trap_dispatch(struct trap_frame *frame)
{
	if (frame->vector == VECTOR_NMI && nmi_is_kick)
		return;
	if (frame->vector < 32) {
		/*
		 * A listed instruction refused a value it was given (#GP, as
		 * WRMSR and XSETBV refuse): it reports an error. Any other
		 * fault there is a bug, reported as one.
		 */
		uint64_t resume = frame->vector == VECTOR_GP ? extable_resume(frame->rip) : 0;

		if (resume) {
			frame->rip = resume;
			return;
		}
		panic_enter();
		exception_report(frame);
		panic_at(frame->rip, frame->rbp, "unhandled exception %s at rip 0x%lx",
		         exception_names[frame->vector], frame->rip);
	}
	if (frame->vector == VECTOR_SPURIOUS)
		return;
	/* A wake-up, or a slice that ended while the host ran: what they say is already known. */
	if (frame->vector == VECTOR_WAKEUP || frame->vector == VECTOR_SLICE) {
		lapic_eoi();
		return;
	}
	if (frame->vector == VECTOR_CONSOLE_INPUT) {
		console_input_irq();
		lapic_eoi();
		return;
	}
	/* No other device interrupts are routed to the host: note and acknowledge. */
	console_printf("umbra: cpu %u: unexpected interrupt vector %lu\n", this_cpu_index_safe(),
	               frame->vector);
	lapic_eoi();
}
