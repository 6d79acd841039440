/* Host tests: the fake environment of nested/ (nested_env.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nested_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/vmenter.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "fake_vmcs.h"
#include "lib/console.h"
#include "lib/phys_mem.h"
#include "nested/nested.h"
#include "nested/nested_internal.h"
#include "../../skylake_vmx.h"
#include "vcpu/guest_mem.h"
#include "vcpu/slice.h"
#include "arch/x86/tsc.h"
#include "vcpu/events.h"
#include "vcpu/exit_dispatch.h"
#include "vcpu/exits.h"
#include "vcpu/vmcs_setup.h"

#define POOL_FRAMES 64
#define MSR_SLOTS   32

struct fake_env fake_env;
struct percpu fake_percpu;
uint64_t fake_tsc, fake_cr3;
struct cpu_features cpu_features;

static struct umbra_exit_counts acct;
/* fa: the vCPU's frames, renewed by every reset; global_fa: nested_global_init's, kept. */
static struct frame_alloc fa, global_fa;
static uint8_t *pool, *global_pool, *ram;
static struct vm *vm;
static bool global_done;
static struct vmcs_base base;
static struct {
	uint32_t msr;
	uint64_t val;
} msrs[MSR_SLOTS];

/* A panic is a cmocka assertion failure: expect_assert_failure() catches the expected ones. */
void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mock_assert(0, msg, __FILE__, __LINE__);
	abort();
}

static int record_line(const char *fmt, va_list ap)
{
	fake_env.console_lines++;
	return vsnprintf(fake_env.console, sizeof(fake_env.console), fmt, ap);
}

int console_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = record_line(fmt, ap);
	va_end(ap);
	return n;
}

int console_debugf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = record_line(fmt, ap);
	va_end(ap);
	return n;
}

uint64_t phys_alloc(uint64_t frames, uint64_t align)
{
	uint64_t pa = frame_alloc_alloc(&global_fa, frames, align);

	if (pa)
		memset((void *)pa, 0, frames * FRAME_SIZE);
	return pa;
}

uint64_t fake_msr_read(uint32_t msr)
{
	for (unsigned int i = 0; i < MSR_SLOTS; i++)
		if (msrs[i].msr == msr)
			return msrs[i].val;
	return 0;
}

void fake_msr_write(uint32_t msr, uint64_t v)
{
	fake_msr_set(msr, v);
}

void fake_msr_set(uint32_t msr, uint64_t v)
{
	for (unsigned int i = 0; i < MSR_SLOTS; i++) {
		if (msrs[i].msr == msr || !msrs[i].msr) {
			msrs[i].msr = msr;
			msrs[i].val = v;
			return;
		}
	}
	fail_msg("fake MSRs full");
}

/* The register cache's VMCS access, as arch/x86/inc/arch/vmcs_access.h does it. */
uint64_t arch_vmcs_read(uint32_t field)
{
	return __vmcs_read(field);
}

void arch_vmcs_write(uint32_t field, uint64_t value)
{
	__vmcs_write(field, value);
}

const struct vmcs_base *vmcs_base(void)
{
	return &base;
}

void vmcs_setup_host_state(struct loaded_vmcs *vmcs)
{
	(void)vmcs;
	fake_env.host_state_setups++;
	vmcs_writel(HOST_RIP, 0xffffffff80001000ULL);
}

uint32_t slice_pin_controls(void)
{
	return PIN_BASED_VMX_PREEMPTION_TIMER;
}

void slice_arm(struct vcpu *v, uint64_t now)
{
	(void)v;
	(void)now;
	fake_env.slice_arms++;
}

void vcpu_halt(struct vcpu *v)
{
	(void)v;
	fake_env.halts++;
}

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	(void)v;
	fake_env.exceptions++;
	fake_env.vector = vector;
	fake_env.has_error = has_error;
	fake_env.error = error;
}

/* The virtual CPU's own MSRs, as far as the tests need: IA32_TSC only. */
enum vcpu_msr_result vcpu_msr_access(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	(void)v;
	if (msr != MSR_IA32_TSC)
		return VCPU_MSR_UNKNOWN;
	if (write) {
		fake_env.tsc_writes++;
		fake_env.tsc_written = *val;
	} else {
		*val = FAKE_TSC_READ;
	}
	return VCPU_MSR_DONE;
}

