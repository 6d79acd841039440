/* Host tests of vcpu/vlapic.c: the virtual local APIC against the SDM's rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "vcpu/vlapic.h"

#define X2(reg)  (VLAPIC_MSR_X2APIC_FIRST + (reg) / 16)
#define BASE_EN  (VLAPIC_BASE_DEFAULT | VLAPIC_BASE_ENABLE)
#define BASE_X2  (BASE_EN | VLAPIC_BASE_X2APIC)
#define VERSION  0x00060014u
#define MASKED   0x10000u
#define ONESHOT  0u
#define PERIODIC (1u << 17)
#define DEADLINE (2u << 17)
#define ESR_SEND 0x20u
#define ESR_RECV 0x40u
#define BSP_ID   3

static struct vlapic a;
static uint64_t now;

static int setup(void **state)
{
	(void)state;
	memset(&a, 0xcc, sizeof(a)); /* reset must not rely on zeroed memory */
	vlapic_reset(&a, BSP_ID, true);
	now = 1000000;
	return 0;
}

/* --- Access helpers: each asserts the access's outcome. --- */

static uint32_t rd(uint32_t off)
{
	return vlapic_mmio_read(&a, off, now);
}

static void wr(uint32_t off, uint32_t val)
{
	struct vlapic_icr icr;

	assert_false(vlapic_mmio_write(&a, off, val, now, &icr));
}

static int msr_rd_rc(uint32_t msr, uint64_t *val)
{
	return vlapic_msr_read(&a, msr, now, val);
}

static uint64_t msr_rd(uint32_t msr)
{
	uint64_t val = 0xdead;

	assert_int_equal(msr_rd_rc(msr, &val), VLAPIC_OK);
	return val;
}

static int msr_wr_rc(uint32_t msr, uint64_t val)
{
	struct vlapic_icr icr;
	bool valid = true;
	int rc = vlapic_msr_write(&a, msr, val, now, &icr, &valid);

	if (msr != X2(VLAPIC_REG_ICR_LOW))
		assert_false(valid);
	return rc;
}

static void msr_wr(uint32_t msr, uint64_t val)
{
	assert_int_equal(msr_wr_rc(msr, val), VLAPIC_OK);
}

/* Asserts that reading and writing `msr` both raise #GP and change nothing. */
static void expect_gp_rw(uint32_t msr)
{
	struct vlapic before;
	uint64_t val = 0x1234;

	memcpy(&before, &a, sizeof(a));

	assert_int_equal(msr_rd_rc(msr, &val), VLAPIC_GP);
	assert_int_equal(val, 0);
	assert_int_equal(msr_wr_rc(msr, 0), VLAPIC_GP);
	assert_memory_equal(&a, &before, sizeof(a));
}

/* Asserts that writing `val` to `msr` raises #GP and changes nothing. */
static void expect_gp_wr(uint32_t msr, uint64_t val)
{
	struct vlapic before;

	memcpy(&before, &a, sizeof(a));
	assert_int_equal(msr_wr_rc(msr, val), VLAPIC_GP);
	assert_memory_equal(&a, &before, sizeof(a));
}

static void to_x2apic(void)
{
	msr_wr(VLAPIC_MSR_APIC_BASE, BASE_X2);
	assert_true(vlapic_x2apic_mode(&a));
}

static void sw_enable(void)
{
	if (vlapic_x2apic_mode(&a))
		msr_wr(X2(VLAPIC_REG_SVR), 0x1ff);
	else
		wr(VLAPIC_REG_SVR, 0x1ff);
	assert_true(vlapic_sw_enabled(&a));
}

static bool irr_has(uint8_t v)
{
	return (rd(VLAPIC_REG_IRR0 + v / 32 * 16) >> (v % 32)) & 1;
}

static bool isr_has(uint8_t v)
{
	return (rd(VLAPIC_REG_ISR0 + v / 32 * 16) >> (v % 32)) & 1;
}

/* Delivers the pending interrupt the way the caller does: checks it, then acks it. */
static void take(int want)
{
	assert_int_equal(vlapic_pending(&a), want);
	vlapic_ack(&a, (uint8_t)want);
	assert_false(irr_has((uint8_t)want));
	assert_true(isr_has((uint8_t)want));
}

static uint32_t read_esr(void)
{
	wr(VLAPIC_REG_ESR, 0); /* latches the errors seen since the last write */
	return rd(VLAPIC_REG_ESR);
}

static const uint32_t lvt_regs[VLAPIC_LVT_COUNT] = {
        VLAPIC_REG_LVT_CMCI,  VLAPIC_REG_LVT_TIMER, VLAPIC_REG_LVT_THERM, VLAPIC_REG_LVT_PMC,
        VLAPIC_REG_LVT_LINT0, VLAPIC_REG_LVT_LINT1, VLAPIC_REG_LVT_ERROR,
};

/* --- Reset and INIT --- */

static void expect_reset_regs(void)
{
	assert_int_equal(rd(VLAPIC_REG_VERSION), VERSION);
	assert_int_equal(rd(VLAPIC_REG_TPR), 0);
	assert_int_equal(rd(VLAPIC_REG_PPR), 0);
	assert_int_equal(rd(VLAPIC_REG_LDR), 0);
	assert_int_equal(rd(VLAPIC_REG_DFR), 0xffffffffu);
	assert_int_equal(rd(VLAPIC_REG_SVR), 0xff);
	assert_false(vlapic_sw_enabled(&a));
	assert_int_equal(read_esr(), 0);
	assert_int_equal(rd(VLAPIC_REG_ICR_LOW), 0);
	assert_int_equal(rd(VLAPIC_REG_ICR_HIGH), 0);
	for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
		assert_int_equal(rd(lvt_regs[i]), MASKED);
	for (uint32_t i = 0; i < 8; i++) {
		assert_int_equal(rd(VLAPIC_REG_ISR0 + i * 16), 0);
		assert_int_equal(rd(VLAPIC_REG_TMR0 + i * 16), 0);
		assert_int_equal(rd(VLAPIC_REG_IRR0 + i * 16), 0);
	}
	assert_int_equal(rd(VLAPIC_REG_TIMER_ICR), 0);
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 0);
	assert_int_equal(rd(VLAPIC_REG_TIMER_DCR), 0);
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);
	assert_int_equal(vlapic_pending(&a), -1);
}

static void test_reset_values(void **state)
{
	(void)state;
	assert_int_equal(msr_rd(VLAPIC_MSR_APIC_BASE), 0xfee00900ULL);
	assert_true(vlapic_enabled(&a));
	assert_false(vlapic_x2apic_mode(&a));
	assert_int_equal(vlapic_mmio_base(&a), 0xfee00000ULL);
	assert_int_equal(rd(VLAPIC_REG_ID), BSP_ID << 24);
	assert_int_equal(msr_rd(VLAPIC_MSR_TSC_DEADLINE), 0);
	expect_reset_regs();

	/* An AP: no BSP flag. */
	memset(&a, 0xcc, sizeof(a));
	vlapic_reset(&a, 7, false);
	assert_int_equal(msr_rd(VLAPIC_MSR_APIC_BASE), 0xfee00800ULL);
	assert_int_equal(rd(VLAPIC_REG_ID), 7u << 24);
	expect_reset_regs();
}

/* Puts non-reset values in every register INIT resets. */
static void dirty(void)
{
	sw_enable();
	wr(VLAPIC_REG_TPR, 0x20);
	wr(VLAPIC_REG_LDR, 0x5a000000);
	wr(VLAPIC_REG_DFR, 0x0fffffff);
	for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
		wr(lvt_regs[i], 0x30 + (uint32_t)i);
	wr(VLAPIC_REG_TIMER_DCR, 0xb);
	wr(VLAPIC_REG_TIMER_ICR, 5000);
	wr(VLAPIC_REG_ICR_HIGH, 0x01000000);
	vlapic_accept_fixed(&a, 0x80);
	vlapic_accept_fixed(&a, 0x90);
	take(0x90);
	vlapic_accept_fixed(&a, 3); /* an error for the ESR */
}

