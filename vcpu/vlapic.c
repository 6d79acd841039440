/*
 * A vCPU's virtual local APIC (see vlapic.h). Section numbers are those of
 * the Intel SDM Vol. 3A, chapter 11 ("Advanced Programmable Interrupt
 * Controller"; chapter 10 in older editions).
 *
 * Choices where the SDM leaves room:
 *  - Version register 0x00060014: integrated APIC version 0x14, max LVT
 *    entry 6 (seven LVTs: CMCI, timer, thermal, PMC, LINT0, LINT1, error),
 *    bit 24 clear (no EOI-broadcast suppression, so SVR bit 12 is reserved).
 *  - The xAPIC ID register is read-only (writing it is model specific, 11.4.6):
 *    the ID is the one the vCPU was created with.
 *  - IA32_APIC_BASE.BSP is read-only: writes keep the value set at reset.
 *  - Every register access first brings the timer up to `now`, so an expiry
 *    that is due is never lost or reordered with the access.
 *  - The x2APIC SELF IPI is delivered here (it only ever targets this APIC),
 *    so it does not produce a struct vlapic_icr.
 *  - ICR delivery modes 011b and 111b are reserved: such writes send nothing.
 *  - A divide-configuration write while counting applies to the rest of the
 *    count (the current count value is kept, it then runs at the new rate).
 *  - LVT timer mode 11b is reserved: #GP in x2APIC mode, one-shot in xAPIC mode.
 *  - Errors (ESR) raise the LVT error interrupt when it is unmasked.
 *  - Outside xAPIC mode the MMIO page reads 0 and ignores writes.
 */
#include "vcpu/vlapic.h"

#include <stddef.h>
#include <string.h>

#define VLAPIC_VERSION 0x00060014u

#define LVT_MASKED      (1u << 16)
#define LVT_VECTOR      0xffu
#define LVT_TIMER_SHIFT 17
#define LVT_TIMER_MODE  (3u << LVT_TIMER_SHIFT)
#define LVT_DM_EXTINT   7u

/* Index in a->lvt[] of each LVT, in register order (0x2f0, 0x320..0x370). */
#define LVT_CMCI  0
#define LVT_TIMER 1
#define LVT_THERM 2
#define LVT_PMC   3
#define LVT_LINT0 4
#define LVT_LINT1 5
#define LVT_ERROR 6

#define SVR_ENABLE   (1u << 8)
#define SVR_WRITABLE 0x3ffu /* vector, APIC enable, focus processor checking */

#define DFR_MODEL_FLAT    0xfu
#define DFR_MODEL_CLUSTER 0x0u

/* ESR bits (11.5.3). */
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)

/*
 * ICR low word: vector, delivery mode, destination mode, level, trigger,
 * shorthand. Delivery status (bit 12, absent in x2APIC mode) always reads 0.
 */
#define ICR_WRITABLE 0x000ccfffu

#define TPR_WRITABLE 0xffu
#define DCR_WRITABLE 0xbu

/* Reserved IA32_APIC_BASE bits: 0-7, 9 and above MAXPHYADDR (40 bits). */
#define BASE_RESERVED (0x2ffULL | ~((1ULL << 40) - 1))

static uint32_t lvt_index(uint32_t reg)
{
	return reg == VLAPIC_REG_LVT_CMCI ? LVT_CMCI : (reg - VLAPIC_REG_LVT_TIMER) / 16 + 1;
}

/* Bits software may write in each LVT (Figure 11-8). */
static uint32_t lvt_writable(uint32_t idx)
{
	switch (idx) {
	case LVT_TIMER: return 0x000700ffu; /* vector, mask, timer mode */
	case LVT_LINT0:
	case LVT_LINT1: return 0x0001a7ffu; /* + delivery mode, polarity, trigger */
	case LVT_ERROR: return 0x000100ffu;
	default: return 0x000107ffu; /* CMCI, thermal, PMC: vector, delivery mode, mask */
	}
}

/* Read-only LVT bits (delivery status; remote IRR for LINT0/1): ignored, not reserved. */
static uint32_t lvt_readonly(uint32_t idx)
{
	return idx == LVT_LINT0 || idx == LVT_LINT1 ? 0x5000u : 0x1000u;
}

