/*
 * A nested VM exit (SDM Vol. 3 chapter 28, "VM Exits", as L1's CPU would
 * do it): L2's state from vmcs02 into vmcs12 with the exit information,
 * then L1's host state from vmcs12 into vmcs01, which becomes current
 * again, and L1 resumes at its HOST_RIP.
 *
 * The stores into vmcs12 do not mark fields dirty: vmcs02 already holds
 * those values, so the next entry rewrites only what L1 changes.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/vmcs_segment.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/x86_bits.h"
#include "lib/console.h"
#include "nested/nested.h"
#include "nested/entry_checks.h"
#include "nested/exit_route.h"
#include "nested/nested_internal.h"
#include "nested/vmcs12.h"
#include "nested/nvmx_rules.h"
#include "vcpu/exits.h"
#include "vcpu/guest_efer.h"
#include "vcpu/vm.h"
#include "vcpu/vmcs_setup.h"

#define MSR_ENTRY_SIZE 16
/* Limits of the segments a VM exit loads (SDM 28.5.2; access rights: x86_bits.h). */
#define FLAT_LIMIT 0xffffffffu
#define TSS_LIMIT  0x67u
#define DT_LIMIT   0xffffu

/*
 * Whether WRMSR of val to msr would succeed (the CPU's #GP rules for these
 * MSRs): addresses canonical, reserved high halves zero. Checked before
 * anything is written: a real WRMSR that faults would be Umbra's #GP, and a
 * VMCS field holding such a value fails the next VM entry.
 */
static bool msr_value_ok(uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR: return nested_canonical(val);
	case MSR_IA32_PAT: return nested_pat_valid(val);
	case MSR_SFMASK:
	case MSR_TSC_AUX: return !(val >> 32);
	default: return true;
	}
}

enum msr_pass nested_msr_passthrough(uint32_t msr, bool write, uint64_t *val)
{
	if (write && !msr_value_ok(msr, *val))
		return MSR_PASS_GP;
	switch (msr) {
	case MSR_IA32_TSC:
		/* L1 reads it directly (its writes are refused): the TSC as the VMCS offsets it. */
		if (write)
			return MSR_PASS_OTHER;
		*val = rdtsc();
		if (vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED_USE_TSC_OFFSETTING)
			*val += vmcs_read64(TSC_OFFSET);
		return MSR_PASS_DONE;
	case MSR_IA32_SYSENTER_CS:
		if (write)
			vmcs_write32(GUEST_SYSENTER_CS, *val);
		else
			*val = vmcs_read32(GUEST_SYSENTER_CS);
		return MSR_PASS_DONE;
	case MSR_IA32_SYSENTER_ESP:
		if (write)
			vmcs_writel(GUEST_SYSENTER_ESP, *val);
		else
			*val = vmcs_readl(GUEST_SYSENTER_ESP);
		return MSR_PASS_DONE;
	case MSR_IA32_SYSENTER_EIP:
		if (write)
			vmcs_writel(GUEST_SYSENTER_EIP, *val);
		else
			*val = vmcs_readl(GUEST_SYSENTER_EIP);
		return MSR_PASS_DONE;
	case MSR_FS_BASE:
		if (write)
			vmcs_writel(GUEST_FS_BASE, *val);
		else
			*val = vmcs_readl(GUEST_FS_BASE);
		return MSR_PASS_DONE;
	case MSR_GS_BASE:
		if (write)
			vmcs_writel(GUEST_GS_BASE, *val);
		else
			*val = vmcs_readl(GUEST_GS_BASE);
		return MSR_PASS_DONE;
	case MSR_IA32_PAT:
		if (write)
			vmcs_write64(GUEST_IA32_PAT, *val);
		else
			*val = vmcs_read64(GUEST_IA32_PAT);
		return MSR_PASS_DONE;
	case MSR_KERNEL_GS_BASE:
	case MSR_STAR:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_SFMASK:
	case MSR_TSC_AUX:
		/* Never switched by the VMCS: the register holds the running guest's value. */
		if (write)
			wrmsr(msr, *val);
		else
			*val = rdmsr(msr);
		return MSR_PASS_DONE;
	default: return MSR_PASS_OTHER;
	}
}

