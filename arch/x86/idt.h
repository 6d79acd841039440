/* The IDT (shared by all CPUs) and the frame every trap handler receives. */
#ifndef ARCH_X86_IDT_H
#define ARCH_X86_IDT_H

#include <stdint.h>

/* The exception vectors: x86_bits.h. */
#include "arch/x86/x86_bits.h"

/* Host interrupts of Umbra's own (never a guest's: guests get no host interrupts). */
#define VECTOR_SLICE         0xf0 /* the local APIC timer ended a vCPU's time slice */
#define VECTOR_WAKEUP        0xf1 /* IPI: an idle CPU has work, or every VM has ended */
#define VECTOR_CONSOLE_INPUT 0xf2 /* COM1 received bytes (IRQ 4, when a VM takes input) */
#define VECTOR_SPURIOUS      0xff

/* Layout fixed by the push order in exception_entry.S (lowest address first). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Fills the IDT once (BSP). */
void idt_init(void);
/* Loads IDTR on this CPU. */
void idt_load(void);

/*
 * From now on an NMI that reaches Umbra itself is a kick (vcpu/slice.c),
 * already said in shared state: its handler returns. Before, it is fatal.
 */
void trap_nmi_is_kick(void);

/* Called from exception_entry.S. */
void trap_dispatch(struct trap_frame *frame);

#endif
