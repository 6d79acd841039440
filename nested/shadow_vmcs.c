/*
 * Hardware VMCS shadowing for L1 (SDM Vol. 3 25.10 "VMCS Shadowing"):
 * vmcs01 links a shadow VMCS that holds the vmcs12 fields an L1 reads or
 * writes on nearly every exit (VMCS12_SHADOW_RO/RW in vmcs12_fields.h), so
 * that its VMREADs and VMWRITEs of them do not exit at all. While L1 runs
 * with a current VMCS, those fields' values are in the shadow VMCS, not
 * in the vmcs12 cache:
 *   shadow_vmcs_load  vmcs12 -> shadow, every shadowed field: after VMPTRLD;
 *   shadow_vmcs_load_exit  vmcs12 -> shadow, the fields a nested VM exit
 *                     stores (listed there): after every nested VM exit.
 *                     The others hold what the last load or save left,
 *                     vmcs12's value: only an emulated VMWRITE changes them
 *                     between, and it writes the shadow too
 *                     (shadow_vmcs_write_field);
 *   shadow_vmcs_save  shadow -> vmcs12, the fields L1 may write (marked
 *                     dirty if changed): before a nested VM entry and before
 *                     the vmcs12 is written back to L1's memory.
 * Without VMCS shadowing in the host CPU, every L1 VMREAD/VMWRITE exits and
 * is emulated (nvmx_emulate.c): slower, the same results.
 */
#include <string.h>

#include "arch/x86/percpu.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_msrs.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/frame_alloc.h"
#include "lib/phys_mem.h"
#include "nested/nested.h"
#include "nested/nested_internal.h"
#include "nested/vmcs12.h"

static uint64_t vmread_bitmap, vmwrite_bitmap;
/* The table indices of the shadowed fields: the loop of a full load without lookups. */
static uint8_t shadowed[VMCS12_FIELD_COUNT];
static unsigned int n_shadowed;

/* The SHADOW_RW fields: VMREADs the save counts once. */
static unsigned int n_writable;

int shadow_vmcs_global_init(void)
{
	/*
	 * Umbra writes the exit information, read-only fields, into the shadow
	 * VMCS: that needs VMWRITE to any field (IA32_VMX_MISC bit 29; every
	 * CPU with shadowing Umbra knows has it). Without it, no shadowing.
	 */
	if (!cpu_has_vmx_vmcs_shadowing() || !(vmx_caps.misc & VMX_MISC_VMWRITE_ANY_FIELD))
		return 0;
	vmread_bitmap = phys_alloc(1, FRAME_SIZE);
	vmwrite_bitmap = phys_alloc(1, FRAME_SIZE);
	if (!vmread_bitmap || !vmwrite_bitmap)
		return -1;
	vmcs12_shadow_bitmaps((uint8_t *)vmread_bitmap, (uint8_t *)vmwrite_bitmap);
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		if (vmcs12_fields[i].flags & (VMCS12_SHADOW_RO | VMCS12_SHADOW_RW))
			shadowed[n_shadowed++] = (uint8_t)i;
		if (vmcs12_fields[i].flags & VMCS12_SHADOW_RW)
			n_writable++;
	}
	return 0;
}

int shadow_vmcs_alloc(struct nested_vmx *n, struct frame_alloc *fa)
{
	uint64_t pa;

	if (!vmread_bitmap)
		return 0;
	pa = frame_alloc_alloc(fa, 1, FRAME_SIZE);
	if (!pa)
		return -1;
	memset((void *)pa, 0, FRAME_SIZE);
	*(uint32_t *)pa = (vmx_caps.revision_id & ~SHADOW_VMCS_INDICATOR) | SHADOW_VMCS_INDICATOR;
	if (vmclear(pa) < 0)
		return -1;
	n->shadow_pa = pa;
	return 0;
}

/* Makes the shadow VMCS current (for Umbra's own VMREAD/VMWRITE of it). */
static void shadow_current(struct nested_vmx *n)
{
	if (vmptrld(&n->shadow_pa) < 0)
		panic("VMPTRLD of shadow VMCS 0x%lx failed", n->shadow_pa);
	this_cpu()->current_vmcs = NULL;
}

void shadow_vmcs_load(struct vcpu *v, struct loaded_vmcs *back)
{
	struct nested_vmx *n = &v->nested;

	if (!n->shadow_active)
		return;
	shadow_current(n);
	for (unsigned int k = 0; k < n_shadowed; k++)
		vmcs_write_uncounted(vmcs12_fields[shadowed[k]].encoding,
		                     vmcs12_get(n->vmcs12, shadowed[k]));
	vmx_count_writes(n_shadowed);
	loaded_vmcs_load(back);
}

