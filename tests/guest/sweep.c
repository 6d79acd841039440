/*
 * The adversary sweep of issue 16, now that a guest gets hardware's
 * answers (issue 12): INIT, SIPI, NMI and fixed IPIs to absent CPUs and a
 * thousand NMIs to itself; an IN of every width from every one of the 65,536
 * ports (spans across devices included), an OUT of 0 to every port but
 * the few that end a VM by design, and a WRMSR of a random value to every
 * MSR of the architectural ranges but the few that would take the
 * payload's own footing away. Each gets #GP, an empty bus or an emulated
 * device's answer; none may end this VM, and the bystander VM beside it
 * must pass. Under Umbra only: bare, these writes would reprogram a real
 * machine's devices.
 */
#include "apic.h"
#include "payload.h"

PAYLOAD("sweep");

#define MSR_EFER      0xc0000080
#define MSR_FS_BASE   0xc0000100
#define MSR_GS_BASE   0xc0000101
#define MSR_APIC_BASE 0x1b
#define X2APIC_FIRST  0x800
#define X2APIC_LAST   0x8ff

static uint64_t state = 0x243f6a8885a308d3ULL;
static uint32_t msr_index;
static uint64_t msr_value;

static void wrmsr_fn(void *arg)
{
	(void)arg;
	wrmsr(msr_index, msr_value);
}

#define ICR_NMI     (4u << 8)
#define ICR_INIT    (5u << 8)
#define ICR_STARTUP (6u << 8)

static volatile unsigned int nmis;

static void on_nmi(void)
{
	nmis++;
}

/* INIT, SIPI, NMI and fixed IPIs to every APIC ID but ours (none of them exists), then 1,000 NMIs to ourselves. */
TEST(ipis_to_absent_cpus_and_nmis_to_self)
{
	uint32_t me;

	REQUIRE_UMBRA();
	REQUIRE(apic_set_mode(APIC_MODE_XAPIC), "no xAPIC");
	apic_cpu_init();
	nmi_set_handler(on_nmi);
	me = apic_id();
	for (uint32_t id = 0; id < 255; id++) {
		if (id == me)
			continue;
		apic_send_ipi(id, APIC_ICR_ASSERT | APIC_ICR_LEVEL | ICR_INIT);
		apic_send_ipi(id, APIC_ICR_ASSERT | ICR_STARTUP | 0x08);
		apic_send_ipi(id, APIC_ICR_ASSERT | ICR_NMI);
		apic_send_ipi(id, APIC_ICR_ASSERT | 0x40); /* fixed, vector 0x40 */
	}
	for (unsigned int i = 0; i < 1000; i++) {
		unsigned int before = nmis;

		apic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_ASSERT | ICR_NMI);
		for (unsigned int spin = 0; nmis == before && spin < 1000000; spin++)
			__asm__ volatile("pause");
	}
	printf("# 1016 IPIs to absent CPUs; %u of 1000 self-NMIs delivered\n", nmis);
	CHECK(nmis == 1000, "%u of 1000 self-NMIs delivered", nmis);
}

TEST(every_port_every_width_in)
{
	uint64_t ones = 0;

	REQUIRE_UMBRA();
	for (uint32_t port = 0; port < 0x10000; port++) {
		uint8_t b;
		uint16_t w;
		uint32_t d;

		__asm__ volatile("inb %w1, %0" : "=a"(b) : "Nd"((uint16_t)port));
		__asm__ volatile("inw %w1, %0" : "=a"(w) : "Nd"((uint16_t)port));
		__asm__ volatile("inl %w1, %0" : "=a"(d) : "Nd"((uint16_t)port));
		ones += d == 0xffffffffu;
	}
	printf("# 196608 INs done; %lu dword reads found nothing there\n", ones);
	CHECK(ones > 60000, "only %lu empty ports of 65536", ones);
}

/* OUT 0 everywhere but the exit port, COM1 and 0xE9 (the console, which takes bytes as text). */
TEST(every_port_out)
{
	REQUIRE_UMBRA();
	for (uint32_t port = 0; port < 0x10000; port++) {
		if (port == 0xf4 || port == 0xe9 || (port >= 0x3f8 && port <= 0x3ff))
			continue;
		outb((uint16_t)port, 0);
	}
	printf("# OUT 0 to every other port: still running\n");
}

TEST(every_msr_random_write)
{
	static const struct {
		uint32_t first, count;
	} ranges[] = {{0x0, 0x2000}, {0x40000000, 0x100}, {0xc0000000, 0x2000}};
	unsigned int gp = 0, ok = 0;

	REQUIRE_UMBRA();
	for (unsigned int r = 0; r < 3; r++) {
		for (uint32_t i = 0; i < ranges[r].count; i++) {
			uint32_t msr = ranges[r].first + i;

			/* Our own footing: long mode, our segments, our APIC. */
			if (msr == MSR_EFER || msr == MSR_FS_BASE || msr == MSR_GS_BASE ||
			    msr == MSR_APIC_BASE || (msr >= X2APIC_FIRST && msr <= X2APIC_LAST))
				continue;
			msr_index = msr;
			msr_value = splitmix64(&state);
			if (catch_exception(wrmsr_fn, NULL, NULL) < 0)
				ok++;
			else
				gp++;
		}
	}
	printf("# %u random WRMSRs taken, %u refused with a fault\n", ok, gp);
	CHECK(gp > 0, "no write refused: random values in every MSR cannot all be valid");
}