static void test_init_signal(void **state)
{
	(void)state;
	msr_wr(VLAPIC_MSR_APIC_BASE, 0xfed01000ULL | VLAPIC_BASE_ENABLE);
	dirty();
	vlapic_init_signal(&a);
	/* ID and IA32_APIC_BASE (with its BSP flag) are kept, the rest is reset. */
	assert_int_equal(msr_rd(VLAPIC_MSR_APIC_BASE), 0xfed01900ULL);
	assert_int_equal(rd(VLAPIC_REG_ID), BSP_ID << 24);
	expect_reset_regs();

	/* INIT in x2APIC mode stays in x2APIC mode, with the 32-bit ID and derived LDR. */
	vlapic_reset(&a, 0x25, false);
	to_x2apic();
	sw_enable();
	msr_wr(X2(VLAPIC_REG_TPR), 0x40);
	vlapic_init_signal(&a);
	assert_int_equal(msr_rd(VLAPIC_MSR_APIC_BASE), BASE_X2);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_ID)), 0x25);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_LDR)), 0x00020020);
	assert_int_equal(a.ldr, 0x00020020);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_TPR)), 0);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_SVR)), 0xff);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_LVT_TIMER)), MASKED);

	/* INIT in the disabled state stays disabled. */
	msr_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT);
	vlapic_init_signal(&a);
	assert_false(vlapic_enabled(&a));
	assert_int_equal(msr_rd(VLAPIC_MSR_APIC_BASE), VLAPIC_BASE_DEFAULT);
}

/* --- IA32_APIC_BASE --- */

static void test_apic_base_valid_transitions(void **state)
{
	(void)state;
	/* xAPIC: moving the page. */
	msr_wr(VLAPIC_MSR_APIC_BASE, 0x000000fedc000000ULL | VLAPIC_BASE_ENABLE);
	assert_int_equal(vlapic_mmio_base(&a), 0x000000fedc000000ULL);
	assert_int_equal(msr_rd(VLAPIC_MSR_APIC_BASE), 0x000000fedc000900ULL);
	/* The BSP flag is read-only. */
	msr_wr(VLAPIC_MSR_APIC_BASE, BASE_EN);
	assert_int_equal(msr_rd(VLAPIC_MSR_APIC_BASE), BASE_EN | VLAPIC_BASE_BSP);

	/* xAPIC -> disabled: the state is lost, the ID stays. */
	dirty();
	msr_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT);
	assert_false(vlapic_enabled(&a));
	assert_false(vlapic_x2apic_mode(&a));
	assert_int_equal(rd(VLAPIC_REG_VERSION), 0); /* no MMIO while disabled */
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);
	assert_int_equal(vlapic_pending(&a), -1);
	/* disabled -> disabled (moving the base) is fine. */
	msr_wr(VLAPIC_MSR_APIC_BASE, 0xfec00000ULL);
	/* disabled -> xAPIC: reset values. */
	msr_wr(VLAPIC_MSR_APIC_BASE, BASE_EN);
	assert_true(vlapic_enabled(&a));
	assert_int_equal(rd(VLAPIC_REG_ID), BSP_ID << 24);
	expect_reset_regs();

	/* xAPIC -> x2APIC keeps the registers but the LDR and ICR high. */
	dirty();
	to_x2apic();
	assert_int_equal(msr_rd(VLAPIC_MSR_APIC_BASE), BASE_X2 | VLAPIC_BASE_BSP);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_ID)), BSP_ID);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_LDR)), 1u << BSP_ID);
	assert_int_equal(a.ldr, 1u << BSP_ID); /* stored too, for whoever reads the struct */
	assert_int_equal(msr_rd(X2(VLAPIC_REG_TPR)), 0x20);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_SVR)), 0x1ff);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_LVT_LINT0)), 0x34);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_TIMER_ICR)), 5000);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_ICR_LOW)), 0);
	assert_int_equal(vlapic_pending(&a), -1); /* 0x80 is below the 0x90 in service */
	/* x2APIC -> x2APIC is fine. */
	msr_wr(VLAPIC_MSR_APIC_BASE, BASE_X2);

	/* x2APIC -> disabled -> xAPIC: reset, ID kept. */
	msr_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT);
	assert_false(vlapic_enabled(&a));
	msr_wr(VLAPIC_MSR_APIC_BASE, BASE_EN);
	assert_int_equal(rd(VLAPIC_REG_ID), BSP_ID << 24);
	expect_reset_regs();
}

static void test_apic_base_invalid_transitions(void **state)
{
	static const uint64_t rsvd[] = {1ULL << 0,  1ULL << 7,  1ULL << 9,
	                                1ULL << 40, 1ULL << 51, 1ULL << 63};

	(void)state;
	for (unsigned i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
		expect_gp_wr(VLAPIC_MSR_APIC_BASE, BASE_EN | rsvd[i]);
		expect_gp_wr(VLAPIC_MSR_APIC_BASE, BASE_X2 | rsvd[i]);
	}
	/* Bit 39 is the top of a 40-bit physical address: allowed. */
	msr_wr(VLAPIC_MSR_APIC_BASE, (1ULL << 39) | BASE_EN);
	msr_wr(VLAPIC_MSR_APIC_BASE, BASE_EN);
	/* EXTD without EN, from xAPIC. */
	expect_gp_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT | VLAPIC_BASE_X2APIC);

	/* From x2APIC: to xAPIC directly, or to EXTD without EN. */
	to_x2apic();
	expect_gp_wr(VLAPIC_MSR_APIC_BASE, BASE_EN);
	expect_gp_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT | VLAPIC_BASE_X2APIC);

	/* From disabled: to x2APIC directly, or to EXTD without EN. */
	msr_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT);
	expect_gp_wr(VLAPIC_MSR_APIC_BASE, BASE_X2);
	expect_gp_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT | VLAPIC_BASE_X2APIC);
	assert_false(vlapic_enabled(&a));
}

/* --- x2APIC MSR rules --- */

static void test_x2apic_msrs_outside_x2apic_mode(void **state)
{
	static const uint32_t msrs[] = {0x800, 0x802, 0x808, 0x80b, 0x830, 0x83f, 0x8ff};
	uint64_t val;

	(void)state;
	for (unsigned i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
		expect_gp_rw(msrs[i]); /* xAPIC mode */
	msr_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT);
	for (unsigned i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
		expect_gp_rw(msrs[i]); /* disabled */
	/* Not an APIC MSR at all. */
	assert_int_equal(msr_rd_rc(0x10, &val), VLAPIC_GP);
	assert_int_equal(msr_wr_rc(0x10, 0), VLAPIC_GP);

	/* In x2APIC mode the MMIO page is gone. */
	msr_wr(VLAPIC_MSR_APIC_BASE, BASE_EN);
	to_x2apic();
	assert_int_equal(rd(VLAPIC_REG_VERSION), 0);
	assert_int_equal(rd(VLAPIC_REG_ID), 0);
	wr(VLAPIC_REG_TPR, 0x50);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_TPR)), 0);
}

