// SPDX-License-Identifier: GPL-2.0

//! The C glue (`rust/glue/`): its functions, constants and types as bindgen makes them from
//! `rust/glue/glue.h` when the module is built. These are the only declarations of C functions
//! in the module's Rust; each is called only from the module named after its C file, which
//! argues its safety there.
//!
//! The kernel's structs appear here as opaque types (the header only names them): a pointer to
//! one from [`kernel::bindings`] is passed with `.cast()`, and one behind a reference the module
//! holds with [`ptr_of`]. A task is the exception: `task_struct` is [`kernel::bindings`]' own,
//! the type [`kernel::task::Task`] wraps.

#![allow(
    clippy::all,
    dead_code,
    improper_ctypes,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    unreachable_pub
)]

use kernel::ffi;
use kernel::sync::aref::{ARef, AlwaysRefCounted};

include!(env!("LOADAVG_RS_GLUE_GENERATED"));

/// The C object behind a reference, for the C side, which takes it as a mutable pointer.
pub(crate) fn ptr_of<T: AlwaysRefCounted>(r: &ARef<T>) -> *mut T {
    core::ptr::from_ref::<T>(r).cast_mut()
}
