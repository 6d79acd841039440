/*
 * AP start-up (smp.h): the trampoline's page and parameters, INIT-SIPI-SIPI,
 * and the AP's way from the trampoline to the function it was started with.
 */
#include "internal.h"
#include "smp.h"

#define PAGE_SIZE      4096ULL
#define LOW_MEMORY_END 0x9f000ULL /* below the EBDA; STARTUP vectors 0xA0-0xBF are reserved */
#define INIT_DELAY_US  10000      /* INIT -> STARTUP */
#define SIPI_DELAY_US  200        /* STARTUP -> STARTUP */
#define EFER_SCE       (1ULL << 0)
#define EFER_LME       (1ULL << 8)
#define EFER_NXE       (1ULL << 11)

/* trampoline.S: the code and the parameter fields, found by their offsets. */
extern const char ap_tramp_start[], ap_tramp_end[], ap_tramp_32[], ap_tramp_64[];
extern const char ap_tramp_gdtr[], ap_tramp_cr0_pe[], ap_tramp_cr0[], ap_tramp_cr3[];
extern const char ap_tramp_cr4[], ap_tramp_efer[], ap_tramp_far32[], ap_tramp_far64[];
extern const char ap_tramp_next[], ap_tramp_stacks[], ap_tramp_stack_base[];
extern const char ap_tramp_stack_size[], ap_tramp_entry[];

struct smp_cpu {
	bool used;
	uint32_t apic_id;
	smp_ap_fn fn;
	void *arg;
	bool online;
};

void smp_ap_main(unsigned int stack_index);

static struct smp_cpu cpus[SMP_MAX_CPUS];
static uint64_t tramp_page;
static unsigned int stray;

/* The copy's field `sym` (a symbol of trampoline.S). */
static void *field(const char *sym)
{
	return (void *)(uintptr_t)(tramp_page + (uint64_t)(sym - ap_tramp_start));
}

/* [start, end) lies in one usable RAM range and outside the image. */
static bool ram_free(uint64_t start, uint64_t end)
{
	if (start < payload_image_end() && end > payload_image_start())
		return false;
	for (unsigned int i = 0; i < mem_usable_count; i++)
		if (mem_usable[i].start <= start && end <= mem_usable[i].end)
			return true;
	return false;
}

/* A trampoline page: free, and below the EBDA (STARTUP takes a page number below 1 MiB). */
static bool page_free(uint64_t page)
{
	return page && page + PAGE_SIZE <= LOW_MEMORY_END && ram_free(page, page + PAGE_SIZE);
}

static uint64_t pick_page(void)
{
	if (page_free(SMP_TRAMPOLINE_PREFERRED))
		return SMP_TRAMPOLINE_PREFERRED;
	/* Page 0 holds the real-mode IVT: start at 1. */
	for (uint64_t p = PAGE_SIZE; p < LOW_MEMORY_END; p += PAGE_SIZE)
		if (page_free(p))
			return p;
	return 0;
}

