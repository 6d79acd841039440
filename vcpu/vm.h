/*
 * A virtual machine: its RAM (one contiguous block, mapped at guest-physical
 * 0 by its EPT), its vCPU, its console, its statistics and how it ended.
 */
#ifndef VCPU_VM_H
#define VCPU_VM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "ept/ept.h"
#include "lib/addr.h"
#include "lib/spinlock.h"
#include "vcpu/unknown_access.h"
#include "vcpu/acpi_pm.h"
#include "vcpu/pci_conf.h"
#include "vcpu/pit.h"
#include "vcpu/rtc.h"
#include "vcpu/uart.h"
#include "vcpu/vioapic.h"
#include "vcpu/vpic.h"
#include "abi/umbra_abi.h"
#include "vcpu/vcpu.h"

#define VM_NAME_MAX         32
#define VM_CMDLINE_MAX      256
#define VM_REASON_MAX       160
#define VM_CONSOLE_LINE_MAX 256
#define VM_MAX              64 /* as many as modules (BOOT_MAX_MODULES) */
#define VM_VCPU_MAX         8
#define VM_DEFAULT_RAM      (32ULL << 20)
#define VM_MIN_RAM          (2ULL << 20)
/* ept02_pool= (nested/shadow_ept.h): the default, and the range (a 4-level walk and some room). */
#define VM_DEFAULT_EPT02_POOL (1ULL << 20)
#define VM_MIN_EPT02_POOL     (32ULL << 10)
#define VM_MAX_EPT02_POOL     (256ULL << 20)

enum vm_state { VM_READY, VM_RUNNING, VM_ENDED };
enum vm_verdict { VM_PASS, VM_FAIL, VM_ERROR };

struct vm_console {
	char line[VM_CONSOLE_LINE_MAX];
	uint32_t len;
	uint32_t shown; /* input=1: bytes of line already on the console (a prompt) */
};

struct vm {
	char name[VM_NAME_MAX];
	char cmdline[VM_CMDLINE_MAX];
	uint32_t index;
	hpa_t ram_hpa; /* its RAM: read it through vm_gpa_to_hpa()/vm_gpa_to_ptr() */
	uint64_t ram_size;
	struct ept ept;
	struct vcpu vcpus[VM_VCPU_MAX];
	uint32_t vcpu_count;
	bool nested;         /* nested=1: its vCPUs may run hypervisors (nested/) */
	uint64_t ept02_pool; /* ept02_pool=: bytes of EPT02 tables for its L2s (nested=1) */
	bool strict;         /* strict=1: an unknown MSR, port or address ends it */
	bool input;          /* input=1: its COM1 receives what is typed on Umbra's console */
	struct unknown_log unknown; /* what it touched that its platform lacks (under lock) */
	uint32_t vcpus_done;        /* vCPUs whose CPU has let go of them after the VM ended */
	bool kicked;                /* its vCPUs were told to leave guest mode */
	struct spinlock lock;       /* the console line, how the VM ends, its devices */
	struct vm_console console;
	/* Its platform's devices (vm_irq.c wires their interrupts); under `lock`. */
	struct uart uart;
	struct vpic pic;
	struct vioapic ioapic;
	bool pic_intr; /* the PIC's INTR output (read without the lock by vCPU 0) */
	uint64_t
	        device_next; /* TSC of the next device event that matters (IRQ 0, input), or UINT64_MAX */
	uint64_t
	        input_next; /* input=1, polled: TSC of the next look at the console (else UINT64_MAX) */
	bool input_waiting; /* input=1: the console may have bytes for it (set by COM1's interrupt) */
	uint64_t
	        partial_due; /* input=1: TSC at which its begun console line is shown, or UINT64_MAX */
	struct pci_conf pci;
	struct rtc rtc;
	struct pit pit;
	struct acpi_pm pm;
	uint8_t reset_control; /* port 0xCF9 */
	volatile enum vm_state state;
	enum vm_verdict verdict;
	int64_t exit_code; /* -1 when Umbra ended it */
	uint32_t entry, entry_magic,
	        entry_info; /* the guest's Multiboot entry state: EIP, EAX, EBX */
	uint32_t entry_esi; /* a Linux kernel's zero page (ESI), else 0 */
	char end_reason[VM_REASON_MAX];
};

