/*
 * A local APIC driver for payloads, for both modes (SDM Vol. 3, chapter
 * "Advanced Programmable Interrupt Controller"): xAPIC registers in the
 * MMIO page at IA32_APIC_BASE (0xFEE00000, mapped uncached by entry.S),
 * x2APIC registers as MSRs 0x800 + offset / 16. Registers are named by
 * their xAPIC offset in either mode.
 *
 * The driver accesses registers in one mode for all CPUs (apic_mode()):
 * apic_set_mode() moves the calling CPU and the driver there, and
 * apic_cpu_init() brings another CPU's APIC (an AP's) to the same mode.
 * Switch modes only while no other CPU uses its APIC.
 */
#ifndef GUEST_LIB_APIC_H
#define GUEST_LIB_APIC_H

#include "payload.h"

/* IA32_APIC_BASE */
#define MSR_IA32_APIC_BASE  0x1b
#define APIC_BASE_BSP       (1ULL << 8)
#define APIC_BASE_EXTD      (1ULL << 10) /* x2APIC mode */
#define APIC_BASE_EN        (1ULL << 11) /* globally enabled */
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ULL
#define APIC_DEFAULT_PHYS   0xfee00000ULL

#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_FIRST      0x800
/* x2APIC MSR of the register at xAPIC offset `reg`. */
#define X2APIC_MSR(reg) (MSR_X2APIC_FIRST + ((reg) >> 4))

/* Register offsets (xAPIC page). */
#define APIC_ID        0x020
#define APIC_VERSION   0x030
#define APIC_TPR       0x080
#define APIC_PPR       0x0a0
#define APIC_EOI       0x0b0
#define APIC_LDR       0x0d0
#define APIC_DFR       0x0e0 /* xAPIC only */
#define APIC_SVR       0x0f0
#define APIC_ISR0      0x100 /* 8 registers, 0x10 apart: vectors 32 * i .. 32 * i + 31 */
#define APIC_TMR0      0x180
#define APIC_IRR0      0x200
#define APIC_ESR       0x280
#define APIC_ICR_LOW   0x300 /* x2APIC: the whole 64-bit ICR */
#define APIC_ICR_HIGH  0x310 /* xAPIC only */
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_ICR 0x380
#define APIC_TIMER_CCR 0x390
#define APIC_TIMER_DCR 0x3e0
#define APIC_SELF_IPI  0x3f0 /* x2APIC only */

#define APIC_SVR_ENABLE      (1u << 8)
#define APIC_SPURIOUS_VECTOR 0xff

#define APIC_LVT_MASKED             (1u << 16)
#define APIC_LVT_TIMER_ONESHOT      (0u << 17)
#define APIC_LVT_TIMER_PERIODIC     (1u << 17)
#define APIC_LVT_TIMER_TSC_DEADLINE (2u << 17)

/* ICR low word. */
#define APIC_ICR_FIXED          (0u << 8)
#define APIC_ICR_INIT           (5u << 8)
#define APIC_ICR_STARTUP        (6u << 8)
#define APIC_ICR_BUSY           (1u << 12) /* delivery status, xAPIC only */
#define APIC_ICR_ASSERT         (1u << 14)
#define APIC_ICR_LEVEL          (1u << 15)
#define APIC_ICR_SELF           (1u << 18)
#define APIC_ICR_ALL            (2u << 18)
#define APIC_ICR_ALL_BUT_SELF   (3u << 18)
#define APIC_ICR_SHORTHAND_MASK (3u << 18)

enum apic_mode {
	APIC_MODE_DISABLED, /* EN = 0, EXTD = 0 */
	APIC_MODE_XAPIC,    /* EN = 1, EXTD = 0 */
	APIC_MODE_X2APIC,   /* EN = 1, EXTD = 1 */
	APIC_MODE_INVALID,  /* EN = 0, EXTD = 1 */
};

const char *apic_mode_name(enum apic_mode m);

/* CPUID.1: EDX bit 9, ECX bit 21, ECX bit 24, EBX[31:24]. */
bool apic_present(void);
bool x2apic_supported(void);
bool tsc_deadline_supported(void);
uint32_t apic_initial_id(void);

/* IA32_APIC_BASE as it is, written as given (an invalid transition raises #GP). */
uint64_t apic_base_read(void);
void apic_base_write(uint64_t v);
enum apic_mode apic_base_mode(uint64_t base);
/* This CPU's mode, from IA32_APIC_BASE. */
enum apic_mode apic_hw_mode(void);
/* The mode the driver accesses registers in. */
enum apic_mode apic_mode(void);

/*
 * Moves this CPU's APIC to mode `m` through the transitions the SDM allows
 * (x2APIC to xAPIC by way of disabled; disabled to x2APIC by way of xAPIC),
 * and the driver with it. False if the CPU lacks x2APIC (nothing changes).
 * The registers keep what the transition keeps: call apic_cpu_init() to
 * start from a known state.
 */
bool apic_set_mode(enum apic_mode m);

/*
 * This CPU's APIC in the driver's mode (the BSP's first call adopts the
 * mode it finds, enabling xAPIC if disabled), software-enabled with
 * APIC_SPURIOUS_VECTOR (its handler does nothing), TPR 0, the timer,
 * LINT0 (the PIC's ExtINT), LINT1 and error LVTs masked, the timer
 * stopped at divide 1, ESR cleared and anything left in service EOIed.
 */
void apic_cpu_init(void);

uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t val);
/* The APIC ID: bits 31:24 of the ID register in xAPIC mode, all 32 in x2APIC mode. */
uint32_t apic_id(void);
void apic_eoi(void);
/* The vector's bit in the ISR, IRR. */
bool apic_isr_test(uint8_t vector);
bool apic_irr_test(uint8_t vector);

/*
 * Sends the IPI `icr_low` (vector, delivery mode, level, shorthand) to the
 * physical destination `dest` (ignored with a shorthand). xAPIC: waits for
 * the delivery status to clear, before and after (bounded); false if it
 * never did. x2APIC has no delivery status: always true.
 */
bool apic_send_ipi(uint32_t dest, uint32_t icr_low);
/* A fixed IPI to this CPU: the SELF IPI register in x2APIC mode, the ICR's self shorthand in xAPIC mode. */
void apic_self_ipi(uint8_t vector);

/* Timer. The divide configuration: 1, 2, 4, ..., 128. */
void apic_timer_set_divide(unsigned int div);
void apic_timer_oneshot(uint8_t vector, uint32_t count);
void apic_timer_periodic(uint8_t vector, uint32_t count);
/* TSC-deadline mode (check tsc_deadline_supported()): fires once the TSC reaches `tsc`; 0 disarms. */
void apic_timer_deadline(uint8_t vector, uint64_t tsc);
/* Masks the timer's LVT and stops the count (initial count 0, deadline 0). */
void apic_timer_stop(void);
/*
 * TSC ticks per timer count at the current divide, in 1/65536ths, measured
 * over at least `window` TSC ticks with the timer masked; 0 if the timer
 * did not count. Leaves the timer stopped.
 */
uint64_t apic_timer_calibrate(uint64_t window);

#endif
