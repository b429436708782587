// SPDX-License-Identifier: GPL-2.0

//! `loadgen container CGROUP CMD [ARG...]`: runs CMD in a container made the way container
//! runtimes make one, with what an LXCFS-style setup adds for the load average
//! (`loadgen container --no-bind ...`: without step 3's bind mount, as runtimes make one;
//! `loadgen container --cgroup-ns-only ...`: steps 1 and 2 for the cgroup namespace alone, the
//! host's PIDs and mounts kept, as a monitoring agent run with `hostPID` has them):
//!
//! 1. this process moves into the cgroup (v2) directory CGROUP (`cgroup.procs`);
//! 2. it unshares the cgroup, mount and PID namespaces, so the cgroup is the namespace's root
//!    (`/`) and the next child is PID 1;
//! 3. the child makes every mount private, mounts a fresh `/proc` (its PID namespace's) and a
//!    fresh cgroup2 at `/sys/fs/cgroup` (the namespace's subtree, over the host's), bind-mounts
//!    `/proc/loadavg_cgroup` over `/proc/loadavg`, and executes CMD.
//!
//! Exits with CMD's status (1 if a step failed, saying which).

use std::ffi::CString;

/// Says which step failed, with the OS error, and returns 1.
fn failed(what: &str) -> i32 {
    eprintln!(
        "loadgen container: {what}: {}",
        std::io::Error::last_os_error()
    );
    1
}

/// `mount(2)` with C strings; `None` for a null argument.
fn mount(src: Option<&str>, target: &str, fstype: Option<&str>, flags: libc::c_ulong) -> bool {
    let c = |s: &str| CString::new(s).unwrap_or_default();
    let (src, target, fstype) = (src.map(c), c(target), fstype.map(c));
    let ptr = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    // SAFETY: Every pointer is null or a NUL-terminated string that outlives the call.
    unsafe {
        libc::mount(
            ptr(&src),
            target.as_ptr(),
            ptr(&fstype),
            flags,
            std::ptr::null(),
        ) == 0
    }
}

/// The container's PID 1: its mounts (the bind mount if `bind`), then CMD.
fn init(cmd: &[String], bind: bool) -> i32 {
    if !mount(None, "/", None, libc::MS_REC | libc::MS_PRIVATE) {
        return failed("making the mounts private");
    }
    if !mount(Some("proc"), "/proc", Some("proc"), 0) {
        return failed("mounting /proc");
    }
    // The host's cgroup2 mount, if any, goes first: the same hierarchy cannot be mounted on
    // the same place twice (EBUSY), and the container's own mount shows its namespace's root.
    let cgroup_dir = CString::new("/sys/fs/cgroup").unwrap_or_default();
    // SAFETY: A NUL-terminated path that outlives the call. Not mounted: EINVAL, ignored.
    unsafe { libc::umount2(cgroup_dir.as_ptr(), libc::MNT_DETACH) };
    if !mount(Some("none"), "/sys/fs/cgroup", Some("cgroup2"), 0) {
        return failed("mounting cgroup2 on /sys/fs/cgroup");
    }
    if bind
        && !mount(
            Some("/proc/loadavg_cgroup"),
            "/proc/loadavg",
            None,
            libc::MS_BIND,
        )
    {
        return failed("bind-mounting /proc/loadavg_cgroup over /proc/loadavg");
    }
    exec(cmd)
}

/// Executes `cmd`; returns only on failure, saying so.
fn exec(cmd: &[String]) -> i32 {
    let args: Vec<CString> = cmd
        .iter()
        .map(|a| CString::new(a.as_str()).unwrap_or_default())
        .collect();
    let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    // SAFETY: `argv` is a null-terminated array of strings that outlive the call.
    unsafe { libc::execvp(argv[0], argv.as_ptr()) };
    failed("executing the command")
}

/// `loadgen container [--no-bind] CGROUP CMD [ARG...]`, from `args` (after `container`).
pub fn container(args: &[String]) -> i32 {
    let (bind, cgroup_only, args) = match args.first().map(String::as_str) {
        Some("--no-bind") => (false, false, &args[1..]),
        Some("--cgroup-ns-only") => (false, true, &args[1..]),
        _ => (true, false, args),
    };
    let Some((cgroup, cmd)) = args.split_first() else {
        eprintln!("usage: loadgen container [--no-bind|--cgroup-ns-only] CGROUP CMD [ARG...]");
        return 2;
    };
    if cmd.is_empty() {
        eprintln!("usage: loadgen container [--no-bind|--cgroup-ns-only] CGROUP CMD [ARG...]");
        return 2;
    }
    if std::fs::write(
        format!("{cgroup}/cgroup.procs"),
        std::process::id().to_string(),
    )
    .is_err()
    {
        return failed("joining the cgroup");
    }
    if cgroup_only {
        // SAFETY: Plain system call; this process is single-threaded.
        if unsafe { libc::unshare(libc::CLONE_NEWCGROUP) } != 0 {
            return failed("unsharing the cgroup namespace");
        }
        return exec(cmd);
    }
    // SAFETY: Plain system call; this process is single-threaded.
    if unsafe { libc::unshare(libc::CLONE_NEWCGROUP | libc::CLONE_NEWNS | libc::CLONE_NEWPID) } != 0
    {
        return failed("unsharing the cgroup, mount and PID namespaces");
    }
    // SAFETY: Single-threaded; the child runs `init` and exits without returning.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let status = init(cmd, bind);
        // SAFETY: Ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(status) };
    }
    if pid < 0 {
        return failed("forking the container's init");
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a valid int.
    if unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        return failed("waiting for the container");
    }
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        1
    }
}
