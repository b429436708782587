// SPDX-License-Identifier: GPL-2.0

//! `loadgen cgfill DIR N SECONDS`: N cgroups `DIR/c1` .. `DIR/cN` (made if missing), each with
//! one sleeping process in it, made in that order (so a walk of the process list finds them in
//! that order), until SECONDS have passed. Prints `loadgen: cgfill N started` once
//! every process is in its cgroup. For `make bench`: a cgroup table filled to its last slot,
//! and cgroups beyond it.

use std::time::{Duration, Instant};

pub fn cgfill(dir: &str, n: u32, seconds: f64) -> i32 {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut pids = Vec::new();
    for i in 1..=n {
        let cg = format!("{dir}/c{i}");
        if let Err(e) = std::fs::create_dir_all(&cg) {
            eprintln!("loadgen cgfill: {cg}: {e}");
            break;
        }
        // SAFETY: Single-threaded; the child joins its cgroup, sleeps and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let joined = std::fs::write(format!("{cg}/cgroup.procs"), "0").is_ok();
            if joined {
                crate::sleep_until(deadline);
            }
            // SAFETY: Ends the child without running the parent's exit handlers.
            unsafe { libc::_exit(i32::from(!joined)) };
        }
        if pid < 0 {
            eprintln!("loadgen cgfill: fork: {}", std::io::Error::last_os_error());
            break;
        }
        pids.push(pid);
    }
    // Every child is in place once its cgroup lists it.
    for (i, pid) in pids.iter().enumerate() {
        let procs = format!("{dir}/c{}/cgroup.procs", i + 1);
        while !std::fs::read_to_string(&procs)
            .unwrap_or_default()
            .lines()
            .any(|l| l == pid.to_string())
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    println!("loadgen: cgfill {} started", pids.len());
    let mut failed = pids.len() != n as usize;
    for pid in pids {
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is a valid int.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        failed |= r < 0 || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0;
    }
    i32::from(failed)
}
