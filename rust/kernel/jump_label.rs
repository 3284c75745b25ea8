// SPDX-License-Identifier: GPL-2.0

//! Static keys: flags that C code tests on its hot paths with `static_branch_unlikely()`,
//! which costs nothing while the key is off (the branch is patched into the code).
//!
//! C header: [`include/linux/jump_label.h`](srctree/include/linux/jump_label.h)
//!
//! A key that C headers declare `extern` can be defined in Rust as a `#[no_mangle]` static
//! [`StaticKeyFalse`]; Rust then turns it on and off with a reference count.
//!
//! # Examples
//!
//! ```
//! use kernel::cpu;
//! use kernel::jump_label::StaticKeyFalse;
//!
//! static KEY: StaticKeyFalse = StaticKeyFalse::new();
//!
//! assert!(!KEY.is_enabled());
//! {
//!     let hotplug = cpu::hotplug_read_lock();
//!     KEY.inc_cpuslocked(&hotplug);
//!     KEY.inc_cpuslocked(&hotplug);
//!     assert!(KEY.is_enabled());
//!     KEY.dec_cpuslocked(&hotplug);
//!     assert!(KEY.is_enabled());
//!     KEY.dec_cpuslocked(&hotplug);
//! }
//! assert!(!KEY.is_enabled());
//! ```

use crate::{bindings, cpu::HotplugHeld, types::Opaque};

/// A static key that is off by default (C's `struct static_key_false`,
/// `DEFINE_STATIC_KEY_FALSE()`), counted: on while its count is above zero.
#[repr(transparent)]
pub struct StaticKeyFalse(Opaque<bindings::static_key_false>);

// SAFETY: The C functions used on keys serialise updates (`jump_label_mutex`) and read the count
// atomically.
unsafe impl Sync for StaticKeyFalse {}
// SAFETY: As above.
unsafe impl Send for StaticKeyFalse {}

impl StaticKeyFalse {
    /// A key that is off, with no user.
    pub const fn new() -> Self {
        // SAFETY: All zeroes is `STATIC_KEY_FALSE_INIT`: a count of zero and the entries
        // pointer's type bits set to `JUMP_TYPE_FALSE` (0).
        Self(Opaque::new(unsafe { core::mem::zeroed() }))
    }

    fn as_raw(&self) -> *mut bindings::static_key_false {
        self.0.get()
    }

    /// Whether the key is on.
    pub fn is_enabled(&self) -> bool {
        // SAFETY: The key is valid; the count is read atomically.
        unsafe { bindings::static_key_false_enabled(self.as_raw()) }
    }

    /// Adds a user of the key, turning it on if it was off. The CPU-hotplug lock must be held
    /// (`_hotplug`), as C's `static_branch_inc_cpuslocked()` requires. May sleep.
    pub fn inc_cpuslocked(&self, _hotplug: &HotplugHeld) {
        // SAFETY: The key is valid, and the hotplug lock is held.
        unsafe { bindings::static_branch_inc_cpuslocked(self.as_raw()) };
    }

    /// Drops a user of the key added by [`StaticKeyFalse::inc_cpuslocked`], turning it off with
    /// the last one. May sleep.
    ///
    /// Dropping a user that was never added is a bug that C's jump-label code reports with a
    /// warning; the count then stays at zero.
    pub fn dec_cpuslocked(&self, _hotplug: &HotplugHeld) {
        // SAFETY: The key is valid, and the hotplug lock is held.
        unsafe { bindings::static_branch_dec_cpuslocked(self.as_raw()) };
    }

    /// Turns the key on for good, whatever its count (C's `static_branch_enable()`). May sleep;
    /// takes the CPU-hotplug lock, so the caller must not hold it.
    pub fn enable(&self) {
        // SAFETY: The key is valid.
        unsafe { bindings::static_branch_enable(self.as_raw()) };
    }
}

impl Default for StaticKeyFalse {
    fn default() -> Self {
        Self::new()
    }
}
