/*
 * Every bit of CR0, CR3, CR4 and EFER written by a guest (issue 16): the
 * write must fault exactly when the CPU faults, and a write the CPU takes
 * must be taken, never end the VM or make Umbra's next VM entry fail.
 * Each bit is flipped alone from the running state and put back; bits that
 * would take the payload's own footing away when accepted (paging, PAE,
 * SMEP/SMAP on its user-accessible pages, CET, VMX, LA57) are left out.
 * Bare on Bochs the same lines are the reference ("# outcome" lines,
 * tests/system/compare-outcomes.sh).
 */
#include "payload.h"

PAYLOAD("cr_bits");

#define MSR_EFER 0xc0000080

static uint64_t target_value;

static void write_cr0(void *arg)
{
	(void)arg;
	__asm__ volatile("mov %0, %%cr0" : : "r"(target_value) : "memory");
}

static void write_cr3(void *arg)
{
	(void)arg;
	__asm__ volatile("mov %0, %%cr3" : : "r"(target_value) : "memory");
}

static void write_cr4(void *arg)
{
	(void)arg;
	__asm__ volatile("mov %0, %%cr4" : : "r"(target_value) : "memory");
}

static void write_efer(void *arg)
{
	(void)arg;
	wrmsr(MSR_EFER, target_value);
}

static uint64_t read_efer(void)
{
	return rdmsr(MSR_EFER);
}

struct reg {
	const char *name;
	uint64_t (*read)(void);
	void (*write)(void *);
	uint64_t skip; /* bits left out */
};

/*
 * CR0: PE and PG (leaving paging), CR4: PAE (5), VMXE (13: VMX, offered to
 * nested VMs only), SMEP/SMAP (20, 21: the payload's pages are user
 * pages), CET (23), LA57 (12); EFER: LME (8: no change with paging on,
 * faults alike, but LMA follows). CR3: its address bits (a new root).
 */
static const struct reg regs[] = {
        {"cr0", read_cr0, write_cr0, (1ULL << 0) | (1ULL << 31)},
        {"cr4", read_cr4, write_cr4,
         (1ULL << 5) | (1ULL << 12) | (1ULL << 13) | (1ULL << 20) | (1ULL << 21) | (1ULL << 23)},
        {"efer", read_efer, write_efer, 0},
        {"cr3", read_cr3, write_cr3, 0 /* its address bits: maxphyaddr_mask() */},
};

/* Bits 12 up to MAXPHYADDR - 1: a page address. */
static uint64_t address_bits(void)
{
	unsigned int maxphy = 36;

	if (cpuid(0x80000000, 0).eax >= 0x80000008)
		maxphy = cpuid(0x80000008, 0).eax & 0xff;
	return ((1ULL << maxphy) - 1) & ~0xfffULL;
}

TEST(each_bit_faults_as_the_cpu_does)
{
	/* One starting point everywhere: caches on (firmware may leave CD and NW set). */
	target_value = read_cr0() & ~((1ULL << 29) | (1ULL << 30));
	write_cr0(NULL);

	for (unsigned int r = 0; r < sizeof(regs) / sizeof(regs[0]); r++) {
		const struct reg *g = &regs[r];
		uint64_t orig = g->read(), skip = g->skip;

		if (g->write == write_cr3)
			skip = address_bits();
		for (unsigned int b = 0; b < 64; b++) {
			struct exc_info info;
			char label[32];
			int vec;

			if (skip & (1ULL << b))
				continue;
			target_value = orig ^ (1ULL << b);
			vec = catch_exception(g->write, NULL, &info);
			snprintf(label, sizeof(label), "%s_bit%u", g->name, b);
			if (vec >= 0) {
				printf("# outcome %s %s\n", label,
				       exception_name((unsigned int)vec));
				continue;
			}
			printf("# outcome %s ok\n", label);
			/* Taken: put it back (that must work too). */
			target_value = orig;
			vec = catch_exception(g->write, NULL, &info);
			CHECK(vec < 0 && g->read() == orig, "%s: restoring 0x%lx: %s", label, orig,
			      vec < 0 ? "not restored" : exception_name((unsigned int)vec));
		}
	}
}