static void test_x2apic_register_access_rules(void **state)
{
	(void)state;
	to_x2apic();
	sw_enable();
	/* Read-only: ID, version, PPR, LDR, ISR/TMR/IRR, current count. */
	static const uint32_t ro[] = {VLAPIC_REG_ID, VLAPIC_REG_VERSION, VLAPIC_REG_PPR,
	                              VLAPIC_REG_LDR, VLAPIC_REG_TIMER_CCR};
	for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		msr_rd(X2(ro[i]));
		expect_gp_wr(X2(ro[i]), 0);
	}
	for (uint32_t i = 0; i < 8; i++) {
		msr_rd(X2(VLAPIC_REG_ISR0) + i);
		msr_rd(X2(VLAPIC_REG_TMR0) + i);
		msr_rd(X2(VLAPIC_REG_IRR0) + i);
		expect_gp_wr(X2(VLAPIC_REG_ISR0) + i, 0);
		expect_gp_wr(X2(VLAPIC_REG_TMR0) + i, 0);
		expect_gp_wr(X2(VLAPIC_REG_IRR0) + i, 0);
	}
	/* Write-only: EOI and SELF IPI. */
	uint64_t val = 1;
	assert_int_equal(msr_rd_rc(X2(VLAPIC_REG_EOI), &val), VLAPIC_GP);
	assert_int_equal(msr_rd_rc(X2(VLAPIC_REG_SELF_IPI), &val), VLAPIC_GP);
	msr_wr(X2(VLAPIC_REG_EOI), 0);
	msr_wr(X2(VLAPIC_REG_SELF_IPI), 0x40);
	/* Absent in x2APIC mode: DFR, ICR high, APR, RRD; and the unassigned ones. */
	static const uint32_t absent[] = {0x800, 0x801, 0x804, 0x807, 0x809, 0x80c, 0x80e,
	                                  0x829, 0x82e, 0x831, 0x83a, 0x83d, 0x840, 0x8ff};
	for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		expect_gp_rw(absent[i]);
	/* Read/write ones round-trip. */
	msr_wr(X2(VLAPIC_REG_TPR), 0xa5);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_TPR)), 0xa5);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_PPR)), 0xa5);
	msr_wr(X2(VLAPIC_REG_TIMER_DCR), 0xa);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_TIMER_DCR)), 0xa);
	msr_wr(X2(VLAPIC_REG_LVT_ERROR), 0x10033);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_LVT_ERROR)), 0x10033);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_VERSION)), VERSION);
}

static void test_x2apic_reserved_bits(void **state)
{
	(void)state;
	to_x2apic();
	sw_enable();
	expect_gp_wr(X2(VLAPIC_REG_TPR), 0x100);
	expect_gp_wr(X2(VLAPIC_REG_TPR), 1ULL << 32);
	expect_gp_wr(X2(VLAPIC_REG_EOI), 1);
	expect_gp_wr(X2(VLAPIC_REG_EOI), 1ULL << 40);
	expect_gp_wr(X2(VLAPIC_REG_ESR), 1);
	expect_gp_wr(X2(VLAPIC_REG_SVR), 0x11ff); /* no EOI-broadcast suppression */
	expect_gp_wr(X2(VLAPIC_REG_SVR), 0x8000);
	expect_gp_wr(X2(VLAPIC_REG_LVT_TIMER), 1u << 19);
	expect_gp_wr(X2(VLAPIC_REG_LVT_TIMER), 0x100);    /* no delivery mode */
	expect_gp_wr(X2(VLAPIC_REG_LVT_TIMER), 3u << 17); /* reserved mode */
	expect_gp_wr(X2(VLAPIC_REG_LVT_LINT0), 1u << 17);
	expect_gp_wr(X2(VLAPIC_REG_LVT_LINT1), 1ULL << 32);
	expect_gp_wr(X2(VLAPIC_REG_LVT_ERROR), 0x400);    /* no delivery mode */
	expect_gp_wr(X2(VLAPIC_REG_LVT_THERM), 1u << 13); /* no polarity */
	expect_gp_wr(X2(VLAPIC_REG_LVT_PMC), 1u << 15);   /* no trigger mode */
	expect_gp_wr(X2(VLAPIC_REG_LVT_CMCI), 1u << 20);
	expect_gp_wr(X2(VLAPIC_REG_ICR_LOW), 0x4031 | 1u << 12); /* no delivery status */
	expect_gp_wr(X2(VLAPIC_REG_ICR_LOW), 0x4031 | 1u << 13);
	expect_gp_wr(X2(VLAPIC_REG_ICR_LOW), 0x4031 | 1u << 16);
	expect_gp_wr(X2(VLAPIC_REG_ICR_LOW), 0x4031 | 1u << 20);
	expect_gp_wr(X2(VLAPIC_REG_TIMER_ICR), 1ULL << 32);
	expect_gp_wr(X2(VLAPIC_REG_TIMER_DCR), 4);
	expect_gp_wr(X2(VLAPIC_REG_SELF_IPI), 0x140);
	/* The read-only bits (delivery status, remote IRR) are ignored, not reserved. */
	msr_wr(X2(VLAPIC_REG_LVT_LINT0), 0x1f7ff);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_LVT_LINT0)), 0x1a7ff);
	msr_wr(X2(VLAPIC_REG_LVT_THERM), 0x117ff);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_LVT_THERM)), 0x107ff);
}

/* --- IDs --- */

static void test_id_and_ldr(void **state)
{
	(void)state;
	vlapic_reset(&a, 0x123, false);
	/* xAPIC: the low 8 bits in 31:24; ID read-only; LDR 31:24 and DFR 31:28 writable. */
	assert_int_equal(rd(VLAPIC_REG_ID), 0x23000000);
	wr(VLAPIC_REG_ID, 0x45000000);
	assert_int_equal(rd(VLAPIC_REG_ID), 0x23000000);
	wr(VLAPIC_REG_LDR, 0xffffffff);
	assert_int_equal(rd(VLAPIC_REG_LDR), 0xff000000);
	wr(VLAPIC_REG_DFR, 0);
	assert_int_equal(rd(VLAPIC_REG_DFR), 0x0fffffff);
	wr(VLAPIC_REG_VERSION, 0);
	assert_int_equal(rd(VLAPIC_REG_VERSION), VERSION);

	/* x2APIC: the 32-bit ID and the LDR derived from it. */
	to_x2apic();
	assert_int_equal(msr_rd(X2(VLAPIC_REG_ID)), 0x123);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_LDR)), (0x12u << 16) | (1u << 3));

	vlapic_reset(&a, 0x1f, false);
	to_x2apic();
	assert_int_equal(msr_rd(X2(VLAPIC_REG_LDR)), (1u << 16) | 0x8000);
	vlapic_reset(&a, 0xabcde, false);
	to_x2apic();
	assert_int_equal(msr_rd(X2(VLAPIC_REG_ID)), 0xabcde);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_LDR)), (0xabcdu << 16) | (1u << 0xe));
}

/* --- Priorities --- */

