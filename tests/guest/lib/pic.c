/*
 * The legacy 8259 PICs: moved off the exception vectors and masked, as any
 * OS does before enabling interrupts. Masking LINT0 in the local APIC is
 * not enough everywhere: some platforms (and Bochs) feed the PIC's INTR to
 * the CPU around the APIC, and a BIOS leaves the PIT's IRQ 0 unmasked on
 * vector 8, where it would look like a double fault.
 */
#include "payload.h"

#define PIC1_CMD        0x20
#define PIC1_DATA       0x21
#define PIC2_CMD        0xa0
#define PIC2_DATA       0xa1
#define PIC_ICW1_INIT   0x11 /* edge, cascade, ICW4 follows */
#define PIC_ICW3_MASTER 0x04 /* the slave on IRQ 2 */
#define PIC_ICW3_SLAVE  0x02 /* its cascade identity */
#define PIC_ICW4_8086   0x01
#define PIC_MASK_ALL    0xff
#define POST_PORT       0x80 /* a write there is the classic I/O delay */

static void pic_out(uint16_t port, uint8_t v)
{
	outb(port, v);
	outb(POST_PORT, 0);
}

void pic_init_masked(uint8_t vector_base)
{
	pic_out(PIC1_CMD, PIC_ICW1_INIT);
	pic_out(PIC2_CMD, PIC_ICW1_INIT);
	pic_out(PIC1_DATA, vector_base);
	pic_out(PIC2_DATA, (uint8_t)(vector_base + 8));
	pic_out(PIC1_DATA, PIC_ICW3_MASTER);
	pic_out(PIC2_DATA, PIC_ICW3_SLAVE);
	pic_out(PIC1_DATA, PIC_ICW4_8086);
	pic_out(PIC2_DATA, PIC_ICW4_8086);
	pic_out(PIC1_DATA, PIC_MASK_ALL);
	pic_out(PIC2_DATA, PIC_MASK_ALL);
}
