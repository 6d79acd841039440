/*
 * Moving a vCPU from one CPU to another (the scheduler's work stealing,
 * vcpu/sched.c): what the CPU it leaves must let go of, and what the CPU
 * it arrives on must not trust from before. The scheduler changes v->cpu,
 * the one record of where the vCPU runs, in between (under v->lock).
 */
#ifndef VCPU_MIGRATE_H
#define VCPU_MIGRATE_H

struct vcpu;

/*
 * On the CPU v leaves, v not running: its VMCSs are VMCLEARed here (a VMCS
 * is active on one CPU at a time, and its data reaches memory), so the
 * next entry is a VMLAUNCH; its EPT02 roots are dropped after an INVEPT
 * here; its x87/SSE and other lazily switched state is saved.
 */
void vcpu_migrate_out(struct vcpu *v);

/*
 * On the CPU v arrives on, v->loaded current (switch-in): what this CPU's
 * TLB may hold for v's VPIDs and EPT01 from an earlier stay goes. The host
 * state follows the VMCS by itself (loaded_vmcs_load), the slice and the
 * timers are armed at every switch-in, and kicks go to v->cpu.
 */
void vcpu_migrate_in(struct vcpu *v);

#endif
