// SPDX-License-Identifier: GPL-2.0

//! Disabling local interrupts, nested.
//!
//! C header: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h)
//!
//! [`local_interrupt_disable`] disables interrupts on the current CPU until the guard it
//! returns is dropped. Such sections nest, through a per-CPU count kept by C: the outermost
//! saves the interrupt state and the end of the outermost restores it, whatever order the
//! guards are dropped in. [`SpinLockIrq`](crate::sync::SpinLockIrq) disables interrupts the
//! same way.
//!
//! # Examples
//!
//! ```
//! use kernel::interrupt::{irqs_disabled, local_interrupt_disable};
//!
//! // KUnit runs the doctests in a kernel thread, with interrupts on.
//! assert!(!irqs_disabled());
//! let a = local_interrupt_disable();
//! assert!(irqs_disabled());
//! let b = local_interrupt_disable();
//! drop(a);
//! // `b` still holds them off.
//! assert!(irqs_disabled());
//! drop(b);
//! assert!(!irqs_disabled());
//! ```

use crate::bindings;
use core::marker::PhantomData;

/// Local interrupts are disabled while this lives (on the CPU that made it, which it cannot
/// leave: it is neither `Send` nor `Sync`).
///
/// # Invariants
///
/// Stands for one `local_interrupt_disable()` on the current CPU, ended by
/// `local_interrupt_enable()` on drop.
pub struct LocalInterruptDisabled(PhantomData<*mut ()>);

/// Disables local interrupts until the returned guard is dropped; nests.
///
/// Context: task, softirq or hardirq context, not NMI.
pub fn local_interrupt_disable() -> LocalInterruptDisabled {
    // SAFETY: No precondition; ended by the guard's drop.
    unsafe { bindings::local_interrupt_disable() };
    // INVARIANT: Disabled above.
    LocalInterruptDisabled(PhantomData)
}

impl Drop for LocalInterruptDisabled {
    fn drop(&mut self) {
        // SAFETY: Ends the section begun when the guard was made, on the same CPU (the guard
        // is not `Send`).
        unsafe { bindings::local_interrupt_enable() };
    }
}

/// Whether interrupts are disabled on the current CPU.
pub fn irqs_disabled() -> bool {
    // SAFETY: No precondition.
    unsafe { bindings::irqs_disabled() }
}
