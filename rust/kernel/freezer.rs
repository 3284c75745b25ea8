// SPDX-License-Identifier: GPL-2.0

//! The kernel's freezer: stopping tasks at a known point, and letting them go again.
//!
//! C header: [`include/linux/freezer.h`](srctree/include/linux/freezer.h)
//!
//! A task must freeze while a *freezing condition* applies to it ([`freezing`]): system suspend,
//! or a freezing group of the cgroup freezer. [`freeze_task`] asks it to (with a fake signal
//! for a user task, a wake-up for a kernel thread); the task then stops in the *refrigerator*
//! on its way back to user space, or is frozen where it sleeps if it sleeps freezable.
//! [`frozen`] tells whether it got there, and [`thaw_task`] lets it go once no condition
//! applies to it any more. Tasks that cannot freeze (`PF_NOFREEZE`, such as most kernel
//! threads) are never freezing.
//!
//! The kernel only asks whether a task is freezing while freezing conditions are counted (the
//! `freezer_active` static key): whoever adds a condition counts it ([`ActiveGuard::inc`])
//! before asking tasks to freeze, and uncounts it ([`ActiveGuard::dec`]) once it is gone.
//!
//! # Examples
//!
//! ```
//! use kernel::freezer;
//!
//! let me = kernel::current!();
//! // With a freezing condition counted, `freezing()` takes its slow path, which asks the cgroup
//! // freezer and the system freezer about the task.
//! let active = freezer::active_lock();
//! active.inc();
//! assert!(freezer::is_active());
//! // KUnit runs the doctests in a kernel thread, which is not freezable (`PF_NOFREEZE`), and
//! // in the top group of every hierarchy: whatever is counted, it is not freezing, so it is
//! // not asked to freeze, and thawing it does nothing.
//! assert!(!freezer::freezing(me));
//! assert!(!freezer::freeze_task(me));
//! assert!(!freezer::frozen(me));
//! freezer::thaw_task(me);
//! assert!(!freezer::frozen(me));
//! active.dec();
//! ```

use crate::{bindings, task::Task};
use core::marker::PhantomData;

/// Returns whether `task` must freeze (or stay frozen): a freezing condition applies to it and
/// it may freeze (C's `freezing()`).
///
/// The answer can change at any time; those who freeze tasks make sure that the tasks see a
/// change (with [`freeze_task`] and [`thaw_task`]).
#[inline]
pub fn freezing(task: &Task) -> bool {
    // SAFETY: `task` is valid (type invariants of `Task`); `freezing()` may be called in any
    // context.
    unsafe { bindings::freezing(task.0.get()) }
}

/// Returns whether `task` is frozen: it is in the refrigerator, or was frozen where it slept
/// (C's `frozen()`).
#[inline]
pub fn frozen(task: &Task) -> bool {
    // SAFETY: `task` is valid (type invariants of `Task`); `frozen()` only reads its state.
    unsafe { bindings::frozen(task.0.get()) }
}

/// Asks `task` to freeze if it is [`freezing`] and not [`frozen`] yet (C's `freeze_task()`).
///
/// A task sleeping freezable is frozen on the spot; any other is sent a fake signal (a kernel
/// thread is woken up) and freezes when it next checks, at the latest on its way back to user
/// space. Returns `false` if the task is not freezing or already frozen, `true` if it was
/// asked to freeze. It does not wait, and does not sleep: it may be called with spinlocks held
/// (it takes the freezer's own spinlock and the task's scheduler and signal locks).
#[inline]
pub fn freeze_task(task: &Task) -> bool {
    // SAFETY: `task` is valid (type invariants of `Task`); `freeze_task()` takes its own locks,
    // which nest inside any the caller holds, and does not sleep.
    unsafe { bindings::freeze_task(task.0.get()) }
}

/// Lets `task` go if it is frozen (C's `__thaw_task()`).
///
/// The caller must first remove the condition that made the task freeze (or the task freezes
/// again at once): a task leaves the refrigerator only when it is no longer [`freezing`]. Does
/// not sleep.
#[inline]
pub fn thaw_task(task: &Task) {
    // SAFETY: `task` is valid (type invariants of `Task`); `__thaw_task()` takes its own
    // locks, which nest inside any the caller holds, and does not sleep.
    unsafe { bindings::__thaw_task(task.0.get()) }
}

/// Returns whether freezing conditions are counted: only then does the kernel ask whether a
/// task is [`freezing`] (the `freezer_active` static key is enabled).
#[inline]
pub fn is_active() -> bool {
    // SAFETY: Reads the static key's count, with no other effect.
    unsafe { bindings::freezer_active_enabled() }
}

/// Holds the CPU-hotplug lock for reading, under which the count of freezing conditions (the
/// `freezer_active` static key) is changed: C's `cpus_read_lock()` around
/// `static_branch_inc_cpuslocked(&freezer_active)` and `static_branch_dec_cpuslocked()`.
///
/// Take it before any lock held while the count changes (as the cgroup freezer takes it
/// before its mutex). It may sleep, and so may [`ActiveGuard::inc`] and [`ActiveGuard::dec`]:
/// do not count under a spinlock or in an RCU read-side critical section.
///
/// # Invariants
///
/// The CPU-hotplug lock is held for reading while the guard exists (by the thread that took it:
/// the guard is not `Send`).
///
/// # Examples
///
/// ```
/// use kernel::freezer;
///
/// let was_active = freezer::is_active();
/// {
///     let active = freezer::active_lock();
///     active.inc();
///     assert!(freezer::is_active());
///     // Counting a condition asks nothing of any task by itself.
///     assert!(!freezer::freezing(kernel::current!()));
///     active.dec();
/// }
/// assert_eq!(freezer::is_active(), was_active);
/// ```
pub struct ActiveGuard {
    _not_send: PhantomData<*mut ()>,
}

/// Takes the CPU-hotplug lock for reading, to change the count of freezing conditions; may
/// sleep.
pub fn active_lock() -> ActiveGuard {
    // SAFETY: Process context (the caller may sleep, as documented); released when the guard is
    // dropped.
    unsafe { bindings::cpus_read_lock() };
    // INVARIANT: The lock was just taken, by this thread.
    ActiveGuard {
        _not_send: PhantomData,
    }
}

impl ActiveGuard {
    /// Counts one more freezing condition, before tasks are asked to freeze because of it. May
    /// sleep (the first condition patches the kernel's code where jump labels are used).
    pub fn inc(&self) {
        // SAFETY: The CPU-hotplug lock is held (type invariants), as the `_cpuslocked` variant
        // requires.
        unsafe { bindings::freezer_active_inc_cpuslocked() };
    }

    /// Uncounts a freezing condition counted by [`ActiveGuard::inc`], once it no longer applies
    /// to any task. May sleep.
    ///
    /// Each call must match an earlier `inc` (of this guard or another one): the kernel warns
    /// about a count going below zero, and the freezer is then left in a wrong state, though not
    /// an unsafe one.
    pub fn dec(&self) {
        // SAFETY: The CPU-hotplug lock is held (type invariants), as the `_cpuslocked` variant
        // requires.
        unsafe { bindings::freezer_active_dec_cpuslocked() };
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        // SAFETY: Taken by `active_lock` in this thread (type invariants), released once here.
        unsafe { bindings::cpus_read_unlock() };
    }
}
