// SPDX-License-Identifier: GPL-2.0

//! Per-CPU read-write semaphores.
//!
//! A reader-writer semaphore whose read side is almost free (a per-CPU counter, no shared cache
//! line) and whose write side is expensive (it waits for an RCU grace period). Both sides sleep.
//!
//! C header: [`include/linux/percpu-rwsem.h`](srctree/include/linux/percpu-rwsem.h)

use crate::types::Opaque;
use core::marker::PhantomData;

/// A per-CPU read-write semaphore: C's `struct percpu_rw_semaphore`.
///
/// Rust code does not create these: it uses the ones C code defines (with
/// `DEFINE_STATIC_PERCPU_RWSEM()` or `percpu_init_rwsem()`), through [`PercpuRwSem::from_raw`].
///
/// # Invariants
///
/// The semaphore has been initialised and stays valid for as long as references to it exist.
///
/// # Examples
///
/// The semaphore below is initialised and freed with the C functions by the example itself, in
/// an allocation of its own; kernel code would wrap one that C code already set up.
///
/// ```
/// use kernel::sync::percpu_rwsem::PercpuRwSem;
/// use kernel::{bindings, c_str, error::to_result, static_lock_class, types::Opaque};
///
/// let sem = KBox::new(Opaque::<bindings::percpu_rw_semaphore>::uninit(), GFP_KERNEL)?;
/// // SAFETY: `sem.get()` is valid for writes and does not move until it is freed below; the
/// // name and lock class are static.
/// to_result(unsafe {
///     bindings::__percpu_init_rwsem(
///         sem.get(),
///         c_str!("doctest_percpu_rwsem").as_char_ptr(),
///         static_lock_class!().as_ptr(),
///     )
/// })?;
/// // SAFETY: The semaphore was initialised above; it is freed only after the last use of
/// // `rwsem`.
/// let rwsem = unsafe { PercpuRwSem::from_raw(sem.get()) };
///
/// {
///     let _read = rwsem.read();
///     // Readers run concurrently with each other, never with a writer.
/// }
/// {
///     let _write = rwsem.write();
///     // The only holder.
/// }
///
/// // A read section that ends elsewhere, as when C code begins it in one hook and ends it in
/// // another.
/// rwsem.read().leak();
/// // SAFETY: The read lock taken with the leaked guard above is held.
/// unsafe { rwsem.read_unlock() };
///
/// // The write side can be taken again: no reader is left.
/// drop(rwsem.write());
///
/// // SAFETY: The semaphore is not held, and `rwsem` is not used again.
/// unsafe { bindings::percpu_free_rwsem(sem.get()) };
/// # Ok::<(), Error>(())
/// ```
#[repr(transparent)]
pub struct PercpuRwSem(Opaque<bindings::percpu_rw_semaphore>);

// SAFETY: A `percpu_rw_semaphore` is not tied to the thread that initialised it: it can be used
// and freed from any thread.
unsafe impl Send for PercpuRwSem {}

// SAFETY: A `percpu_rw_semaphore` is designed to be used concurrently from many threads: all its
// operations synchronise internally.
unsafe impl Sync for PercpuRwSem {}

impl PercpuRwSem {
    /// Creates a reference to a [`PercpuRwSem`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an initialised `struct percpu_rw_semaphore` that stays valid (is not
    /// freed with `percpu_free_rwsem()`) for the lifetime `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::percpu_rw_semaphore) -> &'a Self {
        // INVARIANT: The safety requirements guarantee that the semaphore is initialised and valid
        // for `'a`.
        // SAFETY: `PercpuRwSem` is `#[repr(transparent)]` over the C struct, which the safety
        // requirements guarantee is valid for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Returns a raw pointer to the C semaphore.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::percpu_rw_semaphore {
        self.0.get()
    }

    /// Takes the semaphore for reading (C's `percpu_down_read()`), sleeping while a writer holds
    /// it or waits for it.
    ///
    /// Read sections must not nest: a writer that arrives between the two acquisitions would
    /// deadlock with the reader.
    #[inline]
    pub fn read(&self) -> PercpuReadGuard<'_> {
        // SAFETY: By the type invariants, the semaphore is initialised and valid.
        unsafe { bindings::percpu_down_read(self.as_raw()) };
        // INVARIANT: The read lock was just taken.
        PercpuReadGuard {
            sem: self,
            _not_send: PhantomData,
        }
    }

    /// Takes the semaphore for writing (C's `percpu_down_write()`), sleeping until every reader
    /// and any other writer has released it.
    #[inline]
    pub fn write(&self) -> PercpuWriteGuard<'_> {
        // SAFETY: By the type invariants, the semaphore is initialised and valid.
        unsafe { bindings::percpu_down_write(self.as_raw()) };
        // INVARIANT: The write lock was just taken.
        PercpuWriteGuard {
            sem: self,
            _not_send: PhantomData,
        }
    }

    /// Releases a read lock that was taken with a guard later leaked with
    /// [`PercpuReadGuard::leak`] (C's `percpu_up_read()`).
    ///
    /// # Safety
    ///
    /// The caller must hold a read lock of this semaphore, taken with [`PercpuRwSem::read`] on
    /// this thread, whose guard was leaked and that was not released already.
    #[inline]
    pub unsafe fn read_unlock(&self) {
        // SAFETY: By the type invariants the semaphore is valid, and by the safety requirements
        // the caller holds a read lock of it.
        unsafe { bindings::percpu_up_read(self.as_raw()) };
    }
}

/// A read lock of a [`PercpuRwSem`], released when dropped.
///
/// # Invariants
///
/// The current thread holds a read lock of `sem`, that this guard releases.
#[must_use = "the semaphore is released immediately when the guard is unused"]
pub struct PercpuReadGuard<'a> {
    sem: &'a PercpuRwSem,
    _not_send: PhantomData<*mut ()>,
}

impl PercpuReadGuard<'_> {
    /// Forgets the guard, leaving the read lock held.
    ///
    /// Release it later with [`PercpuRwSem::read_unlock`].
    #[inline]
    pub fn leak(self) {
        core::mem::forget(self);
    }
}

impl Drop for PercpuReadGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariants, the current thread holds a read lock of `self.sem`.
        unsafe { self.sem.read_unlock() };
    }
}

/// A write lock of a [`PercpuRwSem`], released when dropped.
///
/// # Invariants
///
/// The current thread holds the write lock of `sem`.
#[must_use = "the semaphore is released immediately when the guard is unused"]
pub struct PercpuWriteGuard<'a> {
    sem: &'a PercpuRwSem,
    _not_send: PhantomData<*mut ()>,
}

impl Drop for PercpuWriteGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariants, the current thread holds the write lock of `self.sem`.
        unsafe { bindings::percpu_up_write(self.sem.as_raw()) };
    }
}
