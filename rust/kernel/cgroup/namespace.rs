// SPDX-License-Identifier: GPL-2.0

//! cgroup namespaces (`CLONE_NEWCGROUP`): what C's `kernel/cgroup/namespace.c` provides, for
//! `kernel/nsproxy.c` and nsfs (`/proc/<pid>/ns/cgroup`, `setns()`).
//!
//! A namespace keeps the css_set of the task that made it, its *root set*: in every hierarchy,
//! the group of that set is the namespace's root. `/proc/<pid>/cgroup` shows each path relative
//! to the reader's namespace root (with `/..` components for a group outside it).
//!
//! # Lifetimes and locking
//!
//! A namespace is a C `struct cgroup_namespace` allocated here, counted by `ns.count` (one per
//! nsproxy using it, open nsfs files and the like) and freed by [`free_cgroup_ns`] when the
//! count drops to zero, in process context (from `put_nsproxy()` or nsfs's `put`). Its fields
//! are set before it is published and never change: a reference is all a reader needs. It
//! holds a reference on its root set, which holds its groups. The initial namespace is
//! static, has no root set (its root is the top group of every hierarchy) and is never freed:
//! its count starts at 2 and `init_nsproxy` holds one for ever.
//!
//! A task's `nsproxy` pointer changes only by the task itself (`unshare()`, `setns()`, exit),
//! under `task_lock()`: the task reads it without a lock, others under `task_lock()`.

use super::cset::{self, CssSet};
use crate::{
    alloc::{flags::GFP_KERNEL_ACCOUNT, KBox},
    bindings, c_str,
    cred::{self, UserNamespace, CAP_SYS_ADMIN},
    error::{code::*, to_result, Result},
    ffi::{c_int, c_ulong},
    types::{ARef, Opaque},
};
use core::ptr::{self, NonNull};

/// The nsfs operations of cgroup namespaces (C's `cgroupns_operations`).
#[repr(transparent)]
struct NsOps(bindings::proc_ns_operations);

// SAFETY: Never written; C only reads it.
unsafe impl Sync for NsOps {}

/// C's `cgroupns_operations`, which `fs/proc/namespaces.c` lists.
#[export_name = "cgroupns_operations"]
static CGROUPNS_OPERATIONS: NsOps = NsOps(bindings::proc_ns_operations {
    name: c_str!("cgroup").as_char_ptr(),
    type_: bindings::CLONE_NEWCGROUP as c_int,
    get: Some(ns_get),
    put: Some(ns_put),
    install: Some(ns_install),
    owner: Some(ns_owner),
    // SAFETY: All zeroes is valid for the rest: no real name, no parent.
    ..unsafe { core::mem::zeroed() }
});

/// The initial cgroup namespace (C's `init_cgroup_ns`).
#[repr(transparent)]
struct InitNs(Opaque<bindings::cgroup_namespace>);

// SAFETY: C changes only its count, atomically.
unsafe impl Sync for InitNs {}

/// C's `init_cgroup_ns`, which `init_nsproxy` points to.
#[export_name = "init_cgroup_ns"]
static INIT_CGROUP_NS: InitNs = InitNs(Opaque::new(bindings::cgroup_namespace {
    ns: bindings::ns_common {
        stashed: ptr::null_mut(),
        ops: &CGROUPNS_OPERATIONS.0,
        inum: bindings::PROC_CGROUP_INIT_INO,
        // Two: `init_nsproxy` holds one for ever, so that it never drops to zero.
        count: bindings::refcount_t {
            refs: bindings::atomic_t { counter: 2 },
        },
    },
    // Only the address of the initial user namespace is taken.
    user_ns: ptr::addr_of_mut!(bindings::init_user_ns),
    ucounts: ptr::null_mut(),
    root_cset: ptr::null_mut(),
}));

/// A counted reference on a cgroup namespace.
///
/// # Invariants
///
/// `ns` points to a cgroup namespace (made by [`copy_cgroup_ns`], or the initial one) on which
/// the reference owns one count.
pub(super) struct CgroupNs {
    ns: NonNull<bindings::cgroup_namespace>,
}