void vcpu_inject_access_fault(struct vcpu *v, uint64_t la, int rc, enum guest_access acc)
{
	(void)v;
	(void)acc;
	fake_env.access_faults++;
	fake_env.fault_la = la;
	fake_env.fault_rc = rc;
}

struct frame_alloc *fake_frames(void)
{
	return &fa;
}

void *fake_gpa(uint64_t gpa)
{
	return vm_gpa_to_ptr(vm, gpa_of(gpa), 1);
}

/* Paging is off in the fake: a linear address is a guest-physical one. */
int vcpu_linear_read(struct vcpu *v, uint64_t la, void *buf, size_t len)
{
	const void *p = vm_gpa_to_ptr(v->vm, gpa_of(la), len);

	if (fake_env.linear_rc < 0)
		return fake_env.linear_rc;
	if (!p)
		return GUEST_WALK_ERR(GUEST_WALK_ACCESSOR, 0);
	memcpy(buf, p, len);
	return 0;
}

int vcpu_linear_write(struct vcpu *v, uint64_t la, const void *buf, size_t len)
{
	void *p = vm_gpa_to_ptr(v->vm, gpa_of(la), len);

	if (fake_env.linear_rc < 0)
		return fake_env.linear_rc;
	if (!p)
		return GUEST_WALK_ERR(GUEST_WALK_ACCESSOR, 0);
	memcpy(p, buf, len);
	return 0;
}

bool vcpu_read_guest64(void *ctx, uint64_t gpa, uint64_t *val)
{
	const uint64_t *p = vm_gpa_to_ptr(ctx, gpa_of(gpa), sizeof(*p));

	if (!p)
		return false;
	*val = *p;
	return true;
}

void vlapic_ack(struct vlapic *l, uint8_t vector)
{
	(void)l;
	fake_env.acked_vector = vector;
}

void vm_end_error(struct vm *vm_, const char *fmt, ...)
{
	va_list ap;

	(void)vm_;
	fake_env.vm_ended = true;
	va_start(ap, fmt);
	vsnprintf(fake_env.end_reason, sizeof(fake_env.end_reason), fmt, ap);
	va_end(ap);
}

void vcpu_handle_exit(struct vcpu *v)
{
	(void)v;
	fake_env.handled_exits++;
}

void *vcpu_gpa_to_ptr(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	if (nested_l2_has_ept12(v))
		return nested_l2_gpa_to_ptr(v, gpa, len);
	return vm_gpa_to_ptr(v->vm, gpa_of(gpa), len);
}

void vcpu_wake_for_device(struct vcpu *src, struct vcpu *v)
{
	(void)src;
	(void)v;
	fake_env.kicks++;
}

uint64_t tsc_khz(void)
{
	return 1000000; /* a 1 GHz TSC */
}

bool vcpu_running(const struct vcpu *v)
{
	(void)v;
	return false; /* the other vCPUs of a host test never run: they drop roots on entry */
}

bool vcpu_load_pdptes(struct vcpu *v)
{
	(void)v;
	fake_env.pdpte_loads++;
	return true;
}

void vcpu_mmio_access(struct vcpu *v, uint64_t gpa, uint64_t qual)
{
	(void)v;
	(void)qual;
	fake_env.mmio_accesses++;
	fake_env.mmio_gpa = gpa;
}

void vcpu_msr_done(struct vcpu *v, bool write, uint64_t val)
{
	if (v->exception_injected)
		return;
	if (!write) {
		v->gprs.rax = (uint32_t)val;
		v->gprs.rdx = val >> 32;
	}
	vcpu_skip_instruction(v);
}

enum vmx_enter_result vmx_vcpu_enter(struct guest_gprs *gprs, struct loaded_vmcs *vmcs,
                                     bool launched)
{
	(void)gprs;
	(void)launched;
	fake_env.enters++;
	if (fake_env.enter_result == 0)
		fake_vmcs_set(vmcs->vmcs_pa, VM_EXIT_REASON, fake_env.enter_reason);
	return fake_env.enter_result;
}

