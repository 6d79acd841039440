/*
 * Decoding of the one instruction behind an MMIO exit (pure, host-tested).
 *
 * An EPT violation gives the guest-physical address and whether the access
 * was a read or a write, but neither the data nor the instruction's length:
 * the caller fetches the bytes at the guest's RIP (vcpu/guest_walk.h) and
 * decodes them here, enough to emulate the access and step over it.
 *
 * Supported (guests reach the xAPIC with plain MOVs):
 *   88 /r  MOV m8, r8           8A /r  MOV r8, m8
 *   89 /r  MOV m16/32/64, r     8B /r  MOV r, m16/32/64
 *   C6 /0  MOV m8, imm8         C7 /0  MOV m16/32/64, imm16/32 (imm32 sign-extended with REX.W)
 *   0F B6  MOVZX r, m8          0F B7  MOVZX r, m16
 *   A0     MOV AL, moffs8       A1     MOV eAX, moffs     (moffs: an absolute
 *   A2     MOV moffs8, AL       A3     MOV moffs, eAX      address of the address size)
 * with the prefixes 66 (operand size), 67 (address size), segment overrides
 * 26 2E 36 3E 64 65 (ignored: the exit gives the address) and, in 64-bit
 * mode, REX (40-4F). As on the CPU, a REX counts only immediately before the
 * opcode (or its 0F escape); one followed by another prefix is ignored.
 * ModRM, SIB and displacements follow the SDM (Vol. 2, 2.1.5 and 2.2.1):
 * 16-bit addressing (no SIB, disp16, mod 0 r/m 6 = disp16 alone) and 32/64-bit
 * addressing (SIB for r/m 4, mod 0 r/m 5 = disp32 or RIP-relative disp32 in
 * 64-bit mode, SIB base 5 with mod 0 = disp32 without base).
 *
 * A0-A3 (what assemblers emit for a MOV between the accumulator and a
 * constant address such as 0xFEE000B0) use the accumulator: reg 0.
 *
 * Refused: F2, F3 and LOCK prefixes, any other opcode, a register operand
 * (mod 3), C6/C7 with reg != 0, 16 or more bytes (the CPU's 15-byte limit).
 */
#ifndef VCPU_MMIO_DECODE_H
#define VCPU_MMIO_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CPU mode the instruction runs in (from CS.L, CS.D and CR0.PE/EFER.LMA). */
enum mmio_cpu_mode {
	MMIO_MODE_16, /* real mode, virtual-8086, or protected with CS.D = 0 */
	MMIO_MODE_32, /* protected or compatibility mode with CS.D = 1 */
	MMIO_MODE_64, /* 64-bit mode (EFER.LMA = 1, CS.L = 1) */
};

enum mmio_dir {
	MMIO_DIR_READ,  /* memory -> register (MOV r, m; MOVZX) */
	MMIO_DIR_WRITE, /* register or immediate -> memory */
};

/* The longest x86 instruction; fetching this many bytes (or to a page end) always suffices. */
#define MMIO_INSN_MAX_LEN 15

/* Return codes of mmio_decode() (0 = decoded). */
#define MMIO_DECODE_ESHORT    (-1) /* `avail` too small: out->len is the bytes needed so far */
#define MMIO_DECODE_EOPCODE   (-2) /* not one of the supported opcodes */
#define MMIO_DECODE_EPREFIX   (-3) /* F2, F3 or LOCK */
#define MMIO_DECODE_EREGISTER (-4) /* ModRM names a register (mod 3), not memory */
#define MMIO_DECODE_ETOOLONG  (-5) /* more than 15 bytes */
#define MMIO_DECODE_EMODE     (-6) /* `mode` is not an enum mmio_cpu_mode */

struct mmio_insn {
	uint8_t len;       /* instruction length in bytes (RIP += len) */
	enum mmio_dir dir; /* direction of the access */
	uint8_t size;      /* bytes accessed in memory: 1, 2, 4 or 8 */
	/*
	 * The register operand (MMIO_DIR_READ, or a write without has_imm):
	 * reg is its x86 number, 0 = RAX ... 15 = R15 (REX.R included), so
	 * that guest_gpr(g, reg) names it. reg_size is its width in bytes (=
	 * size, except MOVZX: 2, 4 or 8 while size is 1 or 2).
	 * high8: the register is AH, CH, DH or BH (a byte form without REX,
	 * encoded 4-7): bits 15:8 of reg, which is then 0-3 (RAX-RBX).
	 */
	uint8_t reg;
	uint8_t reg_size;
	bool high8;
	bool zero_extend;  /* MOVZX: the value read is zero-extended to reg_size */
	bool has_imm;      /* MOV m, imm: the value written is imm, not a register */
	uint64_t imm;      /* C6/C7's immediate, sign-extended to `size` bytes (and no further) */
	uint8_t addr_size; /* address size in bytes (2, 4, 8; A0-A3: the moffs's size) */
	bool rip_relative; /* 64-bit mode, mod 0 r/m 5: informative */
	const char *error; /* on failure: a short reason ("LOCK prefix", ...) */
};

/*
 * Decodes the instruction in bytes[0 .. avail). Returns 0 and fills `out`,
 * or a negative MMIO_DECODE_E* with out->error set; on MMIO_DECODE_ESHORT,
 * out->len (> avail) is how many bytes are known to be needed so far: fetch
 * at least that many (or MMIO_INSN_MAX_LEN) and decode again.
 */
int mmio_decode(const uint8_t *bytes, size_t avail, enum mmio_cpu_mode mode, struct mmio_insn *out);

/* A short reason for a return code of mmio_decode() ("ok" for 0). */
const char *mmio_decode_error(int rc);

/*
 * MMIO_DIR_WRITE: the value to store (its low `size` bytes), given the full
 * 64-bit content of register insn->reg (ignored when has_imm).
 */
uint64_t mmio_insn_store_value(const struct mmio_insn *insn, uint64_t reg_value);

/*
 * MMIO_DIR_READ: the new full 64-bit content of register insn->reg, given
 * its old content and the value read from memory (its low `size` bytes
 * count). As on the CPU: 1- and 2-byte writes (AL, AH, AX...) keep the
 * other bits, 4-byte writes clear bits 63:32, 8-byte writes replace all.
 */
uint64_t mmio_insn_load_result(const struct mmio_insn *insn, uint64_t old_reg, uint64_t mem_value);

#endif
