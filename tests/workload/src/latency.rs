// SPDX-License-Identifier: GPL-2.0

//! `loadgen latency SECONDS`: wake-up latency, in the manner of cyclictest.
//!
//! One SCHED_FIFO thread per CPU, pinned to it, sleeps to an absolute 1 ms grid of
//! `CLOCK_MONOTONIC` with `clock_nanosleep(TIMER_ABSTIME)` and records how late each wake-up
//! is. What delays a wake-up is exactly what the module must not cause: interrupts held off
//! (the timer that wakes the thread cannot fire) or a CPU that cannot be preempted. The
//! threads run at priority 95, above the module's walker (the lowest real-time priority) as a
//! latency test's measuring threads would be.
//!
//! Prints one line: `loadgen: latency: N wakeups, p50 X us, p99 X us, p99.9 X us, max X us`.

use std::time::{Duration, Instant};

/// The sleep period, in ns.
const PERIOD_NS: i64 = 1_000_000;
/// The measuring threads' priority.
const PRIORITY: i32 = 95;
/// Lateness is counted in 1 µs buckets up to this many; later wake-ups go in the last one,
/// and the maximum is kept apart.
const BUCKETS: usize = 100_000;

/// What one thread measured.
struct Measured {
    /// `hist[us]`: wake-ups that many microseconds late.
    hist: Vec<u64>,
    /// The latest wake-up, in ns.
    max_ns: i64,
}

fn now_ns() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// Pins the calling thread to `cpu` and makes it SCHED_FIFO at [`PRIORITY`].
fn realtime_on(cpu: usize) -> Result<(), String> {
    // SAFETY: A zeroed `cpu_set_t` is an empty set; the macros write within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(format!("CPU {cpu}: {}", std::io::Error::last_os_error()));
        }
        let param = libc::sched_param {
            sched_priority: PRIORITY,
        };
        if libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) != 0 {
            return Err(format!("SCHED_FIFO: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

/// Sleeps to the 1 ms grid on `cpu` until `deadline`, recording each wake-up's lateness.
fn measure(cpu: usize, deadline: Instant) -> Result<Measured, String> {
    realtime_on(cpu)?;
    let mut m = Measured {
        hist: vec![0; BUCKETS],
        max_ns: 0,
    };
    let mut next = now_ns() + PERIOD_NS;
    while Instant::now() < deadline {
        let ts = libc::timespec {
            tv_sec: (next / 1_000_000_000) as libc::time_t,
            tv_nsec: (next % 1_000_000_000) as libc::c_long,
        };
        // SAFETY: `ts` is a valid timespec; no remaining time is asked for.
        let r = unsafe {
            libc::clock_nanosleep(
                libc::CLOCK_MONOTONIC,
                libc::TIMER_ABSTIME,
                &ts,
                std::ptr::null_mut(),
            )
        };
        if r != 0 && r != libc::EINTR {
            return Err(format!("clock_nanosleep: error {r}"));
        }
        let late = (now_ns() - next).max(0);
        m.max_ns = m.max_ns.max(late);
        let us = usize::try_from(late / 1000).unwrap_or(usize::MAX);
        m.hist[us.min(BUCKETS - 1)] += 1;
        // The next point of the grid after now: a wake-up later than a period skips the
        // points it missed, as cyclictest does, rather than piling up wake-ups at once.
        next += PERIOD_NS * (1 + late / PERIOD_NS);
    }
    Ok(m)
}

/// The smallest lateness, in µs, that `q` (0..=1) of the wake-ups did not exceed.
fn quantile(hist: &[u64], total: u64, q: f64) -> usize {
    let want = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (us, &n) in hist.iter().enumerate() {
        seen += n;
        if seen >= want {
            return us;
        }
    }
    hist.len() - 1
}

/// `loadgen latency SECONDS`.
pub fn latency(seconds: f64) -> i32 {
    // SAFETY: No preconditions.
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let threads: Vec<_> = (0..cpus)
        .map(|cpu| std::thread::spawn(move || measure(cpu, deadline)))
        .collect();
    let mut hist = vec![0u64; BUCKETS];
    let mut max_ns = 0;
    for t in threads {
        match t.join() {
            Ok(Ok(m)) => {
                for (sum, n) in hist.iter_mut().zip(&m.hist) {
                    *sum += n;
                }
                max_ns = max_ns.max(m.max_ns);
            }
            Ok(Err(e)) => {
                eprintln!("loadgen: latency: {e}");
                return 1;
            }
            Err(_) => return 1,
        }
    }
    let total: u64 = hist.iter().sum();
    if total == 0 {
        eprintln!("loadgen: latency: no wake-up measured");
        return 1;
    }
    println!(
        "loadgen: latency: {total} wakeups on {cpus} CPUs, p50 {} us, p99 {} us, p99.9 {} us, max {} us",
        quantile(&hist, total, 0.5),
        quantile(&hist, total, 0.99),
        quantile(&hist, total, 0.999),
        max_ns / 1000
    );
    0
}
