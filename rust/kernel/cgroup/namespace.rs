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
//! A namespace ([`Namespace`]) has the layout of C's `struct cgroup_namespace`, whose `ns`
//! field ([`NsCommon`]) is all C touches: it is counted there (one per nsproxy using it, open
//! nsfs files and the like), and freed by [`free_cgroup_ns`] when the count drops to zero, in
//! process context (from `put_nsproxy()` or nsfs's `put`). Rust holds references as
//! `ARef<Namespace>`. Its fields are set before it is published and never change: a reference
//! is all a reader needs. It owns a reference on its owner, a charge on its creator's limit of
//! namespaces and a reference on its root set, which holds its groups. The initial namespace
//! is static, has none of these (its owner is the initial user namespace, its root the top
//! group of every hierarchy) and is never freed: its count starts at 2 and `init_nsproxy`
//! holds one for ever.
//!
//! A task's `nsproxy` pointer changes only by the task itself (`unshare()`, `setns()`, exit),
//! under `task_lock()`: the task reads it without a lock, others under `task_lock()`.

use super::cset::{self, CssSet};
use crate::{
    alloc::{flags::GFP_KERNEL_ACCOUNT, KBox},
    bindings, c_str,
    cred::{self, UserNamespace, CAP_SYS_ADMIN},
    error::{code::*, Result},
    ffi::{c_int, c_ulong},
    ns_common::{NsCommon, ProcNsOperations, UcountCharge},
    task::Task,
    types::{ARef, AlwaysRefCounted},
};
use core::{mem, ptr, ptr::NonNull};

/// A counted reference on a cgroup namespace.
pub(super) type CgroupNs = ARef<Namespace>;

/// C's `cgroupns_operations`, which `fs/proc/namespaces.c` lists.
#[export_name = "cgroupns_operations"]
static CGROUPNS_OPERATIONS: ProcNsOperations = ProcNsOperations::new(
    c_str!("cgroup"),
    bindings::CLONE_NEWCGROUP,
    Some(ns_get),
    Some(ns_put),
    Some(ns_install),
    Some(ns_owner),
);

/// A cgroup namespace, laid out as C's `struct cgroup_namespace`.
///
/// # Invariants
///
/// Every `Namespace` but [`INIT_CGROUP_NS`] was made by [`new_ns`] in a `KBox`, which
/// [`free_cgroup_ns`] frees once `ns` counts no reference.
#[repr(C)]
pub(super) struct Namespace {
    ns: NsCommon,
    /// The user namespace that owns this one; `None` for the initial namespace, owned by the
    /// initial user namespace.
    owner: Option<ARef<UserNamespace>>,
    /// The charge on its creator's limit of cgroup namespaces.
    charge: Option<UcountCharge<{ bindings::ucount_type_UCOUNT_CGROUP_NAMESPACES }>>,
    /// The root set; `None` for the initial namespace.
    root: Option<ARef<CssSet>>,
}

// C reaches the namespace only through `ns`, at the start, and allocates none: the layouts
// must still agree for `init_cgroup_ns` and `container_of`.
const _: () = assert!(mem::size_of::<Namespace>() == mem::size_of::<bindings::cgroup_namespace>());
const _: () = assert!(mem::offset_of!(Namespace, ns) == 0);

/// C's `init_cgroup_ns`, which `init_nsproxy` points to.
#[export_name = "init_cgroup_ns"]
static INIT_CGROUP_NS: Namespace = Namespace {
    // Two: `init_nsproxy` holds one for ever, so that it never drops to zero.
    ns: NsCommon::new_static(&CGROUPNS_OPERATIONS, bindings::PROC_CGROUP_INIT_INO, 2),
    owner: None,
    charge: None,
    root: None,
};

// SAFETY: The count of `ns` counts the references (type invariants of `NsCommon`); the
// initial namespace's never drops to zero.
unsafe impl AlwaysRefCounted for Namespace {
    fn inc_ref(&self) {
        self.ns.inc_ref();
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference; if it was the last, the namespace is a box
        // of `new_ns` (the initial one never gets there) that nothing refers to any more.
        unsafe {
            if obj.as_ref().ns.dec_ref() {
                free_cgroup_ns(obj.as_ptr().cast());
            }
        }
    }
}

