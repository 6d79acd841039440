/*
 * The GDT with ring-3 segments and a TSS, and catch_exception_cpl3()
 * (cpl3.h). The ring transitions are in cpl3.S: an IRETQ to CPL 3, and
 * back through this module's IDT, whose exception gates and return gate
 * (vector CPL3_RETURN_VECTOR, DPL 3, raised by INT from the CPL-3 return
 * address) all land in cpl3_land, which resumes cpl3_enter's caller.
 */
#include "cpl3.h"

#define PAGE_SIZE           4096
#define GDT_ENTRIES         8
#define GDT_START_ENTRIES   4 /* null, code32, data, code64: as entry.S made them */
#define IDT_ENTRIES         256
#define EXC_VECTORS         32
#define CPL3_RETURN_VECTOR  0x80
#define GATE_INTERRUPT_DPL3 0xee00
#define PTE_P               0x1ULL
#define PTE_W               0x2ULL
#define PTE_U               0x4ULL
#define PDE_PS              0x80ULL
#define USER_MAPPED         (1ULL << 30) /* payload.ld links the image at 1 MiB */
#define PAGE_2M             (2ULL << 20)

#define DESC_USER_DATA   0x00cff2000000ffffULL /* P, DPL 3, data RW, 4 GiB */
#define DESC_USER_CODE64 0x00affa000000ffffULL /* P, DPL 3, code ER, L */
#define DESC_TSS_TYPE    0x89ULL               /* P, 64-bit TSS (available) */

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == TSS_LIMIT + 1, "TSS layout");

/* Filled by cpl3_land (cpl3.S): the offsets are fixed there. */
struct cpl3_landing {
	uint64_t vector; /* ~0: fn returned */
	uint64_t error_code;
	uint64_t rip;
	uint64_t cs;
};

extern const uint64_t cpl3_stub_table[EXC_VECTORS];
extern const char cpl3_stub_return[];
int cpl3_enter(void (*fn)(void *), void *arg, uint64_t user_rsp, struct cpl3_landing *out);

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static uint64_t user_pml4[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t user_pdpt[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t user_pd[512] __attribute__((aligned(PAGE_SIZE)));
static uint8_t user_stack[PAGE_SIZE] __attribute__((aligned(16)));
static uint8_t kernel_stack[PAGE_SIZE] __attribute__((aligned(16)));
static bool ready;

static void set_gate(unsigned int vector, uint64_t addr, uint16_t flags)
{
	idt[vector] = idt_gate(addr, GDT_SEL_CODE64, flags);
}

void cpl3_init(void)
{
	struct desc_ptr old, p;
	uint64_t base = (uintptr_t)&tss;

	if (ready)
		return;
	sgdt(&old);
	memcpy(gdt, (const void *)(uintptr_t)old.base, GDT_START_ENTRIES * sizeof(gdt[0]));
	gdt[GDT_SEL_USER_DATA / 8] = DESC_USER_DATA;
	gdt[GDT_SEL_USER_CODE / 8] = DESC_USER_CODE64;
	gdt[GDT_SEL_TSS / 8] = TSS_LIMIT | (base & 0xffffff) << 16 | DESC_TSS_TYPE << 40 |
	                       (base >> 24 & 0xff) << 56;
	gdt[GDT_SEL_TSS / 8 + 1] = base >> 32;
	tss.rsp[0] = (uintptr_t)kernel_stack + sizeof(kernel_stack);
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: IOPL 0 denies all ports at CPL 3 */
	p = (struct desc_ptr){sizeof(gdt) - 1, (uintptr_t)gdt};
	__asm__ volatile("lgdt %0" : : "m"(p) : "memory");
	__asm__ volatile("ltr %w0" : : "r"(GDT_SEL_TSS) : "memory");

	user_pml4[0] = (uintptr_t)user_pdpt | PTE_P | PTE_W | PTE_U;
	user_pdpt[0] = (uintptr_t)user_pd | PTE_P | PTE_W | PTE_U;
	for (uint64_t i = 0; i < USER_MAPPED / PAGE_2M; i++)
		user_pd[i] = i * PAGE_2M | PTE_P | PTE_W | PTE_U | PDE_PS;

	for (unsigned int v = 0; v < EXC_VECTORS; v++)
		set_gate(v, cpl3_stub_table[v], GATE_INTERRUPT);
	set_gate(CPL3_RETURN_VECTOR, (uintptr_t)cpl3_stub_return, GATE_INTERRUPT_DPL3);
	ready = true;
}

uint64_t cpl3_tss_base(void)
{
	return (uintptr_t)&tss;
}

static void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

int catch_exception_cpl3(void (*fn)(void *), void *arg, struct exc_info *info)
{
	struct desc_ptr saved_idt, p = {sizeof(idt) - 1, (uintptr_t)idt};
	struct cpl3_landing out = {0, 0, 0, 0};
	uint64_t cr3 = read_cr3();
	int vector;

	cpl3_init();
	__asm__ volatile("sidt %0" : "=m"(saved_idt) : : "memory");
	lidt(&p);
	write_cr3((uintptr_t)user_pml4);
	vector = cpl3_enter(fn, arg, (uintptr_t)user_stack + sizeof(user_stack), &out);
	write_cr3(cr3);
	lidt(&saved_idt);
	if (vector < 0)
		return -1;
	if (info)
		*info = (struct exc_info){out.vector, out.error_code, out.rip,
		                          out.vector == 14 ? read_cr2() : 0, 0};
	return vector;
}
