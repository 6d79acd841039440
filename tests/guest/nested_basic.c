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
 *
 * Also: the VMX-preemption timer in L2 (it expires; what is left of it is
 * saved when another exit comes first), and an event L1 injects into L2 at
 * VM entry, delivered through L2's own IDT.
 */
#include "apic.h"
#include "vmx.h"

PAYLOAD("nested_basic");

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

static uint64_t vmread(uint32_t field)
{
	uint64_t v = ~0ULL;

	vmx_vmread(field, &v);
	return v;
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
	const char *why = vmx_root_with_l2(l2_sequence);
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

/* L2 halts with interrupts off: only what exits to L1 ends the halt. */
void l2_halt(void);
__asm__(".text\n"
        ".globl l2_halt\n"
        "l2_halt:\n"
        "	cli\n"
        "	hlt\n"
        "	vmcall\n");

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
static void interrupt_exit(bool ack, bool halt)
{
	struct vmx_vcpu v = {0};
	const char *why;
	uint64_t info, before;
	uint32_t exit_ctls;
	const char *label = halt  ? "l2_interrupt_hlt"
	                    : ack ? "l2_interrupt_ack"
	                          : "l2_interrupt_no_ack";

	if (!apic_present())
		SKIP("no local APIC");
	why = vmx_root_with_l2(halt ? l2_halt : l2_spin);
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
	interrupt_exit(true, false);
}

TEST(l2_interrupt_exit_left_pending)
{
	interrupt_exit(false, false);
}

/*
 * L2 halted with IF = 0: with external-interrupt exiting, L1's interrupt
 * still ends it (SDM 25.2). Under Umbra only: bare Bochs 2.7 never wakes
 * (docs/bochs.md), so this case has no bare reference.
 */
TEST(l2_interrupt_exit_ends_hlt)
{
	if (!on_umbra())
		SKIP("Bochs 2.7 misses an interrupt for an L2 halted with IF=0 (docs/bochs.md)");
	interrupt_exit(true, true);
}

/* The L2 runs with the preemption timer at `value`: its exit, and what is saved. */
static void timer_run(const char *label, void (*l2)(void), uint32_t value, uint32_t want_reason,
                      bool print_rip)
{
	struct vmx_vcpu v = {0};
	const char *why;
	uint64_t left;
	bool save = vmx_controls_allow(vmx_caps()->exit, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);

	if (!vmx_controls_allow(vmx_caps()->pin, PIN_BASED_VMX_PREEMPTION_TIMER))
		SKIP("no VMX-preemption timer offered");
	why = vmx_root_with_l2(l2);
	if (why)
		SKIP("%s", why);
	SETUP(vmx_vmwrite(PIN_BASED_VM_EXEC_CONTROL,
	                  vmx_controls(vmx_caps()->pin, PIN_BASED_VMX_PREEMPTION_TIMER)));
	SETUP(vmx_vmwrite(VM_EXIT_CONTROLS,
	                  vmx_controls(vmx_caps()->exit,
	                               VM_EXIT_HOST_ADDR_SPACE_SIZE |
	                                       (save ? VM_EXIT_SAVE_VMX_PREEMPTION_TIMER : 0))));
	SETUP(vmx_vmwrite(VMX_PREEMPTION_TIMER_VALUE, value));
	vmx_outcome_print(label, vmx_vmlaunch(&v));
	left = vmread(VMX_PREEMPTION_TIMER_VALUE);
	printf("# outcome %s_exit reason %u saved %s\n", label, v.exit_reason,
	       !save          ? "no"
	       : left == 0    ? "zero"
	       : left < value ? "less"
	                      : "not-less");
	/* Where L2 stopped, when that is deterministic (not in a spin loop). */
	if (print_rip)
		printf("# outcome %s_rip +%lu\n", label, vmread(GUEST_RIP) - (uintptr_t)l2);
	CHECK(v.exit_reason == want_reason, "exit reason %u, want %u", v.exit_reason, want_reason);
	if (save && want_reason == EXIT_REASON_PREEMPTION_TIMER)
		CHECK(left == 0, "timer value 0x%lx saved after it expired", left);
	else if (save)
		CHECK(left > 0 && left < value, "timer value 0x%lx saved, started at 0x%x", left,
		      value);
	vmx_leave();
}

/* It expires in a spinning L2: VM exit 52. */
TEST(l2_preemption_timer_expires)
{
	timer_run("l2_timer_expires", l2_spin, 2000, EXIT_REASON_PREEMPTION_TIMER, false);
}

/*
 * L1 lets L2 execute HLT (no HLT exiting) and relies on its preemption
 * timer to end L2's halt: VM exit 52, with RIP past the HLT.
 */
TEST(l2_preemption_timer_ends_hlt)
{
	timer_run("l2_timer_hlt", l2_halt, 2000, EXIT_REASON_PREEMPTION_TIMER, true);
}

/* Another exit first: the time left is saved ("save VMX-preemption timer value"). */
TEST(l2_preemption_timer_saved)
{
	timer_run("l2_timer_saved", vmx_l2_cpuid_vmcall, 0x10000000, EXIT_REASON_CPUID, false);
}

/* L2's own IDT: one gate, for L1's injected vector, to l2_isr. */
#define INJECT_VECTOR 0x30
static struct idt_gate l2_idt[INJECT_VECTOR + 1] __attribute__((aligned(16)));

void l2_injected(void);
void l2_isr(void);
__asm__(".text\n"
        ".globl l2_injected\n"
        "l2_injected:\n"
        "	vmcall\n" /* after the handler: R11 counts its runs */
        ".globl l2_isr\n"
        "l2_isr:\n"
        "	inc %r11\n"
        "	iretq\n");

/* An external interrupt injected at VM entry reaches L2's handler, then L2 goes on. */
TEST(l2_event_injection)
{
	struct vmx_vcpu v = {0};
	const char *why = vmx_root_with_l2(l2_injected);
	uint16_t cs;
	uint64_t isr = (uintptr_t)l2_isr;

	if (why)
		SKIP("%s", why);
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	memset(l2_idt, 0, sizeof(l2_idt));
	l2_idt[INJECT_VECTOR] = idt_gate(isr, cs, GATE_INTERRUPT);
	SETUP(vmx_vmwrite(GUEST_IDTR_BASE, (uintptr_t)l2_idt));
	SETUP(vmx_vmwrite(GUEST_IDTR_LIMIT, sizeof(l2_idt) - 1));
	SETUP(vmx_vmwrite(GUEST_RFLAGS, RFLAGS_IF_L2));
	SETUP(vmx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO(0, INJECT_VECTOR)));
	vmx_outcome_print("l2_injection", vmx_vmlaunch(&v));
	printf("# outcome l2_injection_exit reason %u handler_runs %lu entry_info 0x%lx\n",
	       v.exit_reason, v.gprs.r11, vmread(VM_ENTRY_INTR_INFO_FIELD));
	CHECK(v.exit_reason == EXIT_REASON_VMCALL, "exit reason %u, want VMCALL", v.exit_reason);
	CHECK(v.gprs.r11 == 1, "L2's handler ran %lu times, want 1", v.gprs.r11);
	/* Every VM exit clears the valid bit of the injection field (SDM 28.2.1). */
	CHECK(!(vmread(VM_ENTRY_INTR_INFO_FIELD) & 0x80000000u),
	      "VM-entry interruption information still valid after the exit");
	vmx_leave();
}

