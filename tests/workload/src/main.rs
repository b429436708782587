// SPDX-License-Identifier: GPL-2.0

//! `loadgen`: the test guest's workloads and probes.
//!
//! `loadgen KIND N SECONDS [DEVICE]` makes N tasks of one kind for SECONDS. Each kind puts its
//! tasks where one accounting, and only it, counts them (see `rust/model/accounting.rs`):
//!
//! - `cpu`: N busy loops, always runnable (R): `cpu`, `all`, `cpuio`.
//! - `io`: N readers doing synchronous direct IO (`O_DIRECT`, 4 KiB) from DEVICE, a deliberately
//!   slow block device (`null_blk` completing each request from a timer after, say, 100 ms),
//!   so they sit in D with `in_iowait` almost all the time: `io`, `all`, `cpuio`.
//! - `uninterruptible`: N `vfork()` parents, each waiting (`TASK_KILLABLE`, which is D, and
//!   not IO) for its child, which sleeps: `blocked`, `all`. The stand-in for lock waits.
//! - `sleep`: N tasks sleeping interruptibly: counted nowhere.
//! - `deadline`: N busy loops under `SCHED_DEADLINE`, 1 ms of runtime every 100 ms: throttled
//!   (off `nr_running`, `on_rq` still set) 99% of the time.
//!
//! The first process waits for its N children and exits 0 if all of them did; every child
//! ends by itself at the deadline. It prints one line, `loadgen: KIND N started: PIDS`.
//!
//! For the hardening tests and the benchmarks (`make bench`):
//!
//! - `threads N SECONDS`: N sleeping threads in one process (a thread storm);
//! - `churn SECONDS`: processes forked and reaped as fast as possible;
//! - `reader FILE[,FILE...] SECONDS`, `holder FILE SECONDS`: read proc files in a loop, opening each
//!   time or keeping it open, and count well-formed reads, `ENOENT`, `EIO` and anything else
//!   (which fails);
//! - `readbench FILE N`: nanoseconds per open-read-close of FILE;
//! - `procwalk ROUNDS`: the user-space way to count load (LXCFS), timed;
//! - `cgwalk DIR ROUNDS`: the same per container, for every cgroup under DIR, timed;
//! - `pingpong N`: nanoseconds per round trip of a byte between two processes;
//! - `latency SECONDS`: wake-up latency of a SCHED_FIFO thread per CPU on a 1 ms grid, as
//!   cyclictest measures it (see `latency.rs`);
//! - `burn PERIOD_MS BURN_US SECONDS`: the latency benchmark's control, a periodic burst of work
//!   as long as the module's walk, at its priority, without the module (see `burn.rs`);
//! - `cgfill DIR N SECONDS`: N cgroups under DIR, a sleeping process in each (see `cgfill.rs`);
//! - `container CGROUP CMD [ARG...]`: CMD in a container, as runtimes make one, with
//!   `/proc/loadavg_cgroup` bind-mounted over `/proc/loadavg` (see `container.rs`);
//! - `container --no-bind CGROUP CMD [ARG...]`: the same container without the bind mount;
//!   `--cgroup-ns-only`: in CGROUP with a cgroup namespace of its own, nothing else;
//! - `loadavg`: the load as glibc's `getloadavg()` and `sysinfo(2)` give it to this process
//!   (one line each: `getloadavg L1 L5 L15`, exact decimals of the doubles; `sysinfo L1 L5 L15
//!   PROCS`, the raw 16-bit fixed-point loads; `file` and `/proc/loadavg` read right after);
//!   `loadavg N SECONDS`: N threads calling `sysinfo()` in a loop for SECONDS, then the number
//!   of calls made;
//! - `nocap CAP CMD [ARG...]`: CMD as the same user without capability CAP (its number:
//!   21 is `CAP_SYS_ADMIN`), dropped from the bounding set too, so that an exec by root does
//!   not get it back;
//! - `withpid PID CMD [ARG...]`: CMD in a child whose PID is PID (`clone3()`'s `set_tid`, as
//!   CRIU restores a process; root only), waited for: to give an exited process's number to a
//!   new one;
//! - `verify ...`: the tests' load arithmetic, with the module's own (see `verify.rs`).

