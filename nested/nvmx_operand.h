/*
 * The operand of a VMX instruction an L1 executed, from the VM-exit
 * instruction-information field and the exit qualification (SDM Vol. 3
 * 28.2.5 "Information for VM Exits Due to Instruction Execution", table
 * "Format of the VM-Exit Instruction-Information Field as Used for VMCLEAR,
 * VMPTRLD, VMPTRST, VMXON, XRSTORS, and XSAVES" and the VMREAD/VMWRITE and
 * INVEPT/INVVPID variants). Pure: the caller supplies the registers.
 */
#ifndef NESTED_NVMX_OPERAND_H
#define NESTED_NVMX_OPERAND_H

#include <stdbool.h>
#include <stdint.h>

/* The instruction-information field, decoded. */
struct nvmx_insn_info {
	uint8_t scaling;   /* bits 1:0: index scaled by 1 << scaling */
	uint8_t reg1;      /* bits 6:3: VMREAD/VMWRITE's register operand, INVEPT's type register */
	uint8_t addr_size; /* bits 9:7: 0 = 16-bit, 1 = 32-bit, 2 = 64-bit */
	bool mem;          /* bit 10 clear: the other operand is in memory */
	uint8_t segment;   /* bits 17:15: ES, CS, SS, DS, FS, GS */
	uint8_t index;     /* bits 21:18 */
	bool index_valid;  /* bit 22 clear */
	uint8_t base;      /* bits 26:23 */
	bool base_valid;   /* bit 27 clear */
	uint8_t reg2; /* bits 31:28: INVEPT/INVVPID type register, VMREAD/VMWRITE register operand */
};

void nvmx_insn_info_decode(uint32_t info, struct nvmx_insn_info *out);

/*
 * The memory operand's linear address: segment base + base register +
 * index * scale + displacement (the exit qualification), truncated to the
 * address size (the sum wraps like the CPU's in 16- and 32-bit modes).
 * gpr[n] is register n's value (RSP included).
 */
uint64_t nvmx_operand_linear(const struct nvmx_insn_info *ii, uint64_t displacement,
                             uint64_t segment_base, const uint64_t gpr[16]);

#endif
