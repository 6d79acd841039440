#include "arch/x86/vmx/vmcs.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmcs_segment.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/panic.h"

int loaded_vmcs_alloc(struct loaded_vmcs *v, struct frame_alloc *fa, uint32_t revision_id)
{
	uint64_t pa = frame_alloc_alloc(fa, 1, FRAME_SIZE);

	if (!pa)
		return -1;
	memset((void *)pa, 0, FRAME_SIZE);
	*(uint32_t *)pa = revision_id & VMCS_REVISION_MASK;
	memset(v, 0, sizeof(*v));
	v->vmcs_pa = pa;
	v->cpu = -1;
	/* VMCLEAR initialises the region's launch state and any cached data. */
	if (vmclear(pa) < 0)
		panic("VMCLEAR of a fresh VMCS at 0x%lx failed", pa);
	return 0;
}

void vmcs_vmptrld_failed(const struct loaded_vmcs *v)
{
	panic("VMPTRLD of VMCS 0x%lx failed", v->vmcs_pa);
}

void loaded_vmcs_arrive(struct loaded_vmcs *v)
{
	struct percpu *cpu = this_cpu();

	/* Active on one CPU at a time (SDM 25.11.1): the CPU it leaves VMCLEARs it first. */
	if (v->cpu >= 0)
		panic("VMPTRLD of VMCS 0x%lx on CPU %u: still active on CPU %d", v->vmcs_pa,
		      cpu->index, v->cpu);
	if (vmptrld(&v->vmcs_pa) < 0)
		vmcs_vmptrld_failed(v);
	cpu->current_vmcs = v;
	/*
	 * Host state depends on the CPU only: checked when the VMCS arrives
	 * (its first VMPTRLD here since a VMCLEAR), not per load or entry.
	 */
	v->cpu = (int32_t)cpu->index;
	loaded_vmcs_sync_host_state(v);
}

void loaded_vmcs_clear(struct loaded_vmcs *v)
{
	if (vmclear(v->vmcs_pa) < 0)
		panic("VMCLEAR of VMCS 0x%lx failed", v->vmcs_pa);
	if (this_cpu()->current_vmcs == v)
		this_cpu()->current_vmcs = NULL;
	v->cpu = -1;
	v->launched = false;
}

void loaded_vmcs_free(struct loaded_vmcs *v, struct frame_alloc *fa)
{
	if (v->vmcs_pa)
		frame_alloc_free(fa, v->vmcs_pa, 1);
	v->vmcs_pa = 0;
}

void loaded_vmcs_sync_host_state(struct loaded_vmcs *v)
{
	struct percpu *cpu = this_cpu();
	uint64_t cr3 = read_cr3();
	uint64_t gs = (uint64_t)cpu;

	if (v->host_state.cr3 != cr3) {
		vmcs_writel(HOST_CR3, cr3);
		v->host_state.cr3 = cr3;
	}
	/* The hypervisor never uses FS: its base stays 0, so the zeroed cache already matches. */
	/*
	 * The GS base is the CPU's per-CPU area: when it changes, the VMCS
	 * has come from another CPU (or is new), and so have the other fields
	 * that are this CPU's own, its TSS and GDT.
	 */
	if (v->host_state.gs_base != gs) {
		vmcs_writel(HOST_GS_BASE, gs);
		vmcs_writel(HOST_TR_BASE, (uint64_t)&cpu->gdt.tss);
		vmcs_writel(HOST_GDTR_BASE,
		            (uint64_t)cpu->gdt.entries); /* as gdt_load() loads it */
		v->host_state.gs_base = gs;
	}
}

void vmcs_not_current(const struct loaded_vmcs *want, const char *file, int line)
{
	const struct loaded_vmcs *cur = this_cpu()->current_vmcs;

	panic("%s:%d needs the VMCS at 0x%lx current; 0x%lx is", file, line, want->vmcs_pa,
	      cur ? cur->vmcs_pa : 0);
}

void vmx_batch_failed(const char *batch, uint32_t err)
{
	const struct loaded_vmcs *cur = this_cpu()->current_vmcs;

	panic("a VMREAD or VMWRITE of %s failed (VM-instruction error %u, VMCS 0x%lx)", batch, err,
	      cur ? cur->vmcs_pa : 0);
}

void vmcs_write_segment(uint32_t sel_field, uint16_t sel, uint64_t base, uint32_t limit,
                        uint32_t ar)
{
	vmcs_write_segment_batched(sel_field, sel, base, limit, ar);
	vmx_batch_check("a segment register's fields");
	vmx_count(1, 4); /* the check's VMREAD */
}
