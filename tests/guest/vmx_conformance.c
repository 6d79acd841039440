/*
 * What an L1 that was not written for Umbra expects of its CPU's VMX, one
 * test per finding of a third-party VMX test kernel run under Umbra (issue
 * 18): each case is what that kernel did, and prints its outcome so the
 * harness compares the run bare on Bochs with the run as an L1 of Umbra
 * (tests/system/compare-outcomes.sh, bochs-nested).
 *
 * - L2 far-calls a 32-bit code segment and raises #OF there (INTO);
 * - a debug exception whose exit qualification holds B0 and BS, with L2's
 *   DR7 loaded by "load debug controls" and saved by "save debug controls";
 * - IA32_DEBUGCTL read and written by L1 and by L2;
 * - the MSR lists with IA32_TSC, as long as IA32_VMX_MISC allows;
 * - the HLT activity state: entered, saved on exit, ended by an injection;
 * - an NMI for the vCPU while L2 runs: an exit with NMI exiting, else L2's.
 */
#include "apic.h"
#include "vmx.h"

PAYLOAD("vmx_conformance");

#define MSR_IA32_TSC         0x10
#define MSR_IA32_DEBUGCTL    0x1d9
#define DEBUGCTL_BTF         (1ULL << 1)
#define VECTOR_OF            4
#define RFLAGS_TF            (1ULL << 8)
#define RFLAGS_IF            (1ULL << 9)
#define DR7_L0               1ULL
#define DR7_FIXED1           0x400ULL
#define DR6_B0               1ULL
#define DR6_BS               (1ULL << 14)
#define INJECT_VECTOR        0x30
#define ICR_NMI              (4u << 8)
#define INTR_INFO(type, vec) (0x80000000u | ((type) << 8) | (vec))
#define MSR_LIST_MAX         4096 /* 512 * 8: the largest IA32_VMX_MISC can recommend */

static uint64_t vmread(uint32_t field)
{
	uint64_t v = ~0ULL;

	vmx_vmread(field, &v);
	return v;
}

/* ---- a far call to 32-bit code ---- */

/*
 * L2 (64-bit) far-calls the start-up GDT's 32-bit code segment; there, with
 * OF set, INTO raises #OF, which L1's exception bitmap (all ones) makes a
 * VM exit. The far pointer is m16:32, so the code must lie below 4 GiB.
 */
void l2_far_call32(void);
__asm__(".text\n"
        ".globl l2_far_call32\n"
        "l2_far_call32:\n"
        "	lcall *l2_far_ptr(%rip)\n"
        "	vmcall\n"
        ".code32\n"
        "l2_code32:\n"
        "	mov $0x7f, %al\n"
        "	add $1, %al\n" /* OF = 1 */
        "	into\n"
        "	hlt\n"
        ".code64\n"
        ".data\n"
        "l2_far_ptr:\n"
        "	.long l2_code32\n"
        "	.word 0x08\n" /* GDT_SEL_CODE32 */
        ".text\n");

TEST(l2_far_call_into_32bit_code)
{
	struct vmx_vcpu v = {0};
	const char *why = vmx_root_with_l2(l2_far_call32);
	uint64_t info;

	if (why)
		SKIP("%s", why);
	vmx_outcome_print("far_call32", vmx_vmlaunch(&v));
	info = vmread(VM_EXIT_INTR_INFO);
	printf("# outcome far_call32_exit reason %u info 0x%lx len %u cs 0x%lx\n", v.exit_reason,
	       info, v.exit_instruction_len, vmread(GUEST_CS_SELECTOR));
	CHECK(v.exit_reason == EXIT_REASON_EXCEPTION_NMI, "exit reason %u, want 0", v.exit_reason);
	CHECK(info == INTR_INFO(6, VECTOR_OF), "exit interruption information 0x%lx, want #OF",
	      info);
	CHECK(vmread(GUEST_CS_SELECTOR) == GDT_SEL_CODE32, "L2's CS 0x%lx after the far call",
	      vmread(GUEST_CS_SELECTOR));
	vmx_leave();
}

/* ---- debug exceptions and debug controls ---- */

