// SPDX-License-Identifier: GPL-2.0

//! `loadgen KIND N SECONDS [DEVICE]`: makes N tasks of one kind for SECONDS, in the test guest.
//!
//! Each kind puts its tasks where one accounting, and only it, counts them (see
//! `rust/accounting.rs`):
//!
//! - `cpu`: N busy loops, always runnable (R): `cpu`, `all`, `cpuio`.
//! - `io`: N readers doing synchronous direct IO (`O_DIRECT`, 4 KiB) from DEVICE, a deliberately
//!   slow block device (`null_blk` completing each request from a timer after, say, 100 ms),
//!   so they sit in D with `in_iowait` almost all the time: `io`, `all`, `cpuio`.
//! - `uninterruptible`: N `vfork()` parents, each waiting (`TASK_KILLABLE`, which is D, and
//!   not IO) for its child, which sleeps: `blocked`, `all`. The stand-in for lock waits.
//! - `sleep`: N tasks sleeping interruptibly: counted nowhere.
//!
//! The first process waits for its N children and exits 0 if all of them did; every child
//! ends by itself at the deadline. It prints one line, `loadgen: KIND N started: PIDS`.

use std::ffi::CString;
use std::time::{Duration, Instant};

fn usage() -> ! {
    eprintln!("usage: loadgen cpu|io|uninterruptible|sleep N SECONDS [DEVICE]  (DEVICE for io)");
    std::process::exit(2)
}

/// Busy until the deadline.
fn spin(deadline: Instant) -> i32 {
    let mut x: u64 = 0;
    while Instant::now() < deadline {
        for _ in 0..100_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
    0
}

/// Sleeps interruptibly until the deadline.
fn sleep_until(deadline: Instant) -> i32 {
    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
    0
}

/// Waits in `vfork()` for a child that sleeps until the deadline.
fn vfork_wait(deadline: Instant) -> i32 {
    let left = deadline.saturating_duration_since(Instant::now());
    let ts = libc::timespec {
        tv_sec: left.as_secs() as libc::time_t,
        tv_nsec: left.subsec_nanos() as libc::c_long,
    };
    // SAFETY: The vfork child only calls `nanosleep` and `_exit`, both plain system calls that
    // touch nothing of the parent's memory but the `ts` it reads.
    #[allow(deprecated)]
    let pid = unsafe { libc::vfork() };
    if pid == 0 {
        // SAFETY: As above: a system call on a valid timespec, then `_exit`.
        unsafe {
            libc::nanosleep(&ts, std::ptr::null_mut());
            libc::_exit(0);
        }
    }
    if pid < 0 {
        eprintln!("loadgen: vfork: {}", std::io::Error::last_os_error());
        return 1;
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a valid int.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    0
}

/// Reads 4 KiB blocks from `device` with `O_DIRECT` until the deadline.
fn read_direct(device: &str, deadline: Instant) -> i32 {
    const BLOCK: usize = 4096;
    let Ok(path) = CString::new(device) else {
        eprintln!("loadgen: bad device name {device:?}");
        return 1;
    };
    // SAFETY: `path` is a NUL-terminated string.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_DIRECT) };
    if fd < 0 {
        eprintln!(
            "loadgen: open {device}: {}",
            std::io::Error::last_os_error()
        );
        return 1;
    }
    // O_DIRECT wants a buffer aligned to the logical block size.
    let layout = match std::alloc::Layout::from_size_align(BLOCK, BLOCK) {
        Ok(l) => l,
        Err(_) => return 1,
    };
    // SAFETY: `layout` has a non-zero size.
    let buf = unsafe { std::alloc::alloc(layout) };
    if buf.is_null() {
        return 1;
    }
    let mut status = 0;
    while Instant::now() < deadline {
        // SAFETY: `buf` holds BLOCK writable bytes; `fd` is open.
        let n = unsafe { libc::pread(fd, buf.cast(), BLOCK, 0) };
        if n < 0 {
            eprintln!(
                "loadgen: read {device}: {}",
                std::io::Error::last_os_error()
            );
            status = 1;
            break;
        }
    }
    // SAFETY: `buf` came from `alloc` with `layout`; `fd` is ours.
    unsafe {
        std::alloc::dealloc(buf, layout);
        libc::close(fd);
    }
    status
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        usage();
    }
    let kind = args[1].as_str();
    let (Ok(n), Ok(seconds)) = (args[2].parse::<u32>(), args[3].parse::<f64>()) else {
        usage()
    };
    if !(0.0..=86_400.0).contains(&seconds) {
        usage();
    }
    let device = args.get(4).cloned().unwrap_or_default();
    let work: fn(&str, Instant) -> i32 = match kind {
        "cpu" => |_, d| spin(d),
        "io" if !device.is_empty() => read_direct,
        "uninterruptible" => |_, d| vfork_wait(d),
        "sleep" => |_, d| sleep_until(d),
        _ => usage(),
    };
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut pids = Vec::new();
    for _ in 0..n {
        // SAFETY: Single-threaded; the child runs `work` and exits without returning.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let status = work(&device, deadline);
            // SAFETY: Ends the child without running the parent's exit handlers.
            unsafe { libc::_exit(status) };
        }
        if pid < 0 {
            eprintln!("loadgen: fork: {}", std::io::Error::last_os_error());
            std::process::exit(1);
        }
        pids.push(pid);
    }
    let list: Vec<String> = pids.iter().map(|p| p.to_string()).collect();
    println!("loadgen: {kind} {n} started: {}", list.join(" "));
    let mut failed = 0;
    for pid in pids {
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is a valid int.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r < 0 || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
            failed += 1;
        }
    }
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
