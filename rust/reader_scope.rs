// SPDX-License-Identifier: GPL-2.0

//! What the reading task's namespaces let it see: the cgroups of its cgroup namespace, named
//! from its root, in the per-cgroup files, the metrics' `cgroupns` label and the paths of the
//! attribution's processes. The files use it; the walk does not.

use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

use crate::glue::{self, cgroup as Cgroup};
use crate::model::cgroup_metrics::CgroupNs;
use crate::model::cgroup_view::{self, Own, Row, Scope};

/// The reading task's cgroup namespace: what the per-cgroup files show it, by a reference on
/// the namespace's root cgroup (on the default hierarchy), put when the scope goes.
pub struct ReaderScope {
    root: ARef<Cgroup>,
}

impl ReaderScope {
    /// The namespace's root cgroup, valid while `self` is.
    pub fn root(&self) -> *mut Cgroup {
        glue::ptr_of(&self.root)
    }

    /// The calling task's namespace.
    pub fn current() -> ReaderScope {
        // SAFETY: Called from a task's read, in process context: it has an nsproxy, whose cgroup
        // namespace holds its root's css set, which pins the root cgroup while the task keeps
        // the namespace, which it does at least until this read returns (a task changes only
        // its own namespaces, never in the middle of a read).
        let root = unsafe { &*glue::reader_ns_root() };
        ReaderScope {
            root: ARef::from(root),
        }
    }

    /// Whether `row`'s cgroup is the namespace's root or below it.
    pub fn sees(&self, row: &Row<ARef<Cgroup>>) -> bool {
        // SAFETY: `self` holds a reference on its root, the row one on its cgroup.
        unsafe { glue::cgroup_is_descendant(glue::ptr_of(&row.cgroup), self.root()) }
    }

    /// How many cgroups exist in the namespace: its root and the root's live descendants.
    pub fn existing(&self) -> u32 {
        // SAFETY: `self` holds a reference on its root; the count is read racily, as a statistic.
        unsafe { glue::cgroup_subtree_count(self.root()) }
    }

    /// Writes the path of `row`'s cgroup as the namespace sees it (its root is `/`) into `buf`.
    ///
    /// Returns its bytes (a name may hold any byte but `/` and NUL: print them with
    /// [`crate::model::cgroup_report::PathText`]), or `None` if it does not fit. Takes no lock;
    /// `row` must be one it [sees](ReaderScope::sees).
    pub fn path<'a>(&self, row: &Row<ARef<Cgroup>>, buf: &'a mut [u8]) -> Option<&'a [u8]> {
        // SAFETY: `self` holds a reference on its root, the row holds a reference on its cgroup,
        // and `buf` is writable for its length.
        let n = unsafe {
            glue::cgroup_path_from(
                glue::ptr_of(&row.cgroup),
                self.root(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        // kernfs_path_from_node() returns the length it wrote, at most `buf.len() - 1`: a path
        // that long may have been cut short, and is not shown.
        let n = usize::try_from(n).ok().filter(|&n| n + 1 < buf.len())?;
        buf.get(..n)
    }

    /// What the namespace's root is, as the metrics' `cgroupns` label names it: the hierarchy's
    /// root (the paths are the machine's), or another cgroup, by its id.
    pub fn namespace(&self) -> CgroupNs {
        // SAFETY: Always safe to call: the root cgroup lives as long as the kernel.
        let hierarchy_root = unsafe { glue::root_cgroup() };
        if core::ptr::eq(self.root(), hierarchy_root) {
            return CgroupNs::Host;
        }
        // SAFETY: `self` holds a reference on its root.
        let id = unsafe { glue::cgroup_id(self.root()) };
        CgroupNs::Root(id)
    }

    /// The id of the parent of `row`'s cgroup, or `None` for the namespace's root, whose parent
    /// the namespace does not see; `row` must be one it [sees](ReaderScope::sees).
    pub fn parent_id(&self, row: &Row<ARef<Cgroup>>) -> Option<u64> {
        let cg = glue::ptr_of(&row.cgroup);
        if core::ptr::eq(cg, self.root()) {
            return None;
        }
        // SAFETY: The row holds a reference on its cgroup, which pins its parent.
        let parent = unsafe { glue::cgroup_parent(cg) };
        if parent.is_null() {
            return None;
        }
        // SAFETY: `parent` is pinned by its child (above).
        let id = unsafe { glue::cgroup_id(parent) };
        Some(id)
    }

    /// How the reading task's own cgroup reads in `rows` (a published view's, `short_of_room` as
    /// the view says); `EACCES` when the task's cgroup is outside its own cgroup namespace (it
    /// would name a cgroup the namespace hides).
    pub fn own<'v>(&self, rows: &'v [Row<ARef<Cgroup>>], short_of_room: bool) -> Result<Own<'v>> {
        let (mut id, mut level) = (0u64, 0 as c_int);
        // SAFETY: `self` holds a reference on its root; `id` and `level` are writable.
        let inside = unsafe { glue::current_cgroup(self.root(), &mut id, &mut level) };
        if !inside {
            return Err(EACCES);
        }
        let level = u32::try_from(level).unwrap_or(u32::MAX);
        Ok(cgroup_view::own(rows, id, level, short_of_room))
    }
}

/// The scope of `rows` (a published view's) a reader sees.
pub fn scope(rows: &[Row<ARef<Cgroup>>], reader: &ReaderScope) -> Scope {
    cgroup_view::scope(rows, |r| reader.sees(r))
}