mod burn;
mod cgfill;
mod container;
mod latency;
mod pingpong;
mod procwalk;
mod reads;
mod verify;

// The module's model, as the host tests build it: `verify` does the load arithmetic with it.
#[allow(dead_code, unused_imports)]
#[path = "../../../rust/model/mod.rs"]
mod model;

use std::ffi::CString;
use std::time::{Duration, Instant};

fn usage() -> ! {
    eprintln!(
        "usage: loadgen cpu|io|uninterruptible|sleep|deadline N SECONDS [DEVICE]  (DEVICE for io)
       loadgen threads N SECONDS | churn SECONDS
       loadgen reader|holder FILE SECONDS | readbench FILE N
       loadgen procwalk ROUNDS | cgwalk DIR ROUNDS | pingpong N | latency SECONDS
       loadgen burn PERIOD_MS BURN_US SECONDS | cgfill DIR N SECONDS
       loadgen container [--no-bind|--cgroup-ns-only] CGROUP CMD [ARG...] | loadavg [N SECONDS]
       loadgen nocap CAP CMD [ARG...] | withpid PID CMD [ARG...]
       loadgen verify replay|series|windows|advance|shown|decay|thousandths|sum_bound ..."
    );
    std::process::exit(2)
}

/// Argument `i`, parsed, or the usage message.
fn arg<T: std::str::FromStr>(args: &[String], i: usize) -> T {
    args.get(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| usage())
}

/// A duration in seconds, at most a day.
fn seconds(args: &[String], i: usize) -> f64 {
    let s: f64 = arg(args, i);
    if !(0.0..=86_400.0).contains(&s) {
        usage();
    }
    s
}

/// N threads of this process, each sleeping until the deadline.
fn threads(n: u32, seconds: f64) -> i32 {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut handles = Vec::new();
    for _ in 0..n {
        let spawned = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || sleep_until(deadline));
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => {
                eprintln!("loadgen: thread {}: {e}", handles.len());
                break;
            }
        }
    }
    println!("loadgen: threads {} started", handles.len());
    let started = handles.len();
    for h in handles {
        let _ = h.join();
    }
    i32::from(started != n as usize)
}

/// Forks children that exit at once, and reaps them, until the deadline.
fn churn(seconds: f64) -> i32 {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut forks = 0u64;
    while Instant::now() < deadline {
        // SAFETY: The child exits at once.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: Ends the child.
            unsafe { libc::_exit(0) };
        }
        if pid < 0 {
            continue;
        }
        let mut status = 0;
        // SAFETY: `pid` is our child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        forks += 1;
    }
    println!("loadgen: churn: {forks} processes forked and reaped");
    0
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

/// `struct sched_attr` of `sched_setattr(2)`.
#[repr(C)]
struct SchedAttr {
    size: u32,
    policy: u32,
    flags: u64,
    nice: i32,
    priority: u32,
    runtime: u64,
    deadline: u64,
    period: u64,
}

