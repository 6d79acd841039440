/*
 * A CPU's run queue: the vCPUs placed on it, taken in turn (round robin).
 * Pure (host-tested); only its own CPU changes it, so it needs no lock.
 */
#ifndef VCPU_RUNQ_H
#define VCPU_RUNQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNQ_MAX 64

struct vcpu;

struct runq {
	struct vcpu *v[RUNQ_MAX];
	uint32_t count;
	uint32_t next; /* index of the vCPU whose turn is next */
	/* Context switches on this CPU, and TSC ticks from one vCPU's slice to the next's. */
	uint64_t switches, switch_cycles;
};

/* Appends v (it gets its first turn after those already there). False if full. */
bool runq_add(struct runq *q, struct vcpu *v);
/* Removes v; the others keep their order and the turn passes to v's successor. */
void runq_remove(struct runq *q, struct vcpu *v);

/*
 * The vCPU i turns from now (i < count; 0: the one whose turn it is),
 * without moving the turn: a look over the queue, in turn order.
 */
static inline struct vcpu *runq_peek(const struct runq *q, uint32_t i)
{
	uint32_t at = q->next + i;

	return q->v[at < q->count ? at : at - q->count];
}

/* The next turn goes to the vCPU after the one runq_peek(q, i) gives (inline: each switch). */
static inline void runq_turn_after(struct runq *q, uint32_t i)
{
	q->next = (q->next + i + 1) % q->count;
}

/* The vCPU whose turn it is (NULL if none); the turn moves on to the one after it. */
static inline struct vcpu *runq_pick(struct runq *q)
{
	struct vcpu *v;

	if (q->count == 0)
		return NULL;
	v = runq_peek(q, 0);
	runq_turn_after(q, 0);
	return v;
}

#endif
