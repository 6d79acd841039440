/* Decoding a VMX instruction's operand from the exit information: see nvmx_operand.h. */
#include "nested/nvmx_operand.h"

void nvmx_insn_info_decode(uint32_t info, struct nvmx_insn_info *out)
{
	out->scaling = info & 3;
	out->reg1 = (info >> 3) & 15;
	out->addr_size = (info >> 7) & 7;
	out->mem = !(info & (1u << 10));
	out->segment = (info >> 15) & 7;
	out->index = (info >> 18) & 15;
	out->index_valid = !(info & (1u << 22));
	out->base = (info >> 23) & 15;
	out->base_valid = !(info & (1u << 27));
	out->reg2 = (info >> 28) & 15;
}

uint64_t nvmx_operand_linear(const struct nvmx_insn_info *ii, uint64_t displacement,
                             uint64_t segment_base, const uint64_t gpr[16])
{
	uint64_t offset = displacement;

	if (ii->base_valid)
		offset += gpr[ii->base];
	if (ii->index_valid)
		offset += gpr[ii->index] << ii->scaling;
	/* The effective address wraps at the address size; the segment base is then added. */
	if (ii->addr_size == 0)
		offset &= 0xffff;
	else if (ii->addr_size == 1)
		offset &= 0xffffffff;
	/* Outside 64-bit mode the linear address is 32 bits too. */
	return ii->addr_size == 2 ? segment_base + offset : (uint32_t)(segment_base + offset);
}