// SAFETY: The count is atomic and the other fields never change; the last reference may be
// dropped on any thread in process context.
unsafe impl Send for CgroupNs {}

// SAFETY: Shared references only read fields that never change.
unsafe impl Sync for CgroupNs {}

/// Whether the current task is in the initial cgroup namespace (a task on its way out, which
/// has left its namespaces, is counted in it).
///
/// # Examples
///
/// ```
/// // KUnit runs the doctests in a kernel thread, which never left the initial namespaces.
/// assert!(kernel::cgroup::current_in_initial_ns());
/// ```
pub fn current_in_initial_ns() -> bool {
    CgroupNs::current().is_init()
}

impl CgroupNs {
    /// The cgroup namespace of the current task (the initial one once it has left its
    /// namespaces, on its way out).
    pub(super) fn current() -> Self {
        let task = crate::current!();
        // SAFETY: The current task's `nsproxy` changes only by the task itself; while it is not
        // null it holds a reference on its cgroup namespace, which we take one more of.
        let ns = unsafe {
            let nsproxy = (*task.as_ptr()).nsproxy;
            let ns = if nsproxy.is_null() || (*nsproxy).cgroup_ns.is_null() {
                INIT_CGROUP_NS.0.get()
            } else {
                (*nsproxy).cgroup_ns
            };
            bindings::refcount_inc(ptr::addr_of_mut!((*ns).ns.count));
            ns
        };
        // INVARIANT: A valid namespace, whose new count we own.
        CgroupNs {
            // SAFETY: Not null: a static or a namespace pointer checked above.
            ns: unsafe { NonNull::new_unchecked(ns) },
        }
    }

    /// Whether this is the initial cgroup namespace.
    pub(super) fn is_init(&self) -> bool {
        ptr::eq(self.ns.as_ptr(), INIT_CGROUP_NS.0.get())
    }

    /// The user namespace that owns this one.
    pub(super) fn owner(&self) -> &UserNamespace {
        // SAFETY: The namespace is valid (type invariants) and holds a reference on its owner,
        // which never changes.
        unsafe { UserNamespace::from_ptr((*self.ns.as_ptr()).user_ns) }
    }

    /// The root set: in every hierarchy, its group is the namespace's root. `None` for the
    /// initial namespace, whose root is the top group of every hierarchy.
    pub(super) fn root_set(&self) -> Option<&CssSet> {
        // SAFETY: The namespace is valid (type invariants); its root set never changes and the
        // namespace holds a reference on it.
        unsafe { NonNull::new((*self.ns.as_ptr()).root_cset.cast::<CssSet>()).map(|s| s.as_ref()) }
    }
}

impl Drop for CgroupNs {
    fn drop(&mut self) {
        // SAFETY: We own a reference (type invariants), given up here.
        unsafe { put_ns(self.ns.as_ptr()) };
    }
}

/// A new namespace owned by `user_ns`, whose root set is the current task's.
///
/// # Safety
///
/// `user_ns` must be valid for the call.
unsafe fn new_ns(
    user_ns: *mut bindings::user_namespace,
) -> Result<*mut bindings::cgroup_namespace> {
    // SAFETY: `user_ns` is valid (the caller's promise).
    if !unsafe { bindings::ns_capable(user_ns, CAP_SYS_ADMIN as c_int) } {
        return Err(EPERM);
    }
    let euid = cred::current().euid().into_raw();
    // SAFETY: As above.
    let ucounts = unsafe {
        bindings::inc_ucount(
            user_ns,
            euid,
            bindings::ucount_type_UCOUNT_CGROUP_NAMESPACES,
        )
    };
    if ucounts.is_null() {
        return Err(ENOSPC);
    }
    // SAFETY: `user_ns` is valid (the caller's promise).
    let made = unsafe { alloc_ns(user_ns, ucounts) };
    if made.is_err() {
        // SAFETY: Taken above, and not handed to a namespace.
        unsafe { bindings::dec_ucount(ucounts, bindings::ucount_type_UCOUNT_CGROUP_NAMESPACES) };
    }
    made
}