static void test_nested_priorities(void **state)
{
	(void)state;
	sw_enable();
	assert_int_equal(vlapic_pending(&a), -1);
	vlapic_accept_fixed(&a, 0x31);
	assert_true(irr_has(0x31));
	take(0x31);
	assert_int_equal(rd(VLAPIC_REG_PPR), 0x30);

	/* A higher class nests. */
	vlapic_accept_fixed(&a, 0x52);
	take(0x52);
	assert_int_equal(rd(VLAPIC_REG_PPR), 0x50);
	/* Lower and equal classes wait. */
	vlapic_accept_fixed(&a, 0x41);
	vlapic_accept_fixed(&a, 0x5f);
	assert_int_equal(vlapic_pending(&a), -1);
	vlapic_accept_fixed(&a, 0x60);
	assert_int_equal(vlapic_pending(&a), 0x60);
	/* Edge-triggered: the TMR stays clear. */
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(rd(VLAPIC_REG_TMR0 + i * 16), 0);

	/* EOI ends the highest in service. */
	take(0x60);
	wr(VLAPIC_REG_EOI, 0);
	assert_false(isr_has(0x60));
	assert_true(isr_has(0x52));
	assert_int_equal(vlapic_pending(&a), -1);
	wr(VLAPIC_REG_EOI, 0);
	assert_false(isr_has(0x52));
	assert_true(isr_has(0x31));
	assert_int_equal(rd(VLAPIC_REG_PPR), 0x30);
	/* Highest IRR first. */
	take(0x5f);
	wr(VLAPIC_REG_EOI, 0);
	take(0x41);
	wr(VLAPIC_REG_EOI, 0);
	assert_int_equal(rd(VLAPIC_REG_PPR), 0x30);
	wr(VLAPIC_REG_EOI, 0);
	assert_int_equal(rd(VLAPIC_REG_PPR), 0);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(rd(VLAPIC_REG_ISR0 + i * 16), 0);
	/* EOI with nothing in service does nothing. */
	wr(VLAPIC_REG_EOI, 0);
	assert_int_equal(vlapic_pending(&a), -1);

	/* The same in x2APIC mode, EOI through its MSR. */
	to_x2apic();
	vlapic_accept_fixed(&a, 0xfe);
	vlapic_accept_fixed(&a, 0x20);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_IRR0) + 7), 1u << 30);
	vlapic_ack(&a, 0xfe);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_ISR0) + 7), 1u << 30);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_PPR)), 0xf0);
	msr_wr(X2(VLAPIC_REG_EOI), 0);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_ISR0) + 7), 0);
	assert_int_equal(vlapic_pending(&a), 0x20);
}

static void test_tpr_masks_a_class(void **state)
{
	(void)state;
	sw_enable();
	wr(VLAPIC_REG_TPR, 0x4a);
	assert_int_equal(rd(VLAPIC_REG_PPR), 0x4a);
	vlapic_accept_fixed(&a, 0x45);
	vlapic_accept_fixed(&a, 0x4f);
	assert_int_equal(vlapic_pending(&a), -1); /* same class as the TPR */
	vlapic_accept_fixed(&a, 0x50);
	take(0x50);
	/* PPR: the ISR class wins over a lower TPR, the TPR over a lower ISR class. */
	assert_int_equal(rd(VLAPIC_REG_PPR), 0x50);
	wr(VLAPIC_REG_TPR, 0x5f);
	assert_int_equal(rd(VLAPIC_REG_PPR), 0x5f);
	wr(VLAPIC_REG_TPR, 0x12);
	assert_int_equal(rd(VLAPIC_REG_PPR), 0x50);
	wr(VLAPIC_REG_EOI, 0);
	assert_int_equal(rd(VLAPIC_REG_PPR), 0x12);
	/* Lowering the TPR releases the class. */
	assert_int_equal(vlapic_pending(&a), 0x4f);
	wr(VLAPIC_REG_TPR, 0x4f);
	assert_int_equal(vlapic_pending(&a), -1);
	wr(VLAPIC_REG_TPR, 0x3f);
	assert_int_equal(vlapic_pending(&a), 0x4f);
	/* Only bits 7:0 exist in xAPIC mode. */
	wr(VLAPIC_REG_TPR, 0xffffff20);
	assert_int_equal(rd(VLAPIC_REG_TPR), 0x20);
}

static void test_illegal_vectors(void **state)
{
	struct vlapic_icr icr;

	(void)state;
	sw_enable();
	for (uint8_t v = 0; v < 16; v++)
		vlapic_accept_fixed(&a, v);
	vlapic_accept_fixed(&a, 16); /* the first legal one */
	assert_int_equal(rd(VLAPIC_REG_IRR0), 1u << 16);
	/* The ESR shows the error only after a write latches it, and a second write clears it. */
	assert_int_equal(rd(VLAPIC_REG_ESR), 0);
	assert_int_equal(read_esr(), ESR_RECV);
	assert_int_equal(read_esr(), 0);

	/* With the error LVT unmasked the error raises its interrupt. */
	wr(VLAPIC_REG_LVT_ERROR, 0xee);
	vlapic_accept_fixed(&a, 15);
	assert_true(irr_has(0xee));
	assert_int_equal(read_esr(), ESR_RECV);

	/* Sending an illegal fixed vector flags a send error at the sender. */
	wr(VLAPIC_REG_ICR_HIGH, 0x01000000);
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x4005, now, &icr));
	assert_int_equal(icr.vector, 5);
	assert_int_equal(read_esr(), ESR_SEND);
	/* Not for NMI, whose vector is ignored. */
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x4405, now, &icr));
	assert_int_equal(read_esr(), 0);
	/* A masked error LVT raises nothing, the ESR still records. */
	wr(VLAPIC_REG_LVT_ERROR, MASKED | 0xef);
	vlapic_accept_fixed(&a, 1);
	assert_false(irr_has(0xef));
	assert_int_equal(read_esr(), ESR_RECV);
}

static void test_software_disable(void **state)
{
	(void)state;
	/* Software-disabled after reset: no fixed interrupts, LVTs stay masked. */
	vlapic_accept_fixed(&a, 0x40);
	assert_int_equal(vlapic_pending(&a), -1);
	assert_false(irr_has(0x40));
	for (int i = 0; i < VLAPIC_LVT_COUNT; i++) {
		wr(lvt_regs[i], 0x30);
		assert_int_equal(rd(lvt_regs[i]), MASKED | 0x30);
	}
	/* Enabled: LVTs unmask, interrupts arrive. */
	sw_enable();
	wr(VLAPIC_REG_LVT_LINT0, 0x31);
	assert_int_equal(rd(VLAPIC_REG_LVT_LINT0), 0x31);
	vlapic_accept_fixed(&a, 0x40);
	assert_int_equal(vlapic_pending(&a), 0x40);
	/* Disabled again: every LVT masked, pending IRR held, new ones refused. */
	wr(VLAPIC_REG_SVR, 0xff);
	assert_false(vlapic_sw_enabled(&a));
	for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
		assert_true(rd(lvt_regs[i]) & MASKED);
	assert_int_equal(rd(VLAPIC_REG_LVT_LINT0), MASKED | 0x31);
	assert_int_equal(vlapic_pending(&a), 0x40);
	vlapic_accept_fixed(&a, 0x50);
	assert_false(irr_has(0x50));
	/* SVR: vector, enable and focus bits; the rest is reserved. */
	wr(VLAPIC_REG_SVR, 0xfffff3ff);
	assert_int_equal(rd(VLAPIC_REG_SVR), 0x3ff);

	/* A hardware-disabled APIC takes and offers nothing. */
	msr_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT);
	vlapic_accept_fixed(&a, 0x60);
	assert_int_equal(vlapic_pending(&a), -1);
	assert_int_equal(a.irr[3], 0);
}

/* --- Timer --- */

static void timer_start(uint32_t lvt, uint32_t dcr, uint32_t count)
{
	wr(VLAPIC_REG_LVT_TIMER, lvt);
	wr(VLAPIC_REG_TIMER_DCR, dcr);
	wr(VLAPIC_REG_TIMER_ICR, count);
}

