// SPDX-License-Identifier: GPL-2.0

//! The per-cgroup series of `/proc/loadavg_rs_metrics`, and a bound on the bytes they print.
//!
//! They carry a `cgroup` label, the path as the reader's cgroup namespace names it
//! ([`PathText`], escaped once more as a label), and a `cgroupns` label, which says what that
//! namespace's `/` is ([`CgroupNs`]). They are at most `metrics_cgroups` cgroups', the largest
//! first; the others are summed in `cgroup="[other]"` over the disjoint subtrees they make
//! ([`crate::model::cgroup_view::bound`]), and counted in `loadavg_rs_cgroups_omitted`. No path
//! is `[other]`: a path starts with `/`.

use core::fmt;

use crate::model::accounting::{Accounting, Counts};
use crate::model::cgroup_report::{PathText, WIDEST_LOAD};
use crate::model::engine::Loads;
use crate::model::metrics::{distinct, head, measure, Exact, PREFIX};
use crate::model::report::Duration;

/// A label value: what `T` prints, with `\`, `"` and newlines escaped, as the format asks.
struct Label<T>(T);

impl<T: fmt::Display> fmt::Display for Label<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::write(&mut Escaping(f), format_args!("{}", self.0))
    }
}

/// A formatter that escapes what is written to it as a label value.
struct Escaping<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut plain = 0;
        for (i, c) in s.char_indices() {
            let escaped = match c {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                _ => continue,
            };
            self.0.write_str(s.get(plain..i).unwrap_or(""))?;
            self.0.write_str(escaped)?;
            // The three are one byte each.
            plain = i + 1;
        }
        self.0.write_str(s.get(plain..).unwrap_or(""))
    }
}

/// What the reader's cgroup namespace is, as the per-cgroup series' `cgroupns` label names it:
/// what `/` in their `cgroup` label is.
///
/// A node_exporter in a container reads the paths of its own namespace, whose `/` is the
/// container's cgroup: beside a host's, `cgroup="/"` would name two cgroups. The label tells
/// them apart without naming anything the reader cannot see: its namespace root's id is the
/// number its own `/sys/fs/cgroup` has as an inode, and the host can find that cgroup by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgroupNs {
    /// `host`: the namespace's root is the hierarchy's root, so the paths are the machine's
    /// (the initial cgroup namespace, or one made at the root).
    Host,
    /// The id of the namespace's root cgroup (`cgroup_id()`, never 0), a container's.
    Root(u64),
}

impl fmt::Display for CgroupNs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CgroupNs::Host => f.write_str("host"),
            CgroupNs::Root(id) => write!(f, "{id}"),
        }
    }
}

/// Which cgroup a per-cgroup series is of, as its `cgroup` label names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgroupLabel<'a> {
    /// A cgroup, by its path as the reader's namespace names it ([`PathText`]).
    Path(&'a [u8]),
    /// `[other]`: the cgroups left out, summed over the disjoint subtrees they make.
    Other,
}

impl fmt::Display for CgroupLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CgroupLabel::Path(path) => write!(f, "{}", PathText(path)),
            CgroupLabel::Other => f.write_str("[other]"),
        }
    }
}

/// Series a cgroup has with three distinct windows: every definition's three averages, every
/// definition's count, its threads.
pub const SERIES_PER_CGROUP: usize = Accounting::ALL.len() * 3 + Accounting::ALL.len() + 1;

/// The series of the per-cgroup series themselves: the sample they are of, and how many
/// cgroups of the reader's namespace they leave out.
pub struct CgroupSummary {
    /// The sample the rows are of.
    pub sample: u64,
    /// The reader's namespace.
    pub ns: CgroupNs,
    /// Tracked cgroups of the namespace without series of their own.
    pub omitted: u32,
}

impl fmt::Display for CgroupSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        head(
            f,
            "cgroup_sample",
            "gauge",
            "The sample the per-cgroup series are of, as every other series (one read, one sample).",
        )?;
        writeln!(f, "{PREFIX}cgroup_sample {}", self.sample)?;
        head(
            f,
            "cgroups_omitted",
            "gauge",
            "Tracked cgroups of the reader's cgroup namespace without series of their own (the \
             smallest past metrics_cgroups, or a path too long to name): cgroup=\"[other]\" sums \
             them.",
        )?;
        writeln!(
            f,
            "{PREFIX}cgroups_omitted{{cgroupns=\"{}\"}} {}",
            Label(self.ns),
            self.omitted
        )
    }
}

