/* L1 VPIDs to slots of hardware VPIDs: see vpid_map.h. */
#include "nested/vpid_map.h"

int vpid_map_find(const struct vpid_map *m, uint16_t vpid12)
{
	for (unsigned int s = 0; s < VPID_MAP_SLOTS; s++)
		if (vpid12 && m->l1[s] == vpid12)
			return (int)s;
	return -1;
}

unsigned int vpid_map_get(struct vpid_map *m, uint16_t vpid12, bool *fresh)
{
	int s = vpid_map_find(m, vpid12);
	unsigned int taken;

	if (s >= 0) {
		*fresh = false;
		return (unsigned int)s;
	}
	taken = m->next;
	m->next = (uint8_t)((m->next + 1) % VPID_MAP_SLOTS);
	m->l1[taken] = vpid12;
	*fresh = true;
	return taken;
}
