/*
 * newlib's retargetable locks, so malloc and stdio are safe on every CPU.
 * All are recursive spinlocks owned by a CPU (the hypervisor runs with
 * interrupts off, so a CPU never re-enters except through a nested fault).
 */
#include <stdint.h>
#include <sys/lock.h>

#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "lib/spinlock.h"

#define NO_OWNER UINT32_MAX

struct __lock {
	struct spinlock spin;
	volatile uint32_t owner;
	uint32_t depth;
};

#define STATIC_LOCK(name) struct __lock name = {SPINLOCK_INIT, NO_OWNER, 0}
STATIC_LOCK(__lock___sinit_recursive_mutex);
STATIC_LOCK(__lock___sfp_recursive_mutex);
STATIC_LOCK(__lock___atexit_recursive_mutex);
STATIC_LOCK(__lock___at_quick_exit_mutex);
STATIC_LOCK(__lock___malloc_recursive_mutex);
STATIC_LOCK(__lock___env_recursive_mutex);
STATIC_LOCK(__lock___tz_mutex);
STATIC_LOCK(__lock___dd_hash_mutex);
STATIC_LOCK(__lock___arc4random_mutex);

/* Dynamic locks (newlib asks for them per FILE) share one: simple and enough. */
static struct __lock dynamic_lock = {SPINLOCK_INIT, NO_OWNER, 0};

void __retarget_lock_init(_LOCK_T *lock)
{
	*lock = &dynamic_lock;
}

void __retarget_lock_init_recursive(_LOCK_T *lock)
{
	*lock = &dynamic_lock;
}

void __retarget_lock_close(_LOCK_T lock)
{
	(void)lock;
}

void __retarget_lock_close_recursive(_LOCK_T lock)
{
	(void)lock;
}

int __retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
	uint32_t me = this_cpu_index_safe();

	if (lock->owner == me) {
		lock->depth++;
		return 1;
	}
	if (!spin_trylock(&lock->spin))
		return 0;
	lock->owner = me;
	lock->depth = 1;
	return 1;
}

void __retarget_lock_acquire_recursive(_LOCK_T lock)
{
	while (!__retarget_lock_try_acquire_recursive(lock))
		cpu_relax();
}

void __retarget_lock_release_recursive(_LOCK_T lock)
{
	if (--lock->depth == 0) {
		lock->owner = NO_OWNER;
		spin_unlock(&lock->spin);
	}
}

int __retarget_lock_try_acquire(_LOCK_T lock)
{
	return __retarget_lock_try_acquire_recursive(lock);
}

void __retarget_lock_acquire(_LOCK_T lock)
{
	__retarget_lock_acquire_recursive(lock);
}

void __retarget_lock_release(_LOCK_T lock)
{
	__retarget_lock_release_recursive(lock);
}