/* Single-stepped: the first NOP traps, and DR0 names the second. */
void l2_db(void);
void l2_db_bp(void);
__asm__(".text\n"
        ".globl l2_db, l2_db_bp\n"
        "l2_db:\n"
        "	nop\n"
        "l2_db_bp:\n"
        "	nop\n"
        "	vmcall\n");

static void set_dr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%dr0" : : "r"(v));
}

/*
 * L1 puts an instruction breakpoint in DR0 and gives L2 DR7 through "load
 * debug controls"; L2 runs with TF. Its first instruction's single-step
 * trap and the breakpoint on the next are one #DB: the exit qualification
 * holds BS and B0 (SDM 27.2.1), what L2's DR6 would have said.
 */
TEST(l2_debug_exit_qualification)
{
	struct vmx_vcpu v = {0};
	const char *why = vmx_root_with_l2(l2_db);

	if (why)
		SKIP("%s", why);
	set_dr0((uintptr_t)l2_db_bp);
	SETUP(vmx_vmwrite(VM_ENTRY_CONTROLS,
	                  vmx_controls(vmx_caps()->entry,
	                               VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_DEBUG_CONTROLS)));
	SETUP(vmx_vmwrite(GUEST_DR7, DR7_FIXED1 | DR7_L0));
	SETUP(vmx_vmwrite(GUEST_RFLAGS, 0x2 | RFLAGS_TF));
	vmx_outcome_print("db_step_bp", vmx_vmlaunch(&v));
	printf("# outcome db_step_bp_exit reason %u info 0x%lx qualification 0x%lx rip +%lu\n",
	       v.exit_reason, vmread(VM_EXIT_INTR_INFO), v.exit_qualification,
	       v.guest_rip - (uintptr_t)l2_db);
	CHECK(v.exit_reason == EXIT_REASON_EXCEPTION_NMI, "exit reason %u, want 0", v.exit_reason);
	CHECK(v.exit_qualification == (DR6_BS | DR6_B0), "exit qualification 0x%lx, want 0x%llx",
	      v.exit_qualification, DR6_BS | DR6_B0);
	set_dr0(0);
	vmx_leave();
}

/* L2 changes its DR7; the exit saves it ("save debug controls"). */
void l2_dr7_write(void);
__asm__(".text\n"
        ".globl l2_dr7_write\n"
        "l2_dr7_write:\n"
        "	mov $0x403, %rax\n" /* L0 and G0, with DR0 = 0: harmless */
        "	mov %rax, %dr7\n"
        "	vmcall\n");

TEST(l2_debug_controls_saved)
{
	struct vmx_vcpu v = {0};
	const char *why = vmx_root_with_l2(l2_dr7_write);
	uint64_t dr7;

	if (why)
		SKIP("%s", why);
	if (!vmx_controls_allow(vmx_caps()->exit, VM_EXIT_SAVE_DEBUG_CONTROLS))
		SKIP("\"save debug controls\" not offered");
	SETUP(vmx_vmwrite(VM_EXIT_CONTROLS,
	                  vmx_controls(vmx_caps()->exit, VM_EXIT_HOST_ADDR_SPACE_SIZE |
	                                                         VM_EXIT_SAVE_DEBUG_CONTROLS)));
	vmx_outcome_print("dr7_saved", vmx_vmlaunch(&v));
	dr7 = vmread(GUEST_DR7);
	printf("# outcome dr7_saved_exit reason %u dr7 0x%lx\n", v.exit_reason, dr7);
	CHECK(v.exit_reason == EXIT_REASON_VMCALL, "exit reason %u, want VMCALL", v.exit_reason);
	CHECK(dr7 == 0x403, "guest DR7 0x%lx after the exit, want L2's 0x403", dr7);
	vmx_leave();
}

struct msr_access {
	uint32_t msr;
	uint64_t value;
	bool write;
};

static void msr_access(void *arg)
{
	struct msr_access *a = arg;

	if (a->write)
		wrmsr(a->msr, a->value);
	else
		a->value = rdmsr(a->msr);
}

/* RDMSR/WRMSR: -1 and *value read, or the vector it raised. */
static int msr_try(uint32_t msr, bool write, uint64_t *value)
{
	struct msr_access a = {msr, *value, write};
	int vec = catch_exception(msr_access, &a, NULL);

	*value = a.value;
	return vec;
}

