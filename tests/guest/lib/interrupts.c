/*
 * Interrupts 32-255: a C handler per vector, a delivery count per vector
 * (all CPUs together) and a count of deliveries nobody handled. The stubs
 * and the IDT entries are interrupts.S's and exceptions.c's.
 */
#include "internal.h"
#include "payload.h"

/* As irq_common (interrupts.S) lays it out: exceptions.c's exc_frame. */
struct irq_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

void irq_dispatch(struct irq_frame *f);

static irq_handler_t handlers[IRQ_VECTORS];
static uint64_t counts[IRQ_VECTORS];
static uint64_t unhandled;
static unsigned int unhandled_last;

void irq_dispatch(struct irq_frame *f)
{
	unsigned int v = (unsigned int)f->vector;
	irq_handler_t h = __atomic_load_n(&handlers[v], __ATOMIC_ACQUIRE);

	__atomic_add_fetch(&counts[v], 1, __ATOMIC_SEQ_CST);
	if (h) {
		h(v);
		return;
	}
	__atomic_store_n(&unhandled_last, v, __ATOMIC_RELAXED);
	__atomic_add_fetch(&unhandled, 1, __ATOMIC_SEQ_CST);
}

void irq_set_handler(unsigned int vector, irq_handler_t fn)
{
	if (vector >= IRQ_VECTOR_FIRST && vector < IRQ_VECTORS)
		__atomic_store_n(&handlers[vector], fn, __ATOMIC_RELEASE);
}

uint64_t irq_count(unsigned int vector)
{
	return vector < IRQ_VECTORS ? __atomic_load_n(&counts[vector], __ATOMIC_SEQ_CST) : 0;
}

uint64_t irq_unhandled(unsigned int *last_vector)
{
	if (last_vector)
		*last_vector = __atomic_load_n(&unhandled_last, __ATOMIC_RELAXED);
	return __atomic_load_n(&unhandled, __ATOMIC_SEQ_CST);
}

void halt_until_interrupt(void)
{
	/* STI's one-instruction shadow: nothing is delivered before HLT starts waiting. */
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}
