/*
 * A small hypervisor in a payload: it runs an L2 and checks that every
 * exit it asked for arrives with the right exit information (SDM Vol. 3
 * 28.2), and that what it did not ask for does not exit: CPUID, HLT, I/O
 * and MSR accesses through its bitmaps, MOV to CR3, CR0 under its
 * guest/host mask, CLTS, exceptions by its bitmap, VMCALL; an external
 * interrupt of its own local APIC while L2 runs, with and without
 * "acknowledge interrupt on exit".
 *
 * It runs bare on Bochs and as an L1 under Umbra (nested=1); the harness
 * compares the "# outcome" lines of both runs (tests/system/).
 */
#include "apic.h"
#include "vmx.h"

PAYLOAD("nested_basic");

#define SLOT_VMXON 0
#define SLOT_VMCS  1

#define MARK_CPUID              0x5a5a1111u
#define MARK_RDMSR              0x5a5a2222u
#define SYSENTER_ESP_L2         0x123456789abcULL
#define PORT_PASS               0x80 /* POST port: L2 reaches it directly */
#define PORT_EXIT               0x81 /* L1's bitmap makes it exit */
#define TIMER_VECTOR            0x40
#define CR0_TS                  (1ULL << 3)
#define RFLAGS_IF_L2            0x202
#define VECTOR_BP               3
#define VECTOR_UD               6
#define INTR_INFO(type, vector) (0x80000000u | ((type) << 8) | (vector))
#define QUAL_IO(port, in, imm)  (((uint64_t)(port) << 16) | ((imm) ? 0x40 : 0) | ((in) ? 8 : 0))

/* L1's bitmaps (one page each, physical = virtual in payloads). */
static uint8_t io_bitmap_a[4096] __attribute__((aligned(4096)));
static uint8_t io_bitmap_b[4096] __attribute__((aligned(4096)));
static uint8_t msr_bitmap[4096] __attribute__((aligned(4096)));

/* The L2 programs. Each ends in VMCALL; the L1 resumes it past every exit. */
void l2_sequence(void);
void l2_spin(void);
__asm__(".text\n"
        ".globl l2_sequence\n"
        "l2_sequence:\n"
        "	xor %eax, %eax\n"
        "	cpuid\n" /* exit: L1 answers EBX = MARK_CPUID */
        "	mov %rbx, %r13\n"
        "	hlt\n"             /* exit: HLT exiting */
        "	inb $0x80, %al\n"  /* no exit: bitmap bit clear */
        "	outb %al, $0x81\n" /* exit: bitmap bit set */
        "	mov $0x174, %ecx\n"
        "	rdmsr\n" /* exit: read bitmap bit set; L1 answers */
        "	mov %rax, %r12\n"
        "	mov $0x175, %ecx\n"
        "	mov %r14, %rax\n"
        "	mov %r14, %rdx\n"
        "	shr $32, %rdx\n"
        "	wrmsr\n" /* no exit: write bitmap bit clear */
        "	mov %r15, %rax\n"
        "	mov %rax, %cr3\n" /* exit: CR3-load exiting */
        "	mov %cr0, %rax\n"
        "	or $8, %rax\n"
        "	mov %rax, %cr0\n" /* exit: TS is L1's and differs from its shadow */
        "	clts\n"           /* exit: TS is L1's and its shadow is 1 */
        "	ud2\n"            /* exit: #UD in the exception bitmap */
        "	int3\n"           /* exit: #BP in the exception bitmap */
        "	vmcall\n"
        "l2_spin:\n"
        "	pause\n"
        "	jmp l2_spin\n");

struct step {
	const char *name;
	uint32_t reason;
	uint64_t qual;
	int32_t len;        /* -1: undefined for this exit (hardware exceptions) */
	uint32_t intr_info; /* 0: not an exception exit */
};

static const struct step steps[] = {
        {"cpuid", EXIT_REASON_CPUID, 0, 2, 0},
        {"hlt", EXIT_REASON_HLT, 0, 1, 0},
        {"out_bitmap", EXIT_REASON_IO_INSTRUCTION, QUAL_IO(PORT_EXIT, false, true), 2, 0},
        {"rdmsr_bitmap", EXIT_REASON_MSR_READ, 0, 2, 0},
        {"mov_cr3", EXIT_REASON_CR_ACCESS, 3, 3, 0},
        {"mov_cr0_ts", EXIT_REASON_CR_ACCESS, 0, 3, 0},
        {"clts", EXIT_REASON_CR_ACCESS, 2u << 4, 2, 0},
        {"ud2", EXIT_REASON_EXCEPTION_NMI, 0, -1, INTR_INFO(3, VECTOR_UD)},
        {"int3", EXIT_REASON_EXCEPTION_NMI, 0, 1, INTR_INFO(6, VECTOR_BP)},
        {"vmcall", EXIT_REASON_VMCALL, 0, 3, 0},
};