/* One entry of an MSR list: index (bits 31:0), reserved (63:32), value. */
struct msr_entry {
	uint32_t index, reserved;
	uint64_t value;
};

/*
 * One MSR-list entry as the CPU processes it (SDM 26.4, 28.4, 28.6): as
 * RDMSR/WRMSR at CPL 0 would do on the virtual CPU, in L2's context (vmcs02
 * current) or L1's, but for what no list may name: x2APIC MSRs, and FS/GS
 * base in a load list. False where the CPU fails the entry or aborts.
 */
static bool list_msr(struct vcpu *v, const struct msr_entry *e, bool load, uint64_t *val)
{
	enum msr_pass p;

	if (e->reserved || (e->index >> 8) == MSR_X2APIC_BASE >> 8 ||
	    (load && (e->index == MSR_FS_BASE || e->index == MSR_GS_BASE)))
		return false;
	p = v->nested.in_l2 ? nested_l2_msr(e->index, load, val)
	                    : nested_msr_passthrough(e->index, load, val);
	if (p != MSR_PASS_OTHER)
		return p == MSR_PASS_DONE;
	return vcpu_msr_access(v, e->index, load, val) == VCPU_MSR_DONE;
}

/*
 * Entry i of a list, NULL if it is not in L1's RAM or lies beyond the
 * recommended maximum L1 is offered (IA32_VMX_MISC bits 27:25). Beyond it
 * the SDM leaves the CPU's behaviour undefined; Umbra refuses the entry
 * there (as KVM does), so a list's count, up to 2^32 - 1, bounds its work.
 */
static struct msr_entry *list_entry(struct vcpu *v, uint64_t addr, uint32_t i)
{
	uint64_t misc = nested_caps_get(&nested_caps, MSR_IA32_VMX_MISC);
	uint32_t max =
	        512 * ((uint32_t)(misc >> VMX_MISC_MSR_LIST_SHIFT & VMX_MISC_MSR_LIST_MASK) + 1);

	if (i >= max)
		return NULL;
	return vm_gpa_to_ptr(v->vm, gpa_of(addr + (uint64_t)i * MSR_ENTRY_SIZE),
	                     sizeof(struct msr_entry));
}

uint32_t nested_load_msr_list(struct vcpu *v, uint64_t addr, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		const struct msr_entry *e = list_entry(v, addr, i);
		struct msr_entry copy;

		if (e)
			copy = *e; /* read once: another of L1's vCPUs may write it */
		if (!e || !list_msr(v, &copy, true, &copy.value)) {
			console_debugf("umbra: debug: vm %s: nested: MSR-load list entry %u (MSR "
			               "0x%x) refused\n",
			               v->vm->name, i, e ? copy.index : 0);
			return i + 1;
		}
	}
	return 0;
}

/* The VM-exit MSR-store list: L2's values, vmcs02 current. False if an entry is refused. */
static bool store_msr_list(struct vcpu *v, uint64_t addr, uint32_t count)
{
	VMCS_ASSERT_CURRENT(&v->nested.vmcs02); /* L2's MSRs are read where they are */
	for (uint32_t i = 0; i < count; i++) {
		struct msr_entry *e = list_entry(v, addr, i);
		uint64_t val;

		if (!e || !list_msr(v, e, false, &val))
			return false;
		e->value = val;
	}
	return true;
}

/*
 * L2's guest state, vmcs02 -> vmcs12 (SDM 28.3), in two parts. On every
 * exit, what L1 reads on nearly every exit (RIP, RSP, RFLAGS,
 * interruptibility) and the exit information (28.2) but reason,
 * qualification and interruption information, which the caller gives (an
 * exit Umbra synthesises has its own). The rest ("rare": segments, control
 * registers, descriptor tables, MSR state) stays in vmcs02 until Umbra
 * needs vmcs12 whole: nested_sync_l2_rare().
 */
