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

TEST(write_past_ram)
{
	uint64_t addr = mem_ram_top();

	cmdline_get_u64("addr", &addr);
	if (addr >= PAYLOAD_MAPPED_END)
		REQUIRE(mem_map_gib(addr), "cannot map 0x%lx (no 1 GiB pages, or past 512 GiB)",
		        addr);
	REQUIRE(addr > 0, "RAM top 0x%lx: no address past RAM to write", addr);
	printf("# expecting Umbra to end this VM: writing one byte at 0x%lx, past RAM\n", addr);
	*(volatile uint8_t *)(uintptr_t)addr = 0x5a;
	CHECK(false, "still running");
}
