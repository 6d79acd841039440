/*
 * The IDT and the exception handler: vectors 0-31 are exceptions (stubs in
 * exceptions.S), 32-255 interrupts (stubs in interrupts.S, dispatched by
 * interrupts.c). An exception inside catch_exception() resumes its caller,
 * any other one is a KTAP failure that ends the run with PAYLOAD_EXCEPTION.
 * catch_exception() is for the BSP only: APs share the IDT, not the state.
 */
#include "internal.h"
#include "payload.h"

#define IDT_VECTORS 32 /* exceptions */
#define IDT_ENTRIES 256
#define SEL_CODE64  0x18
#define VECTOR_PF   14
#define RFLAGS_TF   (1ULL << 8)
#define RFLAGS_DF   (1ULL << 10)

/* As exc_common (exceptions.S) lays it out on the stack. */
struct exc_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* What exc_run (exceptions.S) saves: the fields' offsets are fixed there. */
struct exc_jmp {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
	struct exc_jmp *prev;
	struct exc_info info;
};
_Static_assert(__builtin_offsetof(struct exc_jmp, rip) == 56, "exc_run layout");

extern const uint64_t exc_stub_table[IDT_VECTORS];
int exc_run(struct exc_jmp *j, void (*fn)(void *), void *arg);
void exc_handle(struct exc_frame *f);

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static struct exc_jmp *armed;
static bool reporting;

static const char *const names[IDT_VECTORS] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)", "#TS",
        "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",    "#CP",
        "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

const char *exception_name(unsigned int vector)
{
	return vector < IDT_VECTORS ? names[vector] : "#??";
}

void idt_init(void)
{
	for (int i = 0; i < IDT_ENTRIES; i++) {
		uint64_t a =
		        i < IDT_VECTORS ? exc_stub_table[i] : irq_stub_table[i - IRQ_VECTOR_FIRST];

		idt[i] = idt_gate(a, SEL_CODE64, GATE_INTERRUPT);
	}
	idt_load();
}

void idt_load(void)
{
	struct desc_ptr p = {sizeof(idt) - 1, (uintptr_t)idt};

	lidt(&p);
}

int catch_exception(void (*fn)(void *), void *arg, struct exc_info *info)
{
	struct exc_jmp j;
	int ret = -1;

	j.prev = armed;
	armed = &j;
	if (exc_run(&j, fn, arg)) {
		ret = (int)j.info.vector;
		if (info)
			*info = j.info;
	}
	armed = j.prev;
	return ret;
}

static void report(struct exc_frame *f, uint64_t cr2)
{
	char reason[96];

	printf("# unexpected exception %s (vector %lu) error 0x%lx at rip 0x%lx cs 0x%lx "
	       "rflags 0x%lx\n",
	       exception_name(f->vector), f->vector, f->error_code, f->rip, f->cs, f->rflags);
	printf("# rax 0x%016lx rbx 0x%016lx rcx 0x%016lx rdx 0x%016lx\n", f->rax, f->rbx, f->rcx,
	       f->rdx);
	printf("# rsi 0x%016lx rdi 0x%016lx rbp 0x%016lx rsp 0x%016lx\n", f->rsi, f->rdi, f->rbp,
	       f->rsp);
	printf("# r8  0x%016lx r9  0x%016lx r10 0x%016lx r11 0x%016lx\n", f->r8, f->r9, f->r10,
	       f->r11);
	printf("# r12 0x%016lx r13 0x%016lx r14 0x%016lx r15 0x%016lx\n", f->r12, f->r13, f->r14,
	       f->r15);
	if (f->vector == VECTOR_PF)
		snprintf(reason, sizeof(reason), "unexpected exception #PF at rip 0x%lx cr2 0x%lx",
		         f->rip, cr2);
	else
		snprintf(reason, sizeof(reason), "unexpected exception %s at rip 0x%lx",
		         exception_name(f->vector), f->rip);
	ktap_abort(reason);
}

static void (*nmi_handler)(void);

void nmi_set_handler(void (*fn)(void))
{
	nmi_handler = fn;
}

void exc_handle(struct exc_frame *f)
{
	struct exc_jmp *j = armed;

	/* An NMI with a handler: handled, and IRET returns to where it struck. */
	if (f->vector == 2 && nmi_handler) {
		nmi_handler();
		return;
	}
	uint64_t cr2 = f->vector == VECTOR_PF ? read_cr2() : 0;

	if (j && !reporting) {
		j->info = (struct exc_info){f->vector, f->error_code, f->rip, cr2, f->rflags};
		armed = j->prev;
		/* Resume as if exc_run returned 1 to catch_exception. */
		f->rbx = j->rbx;
		f->rbp = j->rbp;
		f->r12 = j->r12;
		f->r13 = j->r13;
		f->r14 = j->r14;
		f->r15 = j->r15;
		f->rsp = j->rsp;
		f->rip = j->rip;
		f->rax = 1;
		f->rflags &= ~(RFLAGS_DF | RFLAGS_TF);
		return;
	}
	if (reporting) {
		/* A fault while reporting one: the report cannot be trusted to finish. */
		payload_exit(PAYLOAD_EXCEPTION);
	}
	reporting = true;
	report(f, cr2);
}