void shadow_vmcs_load_exit(struct vcpu *v, struct loaded_vmcs *back)
{
	struct nested_vmx *n = &v->nested;
	const struct vmcs12 *c = n->vmcs12;

	if (!n->shadow_active)
		return;
	shadow_current(n);
	/* What nested_vmexit() stores: a shadowed field it stores must be here. */
	vmcs_write_batched(VM_EXIT_REASON, c->vm_exit_reason);
	vmcs_write_batched(EXIT_QUALIFICATION, c->exit_qualification);
	vmcs_write_batched(VM_EXIT_INTR_INFO, c->vm_exit_intr_info);
	vmcs_write_batched(VM_EXIT_INTR_ERROR_CODE, c->vm_exit_intr_error_code);
	vmcs_write_batched(IDT_VECTORING_INFO_FIELD, c->idt_vectoring_info_field);
	vmcs_write_batched(IDT_VECTORING_ERROR_CODE, c->idt_vectoring_error_code);
	vmcs_write_batched(VM_EXIT_INSTRUCTION_LEN, c->vm_exit_instruction_len);
	vmcs_write_batched(VMX_INSTRUCTION_INFO, c->vmx_instruction_info);
	vmcs_write_batched(GUEST_LINEAR_ADDRESS, c->guest_linear_address);
	/* Stored by an EPT exit only (shadow_ept.c), before nested_vmexit(). */
	vmcs_write_batched(GUEST_PHYSICAL_ADDRESS, c->guest_physical_address);
	vmcs_write_batched(GUEST_RIP, c->guest_rip);
	vmcs_write_batched(GUEST_RSP, c->guest_rsp);
	vmcs_write_batched(GUEST_RFLAGS, c->guest_rflags);
	vmcs_write_batched(GUEST_INTERRUPTIBILITY_INFO, c->guest_interruptibility_info);
	/* Its valid bit, cleared by every exit. */
	vmcs_write_batched(VM_ENTRY_INTR_INFO_FIELD, c->vm_entry_intr_info_field);
	vmx_batch_check("the shadow VMCS's exit fields");
	vmx_count(1, 15); /* the check's VMREAD */
	loaded_vmcs_load(back);
}

/*
 * One SHADOW_RW field back into vmcs12, marked dirty if L1 changed it. The
 * table's flags are constants: the compiler keeps the shadowed fields only,
 * each a VMREAD and a compare, with no lookup of offset, width or index.
 */
#define SAVE_WRITABLE(name, encoding, width, flags)                                         \
	if ((flags)&VMCS12_SHADOW_RW) {                                                     \
		VMCS12_TYPE_##width val = (VMCS12_TYPE_##width)vmcs_read_batched(encoding); \
                                                                                            \
		if (c->name != val) {                                                       \
			c->name = val;                                                      \
			vmcs12_dirty_set(&c->dirty, VMCS12_IDX_##encoding);                 \
			wrote |= nested_wrote_class(encoding);                              \
		}                                                                           \
	}

unsigned int shadow_vmcs_save(struct vcpu *v, struct loaded_vmcs *back)
{
	struct nested_vmx *n = &v->nested;
	struct vmcs12 *c = n->vmcs12;
	unsigned int wrote = 0;

	if (!n->shadow_active)
		return WROTE_MERGED; /* L1's writes exited: whatever they were, the long way */
	shadow_current(n);
	VMCS12_FIELDS(SAVE_WRITABLE)
	vmx_batch_check("the shadow VMCS's writable fields");
	vmx_count_reads(n_writable + 1); /* with the check's */
	if (back)
		loaded_vmcs_load(back);
	return wrote;
}

void shadow_vmcs_write_field(struct vcpu *v, unsigned int idx)
{
	struct nested_vmx *n = &v->nested;

	if (!n->shadow_active ||
	    !(vmcs12_fields[idx].flags & (VMCS12_SHADOW_RO | VMCS12_SHADOW_RW)))
		return;
	VMCS_ASSERT_CURRENT(v->loaded);
	shadow_current(n);
	__vmcs_write(vmcs12_fields[idx].encoding, vmcs12_get(n->vmcs12, idx));
	loaded_vmcs_load(v->loaded);
}

void shadow_vmcs_activate(struct vcpu *v, bool on)
{
	struct nested_vmx *n = &v->nested;

	if (!n->shadow_pa || n->shadow_active == on)
		return;
	/* L1 just executed VMPTRLD, VMCLEAR or VMXOFF. */
	VMCS_ASSERT_CURRENT(&v->vmcs);
	if (on && !n->shadow_linked) {
		vmcs_write64(VMREAD_BITMAP, vmread_bitmap);
		vmcs_write64(VMWRITE_BITMAP, vmwrite_bitmap);
		n->shadow_linked = true;
	}
	if (on) {
		vmcs_write64(VMCS_LINK_POINTER, n->shadow_pa);
		secondary_exec_controls_setbit(&v->vmcs, SECONDARY_EXEC_VMCS_SHADOWING);
	} else {
		/* A link pointer to a shadow VMCS without shadowing fails VM entry (SDM 26.3.1.5). */
		secondary_exec_controls_clearbit(&v->vmcs, SECONDARY_EXEC_VMCS_SHADOWING);
		vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
	}
	n->shadow_active = on;
}
