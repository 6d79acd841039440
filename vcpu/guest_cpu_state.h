/*
 * CPU state a guest can change that the VMCS does not switch: XCR0, the
 * x87/SSE/AVX registers (XSAVE, or FXSAVE without it), DR0-DR3 and DR6,
 * the SYSCALL MSRs, KERNEL_GS_BASE and TSC_AUX. Umbra itself never uses
 * any of it, so a vCPU's state stays in the CPU across its exits and is
 * switched only when another vCPU runs on that CPU: each VM sees only its
 * own values, and the SDM's reset values at start.
 */
#ifndef VCPU_GUEST_CPU_STATE_H
#define VCPU_GUEST_CPU_STATE_H

#include <stdint.h>

#include "lib/frame_alloc.h"

struct vcpu;

struct guest_cpu_state {
	uint64_t xcr0;
	uint64_t dr[4], dr6;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux;
	uint64_t area_pa; /* XSAVE (or FXSAVE) image, 64-byte aligned */
	uint32_t area_frames;
};

/* Reads the host's XSAVE support once, on the boot CPU. */
void guest_cpu_state_init(void);

/* The save area, filled with the reset state. Returns 0, or -1 without memory. */
int guest_cpu_state_alloc(struct guest_cpu_state *s, struct frame_alloc *fa);
void guest_cpu_state_free(struct guest_cpu_state *s, struct frame_alloc *fa);

/*
 * Before v runs on this CPU: if another vCPU's state is in the CPU, saves
 * it and loads v's. Costs nothing when v was the last to run here.
 */
void guest_cpu_state_load(struct vcpu *v);

/* v leaves this CPU for another: its state in this CPU, if any, is saved and forgotten here. */
void guest_cpu_state_save_out(struct vcpu *v);

/* v's VM has ended: its state in this CPU, if any, need not be saved. */
void guest_cpu_state_drop(struct vcpu *v);

/* The guest's XSETBV: the value is checked (xcr0_valid) and v's state is in the CPU. */
int guest_cpu_state_set_xcr0(struct vcpu *v, uint64_t xcr0);

#endif
