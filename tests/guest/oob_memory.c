/*
 * Umbra must end this VM: it writes one byte just past its RAM. The VM's
 * guest-physical space holds nothing else, so the write has no EPT mapping
 * and Umbra ends the VM naming the address. (Our page tables map the whole
 * first 4 GiB, so the guest itself sees no fault first.)
 */
#include "payload.h"

PAYLOAD("oob_memory");

TEST(write_past_ram)
{
	uint64_t addr = mem_ram_top();

	REQUIRE(addr > 0 && addr < PAYLOAD_MAPPED_END,
	        "RAM top 0x%lx: no mapped address past RAM to write", addr);
	printf("# expecting Umbra to end this VM: writing one byte at 0x%lx, just past RAM\n",
	       addr);
	*(volatile uint8_t *)(uintptr_t)addr = 0x5a;
	CHECK(false, "still running");
}
