/*
 * A mini-hypervisor for payloads: VMX detection and capabilities, turning
 * VMX on and off, every VMX instruction as a wrapper that returns its
 * outcome as data (never panics), and a minimal VMCS for an L2 that runs
 * 64-bit code in the payload's own address space (same page tables, GDT
 * and IDT; host state = the payload's), entered and left by vmx_entry.S.
 *
 * For payloads that define what a CPU with VMX does (SDM Vol. 3 chapter
 * 31): they run bare on a VMX CPU (Bochs) and, later, as L1 under Umbra's
 * nested VMX, and print each outcome the same way both times.
 *
 * BSP only (catch_exception() is). Field encodings and control bits are
 * the hypervisor's own SDM tables (arch/x86/vmx/).
 */
#ifndef GUEST_LIB_VMX_H
#define GUEST_LIB_VMX_H

#include "arch/x86/vmx/vmcs_fields.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_msrs.h"
#include "cpl3.h"
#include "payload.h"

/* Guarded: x86.h may grow some of these one day. */
#ifndef MSR_IA32_FEATURE_CONTROL
#define MSR_IA32_FEATURE_CONTROL 0x3a
#endif
#ifndef MSR_IA32_SYSENTER_CS
#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#endif
#ifndef MSR_FS_BASE
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#endif
#ifndef CR0_NE
#define CR0_NE (1ULL << 5)
#endif
#ifndef CR4_VMXE
#define CR4_VMXE (1ULL << 13)
#endif

/* In a VMCS region's first dword: a shadow VMCS. */
#define VMX_BASIC_SHADOW_VMCS (1ULL << 31)

#define VMCS_FIELD_HIGH   1 /* access type "high": bits 63:32 of a 64-bit field */
#define VMCS_POINTER_NONE 0xffffffffffffffffULL
#define VMX_ERROR_UNKNOWN 0xffffffffu /* VMfailValid, but VM_INSTRUCTION_ERROR unreadable */
#define VMX_VECTOR_UD     6
#define VMX_VECTOR_SS     12
#define VMX_VECTOR_GP     13
/* vmx_vmcall()'s RAX: no Umbra hypercall number (abi/umbra_abi.h), so not a hypercall. */
#define VMX_VMCALL_NOT_HYPERCALL 0x564d43414c4cULL /* "VMCALL" */

/* The capability MSRs, read once. An MSR the CPU lacks (#GP on RDMSR) reads 0. */
struct vmx_caps {
	uint64_t basic;
	uint64_t pin, proc, proc2, exit, entry; /* the TRUE_ MSRs when basic bit 55 says so */
	uint64_t misc;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t vmcs_enum, ept_vpid, vmfunc;
	uint32_t revision;       /* basic bits 30:0 */
	uint32_t vmcs_size;      /* bytes */
	unsigned int maxphyaddr; /* CPUID 0x80000008 EAX[7:0], else 36 */
	bool true_ctls;
};

/* ---- outcomes ---- */

enum vmx_result_kind { VMX_OK, VMX_FAIL_INVALID, VMX_FAIL_VALID, VMX_FAULT };

/*
 * What a VMX instruction did. VMX_OK: VMsucceed (for VMLAUNCH/VMRESUME: the
 * VM entry happened, or failed as a VM exit, and a VM exit came back: see
 * struct vmx_vcpu). VMX_FAIL_INVALID: CF=1. VMX_FAIL_VALID: ZF=1, error is
 * the VM-instruction error (VMREAD of 0x4400; VMX_ERROR_UNKNOWN if that
 * failed). VMX_FAULT: an exception, vector is its vector and error its
 * error code (0 without one).
 */
struct vmx_result {
	enum vmx_result_kind kind;
	uint32_t error;
	uint8_t vector;
};

bool vmx_result_equal(struct vmx_result a, struct vmx_result b);
/* "ok", "fail_invalid", "fail_valid", "fault". */
const char *vmx_result_kind_name(enum vmx_result_kind kind);
/* "<kind> <error>": "ok 0", "fail_invalid 0", "fail_valid 15", "fault #GP(0)", "fault #UD". */
void vmx_result_format(char *buf, size_t size, struct vmx_result r);
/* Prints "# outcome <label> <kind> <error>" (vmx_result_format), the line a harness compares. */
void vmx_outcome_print(const char *label, struct vmx_result r);