uint64_t smp_init(void)
{
	struct desc_ptr gdtr;
	uint64_t cr0 = read_cr0();
	size_t size = (size_t)(ap_tramp_end - ap_tramp_start);
	/*
	 * The APs' stacks: the RAM right after the image (not bss, which every
	 * payload would carry), mapped (below 4 GiB) and usable.
	 */
	uint64_t stacks = (payload_image_end() + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t stacks_end = stacks + (uint64_t)SMP_MAX_CPUS * SMP_AP_STACK_SIZE;

	cpus[0] = (struct smp_cpu){.used = true, .apic_id = apic_id(), .online = true};
	tramp_page = pick_page();
	if (!tramp_page || size > PAGE_SIZE || stacks_end > PAYLOAD_MAPPED_END ||
	    !ram_free(stacks, stacks_end))
		return tramp_page = 0;
	memcpy((void *)(uintptr_t)tramp_page, ap_tramp_start, size);
	sgdt(&gdtr);
	*(uint16_t *)field(ap_tramp_gdtr) = gdtr.limit;
	*(uint32_t *)((char *)field(ap_tramp_gdtr) + 2) = (uint32_t)gdtr.base;
	*(uint32_t *)field(ap_tramp_cr0_pe) = (uint32_t)((cr0 & ~CR0_PG) | CR0_PE);
	*(uint32_t *)field(ap_tramp_cr0) = (uint32_t)cr0;
	*(uint32_t *)field(ap_tramp_cr3) = (uint32_t)read_cr3();
	*(uint32_t *)field(ap_tramp_cr4) = (uint32_t)read_cr4();
	*(uint32_t *)field(ap_tramp_efer) =
	        (uint32_t)((rdmsr(MSR_EFER) & (EFER_SCE | EFER_NXE)) | EFER_LME);
	*(uint32_t *)field(ap_tramp_far32) = (uint32_t)(uintptr_t)field(ap_tramp_32);
	*(uint32_t *)field(ap_tramp_far64) = (uint32_t)(uintptr_t)field(ap_tramp_64);
	*(uint32_t *)field(ap_tramp_next) = 0;
	*(uint32_t *)field(ap_tramp_stacks) = SMP_MAX_CPUS;
	*(uint64_t *)field(ap_tramp_stack_base) = stacks;
	*(uint64_t *)field(ap_tramp_stack_size) = SMP_AP_STACK_SIZE;
	*(uint64_t *)field(ap_tramp_entry) = (uintptr_t)smp_ap_main;
	return tramp_page;
}

enum smp_start_result smp_start_ap(unsigned int cpu, uint32_t dest_id, smp_ap_fn fn, void *arg,
                                   uint64_t timeout_us, struct smp_start_times *t)
{
	uint32_t sipi = APIC_ICR_STARTUP | APIC_ICR_ASSERT | (uint32_t)(tramp_page >> 12);
	uint64_t t_init, t_sipi1, t_sipi2;
	bool online, ok;

	if (!tramp_page || cpu == 0 || cpu >= SMP_MAX_CPUS || cpus[cpu].used)
		return SMP_BAD_ARGS;
	cpus[cpu] = (struct smp_cpu){.used = true, .apic_id = dest_id, .fn = fn, .arg = arg};
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	t_init = rdtsc_ordered();
	ok = apic_send_ipi(dest_id, APIC_ICR_INIT | APIC_ICR_ASSERT);
	tsc_delay_us(INIT_DELAY_US);
	t_sipi1 = rdtsc_ordered();
	ok = apic_send_ipi(dest_id, sipi) && ok;
	tsc_delay_us(SIPI_DELAY_US);
	t_sipi2 = rdtsc_ordered();
	ok = apic_send_ipi(dest_id, sipi) && ok;
	online = spin_until(__atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE),
	                    tsc_ticks_at_least_us(timeout_us));
	if (t)
		*t = (struct smp_start_times){t_sipi1 - t_init, t_sipi2 - t_sipi1,
		                              online ? rdtsc_ordered() - t_sipi1 : 0};
	if (online)
		return SMP_STARTED;
	return ok ? SMP_TIMEOUT : SMP_IPI_STUCK;
}

const char *smp_start_result_name(enum smp_start_result r)
{
	switch (r) {
	case SMP_STARTED: return "started";
	case SMP_BAD_ARGS: return "bad arguments or no trampoline";
	case SMP_IPI_STUCK: return "ICR delivery status stuck busy";
	case SMP_TIMEOUT: return "no report before the timeout";
	default: return "?";
	}
}

/* From the trampoline, on the AP's own stack (trampoline.S picked it). */
void smp_ap_main(unsigned int stack_index)
{
	uint32_t id;
	int me = -1;

	(void)stack_index;
	idt_load();
	apic_cpu_init();
	id = apic_id();
	for (unsigned int i = 1; i < SMP_MAX_CPUS; i++) {
		if (__atomic_load_n(&cpus[i].used, __ATOMIC_ACQUIRE) && cpus[i].apic_id == id &&
		    !__atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE)) {
			me = (int)i;
			break;
		}
	}
	if (me < 0) {
		__atomic_add_fetch(&stray, 1, __ATOMIC_SEQ_CST);
		halt_forever();
	}
	__atomic_store_n(&cpus[me].online, true, __ATOMIC_RELEASE);
	cpus[me].fn((unsigned int)me, cpus[me].arg);
	halt_forever();
}

int smp_this_cpu(void)
{
	uint32_t id = apic_id();

	for (unsigned int i = 0; i < SMP_MAX_CPUS; i++)
		if (cpus[i].used && cpus[i].apic_id == id)
			return (int)i;
	return -1;
}

bool smp_cpu_online(unsigned int cpu)
{
	return cpu < SMP_MAX_CPUS && __atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE);
}

uint32_t smp_cpu_apic_id(unsigned int cpu)
{
	return cpu < SMP_MAX_CPUS ? cpus[cpu].apic_id : 0;
}

unsigned int smp_trampoline_entries(void)
{
	if (!tramp_page)
		return 0;
	return __atomic_load_n((uint32_t *)field(ap_tramp_next), __ATOMIC_SEQ_CST);
}

unsigned int smp_stray_aps(void)
{
	return __atomic_load_n(&stray, __ATOMIC_SEQ_CST);
}