/* L2 loads CR3 twice: the value in CR3-target 0 (no exit), then another. */
void l2_cr3_targets(void);
__asm__(".text\n"
        ".globl l2_cr3_targets\n"
        "l2_cr3_targets:\n"
        "	mov %r15, %cr3\n" /* a CR3-target value: no exit */
        "	mov %r14, %cr3\n" /* not one: CR3-load exiting */
        "	vmcall\n");

/* L2 reads a port nobody decodes, which L1 lets through (no I/O exiting). */
void l2_port_pass(void);
__asm__(".text\n"
        ".globl l2_port_pass\n"
        "l2_port_pass:\n"
        "	mov $0x5000, %dx\n"
        "	mov $0x12345678, %eax\n"
        "	inl (%dx), %eax\n"
        "	mov %rax, %r12\n"
        "	vmcall\n");

/*
 * What L1 does not intercept behaves for L2 as it would for L1: an IN from
 * a port with nothing behind it reads all ones (the empty bus), and L2
 * goes on to its VMCALL.
 */
TEST(l2_port_passed_through)
{
	struct vmx_vcpu v = {0};
	const char *why = vmx_root_with_l2(l2_port_pass);
	struct vmx_result r;

	if (why)
		SKIP("%s", why);
	r = vmx_vmlaunch(&v);
	vmx_outcome_print("l2_port_pass", r);
	printf("# outcome l2_port_pass_exit reason %u eax 0x%lx\n", v.exit_reason,
	       v.gprs.r12 & 0xffffffffu);
	REQUIRE(r.kind == VMX_OK, "VM entry failed");
	CHECK(v.exit_reason == EXIT_REASON_VMCALL, "exit reason %u, want VMCALL", v.exit_reason);
	CHECK((uint32_t)v.gprs.r12 == 0xffffffffu, "IN from port 0x5000 read 0x%lx",
	      v.gprs.r12 & 0xffffffffu);
	vmx_leave();
}