/* ---- detection and enabling ---- */

/*
 * Bare on Bochs 2.7 (its VMCS revision identifier, not under Umbra): where
 * a test tolerates a Bochs bug that docs/bochs.md lists, and only there.
 */
#define VMX_BOCHS_REVISION 0x2b
bool vmx_bare_bochs(void);

/* CPUID.1:ECX.VMX (bit 5). */
bool vmx_supported(void);
/* NULL if VMX is usable, else why not (for a SKIP). */
const char *vmx_unavailable(void);
const struct vmx_caps *vmx_caps(void);

/*
 * Sets CR0 and CR4 as VMX operation requires: the IA32_VMX_CR{0,4}_FIXED0
 * bits (CR4.VMXE among them) set, the FIXED1 zeros cleared. Leaves
 * IA32_FEATURE_CONTROL alone.
 */
void vmx_enable_cr(void);
/*
 * vmx_enable_cr(), after locking IA32_FEATURE_CONTROL with "VMXON outside
 * SMX" if it is unlocked. NULL on success, else why VMXON cannot work
 * (locked with VMX off).
 */
const char *vmx_enable(void);
/* Clears CR4.VMXE (outside VMX operation only: inside it #GPs). */
void vmx_cr4_vmxe_clear(void);
/* Whether the last VMXON succeeded and no VMXOFF has since. */
bool vmx_in_operation(void);
/* VMXOFF if vmx_in_operation(). */
void vmx_leave(void);

/*
 * (want | allowed-0 bits) & allowed-1 bits of capability MSR value cap;
 * vmx_controls_allow: whether every bit of `bits` may be 1.
 */
uint32_t vmx_controls(uint64_t cap, uint32_t want);
bool vmx_controls_allow(uint64_t cap, uint32_t bits);

/*
 * VMX regions: VMX_REGIONS page-aligned 4 KiB pages of this library.
 * vmx_region(slot, first_dword) zeroes page `slot` (0 .. VMX_REGIONS - 1),
 * writes first_dword (the revision identifier, normally vmx_caps()->
 * revision) at its start and returns its physical address.
 */
#define VMX_REGIONS 5
uint64_t vmx_region(unsigned int slot, uint32_t first_dword);

/* ---- the instructions, each at CPL 0 ---- */

struct vmx_result vmx_vmxon(uint64_t pa);
struct vmx_result vmx_vmxoff(void);
struct vmx_result vmx_vmclear(uint64_t pa);
struct vmx_result vmx_vmptrld(uint64_t pa);
/*
 * VMPTRLD whose memory operand is addressed through RSP (so through SS) at
 * the linear address `linear`: VMX_FAULT with the vector it raised, else
 * VMX_OK (its flags not looked at).
 */
