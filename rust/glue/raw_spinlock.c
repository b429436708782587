// SPDX-License-Identifier: GPL-2.0
/*
 * raw_spinlock_t for rust/raw_spinlock.rs. The sampler's timer runs in hard-interrupt context,
 * where only a raw spinlock may be taken (spinlock_t sleeps on PREEMPT_RT, and lockdep's
 * PROVE_RAW_LOCK_NESTING reports it as an invalid wait context everywhere). Rust's kernel crate
 * offers no raw spinlock, and the C API is macros, so these few wrappers make it callable; the
 * Rust side plugs them into the kernel crate's own `Lock` type as a lock backend.
 */
#include <linux/lockdep.h>
#include <linux/spinlock.h>

#include "glue.h"

/* As rust/helpers/spinlock.c initialises a spinlock_t, with the name and class Rust gives. */
void loadavg_rs_raw_spin_lock_init(raw_spinlock_t *lock, const char *name,
				   struct lock_class_key *key)
{
#ifdef CONFIG_DEBUG_SPINLOCK
	__raw_spin_lock_init(lock, name, key, LD_WAIT_SPIN);
#else
	raw_spin_lock_init(lock);
#endif
}

unsigned long loadavg_rs_raw_spin_lock_irqsave(raw_spinlock_t *lock)
{
	unsigned long flags;

	raw_spin_lock_irqsave(lock, flags);
	return flags;
}

int loadavg_rs_raw_spin_trylock_irqsave(raw_spinlock_t *lock, unsigned long *flags)
{
	return raw_spin_trylock_irqsave(lock, *flags);
}

void loadavg_rs_raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags)
{
	raw_spin_unlock_irqrestore(lock, flags);
}

void loadavg_rs_raw_spin_assert_held(raw_spinlock_t *lock)
{
	lockdep_assert_held(lock);
}