/* The wall time (seconds since 1970, UTC) at TSC tsc0: every VM's CMOS clock starts from it. */
void vm_set_wall_clock(int64_t epoch, uint64_t tsc0);

/*
 * Where the VM's guest-physical [gpa, gpa + len) is in host-physical memory:
 * true and *hpa if it all lies in the VM's RAM. The one definition of the
 * VM's memory map: EPT01 is built from it (vm_create.c), and
 * vm_gpa_to_ptr() reads through it.
 */
static inline bool vm_gpa_to_hpa(const struct vm *vm, gpa_t gpa, uint64_t len, hpa_t *hpa)
{
	uint64_t g = gpa_val(gpa);

	/* RAM is one block at guest-physical 0: vm_create() maps it so. */
	if (g >= vm->ram_size || len > vm->ram_size - g)
		return false;
	*hpa = hpa_add(vm->ram_hpa, g);
	return true;
}

/*
 * Host pointer to guest-physical [gpa, gpa + len) if it lies in the VM's
 * RAM, else NULL. Inline, as vm_gpa_to_hpa: shadow EPT reads L1's tables
 * through it at every level of every walk.
 */
static inline void *vm_gpa_to_ptr(struct vm *vm, gpa_t gpa, uint64_t len)
{
	hpa_t hpa;

	if (!vm_gpa_to_hpa(vm, gpa, len, &hpa))
		return NULL;
	return hpa_ptr(hpa);
}
/*
 * The host-physical address of gpa (*hpa) and the largest aligned block
 * around it, 1 GiB, 2 MiB or 4 KiB, that is RAM and one host-contiguous
 * run: EPT01 maps all of it read/write/execute, write-back, so a shadow
 * EPT leaf may cover it whole. 0 if gpa is not RAM.
 */
static inline uint64_t vm_gpa_block(const struct vm *vm, gpa_t gpa, hpa_t *hpa)
{
	uint64_t g = gpa_val(gpa), off;

	if (!vm_gpa_to_hpa(vm, gpa, 1, hpa))
		return 0;
	off = hpa_val(*hpa) - g; /* the same for the whole block */
	for (uint64_t s = 1ULL << 30; s > 4096; s >>= 9)
		if ((g & ~(s - 1)) + s <= vm->ram_size && !(off & (s - 1)))
			return s;
	return 4096; /* RAM is whole 4 KiB pages at a 4 KiB-aligned address */
}

/* The guest touched an MSR, port or address its platform lacks: noted for its report. */
void vm_note_unknown(struct vm *vm, enum unknown_kind kind, uint64_t where);

/* The guest ended itself with an exit code (0 = pass). */
void vm_end_with_code(struct vm *vm, int64_t code, const char *how);
/* Umbra ends the VM: an error, with a reason. */
void vm_end_error(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Gives back the VM's memory: VMCS pages, EPT tables, RAM (what was
 * allocated; the rest is zero). No VMCS of its may be active on any CPU.
 */
void vm_free(struct vm *vm);

/* This VM's exit statistics: its vCPUs' added up. */
void vm_stats(const struct vm *vm, struct umbra_exit_stats *out);
/* Adds the counts of `from` to `to`. */
void vm_stats_add(struct umbra_exit_stats *to, const struct umbra_exit_stats *from);

/* Bytes the guest sends to its console (UART, port 0xE9, hypercall): in whole lines. */
void vm_console_putc(struct vm *vm, char c);
void vm_console_flush(struct vm *vm);
/*
 * input=1, under vm->lock: the line the VM has begun is shown (a prompt
 * must be seen before its line ends); vm_irq.c decides when.
 */
void vm_console_show_partial_locked(struct vm *vm);
/*
 * input=1: at most one VM takes what is typed on the console; false (and
 * *holder: the VM that has it) if another already does. Released when
 * the VM is not made after all.
 */
bool vm_console_claim_input(struct vm *vm, const char **holder);
void vm_console_release_input(struct vm *vm);
/* The VM with input=1, or NULL. */
struct vm *vm_console_input_vm(void);
/*
 * Its input starts: by_irq, COM1's interrupt announces typed bytes (and
 * wakes its vCPU 0); else they are looked for every VM_IRQ_INPUT_POLL_MS.
 */
void vm_console_start_input(bool by_irq);
/* Up to max bytes typed on the console, for the VM with the input; how many. */
unsigned int vm_console_read_input(struct vm *vm, uint8_t *buf, unsigned int max);

#endif
