/*
 * The interface between Umbra and its guests: the CPUID identification
 * leaves, the VMCALL hypercalls and the debug-exit port. Shared with the
 * guest payloads (tests/guest/), so it uses only fixed-width types.
 * docs/guest-abi.md describes it for guest authors.
 */
#ifndef ABI_UMBRA_ABI_H
#define ABI_UMBRA_ABI_H

#include <stdint.h>

/* CPUID 0x40000000: EAX = highest hypervisor leaf, EBX:ECX:EDX = signature. */
#define UMBRA_CPUID_SIGNATURE_LEAF 0x40000000u
#define UMBRA_CPUID_MAX_LEAF       0x40000001u
#define UMBRA_CPUID_SIGNATURE      "UmbraUmbra\0\0" /* 12 bytes, as KVM's "KVMKVMKVM\0\0\0" */
/* CPUID 0x40000001: EAX = ABI version; EBX = features (UMBRA_CPUID_F_*). */
#define UMBRA_CPUID_VERSION_LEAF 0x40000001u
/* Nested VMX uses hardware VMCS shadowing: L1's VMREAD/VMWRITE of the hot fields do not exit. */
#define UMBRA_CPUID_F_VMCS_SHADOWING (1u << 0)
#define UMBRA_ABI_VERSION            1u

/*
 * Hypercalls: VMCALL with RAX = number, arguments in RBX, RCX, RDX; the
 * result comes back in RAX (0 or a positive value on success, a negative
 * UMBRA_E* on error). Other registers are preserved. VMCALL at CPL > 0
 * fails with UMBRA_EPERM.
 */
enum umbra_hypercall {
	UMBRA_HC_CONSOLE_WRITE = 0, /* RBX = guest-physical address, RCX = length (<= 4096) */
	UMBRA_HC_EXIT = 1,          /* RBX = exit code: ends the VM, like port 0xF4 */
	UMBRA_HC_EXIT_STATS = 2,    /* RBX = GPA of a struct umbra_exit_stats, RCX = its size */
	UMBRA_HC_VERSION = 3,       /* returns UMBRA_ABI_VERSION: the cheapest hypercall */
	UMBRA_HC_COUNT
};

#define UMBRA_ENOSYS (-1) /* unknown hypercall number */
#define UMBRA_EINVAL (-2) /* bad argument (length, size) */
#define UMBRA_EFAULT (-3) /* a guest-physical range outside the VM's RAM */
#define UMBRA_EPERM  (-4) /* not allowed (CPL > 0) */

#define UMBRA_CONSOLE_WRITE_MAX 4096u

/* Basic exit reasons as the SDM numbers them (Appendix C): 0..UMBRA_EXIT_REASONS-1. */
#define UMBRA_EXIT_REASONS 80u

/* Per exit reason, for this VM since it started. */
struct umbra_exit_counts {
	uint64_t exits;
	uint64_t vmreads;          /* VMREADs Umbra issued handling these exits */
	uint64_t vmwrites;         /* VMWRITEs issued */
	uint64_t vmwrites_skipped; /* control writes the shadows proved unnecessary */
	uint64_t l0_cycles;        /* TSC ticks in Umbra, from VM exit to VM entry */
	uint64_t
	        control_vmwrites; /* of vmwrites: to the pin, processor, secondary, entry, exit controls */
};

struct umbra_exit_stats {
	uint32_t version; /* UMBRA_ABI_VERSION */
	uint32_t reasons; /* UMBRA_EXIT_REASONS */
	uint64_t total_exits;
	struct umbra_exit_counts reason[UMBRA_EXIT_REASONS];
};

/*
 * Port 0xF4 (QEMU isa-debug-exit semantics): an OUT of value v ends the VM
 * with exit code v (0 = pass). Port 0xE9: bytes go to the VM's console line.
 */
#define UMBRA_EXIT_PORT     0xf4u
#define UMBRA_DEBUGCON_PORT 0xe9u

#endif