/*
 * IA32_DEBUGCTL, architectural since the P6: L1 writes BTF and reads it
 * back, and a reserved bit is #GP. Bochs 2.7 has no such MSR (#GP): the
 * nested run differs there (tests/system/nested-divergences/).
 */
TEST(l1_debugctl)
{
	uint64_t btf = DEBUGCTL_BTF, read = 0, bad = 1ULL << 63, zero = 0;
	int w = msr_try(MSR_IA32_DEBUGCTL, true, &btf);
	int r = msr_try(MSR_IA32_DEBUGCTL, false, &read);
	int rsvd = msr_try(MSR_IA32_DEBUGCTL, true, &bad);

	msr_try(MSR_IA32_DEBUGCTL, true, &zero);
	printf("# outcome l1_debugctl write %d read %d value 0x%lx reserved %d\n", w, r,
	       r < 0 ? read : 0, rsvd);
	if (r >= 0)
		SKIP("no IA32_DEBUGCTL on this CPU");
	CHECK(w < 0 && read == DEBUGCTL_BTF, "IA32_DEBUGCTL read 0x%lx after writing BTF", read);
	CHECK(rsvd == VMX_VECTOR_GP, "a reserved bit of IA32_DEBUGCTL: vector %d", rsvd);
}

/* ---- MSR lists ---- */

struct msr_entry {
	uint32_t index, reserved;
	uint64_t value;
};
static struct msr_entry entry_load[MSR_LIST_MAX] __attribute__((aligned(16)));
static struct msr_entry exit_store[MSR_LIST_MAX] __attribute__((aligned(16)));
static struct msr_entry exit_load[MSR_LIST_MAX] __attribute__((aligned(16)));

void l2_rdtsc(void);
__asm__(".text\n"
        ".globl l2_rdtsc\n"
        "l2_rdtsc:\n"
        "	rdtsc\n"
        "	shl $32, %rdx\n"
        "	or %rdx, %rax\n"
        "	mov %rax, %r12\n"
        "	vmcall\n");

#define TSC_L2   (1ULL << 44) /* far ahead of any TSC a run reaches */
#define TSC_L1   (1ULL << 45)
#define TSC_SPAN (1ULL << 36)

static bool near(uint64_t tsc, uint64_t from)
{
	return tsc >= from && tsc - from < TSC_SPAN;
}

/*
 * Every list as long as IA32_VMX_MISC recommends (512 * (N + 1)), each
 * entry IA32_TSC (SDM 26.4, 28.4, 28.6): the entry loads L2's TSC (the
 * last entry's value counts), the exit stores L2's TSC in every entry and
 * then loads L1's.
 */