static void test_timer_oneshot(void **state)
{
	uint64_t t0;

	(void)state;
	sw_enable();
	t0 = now;
	timer_start(ONESHOT | 0x40, 0x0 /* divide by 2 */, 1000);
	assert_int_equal(rd(VLAPIC_REG_TIMER_ICR), 1000);
	assert_int_equal(vlapic_timer_next(&a), t0 + 2000);
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 1000);
	now = t0 - 5; /* another CPU's TSC, a little behind: not above the initial count */
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 1000);
	now = t0 + 1;
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 1000);
	now = t0 + 2;
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 999);
	now = t0 + 1001;
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 500);
	now = t0 + 1999;
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 1);
	vlapic_timer_update(&a, now);
	assert_false(irr_has(0x40));
	/* Expiry: IRR set, the count stays at 0, nothing more is armed. */
	now = t0 + 2000;
	vlapic_timer_update(&a, now);
	assert_true(irr_has(0x40));
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 0);
	assert_int_equal(rd(VLAPIC_REG_TIMER_ICR), 1000);
	take(0x40);
	wr(VLAPIC_REG_EOI, 0);
	now += 100000;
	vlapic_timer_update(&a, now);
	assert_int_equal(vlapic_pending(&a), -1);

	/* A late update still fires once; a read fires what is due too. */
	t0 = now;
	wr(VLAPIC_REG_TIMER_ICR, 10);
	now = t0 + 5000;
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 0);
	assert_int_equal(vlapic_pending(&a), 0x40);
	take(0x40);
	wr(VLAPIC_REG_EOI, 0);

	/* Writing 0 stops it. */
	wr(VLAPIC_REG_TIMER_ICR, 10);
	assert_int_not_equal(vlapic_timer_next(&a), UINT64_MAX);
	wr(VLAPIC_REG_TIMER_ICR, 0);
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);
	now += 1000;
	vlapic_timer_update(&a, now);
	assert_int_equal(vlapic_pending(&a), -1);
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 0);

	/* Rewriting the count restarts it from now. */
	t0 = now;
	wr(VLAPIC_REG_TIMER_ICR, 100);
	now = t0 + 150;
	wr(VLAPIC_REG_TIMER_ICR, 100);
	assert_int_equal(vlapic_timer_next(&a), t0 + 150 + 200);
}

static void test_timer_divide(void **state)
{
	static const struct {
		uint32_t dcr, div;
	} cases[] = {{0x0, 2},  {0x1, 4},  {0x2, 8},   {0x3, 16},
	             {0x8, 32}, {0x9, 64}, {0xa, 128}, {0xb, 1}};

	(void)state;
	sw_enable();
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t t0 = now;

		timer_start(ONESHOT | 0x40, cases[i].dcr, 300);
		assert_int_equal(rd(VLAPIC_REG_TIMER_DCR), cases[i].dcr);
		assert_int_equal(vlapic_timer_next(&a), t0 + 300ULL * cases[i].div);
		now = t0 + 100ULL * cases[i].div;
		assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 200);
		now = t0 + 300ULL * cases[i].div;
		vlapic_timer_update(&a, now);
		assert_int_equal(vlapic_pending(&a), 0x40);
		take(0x40);
		wr(VLAPIC_REG_EOI, 0);
	}
	/* Bit 2 and bits 31:4 are reserved. */
	wr(VLAPIC_REG_TIMER_DCR, 0xffffffff);
	assert_int_equal(rd(VLAPIC_REG_TIMER_DCR), 0xb);

	/* A new divide mid-count keeps the count and runs the rest at the new rate. */
	uint64_t t0 = now;
	timer_start(ONESHOT | 0x40, 0x0, 1000); /* /2: due at t0 + 2000 */
	now = t0 + 1000;
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 500);
	wr(VLAPIC_REG_TIMER_DCR, 0x2); /* /8 */
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 500);
	assert_int_equal(vlapic_timer_next(&a), t0 + 1000 + 500 * 8);
	now = t0 + 1000 + 8;
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 499);
}

static void test_timer_periodic_no_drift(void **state)
{
	uint64_t t0, period = 1000 * 4;

	(void)state;
	sw_enable();
	t0 = now;
	timer_start(PERIODIC | 0x41, 0x1 /* divide by 4 */, 1000);
	for (uint64_t k = 1; k <= 20; k++) {
		/* Mid-period count. */
		now = t0 + (k - 1) * period + 1000;
		assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 750);
		assert_int_equal(vlapic_pending(&a), -1);
		/* Serviced late by a varying amount: the next expiry stays on the grid. */
		assert_int_equal(vlapic_timer_next(&a), t0 + k * period);
		now = t0 + k * period + 37 * k;
		vlapic_timer_update(&a, now);
		assert_int_equal(vlapic_timer_next(&a), t0 + (k + 1) * period);
		take(0x41);
		wr(VLAPIC_REG_EOI, 0);
	}
	/* Several periods missed: one interrupt (IRR is one bit), still on the grid. */
	now = t0 + 25 * period + 10;
	vlapic_timer_update(&a, now);
	take(0x41);
	wr(VLAPIC_REG_EOI, 0);
	assert_int_equal(vlapic_timer_next(&a), t0 + 26 * period);
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), (period - 10) / 4 + 1);
	assert_int_equal(vlapic_pending(&a), -1);
	/* The count reloads: right after an expiry it reads the initial count. */
	now = t0 + 26 * period;
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 1000);
	assert_int_equal(vlapic_pending(&a), 0x41);

	/* Periodic -> one-shot mid-count: the current count ends it. */
	take(0x41);
	wr(VLAPIC_REG_EOI, 0);
	wr(VLAPIC_REG_LVT_TIMER, ONESHOT | 0x41);
	assert_int_equal(vlapic_timer_next(&a), t0 + 27 * period);
	now = t0 + 27 * period;
	vlapic_timer_update(&a, now);
	assert_int_equal(vlapic_pending(&a), 0x41);
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);
}

static void test_timer_masked(void **state)
{
	uint64_t t0;

	(void)state;
	sw_enable();
	t0 = now;
	timer_start(MASKED | ONESHOT | 0x42, 0xb, 500);
	/* A masked timer still counts and is reported as armed. */
	assert_int_equal(vlapic_timer_next(&a), t0 + 500);
	now = t0 + 100;
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 400);
	now = t0 + 500;
	vlapic_timer_update(&a, now);
	assert_false(irr_has(0x42));
	assert_int_equal(vlapic_pending(&a), -1);
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);

	/* Periodic and masked: re-arms silently; unmasking lets the next one through. */
	t0 = now;
	timer_start(MASKED | PERIODIC | 0x42, 0xb, 500);
	now = t0 + 500;
	vlapic_timer_update(&a, now);
	assert_false(irr_has(0x42));
	assert_int_equal(vlapic_timer_next(&a), t0 + 1000);
	wr(VLAPIC_REG_LVT_TIMER, PERIODIC | 0x42);
	now = t0 + 1000;
	vlapic_timer_update(&a, now);
	assert_true(irr_has(0x42));
}

static void test_timer_tsc_deadline(void **state)
{
	uint64_t t0 = now;

	(void)state;
	sw_enable();
	/* Outside TSC-deadline mode the MSR ignores writes and reads 0. */
	msr_wr(VLAPIC_MSR_TSC_DEADLINE, t0 + 100);
	assert_int_equal(msr_rd(VLAPIC_MSR_TSC_DEADLINE), 0);
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);

	wr(VLAPIC_REG_LVT_TIMER, DEADLINE | 0x43);
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);
	msr_wr(VLAPIC_MSR_TSC_DEADLINE, t0 + 5000);
	assert_int_equal(msr_rd(VLAPIC_MSR_TSC_DEADLINE), t0 + 5000);
	assert_int_equal(vlapic_timer_next(&a), t0 + 5000);
	/* The count registers are unused: writes ignored, CCR reads 0. */
	wr(VLAPIC_REG_TIMER_ICR, 10);
	assert_int_equal(rd(VLAPIC_REG_TIMER_ICR), 0);
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 0);
	assert_int_equal(vlapic_timer_next(&a), t0 + 5000);
	now = t0 + 4999;
	vlapic_timer_update(&a, now);
	assert_false(irr_has(0x43));
	/* Expiry fires and clears the MSR. */
	now = t0 + 5000;
	vlapic_timer_update(&a, now);
	assert_true(irr_has(0x43));
	assert_int_equal(msr_rd(VLAPIC_MSR_TSC_DEADLINE), 0);
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);
	take(0x43);
	wr(VLAPIC_REG_EOI, 0);

	/* Writing 0 disarms. */
	msr_wr(VLAPIC_MSR_TSC_DEADLINE, now + 10);
	msr_wr(VLAPIC_MSR_TSC_DEADLINE, 0);
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);
	now += 100;
	vlapic_timer_update(&a, now);
	assert_int_equal(vlapic_pending(&a), -1);
	/* A deadline already past fires at once. */
	msr_wr(VLAPIC_MSR_TSC_DEADLINE, now - 50);
	assert_int_equal(vlapic_pending(&a), 0x43);
	assert_int_equal(msr_rd(VLAPIC_MSR_TSC_DEADLINE), 0);
	take(0x43);
	wr(VLAPIC_REG_EOI, 0);
	/* Masked: expires silently. */
	wr(VLAPIC_REG_LVT_TIMER, MASKED | DEADLINE | 0x43);
	msr_wr(VLAPIC_MSR_TSC_DEADLINE, now + 10);
	now += 10;
	vlapic_timer_update(&a, now);
	assert_int_equal(vlapic_pending(&a), -1);
	assert_int_equal(msr_rd(VLAPIC_MSR_TSC_DEADLINE), 0);
}