void fake_env_reset(void)
{
	struct vmx_cap_msrs raw;

	fake_vmcs_reset();
	memset(&fake_percpu, 0, sizeof(fake_percpu));
	memset(&acct, 0, sizeof(acct));
	fake_percpu.self = &fake_percpu;
	fake_percpu.vmx_acct = &acct;
	fake_tsc = 1000000;
	fake_cr3 = 0x1000;
	memset(msrs, 0, sizeof(msrs));
	/* The same RAM every time: a test may keep pointers into it across a reset. */
	ram = ram ? ram : aligned_alloc(4096, FAKE_RAM_SIZE);
	assert_non_null(ram);
	memset(ram, 0, FAKE_RAM_SIZE);
	memset(&fake_env, 0, sizeof(fake_env));
	fake_env.ram = ram;
	fake_env.acked_vector = -1;
	skylake(&raw);
	vmx_caps_decode(&vmx_caps, &raw);
	cpu_features.phys_addr_bits = 39;
	base = (struct vmcs_base){
	        .pin = PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING,
	        .exec = CPU_BASED_HLT_EXITING | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS |
	                CPU_BASED_INTR_WINDOW_EXITING,
	        .secondary = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
	                     SECONDARY_EXEC_UNRESTRICTED_GUEST | SECONDARY_EXEC_ENABLE_RDTSCP,
	        .exit = VM_EXIT_HOST_ADDR_SPACE_SIZE,
	        .entry = VM_ENTRY_LOAD_IA32_EFER,
	        .io_bitmap_a = 0xa000,
	        .io_bitmap_b = 0xb000,
	        .msr_bitmap = 0xc000,
	};
	if (!pool) {
		pool = aligned_alloc(FRAME_SIZE, POOL_FRAMES * FRAME_SIZE);
		assert_non_null(pool);
	}
	frame_alloc_init(&fa);
	assert_int_equal(
	        frame_alloc_add(&fa, (uint64_t)pool, (uint64_t)pool + POOL_FRAMES * FRAME_SIZE), 0);
	if (!global_done) {
		global_pool = aligned_alloc(FRAME_SIZE, POOL_FRAMES * FRAME_SIZE);
		assert_non_null(global_pool);
		frame_alloc_init(&global_fa);
		assert_int_equal(frame_alloc_add(&global_fa, (uint64_t)global_pool,
		                                 (uint64_t)global_pool + POOL_FRAMES * FRAME_SIZE),
		                 0);
		assert_int_equal(nested_global_init(""), 0);
		global_done = true;
	}
	free(vm);
	vm = NULL;
}

struct vcpu *fake_l1_vcpu(bool shadowing)
{
	struct vcpu *v;

	vm = calloc(1, sizeof(*vm));
	assert_non_null(vm);
	strcpy(vm->name, "l1");
	vm->nested = true;
	vm->vcpu_count = 1;
	/* The host tests' "host-physical" addresses are pointers: the RAM is fake_env.ram. */
	vm->ram_hpa = hpa_of((uintptr_t)fake_env.ram);
	vm->ram_size = FAKE_RAM_SIZE;
	v = &vm->vcpus[0];
	v->vm = vm;
	v->vpid = 1;
	v->injected = -1;
	assert_int_equal(loaded_vmcs_alloc(&v->vmcs, &fa, vmx_caps.revision_id), 0);
	loaded_vmcs_load(&v->vmcs);
	v->loaded = &v->vmcs;
	reg_cache_reset(&v->regs);
	v->nested.enabled = true;
	assert_int_equal(nested_vcpu_alloc(v, &fa), 0);
	if (!shadowing)
		v->nested.shadow_pa = 0;
	v->nested.vmxon = true;
	v->nested.vmxon_ptr = 0x1000;
	/* L1 in 64-bit mode at CPL 0, with VMX operation's fixed CR bits. */
	v->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
	fake_vmcs_set(v->vmcs.vmcs_pa, GUEST_IA32_EFER, v->efer);
	fake_vmcs_set(v->vmcs.vmcs_pa, GUEST_CS_AR_BYTES, 0xa09b);
	fake_vmcs_set(v->vmcs.vmcs_pa, GUEST_CR0, CR0_PE | CR0_NE | CR0_PG | CR0_ET);
	fake_vmcs_set(v->vmcs.vmcs_pa, CR0_READ_SHADOW, CR0_PE | CR0_NE | CR0_PG | CR0_ET);
	fake_vmcs_set(v->vmcs.vmcs_pa, GUEST_CR4, CR4_PAE | CR4_VMXE);
	fake_vmcs_set(v->vmcs.vmcs_pa, CR4_READ_SHADOW, CR4_PAE | CR4_VMXE);
	fake_vmcs_set(v->vmcs.vmcs_pa, GUEST_RFLAGS, 0x2);
	fake_vmcs_set(v->vmcs.vmcs_pa, GUEST_IA32_PAT, 0x0007040600070406ULL);
	fake_vmcs_reset_counts();
	return v;
}

