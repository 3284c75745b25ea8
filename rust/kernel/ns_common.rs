// SPDX-License-Identifier: GPL-2.0

//! What every namespace shares (C's `struct ns_common`): its nsfs operations, its inode number
//! and its reference count; and the per-user limits on namespaces (C's `ucounts`).
//!
//! C headers: [`include/linux/ns_common.h`](srctree/include/linux/ns_common.h),
//! [`include/linux/proc_ns.h`](srctree/include/linux/proc_ns.h),
//! [`include/linux/user_namespace.h`](srctree/include/linux/user_namespace.h)
//!
//! # Examples
//!
//! ```
//! use kernel::ns_common::{NsCommon, ProcNsOperations};
//! use kernel::c_str;
//!
//! static OPS: ProcNsOperations =
//!     ProcNsOperations::new(c_str!("example"), 0, None, None, None, None);
//!
//! let ns = NsCommon::new(&OPS)?;
//! let inum = ns.inum();
//! assert!(inum != 0);
//! ns.inc_ref();
//! // SAFETY: We own the reference taken above; it was not the last.
//! assert!(!unsafe { ns.dec_ref() });
//! // Another namespace gets another inode number.
//! let other = NsCommon::new(&OPS)?;
//! assert!(other.inum() != inum);
//! // SAFETY: We own the first reference; it is the last one.
//! assert!(unsafe { ns.dec_ref() });
//! drop(ns); // Gives the inode number back.
//! # Ok::<(), Error>(())
//! ```

use crate::{
    bindings,
    cred::UserNamespace,
    error::{to_result, Result},
    ffi::c_int,
    str::CStr,
    task::Kuid,
    types::Opaque,
};
use core::ptr::{self, NonNull};

/// The operations nsfs calls for one type of namespace (C's `struct proc_ns_operations`),
/// for `/proc/<pid>/ns/<name>` and `setns()`.
#[repr(transparent)]
pub struct ProcNsOperations(bindings::proc_ns_operations);

// SAFETY: Never written after it is made; C only reads it.
unsafe impl Sync for ProcNsOperations {}

/// nsfs's `get`: a reference on the namespace of a task.
pub type NsGetFn = unsafe extern "C" fn(*mut bindings::task_struct) -> *mut bindings::ns_common;
/// nsfs's `put`: gives back a reference `get` took.
pub type NsPutFn = unsafe extern "C" fn(*mut bindings::ns_common);
/// nsfs's `install` (`setns()`).
pub type NsInstallFn =
    unsafe extern "C" fn(*mut bindings::nsset, *mut bindings::ns_common) -> c_int;
/// nsfs's `owner`: the user namespace that owns a namespace.
pub type NsOwnerFn =
    unsafe extern "C" fn(*mut bindings::ns_common) -> *mut bindings::user_namespace;

impl ProcNsOperations {
    /// The operations of the namespaces named `name` (`/proc/<pid>/ns/<name>`), of clone flag
    /// `type_` (`CLONE_NEW*`); no real name for nsfs to show, no parent.
    pub const fn new(
        name: &'static CStr,
        type_: u32,
        get: Option<NsGetFn>,
        put: Option<NsPutFn>,
        install: Option<NsInstallFn>,
        owner: Option<NsOwnerFn>,
    ) -> Self {
        Self(bindings::proc_ns_operations {
            name: name.as_char_ptr(),
            real_ns_name: ptr::null(),
            type_: type_ as c_int,
            get,
            put,
            install,
            owner,
            get_parent: None,
        })
    }

    /// The raw pointer to the C operations.
    pub const fn as_ptr(&'static self) -> *const bindings::proc_ns_operations {
        &self.0
    }
}

/// A namespace's `struct ns_common`: its operations, its nsfs inode number and its count.
///
/// # Invariants
///
/// `ops` points to static operations; `count` counts the references on the namespace, and a
/// `&NsCommon` is only handed out while one is held, so it is not zero; `inum` was allocated
/// by [`NsCommon::new`] (and is given back on drop) or is fixed, for a static namespace that
/// is never dropped.
#[repr(transparent)]
pub struct NsCommon(Opaque<bindings::ns_common>);

// SAFETY: After the namespace is published only its count changes, atomically; the last
// reference may be dropped on any thread.
unsafe impl Send for NsCommon {}

// SAFETY: As above: shared references only read the fields that do not change, or change the
// count atomically.
unsafe impl Sync for NsCommon {}