static void test_timer_mode_switch_disarms(void **state)
{
	(void)state;
	sw_enable();
	/* Counting one-shot -> TSC-deadline: disarmed, the count cleared. */
	timer_start(ONESHOT | 0x44, 0xb, 1000);
	wr(VLAPIC_REG_LVT_TIMER, DEADLINE | 0x44);
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);
	assert_int_equal(rd(VLAPIC_REG_TIMER_ICR), 0);
	now += 2000;
	vlapic_timer_update(&a, now);
	assert_int_equal(vlapic_pending(&a), -1);

	/* Armed TSC-deadline -> periodic: disarmed, the MSR cleared. */
	msr_wr(VLAPIC_MSR_TSC_DEADLINE, now + 1000);
	wr(VLAPIC_REG_LVT_TIMER, PERIODIC | 0x44);
	assert_int_equal(vlapic_timer_next(&a), UINT64_MAX);
	assert_int_equal(a.tsc_deadline, 0);
	now += 2000;
	vlapic_timer_update(&a, now);
	assert_int_equal(vlapic_pending(&a), -1);

	/* One-shot -> periodic keeps counting (the mode applies at expiry). */
	uint64_t t0 = now;
	timer_start(ONESHOT | 0x44, 0xb, 1000);
	wr(VLAPIC_REG_LVT_TIMER, PERIODIC | 0x44);
	assert_int_equal(vlapic_timer_next(&a), t0 + 1000);
	now = t0 + 1000;
	vlapic_timer_update(&a, now);
	assert_int_equal(vlapic_pending(&a), 0x44);
	assert_int_equal(vlapic_timer_next(&a), t0 + 2000);

	/* Mode 11b is reserved: one-shot in xAPIC mode. */
	wr(VLAPIC_REG_LVT_TIMER, 0xffffffff);
	assert_int_equal(rd(VLAPIC_REG_LVT_TIMER), MASKED | 0xff);
}

/* --- ICR --- */

static void test_icr_decode_xapic(void **state)
{
	struct vlapic_icr icr;

	(void)state;
	sw_enable();
	/* The high word alone sends nothing; its bits 23:0 are reserved. */
	assert_false(vlapic_mmio_write(&a, VLAPIC_REG_ICR_HIGH, 0x05abcdef, now, &icr));
	assert_int_equal(rd(VLAPIC_REG_ICR_HIGH), 0x05000000);
	/* Fixed, physical, edge. */
	memset(&icr, 0xcc, sizeof(icr));
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x00004031, now, &icr));
	assert_int_equal(icr.mode, VLAPIC_DM_FIXED);
	assert_int_equal(icr.vector, 0x31);
	assert_false(icr.logical);
	assert_true(icr.level);
	assert_int_equal(icr.shorthand, VLAPIC_SH_NONE);
	assert_int_equal(icr.dest, 5);
	assert_int_equal(icr.source_id, BSP_ID);
	assert_false(icr.x2apic);
	/* Delivery status reads 0; reserved bits are dropped. */
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0xffff7031, now, &icr));
	assert_int_equal(rd(VLAPIC_REG_ICR_LOW), 0x000c4031);
	assert_int_equal(icr.shorthand, VLAPIC_SH_ALL_BUT_SELF);
	/* Lowest priority, logical. */
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x00004952, now, &icr));
	assert_int_equal(icr.mode, VLAPIC_DM_LOWEST);
	assert_true(icr.logical);
	assert_int_equal(icr.vector, 0x52);
	/* INIT assert then de-assert (level 0, trigger level). */
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x0000c500, now, &icr));
	assert_int_equal(icr.mode, VLAPIC_DM_INIT);
	assert_true(icr.level);
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x00008500, now, &icr));
	assert_int_equal(icr.mode, VLAPIC_DM_INIT);
	assert_false(icr.level);
	/* SIPI to all but self, NMI and SMI to self, fixed to all. */
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x000c4608, now, &icr));
	assert_int_equal(icr.mode, VLAPIC_DM_SIPI);
	assert_int_equal(icr.vector, 0x08);
	assert_int_equal(icr.shorthand, VLAPIC_SH_ALL_BUT_SELF);
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x00044400, now, &icr));
	assert_int_equal(icr.mode, VLAPIC_DM_NMI);
	assert_int_equal(icr.shorthand, VLAPIC_SH_SELF);
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x00044200, now, &icr));
	assert_int_equal(icr.mode, VLAPIC_DM_SMI);
	assert_true(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x00084077, now, &icr));
	assert_int_equal(icr.shorthand, VLAPIC_SH_ALL);
	/* Reserved delivery modes send nothing. */
	assert_false(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x00004330, now, &icr));
	assert_false(vlapic_mmio_write(&a, VLAPIC_REG_ICR_LOW, 0x00004730, now, &icr));
	/* Other registers send nothing. */
	assert_false(vlapic_mmio_write(&a, VLAPIC_REG_TPR, 0x4031, now, &icr));
	/* No ESR from all that (the vectors were legal or not used). */
	assert_int_equal(read_esr(), 0);
}

static void test_icr_decode_x2apic(void **state)
{
	struct vlapic_icr icr;
	bool valid = false;

	(void)state;
	vlapic_reset(&a, 0x10203, false);
	to_x2apic();
	sw_enable();
	memset(&icr, 0xcc, sizeof(icr));
	assert_int_equal(vlapic_msr_write(&a, X2(VLAPIC_REG_ICR_LOW),
	                                  0x12345678ULL << 32 | 0x0000c4a1, now, &icr, &valid),
	                 VLAPIC_OK);
	assert_true(valid);
	assert_int_equal(icr.mode, VLAPIC_DM_NMI);
	assert_int_equal(icr.vector, 0xa1);
	assert_false(icr.logical);
	assert_true(icr.level);
	assert_int_equal(icr.shorthand, VLAPIC_SH_NONE);
	assert_int_equal(icr.dest, 0x12345678);
	assert_int_equal(icr.source_id, 0x10203);
	assert_true(icr.x2apic);
	/* One 64-bit register. */
	assert_int_equal(msr_rd(X2(VLAPIC_REG_ICR_LOW)), 0x12345678ULL << 32 | 0x0000c4a1);
	/* Logical, self. */
	assert_int_equal(vlapic_msr_write(&a, X2(VLAPIC_REG_ICR_LOW),
	                                  0xffffffffULL << 32 | 0x00044830, now, &icr, &valid),
	                 VLAPIC_OK);
	assert_true(valid);
	assert_true(icr.logical);
	assert_int_equal(icr.shorthand, VLAPIC_SH_SELF);
	assert_int_equal(icr.dest, 0xffffffff);
	/* A #GP sends nothing. */
	valid = true;
	assert_int_equal(
	        vlapic_msr_write(&a, X2(VLAPIC_REG_ICR_LOW), 0x00102030, now, &icr, &valid),
	        VLAPIC_GP);
	assert_false(valid);
	/* A NULL icr/valid is allowed. */
	assert_int_equal(vlapic_msr_write(&a, X2(VLAPIC_REG_ICR_LOW), 0x4030, now, NULL, NULL),
	                 VLAPIC_OK);
}