/* L2 reads IA32_SYSENTER_CS, which L1's MSR bitmap lets through. */
void l2_read_sysenter_cs(void);
__asm__(".text\n"
        ".globl l2_read_sysenter_cs\n"
        "l2_read_sysenter_cs:\n"
        "	mov $0x174, %ecx\n"
        "	rdmsr\n"
        "	mov %rax, %r12\n"
        "	vmcall\n");

static struct {
	uint32_t index, reserved;
	uint64_t value;
} entry_msr_list[1] __attribute__((aligned(16)));

/*
 * The VM-entry MSR-load list loads L2's MSRs after its guest state (SDM
 * 26.4): IA32_SYSENTER_CS from the list, not the VMCS's guest field, is
 * what L2 reads; the VM exit then saves it into the guest field.
 */
TEST(l2_entry_msr_load_list)
{
	struct vmx_vcpu v = {0};
	const char *why = vmx_root_with_l2(l2_read_sysenter_cs);
	uint32_t proc;
	struct vmx_result r;

	if (why)
		SKIP("%s", why);
	REQUIRE(vmx_controls_allow(vmx_caps()->proc, CPU_BASED_USE_MSR_BITMAPS), "no MSR bitmaps");
	memset(msr_bitmap, 0, sizeof(msr_bitmap));
	proc = vmx_controls(vmx_caps()->proc, CPU_BASED_USE_MSR_BITMAPS);
	SETUP(vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL, proc));
	SETUP(vmx_vmwrite(MSR_BITMAP, (uintptr_t)msr_bitmap));
	SETUP(vmx_vmwrite(GUEST_SYSENTER_CS, 0x10));
	entry_msr_list[0].index = MSR_IA32_SYSENTER_CS;
	entry_msr_list[0].reserved = 0;
	entry_msr_list[0].value = 0x5a;
	SETUP(vmx_vmwrite(VM_ENTRY_MSR_LOAD_ADDR, (uintptr_t)entry_msr_list));
	SETUP(vmx_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 1));
	r = vmx_vmlaunch(&v);
	vmx_outcome_print("l2_entry_msr_load", r);
	printf("# outcome l2_entry_msr_load_exit reason %u l2_read 0x%lx guest_field 0x%lx\n",
	       v.exit_reason, v.gprs.r12 & 0xffffffffu, vmread(GUEST_SYSENTER_CS));
	REQUIRE(r.kind == VMX_OK, "VM entry failed");
	CHECK((uint32_t)v.gprs.r12 == 0x5a, "L2 read IA32_SYSENTER_CS 0x%lx, want the list's 0x5a",
	      v.gprs.r12 & 0xffffffffu);
	CHECK(vmread(GUEST_SYSENTER_CS) == 0x5a, "guest field after the exit 0x%lx",
	      vmread(GUEST_SYSENTER_CS));
	vmx_leave();
}

/*
 * CR3-target values (SDM 25.1.3): with CR3-load exiting, MOV to CR3 of a
 * value among the first CR3-target-count targets does not exit. How many
 * IA32_VMX_MISC offers, that CR3-target values below the count work, and
 * that a count above what it offers fails VM entry (SDM 26.2.1.1).
 */