/// The per-cgroup families, each printed over every row the reader sees (a family's lines must
/// come together).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgroupFamily {
    /// `loadavg_rs_cgroup_load{cgroup,cgroupns,definition,window}`.
    Load,
    /// `loadavg_rs_cgroup_tasks{cgroup,cgroupns,definition}`.
    Tasks,
    /// `loadavg_rs_cgroup_threads{cgroup,cgroupns}`.
    Threads,
}

impl CgroupFamily {
    /// Every family, in the order they are printed.
    pub const ALL: [CgroupFamily; 3] = [
        CgroupFamily::Load,
        CgroupFamily::Tasks,
        CgroupFamily::Threads,
    ];
}

/// What `[other]` is, for the per-cgroup families' help.
const OTHER_HELP: &str = "cgroup=\"[other]\": the sum over the cgroups without series of their \
    own that are not below another such cgroup (a cgroup counts its descendants).";

/// The `# HELP` and `# TYPE` lines of a per-cgroup family.
pub struct CgroupHead(pub CgroupFamily);

impl fmt::Display for CgroupHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, what) = match self.0 {
            CgroupFamily::Load => (
                "cgroup_load",
                "Load average of a cgroup and its descendants, per definition and window",
            ),
            CgroupFamily::Tasks => (
                "cgroup_tasks",
                "Tasks of a cgroup and its descendants active at the last sample, per definition",
            ),
            CgroupFamily::Threads => (
                "cgroup_threads",
                "Threads of a cgroup and its descendants at the last sample",
            ),
        };
        writeln!(f, "# HELP {PREFIX}{name} {what}; {OTHER_HELP}")?;
        writeln!(f, "# TYPE {PREFIX}{name} gauge")
    }
}

/// One cgroup's lines of one family, their labels in name order, as node_exporter prints them
/// again (a scrape holds the file's very lines).
pub struct CgroupSeries<'a> {
    /// The family.
    pub family: CgroupFamily,
    /// The reader's namespace.
    pub ns: CgroupNs,
    /// The cgroup.
    pub cgroup: CgroupLabel<'a>,
    /// Its counts at the sample (its descendants' included).
    pub counts: &'a Counts,
    /// Its averages.
    pub loads: &'a Loads,
    /// The windows, for the `window` label.
    pub windows_ms: [u32; 3],
}

impl fmt::Display for CgroupSeries<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (ns, cg) = (Label(self.ns), Label(self.cgroup));
        match self.family {
            CgroupFamily::Load => {
                for a in Accounting::ALL {
                    let loads = self.loads[a.index()];
                    for (i, w) in distinct(self.windows_ms) {
                        let (n, w, l) = (a.name(), Duration(w), Exact(loads[i]));
                        writeln!(
                            f,
                            "{PREFIX}cgroup_load{{cgroup=\"{cg}\",cgroupns=\"{ns}\",definition=\"{n}\",window=\"{w}\"}} {l}"
                        )?;
                    }
                }
                Ok(())
            }
            CgroupFamily::Tasks => {
                for a in Accounting::ALL {
                    let (n, c) = (a.name(), self.counts.active(a));
                    writeln!(
                        f,
                        "{PREFIX}cgroup_tasks{{cgroup=\"{cg}\",cgroupns=\"{ns}\",definition=\"{n}\"}} {c}"
                    )?;
                }
                Ok(())
            }
            CgroupFamily::Threads => {
                writeln!(
                    f,
                    "{PREFIX}cgroup_threads{{cgroup=\"{cg}\",cgroupns=\"{ns}\"}} {}",
                    self.counts.threads
                )
            }
        }
    }
}

