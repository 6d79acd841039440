/*
 * Which CPU runs which VM. For now every CPU in VMX operation takes the
 * next VM that has not run yet and runs it to its end (one VM per CPU at a
 * time, no preemption).
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
/* BSP: lets the waiting APs start taking VMs. */
void sched_start(void);
/* APs: wait for sched_start(), then run VMs. */
void sched_ap_wait_and_run(void);
/* Any CPU in VMX operation: runs VMs until none is left to start. */
void sched_run_vms(void);
/* BSP: waits until every VM has ended, prints the statistics of all VMs added up; the totals. */
struct sched_result sched_wait_all(void);

#endif
