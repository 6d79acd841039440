#include "arch/x86/gdt.h"

#include <string.h>

#include "arch/x86/percpu.h"

#define SEG_CODE64         0x00af9a000000ffffULL
#define SEG_DATA           0x00cf92000000ffffULL
#define TSS_TYPE_AVAILABLE 0x89ULL

struct descriptor_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

void gdt_load(struct percpu *cpu)
{
	struct gdt_table *g = &cpu->gdt;
	uint64_t base = (uint64_t)&g->tss;
	uint64_t limit = sizeof(g->tss) - 1;

	memset(g, 0, sizeof(*g));
	g->entries[GDT_SEL_CODE / 8] = SEG_CODE64;
	g->entries[GDT_SEL_DATA / 8] = SEG_DATA;
	g->entries[GDT_SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	                              (TSS_TYPE_AVAILABLE << 40) | (((limit >> 16) & 0xf) << 48) |
	                              (((base >> 24) & 0xff) << 56);
	g->entries[GDT_SEL_TSS / 8 + 1] = base >> 32;

	for (int i = 0; i < IST_COUNT; i++)
		g->tss.ist[i] = (uint64_t)&cpu->ist_stacks[i][IST_STACK_SIZE];
	g->tss.iomap_base = sizeof(g->tss); /* no I/O permission bitmap */

	struct descriptor_ptr ptr = {sizeof(g->entries) - 1, (uint64_t)g->entries};

	__asm__ volatile("lgdt %0\n\t"
	                 "movw %w1, %%ds\n\t"
	                 "movw %w1, %%es\n\t"
	                 "movw %w1, %%ss\n\t"
	                 "pushq %2\n\t"
	                 "leaq 1f(%%rip), %%rax\n\t"
	                 "pushq %%rax\n\t"
	                 "lretq\n"
	                 "1:\n\t"
	                 "ltr %w3"
	                 :
	                 : "m"(ptr), "r"(GDT_SEL_DATA), "i"(GDT_SEL_CODE), "r"(GDT_SEL_TSS)
	                 : "rax", "memory");
}
