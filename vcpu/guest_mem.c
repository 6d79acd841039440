/* Guest memory through the guest's page tables: see guest_mem.h. */
#include "vcpu/guest_mem.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "nested/nested.h"
#include "vcpu/vm.h"

bool vcpu_read_guest64(void *ctx, uint64_t gpa, uint64_t *val)
{
	const uint64_t *p = vm_gpa_to_ptr(ctx, gpa_of(gpa), sizeof(*val));

	if (!p)
		return false;
	*val = *p;
	return true;
}

void *vcpu_gpa_to_ptr(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	if (nested_l2_has_ept12(v))
		return nested_l2_gpa_to_ptr(v, gpa, len);
	return vm_gpa_to_ptr(v->vm, gpa_of(gpa), len);
}

bool vcpu_guest_read64(void *ctx, uint64_t gpa, uint64_t *val)
{
	const uint64_t *p = vcpu_gpa_to_ptr(ctx, gpa, sizeof(*val));

	if (!p)
		return false;
	*val = *p;
	return true;
}

bool vcpu_load_pdptes(struct vcpu *v)
{
	uint64_t cr3 = reg_cache_read(&v->regs, REG_CR3) & PDPTE_ALIGN_MASK;
	const uint64_t *pdpte = vcpu_gpa_to_ptr(v, cr3, 32);

	if (!pdpte)
		return false;
	vmcs_write64(GUEST_PDPTR0, pdpte[0]);
	vmcs_write64(GUEST_PDPTR1, pdpte[1]);
	vmcs_write64(GUEST_PDPTR2, pdpte[2]);
	vmcs_write64(GUEST_PDPTR3, pdpte[3]);
	return true;
}

void vcpu_guest_paging(struct vcpu *v, struct guest_paging *p)
{
	memset(p, 0, sizeof(*p));
	p->cr0 = reg_cache_read(&v->regs, REG_CR0);
	p->cr3 = reg_cache_read(&v->regs, REG_CR3);
	p->cr4 = reg_cache_read(&v->regs, REG_CR4);
	p->efer = vmcs_read64(GUEST_IA32_EFER);
	p->cpl = (uint8_t)vcpu_cpl(v);
	/* PAE without long mode: the CPU uses the PDPTEs VM entry loaded. */
	if ((p->cr0 & CR0_PG) && (p->cr4 & CR4_PAE) && !(p->efer & EFER_LMA)) {
		p->pdptes_valid = true;
		p->pdpte[0] = vmcs_read64(GUEST_PDPTR0);
		p->pdpte[1] = vmcs_read64(GUEST_PDPTR1);
		p->pdpte[2] = vmcs_read64(GUEST_PDPTR2);
		p->pdpte[3] = vmcs_read64(GUEST_PDPTR3);
	}
}

static int linear_copy(struct vcpu *v, uint64_t la, void *buf, size_t len, bool write)
{
	struct guest_paging p;
	size_t done = 0;

	vcpu_guest_paging(v, &p);
	while (done < len) {
		uint64_t gpa;
		size_t chunk = PAGE_SIZE_4K - ((la + done) & (PAGE_SIZE_4K - 1));
		int rc = guest_walk(&p, la + done, write ? GUEST_ACC_WRITE : GUEST_ACC_READ, &gpa,
		                    vcpu_guest_read64, v);
		uint8_t *host;

		if (rc < 0)
			return rc;
		if (chunk > len - done)
			chunk = len - done;
		host = vcpu_gpa_to_ptr(v, gpa, chunk);
		if (!host)
			return GUEST_WALK_ERR(GUEST_WALK_ACCESSOR, 0);
		if (write)
			memcpy(host, (const uint8_t *)buf + done, chunk);
		else
			memcpy((uint8_t *)buf + done, host, chunk);
		done += chunk;
	}
	return 0;
}

int vcpu_linear_read(struct vcpu *v, uint64_t la, void *buf, size_t len)
{
	return linear_copy(v, la, buf, len, false);
}

int vcpu_linear_write(struct vcpu *v, uint64_t la, const void *buf, size_t len)
{
	return linear_copy(v, la, (void *)buf, len, true);
}

void vcpu_inject_access_fault(struct vcpu *v, uint64_t la, int rc, enum guest_access acc)
{
	struct guest_paging p;
	int reason = guest_walk_reason(rc);

	if (reason == GUEST_WALK_ACCESSOR || reason == GUEST_WALK_NONCANONICAL) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return;
	}
	vcpu_guest_paging(v, &p);
	/* The guest's CR2 is the live register while it runs (vcpu_run). */
	write_cr2(la);
	vcpu_inject_exception(v, VECTOR_PF, true, guest_walk_pf_error_code(&p, acc, rc));
}
