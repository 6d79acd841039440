/* Two 8259A PICs that are programmed like real ones and raise nothing: see vpic.h. */
#include "vcpu/vpic.h"

#include <string.h>

#define ICW1_BIT    0x10 /* a command-port write with bit 4 set starts initialisation */
#define ICW1_IC4    0x01
#define ICW1_SINGLE 0x02
#define OCW3_BIT    0x08 /* command-port writes with bit 3 set (bit 4 clear) are OCW3 */
#define OCW3_RR     0x02 /* read register command */
#define OCW3_RIS    0x01 /* ... ISR rather than IRR */

void vpic_reset(struct vpic *p)
{
	memset(p, 0, sizeof(*p));
	/* Until the guest programs them, every line is masked: nothing could come anyway. */
	p->chip[0].imr = 0xff;
	p->chip[1].imr = 0xff;
}

struct vpic_chip *vpic_chip_of(struct vpic *p, uint16_t port, bool *data)
{
	*data = port & 1;
	if (port == 0x20 || port == 0x21)
		return &p->chip[0];
	if (port == 0xa0 || port == 0xa1)
		return &p->chip[1];
	return NULL;
}

bool vpic_in(struct vpic *p, uint16_t port, uint8_t *val)
{
	bool data;
	struct vpic_chip *c = vpic_chip_of(p, port, &data);

	if (!c)
		return false;
	/* Data port: the mask. Command port: IRR or ISR, both empty. */
	*val = data ? c->imr : 0;
	return true;
}

bool vpic_out(struct vpic *p, uint16_t port, uint8_t val)
{
	bool data;
	struct vpic_chip *c = vpic_chip_of(p, port, &data);

	if (!c)
		return false;
	if (!data) {
		if (val & ICW1_BIT) {
			/* ICW1: the mask is cleared and ICW2 (and 3, 4) follow on the data port. */
			c->icw_step = 2;
			c->need_icw4 = val & ICW1_IC4;
			c->single = val & ICW1_SINGLE;
			c->imr = 0;
		} else if ((val & OCW3_BIT) && (val & OCW3_RR)) {
			c->read_isr = val & OCW3_RIS;
		}
		/* OCW2 (EOI, rotation): nothing is ever in service. */
		return true;
	}
	switch (c->icw_step) {
	case 2:
		c->vector_base = val & 0xf8;
		c->icw_step = c->single ? (c->need_icw4 ? 4 : 0) : 3;
		break;
	case 3: c->icw_step = c->need_icw4 ? 4 : 0; break;
	case 4: c->icw_step = 0; break;
	default: c->imr = val; break; /* OCW1 */
	}
	return true;
}
