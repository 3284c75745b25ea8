// SPDX-License-Identifier: GPL-2.0

//! Address spaces (C's `struct mm_struct`), as a task's users see them: the memory of a
//! process, its memory policies, and the NUMA nodes its pages are on.
//!
//! C headers: [`include/linux/sched/mm.h`](srctree/include/linux/sched/mm.h),
//! [`include/linux/mempolicy.h`](srctree/include/linux/mempolicy.h)
//!
//! # Examples
//!
//! ```
//! use kernel::nodemask::{NodeState, Nodemask};
//!
//! // Kernel threads have no address space of their own.
//! let init = core::ptr::addr_of!(kernel::bindings::init_task).cast::<kernel::task::Task>();
//! // SAFETY: `init_task` (the idle task of CPU 0) is valid for ever.
//! let idle = unsafe { &*init };
//! assert!(idle.mm().is_none());
//!
//! // Moving pages from a node to itself moves nothing.
//! if let Some(mm) = kernel::current!().mm() {
//!     let nodes = Nodemask::state(NodeState::Memory);
//!     assert_eq!(mm.migrate_pages(&nodes, &nodes)?, 0);
//!     mm.rebind_mempolicy(&nodes)?;
//!     assert_eq!(mm.rebind_mempolicy(&Nodemask::new()), Err(EINVAL));
//! }
//! # Ok::<(), Error>(())
//! ```

use crate::{
    bindings,
    error::{code::EINVAL, to_result, Result},
    nodemask::Nodemask,
    task::Task,
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::ptr::NonNull;

/// An address space, referenced by a *user* count (C's `mmget()`/`mmput()`): while a reference
/// is held, the memory it maps stays (not only the descriptor).
///
/// Dropping the last reference tears the address space down and may sleep: drop an
/// `ARef<Mm>` only in process context.
///
/// # Invariants
///
/// Instances are only handed out for address spaces whose user count the holder owns.
#[repr(transparent)]
pub struct Mm(Opaque<bindings::mm_struct>);

// SAFETY: The address space may be used and released from any thread.
unsafe impl Send for Mm {}
// SAFETY: Its operations take the address space's own locks.
unsafe impl Sync for Mm {}

// SAFETY: `mmget()` and `mmput()` count users; the address space lives while the count is
// above zero.
unsafe impl AlwaysRefCounted for Mm {
    fn inc_ref(&self) {
        // SAFETY: The existence of `&self` means a user count is held, so adding one is allowed.
        unsafe { bindings::mmget(self.0.get()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up one user count that it owns.
        unsafe { bindings::mmput(obj.cast().as_ptr()) };
    }
}

impl Mm {
    /// Rebinds the memory policies of the address space's mappings to the nodes `nodes` (C's
    /// `mpol_rebind_mm()`), as when the tasks using it were moved to those nodes. `EINVAL`, and
    /// nothing changes, unless `nodes` may be allocated from ([`Nodemask::is_allocatable`]).
    ///
    /// Context: process; may sleep (it takes the mmap lock for writing).
    pub fn rebind_mempolicy(&self, nodes: &Nodemask) -> Result {
        if !nodes.is_allocatable() {
            return Err(EINVAL);
        }
        #[cfg(CONFIG_NUMA)]
        {
            let mut raw = nodes.into_raw();
            // SAFETY: We hold a user count (type invariants); `raw` lives across the call, and
            // its nodes have memory (checked above).
            unsafe { bindings::mpol_rebind_mm(self.0.get(), &mut raw) };
        }
        Ok(())
    }

    /// Moves the pages of the address space that are on the nodes `from` to the nodes `to`,
    /// shared pages included (C's `do_migrate_pages()` with `MPOL_MF_MOVE_ALL`), keeping their
    /// relative placement where the node counts allow. Returns the number of pages that could
    /// not be moved; `EINVAL` unless `to` may be allocated from ([`Nodemask::is_allocatable`]).
    ///
    /// Context: process; may sleep for long.
    pub fn migrate_pages(&self, from: &Nodemask, to: &Nodemask) -> Result<usize> {
        if !to.is_allocatable() {
            return Err(EINVAL);
        }
        #[cfg(all(CONFIG_NUMA, CONFIG_MIGRATION))]
        {
            let (from, to) = (from.into_raw(), to.into_raw());
            // SAFETY: We hold a user count (type invariants); the masks live across the call.
            let ret = unsafe {
                bindings::do_migrate_pages(
                    self.0.get(),
                    &from,
                    &to,
                    bindings::MPOL_MF_MOVE_ALL as crate::ffi::c_int,
                )
            };
            to_result(ret.min(0))?;
            Ok(usize::try_from(ret).unwrap_or(0))
        }
        #[cfg(not(all(CONFIG_NUMA, CONFIG_MIGRATION)))]
        {
            let _ = (from, to, to_result);
            Ok(0)
        }
    }
}

impl Task {
    /// The task's address space with a user count taken (C's `get_task_mm()`); `None` for a
    /// kernel thread or a task that has released its memory while exiting.
    ///
    /// Context: process or atomic (it takes the task's `alloc_lock`).
    pub fn mm(&self) -> Option<ARef<Mm>> {
        // SAFETY: The task is valid (type invariants of `Task`).
        let mm = unsafe { bindings::get_task_mm(self.as_ptr()) };
        // SAFETY: `get_task_mm()` took a user count, which the `ARef` now owns.
        NonNull::new(mm.cast::<Mm>()).map(|p| unsafe { ARef::from_raw(p) })
    }
}
