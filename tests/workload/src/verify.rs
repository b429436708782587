// SPDX-License-Identifier: GPL-2.0

//! `loadgen verify`: the guest tests' load arithmetic, with the module's own `calc_load.rs`
//! (the kernel's fixed-point functions, checked on the host against the kernel's C by
//! `tests/host`), so that the tests hold no copy of it.
//!
//! Histories are copies of `/proc/loadavg_rs_samples`, read by the names of their header line:
//!
//! - `replay H0 H1`: every definition's averages replayed, the kernel's way (`calc_load()`, then
//!   `calc_load_n()` for the windows a sample caught up), from H0's over H1's records of the
//!   samples after H0's last; one line a definition: `NAME L1 L2 L3 SAMPLES`.
//! - `series H COUNT FROM TO`: the same from zero over the records FROM..=TO of H, with COUNT
//!   tasks at each (a number, or the column of that name); `--first-closes-one` takes the first
//!   record as closing one window (what a sampler that ignored its lateness would hold).
//!   `L1 L2 L3 SAMPLES`.
//! - `windows H0 H1`: the kernel's own count in each of its windows that closed between two
//!   consecutive records, recovered from the `avenrun` columns (see [`windows`]).
//! - `advance L EXP TASKS CLOSED [TIMES]`: L after TIMES samples (1) of TASKS tasks closing
//!   CLOSED windows each.
//! - `shown FIXED...`: each as `/proc/loadavg` prints it (two decimals, rounded).
//! - `decay PERIOD WINDOW...`: `FIXED_1 e^(-PERIOD/WINDOW)`, rounded, in floating point: apart
//!   from the module's own integer derivation, which it checks.
//! - `definitions`: the definitions' names, in the module's order.

use std::collections::HashMap;
use std::fs;

use crate::model::accounting::Accounting;
use crate::model::calc_load::{
    calc_load, calc_load_n, load_int_frac, Load, EXP_1, EXP_15, EXP_5, FIXED_1,
};

/// A copy of `/proc/loadavg_rs_samples`.
struct History {
    /// `KEY VALUE...` lines before the records, by key (`fixed` ones by `fixed NAME`).
    values: HashMap<String, Vec<u64>>,
    /// The definitions, in the order of their `fixed` lines.
    definitions: Vec<String>,
    /// The record header's names.
    columns: Vec<String>,
    /// The records, each as many numbers as there are columns.
    records: Vec<Vec<u64>>,
}

fn fail(msg: &str) -> ! {
    eprintln!("loadgen verify: {msg}");
    std::process::exit(2)
}

fn number(s: &str) -> u64 {
    s.parse()
        .unwrap_or_else(|_| fail(&format!("not a number: {s}")))
}

impl History {
    fn read(path: &str) -> History {
        let text = fs::read_to_string(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
        let mut h = History {
            values: HashMap::new(),
            definitions: Vec::new(),
            columns: Vec::new(),
            records: Vec::new(),
        };
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                [] => {}
                ["sample", rest @ ..] if rest.len() > 1 => {
                    h.columns = words.iter().map(|w| w.to_string()).collect();
                }
                _ if !h.columns.is_empty() => {
                    if words.len() == h.columns.len() {
                        h.records.push(words.iter().map(|w| number(w)).collect());
                    }
                }
                ["fixed", name, loads @ ..] => {
                    h.definitions.push(name.to_string());
                    h.values.insert(
                        format!("fixed {name}"),
                        loads.iter().map(|w| number(w)).collect(),
                    );
                }
                [key, values @ ..] => {
                    let values = values.iter().filter_map(|w| w.parse().ok()).collect();
                    h.values.insert(key.to_string(), values);
                }
            }
        }
        h
    }

    fn value(&self, key: &str) -> &[u64] {
        self.values
            .get(key)
            .map(Vec::as_slice)
            .unwrap_or_else(|| fail(&format!("no '{key}' line")))
    }

    fn column(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| fail(&format!("no column '{name}'")))
    }

    /// The records of the samples after `h0`'s last.
    fn since<'a>(&'a self, h0: &History) -> impl Iterator<Item = &'a Vec<u64>> {
        let k0 = h0.value("samples").first().copied().unwrap_or(0);
        let seq = self.column("sample");
        self.records.iter().filter(move |r| r[seq] > k0)
    }

    fn decay(&self) -> [Load; 3] {
        match self.value("decay") {
            [a, b, c] => [*a as Load, *b as Load, *c as Load],
            _ => fail("'decay' wants three factors"),
        }
    }
}

