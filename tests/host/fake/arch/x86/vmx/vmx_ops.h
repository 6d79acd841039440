/*
 * Host tests: the VMX instructions on the fake VMCS (fake_vmcs.h). The real
 * header comes in with its instruction wrappers renamed out of the way, so
 * its width checks, accessor macros and VMREAD/VMWRITE counting are the
 * ones under test; only the instructions are replaced, failing where the
 * CPU would fail, with the real header's panics.
 */
#ifndef FAKE_ARCH_X86_VMX_VMX_OPS_H
#define FAKE_ARCH_X86_VMX_VMX_OPS_H

#include "fake_vmcs.h"

#define vmcs_read_uncounted  hw_vmcs_read_uncounted
#define __vmcs_read          hw___vmcs_read
#define __vmcs_write         hw___vmcs_write
#define vmcs_write_uncounted hw_vmcs_write_uncounted
#define vmcs_read_batched    hw_vmcs_read_batched
#define vmcs_write_batched   hw_vmcs_write_batched
#define vmx_batch_check      hw_vmx_batch_check
#define vmxon                hw_vmxon
#define vmclear              hw_vmclear
#define vmptrld              hw_vmptrld
#define invvpid              hw_invvpid
#define invept               hw_invept
#include_next "arch/x86/vmx/vmx_ops.h"
#undef vmcs_read_uncounted
#undef __vmcs_read
#undef __vmcs_write
#undef vmcs_write_uncounted
#undef vmcs_read_batched
#undef vmcs_write_batched
#undef vmx_batch_check
#undef vmxon
#undef vmclear
#undef vmptrld
#undef invvpid
#undef invept

static inline uint64_t vmcs_read_uncounted(uint32_t field)
{
	uint64_t v;

	if (!fake_vmread(field, &v))
		panic("VMREAD of field 0x%x failed", field);
	return v;
}

static inline uint64_t __vmcs_read(uint32_t field)
{
	uint64_t v = vmcs_read_uncounted(field);

	vmx_count_read();
	return v;
}

static inline void vmcs_write_uncounted(uint32_t field, uint64_t v)
{
	if (!fake_vmwrite(field, v))
		panic("VMWRITE of field 0x%x (value 0x%lx) failed", field, v);
}

static inline void __vmcs_write(uint32_t field, uint64_t v)
{
	vmcs_write_uncounted(field, v);
	vmx_count_write();
}

/* Batched: a failure only leaves its error number (fake_vmcs.c), as on the CPU. */
static inline uint64_t vmcs_read_batched(uint32_t field)
{
	uint64_t v = 0;

	(void)fake_vmread(field, &v);
	return v;
}

static inline void vmcs_write_batched(uint32_t field, uint64_t v)
{
	(void)fake_vmwrite(field, v);
}

static inline void vmx_batch_check(const char *batch)
{
	uint32_t err = (uint32_t)vmcs_read_uncounted(VM_INSTRUCTION_ERROR);

	if (vmx_batch_error(err))
		vmx_batch_failed(batch, err);
}

static inline int vmxon(uint64_t region_pa)
{
	return region_pa && !(region_pa & 0xfff) ? 0 : -1;
}

static inline int vmclear(uint64_t vmcs_pa)
{
	return fake_vmclear(vmcs_pa);
}

static inline int vmptrld(const uint64_t *vmcs_pa)
{
	return fake_vmptrld(*vmcs_pa);
}

static inline void invvpid(uint64_t type, uint16_t vpid, uint64_t la)
{
	fake_invvpid(type, vpid, la);
}

static inline void invept(uint64_t type, uint64_t eptp)
{
	fake_invept(type, eptp);
}

#endif
