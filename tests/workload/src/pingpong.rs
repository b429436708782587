// SPDX-License-Identifier: GPL-2.0

//! `pingpong N`: two processes pass one byte back and forth over two pipes N times, a
//! context-switch-heavy load on the scheduler's hot path; prints nanoseconds per round trip.

use std::time::Instant;

fn pipe() -> Option<[libc::c_int; 2]> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints.
    (unsafe { libc::pipe(fds.as_mut_ptr()) } == 0).then_some(fds)
}

fn xfer(read_fd: libc::c_int, write_fd: libc::c_int, first: bool, n: u64) -> bool {
    let mut byte = [0u8; 1];
    for i in 0..n {
        if first || i > 0 {
            // SAFETY: `byte` is one valid byte; the fd is ours.
            if unsafe { libc::write(write_fd, byte.as_ptr().cast(), 1) } != 1 {
                return false;
            }
        }
        // SAFETY: As above.
        if unsafe { libc::read(read_fd, byte.as_mut_ptr().cast(), 1) } != 1 {
            return false;
        }
    }
    if !first {
        // SAFETY: As above: the last answer.
        return unsafe { libc::write(write_fd, byte.as_ptr().cast(), 1) } == 1;
    }
    true
}

/// Runs `n` round trips; prints the time per round trip.
pub fn pingpong(n: u64) -> i32 {
    let (Some(there), Some(back)) = (pipe(), pipe()) else {
        eprintln!("loadgen: pipe: {}", std::io::Error::last_os_error());
        return 1;
    };
    let started = Instant::now();
    // SAFETY: Single-threaded; the child only passes bytes and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let ok = xfer(there[0], back[1], false, n);
        // SAFETY: Ends the child.
        unsafe { libc::_exit(i32::from(!ok)) };
    }
    if pid < 0 {
        eprintln!("loadgen: fork: {}", std::io::Error::last_os_error());
        return 1;
    }
    let ok = xfer(back[0], there[1], true, n);
    let mut status = 0;
    // SAFETY: `pid` is our child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let ns = started.elapsed().as_nanos() / u128::from(n.max(1));
    if !ok || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        eprintln!("loadgen: pingpong failed");
        return 1;
    }
    println!("loadgen: pingpong: {n} round trips, {ns} ns per round trip");
    0
}
