#include "arch/x86/idt.h"

#include "arch/x86/gdt.h"
#include "arch/x86/percpu.h"

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

#define GATE_INTERRUPT 0x8e /* present, DPL0, 64-bit interrupt gate */

extern const uint64_t trap_stub_table[256];

static struct idt_gate idt[256] __attribute__((aligned(16)));

static void idt_set_gate(int vector, uint64_t handler, uint8_t ist)
{
	idt[vector] = (struct idt_gate){
	        .offset_low = handler & 0xffff,
	        .selector = GDT_SEL_CODE,
	        .ist = ist,
	        .type_attr = GATE_INTERRUPT,
	        .offset_mid = (handler >> 16) & 0xffff,
	        .offset_high = handler >> 32,
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		idt_set_gate(v, trap_stub_table[v], 0);
	/* Faults that may arrive on a broken stack get known-good ones. */
	idt[VECTOR_DOUBLE_FAULT].ist = IST_DOUBLE_FAULT;
	idt[VECTOR_NMI].ist = IST_NMI;
	idt[VECTOR_MACHINE_CHECK].ist = IST_MACHINE_CHECK;
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = {sizeof(idt) - 1, (uint64_t)idt};

	__asm__ volatile("lidt %0" : : "m"(ptr));
}
