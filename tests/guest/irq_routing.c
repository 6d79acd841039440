/*
 * Interrupt routing as a PC has it (issue 12): the I/O APIC the MADT
 * names (its registers, and where the MADT says IRQ 0 lands), the PIT's
 * IRQ 0 through the I/O APIC at the rate channel 0 was given, the same
 * IRQ through the 8259 and LINT0 in ExtINT mode (virtual wire), a
 * level-triggered pin delivered again after each EOI while its line stays
 * high, and COM1's interrupts: transmitter empty, and data received in
 * loopback. Written for hardware: bare under Bochs the same lines are the
 * reference ("# outcome" lines, tests/system/compare-outcomes.sh).
 */
#include "apic.h"

PAYLOAD("irq_routing");

#define VEC_PIT      0x40
#define VEC_COM1     0x44
#define VEC_PIC_BASE 0x50 /* IRQ 0 on the PIC: 0x50 */
#define COM1         0x3f8
#define COM1_IRQ     4
#define UART_IER     1
#define UART_IIR     2
#define UART_MCR     4
#define UART_LSR     5
#define MCR_DTR_RTS  0x03
#define MCR_OUT2     0x08
#define MCR_LOOP     0x10
#define IER_RX       0x01
#define IER_THRE     0x02
#define PIT_HZ       1193182ULL
#define PIT_COUNT    11932 /* 10 ms */
#define PERIODS      10
#define RTE_MASKED   (1u << 16)
#define RTE_LEVEL    (1u << 15)
#define LVT_EXTINT   (7u << 8)
#define LEVEL_ROUNDS 5

static volatile uint32_t *ioapic;
static unsigned int timer_gsi; /* the pin IRQ 0 lands on: 0 unless the MADT overrides it */
static volatile unsigned int ticks;
static volatile uint64_t tick_tsc[PERIODS + 1];

static uint32_t ioapic_read(uint32_t reg)
{
	ioapic[0] = reg;
	return ioapic[4];
}

static void ioapic_write(uint32_t reg, uint32_t val)
{
	ioapic[0] = reg;
	ioapic[4] = val;
}

static void route(unsigned int pin, uint32_t low)
{
	ioapic_write(0x11 + 2 * pin, apic_id() << 24);
	ioapic_write(0x10 + 2 * pin, low);
}

/* The first I/O APIC and IRQ 0's override from the MADT; false if it lists none. */
static bool find_ioapic(void)
{
	uint64_t madt = acpi_table("APIC");

	if (!madt)
		return false;
	for (const uint8_t *e = acpi_madt_entry(madt, NULL); e; e = acpi_madt_entry(madt, e)) {
		if (e[0] == 1 && !ioapic)
			ioapic = (volatile uint32_t *)(uintptr_t)phys_read32((uintptr_t)e + 4);
		if (e[0] == 2 && e[2] == 0 && e[3] == 0)
			timer_gsi = phys_read32((uintptr_t)e + 4);
	}
	return ioapic != NULL;
}