/* A set of APICs for destination tests. */
static struct vlapic cpus[8];

static uint32_t targets(const struct vlapic_icr *icr, int n)
{
	uint32_t set = 0;

	for (int i = 0; i < n; i++)
		if (vlapic_icr_targets(&cpus[i], icr))
			set |= 1u << i;
	return set;
}

static void test_targets_physical(void **state)
{
	struct vlapic_icr icr = {.mode = VLAPIC_DM_FIXED, .vector = 0x40, .source_id = 0};

	(void)state;
	for (int i = 0; i < 4; i++)
		vlapic_reset(&cpus[i], (uint32_t)i, i == 0);
	vlapic_reset(&cpus[4], 0x102, false); /* not addressable with 8 bits */
	icr.dest = 2;
	assert_int_equal(targets(&icr, 5), 1u << 2);
	icr.dest = 7;
	assert_int_equal(targets(&icr, 5), 0);
	icr.dest = 0xff;
	assert_int_equal(targets(&icr, 5), 0x1f);
	/* A disabled APIC is never a destination. */
	cpus[1].apic_base &= ~VLAPIC_BASE_ENABLE;
	assert_int_equal(targets(&icr, 5), 0x1d);

	/* x2APIC: 32-bit IDs, broadcast is 0xffffffff. */
	for (int i = 0; i < 5; i++)
		cpus[i].apic_base |= VLAPIC_BASE_ENABLE | VLAPIC_BASE_X2APIC;
	icr.x2apic = true;
	icr.dest = 0x102;
	assert_int_equal(targets(&icr, 5), 1u << 4);
	icr.dest = 2;
	assert_int_equal(targets(&icr, 5), 1u << 2);
	icr.dest = 0xff;
	assert_int_equal(targets(&icr, 5), 0);
	icr.dest = 0xffffffff;
	assert_int_equal(targets(&icr, 5), 0x1f);
}

static void test_targets_logical_flat_and_cluster(void **state)
{
	static const uint32_t flat_ldr[] = {0x01, 0x02, 0x04, 0x80};
	static const uint32_t cluster_ldr[] = {0x11, 0x12, 0x21, 0x28};
	struct vlapic_icr icr = {.mode = VLAPIC_DM_FIXED, .vector = 0x40, .logical = true};
	struct vlapic_icr sent;

	(void)state;
	for (int i = 0; i < 4; i++) {
		vlapic_reset(&cpus[i], (uint32_t)i, i == 0);
		/* Programmed the way the guest does it. */
		assert_false(
		        vlapic_mmio_write(&cpus[i], VLAPIC_REG_LDR, flat_ldr[i] << 24, now, &sent));
	}
	icr.dest = 0x05;
	assert_int_equal(targets(&icr, 4), 0x5);
	icr.dest = 0x80;
	assert_int_equal(targets(&icr, 4), 0x8);
	icr.dest = 0x70;
	assert_int_equal(targets(&icr, 4), 0);
	icr.dest = 0xff;
	assert_int_equal(targets(&icr, 4), 0xf);

	/* Cluster model: cluster in 7:4, one bit per APIC in 3:0. */
	for (int i = 0; i < 4; i++) {
		assert_false(vlapic_mmio_write(&cpus[i], VLAPIC_REG_LDR, cluster_ldr[i] << 24, now,
		                               &sent));
		assert_false(vlapic_mmio_write(&cpus[i], VLAPIC_REG_DFR, 0x0fffffff, now, &sent));
	}
	icr.dest = 0x13;
	assert_int_equal(targets(&icr, 4), 0x3);
	icr.dest = 0x11;
	assert_int_equal(targets(&icr, 4), 0x1);
	icr.dest = 0x29;
	assert_int_equal(targets(&icr, 4), 0xc);
	icr.dest = 0x22;
	assert_int_equal(targets(&icr, 4), 0);
	icr.dest = 0x31;
	assert_int_equal(targets(&icr, 4), 0);
	icr.dest = 0x01; /* cluster 0: no APIC */
	assert_int_equal(targets(&icr, 4), 0);
	icr.dest = 0xff;
	assert_int_equal(targets(&icr, 4), 0xf);
	/* A physical destination ignores the logical IDs. */
	icr.logical = false;
	icr.dest = 0x2;
	assert_int_equal(targets(&icr, 4), 0x4);
}

static void test_targets_x2apic_cluster(void **state)
{
	static const uint32_t ids[] = {0x00, 0x01, 0x0f, 0x10, 0x1f, 0x123};
	struct vlapic_icr icr = {
	        .mode = VLAPIC_DM_FIXED, .vector = 0x40, .logical = true, .x2apic = true};

	(void)state;
	for (int i = 0; i < 6; i++) {
		vlapic_reset(&cpus[i], ids[i], i == 0);
		cpus[i].apic_base |= VLAPIC_BASE_X2APIC;
	}
	icr.dest = (0u << 16) | 0x8003;
	assert_int_equal(targets(&icr, 6), 0x7);
	icr.dest = (1u << 16) | 0x8000;
	assert_int_equal(targets(&icr, 6), 1u << 4);
	icr.dest = (1u << 16) | 0x8001;
	assert_int_equal(targets(&icr, 6), 0x18);
	icr.dest = (0x12u << 16) | 0x0008;
	assert_int_equal(targets(&icr, 6), 1u << 5);
	icr.dest = (0x12u << 16) | 0x0004;
	assert_int_equal(targets(&icr, 6), 0);
	icr.dest = (2u << 16) | 0xffff;
	assert_int_equal(targets(&icr, 6), 0);
	icr.dest = 0xffffffff;
	assert_int_equal(targets(&icr, 6), 0x3f);
}

static void test_targets_shorthands(void **state)
{
	struct vlapic_icr icr = {
	        .mode = VLAPIC_DM_FIXED, .vector = 0x40, .dest = 0, .source_id = 2};

	(void)state;
	for (int i = 0; i < 4; i++)
		vlapic_reset(&cpus[i], (uint32_t)i, i == 0);
	icr.shorthand = VLAPIC_SH_SELF;
	assert_int_equal(targets(&icr, 4), 1u << 2);
	icr.shorthand = VLAPIC_SH_ALL;
	assert_int_equal(targets(&icr, 4), 0xf);
	icr.shorthand = VLAPIC_SH_ALL_BUT_SELF;
	assert_int_equal(targets(&icr, 4), 0xb);
	/* The destination field does not matter with a shorthand, nor does the mode. */
	icr.dest = 2;
	icr.logical = true;
	assert_int_equal(targets(&icr, 4), 0xb);
	for (int i = 0; i < 4; i++)
		cpus[i].apic_base |= VLAPIC_BASE_X2APIC;
	icr.x2apic = true;
	icr.shorthand = VLAPIC_SH_SELF;
	assert_int_equal(targets(&icr, 4), 1u << 2);
}

