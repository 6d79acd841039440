/*
 * Umbra must end this VM: it writes one byte just past its RAM, or with
 * "-- addr=A" at guest-physical A, up to 512 GiB (mapped with a 1 GiB
 * page when A is past the first 4 GiB). The VM's guest-physical space
 * holds nothing there, so the write has no EPT mapping and Umbra ends the
 * VM naming the address. (Our page tables map the whole first 4 GiB, so
 * the guest itself sees no fault first.)
 */
#include "payload.h"

PAYLOAD("oob_memory");

#define GIB       (1ULL << 30)
#define PTE_P     1ULL
#define PTE_RW    2ULL
#define PTE_PS    (1ULL << 7)
#define ADDR_MASK 0x000ffffffffff000ULL

/* Maps [A rounded down to 1 GiB, + 1 GiB) at its own address: PML4[0]'s PDPT, entry A / 1 GiB. */
static bool map_gib(uint64_t addr)
{
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & ADDR_MASK);
	uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[0] & ADDR_MASK);

	if (!(cpuid(0x80000001, 0).edx & (1u << 26)) || addr >= 512 * GIB)
		return false;
	pdpt[addr / GIB] = (addr & ~(GIB - 1)) | PTE_PS | PTE_RW | PTE_P;
	__asm__ volatile("invlpg (%0)" : : "r"(addr) : "memory");
	return true;
}

TEST(write_past_ram)
{
	uint64_t addr = mem_ram_top();

	cmdline_get_u64("addr", &addr);
	if (addr >= PAYLOAD_MAPPED_END)
		REQUIRE(map_gib(addr), "cannot map 0x%lx (no 1 GiB pages, or past 512 GiB)", addr);
	REQUIRE(addr > 0, "RAM top 0x%lx: no address past RAM to write", addr);
	printf("# expecting Umbra to end this VM: writing one byte at 0x%lx, past RAM\n", addr);
	*(volatile uint8_t *)(uintptr_t)addr = 0x5a;
	CHECK(false, "still running");
}
