/* Remapping and masking the legacy PICs: see pic.h. */
#include "arch/x86/pic.h"

#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"

#define PIC1_CMD       0x20
#define PIC1_DATA      0x21
#define PIC2_CMD       0xa0
#define PIC2_DATA      0xa1
#define ICW1_INIT_ICW4 0x11
#define ICW4_8086      0x01

void pic_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, VECTOR_FIRST_IRQ);     /* ICW2: master's vector base */
	outb(PIC2_DATA, VECTOR_FIRST_IRQ + 8); /* ICW2: slave's */
	outb(PIC1_DATA, 1 << 2);               /* ICW3: slave on IRQ2 */
	outb(PIC2_DATA, 2);                    /* ICW3: its cascade identity */
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, 0xff); /* OCW1: every line masked */
	outb(PIC2_DATA, 0xff);
}
