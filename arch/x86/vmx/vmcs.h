/*
 * A VMCS and what Umbra knows about it. The controls shadow and the
 * host-state cache belong to the VMCS (not to a CPU or vCPU): switching the
 * current VMCS keeps both caches valid. Both start zeroed when the VMCS is
 * allocated, so even the first "set" of a control that should be 0 skips
 * its VMWRITE (a zeroed VMCS region reads back as 0).
 */
#ifndef ARCH_X86_VMX_VMCS_H
#define ARCH_X86_VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/percpu.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/frame_alloc.h"

struct vmcs_controls_shadow {
	uint32_t pin;
	uint32_t exec;
	uint32_t secondary_exec;
	uint32_t entry;
	uint32_t exit;
};

struct vmcs_host_state {
	uint64_t rsp; /* written by vmenter.S when the stack differs */
	uint64_t cr3;
	uint64_t fs_base;
	uint64_t gs_base; /* also says whose TR and GDTR bases the VMCS holds */
};

struct loaded_vmcs {
	uint64_t vmcs_pa;
	int32_t cpu; /* where it is active (VMPTRLD, no VMCLEAR since), -1 if nowhere */
	bool launched;
	struct vmcs_controls_shadow controls_shadow;
	/* VMWRITEs each control field got (the shadows skip the rest): the evidence. */
	struct vmcs_controls_shadow control_writes;
	/* Their sum: one compare tells that no control changed since a moment. */
	uint64_t control_writes_all;
	struct vmcs_host_state host_state;
};

/* Allocates and initialises a VMCS (revision id, shadows zeroed). */
int loaded_vmcs_alloc(struct loaded_vmcs *v, struct frame_alloc *fa, uint32_t revision_id);
/*
 * VMPTRLD on this CPU (VMCLEAR first on a CPU it was active on is the
 * caller's job: a panic otherwise); when it arrives (its first load since
 * a VMCLEAR: loaded_vmcs_arrive), the host state this CPU needs, each
 * field only if it changed. Inline: the nested exit and entry switch VMCS
 * twice each.
 */
void loaded_vmcs_arrive(struct loaded_vmcs *v);
__attribute__((noreturn, cold)) void vmcs_vmptrld_failed(const struct loaded_vmcs *v);

static inline void loaded_vmcs_load(struct loaded_vmcs *v)
{
	struct percpu *cpu = this_cpu();

	if (cpu->current_vmcs == v)
		return;
	if (__builtin_expect(v->cpu != (int32_t)cpu->index, 0)) {
		loaded_vmcs_arrive(v);
		return;
	}
	if (vmptrld(&v->vmcs_pa) < 0)
		vmcs_vmptrld_failed(v);
	cpu->current_vmcs = v;
}
/* VMCLEAR: not current anywhere, next entry is a VMLAUNCH. */
void loaded_vmcs_clear(struct loaded_vmcs *v);
void loaded_vmcs_free(struct loaded_vmcs *v, struct frame_alloc *fa);

/* Host CR3 / FS base / GS base (with TR and GDTR bases, per CPU too), each written only when it changed. */
void loaded_vmcs_sync_host_state(struct loaded_vmcs *v);

/* A guest segment register (selector field GUEST_xS_SELECTOR) in the current VMCS (vmcs_segment.h has it inline, as a batch). */
void vmcs_write_segment(uint32_t sel_field, uint16_t sel, uint64_t base, uint32_t limit,
                        uint32_t ar);

#endif