static void test_self_ipi(void **state)
{
	(void)state;
	to_x2apic();
	/* Dropped while software-disabled. */
	msr_wr(X2(VLAPIC_REG_SELF_IPI), 0x55);
	assert_int_equal(vlapic_pending(&a), -1);
	sw_enable();
	msr_wr(X2(VLAPIC_REG_SELF_IPI), 0x55);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_IRR0) + 2), 1u << 0x15);
	assert_int_equal(vlapic_pending(&a), 0x55);
	msr_wr(X2(VLAPIC_REG_SELF_IPI), 0xff);
	assert_int_equal(vlapic_pending(&a), 0xff);
	/* An illegal vector: send and receive errors, no IRR. */
	msr_wr(X2(VLAPIC_REG_SELF_IPI), 0x07);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_IRR0)), 0);
	msr_wr(X2(VLAPIC_REG_ESR), 0);
	assert_int_equal(msr_rd(X2(VLAPIC_REG_ESR)), ESR_SEND | ESR_RECV);
	/* Not in xAPIC mode: the offset is unused there. */
	msr_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT);
	msr_wr(VLAPIC_MSR_APIC_BASE, BASE_EN);
	sw_enable();
	wr(VLAPIC_REG_SELF_IPI, 0x66);
	assert_int_equal(vlapic_pending(&a), -1);
	assert_int_equal(rd(VLAPIC_REG_SELF_IPI), 0);
}

static void test_mmio_odd_accesses(void **state)
{
	(void)state;
	sw_enable();
	wr(VLAPIC_REG_TPR, 0x30);
	/* Not 16-byte aligned, or outside the page: reads 0, writes dropped. */
	assert_int_equal(rd(VLAPIC_REG_VERSION + 4), 0);
	assert_int_equal(rd(0x1000 + VLAPIC_REG_VERSION), 0);
	wr(VLAPIC_REG_TPR + 4, 0x70);
	wr(0x1000 + VLAPIC_REG_TPR, 0x70);
	assert_int_equal(rd(VLAPIC_REG_TPR), 0x30);
	/* Reserved offsets and read-only registers. */
	assert_int_equal(rd(0x010), 0);
	assert_int_equal(rd(0x400), 0);
	assert_int_equal(rd(VLAPIC_REG_APR), 0);
	assert_int_equal(rd(VLAPIC_REG_EOI), 0);
	vlapic_accept_fixed(&a, 0x10);
	vlapic_ack(&a, 0x10); /* below the TPR: acked by hand */
	assert_int_equal(rd(VLAPIC_REG_ISR0), 1u << 16);
	assert_int_equal(rd(VLAPIC_REG_ISR0 + 4), 0);
	assert_int_equal(rd(VLAPIC_REG_ISR0 + 8), 0);
	vlapic_accept_fixed(&a, 0x80);
	wr(VLAPIC_REG_IRR0 + 0x40, 0);
	wr(VLAPIC_REG_PPR, 0xff);
	wr(VLAPIC_REG_TIMER_CCR, 5);
	assert_true(irr_has(0x80));
	assert_int_equal(rd(VLAPIC_REG_PPR), 0x30);
	assert_int_equal(rd(VLAPIC_REG_TIMER_CCR), 0);
	/* The LVTs keep only their defined bits. */
	wr(VLAPIC_REG_LVT_LINT0, 0xffffffff);
	assert_int_equal(rd(VLAPIC_REG_LVT_LINT0), 0x1a7ff);
	wr(VLAPIC_REG_LVT_ERROR, 0xffffffff);
	assert_int_equal(rd(VLAPIC_REG_LVT_ERROR), 0x100ff);
	wr(VLAPIC_REG_LVT_PMC, 0xffffffff);
	assert_int_equal(rd(VLAPIC_REG_LVT_PMC), 0x107ff);
	wr(VLAPIC_REG_LVT_CMCI, 0xffffffff);
	assert_int_equal(rd(VLAPIC_REG_LVT_CMCI), 0x107ff);
}

/* A level-triggered interrupt sets TMR; its EOI is reported once, an edge one's never. */
static void test_level_eoi_reported(void **state)
{
	(void)state;
	uint8_t vector = 0;

	wr(VLAPIC_REG_SVR, 0x1ff);
	vlapic_accept_interrupt(&a, 0x41, true);
	vlapic_accept_interrupt(&a, 0x30, false);
	assert_int_equal(rd(VLAPIC_REG_TMR0 + 0x20), 1u << 1);
	assert_int_equal(rd(VLAPIC_REG_TMR0 + 0x10), 0);
	vlapic_ack(&a, 0x41);
	vlapic_ack(&a, 0x30);
	wr(VLAPIC_REG_EOI, 0); /* retires 0x41, the highest in service */
	assert_true(vlapic_take_level_eoi(&a, &vector));
	assert_int_equal(vector, 0x41);
	assert_false(vlapic_take_level_eoi(&a, &vector));
	wr(VLAPIC_REG_EOI, 0); /* 0x30: edge */
	assert_false(vlapic_take_level_eoi(&a, &vector));
	/* The same vector edge-triggered later clears its TMR bit. */
	vlapic_accept_interrupt(&a, 0x41, false);
	assert_int_equal(rd(VLAPIC_REG_TMR0 + 0x20), 0);
}

/* The PIC's INTR passes through LINT0 in ExtINT mode, or with the APIC globally disabled. */
static void test_accepts_extint(void **state)
{
	(void)state;

	assert_false(vlapic_accepts_extint(&a)); /* reset: LINT0 masked */
	wr(VLAPIC_REG_SVR, 0x1ff);
	wr(VLAPIC_REG_LVT_LINT0, 0x700);
	assert_true(vlapic_accepts_extint(&a));
	wr(VLAPIC_REG_LVT_LINT0, 0x10700);
	assert_false(vlapic_accepts_extint(&a));
	wr(VLAPIC_REG_LVT_LINT0, 0x400); /* NMI mode */
	assert_false(vlapic_accepts_extint(&a));
	msr_wr(VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT | VLAPIC_BASE_BSP);
	assert_true(vlapic_accepts_extint(&a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_reset_values, setup),
	        cmocka_unit_test_setup(test_init_signal, setup),
	        cmocka_unit_test_setup(test_apic_base_valid_transitions, setup),
	        cmocka_unit_test_setup(test_apic_base_invalid_transitions, setup),
	        cmocka_unit_test_setup(test_x2apic_msrs_outside_x2apic_mode, setup),
	        cmocka_unit_test_setup(test_x2apic_register_access_rules, setup),
	        cmocka_unit_test_setup(test_x2apic_reserved_bits, setup),
	        cmocka_unit_test_setup(test_id_and_ldr, setup),
	        cmocka_unit_test_setup(test_nested_priorities, setup),
	        cmocka_unit_test_setup(test_tpr_masks_a_class, setup),
	        cmocka_unit_test_setup(test_illegal_vectors, setup),
	        cmocka_unit_test_setup(test_software_disable, setup),
	        cmocka_unit_test_setup(test_timer_oneshot, setup),
	        cmocka_unit_test_setup(test_timer_divide, setup),
	        cmocka_unit_test_setup(test_timer_periodic_no_drift, setup),
	        cmocka_unit_test_setup(test_timer_masked, setup),
	        cmocka_unit_test_setup(test_timer_tsc_deadline, setup),
	        cmocka_unit_test_setup(test_timer_mode_switch_disarms, setup),
	        cmocka_unit_test_setup(test_icr_decode_xapic, setup),
	        cmocka_unit_test_setup(test_icr_decode_x2apic, setup),
	        cmocka_unit_test_setup(test_targets_physical, setup),
	        cmocka_unit_test_setup(test_targets_logical_flat_and_cluster, setup),
	        cmocka_unit_test_setup(test_targets_x2apic_cluster, setup),
	        cmocka_unit_test_setup(test_targets_shorthands, setup),
	        cmocka_unit_test_setup(test_self_ipi, setup),
	        cmocka_unit_test_setup(test_mmio_odd_accesses, setup),
	        cmocka_unit_test_setup(test_level_eoi_reported, setup),
	        cmocka_unit_test_setup(test_accepts_extint, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