impl NsCommon {
    /// The part of a static namespace (C's initial ones): fixed inode number `inum` and a count
    /// of `count` references, one more than are ever dropped so that it never reaches zero.
    pub const fn new_static(ops: &'static ProcNsOperations, inum: u32, count: u32) -> Self {
        Self(Opaque::new(bindings::ns_common {
            stashed: ptr::null_mut(),
            ops: ops.as_ptr(),
            inum,
            count: bindings::refcount_t {
                refs: bindings::atomic_t {
                    counter: count as c_int,
                },
            },
        }))
    }

    /// The part of a new namespace: a new nsfs inode number and one reference, the caller's.
    pub fn new(ops: &'static ProcNsOperations) -> Result<Self> {
        let mut inum = 0;
        // SAFETY: `inum` is writable.
        to_result(unsafe { bindings::proc_alloc_inum(&mut inum) })?;
        // INVARIANT: An allocated inode number, one reference.
        Ok(Self::new_static(ops, inum, 1))
    }

    /// The `struct ns_common` at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct ns_common` on which a reference is held for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::ns_common) -> &'a NsCommon {
        // SAFETY: Transparent wrapper; valid for `'a` (the caller's promise).
        unsafe { &*ptr.cast::<NsCommon>() }
    }

    /// The raw pointer to the C `struct ns_common`.
    pub fn as_ptr(&self) -> *mut bindings::ns_common {
        self.0.get()
    }

    /// The namespace's nsfs inode number.
    pub fn inum(&self) -> u32 {
        // SAFETY: Valid (type invariants); `inum` never changes.
        unsafe { (*self.as_ptr()).inum }
    }

    /// Takes one more reference on the namespace.
    pub fn inc_ref(&self) {
        // SAFETY: Valid, with a count above zero (type invariants); the count is atomic.
        unsafe { bindings::refcount_inc(ptr::addr_of_mut!((*self.as_ptr()).count)) }
    }

    /// Drops one reference; `true` if it was the last, and the namespace must be freed.
    ///
    /// # Safety
    ///
    /// The caller must own a reference on the namespace, which it gives up.
    pub unsafe fn dec_ref(&self) -> bool {
        // SAFETY: Valid (type invariants); the count is atomic, and the caller's reference is
        // given up.
        unsafe { bindings::refcount_dec_and_test(ptr::addr_of_mut!((*self.as_ptr()).count)) }
    }
}

impl Drop for NsCommon {
    fn drop(&mut self) {
        // SAFETY: The inode number was allocated by `new` (static ones are never dropped) and
        // is not used any more.
        unsafe { bindings::proc_free_inum(self.inum()) };
    }
}

/// One namespace of kind `KIND` (C's `UCOUNT_*_NAMESPACES`) charged to a user in a user
/// namespace (C's `inc_ucount()`), within that user's limit; given back on drop.
///
/// # Invariants
///
/// `0` points to the `ucounts` that `inc_ucount()` returned for `KIND`, which this charge owns.
#[repr(transparent)]
pub struct UcountCharge<const KIND: bindings::ucount_type>(NonNull<bindings::ucounts>);

// SAFETY: The counts are atomic; a charge may be given back on any thread.
unsafe impl<const KIND: bindings::ucount_type> Send for UcountCharge<KIND> {}

// SAFETY: A shared reference allows nothing.
unsafe impl<const KIND: bindings::ucount_type> Sync for UcountCharge<KIND> {}

impl<const KIND: bindings::ucount_type> UcountCharge<KIND> {
    /// Charges one namespace of kind `KIND` to user `uid` in `user_ns` and its ancestors;
    /// `None` past a limit (`user.max_*_namespaces`).
    pub fn new(user_ns: &UserNamespace, uid: Kuid) -> Option<Self> {
        // SAFETY: The user namespace is valid; `KIND` is a valid kind.
        let ucounts = unsafe { bindings::inc_ucount(user_ns.as_ptr(), uid.into_raw(), KIND) };
        // INVARIANT: Returned by `inc_ucount()` for `KIND`.
        NonNull::new(ucounts).map(Self)
    }
}

impl<const KIND: bindings::ucount_type> Drop for UcountCharge<KIND> {
    fn drop(&mut self) {
        // SAFETY: Owned (type invariants), given back once.
        unsafe { bindings::dec_ucount(self.0.as_ptr(), KIND) };
    }
}