TEST(msr_lists_with_tsc)
{
	struct vmx_vcpu v = {0};
	const char *why = vmx_root_with_l2(l2_rdtsc);
	uint32_t n = 512 * ((uint32_t)(vmx_caps()->misc >> 25 & 7) + 1);
	uint64_t l1_tsc;
	struct vmx_result r;
	bool stored = true;

	if (why)
		SKIP("%s", why);
	if (n > MSR_LIST_MAX)
		n = MSR_LIST_MAX;
	for (uint32_t i = 0; i < n; i++) {
		entry_load[i] = (struct msr_entry){MSR_IA32_TSC, 0, TSC_L2 + i};
		exit_store[i] = (struct msr_entry){MSR_IA32_TSC, 0, 0};
		exit_load[i] = (struct msr_entry){MSR_IA32_TSC, 0, TSC_L1};
	}
	SETUP(vmx_vmwrite(VM_ENTRY_MSR_LOAD_ADDR, (uintptr_t)entry_load));
	SETUP(vmx_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, n));
	SETUP(vmx_vmwrite(VM_EXIT_MSR_STORE_ADDR, (uintptr_t)exit_store));
	SETUP(vmx_vmwrite(VM_EXIT_MSR_STORE_COUNT, n));
	SETUP(vmx_vmwrite(VM_EXIT_MSR_LOAD_ADDR, (uintptr_t)exit_load));
	SETUP(vmx_vmwrite(VM_EXIT_MSR_LOAD_COUNT, n));
	r = vmx_vmlaunch(&v);
	l1_tsc = rdtsc();
	for (uint32_t i = 0; i < n; i++)
		stored = stored && near(exit_store[i].value, v.gprs.r12) &&
		         (!i || exit_store[i].value >= exit_store[i - 1].value);
	vmx_outcome_print("msr_lists", r);
	printf("# outcome msr_lists_exit entries %u reason 0x%x l2_tsc_loaded %s stored %s "
	       "l1_tsc_loaded %s\n",
	       n, v.exit_reason, near(v.gprs.r12, TSC_L2 + n - 1) ? "yes" : "no",
	       stored ? "yes" : "no", near(l1_tsc, TSC_L1) ? "yes" : "no");
	REQUIRE(r.kind == VMX_OK, "VM entry failed");
	CHECK(v.exit_reason == EXIT_REASON_VMCALL, "exit reason 0x%x, want VMCALL", v.exit_reason);
	CHECK(near(v.gprs.r12, TSC_L2 + n - 1), "L2's TSC 0x%lx, want just past 0x%llx", v.gprs.r12,
	      TSC_L2 + n - 1);
	CHECK(stored, "the MSR-store list holds 0x%lx ... 0x%lx, L2 read 0x%lx",
	      exit_store[0].value, exit_store[n - 1].value, v.gprs.r12);
	CHECK(near(l1_tsc, TSC_L1), "L1's TSC 0x%lx after the exit, want just past 0x%llx", l1_tsc,
	      TSC_L1);
	vmx_leave();
}

/* ---- the HLT activity state ---- */

void l2_vmcall_only(void);
void l2_hlt_then_vmcall(void);
void l2_count_isr(void);
__asm__(".text\n"
        ".globl l2_vmcall_only, l2_hlt_then_vmcall, l2_count_isr\n"
        "l2_vmcall_only:\n"
        "	vmcall\n"
        "l2_hlt_then_vmcall:\n"
        "	hlt\n"
        "	vmcall\n"
        "l2_count_isr:\n"
        "	lock incq l2_isr_runs(%rip)\n"
        "	iretq\n");
volatile uint64_t l2_isr_runs;

/* L2's own IDT: gates 2 (NMI) and INJECT_VECTOR to l2_count_isr. */
static struct idt_gate l2_idt[INJECT_VECTOR + 1] __attribute__((aligned(16)));

static struct vmx_result l2_idt_install(void)
{
	struct idt_gate g = idt_gate((uintptr_t)l2_count_isr, GDT_SEL_CODE64, GATE_INTERRUPT);
	struct vmx_result r;

	memset(l2_idt, 0, sizeof(l2_idt));
	l2_idt[2] = g;
	l2_idt[INJECT_VECTOR] = g;
	l2_isr_runs = 0;
	r = vmx_vmwrite(GUEST_IDTR_BASE, (uintptr_t)l2_idt);
	if (r.kind == VMX_OK)
		r = vmx_vmwrite(GUEST_IDTR_LIMIT, sizeof(l2_idt) - 1);
	return r;
}

static bool hlt_offered(void)
{
	return vmx_caps()->misc & (1ULL << 6);
}

/* The VMX-preemption timer at `value`, saved on exit. False if not offered. */
static bool arm_preemption_timer(uint32_t value)
{
	if (!vmx_controls_allow(vmx_caps()->pin, PIN_BASED_VMX_PREEMPTION_TIMER))
		return false;
	vmx_vmwrite(PIN_BASED_VM_EXEC_CONTROL,
	            vmx_controls(vmx_caps()->pin, PIN_BASED_VMX_PREEMPTION_TIMER));
	vmx_vmwrite(VMX_PREEMPTION_TIMER_VALUE, value);
	return true;
}

/*
 * L2 enters halted (activity state 1): it runs nothing until the
 * preemption timer exits, with the HLT state and L2's RIP saved as they
 * were (SDM 27.3.4); VMRESUME of that VMCS halts it again.
 */
