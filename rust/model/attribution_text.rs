// SPDX-License-Identifier: GPL-2.0

//! The text of `/proc/loadavg_rs_top` and `/proc/loadavg_rs_stacks`: the attribution's keys as
//! rows of processes under a head of the table's figures, and as folded stacks.
//!
//! The kernel side picks the keys a reader may see, names them as the reader's namespaces do
//! ([`Who`], the cgroup's path) and names the frames ([`Symbols`]); what it prints is here.

use core::fmt;

use crate::model::accounting::Accounting;
use crate::model::attribution::{Entry, SiteKind, COMM_LEN};
use crate::model::attribution_table::Stats;
use crate::model::calc_load::{load_int_frac, Load, FIXED_1, FSHIFT};
use crate::model::cgroup_report::PathText;
use crate::model::report::Duration;
use crate::model::sort;

/// An average in thousandths of a task, rounded to the nearest: the weight of a line of
/// `/proc/loadavg_rs_stacks`.
pub const fn thousandths(load: Load) -> u64 {
    ((load as u64) * 1000 + (FIXED_1 as u64) / 2) >> FSHIFT
}

/// A `comm`, printable in a column or a frame: the bytes from `!` to `~` as they are, but for
/// `;` and `\`; those and every other byte (space, controls, non-ASCII) as `\xHH`; it stops at
/// the first NUL.
pub struct Comm<'a>(pub &'a [u8; COMM_LEN]);

impl fmt::Display for Comm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0.iter().take_while(|&&b| b != 0) {
            if (b'!'..=b'~').contains(&b) && b != b';' && b != b'\\' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// How frames are named: the kernel side prints a symbol (`%ps`), the tests a made-up one.
pub trait Symbols {
    /// Writes the name of the code at `addr`.
    fn name(&self, addr: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// Which process a row of the files is, as the reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// A live process, by its number in the reader's PID namespace.
    Pid(i32),
    /// A process that has exited (its load is still decaying): its number may already be
    /// another's, so it is not shown.
    Exited,
    /// The `[other]` row: tasks whose keys had no room.
    Other,
}

/// The folded-stack lines of one key, one per definition it has load in:
/// `definition;process;outermost frame;...;innermost frame WEIGHT`, the weight being the first
/// window's average in thousandths of a task ([`thousandths`]); none when that is 0.
///
/// The process is `comm-tgid` (as `stackcollapse-perf.pl --pid` writes it), the tgid as the
/// reader's PID namespace numbers it; `comm-exited` once it has exited; `[other]` for the tasks
/// that had no room. The frames: none for a task on a runqueue; a blocked task's kernel stack,
/// outermost first, after `[...]` if it was cut, a frame whose code has gone (its module
/// unloaded) as `[unknown]`; `[not unwound]` or `[no frames]` when it has none.
pub struct Folded<'a, S> {
    /// The key.
    pub entry: &'a Entry,
    /// Its process.
    pub who: Who,
    /// How frames are named.
    pub symbols: &'a S,
}

impl<S: Symbols> fmt::Display for Folded<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.entry;
        for a in Accounting::ALL {
            let weight = thousandths(e.loads[a.index()][0]);
            if weight == 0 {
                continue;
            }
            write!(f, "{}", a.name())?;
            match self.who {
                Who::Pid(pid) => write!(f, ";{}-{pid}", Comm(&e.comm))?,
                Who::Exited => write!(f, ";{}-exited", Comm(&e.comm))?,
                Who::Other => write!(f, ";[other]")?,
            }
            match e.site.kind {
                SiteKind::Stack => {
                    if e.site.truncated() {
                        write!(f, ";[...]")?;
                    }
                    for &addr in e.site.frames().iter().rev() {
                        f.write_str(";")?;
                        if addr == 0 {
                            f.write_str("[unknown]")?;
                        } else {
                            self.symbols.name(addr, f)?;
                        }
                    }
                }
                SiteKind::NotUnwound => write!(f, ";[not unwound]")?,
                SiteKind::NoFrames => write!(f, ";[no frames]")?,
                SiteKind::Process | SiteKind::Runqueue => {}
            }
            writeln!(f, " {weight}")?;
        }
        Ok(())
    }
}

