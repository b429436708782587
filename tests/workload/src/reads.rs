// SPDX-License-Identifier: GPL-2.0

//! Reading proc files: as a stress (`reader`, `holder`) and as a benchmark (`readbench`).

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Set by SIGTERM: the loops stop and print their tally.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_term(_signal: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Makes SIGTERM end the loop early (with its tally printed) instead of the process.
fn stop_on_term() {
    // SAFETY: `on_term` only stores to an atomic, which is async-signal-safe.
    unsafe { libc::signal(libc::SIGTERM, on_term as *const () as libc::sighandler_t) };
}

fn running(deadline: Instant) -> bool {
    !STOP.load(Ordering::Relaxed) && Instant::now() < deadline
}

/// What one read gave.
#[derive(Default)]
pub struct Tally {
    /// Well-formed text.
    pub ok: u64,
    /// The file is not there (the module is unloaded).
    pub enoent: u64,
    /// The file went away under an open descriptor.
    pub eio: u64,
    /// Anything else: an error of another kind, or text that is not well formed.
    pub bad: u64,
}

impl Tally {
    fn count(&mut self, file: &str, r: std::io::Result<String>) {
        match r {
            Ok(text) if well_formed_file(file, &text) => self.ok += 1,
            Ok(text) => {
                self.bad += 1;
                eprintln!("loadgen: malformed read: {text:?}");
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => self.enoent += 1,
            Err(e) if e.raw_os_error() == Some(libc::EIO) => self.eio += 1,
            Err(e) => {
                self.bad += 1;
                eprintln!("loadgen: read error: {e}");
            }
        }
    }

    fn print(&self, what: &str, file: &str) {
        println!(
            "loadgen: {what} {file}: ok {} enoent {} eio {} bad {}",
            self.ok, self.enoent, self.eio, self.bad
        );
    }
}

/// Whether `text` is what `file` reads whole: for `/proc/loadavg_rs_top`,
/// `/proc/loadavg_rs_stacks`, `/proc/loadavg_rs_samples` and `/proc/loadavg_rs_metrics` their
/// formats ([`top_well_formed`], [`stacks_well_formed`], [`samples_well_formed`],
/// [`metrics_well_formed`]); for the others, [`well_formed`].
pub fn well_formed_file(file: &str, text: &str) -> bool {
    if file.ends_with("/loadavg_rs_top") {
        top_well_formed(text)
    } else if file.ends_with("/loadavg_rs_stacks") {
        stacks_well_formed(text)
    } else if file.ends_with("/loadavg_rs_samples") {
        samples_well_formed(text)
    } else if file.ends_with("/loadavg_rs_metrics") {
        metrics_well_formed(text)
    } else {
        well_formed(text)
    }
}

/// Whether `text` is a whole `/proc/loadavg_rs_samples`: `samples N` first, a header of the
/// records (`sample` and more columns), then records of as many numbers, the last of sample N.
pub fn samples_well_formed(text: &str) -> bool {
    let Some(samples) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("samples "))
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return false;
    };
    let mut lines = text.lines().skip_while(|l| !l.starts_with("sample "));
    let columns = lines.next().map_or(0, |h| h.split(' ').count());
    let mut last = 0;
    for row in lines {
        let fields: Vec<&str> = row.split(' ').collect();
        if columns < 2
            || fields.len() != columns
            || fields.iter().any(|f| f.parse::<u64>().is_err())
        {
            return false;
        }
        last = fields[0].parse().unwrap_or(0);
    }
    text.ends_with('\n') && last == samples
}

/// Whether `text` is a whole `/proc/loadavg_rs_metrics`: each line a comment or a series and a
/// number, `loadavg_rs_samples_total` among them.
pub fn metrics_well_formed(text: &str) -> bool {
    text.ends_with('\n')
        && text.contains("\nloadavg_rs_samples_total ")
        && text.lines().all(|l| {
            l.starts_with("# ")
                || l.rsplit_once(' ').is_some_and(|(name, v)| {
                    name.starts_with("loadavg_rs_") && v.parse::<f64>().is_ok()
                })
        })
}

/// Whether `text` is the whole `/proc/loadavg_rs_top` of a reader in the initial PID namespace:
/// its nine head lines, its header (`pid` first, `cgroup` last), a row of at least as many
/// fields for each process, the `[other]` row last.
pub fn top_well_formed(text: &str) -> bool {
    let mut lines = text.lines();
    let head = [
        "sample ",
        "keys ",
        "key_slots ",
        "other_tasks ",
        "unwinds ",
        "not_unwound ",
        "unwinds_woke ",
        "keys_gone ",
    ];
    if !head
        .iter()
        .all(|h| lines.next().is_some_and(|l| l.starts_with(h)))
        || !lines
            .next()
            .is_some_and(|l| l == "stacks yes" || l == "stacks no")
    {
        return false;
    }
    let header = lines.next().unwrap_or("");
    let n = header.split(' ').count();
    if !header.starts_with("pid cpu ") || !header.ends_with(" comm cgroup") {
        return false;
    }
    let mut last = "";
    for row in lines {
        if row.split(' ').count() < n {
            return false;
        }
        last = row;
    }
    text.ends_with('\n') && last.starts_with("- ") && last.ends_with(" [other] -")
}