TEST(l2_enters_hlt_state)
{
	struct vmx_vcpu v = {0};
	const char *why;
	uint64_t act;

	printf("# outcome hlt_state_offered %s\n", hlt_offered() ? "yes" : "no");
	if (!hlt_offered())
		SKIP("IA32_VMX_MISC offers no HLT activity state");
	why = vmx_root_with_l2(l2_vmcall_only);
	if (why)
		SKIP("%s", why);
	if (!arm_preemption_timer(2000))
		SKIP("no VMX-preemption timer offered");
	SETUP(vmx_vmwrite(GUEST_ACTIVITY_STATE, VMX_ACTIVITY_HLT));
	vmx_outcome_print("hlt_state", vmx_vmlaunch(&v));
	act = vmread(GUEST_ACTIVITY_STATE);
	printf("# outcome hlt_state_exit reason %u activity %lu rip +%lu\n", v.exit_reason, act,
	       v.guest_rip - (uintptr_t)l2_vmcall_only);
	CHECK(v.exit_reason == EXIT_REASON_PREEMPTION_TIMER, "exit reason %u, want 52",
	      v.exit_reason);
	CHECK(act == VMX_ACTIVITY_HLT, "activity state %lu saved, want HLT", act);
	CHECK(v.guest_rip == (uintptr_t)l2_vmcall_only, "L2 ran: RIP moved by %lu",
	      v.guest_rip - (uintptr_t)l2_vmcall_only);
	/* Again from the saved state: still halted, the timer ends it. */
	SETUP(vmx_vmwrite(VMX_PREEMPTION_TIMER_VALUE, 2000));
	vmx_outcome_print("hlt_state_again", vmx_vmresume(&v));
	printf("# outcome hlt_state_again_exit reason %u activity %lu\n", v.exit_reason,
	       vmread(GUEST_ACTIVITY_STATE));
	CHECK(v.exit_reason == EXIT_REASON_PREEMPTION_TIMER, "exit reason %u after VMRESUME",
	      v.exit_reason);
	vmx_leave();
}

/* L2's own HLT (no HLT exiting): the timer's exit saves the HLT state, RIP past the HLT. */
TEST(l2_hlt_saves_hlt_state)
{
	struct vmx_vcpu v = {0};
	const char *why;
	uint64_t act;

	if (!hlt_offered())
		SKIP("IA32_VMX_MISC offers no HLT activity state");
	why = vmx_root_with_l2(l2_hlt_then_vmcall);
	if (why)
		SKIP("%s", why);
	if (!arm_preemption_timer(20000))
		SKIP("no VMX-preemption timer offered");
	vmx_outcome_print("l2_hlt", vmx_vmlaunch(&v));
	act = vmread(GUEST_ACTIVITY_STATE);
	printf("# outcome l2_hlt_exit reason %u activity %lu rip +%lu\n", v.exit_reason, act,
	       v.guest_rip - (uintptr_t)l2_hlt_then_vmcall);
	CHECK(v.exit_reason == EXIT_REASON_PREEMPTION_TIMER, "exit reason %u, want 52",
	      v.exit_reason);
	CHECK(act == VMX_ACTIVITY_HLT, "activity state %lu saved, want HLT", act);
	/* L1 makes it active: L2 goes on past its HLT. */
	SETUP(vmx_vmwrite(GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE));
	SETUP(vmx_vmwrite(VMX_PREEMPTION_TIMER_VALUE, 0x10000000));
	vmx_outcome_print("l2_hlt_active", vmx_vmresume(&v));
	printf("# outcome l2_hlt_active_exit reason %u activity %lu\n", v.exit_reason,
	       vmread(GUEST_ACTIVITY_STATE));
	CHECK(v.exit_reason == EXIT_REASON_VMCALL, "exit reason %u, want VMCALL", v.exit_reason);
	vmx_leave();
}