impl Namespace {
    /// The namespace at `ptr` (or whose `ns` field is there: it is the first field).
    ///
    /// # Safety
    ///
    /// `ptr` must point to a cgroup namespace on which a reference is held for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::cgroup_namespace) -> &'a Namespace {
        // SAFETY: Every cgroup namespace is a `Namespace` (C allocates none), with the same
        // layout and `ns` first (checked above); valid for `'a` (the caller's promise).
        unsafe { &*ptr.cast::<Namespace>() }
    }

    /// The namespace the task's nsproxy points to.
    ///
    /// # Safety
    ///
    /// `task`'s `nsproxy` must not change for `'a`: its lock is held, or it is the current
    /// task.
    unsafe fn nsproxy_ns<'a>(task: &'a Task) -> Option<&'a Namespace> {
        // SAFETY: The task is valid; its `nsproxy` does not change (the caller's promise), and
        // holds a reference on its cgroup namespace.
        unsafe {
            let nsproxy = (*task.as_ptr()).nsproxy;
            if nsproxy.is_null() || (*nsproxy).cgroup_ns.is_null() {
                None
            } else {
                Some(Self::from_raw((*nsproxy).cgroup_ns))
            }
        }
    }

    /// The cgroup namespace of the current task (the initial one once it has left its
    /// namespaces, on its way out).
    pub(super) fn current() -> ARef<Namespace> {
        let me = crate::current!();
        // SAFETY: Only the task itself changes its own `nsproxy`.
        unsafe { Self::nsproxy_ns(me) }
            .unwrap_or(&INIT_CGROUP_NS)
            .into()
    }

    /// Whether this is the initial cgroup namespace.
    pub(super) fn is_init(&self) -> bool {
        ptr::eq(self, &INIT_CGROUP_NS)
    }

    /// The user namespace that owns this one.
    pub(super) fn owner(&self) -> &UserNamespace {
        self.owner.as_deref().unwrap_or(UserNamespace::init())
    }

    /// The root set: in every hierarchy, its group is the namespace's root. `None` for the
    /// initial namespace, whose root is the top group of every hierarchy.
    pub(super) fn root_set(&self) -> Option<&CssSet> {
        self.root.as_deref()
    }
}

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
    Namespace::current().is_init()
}

/// A new namespace owned by `user_ns`, whose root set is the current task's: `EPERM` without
/// `CAP_SYS_ADMIN` in `user_ns`, `ENOSPC` past the user's limit of namespaces.
fn new_ns(user_ns: &UserNamespace) -> Result<*mut bindings::cgroup_namespace> {
    if !user_ns.ns_capable(CAP_SYS_ADMIN) {
        return Err(EPERM);
    }
    let charge = UcountCharge::new(user_ns, cred::current().euid()).ok_or(ENOSPC)?;
    let ns = KBox::new(
        Namespace {
            ns: NsCommon::new(&CGROUPNS_OPERATIONS)?,
            owner: Some(user_ns.into()),
            charge: Some(charge),
            root: cset::task_cset_ref(crate::current!()),
        },
        GFP_KERNEL_ACCOUNT,
    )?;
    // INVARIANT: Made in a box, given to C with its one reference.
    Ok(KBox::into_raw(ns).cast())
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
    // SAFETY: Valid for the call (the caller's promises).
    let (user_ns, old) = unsafe {
        (
            UserNamespace::from_ptr(user_ns),
            Namespace::from_raw(old_ns),
        )
    };
    if flags & bindings::CLONE_NEWCGROUP as c_ulong == 0 {
        return ARef::into_raw(ARef::from(old)).as_ptr().cast();
    }
    new_ns(user_ns).unwrap_or_else(|e| e.to_ptr())
}

/// C's `free_cgroup_ns()`: frees a namespace whose count dropped to zero. Process context.
///
/// # Safety
///
/// `ns` must have been made by [`copy_cgroup_ns`], and its count be zero.
#[no_mangle]
unsafe extern "C" fn free_cgroup_ns(ns: *mut bindings::cgroup_namespace) {
    // SAFETY: Made by `new_ns` as a box (type invariants); nothing refers to it any more. Its
    // fields give back what it owned as they drop.
    drop(unsafe { KBox::from_raw(ns.cast::<Namespace>()) });
}

/// nsfs `get`: a reference on the namespace of `task`, or null if it has exited its
/// namespaces. Process context.
///
/// # Safety
///
/// `task` must be valid for the call.
unsafe extern "C" fn ns_get(task: *mut bindings::task_struct) -> *mut bindings::ns_common {
    // SAFETY: nsfs passes a task it holds a reference on; `task_lock()` keeps its `nsproxy`
    // until `task_unlock()`.
    unsafe {
        bindings::task_lock(task);
        let ns = match Namespace::nsproxy_ns(&*task.cast::<Task>()) {
            Some(ns) => ARef::into_raw(ARef::from(ns)).as_ptr().cast(),
            None => ptr::null_mut(),
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
    drop(unsafe { ARef::from_raw(NonNull::from(Namespace::from_raw(ns.cast()))) });
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
    // SAFETY: nsfs passes a valid nsset, whose nsproxy is not shared yet and holds a reference
    // on its cgroup namespace, and a namespace it holds a reference on.
    unsafe {
        let ns = Namespace::from_raw(ns.cast());
        let caller = UserNamespace::from_ptr((*(*nsset).cred).user_ns);
        if !caller.ns_capable(CAP_SYS_ADMIN) || !ns.owner().ns_capable(CAP_SYS_ADMIN) {
            return EPERM.to_errno();
        }
        let slot = ptr::addr_of_mut!((*(*nsset).nsproxy).cgroup_ns);
        let old = ARef::from_raw(NonNull::new_unchecked(slot.read().cast::<Namespace>()));
        slot.write(ARef::into_raw(ARef::from(ns)).as_ptr().cast());
        drop(old);
    }
    0
}

/// nsfs `owner`: the user namespace that owns `ns`.
///
/// # Safety
///
/// `ns` must be the `ns` field of a cgroup namespace that the caller holds a reference on.
unsafe extern "C" fn ns_owner(ns: *mut bindings::ns_common) -> *mut bindings::user_namespace {
    // SAFETY: nsfs passes a namespace it holds a reference on; its owner never changes.
    unsafe { Namespace::from_raw(ns.cast()) }.owner().as_ptr()
}
