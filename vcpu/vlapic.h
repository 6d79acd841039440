/*
 * A vCPU's virtual local APIC (pure: no hardware access, host-tested).
 * Registers, priorities, the timer and the ICR follow the SDM (Vol. 3,
 * chapter 11 "Advanced Programmable Interrupt Controller"); xAPIC MMIO
 * and x2APIC MSR accesses both land here, and IA32_APIC_BASE switches
 * between the modes as on hardware (including disable and re-enable).
 *
 * Time is the TSC: callers pass `now`. The timer's input clock is the TSC
 * divided by the divide configuration (CPUID 0x15 gives the TSC as the
 * crystal clock the timer counts, as the SDM has it); TSC-deadline
 * mode compares IA32_TSC_DEADLINE with the TSC directly.
 *
 * Interrupts reach other vCPUs through the caller: a write to the ICR
 * yields a struct vlapic_icr that the caller delivers to every vCPU of
 * the VM for which vlapic_icr_targets() is true.
 */
#ifndef VCPU_VLAPIC_H
#define VCPU_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* IA32_APIC_BASE (MSR 0x1b). */
#define VLAPIC_BASE_DEFAULT   0xfee00000ULL
#define VLAPIC_BASE_BSP       (1ULL << 8)
#define VLAPIC_BASE_X2APIC    (1ULL << 10)
#define VLAPIC_BASE_ENABLE    (1ULL << 11)
#define VLAPIC_BASE_ADDR_MASK 0x000ffffffffff000ULL

#define VLAPIC_MSR_APIC_BASE    0x1b
#define VLAPIC_MSR_TSC_DEADLINE 0x6e0
#define VLAPIC_MSR_X2APIC_FIRST 0x800
#define VLAPIC_MSR_X2APIC_LAST  0x8ff

/* Register offsets in the xAPIC page (x2APIC MSR = 0x800 + offset / 16). */
#define VLAPIC_REG_ID        0x020
#define VLAPIC_REG_VERSION   0x030
#define VLAPIC_REG_TPR       0x080
#define VLAPIC_REG_APR       0x090
#define VLAPIC_REG_PPR       0x0a0
#define VLAPIC_REG_EOI       0x0b0
#define VLAPIC_REG_RRD       0x0c0
#define VLAPIC_REG_LDR       0x0d0
#define VLAPIC_REG_DFR       0x0e0
#define VLAPIC_REG_SVR       0x0f0
#define VLAPIC_REG_ISR0      0x100 /* 8 registers, 0x10 apart */
#define VLAPIC_REG_TMR0      0x180
#define VLAPIC_REG_IRR0      0x200
#define VLAPIC_REG_ESR       0x280
#define VLAPIC_REG_LVT_CMCI  0x2f0
#define VLAPIC_REG_ICR_LOW   0x300
#define VLAPIC_REG_ICR_HIGH  0x310
#define VLAPIC_REG_LVT_TIMER 0x320
#define VLAPIC_REG_LVT_THERM 0x330
#define VLAPIC_REG_LVT_PMC   0x340
#define VLAPIC_REG_LVT_LINT0 0x350
#define VLAPIC_REG_LVT_LINT1 0x360
#define VLAPIC_REG_LVT_ERROR 0x370
#define VLAPIC_REG_TIMER_ICR 0x380
#define VLAPIC_REG_TIMER_CCR 0x390
#define VLAPIC_REG_TIMER_DCR 0x3e0
#define VLAPIC_REG_SELF_IPI  0x3f0 /* x2APIC only */

#define VLAPIC_LVT_COUNT 7 /* CMCI, timer, thermal, PMC, LINT0, LINT1, error */

/* Results of accesses. */
#define VLAPIC_OK     0
#define VLAPIC_GP     (-1) /* the access raises #GP (x2APIC rules, reserved bits, wrong mode) */
#define VLAPIC_IGNORE 1    /* no such register in this mode: reads 0, writes dropped */

enum vlapic_delivery {
	VLAPIC_DM_FIXED = 0,
	VLAPIC_DM_LOWEST = 1,
	VLAPIC_DM_SMI = 2,
	VLAPIC_DM_NMI = 4,
	VLAPIC_DM_INIT = 5,
	VLAPIC_DM_SIPI = 6,
};

enum vlapic_shorthand {
	VLAPIC_SH_NONE = 0,
	VLAPIC_SH_SELF = 1,
	VLAPIC_SH_ALL = 2,
	VLAPIC_SH_ALL_BUT_SELF = 3,
};

/* An interrupt command the guest wrote to the ICR, for the caller to deliver. */
struct vlapic_icr {
	enum vlapic_delivery mode;
	uint8_t vector;
	bool logical;       /* destination mode */
	bool level;         /* level: assert (1) or de-assert (0) */
	bool trigger_level; /* trigger mode level (INIT de-assert is level-triggered with level 0) */
	enum vlapic_shorthand shorthand;
	uint32_t dest; /* 8-bit xAPIC or 32-bit x2APIC destination */
	uint32_t source_id;
	bool x2apic; /* the sender was in x2APIC mode (destination format) */
};

enum vlapic_timer_mode {
	VLAPIC_TIMER_ONESHOT = 0,
	VLAPIC_TIMER_PERIODIC = 1,
	VLAPIC_TIMER_TSC_DEADLINE = 2,
};