/* A set reserved bit: #GP in x2APIC mode (11.12.1.3); xAPIC ignores them. */
static bool reserved(bool x2, uint64_t val, uint64_t allowed)
{
	return x2 && (val & ~allowed) != 0;
}

static void set_vec(uint32_t *r, uint8_t v)
{
	r[v / 32] |= 1u << (v % 32);
}

static void clear_vec(uint32_t *r, uint8_t v)
{
	r[v / 32] &= ~(1u << (v % 32));
}

/* The highest vector set in a 256-bit register, or -1. */
static int highest_vec(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

/* 11.8.3.1: the processor priority. */
static uint32_t ppr(const struct vlapic *a)
{
	int isrv = highest_vec(a->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (a->tpr & 0xf0) >= isr_class ? a->tpr & 0xff : isr_class;
}

static enum vlapic_timer_mode timer_mode(const struct vlapic *a)
{
	uint32_t m = (a->lvt[LVT_TIMER] & LVT_TIMER_MODE) >> LVT_TIMER_SHIFT;

	return m == VLAPIC_TIMER_PERIODIC || m == VLAPIC_TIMER_TSC_DEADLINE ? m
	                                                                    : VLAPIC_TIMER_ONESHOT;
}

/* DCR bits 3,1,0: 000 -> 2, 001 -> 4, ..., 110 -> 128, 111 -> 1 (Figure 11-10). */
static uint64_t timer_divisor(const struct vlapic *a)
{
	uint32_t v = ((a->timer_dcr & 8) >> 1) | (a->timer_dcr & 3);

	return 1ULL << ((v + 1) & 7);
}

static uint64_t timer_period(const struct vlapic *a)
{
	return (uint64_t)a->timer_icr * timer_divisor(a);
}

/* The register state after RESET or INIT (11.4.7.1); ID and base are the caller's. */
static void reset_regs(struct vlapic *a)
{
	a->tpr = 0;
	a->ldr = vlapic_x2apic_mode(a) ? x2apic_ldr(a->id) : 0;
	a->dfr = 0xffffffffu;
	a->svr = 0xff;
	a->esr = 0;
	a->esr_pending = 0;
	a->icr_low = 0;
	a->icr_high = 0;
	for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
		a->lvt[i] = LVT_MASKED;
	memset(a->irr, 0, sizeof(a->irr));
	memset(a->isr, 0, sizeof(a->isr));
	memset(a->tmr, 0, sizeof(a->tmr));
	a->timer_icr = 0;
	a->timer_dcr = 0;
	a->timer_start = 0;
	a->timer_deadline = 0;
	a->tsc_deadline = 0;
}

void vlapic_reset(struct vlapic *a, uint32_t id, bool bsp)
{
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->apic_base = VLAPIC_BASE_DEFAULT | VLAPIC_BASE_ENABLE | (bsp ? VLAPIC_BASE_BSP : 0);
	reset_regs(a);
}

/* 11.4.7.3 and 11.12.5.1: INIT keeps the ID and IA32_APIC_BASE (so the mode). */
void vlapic_init_signal(struct vlapic *a)
{
	reset_regs(a);
}

bool vlapic_enabled(const struct vlapic *a)
{
	return (a->apic_base & VLAPIC_BASE_ENABLE) != 0;
}

bool vlapic_x2apic_mode(const struct vlapic *a)
{
	return vlapic_enabled(a) && (a->apic_base & VLAPIC_BASE_X2APIC) != 0;
}

bool vlapic_sw_enabled(const struct vlapic *a)
{
	return (a->svr & SVR_ENABLE) != 0;
}

uint64_t vlapic_mmio_base(const struct vlapic *a)
{
	return a->apic_base & VLAPIC_BASE_ADDR_MASK;
}

/* 11.5.3: records an error and raises the error interrupt if unmasked. */
static void raise_error(struct vlapic *a, uint32_t bits)
{
	uint32_t lvt = a->lvt[LVT_ERROR];

	a->esr_pending |= bits;
	if (lvt & LVT_MASKED)
		return;
	if ((lvt & LVT_VECTOR) < 16)
		a->esr_pending |= ESR_RECV_ILLEGAL; /* no interrupt: it would be illegal too */
	else
		set_vec(a->irr, lvt & LVT_VECTOR);
}

void vlapic_accept_interrupt(struct vlapic *a, uint8_t vector, bool level)
{
	if (!vlapic_enabled(a) || !vlapic_sw_enabled(a))
		return;
	if (vector < 16) {
		raise_error(a, ESR_RECV_ILLEGAL);
		return;
	}
	set_vec(a->irr, vector);
	if (level)
		set_vec(a->tmr, vector);
	else
		clear_vec(a->tmr, vector);
}

void vlapic_accept_fixed(struct vlapic *a, uint8_t vector)
{
	vlapic_accept_interrupt(a, vector, false);
}

bool vlapic_take_level_eoi(struct vlapic *a, uint8_t *vector)
{
	bool had = a->level_eoi;

	a->level_eoi = false;
	*vector = a->level_eoi_vector;
	return had;
}

bool vlapic_accepts_extint(const struct vlapic *a)
{
	uint32_t lint0 = a->lvt[LVT_LINT0];

	if (!vlapic_enabled(a))
		return true;
	return !(lint0 & LVT_MASKED) && ((lint0 >> 8) & 7) == LVT_DM_EXTINT;
}

int vlapic_pending(const struct vlapic *a)
{
	int v;

	if (!vlapic_enabled(a))
		return -1;
	v = highest_vec(a->irr);
	if (v < 0 || ((uint32_t)v & 0xf0) <= (ppr(a) & 0xf0))
		return -1;
	return v;
}

void vlapic_ack(struct vlapic *a, uint8_t vector)
{
	clear_vec(a->irr, vector);
	set_vec(a->isr, vector);
}

/* 11.8.5: EOI retires the highest vector in service; a level-triggered one goes on to the I/O APIC. */
static void eoi(struct vlapic *a)
{
	int v = highest_vec(a->isr);

	if (v < 0)
		return;
	clear_vec(a->isr, (uint8_t)v);
	if (a->tmr[v / 32] & (1u << (v % 32))) {
		a->level_eoi = true;
		a->level_eoi_vector = (uint8_t)v;
	}
}

uint8_t vlapic_tpr(const struct vlapic *a)
{
	return (uint8_t)a->tpr;
}

void vlapic_set_tpr(struct vlapic *a, uint8_t tpr)
{
	a->tpr = tpr & TPR_WRITABLE;
}

/* --- Timer (11.5.4) --- */

void vlapic_timer_update(struct vlapic *a, uint64_t now)
{
	uint32_t lvt = a->lvt[LVT_TIMER];
	uint64_t period;

	if (a->timer_deadline == 0 || now < a->timer_deadline)
		return;
	if (!(lvt & LVT_MASKED))
		vlapic_accept_fixed(a, lvt & LVT_VECTOR);
	switch (timer_mode(a)) {
	case VLAPIC_TIMER_PERIODIC:
		/* Re-armed from the expiry, not from now; missed periods coalesce in IRR. */
		period = timer_period(a);
		a->timer_deadline += ((now - a->timer_deadline) / period + 1) * period;
		a->timer_start = a->timer_deadline - period;
		break;
	case VLAPIC_TIMER_TSC_DEADLINE:
		a->tsc_deadline = 0;
		a->timer_deadline = 0;
		break;
	default: a->timer_deadline = 0; break;
	}
}

uint64_t vlapic_timer_next(const struct vlapic *a)
{
	return a->timer_deadline ? a->timer_deadline : UINT64_MAX;
}

uint64_t vlapic_timer_wake(const struct vlapic *a)
{
	uint32_t lvt = a->lvt[LVT_TIMER];
	uint8_t vector = lvt & LVT_VECTOR;

	if ((lvt & LVT_MASKED) || !vlapic_enabled(a) || !vlapic_sw_enabled(a) ||
	    (a->irr[vector / 32] & (1u << (vector % 32))))
		return UINT64_MAX;
	return vlapic_timer_next(a);
}

/* The current count at `now`; the timer has been updated to `now`, so nothing is overdue. */
static uint32_t timer_ccr(const struct vlapic *a, uint64_t now)
{
	uint64_t div = timer_divisor(a), left;

	if (timer_mode(a) == VLAPIC_TIMER_TSC_DEADLINE || a->timer_deadline == 0 ||
	    now >= a->timer_deadline)
		return 0;
	/* The count drops by one every `div` TSC ticks after it was loaded. */
	left = (a->timer_deadline - now + div - 1) / div;
	/* Capped for a `now` before the start (TSCs of two CPUs a little apart). */
	return left > a->timer_icr ? a->timer_icr : (uint32_t)left;
}

static void timer_write_icr(struct vlapic *a, uint32_t val, uint64_t now)
{
	if (timer_mode(a) == VLAPIC_TIMER_TSC_DEADLINE)
		return; /* ignored in TSC-deadline mode (11.5.4.1) */
	a->timer_icr = val;
	if (val == 0) {
		a->timer_deadline = 0;
		return;
	}
	a->timer_start = now;
	a->timer_deadline = now + timer_period(a);
}

static void timer_write_dcr(struct vlapic *a, uint32_t val, uint64_t now)
{
	uint64_t old_div = timer_divisor(a), left;

	a->timer_dcr = val & DCR_WRITABLE;
	if (timer_mode(a) == VLAPIC_TIMER_TSC_DEADLINE || a->timer_deadline == 0)
		return;
	/* Counting (and not yet due: the timer was updated to now): same count, new rate. */
	left = a->timer_deadline - now;
	a->timer_deadline = now + left * timer_divisor(a) / old_div;
	if (a->timer_deadline == now)
		a->timer_deadline++;
	a->timer_start = a->timer_deadline - timer_period(a);
}

static void timer_write_lvt(struct vlapic *a, uint32_t val)
{
	bool was_deadline = timer_mode(a) == VLAPIC_TIMER_TSC_DEADLINE;

	a->lvt[LVT_TIMER] = val;
	/* 11.5.4.1: switching to or from TSC-deadline mode disarms the timer. */
	if (was_deadline != (timer_mode(a) == VLAPIC_TIMER_TSC_DEADLINE)) {
		a->timer_icr = 0;
		a->timer_deadline = 0;
		a->tsc_deadline = 0;
	}
}

static void tsc_deadline_write(struct vlapic *a, uint64_t val, uint64_t now)
{
	if (timer_mode(a) != VLAPIC_TIMER_TSC_DEADLINE)
		return; /* ignored in the other modes */
	a->tsc_deadline = val;
	a->timer_deadline = val;     /* 0 disarms */
	vlapic_timer_update(a, now); /* a deadline in the past fires at once */
}

/* --- ICR (11.6.1) --- */

static bool send_icr(struct vlapic *a, struct vlapic_icr *icr)
{
	uint32_t lo = a->icr_low, mode = (lo >> 8) & 7;
	bool x2 = vlapic_x2apic_mode(a);

	if (mode == 3 || mode == 7)
		return false; /* reserved delivery modes */
	icr->mode = (enum vlapic_delivery)mode;
	icr->vector = lo & 0xff;
	icr->logical = (lo >> 11) & 1;
	icr->level = (lo >> 14) & 1;
	icr->trigger_level = (lo >> 15) & 1;
	icr->shorthand = (enum vlapic_shorthand)((lo >> 18) & 3);
	icr->dest = x2 ? a->icr_high : a->icr_high >> 24;
	icr->source_id = a->id;
	icr->x2apic = x2;
	if ((mode == VLAPIC_DM_FIXED || mode == VLAPIC_DM_LOWEST) && icr->vector < 16)
		raise_error(a, ESR_SEND_ILLEGAL); /* receivers flag it too */
	return true;
}

bool vlapic_icr_targets(const struct vlapic *a, const struct vlapic_icr *icr)
{
	uint32_t bcast = icr->x2apic ? 0xffffffffu : 0xffu, ldr, mine;

	if (!vlapic_enabled(a))
		return false;
	switch (icr->shorthand) {
	case VLAPIC_SH_SELF: return a->id == icr->source_id;
	case VLAPIC_SH_ALL: return true;
	case VLAPIC_SH_ALL_BUT_SELF: return a->id != icr->source_id;
	default: break;
	}
	if (icr->dest == bcast)
		return true;
	if (!icr->logical)
		return icr->dest == a->id;
	if (icr->x2apic) {
		/* 11.12.10.2: cluster in bits 31:16, one bit per APIC in 15:0. */
		ldr = x2apic_ldr(a->id);
		return (icr->dest >> 16) == (ldr >> 16) && (icr->dest & ldr & 0xffff) != 0;
	}
	/* 11.6.2.2: the 8-bit logical ID against the destination, per the DFR model. */
	mine = a->ldr >> 24;
	switch (a->dfr >> 28) {
	case DFR_MODEL_FLAT: return (icr->dest & mine) != 0;
	case DFR_MODEL_CLUSTER:
		return (icr->dest >> 4) == (mine >> 4) && (icr->dest & mine & 0xf) != 0;
	default: return false;
	}
}

/* --- Register accesses shared by MMIO and MSRs --- */

/* Reads the register at xAPIC offset `reg`: VLAPIC_OK, or VLAPIC_GP / VLAPIC_IGNORE. */
static int read_reg(struct vlapic *a, uint32_t reg, uint64_t now, bool x2, uint64_t *val)
{
	*val = 0;
	if (reg >= VLAPIC_REG_ISR0 && reg < VLAPIC_REG_ESR) {
		const uint32_t *r = reg < VLAPIC_REG_TMR0   ? a->isr
		                    : reg < VLAPIC_REG_IRR0 ? a->tmr
		                                            : a->irr;

		*val = r[(reg / 16) % 8];
		return VLAPIC_OK;
	}
	switch (reg) {
	case VLAPIC_REG_ID: *val = x2 ? a->id : (a->id & 0xff) << 24; break;
	case VLAPIC_REG_VERSION: *val = VLAPIC_VERSION; break;
	case VLAPIC_REG_TPR: *val = a->tpr; break;
	case VLAPIC_REG_PPR: *val = ppr(a); break;
	case VLAPIC_REG_LDR: *val = x2 ? x2apic_ldr(a->id) : a->ldr; break;
	case VLAPIC_REG_SVR: *val = a->svr; break;
	case VLAPIC_REG_ESR: *val = a->esr; break;
	case VLAPIC_REG_LVT_CMCI:
	case VLAPIC_REG_LVT_TIMER:
	case VLAPIC_REG_LVT_THERM:
	case VLAPIC_REG_LVT_PMC:
	case VLAPIC_REG_LVT_LINT0:
	case VLAPIC_REG_LVT_LINT1:
	case VLAPIC_REG_LVT_ERROR: *val = a->lvt[lvt_index(reg)]; break;
	case VLAPIC_REG_ICR_LOW: /* delivery status reads 0: we deliver at once */
		*val = x2 ? (uint64_t)a->icr_high << 32 | a->icr_low : a->icr_low;
		break;
	case VLAPIC_REG_TIMER_ICR: *val = a->timer_icr; break;
	case VLAPIC_REG_TIMER_CCR: *val = timer_ccr(a, now); break;
	case VLAPIC_REG_TIMER_DCR: *val = a->timer_dcr; break;
	/* xAPIC only. */
	case VLAPIC_REG_DFR: *val = a->dfr; return x2 ? VLAPIC_GP : VLAPIC_OK;
	case VLAPIC_REG_ICR_HIGH: *val = a->icr_high; return x2 ? VLAPIC_GP : VLAPIC_OK;
	case VLAPIC_REG_APR: /* not implemented: reads 0 */
	case VLAPIC_REG_RRD: return x2 ? VLAPIC_GP : VLAPIC_OK;
	/* Write-only. */
	case VLAPIC_REG_EOI: return x2 ? VLAPIC_GP : VLAPIC_OK;
	case VLAPIC_REG_SELF_IPI: return x2 ? VLAPIC_GP : VLAPIC_IGNORE;
	default: return x2 ? VLAPIC_GP : VLAPIC_IGNORE;
	}
	return VLAPIC_OK;
}

/*
 * Writes the register at xAPIC offset `reg`. In x2APIC mode (x2) read-only
 * registers, reserved bits and registers the mode lacks raise #GP; in xAPIC
 * mode they are ignored. Sets *sent when the write sends an IPI.
 */
static int write_reg(struct vlapic *a, uint32_t reg, uint64_t val, uint64_t now, bool x2,
                     struct vlapic_icr *icr, bool *sent)
{
	uint32_t v = (uint32_t)val, idx;

	*sent = false;
	switch (reg) {
	case VLAPIC_REG_TPR:
		if (reserved(x2, val, TPR_WRITABLE))
			return VLAPIC_GP;
		a->tpr = v & TPR_WRITABLE;
		break;
	case VLAPIC_REG_EOI:
		if (x2 && val != 0)
			return VLAPIC_GP;
		eoi(a);
		break;
	case VLAPIC_REG_LDR:
		if (x2)
			return VLAPIC_GP; /* read-only, derived from the x2APIC ID */
		a->ldr = v & 0xff000000u;
		break;
	case VLAPIC_REG_DFR:
		if (x2)
			return VLAPIC_GP;
		a->dfr = v | 0x0fffffffu;
		break;
	case VLAPIC_REG_SVR:
		if (reserved(x2, val, SVR_WRITABLE))
			return VLAPIC_GP;
		a->svr = v & SVR_WRITABLE;
		if (!vlapic_sw_enabled(a)) /* 11.4.7.2: software disable masks every LVT */
			for (int i = 0; i < VLAPIC_LVT_COUNT; i++)
				a->lvt[i] |= LVT_MASKED;
		break;
	case VLAPIC_REG_ESR:
		if (x2 && val != 0)
			return VLAPIC_GP;
		/* A write latches the errors seen since the previous one (11.5.3). */
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		break;
	case VLAPIC_REG_LVT_CMCI:
	case VLAPIC_REG_LVT_TIMER:
	case VLAPIC_REG_LVT_THERM:
	case VLAPIC_REG_LVT_PMC:
	case VLAPIC_REG_LVT_LINT0:
	case VLAPIC_REG_LVT_LINT1:
	case VLAPIC_REG_LVT_ERROR:
		idx = lvt_index(reg);
		if (reserved(x2, val, lvt_writable(idx) | lvt_readonly(idx)))
			return VLAPIC_GP;
		v &= lvt_writable(idx);
		if (idx == LVT_TIMER && (v & LVT_TIMER_MODE) == LVT_TIMER_MODE) {
			if (x2)
				return VLAPIC_GP; /* reserved timer mode */
			v &= ~LVT_TIMER_MODE;
		}
		if (!vlapic_sw_enabled(a))
			v |= LVT_MASKED; /* cannot be unmasked while software-disabled */
		if (idx == LVT_TIMER)
			timer_write_lvt(a, v);
		else
			a->lvt[idx] = v | (a->lvt[idx] & lvt_readonly(idx));
		break;
	case VLAPIC_REG_ICR_LOW:
		if (x2) {
			if (reserved(x2, val, 0xffffffff00000000ULL | ICR_WRITABLE))
				return VLAPIC_GP;
			a->icr_high = (uint32_t)(val >> 32);
		}
		a->icr_low = v & ICR_WRITABLE;
		*sent = send_icr(a, icr);
		break;
	case VLAPIC_REG_ICR_HIGH:
		if (x2)
			return VLAPIC_GP;
		a->icr_high = v & 0xff000000u;
		break;
	case VLAPIC_REG_TIMER_ICR:
		if (reserved(x2, val, 0xffffffffu))
			return VLAPIC_GP;
		timer_write_icr(a, v, now);
		break;
	case VLAPIC_REG_TIMER_DCR:
		if (reserved(x2, val, DCR_WRITABLE))
			return VLAPIC_GP;
		timer_write_dcr(a, v, now);
		break;
	case VLAPIC_REG_SELF_IPI:
		if (!x2)
			return VLAPIC_IGNORE;
		if (reserved(x2, val, 0xff))
			return VLAPIC_GP;
		if (v < 16)
			raise_error(a, ESR_SEND_ILLEGAL);
		vlapic_accept_fixed(a, (uint8_t)v);
		break;
	/* Read-only (ID, version, PPR, ISR/TMR/IRR, CCR), or absent. */
	default: return x2 ? VLAPIC_GP : VLAPIC_IGNORE;
	}
	return VLAPIC_OK;
}

/* --- xAPIC MMIO --- */

static bool mmio_ok(const struct vlapic *a, uint32_t offset)
{
	return vlapic_enabled(a) && !vlapic_x2apic_mode(a) && offset < 0x1000 &&
	       (offset & 0xf) == 0;
}

uint32_t vlapic_mmio_read(struct vlapic *a, uint32_t offset, uint64_t now)
{
	uint64_t val;

	if (!mmio_ok(a, offset))
		return 0;
	vlapic_timer_update(a, now);
	if (read_reg(a, offset, now, false, &val) != VLAPIC_OK)
		return 0;
	return (uint32_t)val;
}

bool vlapic_mmio_write(struct vlapic *a, uint32_t offset, uint32_t val, uint64_t now,
                       struct vlapic_icr *icr)
{
	struct vlapic_icr scratch;
	bool sent;

	if (!mmio_ok(a, offset))
		return false;
	vlapic_timer_update(a, now);
	write_reg(a, offset, val, now, false, icr ? icr : &scratch, &sent);
	return sent;
}

/* --- MSRs --- */

/* 11.12.5: the IA32_APIC_BASE state machine. */
static int apic_base_write(struct vlapic *a, uint64_t val)
{
	bool en = val & VLAPIC_BASE_ENABLE, extd = val & VLAPIC_BASE_X2APIC;
	bool was_en = vlapic_enabled(a), was_x2 = vlapic_x2apic_mode(a);

	if ((val & BASE_RESERVED) || (extd && !en))
		return VLAPIC_GP;
	if (was_x2 && en && !extd)
		return VLAPIC_GP; /* x2APIC -> xAPIC must go through disabled */
	if (!was_en && extd)
		return VLAPIC_GP; /* disabled -> x2APIC must go through xAPIC */
	a->apic_base = (val & ~VLAPIC_BASE_BSP) | (a->apic_base & VLAPIC_BASE_BSP);
	if (was_en != en) {
		/* Disabling loses the state (11.4.3); enabling starts from reset values. */
		reset_regs(a);
	} else if (!was_x2 && extd) {
		/* 11.12.5.2: the LDR becomes the logical x2APIC ID, ICR high is not kept. */
		a->ldr = x2apic_ldr(a->id);
		a->icr_high = 0;
	}
	return VLAPIC_OK;
}

static bool x2apic_msr(uint32_t msr)
{
	return msr >= VLAPIC_MSR_X2APIC_FIRST && msr <= VLAPIC_MSR_X2APIC_LAST;
}

int vlapic_msr_read(struct vlapic *a, uint32_t msr, uint64_t now, uint64_t *val)
{
	*val = 0;
	vlapic_timer_update(a, now);
	if (msr == VLAPIC_MSR_APIC_BASE) {
		*val = a->apic_base;
		return VLAPIC_OK;
	}
	if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		if (timer_mode(a) == VLAPIC_TIMER_TSC_DEADLINE)
			*val = a->tsc_deadline; /* reads 0 in the other modes */
		return VLAPIC_OK;
	}
	if (!x2apic_msr(msr) || !vlapic_x2apic_mode(a))
		return VLAPIC_GP;
	if (read_reg(a, (msr - VLAPIC_MSR_X2APIC_FIRST) * 16, now, true, val) != VLAPIC_OK) {
		*val = 0;
		return VLAPIC_GP;
	}
	return VLAPIC_OK;
}

int vlapic_msr_write(struct vlapic *a, uint32_t msr, uint64_t val, uint64_t now,
                     struct vlapic_icr *icr, bool *icr_valid)
{
	struct vlapic_icr scratch;
	bool sent = false;
	int rc;

	if (icr_valid)
		*icr_valid = false;
	vlapic_timer_update(a, now);
	if (msr == VLAPIC_MSR_APIC_BASE)
		return apic_base_write(a, val);
	if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		tsc_deadline_write(a, val, now);
		return VLAPIC_OK;
	}
	if (!x2apic_msr(msr) || !vlapic_x2apic_mode(a))
		return VLAPIC_GP;
	rc = write_reg(a, (msr - VLAPIC_MSR_X2APIC_FIRST) * 16, val, now, true,
	               icr ? icr : &scratch, &sent);
	if (rc != VLAPIC_OK)
		return VLAPIC_GP;
	if (icr_valid)
		*icr_valid = sent;
	return VLAPIC_OK;
}
