/*
 * Usable RAM as the Multiboot loader describes it: the memory map (type 1
 * entries), else mem_lower/mem_upper (Multiboot2: the memory map tag, else
 * the basic meminfo tag). Copied at start-up, sorted and merged, since the
 * info block itself lies in RAM the tests may overwrite.
 */
#include "boot/multiboot.h"
#include "internal.h"
#include "payload.h"

#define KIB               1024ULL
#define HIGH_MEMORY_START (1ULL << 20)
/* Offsets inside one Multiboot1 memory map entry, after its `size` field. */
#define MMAP_OFF_BASE   4
#define MMAP_OFF_LENGTH 12
#define MMAP_OFF_TYPE   20
/* Multiboot2: the tags' bodies (after u32 type, u32 size), and a map entry's fields. */
#define MB2_MEMINFO_OFF_LOWER   8
#define MB2_MEMINFO_OFF_UPPER   12
#define MB2_MMAP_OFF_ENTRY_SIZE 8
#define MB2_ENTRY_OFF_LENGTH    8
#define MB2_ENTRY_OFF_TYPE      16
/* base, length, type: what an entry of any entry_size holds at least. */
#define MB2_ENTRY_MIN 20

struct mem_range mem_usable[MEM_MAX_RANGES];
unsigned int mem_usable_count;
static const char *mem_source = "none";

/* From payload.ld: the loaded image, then bss with our page tables and stack. */
extern char __image_start[], __image_end[];

static uint64_t rd64(uint64_t pa)
{
	return phys_read32(pa) | (uint64_t)phys_read32(pa + 4) << 32;
}

/* Inserts [start, end) in order, merging with ranges it touches or overlaps. */
static void mem_add(uint64_t start, uint64_t end)
{
	unsigned int i = 0, j;

	if (start >= end)
		return;
	while (i < mem_usable_count && mem_usable[i].end < start)
		i++;
	if (i < mem_usable_count && mem_usable[i].start <= end) {
		struct mem_range *r = &mem_usable[i];

		if (start < r->start)
			r->start = start;
		if (end > r->end)
			r->end = end;
		/* The grown range may now reach its successors. */
		while (i + 1 < mem_usable_count && mem_usable[i + 1].start <= r->end) {
			if (mem_usable[i + 1].end > r->end)
				r->end = mem_usable[i + 1].end;
			for (j = i + 1; j + 1 < mem_usable_count; j++)
				mem_usable[j] = mem_usable[j + 1];
			mem_usable_count--;
		}
		return;
	}
	if (mem_usable_count == MEM_MAX_RANGES)
		return; /* more fragments than any loader we know gives: keep the first */
	for (j = mem_usable_count; j > i; j--)
		mem_usable[j] = mem_usable[j - 1];
	mem_usable[i] = (struct mem_range){start, end};
	mem_usable_count++;
}

static void mem_init_mb1(uint32_t info_pa)
{
	uint32_t flags = phys_read32(info_pa + MULTIBOOT1_INFO_OFF_FLAGS);

	if (flags & MULTIBOOT1_INFO_MEM_MAP) {
		uint64_t p = phys_read32(info_pa + MULTIBOOT1_INFO_OFF_MMAP_ADDR);
		uint64_t end = p + phys_read32(info_pa + MULTIBOOT1_INFO_OFF_MMAP_LENGTH);

		/* Each entry's `size` excludes the size field itself. */
		for (; p + MULTIBOOT1_MMAP_ENTRY_SIZE <= end; p += phys_read32(p) + 4) {
			uint64_t base = rd64(p + MMAP_OFF_BASE), len = rd64(p + MMAP_OFF_LENGTH);

			if (phys_read32(p + MMAP_OFF_TYPE) == MULTIBOOT_MEMORY_AVAILABLE)
				mem_add(base, base + len);
		}
		mem_source = "memory map";
	} else if (flags & MULTIBOOT1_INFO_MEMORY) {
		mem_add(0, phys_read32(info_pa + MULTIBOOT1_INFO_OFF_MEM_LOWER) * KIB);
		mem_add(HIGH_MEMORY_START,
		        HIGH_MEMORY_START +
		                phys_read32(info_pa + MULTIBOOT1_INFO_OFF_MEM_UPPER) * KIB);
		mem_source = "mem_lower/mem_upper";
	}
}

static void mem_init_mb2(uint32_t info_pa)
{
	uint64_t tag;
	uint32_t size;

	tag = mb2_tag_find(info_pa, MULTIBOOT2_TAG_MMAP, &size);
	if (tag && size >= MULTIBOOT2_TAG_MMAP_HDR_SIZE) {
		uint32_t entry_size = phys_read32(tag + MB2_MMAP_OFF_ENTRY_SIZE);
		uint64_t end = tag + size;

		/* entry_size may grow in later versions: step by it, read the fields we know. */
		if (entry_size >= MB2_ENTRY_MIN) {
			for (uint64_t p = tag + MULTIBOOT2_TAG_MMAP_HDR_SIZE; p + entry_size <= end;
			     p += entry_size) {
				uint64_t base = rd64(p), len = rd64(p + MB2_ENTRY_OFF_LENGTH);

				if (phys_read32(p + MB2_ENTRY_OFF_TYPE) ==
				    MULTIBOOT_MEMORY_AVAILABLE)
					mem_add(base, base + len);
			}
			mem_source = "memory map tag";
			return;
		}
	}
	tag = mb2_tag_find(info_pa, MULTIBOOT2_TAG_BASIC_MEMINFO, &size);
	if (tag && size >= MULTIBOOT2_TAG_BASIC_MEMINFO_SIZE) {
		mem_add(0, phys_read32(tag + MB2_MEMINFO_OFF_LOWER) * KIB);
		mem_add(HIGH_MEMORY_START,
		        HIGH_MEMORY_START + phys_read32(tag + MB2_MEMINFO_OFF_UPPER) * KIB);
		mem_source = "basic meminfo tag";
	}
}

void mem_init(uint32_t info_pa)
{
	if (bootinfo_protocol() == 2)
		mem_init_mb2(info_pa);
	else
		mem_init_mb1(info_pa);
}

void mem_describe(void)
{
	printf("# usable RAM (%s):", mem_source);
	for (unsigned int i = 0; i < mem_usable_count; i++)
		printf(" [0x%lx, 0x%lx)", mem_usable[i].start, mem_usable[i].end);
	printf("\n# image [0x%lx, 0x%lx), RAM top 0x%lx\n", payload_image_start(),
	       payload_image_end(), mem_ram_top());
}

#define GIB       (1ULL << 30)
#define PTE_P     1ULL
#define PTE_RW    2ULL
#define PTE_PS    (1ULL << 7)
#define ADDR_MASK 0x000ffffffffff000ULL

/* PML4[0]'s PDPT, entry addr / 1 GiB. */
bool mem_map_gib(uint64_t addr)
{
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & ADDR_MASK);
	uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[0] & ADDR_MASK);

	if (!(cpuid(0x80000001, 0).edx & (1u << 26)) || addr >= 512 * GIB)
		return false;
	pdpt[addr / GIB] = (addr & ~(GIB - 1)) | PTE_PS | PTE_RW | PTE_P;
	__asm__ volatile("invlpg (%0)" : : "r"(addr) : "memory");
	return true;
}

uint64_t mem_ram_top(void)
{
	return mem_usable_count ? mem_usable[mem_usable_count - 1].end : 0;
}

uint64_t payload_image_start(void)
{
	return (uintptr_t)__image_start;
}

uint64_t payload_image_end(void)
{
	return (uintptr_t)__image_end;
}
