// SPDX-License-Identifier: GPL-2.0

//! The module's files in `/proc`: one list, in the order the module makes them, and their
//! names, both derived from the definitions ([`Accounting::ALL`]).
//!
//! | file                          | shows                                               |
//! |-------------------------------|-----------------------------------------------------|
//! | `loadavg_<definition>`        | one definition, in the format of `/proc/loadavg`    |
//! | `loadavg_rs`                  | every definition's averages and the sampler's figures |
//! | `loadavg_rs_samples`          | the last samples, and the averages in fixed point   |
//! | `loadavg_cgroup`, `loadavg_cgroup_<definition>` | the reader's own cgroup (`all`, then the others) |
//! | `loadavg_rs_cgroups`          | every tracked cgroup the reader may see             |
//! | `loadavg_rs_metrics`          | all of it in the Prometheus text format             |
//! | `loadavg_rs_top`              | the processes that make the load, split by cause    |
//! | `loadavg_rs_stacks`           | the load by process and kernel stack, folded (root) |

use core::fmt;

use crate::model::accounting::Accounting;

/// What a file shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// One definition, in the format of `/proc/loadavg`.
    Loadavg(Accounting),
    /// The table of every definition and of the sampler's figures.
    Table,
    /// The recent samples and the engine's exact state.
    Samples,
    /// One definition of the reader's own cgroup, in the format of `/proc/loadavg`.
    CgroupLoadavg(Accounting),
    /// Every tracked cgroup.
    Cgroups,
    /// Everything, in the Prometheus text format.
    Metrics,
    /// The processes that make the load, like `top` in load units.
    Top,
    /// The load by process and kernel wait site, as folded stacks for a flame graph.
    Stacks,
}

impl Content {
    /// Every file, in the order the module makes them.
    pub fn all() -> impl Iterator<Item = Content> {
        let loadavg = Accounting::ALL.into_iter().map(Content::Loadavg);
        // `loadavg_cgroup` is the cgroup's `all`, as `/proc/loadavg` is the system's.
        let cgroup = core::iter::once(Accounting::All)
            .chain(
                Accounting::ALL
                    .into_iter()
                    .filter(|&a| a != Accounting::All),
            )
            .map(Content::CgroupLoadavg);
        loadavg
            .chain([Content::Table, Content::Samples])
            .chain(cgroup)
            .chain([Content::Cgroups, Content::Metrics])
            .chain([Content::Top, Content::Stacks])
    }

    /// Whether the file is about cgroups, and so exists only when cgroups are tracked.
    pub fn per_cgroup(self) -> bool {
        matches!(self, Content::CgroupLoadavg(_) | Content::Cgroups)
    }

    /// Whether the file shows load attribution, and so exists only when tasks are attributed.
    pub fn attribution(self) -> bool {
        matches!(self, Content::Top | Content::Stacks)
    }

    /// Whether only a reader with `CAP_SYS_ADMIN` and `CAP_SYS_PTRACE` in the initial user
    /// namespace may read it (kernel stacks, as `/proc/PID/stack`).
    pub fn admin_only(self) -> bool {
        self == Content::Stacks
    }

    /// Who may read the file: [`Access::Admin`] for kernel stacks; root alone for the top file
    /// if `top_root_only` (a `/proc` mounted with `hidepid=` hides processes that the top file
    /// would list); else everyone.
    pub fn access(self, top_root_only: bool) -> Access {
        if self.admin_only() {
            Access::Admin
        } else if top_root_only && self == Content::Top {
            Access::Root
        } else {
            Access::Everyone
        }
    }

    /// The file's name in `/proc`, to be written out ([`fmt::Display`]).
    pub fn name(self) -> Name {
        Name(self)
    }
}

/// Who may read a file ([`Content::access`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everyone (mode 0444).
    Everyone,
    /// Root alone (mode 0400).
    Root,
    /// Root alone, with `CAP_SYS_ADMIN` and `CAP_SYS_PTRACE` in the initial user namespace
    /// (mode 0400), as `/proc/PID/stack` of any process.
    Admin,
}

/// The name of a file ([`Content::name`]).
pub struct Name(Content);

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Content::Loadavg(a) => write!(f, "loadavg_{}", a.name()),
            Content::Table => write!(f, "loadavg_rs"),
            Content::Samples => write!(f, "loadavg_rs_samples"),
            Content::CgroupLoadavg(Accounting::All) => write!(f, "loadavg_cgroup"),
            Content::CgroupLoadavg(a) => write!(f, "loadavg_cgroup_{}", a.name()),
            Content::Cgroups => write!(f, "loadavg_rs_cgroups"),
            Content::Metrics => write!(f, "loadavg_rs_metrics"),
            Content::Top => write!(f, "loadavg_rs_top"),
            Content::Stacks => write!(f, "loadavg_rs_stacks"),
        }
    }
}

#[cfg_attr(MODULE, ::kernel::macros::kunit_tests(loadavg_rs_files))]
#[cfg(any(test, MODULE))]
mod tests {
    use super::*;
    use crate::model::report::text_is;

    #[test]
    fn the_files_and_their_names() {
        let want = [
            "loadavg_cpu",
            "loadavg_io",
            "loadavg_all",
            "loadavg_cpuio",
            "loadavg_blocked",
            "loadavg_rs",
            "loadavg_rs_samples",
            "loadavg_cgroup",
            "loadavg_cgroup_cpu",
            "loadavg_cgroup_io",
            "loadavg_cgroup_cpuio",
            "loadavg_cgroup_blocked",
            "loadavg_rs_cgroups",
            "loadavg_rs_metrics",
            "loadavg_rs_top",
            "loadavg_rs_stacks",
        ];
        assert_eq!(Content::all().count(), want.len());
        for (c, name) in Content::all().zip(want) {
            assert!(text_is(c.name(), name));
        }
        assert_eq!(Content::all().filter(|c| c.per_cgroup()).count(), 6);
        assert_eq!(Content::all().filter(|c| c.attribution()).count(), 2);
        let admin = Content::all().filter(|c| c.admin_only());
        assert!(admin.eq([Content::Stacks]));
        let root = Content::all().filter(|c| c.access(true) == Access::Root);
        assert!(root.eq([Content::Top]));
        assert!(Content::all().all(|c| c.access(false) != Access::Root));
    }
}