/// Bytes the per-cgroup series of `cgroups` cgroups (and `[other]`) print at most, with windows
/// `windows_ms`, for a reader in `ns`, if no path prints longer than `path_bytes` as a label: a
/// bound from the formats, each figure as wide as it can be (every count `u32::MAX`, every
/// average the largest such counts can make, with all 11 decimals).
pub fn cgroup_bytes(
    windows_ms: [u32; 3],
    ns: CgroupNs,
    cgroups: usize,
    path_bytes: usize,
) -> usize {
    let counts = Counts::WIDEST;
    let loads = [[WIDEST_LOAD; 3]; Accounting::ALL.len()];
    let summary = CgroupSummary {
        sample: u64::MAX,
        ns,
        omitted: u32::MAX,
    };
    let (mut fixed, mut per_cgroup) = (measure(summary).bytes, 0usize);
    for family in CgroupFamily::ALL {
        fixed = fixed.saturating_add(measure(CgroupHead(family)).bytes);
        let series = measure(CgroupSeries {
            family,
            ns,
            cgroup: CgroupLabel::Path(b""),
            counts: &counts,
            loads: &loads,
            windows_ms,
        });
        // Each line has the path once.
        let paths = series.lines.saturating_mul(path_bytes);
        per_cgroup = per_cgroup.saturating_add(series.bytes.saturating_add(paths));
    }
    // `[other]` is shorter than any path bound worth using; counted as one more cgroup.
    fixed.saturating_add(cgroups.saturating_add(1).saturating_mul(per_cgroup))
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_cgroup_metrics))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::calc_load::Load;
    use crate::model::engine::Engine;
    use crate::model::metrics::testing::engine;
    use crate::model::report::text_is;

    #[test]
    fn label_values_are_escaped() {
        assert!(text_is(Label("/a \"b\"\\c\nd"), "/a \\\"b\\\"\\\\c\\nd"));
        // A path's escapes are escaped once more: the label's value reads as the path's text.
        let path = CgroupLabel::Path(b"/x\xff\\y\n\"");
        assert!(text_is(path, "/x\\xff\\\\y\\x0a\""));
        assert!(text_is(Label(path), "/x\\\\xff\\\\\\\\y\\\\x0a\\\""));
        assert!(text_is(Label(CgroupLabel::Other), "[other]"));
        assert!(text_is(CgroupNs::Host, "host"));
        assert!(text_is(CgroupNs::Root(4242), "4242"));
    }

    /// A cgroup's figures: `e`'s, the loads plus `extra`.
    fn figures(e: &Engine, extra: Load) -> Loads {
        let mut loads = [[0; 3]; Accounting::ALL.len()];
        for a in Accounting::ALL {
            loads[a.index()] = e.loads(a).map(|l| l + extra);
        }
        loads
    }

    #[test]
    fn the_per_cgroup_series_say_what_they_leave_out() {
        let summary = CgroupSummary {
            sample: 7,
            ns: CgroupNs::Root(4242),
            omitted: 3,
        };
        // The summary's lines but its last, which says whose namespace and how many are left.
        macro_rules! head {
            () => {
                "\
# HELP loadavg_rs_cgroup_sample The sample the per-cgroup series are of, as every other series (one read, one sample).
# TYPE loadavg_rs_cgroup_sample gauge
loadavg_rs_cgroup_sample 7
# HELP loadavg_rs_cgroups_omitted Tracked cgroups of the reader's cgroup namespace without series of their own (the smallest past metrics_cgroups, or a path too long to name): cgroup=\"[other]\" sums them.
# TYPE loadavg_rs_cgroups_omitted gauge
"
            };
        }
        let want = concat!(head!(), "loadavg_rs_cgroups_omitted{cgroupns=\"4242\"} 3\n");
        assert!(text_is(summary, want));
        let host = CgroupSummary {
            sample: 7,
            ns: CgroupNs::Host,
            omitted: 0,
        };
        let want = concat!(head!(), "loadavg_rs_cgroups_omitted{cgroupns=\"host\"} 0\n");
        assert!(text_is(host, want));
        let want = "\
# HELP loadavg_rs_cgroup_threads Threads of a cgroup and its descendants at the last sample; cgroup=\"[other]\": the sum over the cgroups without series of their own that are not below another such cgroup (a cgroup counts its descendants).
# TYPE loadavg_rs_cgroup_threads gauge
";
        assert!(text_is(CgroupHead(CgroupFamily::Threads), want));
    }

    #[test]
    fn every_cgroup_is_a_set_of_series_and_the_rest_one_more() {
        let e = engine();
        let windows_ms = e.config().windows_ms;
        let loads = figures(&e, 0);
        let series = |family, ns, cgroup, loads| CgroupSeries {
            family,
            ns,
            cgroup,
            counts: e.counts(),
            loads,
            windows_ms,
        };
        let odd = CgroupLabel::Path(b"/w\xffb\\s");
        let want = "\
loadavg_rs_cgroup_tasks{cgroup=\"/w\\\\xffb\\\\\\\\s\",cgroupns=\"4242\",definition=\"cpu\"} 1
loadavg_rs_cgroup_tasks{cgroup=\"/w\\\\xffb\\\\\\\\s\",cgroupns=\"4242\",definition=\"io\"} 0
loadavg_rs_cgroup_tasks{cgroup=\"/w\\\\xffb\\\\\\\\s\",cgroupns=\"4242\",definition=\"all\"} 1
loadavg_rs_cgroup_tasks{cgroup=\"/w\\\\xffb\\\\\\\\s\",cgroupns=\"4242\",definition=\"cpuio\"} 1
loadavg_rs_cgroup_tasks{cgroup=\"/w\\\\xffb\\\\\\\\s\",cgroupns=\"4242\",definition=\"blocked\"} 0
";
        let ns = CgroupNs::Root(4242);
        assert!(text_is(series(CgroupFamily::Tasks, ns, odd, &loads), want));
        let want = "loadavg_rs_cgroup_threads{cgroup=\"/\",cgroupns=\"host\"} 2\n";
        let root = CgroupLabel::Path(b"/");
        assert!(text_is(
            series(CgroupFamily::Threads, CgroupNs::Host, root, &loads),
            want
        ));
        let other = figures(&e, 1);
        let want = "\
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"cpu\",window=\"2s\"} 0.05126953125
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"cpu\",window=\"10s\"} 0.0107421875
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"cpu\",window=\"30s\"} 0.00390625
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"io\",window=\"2s\"} 0.00048828125
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"io\",window=\"10s\"} 0.00048828125
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"io\",window=\"30s\"} 0.00048828125
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"all\",window=\"2s\"} 0.05126953125
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"all\",window=\"10s\"} 0.0107421875
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"all\",window=\"30s\"} 0.00390625
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"cpuio\",window=\"2s\"} 0.05126953125
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"cpuio\",window=\"10s\"} 0.0107421875
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"cpuio\",window=\"30s\"} 0.00390625
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"blocked\",window=\"2s\"} 0.00048828125
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"blocked\",window=\"10s\"} 0.00048828125
loadavg_rs_cgroup_load{cgroup=\"[other]\",cgroupns=\"4242\",definition=\"blocked\",window=\"30s\"} 0.00048828125
";
        let summed = series(CgroupFamily::Load, ns, CgroupLabel::Other, &other);
        assert!(text_is(summed, want));
        // Each cgroup 21 series; a window as long as another's, 5 fewer.
        let lines = |windows_ms| {
            CgroupFamily::ALL.into_iter().fold(0, |n, family| {
                let s = CgroupSeries {
                    windows_ms,
                    ..series(family, ns, odd, &loads)
                };
                n + measure(s).lines
            })
        };
        assert_eq!(SERIES_PER_CGROUP, 21);
        assert_eq!(lines(windows_ms), SERIES_PER_CGROUP);
        assert_eq!(lines([2000, 2000, 30_000]), SERIES_PER_CGROUP - 5);
    }

    #[test]
    fn the_size_bound_holds_the_widest_figures() {
        let e = engine();
        let windows_ms = e.config().windows_ms;
        let ns = CgroupNs::Root(4242);
        let counts = Counts::WIDEST;
        assert!(text_is(Exact(WIDEST_LOAD), "4294967295.00048828125"));
        let loads = [[WIDEST_LOAD; 3]; Accounting::ALL.len()];
        // What one cgroup's series print, with the widest figures.
        let one = |path: &'static [u8], counts: &Counts, loads: &Loads| {
            CgroupFamily::ALL.into_iter().fold(0, |n, family| {
                let series = CgroupSeries {
                    family,
                    ns,
                    cgroup: CgroupLabel::Path(path),
                    counts,
                    loads,
                    windows_ms,
                };
                n + measure(series).bytes
            })
        };
        let per_cgroup = cgroup_bytes(windows_ms, ns, 1, 8) - cgroup_bytes(windows_ms, ns, 0, 8);
        assert_eq!(per_cgroup, one(b"/a/b/c/d", &counts, &loads));
        assert!(one(b"/a/b/c/d/e", &counts, &loads) > per_cgroup);
        // The heads, two cgroups and `[other]`, of real figures: within the bound.
        let real = figures(&e, 0);
        let heads = CgroupFamily::ALL
            .into_iter()
            .fold(0, |n, family| n + measure(CgroupHead(family)).bytes);
        let summary = CgroupSummary {
            sample: 7,
            ns,
            omitted: 3,
        };
        let text = measure(summary).bytes + heads + 3 * one(b"/a/b/c/d", e.counts(), &real);
        assert!(text <= cgroup_bytes(windows_ms, ns, 2, 8));
        // A window fewer, fewer lines.
        let fewer = cgroup_bytes([2000, 2000, 30_000], ns, 1, 8);
        assert!(fewer < cgroup_bytes(windows_ms, ns, 1, 8));
    }
}