/// Closes `closed` windows with `tasks` active, as `calc_global_load()` and its catch-up do.
fn advance(load: Load, exp: Load, tasks: u64, closed: u64) -> Load {
    let active = tasks as Load * FIXED_1;
    let load = calc_load(load, exp, active);
    match u32::try_from(closed.saturating_sub(1)) {
        Ok(0) => load,
        Ok(n) => calc_load_n(load, exp, active, n),
        Err(_) => calc_load_n(load, exp, active, u32::MAX),
    }
}

/// Every definition's averages replayed from H0's over H1's records of the samples after H0's
/// last, up to sample `to` (all of them if `None`): one `NAME L1 L2 L3 RECORDS` line each.
/// With `to`, H1 must hold every record from H0's last to `to`: a file that showed sample `to`,
/// read between the two histories, is checked against the averages that sample left.
fn replay(h0: &History, h1: &History, to: Option<u64>) {
    let (decay, closed, seq) = (h1.decay(), h1.column("closed"), h1.column("sample"));
    if let Some(to) = to {
        let k0 = h0.value("samples").first().copied().unwrap_or(0);
        let held = h1.since(h0).filter(|r| r[seq] <= to).count() as u64;
        if to < k0 || held != to - k0 {
            fail(&format!(
                "sample {to} is not between the histories' (from {k0}, {held} records held)"
            ));
        }
    }
    for name in &h1.definitions {
        let col = h1.column(name);
        let mut l: Vec<Load> = h0
            .value(&format!("fixed {name}"))
            .iter()
            .map(|&v| v as Load)
            .collect();
        let mut n = 0;
        for r in h1.since(h0).filter(|r| to.is_none_or(|to| r[seq] <= to)) {
            for (l, &e) in l.iter_mut().zip(&decay) {
                *l = advance(*l, e, r[col], r[closed]);
            }
            n += 1;
        }
        println!("{name} {} {} {} {n}", l[0], l[1], l[2]);
    }
}

fn series(h: &History, count: &str, from: u64, to: u64, first_closes_one: bool) {
    let (decay, closed, seq) = (h.decay(), h.column("closed"), h.column("sample"));
    let tasks = |r: &Vec<u64>| match count.parse() {
        Ok(n) => n,
        Err(_) => r[h.column(count)],
    };
    let (mut l, mut n) = ([0 as Load; 3], 0);
    for r in h.records.iter().filter(|r| (from..=to).contains(&r[seq])) {
        let windows = if first_closes_one && n == 0 {
            1
        } else {
            r[closed]
        };
        for (l, &e) in l.iter_mut().zip(&decay) {
            *l = advance(*l, e, tasks(r), windows);
        }
        n += 1;
    }
    println!("{} {} {} {n}", l[0], l[1], l[2]);
}

