/*
 * Which CPU runs which vCPU. Each VM's vCPU is placed on a CPU in VMX
 * operation, in turn; each CPU runs its vCPUs round robin, a time slice
 * each (vcpu/slice.c), and a vCPU alone on its CPU runs with no slice. A
 * CPU with nothing left to run takes a vCPU from the busiest CPU (vCPU
 * migration, vcpu/migrate.c), or halts until every VM has ended.
 */
#ifndef VCPU_SCHED_H
#define VCPU_SCHED_H

#include <stdint.h>

#include "boot/boot_info.h"

struct sched_result {
	uint32_t vms, pass, fail;
};

/* BSP: makes a VM of every module; a module that cannot be one is reported and counted as failed. */
void sched_create_vms(const struct boot_info *bi);
/* BSP: places the vCPUs and lets the waiting APs start running theirs. */
void sched_start(void);
/* APs: wait for sched_start(), then run VMs. */
void sched_ap_wait_and_run(void);
/* Any CPU in VMX operation: runs its vCPUs until their VMs end, then waits for all VMs. */
void sched_run_vms(void);
/* BSP: waits until every VM has ended, prints the statistics of all VMs added up; the totals. */
struct sched_result sched_wait_all(void);

#endif
