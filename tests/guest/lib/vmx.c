/*
 * The payloads' mini-hypervisor (vmx.h): capabilities, enabling, the VMX
 * instructions as outcome-returning wrappers, and a minimal L2 VMCS.
 *
 * Every instruction runs inside catch_exception() (or catch_exception_cpl3)
 * and reads CF and ZF right after it, so a #UD, a #GP, VMfailInvalid,
 * VMfailValid and VMsucceed all come back as a struct vmx_result.
 */
#include "vmx.h"

#define PAGE_SIZE          4096
#define MAXPHYADDR_DEFAULT 36 /* the SDM's value when CPUID 0x80000008 is absent */
#define CPUID_MAX_EXT      0x80000000
#define CPUID_ADDR_SIZES   0x80000008
#define L2_STACK_SIZE      4096
#define GUEST_DR7_INIT     0x400
#define RFLAGS_RESERVED1   0x2ULL
#define AR_UNUSABLE        (1u << 16)
#define AR_CODE64          0xa09bu /* P, S, type 11 (code, accessed), L, G */
#define AR_DATA            0xc093u /* P, S, type 3 (data RW, accessed), D/B, G */
#define AR_TSS64_BUSY      0x008bu /* P, type 11 (busy 64-bit TSS) */
#define FLAT_LIMIT         0xffffffffu
#define ENTER_LAUNCH       0
#define ENTER_RESUME       1
#define ENTER_MOV_SS       2
#define ENTER_FAIL_VALID   1
#define ENTER_FAIL_INVALID 2

int vmx_enter(struct vmx_gprs *g, int mode);
/* vmx_entry.S's G_* offsets. */
_Static_assert(__builtin_offsetof(struct vmx_gprs, rdi) == 40, "vmx_entry.S layout");
_Static_assert(__builtin_offsetof(struct vmx_gprs, r8) == 56, "vmx_entry.S layout");
_Static_assert(sizeof(struct vmx_gprs) == 120, "vmx_entry.S layout");
extern const char vmx_exit_stub[], vmx_exit_stack_top[];