void fake_l1_vmptrld(struct vcpu *v, uint64_t gpa)
{
	struct vmcs12 *c = v->nested.vmcs12;

	memset(c, 0, sizeof(*c));
	c->revision_id = VMCS12_REVISION_ID;
	vmcs12_dirty_set_all(&c->dirty);
	v->nested.current_ptr = gpa;
	shadow_vmcs_activate(v, true);
	shadow_vmcs_load(v, &v->vmcs);
}

void fake_valid_vmcs12(struct vmcs12 *c)
{
	c->pin_based_vm_exec_control = 0x16;
	c->cpu_based_vm_exec_control = 0x04006172 | CPU_BASED_HLT_EXITING;
	c->vm_exit_controls = 0x00036dfb | VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_PAT |
	                      VM_EXIT_LOAD_IA32_EFER;
	c->vm_entry_controls = 0x000011fb | VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_PAT |
	                       VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_DEBUG_CONTROLS;
	c->host_cr0 = c->guest_cr0 = 0x80000031;
	c->host_cr4 = c->guest_cr4 = 0x2020;
	c->host_cr3 = c->guest_cr3 = 0x20000;
	c->host_cs_selector = 0x08;
	c->host_ss_selector = c->host_ds_selector = c->host_es_selector = 0x10;
	c->host_tr_selector = 0x28;
	c->host_rip = 0x100000;
	c->guest_cs_selector = 0x08;
	c->guest_ss_selector = c->guest_ds_selector = c->guest_es_selector = 0x10;
	c->guest_tr_selector = 0x28;
	c->guest_cs_limit = c->guest_ss_limit = c->guest_ds_limit = c->guest_es_limit = 0xffffffff;
	c->guest_fs_limit = c->guest_gs_limit = 0xffffffff;
	c->guest_cs_ar_bytes = 0xa09b;
	c->guest_ss_ar_bytes = c->guest_ds_ar_bytes = c->guest_es_ar_bytes = 0xc093;
	c->guest_fs_ar_bytes = c->guest_gs_ar_bytes = 0xc093;
	c->guest_tr_ar_bytes = 0x008b;
	c->guest_tr_limit = 0x67;
	c->guest_ldtr_ar_bytes = 0x10000;
	c->guest_gdtr_limit = c->guest_idtr_limit = 0xfff;
	c->guest_rflags = 0x2;
	c->guest_rip = 0x200000;
	c->guest_dr7 = 0x400;
	c->guest_ia32_pat = c->host_ia32_pat = 0x0007040600070406ULL;
	c->guest_ia32_efer = c->host_ia32_efer = 0xd01;
	c->vmcs_link_pointer = ~0ULL;
}

struct vcpu *fake_l2_running(uint64_t vmcs12_gpa, uint64_t l2_rip)
{
	struct vcpu *v = fake_l1_vcpu(false);

	fake_l1_vmptrld(v, vmcs12_gpa);
	fake_valid_vmcs12(v->nested.vmcs12);
	v->nested.in_l2 = true;
	nested_switch_vmcs(v, &v->nested.vmcs02);
	vmcs02_prepare(v);
	fake_vmcs_set(v->nested.vmcs02.vmcs_pa, GUEST_RIP, l2_rip);
	return v;
}