static void save_l2_hot(struct vmcs12 *c)
{
	c->guest_rip = vmcs_read_batched(GUEST_RIP);
	c->guest_rsp = vmcs_read_batched(GUEST_RSP);
	c->guest_rflags = vmcs_read_batched(GUEST_RFLAGS);
	c->guest_interruptibility_info = (uint32_t)vmcs_read_batched(GUEST_INTERRUPTIBILITY_INFO);
	c->vm_exit_intr_error_code = (uint32_t)vmcs_read_batched(VM_EXIT_INTR_ERROR_CODE);
	c->idt_vectoring_info_field = (uint32_t)vmcs_read_batched(IDT_VECTORING_INFO_FIELD);
	c->idt_vectoring_error_code = (uint32_t)vmcs_read_batched(IDT_VECTORING_ERROR_CODE);
	c->vm_exit_instruction_len = (uint32_t)vmcs_read_batched(VM_EXIT_INSTRUCTION_LEN);
	c->vmx_instruction_info = (uint32_t)vmcs_read_batched(VMX_INSTRUCTION_INFO);
	c->guest_linear_address = vmcs_read_batched(GUEST_LINEAR_ADDRESS);
	/* What RIP's rule reads at the next entry (CS.L): L2's now, not its last sync's. */
	c->guest_cs_ar_bytes = (uint32_t)vmcs_read_batched(GUEST_CS_AR_BYTES);
	vmx_batch_check("the nested exit's L2 state");
	vmx_count_reads(12); /* with the check's */
}

/* Guest fields save_l2_hot() does not save, and those never saved. */
static bool rare_field(uint32_t enc, const struct vmcs12 *c)
{
	uint32_t exit = c->vm_exit_controls;

	if (VMCS_FIELD_TYPE(enc) != VMCS_TYPE_GUEST || vmcs02_umbra_field(enc))
		return false;
	switch (enc) {
	/* Saved with EPT (SDM 28.3.4); without, vmcs02 holds Umbra's copy from memory. */
	case GUEST_PDPTR0:
	case GUEST_PDPTR1:
	case GUEST_PDPTR2:
	case GUEST_PDPTR3: return vmcs12_ept_enabled(c);
	case GUEST_RIP:
	case GUEST_RSP:
	case GUEST_RFLAGS:
	case GUEST_INTERRUPTIBILITY_INFO: return false;
	case GUEST_IA32_EFER: return exit & VM_EXIT_SAVE_IA32_EFER;
	case GUEST_IA32_PAT: return exit & VM_EXIT_SAVE_IA32_PAT;
	case GUEST_DR7:
	case GUEST_IA32_DEBUGCTL: return exit & VM_EXIT_SAVE_DEBUG_CONTROLS;
	default: return true;
	}
}

/* L1's preemption timer: what is left of it, if L1 asked to save it (SDM 28.3.3). */
static void save_l1_timer(struct vcpu *v, struct vmcs12 *c)
{
	struct nested_vmx *n = &v->nested;
	uint64_t now, left;

	if (n->l1_timer_deadline == UINT64_MAX)
		return;
	now = rdtsc();
	if ((c->pin_based_vm_exec_control & PIN_BASED_VMX_PREEMPTION_TIMER) &&
	    (c->vm_exit_controls & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER)) {
		left = n->l1_timer_deadline > now ? n->l1_timer_deadline - now : 0;
		left >>= vmx_caps.preemption_timer_rate;
		c->vmx_preemption_timer_value = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	}
	n->l1_timer_deadline = UINT64_MAX;
}

void nested_sync_l2_rare(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;
	struct vmcs12 *c = n->vmcs12;

	if (!n->l2_rare_stale)
		return;
	loaded_vmcs_load(&n->vmcs02);
	/*
	 * A field L1 wrote since the exit (dirty: the bits are cleared at each
	 * entry) keeps L1's value: the CPU's saved one is older.
	 */
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++)
		if (rare_field(vmcs12_fields[i].encoding, c) && !vmcs12_dirty_test(&c->dirty, i))
			vmcs12_set(c, i, __vmcs_read(vmcs12_fields[i].encoding));
	/* IA32_VMX_MISC bit 5: the IA-32e mode guest control follows EFER.LMA (unless L1 wrote it). */
	if (!vmcs12_dirty_test(&c->dirty, VMCS12_IDX_VM_ENTRY_CONTROLS)) {
		if (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA)
			c->vm_entry_controls |= VM_ENTRY_IA32E_MODE;
		else
			c->vm_entry_controls &= ~VM_ENTRY_IA32E_MODE;
	}
	loaded_vmcs_load(v->loaded);
	n->l2_rare_stale = false;
}

