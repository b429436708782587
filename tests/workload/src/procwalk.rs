// SPDX-License-Identifier: GPL-2.0

//! The user-space way to count load: walk `/proc/<pid>/task/<tid>/stat` and read each thread's
//! state letter, as LXCFS does for a container's `/proc/loadavg`. `procwalk ROUNDS` times it,
//! as the baseline the module's in-kernel walk is compared with (`make bench`).

use std::fs;
use std::time::Instant;

/// The state letter in a `stat` file's text: it follows the command name, which is in
/// parentheses and may hold anything.
fn state_of(stat: &str) -> Option<char> {
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].trim_start().chars().next())
}

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
            let state = state_of(&stat);
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

/// One walk per container, as LXCFS computes each container's load: every cgroup under `dir`
/// (one level), its threads from `cgroup.threads`, each one's state from `/proc/<tid>/stat`.
/// Returns (cgroups, threads, running, uninterruptible).
fn cgroup_walk(dir: &str) -> (u64, u64, u64, u64) {
    let (mut cgroups, mut threads, mut running, mut blocked) = (0, 0, 0, 0);
    let Ok(entries) = fs::read_dir(dir) else {
        return (0, 0, 0, 0);
    };
    for e in entries.flatten() {
        let Ok(tids) = fs::read_to_string(e.path().join("cgroup.threads")) else {
            continue;
        };
        cgroups += 1;
        for tid in tids.lines() {
            let Ok(stat) = fs::read_to_string(format!("/proc/{tid}/stat")) else {
                continue;
            };
            threads += 1;
            match state_of(&stat) {
                Some('R') => running += 1,
                Some('D') => blocked += 1,
                _ => {}
            }
        }
    }
    (cgroups, threads, running, blocked)
}

/// `cgwalk DIR ROUNDS`: times [`cgroup_walk`] over the cgroups under DIR.
pub fn cgwalk(dir: &str, rounds: u32) -> i32 {
    let started = Instant::now();
    let mut last = (0, 0, 0, 0);
    for _ in 0..rounds.max(1) {
        last = cgroup_walk(dir);
    }
    let ns = started.elapsed().as_nanos() / u128::from(rounds.max(1));
    println!(
        "loadgen: cgwalk: {} cgroups, {} threads ({} R, {} D), {ns} ns per walk",
        last.0, last.1, last.2, last.3
    );
    0
}
