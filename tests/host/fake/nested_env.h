/*
 * Host tests of nested/'s VMCS half: the rest of Umbra those modules call
 * (vCPU, VM, console, scheduler, VM entry), faked and recorded, over the
 * fake VMCS (fake_vmcs.h). A test makes one L1 vCPU with fake_l1_vcpu():
 * vmcs01 current, nested enabled, vmcs12 cached, vmcs02 allocated, and a
 * guest RAM whose guest-physical addresses are offsets into fake_env.ram.
 */
#ifndef FAKE_NESTED_ENV_H
#define FAKE_NESTED_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "nested/vmcs12.h"
#include "vcpu/vm.h"

#define FAKE_RAM_SIZE (1024 * 1024)

struct fake_env {
	uint8_t *ram; /* the VM's guest-physical 0 .. FAKE_RAM_SIZE */
	/* What the test decides. */
	int linear_rc;         /* vcpu_linear_read/write: this error if < 0 */
	int enter_result;      /* vmx_vcpu_enter() (the hardware pre-check) */
	uint32_t enter_reason; /* ...and the exit reason it leaves in vmcs02 when 0 */
	/* What the code under test did. */
	unsigned int exceptions; /* vcpu_inject_exception() calls */
	uint8_t vector;          /* the last one's vector, error code */
	bool has_error;
	uint32_t error;
	unsigned int access_faults; /* vcpu_inject_access_fault() */
	uint64_t fault_la;
	int fault_rc;
	unsigned int handled_exits; /* vcpu_handle_exit(): exits Umbra kept */
	unsigned int pdpte_loads;   /* vcpu_load_pdptes() */
	unsigned int kicks;         /* vcpu_wake_for_device() */
	unsigned int mmio_accesses; /* vcpu_mmio_access(), and the last one's address */
	uint64_t mmio_gpa;
	unsigned int slice_arms;
	unsigned int enters;
	unsigned int host_state_setups;
	unsigned int halts;      /* vcpu_halt() */
	unsigned int tsc_writes; /* vcpu_msr_access() writes of IA32_TSC, the last value */
	uint64_t tsc_written;
	int acked_vector; /* vlapic_ack(), -1 if none */
	bool vm_ended;
	char end_reason[256];
	char console[512]; /* the last console line */
	unsigned int console_lines;
};
extern struct fake_env fake_env;
/* What vcpu_msr_access() reads of IA32_TSC. */
#define FAKE_TSC_READ 0x7a5c0000ULL

/*
 * A fresh world: fake VMCSs, per-CPU data, recorded calls, guest RAM; the
 * capabilities of a Skylake-like CPU (skylake_vmx.h, VMCS shadowing
 * included). nested_global_init() runs once per process (its tables are
 * static, its pages kept).
 */
void fake_env_reset(void);

/*
 * A nested-enabled L1 vCPU in VMX operation (fake_env_reset first): see
 * above; with a shadow VMCS if `shadowing`, else as on a CPU without.
 */
struct vcpu *fake_l1_vcpu(bool shadowing);
/* Makes gpa (page-aligned) L1's current VMCS, its vmcs12 cached as VMPTRLD leaves it. */
void fake_l1_vmptrld(struct vcpu *v, uint64_t gpa);

/* A vmcs12 that passes every VM-entry check: a 64-bit L2 under a 64-bit L1 host. */
void fake_valid_vmcs12(struct vmcs12 *c);

/*
 * After fake_env_reset(): an L1 vCPU (no shadow VMCS) whose current VMCS is
 * at vmcs12_gpa, valid, with L2 running on a prepared vmcs02 at l2_rip.
 */
struct vcpu *fake_l2_running(uint64_t vmcs12_gpa, uint64_t l2_rip);

/* The frames the vCPU's pages came from (for nested_vcpu_free). */
struct frame_alloc *fake_frames(void);

/* The guest RAM at gpa, as a pointer. */
void *fake_gpa(uint64_t gpa);

/* The fake MSRs behind rdmsr/wrmsr (arch/x86/msr.h's fake). */
void fake_msr_set(uint32_t msr, uint64_t v);

#endif
