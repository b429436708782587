// SPDX-License-Identifier: GPL-2.0

//! The user-space way to count load: walk `/proc/<pid>/task/<tid>/stat` and read each thread's
//! state letter, as LXCFS does for a container's `/proc/loadavg`. `procwalk ROUNDS` times it,
//! as the baseline the module's in-kernel walk is compared with (`make bench`).

use std::fs;
use std::time::Instant;

/// One walk: (threads, running, uninterruptible).
fn walk() -> (u64, u64, u64) {
    let (mut threads, mut running, mut blocked) = (0, 0, 0);
    let Ok(procs) = fs::read_dir("/proc") else {
        return (0, 0, 0);
    };
    for p in procs.flatten() {
        let name = p.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(tasks) = fs::read_dir(p.path().join("task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let Ok(stat) = fs::read_to_string(t.path().join("stat")) else {
                continue;
            };
            // The state follows the command name, which is in parentheses and may hold anything.
            let state = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].trim_start().chars().next());
            threads += 1;
            match state {
                Some('R') => running += 1,
                Some('D') => blocked += 1,
                _ => {}
            }
        }
    }
    (threads, running, blocked)
}

/// Walks `rounds` times; prints the threads seen and nanoseconds per walk and per thread.
pub fn procwalk(rounds: u32) -> i32 {
    let started = Instant::now();
    let mut last = (0, 0, 0);
    for _ in 0..rounds.max(1) {
        last = walk();
    }
    let ns = started.elapsed().as_nanos() / u128::from(rounds.max(1));
    let per_thread = ns / u128::from(last.0.max(1));
    println!(
        "loadgen: procwalk: {} threads ({} R, {} D), {ns} ns per walk, {per_thread} ns per thread",
        last.0, last.1, last.2
    );
    0
}