TEST(l2_cr3_target_values)
{
	struct vmx_vcpu v = {0};
	const char *why;
	uint32_t count = (uint32_t)(vmx_caps()->misc >> 16) & 0x1ff;
	uint64_t cr3 = read_cr3();
	struct vmx_result r;

	printf("# outcome cr3_target_count %u\n", count);
	if (!count)
		SKIP("IA32_VMX_MISC offers no CR3-target values");
	why = vmx_root_with_l2(l2_cr3_targets);
	if (why)
		SKIP("%s", why);
	SETUP(vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL,
	                  vmx_controls(vmx_caps()->proc, CPU_BASED_CR3_LOAD_EXITING)));
	/* Too many targets: VMfailValid, invalid control field. */
	SETUP(vmx_vmwrite(CR3_TARGET_COUNT, count + 1));
	r = vmx_vmlaunch(&v);
	vmx_outcome_print("cr3_target_count_above", r);
	CHECK(r.kind == VMX_FAIL_VALID && r.error == VMXERR_ENTRY_INVALID_CONTROL_FIELD,
	      "VM entry with %u CR3 targets did not fail with error 7", count + 1);
	/* The last target L1 may use holds L2's CR3; the other load is L1's. */
	SETUP(vmx_vmwrite(CR3_TARGET_COUNT, count));
	SETUP(vmx_vmwrite(CR3_TARGET_VALUE0 + 2 * (count > 4 ? 3 : count - 1), cr3));
	v.gprs.r15 = cr3;
	v.gprs.r14 = cr3 | (1ULL << 3); /* PWT: the same tables, another value */
	r = vmx_vmlaunch(&v);
	vmx_outcome_print("cr3_target", r);
	printf("# outcome cr3_target_exit reason %u qualification 0x%lx\n", v.exit_reason,
	       v.exit_qualification);
	REQUIRE(r.kind == VMX_OK, "VM entry with CR3 targets failed");
	CHECK(v.exit_reason == EXIT_REASON_CR_ACCESS && v.exit_qualification == (3 | (14u << 8)),
	      "exit reason %u qualification 0x%lx, want MOV to CR3 from R14", v.exit_reason,
	      v.exit_qualification);
	vmx_leave();
}

/*
 * L2 with EPT: L1's EPT12 maps its first GiB onto itself (2 MiB leaves)
 * but one 4 KiB page, the window, onto another page, the target. L2 reads
 * and writes through the window: both land in the target, the window's
 * own page stays as it was. Under Umbra this is shadow EPT at work.
 */
#define EPT12_RWX_WB  0x37ULL /* read, write, execute; memory type 6 */
#define EPT12_LARGE   0x80ULL
#define EPT12_MB2     0x200000ULL
#define EPT12_WINDOW  0x1234abcd5678ef00ULL
#define EPT12_WRITTEN 0x600d600d600d600dULL
static uint64_t ept12_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept12_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept12_pd[512] __attribute__((aligned(4096)));
static uint64_t ept12_pt[512] __attribute__((aligned(4096)));
static volatile uint64_t ept12_window[512] __attribute__((aligned(4096)));
static volatile uint64_t ept12_target[512] __attribute__((aligned(4096)));

/* R14: the window. Reads its first word into R12, writes the second. */
void l2_ept_window(void);
__asm__(".text\n"
        ".globl l2_ept_window\n"
        "l2_ept_window:\n"
        "	mov (%r14), %r12\n"
        "	mov %r15, 8(%r14)\n"
        "	vmcall\n");

static uint64_t ept12_build(void)
{
	uint64_t window = (uintptr_t)ept12_window, pd_index = window / EPT12_MB2;

	ept12_pml4[0] = (uintptr_t)ept12_pdpt | 7;
	ept12_pdpt[0] = (uintptr_t)ept12_pd | 7;
	for (uint64_t i = 0; i < 512; i++) {
		ept12_pd[i] = (i * EPT12_MB2) | EPT12_RWX_WB | EPT12_LARGE;
		ept12_pt[i] = ((window & ~(EPT12_MB2 - 1)) + i * 4096) | EPT12_RWX_WB;
	}
	ept12_pd[pd_index] = (uintptr_t)ept12_pt | 7;
	ept12_pt[(window / 4096) % 512] = (uintptr_t)ept12_target | EPT12_RWX_WB;
	return (uintptr_t)ept12_pml4 | 3 << 3 | 6; /* 4-level walk, write-back */
}

