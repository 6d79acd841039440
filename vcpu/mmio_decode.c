#include "vcpu/mmio_decode.h"

#include <string.h>

static int fail(struct mmio_insn *out, int rc, const char *why)
{
	out->error = why;
	return rc;
}

/* Bytes beyond bytes[pos] missing: ESHORT asking for `need`, or ETOOLONG past 15. */
static int need_more(struct mmio_insn *out, size_t need)
{
	if (need > MMIO_INSN_MAX_LEN)
		return fail(out, MMIO_DECODE_ETOOLONG, "instruction longer than 15 bytes");
	out->len = (uint8_t)need;
	return fail(out, MMIO_DECODE_ESHORT, "instruction truncated");
}

/* Little-endian value of n bytes (n <= 8). */
static uint64_t read_le(const uint8_t *b, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* Sign-extends the low `from` bytes of v to `to` bytes (the rest zero). */
static uint64_t sign_extend(uint64_t v, unsigned int from, unsigned int to)
{
	unsigned int shift = 64 - 8 * from;
	uint64_t s = (uint64_t)((int64_t)(v << shift) >> shift);

	return to >= 8 ? s : s & ((1ULL << (8 * to)) - 1);
}

/*
 * Bytes of SIB and displacement that follow the ModRM byte (mod != 3).
 * `sib` is the byte after ModRM, valid only when *has_sib comes back true
 * (the caller has checked it is available).
 */
static unsigned int modrm_tail(uint8_t modrm, unsigned int addr_size, bool *has_sib,
                               bool *rip_relative)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7;

	*has_sib = false;
	*rip_relative = false;
	if (addr_size == 2) {
		/* 16-bit: no SIB; mod 0 r/m 6 is [disp16]. */
		if (mod == 0)
			return rm == 6 ? 2 : 0;
		return mod == 1 ? 1 : 2;
	}
	if (rm == 4)
		*has_sib = true;
	if (mod == 0) {
		if (rm == 5) {
			*rip_relative = true; /* in 64-bit mode; [disp32] otherwise */
			return 4;
		}
		return 0;
	}
	return mod == 1 ? 1 : 4;
}

