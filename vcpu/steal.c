/* Work stealing's choice of victim (see steal.h). */
#include "vcpu/steal.h"

int steal_victim(const uint32_t *ready, uint32_t n, uint32_t self)
{
	int victim = -1;
	uint32_t most = STEAL_MIN_READY - 1;

	for (uint32_t i = 0; i < n; i++) {
		if (i != self && ready[i] > most) {
			most = ready[i];
			victim = (int)i;
		}
	}
	return victim;
}