/// Whether `text` is the whole `/proc/loadavg_rs_stacks`: folded lines,
/// `definition;process[;frame...] WEIGHT`, each definition one of the module's (none when no
/// key has a weight).
pub fn stacks_well_formed(text: &str) -> bool {
    let names: Vec<&str> = crate::model::accounting::Accounting::ALL
        .iter()
        .map(|a| a.name())
        .collect();
    (text.is_empty() || text.ends_with('\n'))
        && text.lines().all(|l| {
            let Some((stack, weight)) = l.rsplit_once(' ') else {
                return false;
            };
            let mut frames = stack.split(';');
            let definition = frames.next().unwrap_or("");
            !weight.is_empty()
                && weight.bytes().all(|b| b.is_ascii_digit())
                && names.contains(&definition)
                && frames.next().is_some_and(|p| !p.is_empty())
                && frames.all(|f| !f.is_empty())
        })
}

/// Whether `text` is a `/proc/loadavg` line (`"%lu.%02lu %lu.%02lu %lu.%02lu %u/%d %d\n"`), the
/// whole `/proc/loadavg_rs` table (its header first, its last figure last), or the whole
/// `/proc/loadavg_rs_cgroups` table (its head, its header, a row of 31 fields or more for each
/// cgroup, the root's among them once a walk has published rows: at sample 0, none).
pub fn well_formed(text: &str) -> bool {
    if text.starts_with("sample ") {
        let mut lines = text.lines().skip(5);
        let header = lines.next().unwrap_or("");
        let mut root = false;
        for row in lines {
            let fields: Vec<&str> = row.split(' ').collect();
            if fields.len() < 31 {
                return false;
            }
            root |= fields.len() == 31 && fields[30] == "/";
        }
        // Before the first walk (sample 0) no row is published yet, the root's neither.
        let first = text.starts_with("sample 0\n");
        return text.ends_with('\n') && header.starts_with("threads cpu ") && (root || first);
    }
    if text.starts_with("accounting ") {
        let last = text.lines().last().unwrap_or("");
        return text.ends_with('\n') && last.starts_with("walks_unbroken ");
    }
    let Some(line) = text.strip_suffix('\n') else {
        return false;
    };
    let fields: Vec<&str> = line.split(' ').collect();
    if fields.len() != 5 || line.contains('\n') {
        return false;
    }
    let decimal = |f: &str| match f.split_once('.') {
        Some((i, d)) => {
            !i.is_empty()
                && i.bytes().all(|b| b.is_ascii_digit())
                && d.len() == 2
                && d.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    };
    let number = |f: &str| {
        let f = f.strip_prefix('-').unwrap_or(f);
        !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())
    };
    decimal(fields[0])
        && decimal(fields[1])
        && decimal(fields[2])
        && fields[3]
            .split_once('/')
            .is_some_and(|(a, b)| number(a) && number(b))
        && number(fields[4])
}

fn read_once(file: &str) -> std::io::Result<String> {
    let mut text = String::new();
    File::open(file)?.read_to_string(&mut text)?;
    Ok(text)
}

/// Opens, reads and closes `file` in a loop until the deadline or SIGTERM; `file` may be several
/// files, separated by commas, read in turn (one tally for them all).
pub fn reader(file: &str, seconds: f64) -> i32 {
    stop_on_term();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tally = Tally::default();
    let files: Vec<&str> = file.split(',').collect();
    for f in files.iter().cycle() {
        if !running(deadline) {
            break;
        }
        tally.count(f, read_once(f));
    }
    tally.print("reader", file);
    i32::from(tally.bad > 0)
}

/// Keeps `file` open and reads it from the start in a loop until the deadline or SIGTERM,
/// across the module's unloads: once the file is gone, reads of the old descriptor must fail
/// with `EIO`; then it opens the file anew when it can.
pub fn holder(file: &str, seconds: f64) -> i32 {
    stop_on_term();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tally = Tally::default();
    let mut open: Option<File> = None;
    let mut buf = vec![0u8; 4096];
    while running(deadline) {
        let Some(f) = &open else {
            match File::open(file) {
                Ok(f) => open = Some(f),
                Err(e) => tally.count(file, Err(e)),
            }
            continue;
        };
        let r = f
            .read_at(&mut buf, 0)
            .map(|n| String::from_utf8_lossy(&buf[..n]).into_owned());
        if let Err(e) = &r {
            if e.raw_os_error() == Some(libc::EIO) {
                open = None;
            }
        }
        tally.count(file, r);
        std::thread::sleep(Duration::from_millis(1));
    }
    tally.print("holder", file);
    i32::from(tally.bad > 0)
}