/// A busy loop under `SCHED_DEADLINE` with 1 ms of runtime every 100 ms: the scheduler
/// throttles it once it has used its millisecond, 99% of the time.
fn deadline_spin(deadline: Instant) -> i32 {
    const SCHED_DEADLINE: u32 = 6;
    let attr = SchedAttr {
        size: std::mem::size_of::<SchedAttr>() as u32,
        policy: SCHED_DEADLINE,
        flags: 0,
        nice: 0,
        priority: 0,
        runtime: 1_000_000,
        deadline: 100_000_000,
        period: 100_000_000,
    };
    // SAFETY: `attr` is a valid `struct sched_attr` of the size it says; 0 is this thread.
    if unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr, 0) } != 0 {
        eprintln!(
            "loadgen: sched_setattr(SCHED_DEADLINE): {}",
            std::io::Error::last_os_error()
        );
        return 1;
    }
    spin(deadline)
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
    let status = match args.get(1).map(String::as_str) {
        Some("threads") => threads(arg(&args, 2), seconds(&args, 3)),
        Some("churn") => churn(seconds(&args, 2)),
        Some("reader") => reads::reader(&arg::<String>(&args, 2), seconds(&args, 3)),
        Some("holder") => reads::holder(&arg::<String>(&args, 2), seconds(&args, 3)),
        Some("readbench") => reads::readbench(&arg::<String>(&args, 2), arg(&args, 3)),
        Some("procwalk") => procwalk::procwalk(arg(&args, 2)),
        Some("cgwalk") => procwalk::cgwalk(&arg::<String>(&args, 2), arg(&args, 3)),
        Some("pingpong") => pingpong::pingpong(arg(&args, 2)),
        Some("latency") => latency::latency(seconds(&args, 2)),
        Some("burn") => burn::burn(arg(&args, 2), arg(&args, 3), seconds(&args, 4)),
        Some("cgfill") => {
            cgfill::cgfill(&arg::<String>(&args, 2), arg(&args, 3), seconds(&args, 4))
        }
        Some("verify") => verify::verify(&args[2..]),
        Some("container") => container::container(&args[2.min(args.len())..]),
        Some("loadavg") if args.len() > 2 => loadavg_storm(arg(&args, 2), seconds(&args, 3)),
        Some("loadavg") => loadavg(),
        Some("nocap") => nocap(arg(&args, 2), &args[3.min(args.len())..]),
        Some("withpid") => withpid(arg(&args, 2), &args[3.min(args.len())..]),
        Some(kind) => tasks(kind, &args),
        None => usage(),
    };
    std::process::exit(status);
}

/// `loadgen loadavg`: prints the load as glibc's `getloadavg()` returns it, then as `sysinfo(2)`
/// does (which `getloadavg()` reads in Debian's glibc): `getloadavg` and the three doubles,
/// exactly (a 16-bit fixed-point value over 65536 has at most 16 decimals); `sysinfo`, its three
/// raw loads and its process count.
fn loadavg() -> i32 {
    let mut avg = [0f64; 3];
    // SAFETY: `avg` has room for the 3 values asked for.
    let n = unsafe { libc::getloadavg(avg.as_mut_ptr(), 3) };
    // SAFETY: An all-zero `struct sysinfo` is valid; sysinfo() fills it.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is writable.
    if n != 3 || unsafe { libc::sysinfo(&mut info) } != 0 {
        eprintln!("loadgen loadavg: {}", std::io::Error::last_os_error());
        return 1;
    }
    // Right after, /proc/loadavg, as the same process reads it.
    let file = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("getloadavg {:.16} {:.16} {:.16}", avg[0], avg[1], avg[2]);
    println!(
        "sysinfo {} {} {} {}",
        info.loads[0], info.loads[1], info.loads[2], info.procs
    );
    print!("file {file}");
    0
}

