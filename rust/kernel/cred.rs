// SPDX-License-Identifier: GPL-2.0

//! Credentials management.
//!
//! C header: [`include/linux/cred.h`](srctree/include/linux/cred.h),
//! [`include/linux/capability.h`](srctree/include/linux/capability.h) for [`capable`], and
//! [`include/linux/user_namespace.h`](srctree/include/linux/user_namespace.h) for
//! [`UserNamespace`].
//!
//! Reference: <https://www.kernel.org/doc/html/latest/security/credentials.html>

use crate::{
    bindings,
    ffi::c_int,
    task::{Kgid, Kuid},
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::ptr::{self, NonNull};

/// The capability to perform a wide range of system administration operations.
pub const CAP_SYS_ADMIN: u32 = bindings::CAP_SYS_ADMIN;

/// Returns whether the current task has the capability `cap` in the initial user namespace.
///
/// Like C's `capable()`, it marks the task as having used a privilege (`PF_SUPERPRIV`) when it
/// returns `true`, and the security modules may audit the check: call it only when the privilege
/// is actually needed.
///
/// # Examples
///
/// ```
/// use kernel::cred::{self, CAP_SYS_ADMIN};
///
/// // KUnit runs the doctests in a kernel thread, with the full set of capabilities.
/// assert!(cred::capable(CAP_SYS_ADMIN));
/// // A capability that does not exist is not had (C would `BUG()`).
/// assert!(!cred::capable(u32::MAX));
/// assert!(!cred::capable(CAP_SYS_ADMIN + 1000));
/// ```
#[inline]
pub fn capable(cap: u32) -> bool {
    // C's `ns_capable()` calls `BUG()` for a capability that does not exist.
    if cap > bindings::CAP_LAST_CAP {
        return false;
    }
    let Ok(cap) = c_int::try_from(cap) else {
        return false;
    };
    // SAFETY: `capable` only inspects the current task's credentials; `cap` is a valid
    // capability (checked above).
    unsafe { bindings::capable(cap) }
}

/// Returns a reference to the current task's subjective credentials (C's `get_current_cred()`).
///
/// # Examples
///
/// ```
/// use kernel::{cred, task::Kuid};
///
/// let cred = cred::current();
/// // KUnit runs the doctests in a kernel thread, as root.
/// assert!(cred.euid() == Kuid::root());
/// ```
#[inline]
pub fn current() -> ARef<Credential> {
    // SAFETY: An FFI call with no additional requirements: the current task always has valid
    // credentials.
    let ptr = unsafe { bindings::get_current_cred() };
    // SAFETY: `get_current_cred()` never returns null.
    let ptr = unsafe { NonNull::new_unchecked(ptr.cast_mut()) };
    // SAFETY: `get_current_cred()` took a reference, which the `ARef` now owns.
    unsafe { ARef::from_raw(ptr.cast::<Credential>()) }
}

/// Wraps the kernel's `struct cred`.
///
/// Credentials are used for various security checks in the kernel.
///
/// Most fields of credentials are immutable. When things have their credentials changed, that
/// happens by replacing the credential instead of changing an existing credential. See the [kernel
/// documentation][ref] for more info on this.
///
/// # Invariants
///
/// Instances of this type are always ref-counted, that is, a call to `get_cred` ensures that the
/// allocation remains valid at least until the matching call to `put_cred`.
///
/// [ref]: https://www.kernel.org/doc/html/latest/security/credentials.html
///
/// # Examples
///
/// ```
/// use kernel::{cred, task::{Kgid, Kuid}, types::ARef};
///
/// let cred = cred::current();
/// let copy: ARef<cred::Credential> = cred.clone();
/// assert!(copy.uid() == cred.uid());
/// // KUnit runs the doctests in a kernel thread, as root.
/// assert!(cred.uid() == Kuid::root());
/// assert!(cred.suid() == Kuid::root());
/// assert!(cred.fsuid() == Kuid::root());
/// assert!(cred.fsgid() == Kgid::root());
/// ```
#[repr(transparent)]
pub struct Credential(Opaque<bindings::cred>);

// SAFETY: By design, the only way to access a `Credential` is via an immutable reference or an
// `ARef`. This means that the only situation in which a `Credential` can be accessed mutably is
// when the refcount drops to zero and the destructor runs. It is safe for that to happen on any
// thread, so it is ok for this type to be `Send`.
unsafe impl Send for Credential {}

// SAFETY: It's OK to access `Credential` through shared references from other threads because
// we're either accessing properties that don't change or that are properly synchronised by C
// code.
unsafe impl Sync for Credential {}

impl Credential {
    /// Creates a reference to a [`Credential`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// The caller must ensure that `ptr` is valid and remains valid for the lifetime of the
    /// returned [`Credential`] reference.
    #[inline]
    pub unsafe fn from_ptr<'a>(ptr: *const bindings::cred) -> &'a Credential {
        // SAFETY: The safety requirements guarantee the validity of the dereference, while the
        // `Credential` type being transparent makes the cast ok.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer to the C `struct cred`.
    #[inline]
    pub fn as_ptr(&self) -> *const bindings::cred {
        self.0.get()
    }

    /// Returns the real UID (`uid`).
    #[inline]
    pub fn uid(&self) -> Kuid {
        // SAFETY: By the type invariant, we know that `self.0` is valid. Furthermore, the `uid`
        // field of a credential is never changed after initialization.
        Kuid::from_raw(unsafe { (*self.0.get()).uid })
    }

    /// Returns the effective UID (`euid`), the one most permission checks use.
    #[inline]
    pub fn euid(&self) -> Kuid {
        // SAFETY: By the type invariant, we know that `self.0` is valid. Furthermore, the `euid`
        // field of a credential is never changed after initialization.
        Kuid::from_raw(unsafe { (*self.0.get()).euid })
    }

    /// Returns the saved UID (`suid`).
    #[inline]
    pub fn suid(&self) -> Kuid {
        // SAFETY: By the type invariant, we know that `self.0` is valid. Furthermore, the `suid`
        // field of a credential is never changed after initialization.
        Kuid::from_raw(unsafe { (*self.0.get()).suid })
    }

    /// Returns the UID used for filesystem access checks (`fsuid`).
    #[inline]
    pub fn fsuid(&self) -> Kuid {
        // SAFETY: By the type invariant, we know that `self.0` is valid. Furthermore, the `fsuid`
        // field of a credential is never changed after initialization.
        Kuid::from_raw(unsafe { (*self.0.get()).fsuid })
    }

    /// Returns the GID used for filesystem access checks (`fsgid`).
    #[inline]
    pub fn fsgid(&self) -> Kgid {
        // SAFETY: By the type invariant, we know that `self.0` is valid. Furthermore, the `fsgid`
        // field of a credential is never changed after initialization.
        Kgid::from_raw(unsafe { (*self.0.get()).fsgid })
    }
}

// SAFETY: The type invariants guarantee that `Credential` is always ref-counted.
unsafe impl AlwaysRefCounted for Credential {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The existence of a shared reference means that the refcount is nonzero.
        unsafe { bindings::get_cred(self.0.get()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Credential>) {
        // SAFETY: The safety requirements guarantee that the refcount is nonzero. The cast is okay
        // because `Credential` has the same representation as `struct cred`.
        unsafe { bindings::put_cred(obj.cast().as_ptr()) };
    }
}

/// A user namespace (C's `struct user_namespace`): the scope of a set of credentials'
/// capabilities.
///
/// # Invariants
///
/// Instances are always reference counted (`get_user_ns()`/`put_user_ns()`), or the static
/// initial namespace, which is never freed.
///
/// # Examples
///
/// ```
/// use kernel::cred::{UserNamespace, CAP_SYS_ADMIN};
/// use kernel::types::ARef;
///
/// let init: ARef<UserNamespace> = UserNamespace::init().into();
/// assert!(init.is_init());
/// // KUnit runs the doctests in a kernel thread, with every capability in the initial user
/// // namespace.
/// assert!(init.ns_capable(CAP_SYS_ADMIN));
/// ```
#[repr(transparent)]
pub struct UserNamespace(Opaque<bindings::user_namespace>);

// SAFETY: Only the count changes after a namespace is set up, atomically; the last reference
// may be dropped on any thread.
unsafe impl Send for UserNamespace {}

// SAFETY: As above: shared references only read fields that do not change.
unsafe impl Sync for UserNamespace {}

impl UserNamespace {
    /// The initial user namespace.
    pub fn init() -> &'static UserNamespace {
        // SAFETY: `init_user_ns` is static and lives for ever; the cast is fine because
        // `UserNamespace` is transparent over `struct user_namespace`.
        unsafe { &*ptr::addr_of!(bindings::init_user_ns).cast::<UserNamespace>() }
    }

    /// Creates a reference to a [`UserNamespace`] from a valid pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid and remain so for `'a`.
    pub unsafe fn from_ptr<'a>(ptr: *const bindings::user_namespace) -> &'a UserNamespace {
        // SAFETY: Guaranteed by the caller; the cast is fine (transparent type).
        unsafe { &*ptr.cast() }
    }

    /// The raw pointer to the C `struct user_namespace`.
    pub fn as_ptr(&self) -> *mut bindings::user_namespace {
        self.0.get()
    }

    /// Whether this is the initial user namespace.
    pub fn is_init(&self) -> bool {
        ptr::eq(self, Self::init())
    }

    /// Whether the current task has the capability `cap` in this namespace (C's
    /// `ns_capable()`, with the same marking and auditing as [`capable`]).
    pub fn ns_capable(&self, cap: u32) -> bool {
        // C's `ns_capable()` calls `BUG()` for a capability that does not exist.
        if cap > bindings::CAP_LAST_CAP {
            return false;
        }
        let Ok(cap) = c_int::try_from(cap) else {
            return false;
        };
        // SAFETY: The namespace is valid (type invariant); `cap` is a valid capability.
        unsafe { bindings::ns_capable(self.as_ptr(), cap) }
    }
}

// SAFETY: The type invariants guarantee that `UserNamespace` is always reference counted (the
// initial namespace's count never drops to zero).
unsafe impl AlwaysRefCounted for UserNamespace {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The existence of a shared reference means that the count is not zero.
        unsafe { bindings::get_user_ns(self.as_ptr()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<UserNamespace>) {
        // SAFETY: The caller gives up a reference; the cast is fine (transparent type).
        unsafe { bindings::put_user_ns(obj.cast().as_ptr()) };
    }
}
