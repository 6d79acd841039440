#include "arch/x86/lapic.h"

#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/idt.h"
#include "arch/x86/msr.h"

#define LAPIC_REG_ID        0x20
#define LAPIC_REG_EOI       0xb0
#define LAPIC_REG_SVR       0xf0
#define LAPIC_REG_ICR_LOW   0x300
#define LAPIC_REG_ICR_HIGH  0x310
#define LAPIC_REG_LVT_TIMER 0x320

#define LVT_TIMER_TSC_DEADLINE (2U << 17)
#define MSR_IA32_TSC_DEADLINE  0x6e0

#define SVR_ENABLE           (1U << 8)
#define ICR_FIXED            (0U << 8)
#define ICR_NMI              (4U << 8)
#define ICR_INIT             (5U << 8)
#define ICR_STARTUP          (6U << 8)
#define ICR_DELIVERY_PENDING (1U << 12)
#define ICR_ASSERT           (1U << 14)
#define ICR_LEVEL            (1U << 15)

#define ICR_SPIN_LIMIT 1000000

static bool use_x2apic;
static volatile uint32_t *xapic_mmio;

static uint32_t lapic_read(uint32_t reg)
{
	if (use_x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
	return xapic_mmio[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (use_x2apic)
		wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
	else
		xapic_mmio[reg / 4] = v;
}

void lapic_select_mode(bool allow_x2apic)
{
	use_x2apic = allow_x2apic && cpu_has_x2apic();
}

bool lapic_x2apic_mode(void)
{
	return use_x2apic;
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

	base |= APIC_BASE_ENABLE;
	if (use_x2apic)
		base |= APIC_BASE_X2APIC;
	wrmsr(MSR_IA32_APIC_BASE, base);
	xapic_mmio = (volatile uint32_t *)(base & ~0xfffULL);
	lapic_write(LAPIC_REG_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_REG_ID);

	return use_x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_REG_EOI, 0);
}

static void lapic_send_icr(uint32_t apic_id, uint32_t low)
{
	if (use_x2apic) {
		wrmsr(MSR_X2APIC_BASE + (LAPIC_REG_ICR_LOW >> 4), ((uint64_t)apic_id << 32) | low);
		return;
	}
	lapic_write(LAPIC_REG_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_REG_ICR_LOW, low);
	for (int i = 0; i < ICR_SPIN_LIMIT; i++) {
		if (!(lapic_read(LAPIC_REG_ICR_LOW) & ICR_DELIVERY_PENDING))
			break;
		cpu_relax();
	}
}

void lapic_send_init(uint32_t apic_id)
{
	lapic_send_icr(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
}

void lapic_send_sipi(uint32_t apic_id, uint8_t page)
{
	lapic_send_icr(apic_id, ICR_STARTUP | ICR_ASSERT | page);
}

void lapic_send_fixed(uint32_t apic_id, uint8_t vector)
{
	lapic_send_icr(apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

void lapic_send_nmi(uint32_t apic_id)
{
	lapic_send_icr(apic_id, ICR_NMI | ICR_ASSERT);
}

bool lapic_deadline_timer_init(uint8_t vector)
{
	if (!cpu_has_tsc_deadline())
		return false;
	lapic_write(LAPIC_REG_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | vector);
	return true;
}

void lapic_deadline_arm(uint64_t tsc)
{
	wrmsr(MSR_IA32_TSC_DEADLINE, tsc);
}
