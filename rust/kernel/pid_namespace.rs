// SPDX-License-Identifier: GPL-2.0

//! Pid namespaces: which number a task has as seen from where.
//!
//! C header: [`include/linux/pid_namespace.h`](srctree/include/linux/pid_namespace.h)
//!
//! # Examples
//!
//! ```
//! use kernel::pid_namespace::PidNamespace;
//!
//! // KUnit runs the doctests in a kernel thread of the initial namespace, where numbers are the
//! // global ones.
//! let ns = PidNamespace::current_active().ok_or(ESRCH)?;
//! let me = kernel::current!();
//! assert_eq!(ns.nr_of_global(me.pid()), me.pid());
//! // No task has number 0.
//! assert_eq!(ns.nr_of_global(0), 0);
//! # Ok::<(), Error>(())
//! ```

use crate::{
    bindings,
    task::Pid,
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::ptr::{self, NonNull};

/// A pid namespace (C's `struct pid_namespace`).
///
/// # Invariants
///
/// Instances are always reference-counted: an `ARef<PidNamespace>` holds a reference taken with
/// `get_pid_ns()`, given back with `put_pid_ns()`.
#[repr(transparent)]
pub struct PidNamespace(Opaque<bindings::pid_namespace>);

// SAFETY: A pid namespace is reference-counted with atomic operations, and what this type reads
// of it (through `pid_nr_ns()`) may be read from any thread.
unsafe impl Send for PidNamespace {}

// SAFETY: See `Send`: shared references only read it, under RCU where needed.
unsafe impl Sync for PidNamespace {}

impl PidNamespace {
    /// The active pid namespace of the current task (C's `task_active_pid_ns(current)`): the
    /// one its own pid belongs to, and the one it sees other tasks' numbers from. `None` for a
    /// task that has already been released (a self-reaping task on its way out).
    pub fn current_active() -> Option<ARef<PidNamespace>> {
        // SAFETY: `current` is valid, and its active namespace, if it still has one, lives as
        // long as it does.
        let ns = NonNull::new(unsafe { bindings::task_active_pid_ns(bindings::get_current()) })?;
        // SAFETY: Valid (above); the reference taken here keeps it alive after that.
        unsafe { bindings::get_pid_ns(ns.as_ptr()) };
        // SAFETY: The reference was just taken and is handed to the `ARef`.
        // INVARIANT: As above.
        Some(unsafe { ARef::from_raw(ns.cast::<PidNamespace>()) })
    }

    /// The number in this namespace of the task whose number in the initial namespace is `nr`
    /// (0 if there is none, or it is not visible from here). Unlike the task's own pid link,
    /// the number is found from the moment its `struct pid` exists, so this also works for a
    /// task that `fork()` is still making.
    pub fn nr_of_global(&self, nr: Pid) -> Pid {
        // `find_pid_ns()` needs RCU, held across the use of the `struct pid` it returns.
        let _rcu = crate::sync::rcu::read_lock();
        // SAFETY: Under RCU; `init_pid_ns` is a static.
        let pid = unsafe { bindings::find_pid_ns(nr, ptr::addr_of_mut!(bindings::init_pid_ns)) };
        if pid.is_null() {
            return 0;
        }
        // SAFETY: `pid` was found under RCU, which is still held; `self` is valid (type
        // invariants).
        unsafe { bindings::pid_nr_ns(pid, self.0.get()) }
    }
}

// SAFETY: `get_pid_ns()` and `put_pid_ns()` take and give back a reference; the namespace is
// freed only once the last one is gone.
unsafe impl AlwaysRefCounted for PidNamespace {
    fn inc_ref(&self) {
        // SAFETY: The existence of `&self` means the count is not zero.
        unsafe { bindings::get_pid_ns(self.0.get()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owns.
        unsafe { bindings::put_pid_ns(obj.cast::<bindings::pid_namespace>().as_ptr()) }
    }
}