/// The head of `/proc/loadavg_rs_top`: the sample its rows are of, the table's figures (`-`
/// for a reader outside the initial PID namespace: they are the whole system's), then the
/// columns' names:
///
/// ```text
/// sample 57
/// keys 12
/// key_slots 1024
/// other_tasks 0
/// unwinds 3
/// not_unwound 0
/// unwinds_woke 0
/// keys_gone 40
/// stacks yes
/// pid cpu io all cpuio blocked since cpu_60s cpu_300s cpu_900s ... blocked_900s comm cgroup
/// ```
pub struct TopHead {
    /// The sample.
    pub sample: u64,
    /// The last walk's figures, the keys in use (processes and sites) and the entries in all;
    /// `None` to print `-` for each.
    pub table: Option<(Stats, usize, usize)>,
    /// The windows, for the columns' names.
    pub windows_ms: [u32; 3],
    /// Whether blocked tasks' kernel stacks are unwound: not on a kernel without
    /// `CONFIG_STACKTRACE`, where their sites are all `[no frames]`.
    pub stacks: bool,
}

/// A figure, or `-`.
struct Figure(Option<u64>);

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("-"),
        }
    }
}

impl fmt::Display for TopHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.table;
        let fig = |g: fn(&(Stats, usize, usize)) -> u64| Figure(t.as_ref().map(g));
        writeln!(f, "sample {}", self.sample)?;
        writeln!(f, "keys {}", fig(|t| t.1 as u64))?;
        writeln!(f, "key_slots {}", fig(|t| t.2 as u64))?;
        writeln!(f, "other_tasks {}", fig(|t| u64::from(t.0.other_tasks)))?;
        writeln!(f, "unwinds {}", fig(|t| u64::from(t.0.unwinds)))?;
        writeln!(f, "not_unwound {}", fig(|t| u64::from(t.0.not_unwound)))?;
        writeln!(f, "unwinds_woke {}", fig(|t| u64::from(t.0.unwinds_woke)))?;
        writeln!(f, "keys_gone {}", fig(|t| t.0.gone))?;
        writeln!(f, "stacks {}", if self.stacks { "yes" } else { "no" })?;
        write!(f, "pid")?;
        for a in Accounting::ALL {
            write!(f, " {}", a.name())?;
        }
        write!(f, " since")?;
        for a in Accounting::ALL {
            for w in self.windows_ms {
                write!(f, " {}_{}", a.name(), Duration(w))?;
            }
        }
        writeln!(f, " comm cgroup")
    }
}

/// One process's row of `/proc/loadavg_rs_top`: its pid as the reader's PID namespace numbers
/// it (`-` for `[other]`, and for a process that has exited, whose number may be another's
/// already), its tasks at the last sample in each definition, the sample its
/// averages start at, its averages with two decimals as `/proc/loadavg` rounds them (every
/// definition, every window), its leader's `comm` ([`Comm`]), and its cgroup as the reader's
/// cgroup namespace names it (`-` if outside it, or gone), last, so that a path with spaces
/// still parses.
pub struct TopRow<'a> {
    /// The process's entry.
    pub entry: &'a Entry,
    /// Its process.
    pub who: Who,
    /// Its cgroup's path, printed as [`PathText`] escapes it; `None`: `-`.
    pub cgroup: Option<&'a [u8]>,
}

impl fmt::Display for TopRow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.entry;
        match self.who {
            Who::Pid(pid) => write!(f, "{pid}")?,
            Who::Exited | Who::Other => write!(f, "-")?,
        }
        for a in Accounting::ALL {
            write!(f, " {}", e.counts.active(a))?;
        }
        write!(f, " {}", e.since)?;
        for a in Accounting::ALL {
            for load in e.loads[a.index()] {
                let (int, frac) = load_int_frac(load);
                write!(f, " {int}.{frac:02}")?;
            }
        }
        match self.who {
            Who::Pid(_) | Who::Exited => write!(f, " {}", Comm(&e.comm))?,
            Who::Other => write!(f, " [other]")?,
        }
        match self.cgroup {
            Some(path) => writeln!(f, " {}", PathText(path)),
            None => writeln!(f, " -"),
        }
    }
}