/// The kernel's own count in each of its windows that closed between two consecutive records
/// of the samples after H0's, one `SEQ COUNT` line each (SEQ: the later record), in order.
///
/// Recovered exactly from the kernel's averages the records hold: the counts that take the
/// earlier record's three averages (EXP_1, EXP_5, EXP_15) to the later's, all three, must be
/// the only ones that do, among one window of any count, two windows (a late sample: any two
/// counts up to 7) and three to six windows of one count (the kernel's own catch-up after ticks
/// it missed, `calc_global_nohz()`: `calc_load()` then `calc_load_n()`). A stretch between
/// records that no such counts fit, or several do, is one `SEQ -` line. Left out: pairs whose
/// averages did not move (no window closed between them, or steady averages no count could
/// tell apart).
fn windows(h0: &History, h1: &History) {
    const EXP: [Load; 3] = [EXP_1, EXP_5, EXP_15];
    let seq = h1.column("sample");
    let avenrun = [
        h1.column("avenrun1"),
        h1.column("avenrun5"),
        h1.column("avenrun15"),
    ];
    let mut prev: Option<[Load; 3]> = None;
    for r in h1.since(h0) {
        let now = avenrun.map(|c| r[c] as Load);
        let Some(before) = prev.replace(now) else {
            continue;
        };
        if before == now {
            continue;
        }
        // Windows of counts `ns` from `before` (two windows: one count each; more: the first
        // count, in every window, the catch-up way).
        let fits = |ns: &[u64], w: u64| {
            (0..3).all(|i| {
                let mut l = calc_load(before[i], EXP[i], ns[0] as Load * FIXED_1);
                if w == 2 {
                    l = calc_load(l, EXP[i], ns[1] as Load * FIXED_1);
                } else if w > 2 {
                    l = calc_load_n(l, EXP[i], ns[0] as Load * FIXED_1, (w - 1) as u32);
                }
                l == now[i]
            })
        };
        let mut found: Vec<Vec<u64>> = Vec::new();
        // One window: the count is about (now - before * e) / (FIXED_1 - e), in tasks.
        let n0 =
            (now[0] * FIXED_1).saturating_sub(before[0] * EXP_1) / (FIXED_1 * (FIXED_1 - EXP_1));
        for n in n0.saturating_sub(1)..=n0 + 2 {
            if fits(&[n as u64], 1) {
                found.push(vec![n as u64]);
            }
        }
        for n in 0..=7 {
            for m in 0..=7 {
                if fits(&[n, m], 2) {
                    found.push(vec![n, m]);
                }
            }
        }
        for w in 3..=6 {
            for n in 0..=7 {
                if fits(&[n], w) {
                    found.push(vec![n; w as usize]);
                }
            }
        }
        match found.as_slice() {
            [counts] => counts.iter().for_each(|n| println!("{} {n}", r[seq])),
            _ => println!("{} -", r[seq]),
        }
    }
}

/// `FIXED_1 e^(-period/window)`, rounded, in floating point.
fn decay(period: f64, window: f64) -> u64 {
    (FIXED_1 as f64 * (-period / window).exp()).round() as u64
}

pub fn verify(args: &[String]) -> i32 {
    let arg = |i: usize| -> &str {
        args.get(i)
            .map(String::as_str)
            .unwrap_or_else(|| fail("too few arguments"))
    };
    match arg(0) {
        "replay" => replay(
            &History::read(arg(1)),
            &History::read(arg(2)),
            args.get(3).map(|k| number(k)),
        ),
        "series" => series(
            &History::read(arg(1)),
            arg(2),
            number(arg(3)),
            number(arg(4)),
            args.get(5).is_some_and(|a| a == "--first-closes-one"),
        ),
        "windows" => windows(&History::read(arg(1)), &History::read(arg(2))),
        // An average in the unit of /proc/loadavg_rs_stacks, as the module rounds it.
        "thousandths" => println!(
            "{}",
            crate::model::attribution_text::thousandths(number(arg(1)) as Load)
        ),
        // The bound within which K keys' averages add up to their definition's (2048ths).
        "sum_bound" => println!(
            "{}",
            crate::model::attribution::sum_bound(number(arg(1)), number(arg(2)) as Load)
        ),
        "advance" => {
            let times = args.get(5).map_or(1, |t| number(t));
            let mut l = number(arg(1)) as Load;
            for _ in 0..times {
                l = advance(l, number(arg(2)) as Load, number(arg(3)), number(arg(4)));
            }
            println!("{l}");
        }
        "shown" => {
            let shown: Vec<String> = args[1..]
                .iter()
                .map(|l| {
                    let (int, frac) = load_int_frac(number(l) as Load);
                    format!("{int}.{frac:02}")
                })
                .collect();
            println!("{}", shown.join(" "));
        }
        "decay" => {
            let period: f64 = arg(1).parse().unwrap_or_else(|_| fail("PERIOD"));
            let d: Vec<String> = args[2..]
                .iter()
                .map(|w| decay(period, w.parse().unwrap_or_else(|_| fail("WINDOW"))).to_string())
                .collect();
            println!("{}", d.join(" "));
        }
        "definitions" => {
            let names: Vec<&str> = Accounting::ALL.iter().map(|a| a.name()).collect();
            println!("{}", names.join(" "));
        }
        _ => fail("replay|series|windows|advance|shown|decay|definitions"),
    }
    0
}
