// SPDX-License-Identifier: GPL-2.0

//! A value made once at run time and shared from then on, such as a controller's global state
//! that holds locks and is made when the controller registers.
//!
//! # Examples
//!
//! ```
//! use kernel::sync::{new_mutex, Mutex, OnceBox};
//!
//! static COUNTER: OnceBox<Mutex<u32>> = OnceBox::new();
//!
//! fn bump() -> Result<u32> {
//!     let m = COUNTER.get().ok_or(ENODEV)?;
//!     let mut n = m.lock();
//!     *n += 1;
//!     Ok(*n)
//! }
//!
//! // A local one, freed when it goes out of scope.
//! let once = OnceBox::<Mutex<u32>>::new();
//! assert!(once.get().is_none());
//! let m = once.init(new_mutex!(7))?;
//! assert_eq!(*m.lock(), 7);
//! assert_eq!(once.init(new_mutex!(8)).err(), Some(EBUSY));
//! assert_eq!(once.get().map(|m| *m.lock()), Some(7));
//!
//! let plain = OnceBox::new();
//! assert_eq!(plain.set(3).copied(), Ok(3));
//! assert_eq!(plain.set(4).err(), Some(EBUSY));
//!
//! // The static one, set once for the kernel's lifetime.
//! if COUNTER.get().is_none() {
//!     COUNTER.init(new_mutex!(0))?;
//! }
//! let before = bump()?;
//! assert_eq!(bump()?, before + 1);
//! # Ok::<(), Error>(())
//! ```

use crate::{
    alloc::{flags::GFP_KERNEL, KBox},
    error::{code::EBUSY, Error, Result},
    init::{InPlaceInit, PinInit},
};
use core::{
    pin::Pin,
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};

/// A value that is set once, pinned in its own allocation, and lives as long as the holder.
///
/// # Invariants
///
/// `ptr` is null or the raw pointer of a `Pin<KBox<T>>` owned by this object; once non-null it
/// never changes.
pub struct OnceBox<T> {
    ptr: AtomicPtr<T>,
}

// SAFETY: The value is only reached through `&T` (so `T: Sync` suffices to share the holder),
// and it is dropped by whoever drops the holder (so sending the holder sends the value).
unsafe impl<T: Send + Sync> Sync for OnceBox<T> {}
// SAFETY: See above.
unsafe impl<T: Send> Send for OnceBox<T> {}

impl<T> OnceBox<T> {
    /// An empty holder.
    pub const fn new() -> Self {
        // INVARIANT: Null.
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The value, if it has been set.
    pub fn get(&self) -> Option<&T> {
        // SAFETY: A non-null pointer is a pinned box owned by `self` and never changed (type
        // invariants), so it lives as long as `self`; only shared references are handed out.
        unsafe { self.ptr.load(Ordering::Acquire).as_ref() }
    }

    /// Makes the value with `init` and publishes it; `EBUSY` (and the new value is dropped) if
    /// it was already set. May sleep (it allocates with `GFP_KERNEL`).
    pub fn init<E>(&self, init: impl PinInit<T, E>) -> Result<&T>
    where
        Error: From<E>,
    {
        let boxed: Pin<KBox<T>> = KBox::pin_init(init, GFP_KERNEL)?;
        // SAFETY: The box is never moved out of: it is turned back into a `Pin<KBox<T>>` to be
        // dropped in place.
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(boxed) });
        if let Err(_current) =
            self.ptr
                .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: Not published: `raw` is the box made above, still ours.
            drop(unsafe { Pin::new_unchecked(KBox::from_raw(raw)) });
            return Err(EBUSY);
        }
        // INVARIANT: Published once; `self` owns the box from now on.
        self.get().ok_or(EBUSY)
    }
}

impl<T> OnceBox<T> {
    /// Publishes `value`, as [`OnceBox::init`] does.
    pub fn set(&self, value: T) -> Result<&T> {
        self.init::<core::convert::Infallible>(value)
    }
}

impl<T> Default for OnceBox<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for OnceBox<T> {
    fn drop(&mut self) {
        let raw = *self.ptr.get_mut();
        if !raw.is_null() {
            // SAFETY: A published pinned box owned by `self` (type invariants), which nobody
            // borrows any more; it is dropped in place.
            drop(unsafe { Pin::new_unchecked(KBox::from_raw(raw)) });
        }
    }
}
