/* MMIO emulation: see mmio_access.h. */
#include "vcpu/mmio_access.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "vcpu/guest_mem.h"
#include "vcpu/vm.h"

/*
 * Copies the instruction bytes at the guest's RIP (up to 15, fewer where a
 * page is missing). Returns how many, or a guest_walk() error.
 */
static int fetch_instruction(struct vcpu *v, const struct guest_paging *p, uint8_t *buf)
{
	uint64_t linear = vmcs_readl(GUEST_CS_BASE) + reg_cache_read(&v->regs, REG_RIP);
	size_t got = 0;

	while (got < MMIO_INSN_MAX_LEN) {
		uint64_t gpa;
		int rc = guest_walk(p, linear + got, GUEST_ACC_FETCH, &gpa, vcpu_guest_read64, v);
		size_t chunk = PAGE_MASK_4K + 1 - ((linear + got) & PAGE_MASK_4K);
		const uint8_t *src;

		if (rc < 0)
			return got ? (int)got : rc;
		if (chunk > MMIO_INSN_MAX_LEN - got)
			chunk = MMIO_INSN_MAX_LEN - got;
		src = vcpu_gpa_to_ptr(v, gpa, chunk);
		if (!src)
			return (int)got;
		memcpy(buf + got, src, chunk);
		got += chunk;
	}
	return (int)got;
}

static enum mmio_cpu_mode cpu_mode(const struct guest_paging *p)
{
	uint32_t ar = vmcs_read32(GUEST_CS_AR_BYTES);

	if (!(p->cr0 & CR0_PE))
		return MMIO_MODE_16;
	if ((p->efer & EFER_LMA) && (ar & AR_L))
		return MMIO_MODE_64;
	return (ar & AR_DB) ? MMIO_MODE_32 : MMIO_MODE_16;
}

int vcpu_mmio_decode(struct vcpu *v, const char *what, struct mmio_insn *insn)
{
	struct guest_paging p;
	uint8_t bytes[MMIO_INSN_MAX_LEN];
	int n, rc;

	vcpu_guest_paging(v, &p);
	n = fetch_instruction(v, &p, bytes);
	if (n < 0) {
		vm_end_error(v->vm, "%s at rip 0x%lx: cannot fetch the instruction (%s)", what,
		             reg_cache_read(&v->regs, REG_RIP), guest_walk_error(n));
		return -1;
	}
	rc = mmio_decode(bytes, (size_t)n, cpu_mode(&p), insn);
	if (rc < 0) {
		vm_end_error(v->vm,
		             "%s at rip 0x%lx: unsupported instruction %02x %02x %02x %02x (%s)",
		             what, reg_cache_read(&v->regs, REG_RIP), bytes[0], bytes[1], bytes[2],
		             bytes[3], insn->error ? insn->error : mmio_decode_error(rc));
		return -1;
	}
	return 0;
}

uint64_t vcpu_mmio_store_value(struct vcpu *v, const struct mmio_insn *insn)
{
	return insn->has_imm ? insn->imm : mmio_insn_store_value(insn, vcpu_reg_read(v, insn->reg));
}

void vcpu_mmio_load(struct vcpu *v, const struct mmio_insn *insn, uint64_t val)
{
	vcpu_reg_write(v, insn->reg, mmio_insn_load_result(insn, vcpu_reg_read(v, insn->reg), val));
}

void vcpu_mmio_done(struct vcpu *v, const struct mmio_insn *insn)
{
	reg_cache_write(&v->regs, REG_RIP, reg_cache_read(&v->regs, REG_RIP) + insn->len);
}

void vcpu_empty_mmio(struct vcpu *v, uint64_t gpa, uint64_t qual)
{
	struct mmio_insn insn;
	bool write = qual & EPT_QUAL_WRITE;

	if (v->vm->strict || (qual & EPT_QUAL_FETCH)) {
		vm_end_error(
		        v->vm,
		        "%s outside its RAM at guest-physical 0x%lx (RAM is %lu MiB), rip 0x%lx",
		        (qual & EPT_QUAL_FETCH) ? "instruction fetch"
		        : write                 ? "write"
		                                : "read",
		        gpa, (unsigned long)(v->vm->ram_size >> 20),
		        reg_cache_read(&v->regs, REG_RIP));
		return;
	}
	if (vcpu_mmio_decode(v, "access outside RAM", &insn) < 0)
		return;
	/* By page: a guest probing a device's registers gets one line, not one per register. */
	vm_note_unknown(v->vm, insn.dir == MMIO_DIR_WRITE ? UNKNOWN_MEM_WRITE : UNKNOWN_MEM_READ,
	                gpa & ~PAGE_MASK_4K);
	if (insn.dir != MMIO_DIR_WRITE)
		vcpu_mmio_load(v, &insn, ~0ULL); /* no device drives the bus */
	vcpu_mmio_done(v, &insn);
}
