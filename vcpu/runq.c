/* Round-robin run queues (see runq.h). */
#include "vcpu/runq.h"

bool runq_add(struct runq *q, struct vcpu *v)
{
	if (q->count == RUNQ_MAX)
		return false;
	/* Inserted just before the one whose turn is next: it runs after all the others. */
	for (uint32_t i = q->count; i > q->next; i--)
		q->v[i] = q->v[i - 1];
	q->v[q->next] = v;
	q->count++;
	q->next = (q->next + 1) % q->count;
	return true;
}

void runq_remove(struct runq *q, struct vcpu *v)
{
	uint32_t i;

	for (i = 0; i < q->count && q->v[i] != v; i++)
		;
	if (i == q->count)
		return;
	for (uint32_t j = i; j + 1 < q->count; j++)
		q->v[j] = q->v[j + 1];
	q->count--;
	/* Entries after i moved down one: so did the next turn, if it was past i. */
	if (q->next > i)
		q->next--;
	if (q->count == 0 || q->next >= q->count)
		q->next = 0;
}
