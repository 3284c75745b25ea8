// SPDX-License-Identifier: GPL-2.0

//! Atomic reference counting.
//!
//! C header: [`include/linux/refcount.h`](srctree/include/linux/refcount.h)

use crate::sync::lock::{Backend, Guard, Lock};
use crate::types::Opaque;

/// Atomic reference counter.
///
/// This type is conceptually an atomic integer, but provides saturation semantics compared to
/// normal atomic integers. Values in the negative range when viewed as a signed integer are
/// saturation (bad) values: a counter that overflows, or that is decremented or incremented from
/// zero, saturates with a warning instead of wrapping, and an object it protects is leaked rather
/// than freed too early. For details about the saturation semantics, please refer to top of
/// [`include/linux/refcount.h`](srctree/include/linux/refcount.h).
///
/// Wraps the kernel's C `refcount_t`.
///
/// # Examples
///
/// ```
/// use kernel::sync::Refcount;
///
/// let r = Refcount::new(1);
/// r.inc();
/// assert_eq!(r.read(), 2);
/// assert!(!r.dec_and_test());
/// assert!(r.inc_not_zero());
/// r.dec();
/// assert!(r.dec_and_test());
/// assert_eq!(r.read(), 0);
///
/// // A counter that reached zero is not revived by `inc_not_zero`.
/// assert!(!r.inc_not_zero());
/// assert_eq!(r.read(), 0);
///
/// r.set(5);
/// assert_eq!(r.read(), 5);
/// ```
#[repr(transparent)]
pub struct Refcount(Opaque<bindings::refcount_t>);

impl Refcount {
    /// Constructs a new refcount with the given initial value.
    ///
    /// A negative `value` is a saturated counter (see the type's documentation).
    #[inline]
    pub fn new(value: i32) -> Self {
        // SAFETY: There are no safety requirements for this FFI call.
        Self(Opaque::new(unsafe { bindings::REFCOUNT_INIT(value) }))
    }

    /// Returns a raw pointer to the inner C `refcount_t`.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::refcount_t {
        self.0.get()
    }

    /// Returns the current value of the counter.
    ///
    /// Other CPUs may change it at any time: the value is only a snapshot.
    #[inline]
    pub fn read(&self) -> i32 {
        // SAFETY: `self.as_ptr()` is valid.
        let value = unsafe { bindings::refcount_read(self.as_ptr()) };
        // C returns the `int` counter as `unsigned int`: a saturated counter reads as negative.
        value as i32
    }

    /// Sets the counter's value.
    #[inline]
    pub fn set(&self, value: i32) {
        // SAFETY: `self.as_ptr()` is valid.
        unsafe { bindings::refcount_set(self.as_ptr(), value) }
    }

    /// Increments the counter.
    ///
    /// Saturates (with a warning) when the counter was zero or would overflow.
    #[inline]
    pub fn inc(&self) {
        // SAFETY: `self.as_ptr()` is valid.
        unsafe { bindings::refcount_inc(self.as_ptr()) }
    }

    /// Increments the counter unless it is zero.
    ///
    /// Returns `false` if the counter was zero (the object it counts is being freed) and `true`
    /// if it was incremented.
    #[inline]
    #[must_use = "if the counter was zero, no reference was taken"]
    pub fn inc_not_zero(&self) -> bool {
        // SAFETY: `self.as_ptr()` is valid.
        unsafe { bindings::refcount_inc_not_zero(self.as_ptr()) }
    }

    /// Decrements the counter.
    ///
    /// It must not reach zero this way (that is a leak, reported with a warning): use
    /// [`Refcount::dec_and_test`] to drop what may be the last reference.
    #[inline]
    pub fn dec(&self) {
        // SAFETY: `self.as_ptr()` is valid.
        unsafe { bindings::refcount_dec(self.as_ptr()) }
    }

    /// Decrements the counter and returns `true` if it reached zero.
    ///
    /// The caller that sees `true` owns the counted object and must free it. The decrement has
    /// release ordering, and a `true` result acquire ordering, so all the accesses of the other
    /// holders happen before the caller frees the object.
    #[inline]
    #[must_use = "if true, the object must be freed"]
    pub fn dec_and_test(&self) -> bool {
        // SAFETY: `self.as_ptr()` is valid.
        unsafe { bindings::refcount_dec_and_test(self.as_ptr()) }
    }

    /// Decrements the counter and, if it reached zero, returns the guard of `lock`, held.
    ///
    /// Returns `None` (without holding `lock`) if the counter did not reach zero. The lock is only
    /// taken when the counter may reach zero, that is, when it is one: like C's
    /// `refcount_dec_and_lock()`, this lets an object be removed from a lookup structure that
    /// `lock` protects in the same critical section in which its last reference goes away, so
    /// that a lookup under `lock` never finds an object whose counter is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::sync::{new_spinlock, Refcount};
    ///
    /// let lock = KBox::pin_init(new_spinlock!(0u32), GFP_KERNEL)?;
    /// let r = Refcount::new(2);
    ///
    /// // Not the last reference: the lock is not held on return.
    /// assert!(r.dec_and_lock(&lock).is_none());
    /// assert_eq!(r.read(), 1);
    ///
    /// // The last reference: the lock is held until the guard is dropped.
    /// let guard = r.dec_and_lock(&lock);
    /// assert!(guard.is_some());
    /// assert_eq!(r.read(), 0);
    /// if let Some(mut guard) = guard {
    ///     *guard += 1;
    /// }
    /// assert_eq!(*lock.lock(), 1);
    /// # Ok::<(), Error>(())
    /// ```
    #[must_use = "if it returns a guard, the object must be freed"]
    pub fn dec_and_lock<'a, T: ?Sized, B: Backend>(
        &self,
        lock: &'a Lock<T, B>,
    ) -> Option<Guard<'a, T, B>> {
        // SAFETY: `self.as_ptr()` is valid.
        if unsafe { bindings::refcount_dec_not_one(self.as_ptr()) } {
            // It was not one, so it was decremented and did not reach zero.
            return None;
        }

        let guard = lock.lock();
        if !self.dec_and_test() {
            // Another holder took a reference before the lock was taken.
            return None;
        }
        Some(guard)
    }
}

// SAFETY: `refcount_t` is thread-safe: all its operations are atomic.
unsafe impl Send for Refcount {}

// SAFETY: `refcount_t` is thread-safe: all its operations are atomic.
unsafe impl Sync for Refcount {}