/// Sorts `rows` as `/proc/loadavg_rs_top` lists them: by the first window's `all`, largest
/// first, then by `key` (the pid) for rows alike.
pub fn sort_top<R>(rows: &mut [R], load: impl Fn(&R) -> Load, key: impl Fn(&R) -> i64) {
    sort::sort_by(rows, |a, b| load(b).cmp(&load(a)).then(key(a).cmp(&key(b))));
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_attribution_text))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::accounting::Counts;
    use crate::model::attribution::{sum_bound, Site, DEPTH};
    use crate::model::attribution_testing::{process, table, Count, D, DECAY, IO};
    use crate::model::report::{text_is, FixedText};

    #[test]
    fn weights_are_rounded_thousandths() {
        assert_eq!(thousandths(0), 0);
        assert_eq!(thousandths(FIXED_1), 1000);
        assert_eq!(thousandths(1), 0);
        // 3/2048 = 1.46 thousandths; 1/2048 * 1000 = 0.49.
        assert_eq!(thousandths(3), 1);
        assert_eq!(thousandths(2 * FIXED_1 + 1024), 2500);
        assert_eq!(sum_bound(0, 1884), 13);
        assert_eq!(sum_bound(4, 1944), 5 * 20);
    }

    #[test]
    fn comm_is_escaped() {
        let mut c = [0u8; COMM_LEN];
        c[..8].copy_from_slice(b"a b;c\\\n\xff");
        assert!(text_is(Comm(&c), "a\\x20b\\x3bc\\x5c\\x0a\\xff"));
        let mut plain = [0u8; COMM_LEN];
        plain[..3].copy_from_slice(b"tar");
        assert!(text_is(Comm(&plain), "tar"));
    }

    /// Frames named `f<address>`.
    struct Names;

    impl Symbols for Names {
        fn name(&self, addr: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "f{addr}")
        }
    }

    #[test]
    fn folded_lines_name_the_definition_process_and_frames() {
        let mut comm = [0u8; COMM_LEN];
        comm[..3].copy_from_slice(b"tar");
        let mut e = Entry {
            process: 1,
            tgid: 42,
            comm,
            site: Site::stack(&[3, 2, 1]),
            ..Entry::FREE
        };
        e.loads[Accounting::Io.index()][0] = 1372;
        e.loads[Accounting::All.index()][0] = 1372;
        // The lines of `e` attributed to `who`, into a buffer of 512 bytes.
        let lines = |e: &Entry, who: Who| {
            let mut t = FixedText::<512>::new();
            let folded = Folded {
                entry: e,
                who,
                symbols: &Names,
            };
            fmt::write(&mut t, format_args!("{folded}")).map(|()| t)
        };
        // 1372/2048 = 0.66992: 670 thousandths.
        assert_eq!(
            lines(&e, Who::Pid(42)).as_ref().map(FixedText::as_str),
            Ok("io;tar-42;f1;f2;f3 670\nall;tar-42;f1;f2;f3 670\n")
        );
        e.site = Site::stack(&[9; DEPTH + 1]);
        e.loads[Accounting::All.index()][0] = 0;
        assert!(lines(&e, Who::Other).is_ok_and(|t| t.as_str().starts_with("io;[other];[...];f9;")));
        for (site, who, want) in [
            (Site::RUNQUEUE, Who::Pid(42), "io;tar-42 670\n"),
            (Site::RUNQUEUE, Who::Exited, "io;tar-exited 670\n"),
            (
                Site::NOT_UNWOUND,
                Who::Pid(42),
                "io;tar-42;[not unwound] 670\n",
            ),
        ] {
            e.site = site;
            assert_eq!(lines(&e, who).as_ref().map(FixedText::as_str), Ok(want));
        }
    }

    #[test]
    fn frames_of_code_that_goes_away_are_forgotten_never_renamed() {
        let mut t = table();
        let mut holds = Count::default();
        t.begin_walk(1, 8);
        t.start(true);
        let p = process(1);
        // Two stacks through a module at 0x1000..0x2000, one outside it.
        let (a, b, c) = (
            Site::stack(&[0x1010, 0x500]),
            Site::stack(&[0x2000, 0x500]),
            Site::stack(&[0x2001, 0x500]),
        );
        for site in [&a, &b, &c] {
            t.add(&p, site, D, &mut holds);
        }
        t.end_walk(&DECAY, 1, &mut holds);
        // 0x2000 returns into the byte before it, the module's last.
        assert_eq!(t.forget_frames(0x1000, 0x2000), 2);
        assert_eq!(t.forget_frames(0x1000, 0x2000), 0);
        let forgotten = Site::stack(&[0, 0x500]);
        assert!(t.find(p.key, &forgotten).is_some());
        assert!(t.find(p.key, &a).is_none());
        assert!(t.find(p.key, &c).is_some());
        let e = t.iter().map(|(_, e)| *e).find(|e| e.site == forgotten);
        let Some(mut e) = e else {
            panic!("the key is still there");
        };
        e.loads = [[0; 3]; Accounting::ALL.len()];
        e.loads[Accounting::All.index()][0] = FIXED_1;
        assert!(text_is(
            Folded {
                entry: &e,
                who: Who::Pid(7),
                symbols: &Names
            },
            "all;proc-7;f1280;[unknown] 1000\n"
        ));
        // The next walk finds the key it became, and both alike keys stay counted once each.
        t.begin_walk(2, 8);
        t.start(true);
        t.add(&p, &Site::stack(&[0, 0x500]), D, &mut holds);
        t.end_walk(&DECAY, 1, &mut holds);
        let mut c = Counts::ZERO;
        for (_, e) in t.iter() {
            if e.site.kind == SiteKind::Stack {
                c.merge(&e.counts);
            }
        }
        assert_eq!(c.active(Accounting::Blocked), 1);
    }

    #[test]
    fn top_rows_follow_the_header() {
        let mut head = FixedText::<1024>::new();
        let stats = Stats {
            unwinds: 3,
            not_unwound: 4,
            unwinds_woke: 1,
            other_tasks: 6,
            gone: 7,
        };
        let h = TopHead {
            sample: 5,
            table: Some((stats, 2, 8)),
            windows_ms: [2000, 10_000, 30_000],
            stacks: true,
        };
        assert!(fmt::write(&mut head, format_args!("{h}")).is_ok());
        assert!(head.as_str().starts_with(
            "sample 5\nkeys 2\nkey_slots 8\nother_tasks 6\nunwinds 3\nnot_unwound 4\n\
             unwinds_woke 1\nkeys_gone 7\nstacks yes\npid "
        ));
        let hidden = TopHead { table: None, ..h };
        let mut head2 = FixedText::<1024>::new();
        assert!(fmt::write(&mut head2, format_args!("{hidden}")).is_ok());
        assert!(head2
            .as_str()
            .starts_with("sample 5\nkeys -\nkey_slots -\nother_tasks -\n"));
        let columns = head.as_str().lines().last().unwrap_or("");
        assert!(
            columns.starts_with("pid cpu io all cpuio blocked since cpu_2s cpu_10s cpu_30s io_2s")
        );
        assert!(columns.ends_with("blocked_30s comm cgroup"));
        let mut comm = [0u8; COMM_LEN];
        comm[..3].copy_from_slice(b"dd ");
        let mut e = Entry {
            process: 1,
            comm,
            since: 3,
            ..Entry::FREE
        };
        e.counts.add(IO);
        e.loads[Accounting::Io.index()] = [2048, 1024, 0];
        let mut row = FixedText::<1024>::new();
        let r = TopRow {
            entry: &e,
            who: Who::Pid(7),
            cgroup: Some(b"/a b"),
        };
        assert!(fmt::write(&mut row, format_args!("{r}")).is_ok());
        let row = row.as_str();
        assert!(row.starts_with("7 0 1 1 1 0 3 0.00 0.00 0.00 1.00 0.50 0.00 0.00"));
        assert!(row.ends_with(" dd\\x20 /a b\n"));
        // One cell a column, but for the path's space.
        assert_eq!(row.split(' ').count(), columns.split(' ').count() + 1);
        // An exited process: no number, which may be another's now.
        let gone = TopRow {
            who: Who::Exited,
            ..r
        };
        let mut row = FixedText::<1024>::new();
        assert!(fmt::write(&mut row, format_args!("{gone}")).is_ok());
        assert!(row.as_str().starts_with("- 0 1 1 1 0 3 "));
        assert!(row.as_str().ends_with(" dd\\x20 /a b\n"));
        // A cgroup name that is not UTF-8, escaped as every file escapes it.
        let odd = TopRow {
            cgroup: Some(b"/x\xffy"),
            ..r
        };
        let mut row = FixedText::<1024>::new();
        assert!(fmt::write(&mut row, format_args!("{odd}")).is_ok());
        assert!(row.as_str().ends_with(" /x\\xffy\n"));
    }

    #[test]
    fn top_is_sorted_by_all_then_pid() {
        let mut rows = [(5i64, 10 as Load), (3, 20), (4, 10), (1, 0)];
        sort_top(&mut rows, |r| r.1, |r| r.0);
        assert_eq!(rows, [(3, 20), (4, 10), (5, 10), (1, 0)]);
    }
}
