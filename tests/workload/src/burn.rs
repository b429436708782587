// SPDX-License-Identifier: GPL-2.0

//! `loadgen burn PERIOD_MS BURN_US SECONDS`: the latency benchmark's control arm.
//!
//! An ordinary task that does what the module's walker does to the machine, without the
//! module: at the same real-time priority (SCHED_FIFO 1, `sched_set_fifo_low()`'s), unpinned,
//! it wakes every PERIOD_MS on an absolute grid and then keeps its CPU busy for BURN_US (the
//! walk's measured time), reading memory scattered over many pages as the walk reads
//! `task_struct`s. Whatever the wake-up latency probe loses to this task is the cost of *a*
//! periodic burst of work of that size on this machine (under emulation: a vCPU kept busy), not
//! of anything the module does in particular.
//!
//! Prints `loadgen: burn: N bursts of X us` at the end.

use std::time::{Duration, Instant};

/// The priority of the module's walker (`sched_set_fifo_low()`).
const PRIORITY: i32 = 1;
/// The memory the burst reads, one line in each page: 16 MiB, beyond any cache the way 50,000
/// `task_struct`s are.
const BYTES: usize = 16 << 20;
const PAGE: usize = 4096;

/// `loadgen burn PERIOD_MS BURN_US SECONDS`.
pub fn burn(period_ms: u64, burn_us: u64, seconds: f64) -> i32 {
    let param = libc::sched_param {
        sched_priority: PRIORITY,
    };
    // SAFETY: `param` is a valid sched_param for the calling thread.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } != 0 {
        eprintln!(
            "loadgen: burn: SCHED_FIFO: {}",
            std::io::Error::last_os_error()
        );
        return 1;
    }
    // Touched once, so that the bursts read resident memory, as the walk does.
    let memory = vec![1u8; BYTES];
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let period = Duration::from_millis(period_ms);
    let length = Duration::from_micros(burn_us);
    let mut next = Instant::now() + period;
    let (mut bursts, mut sum, mut at) = (0u64, 0u64, 0usize);
    while next < deadline {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let start = Instant::now();
        while start.elapsed() < length {
            // A line of the next page, then a different line further on: no stride the
            // prefetcher follows for long.
            for _ in 0..64 {
                sum = sum.wrapping_add(u64::from(memory[at]));
                at = (at + PAGE + 64 * (1 + (sum as usize & 7))) % BYTES;
            }
        }
        bursts += 1;
        next += period;
    }
    println!("loadgen: burn: {bursts} bursts of {burn_us} us ({sum})");
    0
}