/* One field of L1's host state into vmcs01, counted in *n (added to the bucket once). */
static inline void host_write(unsigned int *n, uint32_t field, uint64_t val)
{
	vmcs_write_batched(field, val);
	(*n)++;
}

/* A segment register's four fields (vmcs_segment.h), counted in *n. */
static inline void host_segment(unsigned int *n, uint32_t sel_field, uint16_t sel, uint64_t base,
                                uint32_t limit, uint32_t ar)
{
	vmcs_write_segment_batched(sel_field, sel, base, limit, ar);
	*n += 4;
}

/* A data segment register after a VM exit: unusable if its selector is 0. */
static inline void load_data_segment(unsigned int *n, uint32_t sel_field, uint16_t sel,
                                     uint64_t base)
{
	host_segment(n, sel_field, sel, base, FLAT_LIMIT, sel ? AR_DATA32 : AR_UNUSABLE);
}

/*
 * L1's host state, vmcs12 -> vmcs01 (SDM 28.5); vmcs01 current. Every
 * field, on every exit: the CPU stored L1's own state over them at L1's
 * last exit. The VMWRITEs are counted once, at the end (the compiler
 * folds the count).
 */
static void load_l1_host_state(struct vcpu *v, const struct vmcs12 *c)
{
	bool host64 = c->vm_exit_controls & VM_EXIT_HOST_ADDR_SPACE_SIZE;
	unsigned int writes = 0;
	uint64_t efer;

	/* L1 sees its CRs through vmcs01's masks: shadows as loaded, NE/VMXE kept underneath. */
	host_write(&writes, CR0_READ_SHADOW, c->host_cr0);
	host_write(&writes, GUEST_CR0, c->host_cr0 | CR0_NE);
	host_write(&writes, CR4_READ_SHADOW, c->host_cr4);
	host_write(&writes, GUEST_CR4, c->host_cr4 | CR4_VMXE);
	host_write(&writes, GUEST_CR3, c->host_cr3);
	host_write(&writes, GUEST_DR7, DR7_RESET);
	host_write(&writes, GUEST_IA32_DEBUGCTL, 0);
	host_write(&writes, GUEST_SYSENTER_CS, c->host_ia32_sysenter_cs);
	host_write(&writes, GUEST_SYSENTER_ESP, c->host_ia32_sysenter_esp);
	host_write(&writes, GUEST_SYSENTER_EIP, c->host_ia32_sysenter_eip);
	if (c->vm_exit_controls & VM_EXIT_LOAD_IA32_PAT)
		host_write(&writes, GUEST_IA32_PAT, c->host_ia32_pat);
	if (c->vm_exit_controls & VM_EXIT_LOAD_IA32_EFER)
		efer = c->host_ia32_efer;
	else
		efer = (v->efer & ~(EFER_LMA | EFER_LME)) | (host64 ? EFER_LMA | EFER_LME : 0);
	host_write(&writes, GUEST_IA32_EFER, efer);
	v->efer = efer & EFER_GUEST_WRITABLE;
	if (host64)
		entry_controls_setbit(&v->vmcs, VM_ENTRY_IA32E_MODE);
	else
		entry_controls_clearbit(&v->vmcs, VM_ENTRY_IA32E_MODE);

	host_segment(&writes, GUEST_CS_SELECTOR, c->host_cs_selector, 0, FLAT_LIMIT,
	             host64 ? AR_CODE64 : AR_CODE32);
	/* A null SS still has its base and DPL 0 (28.5.2): only usability differs. */
	load_data_segment(&writes, GUEST_SS_SELECTOR, c->host_ss_selector, 0);
	load_data_segment(&writes, GUEST_DS_SELECTOR, c->host_ds_selector, 0);
	load_data_segment(&writes, GUEST_ES_SELECTOR, c->host_es_selector, 0);
	load_data_segment(&writes, GUEST_FS_SELECTOR, c->host_fs_selector, c->host_fs_base);
	load_data_segment(&writes, GUEST_GS_SELECTOR, c->host_gs_selector, c->host_gs_base);
	host_segment(&writes, GUEST_TR_SELECTOR, c->host_tr_selector, c->host_tr_base, TSS_LIMIT,
	             AR_TSS_BUSY);
	host_segment(&writes, GUEST_LDTR_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	host_write(&writes, GUEST_GDTR_BASE, c->host_gdtr_base);
	host_write(&writes, GUEST_GDTR_LIMIT, DT_LIMIT);
	host_write(&writes, GUEST_IDTR_BASE, c->host_idtr_base);
	host_write(&writes, GUEST_IDTR_LIMIT, DT_LIMIT);

	host_write(&writes, GUEST_RIP, c->host_rip);
	host_write(&writes, GUEST_RSP, c->host_rsp);
	host_write(&writes, GUEST_RFLAGS, RFLAGS_FIXED1);
	host_write(&writes, GUEST_INTERRUPTIBILITY_INFO, 0);
	host_write(&writes, GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE);
	host_write(&writes, GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmx_batch_check("L1's host state");
	vmx_count(1, writes); /* the check's VMREAD */
}

void nested_vmexit(struct vcpu *v, uint32_t reason, uint64_t qual, uint32_t intr_info)
{
	struct nested_vmx *n = &v->nested;
	struct vmcs12 *c = n->vmcs12;
	bool l2_ran = n->in_l2;
	uint32_t bad = 0;

	/*
	 * L2's cached registers go to vmcs02 first, while it is current: Umbra
	 * may have moved L2 on since its exit (past an HLT, an I/O instruction
	 * it carried out for L1), and vmcs02 is what is saved.
	 */
	reg_cache_flush(&v->regs);
	if (l2_ran) {
		save_l2_hot(c);
		save_l1_timer(v, c);
		/* Umbra halts L2 itself (vmcs02 stays active): the state is the HLT's. */
		c->guest_activity_state = n->l2_halted ? VMX_ACTIVITY_HLT : VMX_ACTIVITY_ACTIVE;
		n->l2_halted = false;
		n->l2_rare_stale = true;
		if (c->vm_exit_msr_store_count &&
		    !store_msr_list(v, c->vm_exit_msr_store_addr, c->vm_exit_msr_store_count)) {
			vm_end_error(v->vm, "VMX abort: the VM-exit MSR-store list of L1's vmcs12 "
			                    "names an MSR Umbra cannot store (L1 triple fault)");
			return;
		}
		/* Umbra's injection into L2, if cut short, is in the IDT-vectoring information now. */
		v->injected = -1;
		n->reflected_exits++;
	}
	c->vm_exit_reason = reason;
	c->exit_qualification = qual;
	c->vm_exit_intr_info = intr_info;
	/* Every VM exit clears the valid bit of the VM-entry interruption information. */
	c->vm_entry_intr_info_field &= ~INTR_INFO_VALID;
	n->in_l2 = false;
	/*
	 * L1 reads the exit information and L2's hot state without exits: into
	 * the shadow VMCS, which leaves vmcs01 current. Only the fields stored
	 * above go (listed in shadow_vmcs_load_exit): a shadowed field the exit
	 * stores must be listed there.
	 */
	shadow_vmcs_load_exit(v, &v->vmcs);
	nested_switch_vmcs(v, &v->vmcs);
	load_l1_host_state(v, c); /* vmcs01 current: the line above */
	if (c->vm_exit_msr_load_count)
		bad = nested_load_msr_list(v, c->vm_exit_msr_load_addr, c->vm_exit_msr_load_count);
	n->resume_hot_at = 0;
	if (l2_ran && !bad)
		nested_resume_hot_arm(v);
	if (bad) {
		/* SDM 28.7: a VMX abort; L1's CPU would shut down: Umbra ends it as a triple fault. */
		c->abort = 1; /* VMX-abort indicator 1: failure loading an MSR on VM exit */
		nested_vmcs12_flush(v);
		vm_end_error(v->vm,
		             "VMX abort: VM-exit MSR-load entry %u refused (L1 triple fault)", bad);
	}
}