static void quiet_platform(void)
{
	irq_disable();
	pic_init_masked(VEC_PIC_BASE);
	apic_cpu_init();
	for (unsigned int pin = 0; pin < 24; pin++)
		ioapic_write(0x10 + 2 * pin, RTE_MASKED);
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

static void pit_start(uint16_t count)
{
	outb(0x43, 0x34); /* channel 0, low then high byte, mode 2 */
	outb(0x40, (uint8_t)count);
	outb(0x40, (uint8_t)(count >> 8));
}

static void tick_handler(unsigned int vector)
{
	unsigned int n = ticks;

	if (n <= PERIODS)
		tick_tsc[n] = rdtsc();
	ticks = n + 1;
	if (vector == VEC_PIT)
		apic_eoi();
	else
		outb(0x20, 0x20); /* the PIC's non-specific EOI */
}

/* Waits with interrupts on for `want` ticks (false on timeout), then stops the PIT. */
static bool wait_ticks(unsigned int want)
{
	bool done;

	ticks = 0;
	irq_enable();
	done = spin_until(ticks >= want, tsc_ticks_at_least_us(2000000));
	irq_disable();
	outb(0x43, 0x30); /* channel 0, mode 0: one more edge at most, then silence */
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	return done;
}

TEST(madt_names_the_io_apic)
{
	uint32_t version;

	REQUIRE(find_ioapic(), "the MADT lists no I/O APIC");
	version = ioapic_read(1);
	printf("# I/O APIC at 0x%lx, version 0x%x, IRQ 0 on pin %u\n", (uint64_t)(uintptr_t)ioapic,
	       version, timer_gsi);
	printf("# outcome io_apic max_entry=%u irq0_pin=%u\n", (version >> 16) & 0xff, timer_gsi);
	CHECK(((version >> 16) & 0xff) >= 23, "only %u redirection entries",
	      ((version >> 16) & 0xff) + 1);
	quiet_platform();
}

TEST(redirection_entries_read_back)
{
	uint32_t low, high;

	REQUIRE(ioapic, "no I/O APIC");
	ioapic_write(0x10 + 2 * 10, RTE_MASKED | RTE_LEVEL | 0x0900 | 0x99);
	ioapic_write(0x11 + 2 * 10, 0x03000000);
	low = ioapic_read(0x10 + 2 * 10);
	high = ioapic_read(0x11 + 2 * 10);
	printf("# outcome rte10 low=0x%x high=0x%x\n", low, high);
	CHECK(low == (RTE_MASKED | RTE_LEVEL | 0x0900 | 0x99), "low word 0x%x", low);
	CHECK(high == 0x03000000, "high word 0x%x", high);
	ioapic_write(1, 0);
	CHECK(((ioapic_read(1) >> 16) & 0xff) >= 23, "the version register took a write");
	ioapic_write(0x10 + 2 * 10, RTE_MASKED);
}

TEST(pit_irq0_through_the_io_apic)
{
	uint64_t period, per_irq, want;

	REQUIRE(ioapic, "no I/O APIC");
	period = pit_channel2_tsc_ticks(1);
	REQUIRE(period, "PIT channel 2 never finished");
	irq_set_handler(VEC_PIT, tick_handler);
	route(timer_gsi, VEC_PIT);
	pit_start(PIT_COUNT);
	REQUIRE(wait_ticks(PERIODS + 1), "%u IRQ 0 interrupts in 2 s, want %u", ticks, PERIODS + 1);
	ioapic_write(0x10 + 2 * timer_gsi, RTE_MASKED);
	per_irq = (tick_tsc[PERIODS] - tick_tsc[0]) / PERIODS;
	want = period * PIT_COUNT / 0xffff;
	printf("# %lu TSC ticks between interrupts, %lu expected from channel 2\n", per_irq, want);
	printf("# outcome pit_io_apic delivered\n");
	CHECK(per_irq * 100 >= want * 95 && per_irq * 100 <= want * 105,
	      "interrupts %lu TSC ticks apart, want %lu (5%%)", per_irq, want);
}

TEST(pit_irq0_through_the_pic_and_lint0)
{
	REQUIRE(ioapic, "no I/O APIC");
	irq_set_handler(VEC_PIC_BASE, tick_handler);
	apic_write(APIC_LVT_LINT0, LVT_EXTINT); /* virtual wire: the PIC's INTR through LINT0 */
	outb(0x21, 0xfe);                       /* IRQ 0 unmasked */
	pit_start(PIT_COUNT);
	CHECK(wait_ticks(3), "%u interrupts through the PIC in 2 s, want 3", ticks);
	outb(0x21, 0xff);
	apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
	printf("# outcome pit_pic ticks>=3=%d\n", ticks >= 3);
}

static volatile unsigned int com1_irqs;
static volatile uint8_t com1_iir[8];
static volatile bool clear_source_at_last;

/* Level test: EOI without clearing the source LEVEL_ROUNDS - 1 times, then clear it. */
static void level_handler(unsigned int vector)
{
	unsigned int n = com1_irqs + 1;

	(void)vector;
	com1_irqs = n;
	if (n >= LEVEL_ROUNDS)
		outb(COM1 + UART_IER, 0); /* the source goes away */
	apic_eoi();
}

TEST(level_pin_delivers_again_until_the_source_clears)
{
	REQUIRE(ioapic, "no I/O APIC");
	irq_set_handler(VEC_COM1, level_handler);
	com1_irqs = 0;
	route(COM1_IRQ, RTE_LEVEL | VEC_COM1);
	outb(COM1 + UART_MCR, MCR_DTR_RTS | MCR_OUT2);
	outb(COM1 + UART_IER, IER_THRE); /* transmitter empty: the line goes high and stays */
	irq_enable();
	spin_until(com1_irqs >= LEVEL_ROUNDS + 1, tsc_ticks_at_least_us(20000));
	irq_disable();
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
	ioapic_write(0x10 + 2 * COM1_IRQ, RTE_MASKED);
	printf("# outcome level_pin deliveries=%u\n", com1_irqs);
	CHECK(com1_irqs == LEVEL_ROUNDS, "%u deliveries, want %u (one per EOI while high)",
	      com1_irqs, LEVEL_ROUNDS);
}

static void com1_handler(unsigned int vector)
{
	unsigned int n = com1_irqs;

	(void)vector;
	if (n < 8)
		com1_iir[n] = inb(COM1 + UART_IIR) & 0x0f; /* reading IIR clears THRE */
	com1_irqs = n + 1;
	apic_eoi();
}

TEST(com1_transmit_and_loopback_receive_interrupts)
{
	uint8_t rx;

	REQUIRE(ioapic, "no I/O APIC");
	irq_set_handler(VEC_COM1, com1_handler);
	com1_irqs = 0;
	route(COM1_IRQ, VEC_COM1);
	while (!(inb(COM1 + UART_LSR) & 0x40)) /* the KTAP line so far has left */
		cpu_relax();
	outb(COM1 + UART_MCR, MCR_DTR_RTS | MCR_OUT2);
	outb(COM1 + UART_IER, IER_THRE);
	irq_enable();
	spin_until(com1_irqs >= 1, tsc_ticks_at_least_us(20000));
	irq_disable();
	outb(COM1 + UART_IER, 0);
	/* Loopback: a byte sent is received, and announced. */
	outb(COM1 + UART_MCR, MCR_LOOP | MCR_OUT2 | MCR_DTR_RTS);
	outb(COM1 + UART_IER, IER_RX);
	outb(COM1, 0x5a);
	irq_enable();
	spin_until(com1_irqs >= 2, tsc_ticks_at_least_us(20000));
	irq_disable();
	rx = inb(COM1);
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
	ioapic_write(0x10 + 2 * COM1_IRQ, RTE_MASKED);
	printf("# outcome com1 irqs=%u iir0=0x%x iir1=0x%x rx=0x%x\n", com1_irqs, com1_iir[0],
	       com1_iir[1], rx);
	CHECK(com1_irqs >= 1 && com1_iir[0] == 0x02, "transmitter empty: %u interrupts, IIR 0x%x",
	      com1_irqs, com1_iir[0]);
	CHECK(com1_irqs == 2 && com1_iir[1] == 0x04, "loopback receive: %u interrupts, IIR 0x%x",
	      com1_irqs, com1_iir[1]);
	CHECK(rx == 0x5a, "received 0x%x, sent 0x5a", rx);
}