/// Times `n` open-read-close rounds of `file`; prints nanoseconds per round.
pub fn readbench(file: &str, n: u64) -> i32 {
    let started = Instant::now();
    for _ in 0..n {
        if read_once(file).is_err() {
            eprintln!("loadgen: cannot read {file}");
            return 1;
        }
    }
    let ns = started.elapsed().as_nanos() / u128::from(n.max(1));
    println!("loadgen: readbench {file}: {n} reads, {ns} ns per read");
    0
}

#[cfg(test)]
mod tests {
    use super::{
        metrics_well_formed, samples_well_formed, stacks_well_formed, top_well_formed, well_formed,
    };

    #[test]
    fn attribution_files() {
        let head = "sample 3\nkeys 2\nkey_slots 8\nother_tasks 0\nunwinds 0\nnot_unwound 0\n\
                    unwinds_woke 0\nkeys_gone 0\nstacks yes\n\
                    pid cpu io all cpuio blocked since x comm cgroup\n";
        let other = "- 0 0 0 0 0 0 0.00 [other] -\n";
        assert!(top_well_formed(&format!(
            "{head}7 1 0 1 1 0 2 0.10 sh /\n{other}"
        )));
        assert!(!top_well_formed(head));
        // An exited process's row: `-` for its pid, its comm.
        assert!(top_well_formed(&format!(
            "{head}- 0 0 0 0 0 2 0.10 sh -\n{other}"
        )));
        assert!(stacks_well_formed("io;tar-exited;[unknown];b 670\n"));
        assert!(!top_well_formed(&format!("{head}7 1 0\n{other}")));
        assert!(stacks_well_formed(""));
        assert!(stacks_well_formed("io;tar-42;a;b 670\ncpu;[other] 3\n"));
        assert!(!stacks_well_formed("io;tar-42;a;b 670"));
        assert!(!stacks_well_formed("disk;tar-42 670\n"));
        assert!(!stacks_well_formed("io;tar-42;;b 670\n"));
        assert!(!stacks_well_formed("io 670\n"));
    }

    #[test]
    fn samples_and_metrics() {
        let samples =
            "samples 2\nwindows 2\nfixed cpu 1 2 3\nsample jiffies walk_ns\n1 100 5\n2 126 6\n";
        assert!(samples_well_formed(samples));
        // Cut short: the last record is not the sample the head names.
        assert!(!samples_well_formed(
            "samples 3\nsample jiffies walk_ns\n1 100 5\n2 126 6\n"
        ));
        assert!(!samples_well_formed(
            "samples 1\nsample jiffies walk_ns\n1 100\n"
        ));
        assert!(!samples_well_formed(
            "samples 1\nsample jiffies walk_ns\n1 100 5"
        ));
        let metrics = "# HELP loadavg_rs_load x\n# TYPE loadavg_rs_load gauge\n\
                       loadavg_rs_load{definition=\"cpu\",window=\"1m\"} 0.5\n\
                       loadavg_rs_samples_total 7\n";
        assert!(metrics_well_formed(metrics));
        assert!(!metrics_well_formed(&metrics[..metrics.len() - 1]));
        assert!(!metrics_well_formed(
            "loadavg_rs_samples_total 7\nnode_load1 0.5\n"
        ));
        assert!(!metrics_well_formed("# HELP loadavg_rs_load x\n"));
    }

    #[test]
    fn loadavg_lines() {
        assert!(well_formed("0.62 1.00 0.00 2/38 117\n"));
        assert!(well_formed("100.49 0.00 4.88 0/-1 -1\n"));
        assert!(!well_formed("0.62 1.00 0.00 2/38 117"));
        assert!(!well_formed("0.62 1.0 0.00 2/38 117\n"));
        assert!(!well_formed("0.62 1.00 0.00 238 117\n"));
        assert!(!well_formed(""));
        assert!(well_formed(
            "accounting  avg_1s\ncpu 0.00 0.00 0.00 0\n\nwalks_unbroken 0\n"
        ));
        assert!(!well_formed("accounting  avg_1s\ncpu 0.00 0.00 0.00 0\n"));
    }

    #[test]
    fn cgroup_tables() {
        let head =
            "sample 3\ncgroups_tracked 1\ncgroups_existing 1\ncgroup_slots 8\nfolded_threads 0\n\
                    threads cpu io all ... path\n";
        let root =
            "40 1 0 1 1 0 0 0 1 0.00 0.00 0.00 0.00 0.00 0.00 0.00 0.00 0.00 0.00 0.00 0.00 \
                    0.00 0.00 0.00 - - - - - - /\n";
        assert!(well_formed(&format!("{head}{root}")));
        assert!(!well_formed(head));
        assert!(!well_formed(&format!("{head}{}", &root[..root.len() - 1])));
        assert!(!well_formed(&format!("{head}{root}3 1 0\n")));
        // Before the first walk: no row yet, the root's neither.
        let first = head.replacen("sample 3", "sample 0", 1);
        assert!(well_formed(&first));
        assert!(!well_formed(&first.replacen("threads cpu", "threads", 1)));
    }
}
