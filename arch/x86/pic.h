/* The legacy 8259 PICs: Umbra uses the local APIC only, so they are remapped and masked. */
#ifndef ARCH_X86_PIC_H
#define ARCH_X86_PIC_H

/*
 * BSP, before any CPU enables interrupts: remaps the PICs to vectors
 * 0x20-0x2F (the BIOS leaves IRQ0 on vector 8, where it would look like a
 * double fault) and masks every line.
 */
void pic_disable(void);

#endif
