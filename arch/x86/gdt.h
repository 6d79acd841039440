/* Per-CPU GDT with a 64-bit TSS (IST stacks for #DF, NMI, #MC). */
#ifndef ARCH_X86_GDT_H
#define ARCH_X86_GDT_H

#include <stdint.h>

#define GDT_SEL_CODE 0x08
#define GDT_SEL_DATA 0x10
#define GDT_SEL_TSS  0x18
#define GDT_ENTRIES  5 /* null, code, data, TSS (two slots) */

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gdt_table {
	uint64_t entries[GDT_ENTRIES] __attribute__((aligned(16)));
	struct tss64 tss __attribute__((aligned(16)));
};

struct percpu;
/* Builds this CPU's GDT and TSS and loads GDTR, segments and TR. */
void gdt_load(struct percpu *cpu);

#endif
