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
    }

    /// Whether the file is about cgroups, and so exists only when cgroups are tracked.
    pub fn per_cgroup(self) -> bool {
        matches!(self, Content::CgroupLoadavg(_) | Content::Cgroups)
    }

    /// The file's name in `/proc`, to be written out ([`fmt::Display`]).
    pub fn name(self) -> Name {
        Name(self)
    }
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
        }
    }
}