TEST(l2_runs_with_ept)
{
	struct vmx_vcpu v = {0};
	const struct vmx_caps *c;
	const char *why = vmx_unavailable();
	struct vmx_result r;

	if (why)
		SKIP("%s", why);
	c = vmx_caps();
	if (!vmx_controls_allow(c->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) ||
	    !vmx_controls_allow(c->proc2, SECONDARY_EXEC_ENABLE_EPT) ||
	    !(c->ept_vpid & VMX_EPT_PAGE_WALK_4) || !(c->ept_vpid & VMX_EPT_MEMTYPE_WB) ||
	    !(c->ept_vpid & VMX_EPT_2MB_PAGE))
		SKIP("no EPT with a 4-level walk, write-back and 2 MiB pages");
	why = vmx_root_with_l2(l2_ept_window);
	if (why)
		SKIP("%s", why);
	ept12_window[0] = 0;
	ept12_window[1] = 0;
	ept12_target[0] = EPT12_WINDOW;
	ept12_target[1] = 0;
	REQUIRE(vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL,
	                    vmx_controls(c->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
	                                .kind == VMX_OK &&
	                vmx_vmwrite(SECONDARY_VM_EXEC_CONTROL,
	                            vmx_controls(c->proc2, SECONDARY_EXEC_ENABLE_EPT))
	                                .kind == VMX_OK &&
	                vmx_vmwrite(EPT_POINTER, ept12_build()).kind == VMX_OK,
	        "EPT set-up");
	v.gprs.r14 = (uintptr_t)ept12_window;
	v.gprs.r15 = EPT12_WRITTEN;
	r = vmx_vmlaunch(&v);
	vmx_outcome_print("l2_ept", r);
	printf("# outcome l2_ept_exit reason %u read 0x%lx target 0x%lx window 0x%lx\n",
	       v.exit_reason, v.gprs.r12, ept12_target[1], ept12_window[1]);
	REQUIRE(r.kind == VMX_OK, "VM entry failed");
	CHECK(v.exit_reason == EXIT_REASON_VMCALL, "exit reason %u, want VMCALL", v.exit_reason);
	CHECK(v.gprs.r12 == EPT12_WINDOW, "L2 read 0x%lx through the window, want the target's",
	      v.gprs.r12);
	CHECK(ept12_target[1] == EPT12_WRITTEN && ept12_window[1] == 0,
	      "L2's write landed in the %s", ept12_window[1] ? "window's own page" : "void");
	vmx_leave();
}

/*
 * Under Umbra, what its CPUID leaf 0x40000001 promises (EBX bit 0): with
 * VMCS shadowing in use, L1's VMREADs of the exit information and VMWRITEs
 * of guest RIP do not exit at all, which L1 sees in Umbra's statistics of
 * its own VM exits (an L2 exit handled by L1 then costs it exactly two:
 * the exit reflected, its VMRESUME); without (Umbra on a CPU that lacks
 * it, Umbra in Umbra), each exits and is emulated. Either way what is
 * written reads back. Bare, there is no Umbra to ask.
 */
TEST(l1_vmcs_shadowing_in_use)
{
	static struct umbra_exit_stats s0, s1;
	const char *why;
	uint64_t val, rip = 0, exits, reads, writes;
	bool shadowing;

	if (!on_umbra())
		SKIP("not under Umbra: no exit statistics to read");
	shadowing = cpuid(UMBRA_CPUID_VERSION_LEAF, 0).ebx & UMBRA_CPUID_F_VMCS_SHADOWING;
	why = vmx_root_with_l2(l2_spin);
	if (why)
		SKIP("%s", why);
	REQUIRE(umbra_exit_stats(&s0) == 0, "exit statistics");
	for (int i = 0; i < 10; i++) {
		vmx_vmread(VM_EXIT_REASON, &val);
		vmx_vmwrite(GUEST_RIP, (uintptr_t)l2_spin + (uint64_t)i);
		vmx_vmread(GUEST_RIP, &rip);
		CHECK(rip == (uintptr_t)l2_spin + (uint64_t)i, "GUEST_RIP read back 0x%lx", rip);
	}
	REQUIRE(umbra_exit_stats(&s1) == 0, "exit statistics");
	exits = s1.total_exits - s0.total_exits;
	reads = s1.reason[EXIT_REASON_VMREAD].exits - s0.reason[EXIT_REASON_VMREAD].exits;
	writes = s1.reason[EXIT_REASON_VMWRITE].exits - s0.reason[EXIT_REASON_VMWRITE].exits;
	printf("# VMCS shadowing %s; L1 exits for 20 VMREADs and 10 VMWRITEs: %lu (the statistics "
	       "call's own: 1)\n",
	       shadowing ? "in use" : "not in use", exits);
	if (shadowing) {
		CHECK(reads == 0 && writes == 0, "VMREAD/VMWRITE exited %lu/%lu times", reads,
		      writes);
		CHECK(exits == 1, "%lu exits, want only the statistics call's", exits);
	} else {
		CHECK(reads == 20 && writes == 10,
		      "VMREAD/VMWRITE exited %lu/%lu times, want 20/10", reads, writes);
	}
	vmx_leave();
}