struct vmx_result vmx_vmptrld_through_ss(uint64_t linear);
struct vmx_result vmx_vmptrst(uint64_t *pa);
/* The field operand is the whole 64-bit register (bits 63:32 included). */
struct vmx_result vmx_vmread(uint64_t field, uint64_t *value);
struct vmx_result vmx_vmwrite(uint64_t field, uint64_t value);
/* In a test: a VMX instruction of the set-up that must succeed, else the test fails (REQUIRE). */
#define SETUP(expr)                                                 \
	do {                                                        \
		struct vmx_result r_ = (expr);                      \
		char s_[48];                                        \
		if (r_.kind != VMX_OK) {                            \
			vmx_result_format(s_, sizeof(s_), r_);      \
			REQUIRE(false, "set-up %s: %s", #expr, s_); \
		}                                                   \
	} while (0)
/* type: the register operand; descriptor: {eptp, 0}. */
struct vmx_result vmx_invept(uint64_t type, uint64_t eptp);
/* type: the register operand; descriptor: {vpid_qword (VPID in bits 15:0), linear address}. */
struct vmx_result vmx_invvpid(uint64_t type, uint64_t vpid_qword, uint64_t linear);
struct vmx_result vmx_vmcall(void);

/*
 * Any of them by number, at CPL 0 or (vmx_exec_cpl3, catch_exception_cpl3)
 * at CPL 3. Operands: VMXON/VMCLEAR/VMPTRLD a = pointer; VMREAD a = field,
 * *out = value; VMWRITE a = field, b = value; VMPTRST *out = pointer;
 * INVEPT a = type, b = EPTP; INVVPID a = type, b = VPID qword (linear
 * address 0); VMLAUNCH/VMRESUME enter with all guest GPRs 0.
 */
enum vmx_insn {
	VMX_INSN_VMXON,
	VMX_INSN_VMXOFF,
	VMX_INSN_VMCLEAR,
	VMX_INSN_VMPTRLD,
	VMX_INSN_VMPTRST,
	VMX_INSN_VMREAD,
	VMX_INSN_VMWRITE,
	VMX_INSN_VMLAUNCH,
	VMX_INSN_VMRESUME,
	VMX_INSN_INVEPT,
	VMX_INSN_INVVPID,
	VMX_INSN_VMCALL,
	VMX_INSNS
};
const char *vmx_insn_name(enum vmx_insn insn); /* "vmxon", ... */
struct vmx_result vmx_exec(enum vmx_insn insn, uint64_t a, uint64_t b, uint64_t *out);
struct vmx_result vmx_exec_cpl3(enum vmx_insn insn, uint64_t a, uint64_t b, uint64_t *out);
/*
 * INVEPT (insn VMX_INSN_INVEPT) or INVVPID (VMX_INSN_INVVPID) of `type`
 * whose descriptor is addressed through RSP at `linear`: as
 * vmx_vmptrld_through_ss().
 */
struct vmx_result vmx_inv_through_ss(enum vmx_insn insn, uint64_t type, uint64_t linear);

/* ---- running an L2 ---- */

/* Guest GPRs (RSP is in the VMCS): vmx_entry.S knows these offsets. */
struct vmx_gprs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct vmx_vcpu {
	struct vmx_gprs gprs;
	/* After a VM exit (VMX_OK from vmx_vmlaunch/vmx_vmresume): */
	uint32_t exit_reason; /* the whole field: bit 31 = VM-entry failure */
	uint64_t exit_qualification;
	uint32_t exit_instruction_len;
	uint64_t guest_rip;
};

/*
 * Writes a complete, valid VMCS into the current VMCS: an L2 at CPL 0 in
 * 64-bit mode at `rip` on this library's L2 stack, with the payload's CR0,
 * CR3, CR4, GDT (cpl3_init()'s, TR included), IDT and flat segments,
 * RFLAGS 0x2; minimal controls (the allowed-0 bits, IA-32e mode guest,
 * 64-bit host), every exception exiting (bitmap all ones); host state =
 * the payload's, HOST_RIP/HOST_RSP = vmx_entry.S's exit path. The first
 * failing VMWRITE's result, else VMX_OK.
 */
struct vmx_result vmx_vmcs_init_l2(void (*rip)(void));
/*
 * VMLAUNCH / VMRESUME of the current VMCS with v->gprs; after a VM exit
 * (VMX_OK) v->gprs holds the guest's registers and the exit fields are
 * read into v. vmx_vmlaunch_after_mov_ss: MOV SS just before VMLAUNCH.
 */
struct vmx_result vmx_vmlaunch(struct vmx_vcpu *v);
struct vmx_result vmx_vmresume(struct vmx_vcpu *v);
struct vmx_result vmx_vmlaunch_after_mov_ss(struct vmx_vcpu *v);
/*
 * For the payloads that run L2s (vmx_region slots 0 and 1): vmx_fresh_l2_vmcs
 * makes a fresh VMCS in slot 1 current, holding vmx_vmcs_init_l2(rip);
 * vmx_root_with_l2 first leaves any VMX operation, enables VMX and does
 * VMXON with slot 0. NULL on success, else why not (for a SKIP or a failure).
 */
const char *vmx_fresh_l2_vmcs(void (*rip)(void));
const char *vmx_root_with_l2(void (*rip)(void));

/* GUEST_RIP := v->guest_rip + v->exit_instruction_len. */
struct vmx_result vmx_skip_instruction(struct vmx_vcpu *v);

/* L2 programs (vmx_entry.S), entered with any GPRs: CPUID; VMCALL; UD2. */
void vmx_l2_cpuid_vmcall(void);

#endif
