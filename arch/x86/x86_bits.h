/*
 * x86 architectural constants from the Intel SDM: control-register, EFER,
 * RFLAGS and debug-register bits, exception vectors, segment access rights
 * and page sizes. Plain values and decoders only, no code and no includes,
 * so pure, host-tested modules (and assembly) may include it; cpu.h, msr.h
 * and idt.h add the privileged instructions. VMX's own constants are in
 * vmx/vmx_bits.h.
 */
#ifndef ARCH_X86_X86_BITS_H
#define ARCH_X86_X86_BITS_H

/* CR0 (SDM Vol. 3, 2.5). */
#define CR0_PE (1UL << 0)
#define CR0_MP (1UL << 1)
#define CR0_EM (1UL << 2)
#define CR0_TS (1UL << 3)
#define CR0_ET (1UL << 4)
#define CR0_NE (1UL << 5)
#define CR0_WP (1UL << 16)
#define CR0_NW (1UL << 29)
#define CR0_CD (1UL << 30)
#define CR0_PG (1UL << 31)

/* CR4 (SDM Vol. 3, 2.5). */
#define CR4_PSE     (1UL << 4)
#define CR4_PAE     (1UL << 5)
#define CR4_PGE     (1UL << 7)
#define CR4_OSFXSR  (1UL << 9)
#define CR4_LA57    (1UL << 12)
#define CR4_VMXE    (1UL << 13)
#define CR4_PCIDE   (1UL << 17)
#define CR4_OSXSAVE (1UL << 18)
#define CR4_SMEP    (1UL << 20)
#define CR4_SMAP    (1UL << 21)
#define CR4_CET     (1UL << 23)

/* IA32_EFER (MSR 0xc0000080; SDM Vol. 3, 2.2.1). */
#define EFER_SCE (1ULL << 0)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

/* RFLAGS (SDM Vol. 1, 3.4.3). */
#define RFLAGS_CF     (1ULL << 0)
#define RFLAGS_FIXED1 (1ULL << 1) /* reads as 1 */
#define RFLAGS_ZF     (1ULL << 6)
#define RFLAGS_IF     (1ULL << 9)
#define RFLAGS_DF     (1ULL << 10)
#define RFLAGS_RF     (1ULL << 16)
#define RFLAGS_VM     (1ULL << 17)
#define RFLAGS_ARITH  0x8d5ULL /* CF, PF, AF, ZF, SF, OF */
#define RFLAGS_RSVD   (~0ULL << 22 | 1ULL << 15 | 1ULL << 5 | 1ULL << 3)

/* DR6 and DR7 after reset (SDM Vol. 3, 10.1.1). */
#define DR6_RESET 0xffff0ff0ULL
#define DR7_RESET 0x400ULL

/* Exception vectors (SDM Vol. 3, 6.3.1); 32 is the first one free for interrupts. */
#define VECTOR_DEBUG         1
#define VECTOR_NMI           2
#define VECTOR_UD            6
#define VECTOR_DOUBLE_FAULT  8
#define VECTOR_SS            12
#define VECTOR_GP            13
#define VECTOR_PF            14
#define VECTOR_MACHINE_CHECK 18
#define VECTOR_FIRST_IRQ     32

/*
 * Segment access rights as the VMCS holds them (SDM Vol. 3, 25.4.1): the
 * descriptor's type, S, DPL, P, AVL, L, D/B and G bits, and VMX's
 * "unusable" bit 16.
 */
#define AR_TYPE_MASK 0xfu
#define AR_TYPE(ar)  ((ar)&AR_TYPE_MASK)
#define AR_S         (1u << 4)
#define AR_DPL_SHIFT 5
#define AR_DPL(ar)   (((ar) >> AR_DPL_SHIFT) & 3u)
#define AR_P         (1u << 7)
#define AR_L         (1u << 13) /* CS: 64-bit code */
#define AR_DB        (1u << 14) /* CS: 32-bit default operand size */
#define AR_G         (1u << 15)
#define AR_UNUSABLE  (1u << 16)
#define AR_RESERVED  (0xf00u | 0xfffe0000u)
/* The type field (S = 1: code and data; S = 0: system segments). */
#define AR_TYPE_ACCESSED   1u
#define AR_TYPE_READABLE   2u /* code; for data: writable */
#define AR_TYPE_CONFORMING 4u
#define AR_TYPE_CODE       8u
#define AR_TYPE_LDT        2u
#define AR_TYPE_TSS16_BUSY 3u
#define AR_TYPE_TSS_BUSY   11u /* 32-bit busy TSS; 64-bit in IA-32e mode */
/* Whole access rights of the segments Umbra loads (DPL 0; code and data accessed). */
#define AR_CODE64      0xa09bu /* present, execute/read, L, G */
#define AR_CODE32      0xc09bu /* present, execute/read, D, G */
#define AR_DATA32      0xc093u /* present, read/write, D/B, G */
#define AR_TSS_BUSY    0x008bu /* present, busy 32-bit (in IA-32e mode 64-bit) TSS */
#define AR_TSS16_BUSY  0x83u   /* present, busy 16-bit TSS */
#define AR_CODE16_REAL 0x9bu   /* present, execute/read, 16-bit, byte granularity */
#define AR_DATA16_REAL 0x93u   /* present, read/write, 16-bit, byte granularity */

/* Page sizes, and the offset bits of a 4 KiB page. */
#define PAGE_SIZE_4K 0x1000ULL
#define PAGE_SIZE_2M 0x200000ULL
#define PAGE_SIZE_1G 0x40000000ULL
#define PAGE_MASK_4K 0xfffULL

/* Paging-structure entry bits (SDM Vol. 3, 4.5). */
#define PTE_PRESENT   (1ULL << 0)
#define PTE_WRITE     (1ULL << 1)
#define PTE_USER      (1ULL << 2)
#define PTE_LARGE     (1ULL << 7) /* PS: maps a 2 MiB / 1 GiB page */
#define PTE_XD        (1ULL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

/* PAE paging: CR3 holds the 32-byte-aligned address of the four PDPTEs. */
#define PDPTE_ALIGN_MASK 0xffffffe0ULL
#define PDPTE_P          1ULL
#define PDPTE_RESERVED   (3ULL << 1 | 0xfULL << 5)

#endif
