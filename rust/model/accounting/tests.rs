// SPDX-License-Identifier: GPL-2.0

//! The tests of [`crate::model::accounting`]: what each definition counts, fact by fact.

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_accounting))]
mod suite {
    use crate::model::accounting::{Accounting, Counts, ThreadState};
    use Accounting::{All, Blocked, Cpu, CpuIo, Io};

    const R: ThreadState = ThreadState::RUNNABLE;
    const D_IO: ThreadState = ThreadState::IO_WAIT;
    const D_LOCK: ThreadState = ThreadState::LOCK_WAIT;
    const S: ThreadState = ThreadState::ASLEEP;
    // io_uring: waiting for IO while sleeping interruptibly.
    const S_IO: ThreadState = ThreadState {
        in_iowait: true,
        ..ThreadState::ASLEEP
    };
    // A thread woken but whose flags are not yet cleared: on a runqueue is what counts.
    const R_STALE: ThreadState = ThreadState {
        on_rq: true,
        contributes_to_load: true,
        in_iowait: true,
        ..ThreadState::ASLEEP
    };

    /// The five definitions of the first release, in order (a definition added later has tests
    /// of its own).
    const FIVE: [Accounting; 5] = [Cpu, Io, All, CpuIo, Blocked];

    /// `threads`, counted one by one.
    fn count(threads: &[(ThreadState, u32)]) -> Counts {
        let mut c = Counts::default();
        for &(t, n) in threads {
            for _ in 0..n {
                c.add(t);
            }
        }
        c
    }

    /// `t` changed by `f`.
    fn with(mut t: ThreadState, f: impl FnOnce(&mut ThreadState)) -> ThreadState {
        f(&mut t);
        t
    }

    /// What `c` counts in each of `accountings`.
    fn active<const N: usize>(c: &Counts, accountings: [Accounting; N]) -> [u32; N] {
        accountings.map(|a| c.active(a))
    }

    #[test]
    fn each_kind_counts_where_it_belongs() {
        let c = count(&[
            (R, 2),
            (D_IO, 3),
            (D_LOCK, 5),
            (S, 7),
            (S_IO, 11),
            (R_STALE, 13),
        ]);
        assert_eq!((c.threads, c.runnable, c.uninterruptible), (41, 15, 8));
        assert_eq!((c.iowait, c.blocked), (14, 5));
        assert_eq!(active(&c, FIVE), [15, 14, 23, 29, 5]);
    }

    #[test]
    fn sleepers_count_nowhere() {
        let c = count(&[(S, 100)]);
        for a in Accounting::ALL {
            assert_eq!(c.active(a), 0);
        }
        assert_eq!(c.threads, 100);
    }

    #[test]
    fn all_is_cpu_plus_io_plus_blocked_without_interruptible_io() {
        let c = count(&[(R, 4), (D_IO, 2), (D_LOCK, 1)]);
        let [cpu, io, all, blocked] = active(&c, [Cpu, Io, All, Blocked]);
        assert_eq!(all, cpu + io + blocked);
    }

    #[test]
    fn kernel_threads_are_counted_apart_when_active() {
        let k = |t| with(t, |t| t.kthread = true);
        let c = count(&[(k(R), 2), (k(D_LOCK), 3), (k(S), 5), (k(S_IO), 7), (R, 11)]);
        assert_eq!((c.kthreads, c.runnable, c.threads), (5, 13, 28));
        assert_eq!(c.active(All), 16);
    }

    #[test]
    fn a_new_task_is_a_thread_and_nothing_else() {
        // Its parent blocked in D last: the child copies the bit, and is not yet on a runqueue.
        let new = with(D_LOCK, |t| t.new = true);
        let c = count(&[(new, 3), (R, 1)]);
        assert_eq!(c.threads, 4);
        assert_eq!(active(&c, [All, Blocked]), [1, 0]);
    }

    #[test]
    fn throttled_tasks_count_apart_not_as_runnable() {
        let throttled = with(R, |t| t.throttled = true);
        // A task marked throttled that has since left its runqueue for a sleep counts by its
        // sleep (the kernel clears the mark when it blocks; the walk may see it in between).
        let asleep = with(D_LOCK, |t| t.throttled = true);
        let c = count(&[(throttled, 4), (R, 1), (asleep, 2)]);
        assert_eq!((c.throttled, c.runnable, c.threads), (4, 1, 7));
        assert_eq!(active(&c, [Cpu, All]), [1, 3]);
    }

    #[test]
    fn delayed_sleepers_count_in_all_only() {
        // Asleep with its dequeue delayed: on the runqueue, so in `nr_running`, whatever sleep it
        // went into, and counted by the kernel as runnable, not as D or IO wait.
        let delayed = with(D_IO, |t| (t.on_rq, t.delayed) = (true, true));
        let c = count(&[(delayed, 3), (R, 2), (D_LOCK, 1)]);
        assert_eq!((c.delayed, c.runnable, c.threads), (3, 2, 6));
        assert_eq!(active(&c, FIVE), [2, 0, 6, 2, 1]);
    }

    #[test]
    fn proxy_donors_count_in_all_and_blocked_not_in_cpu() {
        // Blocked on a mutex, kept queued by proxy execution: in `nr_running`, so in `all`; a
        // lock wait, so in `blocked`. A donor whose dequeue is also delayed is a delayed sleeper.
        let donor = with(R, |t| t.proxied = true);
        let both = with(donor, |t| t.delayed = true);
        let c = count(&[(donor, 2), (both, 1), (R, 1)]);
        assert_eq!(c.delayed, 1);
        assert_eq!(active(&c, FIVE), [1, 0, 4, 1, 2]);
    }

    #[test]
    fn the_walker_is_a_thread_and_nothing_else() {
        // Running while it walks, and a kernel thread: counted in neither.
        let walker = with(R, |t| (t.kthread, t.walker) = (true, true));
        let c = count(&[(walker, 1), (R, 1)]);
        assert_eq!((c.threads, c.kthreads), (2, 0));
        assert_eq!(c.active(All), 1);
    }

    #[test]
    fn names_and_order() {
        for (i, a) in Accounting::ALL.into_iter().enumerate() {
            assert_eq!(a.index(), i);
        }
        assert_eq!(CpuIo.name(), "cpuio");
    }

    /// Every combination of the nine facts.
    fn every_state() -> impl Iterator<Item = ThreadState> {
        (0u32..512).map(|b| ThreadState {
            on_rq: b & 1 != 0,
            contributes_to_load: b & 2 != 0,
            in_iowait: b & 4 != 0,
            kthread: b & 8 != 0,
            new: b & 16 != 0,
            throttled: b & 32 != 0,
            delayed: b & 64 != 0,
            walker: b & 128 != 0,
            proxied: b & 256 != 0,
        })
    }

    #[test]
    fn a_run_counts_as_its_threads_one_by_one() {
        for t in every_state() {
            for n in [0, 1, 2, 7, 128] {
                let mut many = Counts::default();
                many.add_many(t, n);
                assert_eq!(many, count(&[(t, n)]));
            }
        }
    }

    /// The walk's C side (`loadavg_rs_read_threads()`) reads no more of a thread off its
    /// runqueue, neither contributing to load nor in IO wait, and reports it with no fact set:
    /// whatever else is true of it, it counts as a thread only.
    #[test]
    fn off_the_runqueue_with_no_load_bit_is_a_thread_only() {
        for t in every_state().filter(|t| !t.on_rq && !t.contributes_to_load && !t.in_iowait) {
            assert_eq!(count(&[(t, 1)]), count(&[(ThreadState::ASLEEP, 1)]));
        }
    }
}