struct vlapic {
	uint32_t id;        /* the vCPU's APIC ID */
	uint64_t apic_base; /* IA32_APIC_BASE */
	uint32_t tpr, ldr, dfr, svr, esr, esr_pending, icr_low, icr_high;
	uint32_t lvt[VLAPIC_LVT_COUNT];
	uint32_t irr[8], isr[8], tmr[8];
	/* Timer: the programmed count and divide, and when it next fires (TSC). */
	uint32_t timer_icr, timer_dcr;
	uint64_t timer_start;    /* TSC when the current count started */
	uint64_t timer_deadline; /* TSC of the next expiry, 0 if none pending */
	uint64_t tsc_deadline;   /* IA32_TSC_DEADLINE as written */
	/* The last EOI retired a level-triggered vector: the I/O APIC must hear of it. */
	bool level_eoi;
	uint8_t level_eoi_vector;
};

/* Power-on / RESET state (bsp sets the BSP flag); INIT keeps the APIC ID and base. */
void vlapic_reset(struct vlapic *a, uint32_t id, bool bsp);
void vlapic_init_signal(struct vlapic *a);

bool vlapic_enabled(const struct vlapic *a);     /* IA32_APIC_BASE.EN */
bool vlapic_x2apic_mode(const struct vlapic *a); /* EN and EXTD */
bool vlapic_sw_enabled(const struct vlapic *a);  /* SVR bit 8 */
/* The guest-physical page of the xAPIC registers (meaningful in xAPIC mode). */
uint64_t vlapic_mmio_base(const struct vlapic *a);

/*
 * xAPIC MMIO (offset within the page, 4-byte accesses at 16-byte-aligned
 * offsets; others read 0 / are dropped). Writes to the ICR low word may fill
 * *icr (returns true then) for the caller to deliver.
 */
uint32_t vlapic_mmio_read(struct vlapic *a, uint32_t offset, uint64_t now);
bool vlapic_mmio_write(struct vlapic *a, uint32_t offset, uint32_t val, uint64_t now,
                       struct vlapic_icr *icr);

/*
 * MSRs: IA32_APIC_BASE, IA32_TSC_DEADLINE and, in x2APIC mode, 0x800-0x8ff
 * (outside x2APIC mode those raise #GP, as do reserved bits and read-only
 * registers written, per the SDM's x2APIC rules). Returns VLAPIC_OK or
 * VLAPIC_GP; a write may fill *icr and set *icr_valid.
 */
int vlapic_msr_read(struct vlapic *a, uint32_t msr, uint64_t now, uint64_t *val);
int vlapic_msr_write(struct vlapic *a, uint32_t msr, uint64_t val, uint64_t now,
                     struct vlapic_icr *icr, bool *icr_valid);

/* True if the APIC `a` is a destination of `icr` (shorthands, physical, logical flat/cluster, broadcast). */
bool vlapic_icr_targets(const struct vlapic *a, const struct vlapic_icr *icr);

/* The task priority (TPR bits 7:0), as CR8 reads and writes it (bits 7:4). */
uint8_t vlapic_tpr(const struct vlapic *a);
void vlapic_set_tpr(struct vlapic *a, uint8_t tpr);

/* A fixed interrupt arrives (from an IPI or the timer): sets IRR (ignored when software-disabled). */
void vlapic_accept_fixed(struct vlapic *a, uint8_t vector);
/* The same, with its trigger mode: a level-triggered one sets TMR, and its EOI is reported. */
void vlapic_accept_interrupt(struct vlapic *a, uint8_t vector, bool level);
/* True once per EOI of a level-triggered vector (*vector), for the caller to tell the I/O APIC. */
bool vlapic_take_level_eoi(struct vlapic *a, uint8_t *vector);
/*
 * Whether the 8259's INTR reaches this CPU: through LINT0 unmasked in
 * ExtINT mode (virtual wire), or straight to the CPU with the APIC
 * globally disabled.
 */
bool vlapic_accepts_extint(const struct vlapic *a);
/* The vector to inject next (highest IRR whose class beats the PPR), or -1. */
int vlapic_pending(const struct vlapic *a);
/* The interrupt was delivered to the guest: IRR -> ISR. */
void vlapic_ack(struct vlapic *a, uint8_t vector);

/* Timer: fires what is due at `now` (may set IRR), re-arms periodic mode. */
void vlapic_timer_update(struct vlapic *a, uint64_t now);
/* True if an expiry is due at `now` (vlapic_timer_update() has work): the callers' inline look. */
static inline bool vlapic_timer_due(const struct vlapic *a, uint64_t now)
{
	return a->timer_deadline != 0 && now >= a->timer_deadline;
}
/* TSC of the next timer expiry, or UINT64_MAX if none is armed (masked timers count as armed). */
uint64_t vlapic_timer_next(const struct vlapic *a);
/*
 * TSC of the next expiry the guest could see: UINT64_MAX while the timer is
 * masked, the APIC disabled, or the timer's vector already waits in IRR
 * (expiries coalesce there, as on hardware). Nothing need wake or stop the
 * vCPU before it: a timer storm costs an exit per delivered interrupt,
 * never one per period.
 */
uint64_t vlapic_timer_wake(const struct vlapic *a);

#endif