static uint8_t regions[VMX_REGIONS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t l2_stack[L2_STACK_SIZE] __attribute__((aligned(16)));
static struct vmx_caps caps;
static bool caps_read, in_operation;

/* ---- outcomes ---- */

bool vmx_result_equal(struct vmx_result a, struct vmx_result b)
{
	if (a.kind != b.kind)
		return false;
	switch (a.kind) {
	case VMX_FAIL_VALID: return a.error == b.error;
	case VMX_FAULT: return a.vector == b.vector && a.error == b.error;
	default: return true;
	}
}

const char *vmx_result_kind_name(enum vmx_result_kind kind)
{
	switch (kind) {
	case VMX_OK: return "ok";
	case VMX_FAIL_INVALID: return "fail_invalid";
	case VMX_FAIL_VALID: return "fail_valid";
	case VMX_FAULT: return "fault";
	}
	return "?";
}

/* Vectors that push an error code: their outcome names it, "#GP(0)". */
static bool has_error_code(unsigned int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

void vmx_result_format(char *buf, size_t size, struct vmx_result r)
{
	const char *kind = vmx_result_kind_name(r.kind);

	if (r.kind == VMX_FAULT && has_error_code(r.vector))
		snprintf(buf, size, "%s %s(%u)", kind, exception_name(r.vector), r.error);
	else if (r.kind == VMX_FAULT)
		snprintf(buf, size, "%s %s", kind, exception_name(r.vector));
	else
		snprintf(buf, size, "%s %u", kind, r.kind == VMX_FAIL_VALID ? r.error : 0);
}

void vmx_outcome_print(const char *label, struct vmx_result r)
{
	char s[48];

	vmx_result_format(s, sizeof(s), r);
	printf("# outcome %s %s\n", label, s);
}

/* ---- detection, capabilities, enabling ---- */

bool vmx_supported(void)
{
	return cpuid(1, 0).ecx & CPUID_1_ECX_VMX;
}

const char *vmx_unavailable(void)
{
	return vmx_supported() ? NULL : "CPUID.1:ECX.VMX (bit 5) is clear";
}

struct msr_read {
	uint32_t msr;
	uint64_t value;
};

static void msr_read_fn(void *p)
{
	struct msr_read *m = p;

	m->value = rdmsr(m->msr);
}

/* RDMSR, or 0 if the MSR does not exist (#GP). */
static uint64_t rdmsr_or_zero(uint32_t msr)
{
	struct msr_read m = {msr, 0};

	return catch_exception(msr_read_fn, &m, NULL) < 0 ? m.value : 0;
}

const struct vmx_caps *vmx_caps(void)
{
	struct vmx_caps *c = &caps;

	if (caps_read)
		return c;
	memset(c, 0, sizeof(*c));
	if (vmx_supported()) {
		c->basic = rdmsr_or_zero(MSR_IA32_VMX_BASIC);
		c->true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
		c->pin = rdmsr_or_zero(c->true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS
		                                    : MSR_IA32_VMX_PINBASED_CTLS);
		c->proc = rdmsr_or_zero(c->true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
		                                     : MSR_IA32_VMX_PROCBASED_CTLS);
		c->exit = rdmsr_or_zero(c->true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS
		                                     : MSR_IA32_VMX_EXIT_CTLS);
		c->entry = rdmsr_or_zero(c->true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS
		                                      : MSR_IA32_VMX_ENTRY_CTLS);
		c->misc = rdmsr_or_zero(MSR_IA32_VMX_MISC);
		c->cr0_fixed0 = rdmsr_or_zero(MSR_IA32_VMX_CR0_FIXED0);
		c->cr0_fixed1 = rdmsr_or_zero(MSR_IA32_VMX_CR0_FIXED1);
		c->cr4_fixed0 = rdmsr_or_zero(MSR_IA32_VMX_CR4_FIXED0);
		c->cr4_fixed1 = rdmsr_or_zero(MSR_IA32_VMX_CR4_FIXED1);
		c->vmcs_enum = rdmsr_or_zero(MSR_IA32_VMX_VMCS_ENUM);
		/* A.3.3: the secondary controls MSR exists only if they can be activated. */
		if (vmx_controls_allow(c->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
			c->proc2 = rdmsr_or_zero(MSR_IA32_VMX_PROCBASED_CTLS2);
		if (vmx_controls_allow(c->proc2, SECONDARY_EXEC_ENABLE_EPT) ||
		    vmx_controls_allow(c->proc2, SECONDARY_EXEC_ENABLE_VPID))
			c->ept_vpid = rdmsr_or_zero(MSR_IA32_VMX_EPT_VPID_CAP);
		if (vmx_controls_allow(c->proc2, SECONDARY_EXEC_ENABLE_VMFUNC))
			c->vmfunc = rdmsr_or_zero(MSR_IA32_VMX_VMFUNC);
		c->revision = c->basic & VMX_BASIC_REVISION_MASK;
		c->vmcs_size = c->basic >> VMX_BASIC_VMCS_SIZE_SHIFT & VMX_BASIC_VMCS_SIZE_MASK;
	}
	c->maxphyaddr = MAXPHYADDR_DEFAULT;
	if (cpuid(CPUID_MAX_EXT, 0).eax >= CPUID_ADDR_SIZES)
		c->maxphyaddr = cpuid(CPUID_ADDR_SIZES, 0).eax & 0xff;
	caps_read = true;
	return c;
}

uint32_t vmx_controls(uint64_t cap, uint32_t want)
{
	return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

bool vmx_controls_allow(uint64_t cap, uint32_t bits)
{
	return ((uint32_t)(cap >> 32) & bits) == bits;
}

static void write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

void vmx_enable_cr(void)
{
	const struct vmx_caps *c = vmx_caps();
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();
	uint64_t want0 = (cr0 | c->cr0_fixed0) & c->cr0_fixed1;
	uint64_t want4 = ((cr4 | c->cr4_fixed0 | CR4_VMXE) & c->cr4_fixed1) | CR4_VMXE;

	if (want0 != cr0)
		write_cr0(want0);
	if (want4 != cr4)
		write_cr4(want4);
}

const char *vmx_enable(void)
{
	uint64_t fc;

	if (!vmx_supported())
		return vmx_unavailable();
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCKED)) {
		fc |= FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX;
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
	}
	if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX))
		return "IA32_FEATURE_CONTROL is locked with VMXON outside SMX disabled";
	vmx_enable_cr();
	return NULL;
}

void vmx_cr4_vmxe_clear(void)
{
	uint64_t cr4 = read_cr4();

	if ((cr4 & CR4_VMXE) && !in_operation)
		write_cr4(cr4 & ~CR4_VMXE);
}

bool vmx_in_operation(void)
{
	return in_operation;
}

void vmx_leave(void)
{
	if (in_operation)
		vmx_vmxoff();
}

uint64_t vmx_region(unsigned int slot, uint32_t first_dword)
{
	uint8_t *p = regions[slot % VMX_REGIONS];

	memset(p, 0, PAGE_SIZE);
	memcpy(p, &first_dword, sizeof(first_dword));
	/* Identity-mapped: the virtual address is the physical one. */
	return (uintptr_t)p;
}

/* ---- the instructions ---- */

static const char *const insn_names[VMX_INSNS] = {
        "vmxon",   "vmxoff",   "vmclear",  "vmptrld", "vmptrst", "vmread",
        "vmwrite", "vmlaunch", "vmresume", "invept",  "invvpid", "vmcall",
};

bool vmx_bare_bochs(void)
{
	return !on_umbra() && vmx_caps()->revision == VMX_BOCHS_REVISION;
}

const char *vmx_insn_name(enum vmx_insn insn)
{
	return insn < VMX_INSNS ? insn_names[insn] : "?";
}

/* One instruction's operands and flags, shared with CPL 3 (it lies in the image). */
struct vmx_op {
	enum vmx_insn insn;
	uint64_t a, b, out;
	uint64_t desc[2];
	struct vmx_gprs *gprs;
	int enter_mode;
	bool cf, zf;
};

static void op_run(void *p)
{
	struct vmx_op *o = p;
	bool cf = false, zf = false;
	int r;

	switch (o->insn) {
	case VMX_INSN_VMXON:
		__asm__ volatile("vmxon %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(o->a) : "memory");
		break;
	case VMX_INSN_VMXOFF:
		__asm__ volatile("vmxoff" : "=@ccc"(cf), "=@ccz"(zf) : : "memory");
		break;
	case VMX_INSN_VMCLEAR:
		__asm__ volatile("vmclear %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(o->a) : "memory");
		break;
	case VMX_INSN_VMPTRLD:
		__asm__ volatile("vmptrld %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(o->a) : "memory");
		break;
	case VMX_INSN_VMPTRST:
		__asm__ volatile("vmptrst %2"
		                 : "=@ccc"(cf), "=@ccz"(zf), "=m"(o->out)
		                 :
		                 : "memory");
		break;
	case VMX_INSN_VMREAD:
		__asm__ volatile("vmread %3, %2"
		                 : "=@ccc"(cf), "=@ccz"(zf), "=r"(o->out)
		                 : "r"(o->a)
		                 : "memory");
		break;
	case VMX_INSN_VMWRITE:
		__asm__ volatile("vmwrite %2, %3"
		                 : "=@ccc"(cf), "=@ccz"(zf)
		                 : "r"(o->b), "r"(o->a)
		                 : "memory");
		break;
	case VMX_INSN_INVEPT:
		__asm__ volatile("invept %2, %3"
		                 : "=@ccc"(cf), "=@ccz"(zf)
		                 : "m"(o->desc), "r"(o->a)
		                 : "memory");
		break;
	case VMX_INSN_INVVPID:
		__asm__ volatile("invvpid %2, %3"
		                 : "=@ccc"(cf), "=@ccz"(zf)
		                 : "m"(o->desc), "r"(o->a)
		                 : "memory");
		break;
	case VMX_INSN_VMCALL:
		/* In VMX root operation VMCALL VMfails; no hypercall registers are needed. */
		/* RAX names no Umbra hypercall: under Umbra this is the SDM's VMCALL. */
		__asm__ volatile("vmcall"
		                 : "=@ccc"(cf), "=@ccz"(zf)
		                 : "a"(VMX_VMCALL_NOT_HYPERCALL)
		                 : "memory");
		break;
	case VMX_INSN_VMLAUNCH:
	case VMX_INSN_VMRESUME:
		r = vmx_enter(o->gprs, o->enter_mode);
		cf = r == ENTER_FAIL_INVALID;
		zf = r == ENTER_FAIL_VALID;
		break;
	default: break;
	}
	o->cf = cf;
	o->zf = zf;
}

static uint32_t instruction_error(void);

static struct vmx_result op_exec(struct vmx_op *o, bool cpl3)
{
	struct exc_info info;
	struct desc_ptr gdtr, idtr;
	int vector;

	if (cpl3)
		cpl3_init(); /* first, since it loads its GDT */
	sgdt(&gdtr);
	__asm__ volatile("sidt %0" : "=m"(idtr) : : "memory");
	vector = cpl3 ? catch_exception_cpl3(op_run, o, &info) : catch_exception(op_run, o, &info);
	/* A VM exit sets the GDTR and IDTR limits to 0xffff (SDM 28.5.2): put ours back. */
	if (o->insn == VMX_INSN_VMLAUNCH || o->insn == VMX_INSN_VMRESUME) {
		__asm__ volatile("lgdt %0" : : "m"(gdtr) : "memory");
		lidt(&idtr);
	}
	if (vector >= 0)
		return (struct vmx_result){VMX_FAULT, (uint32_t)info.error_code, (uint8_t)vector};
	if (o->cf)
		return (struct vmx_result){VMX_FAIL_INVALID, 0, 0};
	if (o->zf)
		return (struct vmx_result){VMX_FAIL_VALID, instruction_error(), 0};
	if (o->insn == VMX_INSN_VMXON)
		in_operation = true;
	else if (o->insn == VMX_INSN_VMXOFF)
		in_operation = false;
	return (struct vmx_result){VMX_OK, 0, 0};
}

/* c: the INVEPT/INVVPID descriptor's high quadword (b is its low one). */
static struct vmx_result exec(enum vmx_insn insn, uint64_t a, uint64_t b, uint64_t c, uint64_t *out,
                              struct vmx_gprs *gprs, int enter_mode, bool cpl3)
{
	static struct vmx_gprs scratch;
	struct vmx_op o = {insn, a, b, 0, {b, c}, gprs, enter_mode, false, false};
	struct vmx_result r;

	if (!o.gprs) {
		memset(&scratch, 0, sizeof(scratch));
		o.gprs = &scratch;
	}
	r = op_exec(&o, cpl3);
	if (out && (insn == VMX_INSN_VMREAD || insn == VMX_INSN_VMPTRST))
		*out = o.out;
	return r;
}

/* VM_INSTRUCTION_ERROR of the current VMCS (there is one after VMfailValid). */
static uint32_t instruction_error(void)
{
	struct vmx_op o = {
	        VMX_INSN_VMREAD, VM_INSTRUCTION_ERROR, 0, 0, {0, 0}, NULL, 0, false, false};

	if (catch_exception(op_run, &o, NULL) >= 0 || o.cf || o.zf)
		return VMX_ERROR_UNKNOWN;
	return (uint32_t)o.out;
}

struct vmx_result vmx_exec(enum vmx_insn insn, uint64_t a, uint64_t b, uint64_t *out)
{
	return exec(insn, a, b, 0, out, NULL,
	            insn == VMX_INSN_VMRESUME ? ENTER_RESUME : ENTER_LAUNCH, false);
}

struct vmx_result vmx_exec_cpl3(enum vmx_insn insn, uint64_t a, uint64_t b, uint64_t *out)
{
	return exec(insn, a, b, 0, out, NULL,
	            insn == VMX_INSN_VMRESUME ? ENTER_RESUME : ENTER_LAUNCH, true);
}

struct vmx_result vmx_vmxon(uint64_t pa)
{
	return vmx_exec(VMX_INSN_VMXON, pa, 0, NULL);
}

struct vmx_result vmx_vmxoff(void)
{
	return vmx_exec(VMX_INSN_VMXOFF, 0, 0, NULL);
}

struct vmx_result vmx_vmclear(uint64_t pa)
{
	return vmx_exec(VMX_INSN_VMCLEAR, pa, 0, NULL);
}

struct vmx_result vmx_vmptrld(uint64_t pa)
{
	return vmx_exec(VMX_INSN_VMPTRLD, pa, 0, NULL);
}

static void vmptrld_through_ss(void *arg)
{
	uint64_t linear = *(const uint64_t *)arg;

	/* Base RSP, index RAX = linear - RSP: the operand is at `linear`, its segment SS. */
	__asm__ volatile("mov %%rsp, %%rax\n\t"
	                 "neg %%rax\n\t"
	                 "add %0, %%rax\n\t"
	                 "vmptrld (%%rsp,%%rax,1)"
	                 :
	                 : "r"(linear)
	                 : "rax", "cc", "memory");
}

struct vmx_result vmx_vmptrld_through_ss(uint64_t linear)
{
	int vector = catch_exception(vmptrld_through_ss, &linear, NULL);

	if (vector >= 0)
		return (struct vmx_result){VMX_FAULT, 0, (uint8_t)vector};
	return (struct vmx_result){VMX_OK, 0, 0};
}

struct inv_through_ss {
	enum vmx_insn insn;
	uint64_t type, linear;
};

static void inv_through_ss(void *arg)
{
	const struct inv_through_ss *a = arg;

	/* As vmptrld_through_ss: base RSP, index RAX, the descriptor at `linear`. */
	if (a->insn == VMX_INSN_INVEPT)
		__asm__ volatile("mov %%rsp, %%rax\n\t"
		                 "neg %%rax\n\t"
		                 "add %1, %%rax\n\t"
		                 "invept (%%rsp,%%rax,1), %0"
		                 :
		                 : "r"(a->type), "r"(a->linear)
		                 : "rax", "cc", "memory");
	else
		__asm__ volatile("mov %%rsp, %%rax\n\t"
		                 "neg %%rax\n\t"
		                 "add %1, %%rax\n\t"
		                 "invvpid (%%rsp,%%rax,1), %0"
		                 :
		                 : "r"(a->type), "r"(a->linear)
		                 : "rax", "cc", "memory");
}

struct vmx_result vmx_inv_through_ss(enum vmx_insn insn, uint64_t type, uint64_t linear)
{
	struct inv_through_ss a = {insn, type, linear};
	int vector = catch_exception(inv_through_ss, &a, NULL);

	if (vector >= 0)
		return (struct vmx_result){VMX_FAULT, 0, (uint8_t)vector};
	return (struct vmx_result){VMX_OK, 0, 0};
}

struct vmx_result vmx_vmptrst(uint64_t *pa)
{
	return vmx_exec(VMX_INSN_VMPTRST, 0, 0, pa);
}

struct vmx_result vmx_vmread(uint64_t field, uint64_t *value)
{
	return vmx_exec(VMX_INSN_VMREAD, field, 0, value);
}

struct vmx_result vmx_vmwrite(uint64_t field, uint64_t value)
{
	return vmx_exec(VMX_INSN_VMWRITE, field, value, NULL);
}

struct vmx_result vmx_invept(uint64_t type, uint64_t eptp)
{
	return exec(VMX_INSN_INVEPT, type, eptp, 0, NULL, NULL, ENTER_LAUNCH, false);
}

struct vmx_result vmx_invvpid(uint64_t type, uint64_t vpid_qword, uint64_t linear)
{
	return exec(VMX_INSN_INVVPID, type, vpid_qword, linear, NULL, NULL, ENTER_LAUNCH, false);
}

struct vmx_result vmx_vmcall(void)
{
	return vmx_exec(VMX_INSN_VMCALL, 0, 0, NULL);
}

/* ---- the L2 ---- */

static uint16_t read_sel(int which)
{
	uint16_t s = 0;

	switch (which) {
	case 0: __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
	case 1: __asm__ volatile("mov %%cs, %0" : "=r"(s)); break;
	case 2: __asm__ volatile("mov %%ss, %0" : "=r"(s)); break;
	case 3: __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
	case 4: __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
	case 5: __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
	default: break;
	}
	return s;
}

struct field_value {
	uint32_t field;
	uint64_t value;
};

struct vmx_result vmx_vmcs_init_l2(void (*rip)(void))
{
	const struct vmx_caps *c = vmx_caps();
	struct desc_ptr gdtr, idtr;
	uint64_t cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
	uint16_t cs, ds;
	struct vmx_result r = {VMX_OK, 0, 0};

	cpl3_init(); /* a TSS: TR must not be 0 in the host state */
	sgdt(&gdtr);
	__asm__ volatile("sidt %0" : "=m"(idtr) : : "memory");
	cs = read_sel(1);
	ds = read_sel(3);

	const struct field_value fields[] = {
	        /* Controls: only what the CPU insists on, plus 64-bit guest and host. */
	        {PIN_BASED_VM_EXEC_CONTROL, vmx_controls(c->pin, 0)},
	        {CPU_BASED_VM_EXEC_CONTROL, vmx_controls(c->proc, 0)},
	        {EXCEPTION_BITMAP, 0xffffffff},
	        {PAGE_FAULT_ERROR_CODE_MASK, 0},
	        {PAGE_FAULT_ERROR_CODE_MATCH, 0},
	        {CR3_TARGET_COUNT, 0},
	        {VM_EXIT_CONTROLS, vmx_controls(c->exit, VM_EXIT_HOST_ADDR_SPACE_SIZE)},
	        {VM_EXIT_MSR_STORE_COUNT, 0},
	        {VM_EXIT_MSR_LOAD_COUNT, 0},
	        {VM_ENTRY_CONTROLS, vmx_controls(c->entry, VM_ENTRY_IA32E_MODE)},
	        {VM_ENTRY_MSR_LOAD_COUNT, 0},
	        {VM_ENTRY_INTR_INFO_FIELD, 0},
	        {TSC_OFFSET, 0},
	        {CR0_GUEST_HOST_MASK, 0},
	        {CR4_GUEST_HOST_MASK, 0},
	        {CR0_READ_SHADOW, cr0},
	        {CR4_READ_SHADOW, cr4},
	        {VMCS_LINK_POINTER, VMCS_POINTER_NONE},
	        /* Host: the payload as it runs now; the exit lands in vmx_entry.S. */
	        {HOST_CR0, cr0},
	        {HOST_CR3, cr3},
	        {HOST_CR4, cr4},
	        {HOST_ES_SELECTOR, read_sel(0)},
	        {HOST_CS_SELECTOR, cs},
	        {HOST_SS_SELECTOR, read_sel(2)},
	        {HOST_DS_SELECTOR, ds},
	        {HOST_FS_SELECTOR, read_sel(4)},
	        {HOST_GS_SELECTOR, read_sel(5)},
	        {HOST_TR_SELECTOR, GDT_SEL_TSS},
	        {HOST_FS_BASE, rdmsr(MSR_FS_BASE)},
	        {HOST_GS_BASE, rdmsr(MSR_GS_BASE)},
	        {HOST_TR_BASE, cpl3_tss_base()},
	        {HOST_GDTR_BASE, gdtr.base},
	        {HOST_IDTR_BASE, idtr.base},
	        {HOST_IA32_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS)},
	        {HOST_IA32_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP)},
	        {HOST_IA32_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP)},
	        {HOST_RSP, (uintptr_t)vmx_exit_stack_top},
	        {HOST_RIP, (uintptr_t)vmx_exit_stub},
	        /* Guest: 64-bit, CPL 0, flat, in our address space. */
	        {GUEST_CR0, cr0},
	        {GUEST_CR3, cr3},
	        {GUEST_CR4, cr4},
	        {GUEST_DR7, GUEST_DR7_INIT},
	        {GUEST_RSP, (uintptr_t)l2_stack + sizeof(l2_stack)},
	        {GUEST_RIP, (uintptr_t)rip},
	        {GUEST_RFLAGS, RFLAGS_RESERVED1},
	        {GUEST_CS_SELECTOR, cs},
	        {GUEST_CS_BASE, 0},
	        {GUEST_CS_LIMIT, FLAT_LIMIT},
	        {GUEST_CS_AR_BYTES, AR_CODE64},
	        {GUEST_SS_SELECTOR, ds},
	        {GUEST_SS_BASE, 0},
	        {GUEST_SS_LIMIT, FLAT_LIMIT},
	        {GUEST_SS_AR_BYTES, AR_DATA},
	        {GUEST_DS_SELECTOR, ds},
	        {GUEST_DS_BASE, 0},
	        {GUEST_DS_LIMIT, FLAT_LIMIT},
	        {GUEST_DS_AR_BYTES, AR_DATA},
	        {GUEST_ES_SELECTOR, ds},
	        {GUEST_ES_BASE, 0},
	        {GUEST_ES_LIMIT, FLAT_LIMIT},
	        {GUEST_ES_AR_BYTES, AR_DATA},
	        {GUEST_FS_SELECTOR, 0},
	        {GUEST_FS_BASE, 0},
	        {GUEST_FS_LIMIT, 0},
	        {GUEST_FS_AR_BYTES, AR_UNUSABLE},
	        {GUEST_GS_SELECTOR, 0},
	        {GUEST_GS_BASE, 0},
	        {GUEST_GS_LIMIT, 0},
	        {GUEST_GS_AR_BYTES, AR_UNUSABLE},
	        {GUEST_LDTR_SELECTOR, 0},
	        {GUEST_LDTR_BASE, 0},
	        {GUEST_LDTR_LIMIT, 0},
	        {GUEST_LDTR_AR_BYTES, AR_UNUSABLE},
	        {GUEST_TR_SELECTOR, GDT_SEL_TSS},
	        {GUEST_TR_BASE, cpl3_tss_base()},
	        {GUEST_TR_LIMIT, TSS_LIMIT},
	        {GUEST_TR_AR_BYTES, AR_TSS64_BUSY},
	        {GUEST_GDTR_BASE, gdtr.base},
	        {GUEST_GDTR_LIMIT, gdtr.limit},
	        {GUEST_IDTR_BASE, idtr.base},
	        {GUEST_IDTR_LIMIT, idtr.limit},
	        {GUEST_IA32_DEBUGCTL, 0},
	        {GUEST_SYSENTER_CS, 0},
	        {GUEST_SYSENTER_ESP, 0},
	        {GUEST_SYSENTER_EIP, 0},
	        {GUEST_INTERRUPTIBILITY_INFO, 0},
	        {GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE},
	        {GUEST_PENDING_DBG_EXCEPTIONS, 0},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		r = vmx_vmwrite(fields[i].field, fields[i].value);
		if (r.kind != VMX_OK)
			break;
	}
	return r;
}

static struct vmx_result enter(struct vmx_vcpu *v, int mode)
{
	struct vmx_result r;
	uint64_t val;

	r = exec(mode == ENTER_RESUME ? VMX_INSN_VMRESUME : VMX_INSN_VMLAUNCH, 0, 0, 0, NULL,
	         &v->gprs, mode, false);
	if (r.kind != VMX_OK)
		return r;
	v->exit_reason = vmx_vmread(VM_EXIT_REASON, &val).kind == VMX_OK ? (uint32_t)val : ~0u;
	v->exit_qualification = vmx_vmread(EXIT_QUALIFICATION, &val).kind == VMX_OK ? val : ~0ULL;
	v->exit_instruction_len =
	        vmx_vmread(VM_EXIT_INSTRUCTION_LEN, &val).kind == VMX_OK ? (uint32_t)val : ~0u;
	v->guest_rip = vmx_vmread(GUEST_RIP, &val).kind == VMX_OK ? val : ~0ULL;
	return r;
}

struct vmx_result vmx_vmlaunch(struct vmx_vcpu *v)
{
	return enter(v, ENTER_LAUNCH);
}

struct vmx_result vmx_vmresume(struct vmx_vcpu *v)
{
	return enter(v, ENTER_RESUME);
}

struct vmx_result vmx_vmlaunch_after_mov_ss(struct vmx_vcpu *v)
{
	return enter(v, ENTER_MOV_SS);
}

const char *vmx_fresh_l2_vmcs(void (*rip)(void))
{
	uint64_t pa = vmx_region(1, vmx_caps()->revision);

	if (vmx_vmclear(pa).kind != VMX_OK || vmx_vmptrld(pa).kind != VMX_OK ||
	    vmx_vmcs_init_l2(rip).kind != VMX_OK)
		return "VMCS set-up failed";
	return NULL;
}

const char *vmx_root_with_l2(void (*rip)(void))
{
	const char *why = vmx_unavailable();

	if (why)
		return why;
	vmx_leave();
	why = vmx_enable();
	if (why)
		return why;
	if (vmx_vmxon(vmx_region(0, vmx_caps()->revision)).kind != VMX_OK)
		return "VMXON failed";
	return vmx_fresh_l2_vmcs(rip);
}

struct vmx_result vmx_skip_instruction(struct vmx_vcpu *v)
{
	return vmx_vmwrite(GUEST_RIP, v->guest_rip + v->exit_instruction_len);
}