/// `loadgen loadavg N SECONDS`: `n` threads call `sysinfo()` as fast as they can for `seconds`;
/// prints `sysinfo calls C` once they have all stopped.
fn loadavg_storm(n: u32, seconds: f64) -> i32 {
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let threads: Vec<_> = (0..n)
        .map(|_| {
            std::thread::spawn(move || {
                let mut calls = 0u64;
                while Instant::now() < until {
                    // SAFETY: An all-zero `struct sysinfo` is valid; sysinfo() fills it.
                    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
                    // SAFETY: `info` is writable.
                    unsafe { libc::sysinfo(&mut info) };
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let calls: u64 = threads.into_iter().map(|t| t.join().unwrap_or(0)).sum();
    println!("sysinfo calls {calls}");
    0
}

/// `loadgen withpid PID CMD [ARG...]`: runs `cmd` in a child whose PID is `pid`, and returns its
/// exit status once it ends (1 if it could not be made).
fn withpid(pid: i32, cmd: &[String]) -> i32 {
    if pid <= 0 || cmd.is_empty() {
        usage();
    }
    // struct clone_args (linux/sched.h) up to set_tid_size: CLONE_ARGS_SIZE_VER1.
    #[repr(C)]
    #[derive(Default)]
    struct CloneArgs {
        flags: u64,
        pidfd: u64,
        child_tid: u64,
        parent_tid: u64,
        exit_signal: u64,
        stack: u64,
        stack_size: u64,
        tls: u64,
        set_tid: u64,
        set_tid_size: u64,
    }
    // The command's arguments, made before the clone: the child only execs or exits.
    let argv: Vec<CString> = cmd
        .iter()
        .map(|a| CString::new(a.as_str()).unwrap_or_default())
        .collect();
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let tid = [pid];
    let args = CloneArgs {
        exit_signal: libc::SIGCHLD as u64,
        set_tid: tid.as_ptr() as u64,
        set_tid_size: 1,
        ..CloneArgs::default()
    };
    // SAFETY: clone3 reads `args` (its size given) and `tid`, both alive for the call; the child
    // only execs or exits.
    let child = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if child < 0 {
        eprintln!(
            "loadgen: withpid {pid}: {}",
            std::io::Error::last_os_error()
        );
        return 1;
    }
    if child == 0 {
        // SAFETY: As in `nocap`; `ptrs` was built before the clone, so the child allocates nothing.
        unsafe { libc::execvp(ptrs[0], ptrs.as_ptr()) };
        // SAFETY: The child exits without running the parent's destructors.
        unsafe { libc::_exit(127) };
    }
    let mut status = 0;
    // SAFETY: `child` is this process's child; `status` is writable.
    unsafe { libc::waitpid(child as libc::pid_t, &mut status, 0) };
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        1
    }
}

/// `loadgen nocap CAP CMD [ARG...]`: drops capability `cap` from the bounding set and from the
/// effective, permitted and inheritable sets, then execs `cmd`; returns only on failure.
fn nocap(cap: u32, cmd: &[String]) -> i32 {
    if cap >= 32 || cmd.is_empty() {
        usage();
    }
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    // _LINUX_CAPABILITY_VERSION_3: two `Data`, for capabilities 0-31 and 32-63.
    let mut header = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: PR_CAPBSET_DROP takes a capability number; capget and capset read and write the
    // header and the two `Data` given, of the layout version 3 defines.
    let ok = unsafe {
        libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) == 0
            && libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) == 0
    };
    if !ok {
        eprintln!("loadgen: nocap: {}", std::io::Error::last_os_error());
        return 1;
    }
    let bit = !(1u32 << cap);
    data[0].effective &= bit;
    data[0].permitted &= bit;
    data[0].inheritable &= bit;
    // SAFETY: As above.
    if unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) } != 0 {
        eprintln!("loadgen: nocap: {}", std::io::Error::last_os_error());
        return 1;
    }
    let argv: Vec<CString> = cmd
        .iter()
        .map(|a| CString::new(a.as_str()).unwrap_or_default())
        .collect();
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: `ptrs` is a NULL-terminated array of NUL-terminated strings that outlive the call.
    unsafe { libc::execvp(ptrs[0], ptrs.as_ptr()) };
    eprintln!(
        "loadgen: nocap: {}: {}",
        cmd[0],
        std::io::Error::last_os_error()
    );
    1
}

/// `loadgen KIND N SECONDS [DEVICE]`.
fn tasks(kind: &str, args: &[String]) -> i32 {
    let n: u32 = arg(args, 2);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds(args, 3));
    let device = args.get(4).cloned().unwrap_or_default();
    let work: fn(&str, Instant) -> i32 = match kind {
        "cpu" => |_, d| spin(d),
        "deadline" => |_, d| deadline_spin(d),
        "io" if !device.is_empty() => read_direct,
        "uninterruptible" => |_, d| vfork_wait(d),
        "sleep" => |_, d| sleep_until(d),
        _ => usage(),
    };
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
            return 1;
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
    i32::from(failed > 0)
}