int mmio_decode(const uint8_t *bytes, size_t avail, enum mmio_cpu_mode mode, struct mmio_insn *out)
{
	bool opsize = false, adsize = false, twobyte = false, has_sib, rip_rel;
	uint8_t rex = 0, op, modrm;
	unsigned int osz, asz, mod, reg, imm_size = 0;
	size_t pos = 0, tail;

	memset(out, 0, sizeof(*out));
	if (mode != MMIO_MODE_16 && mode != MMIO_MODE_32 && mode != MMIO_MODE_64)
		return fail(out, MMIO_DECODE_EMODE, "bad CPU mode");

	/* Prefixes, then the opcode. */
	for (;;) {
		if (pos >= MMIO_INSN_MAX_LEN || pos >= avail)
			return need_more(out, pos + 1);
		op = bytes[pos++];
		if (mode == MMIO_MODE_64 && (op & 0xf0) == 0x40) {
			rex = op; /* a later prefix discards it, a later REX replaces it */
			continue;
		}
		switch (op) {
		case 0x66: opsize = true; break;
		case 0x67: adsize = true; break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
		case 0x64:
		case 0x65: break;
		case 0xf0: return fail(out, MMIO_DECODE_EPREFIX, "LOCK prefix");
		case 0xf2: return fail(out, MMIO_DECODE_EPREFIX, "REPNE prefix");
		case 0xf3: return fail(out, MMIO_DECODE_EPREFIX, "REP prefix");
		default: goto opcode;
		}
		rex = 0;
	}
opcode:
	if (op == 0x0f) {
		if (pos >= MMIO_INSN_MAX_LEN || pos >= avail)
			return need_more(out, pos + 1);
		op = bytes[pos++];
		twobyte = true;
		if (op != 0xb6 && op != 0xb7)
			return fail(out, MMIO_DECODE_EOPCODE, "unsupported opcode 0F xx");
	} else {
		switch (op) {
		case 0x88:
		case 0x89:
		case 0x8a:
		case 0x8b:
		case 0xc6:
		case 0xc7:
		case 0xa0:
		case 0xa1:
		case 0xa2:
		case 0xa3: break;
		default: return fail(out, MMIO_DECODE_EOPCODE, "unsupported opcode");
		}
	}

	/* Operand and address sizes (SDM Vol. 1, 3.6 and Vol. 2, 2.2.1.2). */
	if (mode == MMIO_MODE_64) {
		osz = (rex & 0x08) ? 8 : opsize ? 2 : 4;
		asz = adsize ? 4 : 8;
	} else if (mode == MMIO_MODE_32) {
		osz = opsize ? 2 : 4;
		asz = adsize ? 2 : 4;
	} else {
		osz = opsize ? 4 : 2;
		asz = adsize ? 4 : 2;
	}

	out->addr_size = (uint8_t)asz;
	if (op >= 0xa0 && op <= 0xa3 && !twobyte) {
		/* MOV with the accumulator and a moffs of the address size, no ModRM. */
		out->dir = op < 0xa2 ? MMIO_DIR_READ : MMIO_DIR_WRITE;
		out->size = (op & 1) ? (uint8_t)osz : 1;
		out->reg = 0;
		out->reg_size = out->size;
		if (pos + asz > MMIO_INSN_MAX_LEN || pos + asz > avail)
			return need_more(out, pos + asz);
		out->len = (uint8_t)(pos + asz);
		return 0;
	}

	/* ModRM. */
	if (pos >= MMIO_INSN_MAX_LEN || pos >= avail)
		return need_more(out, pos + 1);
	modrm = bytes[pos++];
	mod = modrm >> 6;
	reg = (modrm >> 3) & 7;
	if (mod == 3)
		return fail(out, MMIO_DECODE_EREGISTER, "register operand, not memory");
	if (!twobyte && (op == 0xc6 || op == 0xc7) && reg != 0)
		return fail(out, MMIO_DECODE_EOPCODE, "unsupported C6/C7 /reg");

	/* SIB and displacement: the SIB byte, if any, may add a disp32. */
	tail = modrm_tail(modrm, asz, &has_sib, &rip_rel);
	if (has_sib) {
		if (pos >= MMIO_INSN_MAX_LEN || pos >= avail)
			return need_more(out, pos + 1 + tail);
		if (mod == 0 && (bytes[pos] & 7) == 5)
			tail = 4; /* no base: [index * scale + disp32] */
		tail += 1;
	}
	out->rip_relative = rip_rel && mode == MMIO_MODE_64;

	/* Access size, direction, register or immediate. */
	out->reg = (uint8_t)(reg | ((rex & 0x04) ? 8 : 0));
	if (twobyte) {
		out->dir = MMIO_DIR_READ;
		out->size = op == 0xb6 ? 1 : 2;
		out->reg_size = (uint8_t)osz;
		out->zero_extend = true;
	} else {
		bool byte = !(op & 1);

		out->size = byte ? 1 : (uint8_t)osz;
		out->dir = (op == 0x8a || op == 0x8b) ? MMIO_DIR_READ : MMIO_DIR_WRITE;
		if (op == 0xc6 || op == 0xc7) {
			out->has_imm = true;
			out->reg = 0;
			imm_size = out->size > 4 ? 4 : out->size;
		} else {
			out->reg_size = out->size;
			if (byte && !rex && reg >= 4) {
				out->high8 = true; /* AH, CH, DH, BH */
				out->reg = (uint8_t)(reg - 4);
			}
		}
	}

	if (pos + tail + imm_size > MMIO_INSN_MAX_LEN || pos + tail + imm_size > avail)
		return need_more(out, pos + tail + imm_size);
	pos += tail;
	if (out->has_imm)
		out->imm = sign_extend(read_le(bytes + pos, imm_size), imm_size, out->size);
	pos += imm_size;
	out->len = (uint8_t)pos;
	return 0;
}

const char *mmio_decode_error(int rc)
{
	switch (rc) {
	case 0: return "ok";
	case MMIO_DECODE_ESHORT: return "instruction truncated";
	case MMIO_DECODE_EOPCODE: return "unsupported opcode";
	case MMIO_DECODE_EPREFIX: return "unsupported prefix (LOCK/REP)";
	case MMIO_DECODE_EREGISTER: return "register operand, not memory";
	case MMIO_DECODE_ETOOLONG: return "instruction longer than 15 bytes";
	case MMIO_DECODE_EMODE: return "bad CPU mode";
	default: return "unknown error";
	}
}

static uint64_t low_bytes(uint64_t v, unsigned int n)
{
	return n >= 8 ? v : v & ((1ULL << (8 * n)) - 1);
}

uint64_t mmio_insn_store_value(const struct mmio_insn *insn, uint64_t reg_value)
{
	if (insn->has_imm)
		return low_bytes(insn->imm, insn->size);
	if (insn->high8)
		reg_value >>= 8;
	return low_bytes(reg_value, insn->size);
}

uint64_t mmio_insn_load_result(const struct mmio_insn *insn, uint64_t old_reg, uint64_t mem_value)
{
	uint64_t v = low_bytes(mem_value, insn->size);

	switch (insn->reg_size) {
	case 1:
		if (insn->high8)
			return (old_reg & ~0xff00ULL) | (v << 8);
		return (old_reg & ~0xffULL) | v;
	case 2: return (old_reg & ~0xffffULL) | v;
	default: return v; /* 4 bytes zero-extend to 64, 8 replace all */
	}
}
