/*
 * Ports and addresses with nothing behind them, as a PC answers (issue 12):
 * an IN reads all ones, an OUT goes nowhere, and the guest runs on. Under
 * Umbra each is also listed in the VM's report. Bare on Bochs the same
 * "# outcome" lines are the reference (tests/system/compare-outcomes.sh).
 */
#include "payload.h"

PAYLOAD("empty_bus");

/* Nothing on Bochs' bus nor on Umbra's: fw_cfg (QEMU's only), COM2, COM3, a free range. */
static const uint16_t ports[] = {0x510, 0x2f8, 0x3e8, 0x100, 0x2a0};

static uint32_t in(uint16_t port, unsigned int size)
{
	uint32_t v = 0x5a5a5a5a;

	if (size == 1)
		__asm__ volatile("inb %w1, %b0" : "+a"(v) : "Nd"(port));
	else if (size == 2)
		__asm__ volatile("inw %w1, %w0" : "+a"(v) : "Nd"(port));
	else
		__asm__ volatile("inl %w1, %0" : "+a"(v) : "Nd"(port));
	return v;
}

TEST(empty_ports_read_all_ones)
{
	for (unsigned int i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		for (unsigned int size = 1; size <= 4; size *= 2) {
			uint32_t v = in(ports[i], size);
			uint32_t want =
			        size == 4 ? 0xffffffffu : 0x5a5a5a5au | ((1u << (size * 8)) - 1);

			printf("# outcome in%u_0x%x 0x%x\n", size * 8, ports[i], v);
			CHECK(v == want, "IN%u from 0x%x: 0x%x, want 0x%x", size * 8, ports[i], v,
			      want);
		}
	}
}

TEST(empty_ports_take_writes)
{
	for (unsigned int i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		outb(ports[i], 0x12);
		__asm__ volatile("outl %0, %w1" : : "a"(0x12345678u), "Nd"(ports[i]));
		/* Nothing latched it. */
		CHECK(in(ports[i], 1) == 0x5a5a5aff, "port 0x%x after a write: 0x%x", ports[i],
		      in(ports[i], 1));
	}
}

/* Past Bochs' 512 MiB and past the VM's RAM, below and above 4 GiB. */
static const uint64_t addrs[] = {0xd0000000ULL, 0x100000000ULL, 0x800000000ULL};

TEST(empty_memory_reads_all_ones)
{
	for (unsigned int i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		uint64_t a = addrs[i], q;
		uint32_t d;
		uint8_t b;

		if (a >= PAYLOAD_MAPPED_END)
			REQUIRE(mem_map_gib(a), "cannot map 0x%lx", a);
		*(volatile uint32_t *)(uintptr_t)a = 0x12345678; /* goes nowhere */
		b = *(volatile uint8_t *)(uintptr_t)a;
		d = *(volatile uint32_t *)(uintptr_t)(a + 0x40);
		q = *(volatile uint64_t *)(uintptr_t)(a + 0x80);
		printf("# outcome mem_0x%lx 0x%x 0x%x 0x%lx\n", a, b, d, q);
		CHECK(b == 0xff && d == 0xffffffffu && q == ~0ULL, "at 0x%lx: 0x%x 0x%x 0x%lx", a,
		      b, d, q);
	}
}