/// The namespace of [`new_ns`], once its ucount `ucounts` is taken.
///
/// # Safety
///
/// `user_ns` must be valid for the call.
unsafe fn alloc_ns(
    user_ns: *mut bindings::user_namespace,
    ucounts: *mut bindings::ucounts,
) -> Result<*mut bindings::cgroup_namespace> {
    let set = cset::task_cset_ref(crate::current!());
    // SAFETY: All zeroes is valid for `struct cgroup_namespace` (pointers and integers).
    let mut ns = KBox::new(
        unsafe { core::mem::zeroed::<bindings::cgroup_namespace>() },
        GFP_KERNEL_ACCOUNT,
    )?;
    // SAFETY: `inum` is writable; nothing else uses the namespace yet.
    to_result(unsafe { bindings::proc_alloc_inum(&mut ns.ns.inum) })?;
    ns.ns.count = bindings::refcount_t {
        refs: bindings::atomic_t { counter: 1 },
    };
    ns.ns.ops = &CGROUPNS_OPERATIONS.0;
    // SAFETY: `user_ns` is valid; the namespace holds the new reference until
    // `free_cgroup_ns`.
    ns.user_ns = unsafe { bindings::get_user_ns(user_ns) };
    ns.ucounts = ucounts;
    ns.root_cset = set.map_or(ptr::null_mut(), |s| ARef::into_raw(s).as_ptr().cast());
    Ok(KBox::into_raw(ns))
}

/// The namespace of `ns_common`.
///
/// # Safety
///
/// `ns` must be the `ns` field of a valid `struct cgroup_namespace`.
unsafe fn to_cgroup_ns(ns: *mut bindings::ns_common) -> *mut bindings::cgroup_namespace {
    // SAFETY: Guaranteed by the caller.
    unsafe { crate::container_of!(ns, bindings::cgroup_namespace, ns).cast_mut() }
}

/// Drops a reference on `ns` (C's `put_cgroup_ns()`).
///
/// # Safety
///
/// The caller must own a reference on `ns`, which it gives up.
unsafe fn put_ns(ns: *mut bindings::cgroup_namespace) {
    // SAFETY: `ns` is valid while the caller's reference lasts.
    if unsafe { bindings::refcount_dec_and_test(ptr::addr_of_mut!((*ns).ns.count)) } {
        // SAFETY: That was the last reference.
        unsafe { free_cgroup_ns(ns) };
    }
}

/// C's `copy_cgroup_ns()`, called by `create_new_namespaces()` for fork, `unshare()` and
/// `setns()` with several namespaces: a new reference on `old_ns`, or with `CLONE_NEWCGROUP`
/// a new namespace owned by `user_ns` (`EPERM` without `CAP_SYS_ADMIN` there, `ENOSPC` past the
/// user's limit of namespaces). Process context; may sleep.
///
/// # Safety
///
/// `user_ns` must be valid, and `old_ns` a namespace the caller holds a reference on.
#[no_mangle]
unsafe extern "C" fn copy_cgroup_ns(
    flags: c_ulong,
    user_ns: *mut bindings::user_namespace,
    old_ns: *mut bindings::cgroup_namespace,
) -> *mut bindings::cgroup_namespace {
    if flags & bindings::CLONE_NEWCGROUP as c_ulong == 0 {
        // SAFETY: The caller holds a reference on `old_ns`.
        unsafe { bindings::refcount_inc(ptr::addr_of_mut!((*old_ns).ns.count)) };
        return old_ns;
    }
    // SAFETY: `user_ns` is valid (the caller's promise).
    match unsafe { new_ns(user_ns) } {
        Ok(ns) => ns,
        Err(e) => e.to_ptr(),
    }
}