/* An external interrupt injected into the HLT state ends it: L2's handler runs, then L2. */
TEST(l2_hlt_state_ended_by_injection)
{
	struct vmx_vcpu v = {0};
	const char *why;

	if (!hlt_offered())
		SKIP("IA32_VMX_MISC offers no HLT activity state");
	why = vmx_root_with_l2(l2_vmcall_only);
	if (why)
		SKIP("%s", why);
	/* L2 takes interrupts: the PIC's timer (vector 8 after the BIOS) must not come. */
	pic_init_masked(IRQ_VECTOR_FIRST);
	SETUP(l2_idt_install());
	SETUP(vmx_vmwrite(GUEST_RFLAGS, 0x2 | RFLAGS_IF));
	SETUP(vmx_vmwrite(GUEST_ACTIVITY_STATE, VMX_ACTIVITY_HLT));
	SETUP(vmx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO(0, INJECT_VECTOR)));
	vmx_outcome_print("hlt_injection", vmx_vmlaunch(&v));
	printf("# outcome hlt_injection_exit reason %u info 0x%lx activity %lu handler_runs %lu\n",
	       v.exit_reason, vmread(VM_EXIT_INTR_INFO), vmread(GUEST_ACTIVITY_STATE), l2_isr_runs);
	CHECK(v.exit_reason == EXIT_REASON_VMCALL, "exit reason %u, want VMCALL", v.exit_reason);
	CHECK(l2_isr_runs == 1, "L2's handler ran %lu times", l2_isr_runs);
	CHECK(vmread(GUEST_ACTIVITY_STATE) == VMX_ACTIVITY_ACTIVE, "activity state %lu",
	      vmread(GUEST_ACTIVITY_STATE));
	vmx_leave();
}

/* ---- an NMI while L2 runs ---- */

/*
 * L2 sends its vCPU an NMI through L1's local APIC (it shares L1's
 * mappings), to its own APIC ID: the "self" shorthand is for fixed
 * interrupts only (SDM 10.6.1).
 */
uint32_t l2_icr_high;
void l2_self_nmi(void);
__asm__(".text\n"
        ".globl l2_self_nmi\n"
        "l2_self_nmi:\n"
        "	mov $0xfee00000, %edx\n" /* the xAPIC page */
        "	mov l2_icr_high(%rip), %eax\n"
        "	mov %eax, 0x310(%rdx)\n"
        "	movl $0x4400, 0x300(%rdx)\n" /* NMI, assert, no shorthand */
        "	vmcall\n");

/*
 * With NMI exiting the NMI is a VM exit (reason 0, NMI type); without it,
 * L2 takes it through its own IDT and goes on (SDM 25.2, 25.3).
 */
static void nmi_in_l2(bool exiting)
{
	struct vmx_vcpu v = {0};
	const char *label = exiting ? "l2_nmi_exit" : "l2_nmi_to_l2";
	const char *why;
	uint64_t info;

	if (!apic_present())
		SKIP("no local APIC");
	apic_cpu_init();
	if (apic_mode() != APIC_MODE_XAPIC)
		SKIP("the local APIC is not in xAPIC mode");
	l2_icr_high = apic_id() << 24;
	why = vmx_root_with_l2(l2_self_nmi);
	if (why)
		SKIP("%s", why);
	SETUP(l2_idt_install());
	if (exiting)
		SETUP(vmx_vmwrite(PIN_BASED_VM_EXEC_CONTROL,
		                  vmx_controls(vmx_caps()->pin, PIN_BASED_NMI_EXITING)));
	vmx_outcome_print(label, vmx_vmlaunch(&v));
	info = vmread(VM_EXIT_INTR_INFO);
	printf("# outcome %s_exit reason %u info 0x%lx l2_handler_runs %lu\n", label, v.exit_reason,
	       exiting ? info : 0, l2_isr_runs);
	if (exiting) {
		CHECK(v.exit_reason == EXIT_REASON_EXCEPTION_NMI, "exit reason %u, want 0",
		      v.exit_reason);
		CHECK(info == INTR_INFO(2, 2), "exit interruption information 0x%lx, want an NMI",
		      info);
		CHECK(l2_isr_runs == 0, "L2's NMI handler ran");
	} else {
		CHECK(v.exit_reason == EXIT_REASON_VMCALL, "exit reason %u, want VMCALL",
		      v.exit_reason);
		CHECK(l2_isr_runs == 1, "L2's NMI handler ran %lu times, want 1", l2_isr_runs);
	}
	vmx_leave();
}

/* First: the exit leaves L1's NMIs blocked until an IRET (SDM 27.?), which this payload never runs. */
TEST(l2_nmi_delivered_to_l2)
{
	nmi_in_l2(false);
}

TEST(l2_nmi_exiting)
{
	nmi_in_l2(true);
}