#define SETUP(expr)                                                 \
	do {                                                        \
		struct vmx_result r_ = (expr);                      \
		char s_[48];                                        \
		if (r_.kind != VMX_OK) {                            \
			vmx_result_format(s_, sizeof(s_), r_);      \
			REQUIRE(false, "set-up %s: %s", #expr, s_); \
		}                                                   \
	} while (0)

static uint64_t vmread(uint32_t field)
{
	uint64_t v = ~0ULL;

	vmx_vmread(field, &v);
	return v;
}

/* VMX on, a fresh VMCS running `rip`, as vmx_insn's tests set it up. */
static const char *enter_root_with_l2(void (*rip)(void))
{
	const char *why = vmx_unavailable();
	uint64_t pa;

	if (why)
		return why;
	vmx_leave();
	why = vmx_enable();
	if (why)
		return why;
	if (vmx_vmxon(vmx_region(SLOT_VMXON, vmx_caps()->revision)).kind != VMX_OK)
		return "VMXON failed";
	pa = vmx_region(SLOT_VMCS, vmx_caps()->revision);
	if (vmx_vmclear(pa).kind != VMX_OK || vmx_vmptrld(pa).kind != VMX_OK ||
	    vmx_vmcs_init_l2(rip).kind != VMX_OK)
		return "VMCS set-up failed";
	return NULL;
}

static void set_bit(uint8_t *bm, uint32_t bit)
{
	bm[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* L1's own handling of an exit before resuming L2. */
static void emulate(const struct step *s, struct vmx_vcpu *v)
{
	uint64_t shadow;

	switch (s->reason) {
	case EXIT_REASON_CPUID: v->gprs.rbx = MARK_CPUID; break;
	case EXIT_REASON_MSR_READ:
		v->gprs.rax = MARK_RDMSR;
		v->gprs.rdx = 0;
		break;
	case EXIT_REASON_CR_ACCESS:
		if (s->qual == 3) {
			vmx_vmwrite(GUEST_CR3, v->gprs.rax);
		} else {
			/* MOV to CR0 setting TS, then CLTS: the shadow follows, and CR0 itself. */
			shadow = vmread(CR0_READ_SHADOW);
			shadow = s->qual == 0 ? shadow | CR0_TS : shadow & ~CR0_TS;
			vmx_vmwrite(CR0_READ_SHADOW, shadow);
			vmx_vmwrite(GUEST_CR0, (vmread(GUEST_CR0) & ~CR0_TS) | (shadow & CR0_TS));
		}
		break;
	default: break;
	}
}

/*
 * The L2 sequence: each exit it should cause, with its information, in
 * order; and none of those it should not (the bitmaps' clear bits).
 */
TEST(l2_exits_reflected)
{
	struct vmx_vcpu v = {0};
	const char *why = enter_root_with_l2(l2_sequence);
	uint32_t proc;
	struct vmx_result r;

	if (why)
		SKIP("%s", why);
	proc = vmx_controls(vmx_caps()->proc, CPU_BASED_HLT_EXITING | CPU_BASED_USE_IO_BITMAPS |
	                                              CPU_BASED_USE_MSR_BITMAPS |
	                                              CPU_BASED_CR3_LOAD_EXITING);
	REQUIRE(vmx_controls_allow(vmx_caps()->proc,
	                           CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS),
	        "no I/O or MSR bitmaps");
	memset(io_bitmap_a, 0, sizeof(io_bitmap_a));
	memset(io_bitmap_b, 0, sizeof(io_bitmap_b));
	memset(msr_bitmap, 0, sizeof(msr_bitmap));
	set_bit(io_bitmap_a, PORT_EXIT);
	set_bit(msr_bitmap, MSR_IA32_SYSENTER_CS); /* read bitmap, low MSRs */
	SETUP(vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL, proc));
	SETUP(vmx_vmwrite(IO_BITMAP_A, (uintptr_t)io_bitmap_a));
	SETUP(vmx_vmwrite(IO_BITMAP_B, (uintptr_t)io_bitmap_b));
	SETUP(vmx_vmwrite(MSR_BITMAP, (uintptr_t)msr_bitmap));
	SETUP(vmx_vmwrite(EXCEPTION_BITMAP, (1u << VECTOR_UD) | (1u << VECTOR_BP)));
	SETUP(vmx_vmwrite(CR0_GUEST_HOST_MASK, CR0_TS));
	SETUP(vmx_vmwrite(CR0_READ_SHADOW, read_cr0() & ~CR0_TS));
	v.gprs.r14 = SYSENTER_ESP_L2;
	v.gprs.r15 = read_cr3();

	r = vmx_vmlaunch(&v);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *s = &steps[i];
		char label[48];
		uint32_t info = (uint32_t)vmread(VM_EXIT_INTR_INFO);

		snprintf(label, sizeof(label), "l2_%s", s->name);
		vmx_outcome_print(label, r);
		REQUIRE(r.kind == VMX_OK, "%s: the VM entry before it failed", s->name);
		printf("# outcome %s_exit reason %u qualification 0x%lx length %d info 0x%x\n",
		       label, v.exit_reason, v.exit_qualification,
		       s->len < 0 ? -1 : (int)v.exit_instruction_len, s->intr_info ? info : 0);
		REQUIRE(v.exit_reason == s->reason, "%s: exit reason %u, want %u", s->name,
		        v.exit_reason, s->reason);
		CHECK(v.exit_qualification == s->qual, "%s: qualification 0x%lx, want 0x%lx",
		      s->name, v.exit_qualification, s->qual);
		if (s->len >= 0)
			CHECK(v.exit_instruction_len == (uint32_t)s->len, "%s: length %u, want %d",
			      s->name, v.exit_instruction_len, s->len);
		if (s->intr_info)
			CHECK(info == s->intr_info, "%s: interruption information 0x%x, want 0x%x",
			      s->name, info, s->intr_info);
		if (s->reason == EXIT_REASON_VMCALL)
			break;
		emulate(s, &v);
		/* #UD's length is undefined: ud2 is two bytes. */
		if (s->len < 0)
			v.exit_instruction_len = 2;
		SETUP(vmx_skip_instruction(&v));
		r = vmx_vmresume(&v);
	}
	CHECK(v.gprs.r13 == MARK_CPUID, "L2 saw CPUID EBX 0x%lx, want L1's 0x%x", v.gprs.r13,
	      MARK_CPUID);
	CHECK(v.gprs.r12 == MARK_RDMSR, "L2 saw RDMSR 0x%lx, want L1's 0x%x", v.gprs.r12,
	      MARK_RDMSR);
	CHECK(vmread(GUEST_SYSENTER_ESP) == SYSENTER_ESP_L2,
	      "L2's WRMSR of IA32_SYSENTER_ESP (not intercepted) left 0x%lx, want 0x%llx",
	      vmread(GUEST_SYSENTER_ESP), SYSENTER_ESP_L2);
	CHECK(!(vmread(GUEST_CR0) & CR0_TS), "L2's CR0.TS still set after CLTS");
	vmx_leave();
}

/* The local APIC timer fires once at TIMER_VECTOR, soon. */
static void arm_timer(void)
{
	apic_timer_oneshot(TIMER_VECTOR, 20000);
}

static void timer_irq(unsigned int vector)
{
	(void)vector;
	apic_eoi();
}

/*
 * L1's own interrupt while L2 runs, with external-interrupt exiting: a VM
 * exit (reason 1). With "acknowledge interrupt on exit" the vector is in
 * the exit information and the interrupt is taken; without, it stays
 * pending in L1's local APIC until L1 enables interrupts.
 */
static void interrupt_exit(bool ack)
{
	struct vmx_vcpu v = {0};
	const char *why;
	uint64_t info, before;
	uint32_t exit_ctls;
	const char *label = ack ? "l2_interrupt_ack" : "l2_interrupt_no_ack";

	if (!apic_present())
		SKIP("no local APIC");
	why = enter_root_with_l2(l2_spin);
	if (why)
		SKIP("%s", why);
	pic_init_masked(IRQ_VECTOR_FIRST); /* bare, the PIC's timer would come first */
	apic_cpu_init();
	irq_set_handler(TIMER_VECTOR, timer_irq);
	exit_ctls = vmx_controls(vmx_caps()->exit, VM_EXIT_HOST_ADDR_SPACE_SIZE |
	                                                   (ack ? VM_EXIT_ACK_INTR_ON_EXIT : 0));
	SETUP(vmx_vmwrite(PIN_BASED_VM_EXEC_CONTROL,
	                  vmx_controls(vmx_caps()->pin, PIN_BASED_EXT_INTR_EXITING)));
	SETUP(vmx_vmwrite(VM_EXIT_CONTROLS, exit_ctls));
	/*
	 * With external-interrupt exiting, L2's RFLAGS.IF does not matter (SDM
	 * 25.3); Bochs 2.7 misses an interrupt that arrives while a guest runs
	 * with IF = 0 (docs/bochs.md), so L2 runs with IF = 1.
	 */
	SETUP(vmx_vmwrite(GUEST_RFLAGS, RFLAGS_IF_L2));
	before = irq_count(TIMER_VECTOR);
	arm_timer();
	vmx_outcome_print(label, vmx_vmlaunch(&v));
	info = vmread(VM_EXIT_INTR_INFO);
	printf("# outcome %s_exit reason %u info 0x%lx\n", label, v.exit_reason, ack ? info : 0);
	CHECK(v.exit_reason == EXIT_REASON_EXTERNAL_INTERRUPT, "exit reason %u, want 1",
	      v.exit_reason);
	if (ack) {
		CHECK(info == INTR_INFO(0, TIMER_VECTOR), "exit interruption information 0x%lx",
		      info);
		apic_eoi();
	} else {
		/* Still pending: it is delivered once L1 can take it. */
		irq_enable();
		spin_until(irq_count(TIMER_VECTOR) > before, tsc_ticks_at_least_us(100000));
		irq_disable();
		CHECK(irq_count(TIMER_VECTOR) == before + 1, "L1 took the interrupt %lu times",
		      irq_count(TIMER_VECTOR) - before);
	}
	vmx_leave();
}

TEST(l2_interrupt_exit_acknowledged)
{
	interrupt_exit(true);
}

TEST(l2_interrupt_exit_left_pending)
{
	interrupt_exit(false);
}