/// C's `free_cgroup_ns()`: frees a namespace whose count dropped to zero. Process context.
///
/// # Safety
///
/// `ns` must have been made by [`copy_cgroup_ns`], and its count be zero.
#[no_mangle]
unsafe extern "C" fn free_cgroup_ns(ns: *mut bindings::cgroup_namespace) {
    // SAFETY: Made by `new_ns` as a box; nothing refers to it any more.
    let ns = unsafe { KBox::from_raw(ns) };
    if let Some(set) = NonNull::new(ns.root_cset.cast::<CssSet>()) {
        // SAFETY: The namespace owned this reference.
        drop(unsafe { ARef::from_raw(set) });
    }
    // SAFETY: The namespace owned its ucount, its user namespace reference and its inode number.
    unsafe {
        bindings::dec_ucount(ns.ucounts, bindings::ucount_type_UCOUNT_CGROUP_NAMESPACES);
        bindings::put_user_ns(ns.user_ns);
        bindings::proc_free_inum(ns.ns.inum);
    }
}

/// nsfs `get`: a reference on the namespace of `task`, or null if it has exited its
/// namespaces. Process context.
///
/// # Safety
///
/// `task` must be valid for the call.
unsafe extern "C" fn ns_get(task: *mut bindings::task_struct) -> *mut bindings::ns_common {
    // SAFETY: nsfs passes a task it holds a reference on; `task_lock()` keeps its `nsproxy`,
    // which holds a reference on its cgroup namespace.
    unsafe {
        bindings::task_lock(task);
        let nsproxy = (*task).nsproxy;
        let ns = if nsproxy.is_null() {
            ptr::null_mut()
        } else {
            let ns = (*nsproxy).cgroup_ns;
            bindings::refcount_inc(ptr::addr_of_mut!((*ns).ns.count));
            ptr::addr_of_mut!((*ns).ns)
        };
        bindings::task_unlock(task);
        ns
    }
}

/// nsfs `put`: drops a reference that `ns_get` took. Process context.
///
/// # Safety
///
/// `ns` must be the `ns` field of a cgroup namespace; the caller gives up a reference on it.
unsafe extern "C" fn ns_put(ns: *mut bindings::ns_common) {
    // SAFETY: nsfs gives back a reference that `ns_get` (or the nsproxy) took.
    unsafe { put_ns(to_cgroup_ns(ns)) };
}

/// nsfs `install` (`setns()`): makes `ns` the cgroup namespace of the new nsproxy being built
/// in `nsset`; `EPERM` without `CAP_SYS_ADMIN` in both the caller's user namespace and the
/// one owning `ns`. Process context.
///
/// # Safety
///
/// `nsset` must be valid, with an nsproxy of its own, and `ns` the `ns` field of a cgroup
/// namespace that the caller holds a reference on.
unsafe extern "C" fn ns_install(
    nsset: *mut bindings::nsset,
    ns: *mut bindings::ns_common,
) -> c_int {
    // SAFETY: nsfs passes a valid nsset, whose nsproxy is not shared yet, and a namespace it
    // holds a reference on.
    unsafe {
        let ns = to_cgroup_ns(ns);
        let nsproxy = (*nsset).nsproxy;
        if !bindings::ns_capable((*(*nsset).cred).user_ns, CAP_SYS_ADMIN as c_int)
            || !bindings::ns_capable((*ns).user_ns, CAP_SYS_ADMIN as c_int)
        {
            return EPERM.to_errno();
        }
        if (*nsproxy).cgroup_ns == ns {
            return 0;
        }
        bindings::refcount_inc(ptr::addr_of_mut!((*ns).ns.count));
        put_ns((*nsproxy).cgroup_ns);
        (*nsproxy).cgroup_ns = ns;
    }
    0
}

/// nsfs `owner`: the user namespace that owns `ns`.
///
/// # Safety
///
/// `ns` must be the `ns` field of a cgroup namespace that the caller holds a reference on.
unsafe extern "C" fn ns_owner(ns: *mut bindings::ns_common) -> *mut bindings::user_namespace {
    // SAFETY: nsfs passes a namespace it holds a reference on; `user_ns` never changes.
    unsafe { (*to_cgroup_ns(ns)).user_ns }
}
