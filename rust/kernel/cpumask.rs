// SPDX-License-Identifier: GPL-2.0

//! CPU masks.
//!
//! C header: [`include/linux/cpumask.h`](srctree/include/linux/cpumask.h)
//!
//! A [`Cpumask`] is a C `struct cpumask`, one bit per CPU id; a [`CpumaskVar`] owns one (C's
//! `cpumask_var_t`, allocated when `CONFIG_CPUMASK_OFFSTACK` is set, inline otherwise). The
//! operations go through the C functions, since C code may change masks such as the online
//! CPUs' under readers.
//!
//! # Examples
//!
//! ```
//! use kernel::cpu::CpuId;
//! use kernel::cpumask::{Cpumask, CpumaskVar};
//! use kernel::{fmt, str::CString};
//! use kernel::error::code::{EINVAL, ERANGE};
//!
//! let mut mask = CpumaskVar::new_zero(GFP_KERNEL)?;
//! assert!(mask.is_empty());
//! let cpu0 = CpuId::from_u32(0).ok_or(EINVAL)?;
//! mask.set(cpu0);
//! assert!(mask.test(cpu0) && mask.weight() == 1);
//! assert_eq!(mask.first(), Some(cpu0));
//! assert!(mask.is_subset(Cpumask::possible()));
//!
//! let mut other = CpumaskVar::try_clone(Cpumask::possible())?;
//! assert!(other.intersects(&mask));
//! // Equal exactly when CPU 0 is the only possible CPU.
//! assert_eq!(other.equal(&mask), other.weight() == 1);
//! other.andnot(Cpumask::possible(), &mask);
//! let mut again = CpumaskVar::try_clone(&other)?;
//! again.or_with(&mask);
//! assert!(again.equal(Cpumask::possible()));
//! let empty = CpumaskVar::new_zero(GFP_KERNEL)?;
//! assert!(!again.and_with(&empty));
//! assert!(!other.test(cpu0) && !other.intersects(&mask));
//! other.clear_all();
//! assert!(other.is_empty());
//!
//! // C's list format, as `cpulist_parse()` reads it.
//! mask.parse_list(b"0")?;
//! assert_eq!(mask.iter().map(CpuId::as_u32).sum::<u32>(), 0);
//! assert_eq!(mask.parse_list(b"0-"), Err(EINVAL));
//! assert_eq!(mask.parse_list(b"4000"), Err(ERANGE));
//! let all = CString::try_from_fmt(fmt!("{}", Cpumask::possible().list()))?;
//! assert!(all.as_bytes().starts_with(b"0"));
//! mask.clear_all();
//! for cpu in [0, 2, 3, 5].into_iter().filter_map(CpuId::from_u32) {
//!     mask.set(cpu);
//! }
//! let shown = CString::try_from_fmt(fmt!("{}", mask.list()))?;
//! let want: &[u8] = match Cpumask::possible().weight() {
//!     1..=2 => b"0",
//!     3 => b"0,2",
//!     4..=5 => b"0,2-3",
//!     _ => b"0,2-3,5",
//! };
//! assert_eq!(shown.as_bytes(), want);
//! mask.parse_list(b"")?;
//! assert_eq!(CString::try_from_fmt(fmt!("{}", mask.list()))?.as_bytes(), b"");
//! assert!(mask.is_empty());
//! # Ok::<(), Error>(())
//! ```

use crate::{
    alloc::{AllocError, Flags, KVec},
    bindings,
    cpu::CpuId,
    error::{code::EINVAL, to_result, Result},
    ffi::c_int,
    types::Opaque,
};
use core::ops::{Deref, DerefMut};

/// The most CPUs the kernel was built for (`CONFIG_NR_CPUS`); `nr_cpu_ids` may be fewer.
pub const NR_CPUS: u32 = bindings::NR_CPUS;

/// A CPU mask (C's `struct cpumask`).
///
/// # Invariants
///
/// A `&Cpumask` is only handed out for a valid `struct cpumask` that lives as long as the
/// reference; a `&mut Cpumask` for one that nothing else changes meanwhile.
#[repr(transparent)]
pub struct Cpumask(Opaque<bindings::cpumask>);

// SAFETY: A mask is plain bits; the C functions used on shared references only read them.
unsafe impl Sync for Cpumask {}
// SAFETY: As above.
unsafe impl Send for Cpumask {}

impl Cpumask {
    /// The mask at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct cpumask` that lives for `'a` and that nothing else
    /// changes meanwhile, allocated whole (`NR_CPUS` bits): not a mask from
    /// `alloc_cpumask_var()` with `CONFIG_CPUMASK_OFFSTACK`, which has only `cpumask_size()`
    /// bytes, since safe code may write a whole `Cpumask` through a `&mut` (`mem::swap`).
    pub unsafe fn as_mut_ref<'a>(ptr: *mut bindings::cpumask) -> &'a mut Self {
        // SAFETY: Transparent wrapper; the rest is guaranteed by the caller.
        unsafe { &mut *ptr.cast() }
    }

    /// The mask at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct cpumask` that lives for `'a`.
    pub unsafe fn as_ref<'a>(ptr: *const bindings::cpumask) -> &'a Self {
        // SAFETY: Transparent wrapper; the rest is guaranteed by the caller.
        unsafe { &*ptr.cast() }
    }

    /// The raw pointer to the C mask.
    pub fn as_raw(&self) -> *mut bindings::cpumask {
        self.0.get()
    }

    /// The possible CPUs.
    pub fn possible() -> &'static Cpumask {
        // SAFETY: `__cpu_possible_mask` is a static mask, never freed.
        unsafe { Self::as_ref(core::ptr::addr_of!(bindings::__cpu_possible_mask)) }
    }

    /// The online CPUs. It changes under CPU hotplug; hold [`crate::cpu::hotplug_read_lock`]
    /// for a stable view.
    pub fn online() -> &'static Cpumask {
        // SAFETY: `__cpu_online_mask` is a static mask, never freed.
        unsafe { Self::as_ref(core::ptr::addr_of!(bindings::__cpu_online_mask)) }
    }

    /// The active CPUs (online and scheduled on).
    pub fn active() -> &'static Cpumask {
        // SAFETY: `__cpu_active_mask` is a static mask, never freed.
        unsafe { Self::as_ref(core::ptr::addr_of!(bindings::__cpu_active_mask)) }
    }

    /// Adds `cpu`.
    pub fn set(&mut self, cpu: CpuId) {
        // SAFETY: The mask is valid (type invariants) and `cpu` in range.
        unsafe { bindings::cpumask_set_cpu(cpu.as_u32(), self.as_raw()) }
    }

    /// Removes `cpu`.
    pub fn clear(&mut self, cpu: CpuId) {
        // SAFETY: As in `set`; `cpu` is below `nr_cpu_ids`, so it fits a C int.
        unsafe { bindings::cpumask_clear_cpu(cpu.as_u32() as c_int, self.as_raw()) }
    }

    /// Whether `cpu` is in the mask.
    pub fn test(&self, cpu: CpuId) -> bool {
        // SAFETY: As in `clear`.
        unsafe { bindings::cpumask_test_cpu(cpu.as_u32() as c_int, self.as_raw()) }
    }

    /// Adds every CPU.
    pub fn setall(&mut self) {
        // SAFETY: The mask is valid (type invariants).
        unsafe { bindings::cpumask_setall(self.as_raw()) }
    }

    /// Removes every CPU.
    pub fn clear_all(&mut self) {
        // SAFETY: The mask is valid (type invariants).
        unsafe { bindings::cpumask_clear(self.as_raw()) }
    }

    /// The number of CPUs in the mask.
    pub fn weight(&self) -> u32 {
        // SAFETY: The mask is valid (type invariants).
        unsafe { bindings::cpumask_weight(self.as_raw()) }
    }

    /// Whether the mask is empty.
    pub fn is_empty(&self) -> bool {
        // SAFETY: The mask is valid (type invariants).
        unsafe { bindings::cpumask_empty(self.as_raw()) }
    }

    /// Copies this mask into `dst`.
    pub fn copy(&self, dst: &mut Cpumask) {
        // SAFETY: Both masks are valid (type invariants).
        unsafe { bindings::cpumask_copy(dst.as_raw(), self.as_raw()) }
    }

    /// Sets this mask to `a & b`; returns whether it is not empty.
    pub fn and(&mut self, a: &Cpumask, b: &Cpumask) -> bool {
        // SAFETY: The masks are valid (type invariants).
        unsafe { bindings::cpumask_and(self.as_raw(), a.as_raw(), b.as_raw()) }
    }

    /// Keeps only the CPUs that are also in `other`; returns whether the mask is not empty.
    pub fn and_with(&mut self, other: &Cpumask) -> bool {
        // SAFETY: The masks are valid (type invariants); C allows the destination to be a
        // source.
        unsafe { bindings::cpumask_and(self.as_raw(), self.as_raw(), other.as_raw()) }
    }

    /// Adds the CPUs of `other`.
    pub fn or_with(&mut self, other: &Cpumask) {
        // SAFETY: The masks are valid (type invariants); C allows the destination to be a
        // source.
        unsafe { bindings::cpumask_or(self.as_raw(), self.as_raw(), other.as_raw()) }
    }

    /// Sets this mask to `a | b`.
    pub fn or(&mut self, a: &Cpumask, b: &Cpumask) {
        // SAFETY: The masks are valid (type invariants).
        unsafe { bindings::cpumask_or(self.as_raw(), a.as_raw(), b.as_raw()) }
    }

    /// Sets this mask to `a & !b`; returns whether it is not empty.
    pub fn andnot(&mut self, a: &Cpumask, b: &Cpumask) -> bool {
        // SAFETY: The masks are valid (type invariants).
        unsafe { bindings::cpumask_andnot(self.as_raw(), a.as_raw(), b.as_raw()) }
    }

    /// Whether every CPU of this mask is in `other`.
    pub fn is_subset(&self, other: &Cpumask) -> bool {
        // SAFETY: The masks are valid (type invariants).
        unsafe { bindings::cpumask_subset(self.as_raw(), other.as_raw()) }
    }

    /// Whether this mask and `other` have a CPU in common.
    pub fn intersects(&self, other: &Cpumask) -> bool {
        // SAFETY: The masks are valid (type invariants).
        unsafe { bindings::cpumask_intersects(self.as_raw(), other.as_raw()) }
    }

    /// Whether this mask and `other` are equal.
    pub fn equal(&self, other: &Cpumask) -> bool {
        // SAFETY: The masks are valid (type invariants).
        unsafe { bindings::cpumask_equal(self.as_raw(), other.as_raw()) }
    }

    /// The first CPU of the mask.
    pub fn first(&self) -> Option<CpuId> {
        // SAFETY: The mask is valid (type invariants).
        CpuId::from_u32(unsafe { bindings::cpumask_first(self.as_raw()) })
    }

    /// The CPUs of the mask, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = CpuId> + '_ {
        crate::cpu::possible_cpus().filter(|&c| self.test(c))
    }

    /// The mask in C's list format (`0-3,5`; nothing for the empty mask), as `%*pbl` prints
    /// it.
    pub fn list(&self) -> impl core::fmt::Display + '_ {
        RangeList(move || self.iter().map(CpuId::as_u32))
    }

    /// Sets the mask from a list in C's format (`0-3,5`; also `0-7:2/4`), as `cpulist_parse()`
    /// reads it: an empty list (or one of white space) is the empty mask; a CPU past the
    /// mask's size is `ERANGE`; anything malformed `EINVAL`. A NUL byte ends the text, as in C.
    /// On an error the mask may be changed.
    pub fn parse_list(&mut self, text: &[u8]) -> Result {
        let text = c_text(text)?;
        let nbits = c_int::try_from(crate::cpu::nr_cpu_ids()).map_err(|_| EINVAL)?;
        // SAFETY: `text` is NUL-terminated; the mask is valid (type invariants) and has
        // `nr_cpumask_bits` (that is, `nr_cpu_ids`) bits.
        to_result(unsafe {
            bindings::bitmap_parselist(
                text.as_ptr().cast(),
                (*self.as_raw()).bits.as_mut_ptr(),
                nbits,
            )
        })
    }
}

/// A CPU mask that C code gives to be written, such as the scheduler's in
/// `cpuset_cpus_allowed()`: with `CONFIG_CPUMASK_OFFSTACK` it may have only `cpumask_size()`
/// bytes, fewer than a whole [`Cpumask`], so it is never handed out as a `&mut Cpumask`; it is
/// written through C's functions only, which touch `nr_cpu_ids` bits.
///
/// # Examples
///
/// ```
/// use kernel::cpumask::{Cpumask, CpumaskOut, CpumaskVar};
///
/// let var = CpumaskVar::new_zero(GFP_KERNEL)?;
/// let none = CpumaskVar::new_zero(GFP_KERNEL)?;
/// {
///     // SAFETY: `var` is a valid mask, which nothing else uses while `out` lives.
///     let mut out = unsafe { CpumaskOut::from_raw(var.as_raw()) };
///     assert!(out.is_empty());
///     out.copy_from(Cpumask::possible());
///     assert!(!out.is_empty());
///     assert!(out.and_from(Cpumask::possible(), Cpumask::online()));
///     assert!(!out.and_from(Cpumask::possible(), &none));
///     assert!(out.is_empty());
///     out.copy_from(Cpumask::online());
/// }
/// assert!(var.equal(Cpumask::online()));
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `ptr` points to a valid `struct cpumask` of at least `cpumask_size()` bytes, which nothing
/// else uses for `'a`.
pub struct CpumaskOut<'a> {
    ptr: *mut bindings::cpumask,
    _p: core::marker::PhantomData<&'a mut ()>,
}

impl<'a> CpumaskOut<'a> {
    /// The mask at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct cpumask` of at least `cpumask_size()` bytes that
    /// nothing else uses for `'a`.
    pub unsafe fn from_raw(ptr: *mut bindings::cpumask) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            ptr,
            _p: core::marker::PhantomData,
        }
    }

    /// Sets the mask to `src`.
    pub fn copy_from(&mut self, src: &Cpumask) {
        // SAFETY: Both masks are valid (type invariants); C copies `nr_cpu_ids` bits.
        unsafe { bindings::cpumask_copy(self.ptr, src.as_raw()) }
    }

    /// Sets the mask to `a & b`; returns whether it is not empty.
    pub fn and_from(&mut self, a: &Cpumask, b: &Cpumask) -> bool {
        // SAFETY: As in `copy_from`.
        unsafe { bindings::cpumask_and(self.ptr, a.as_raw(), b.as_raw()) }
    }

    /// Whether the mask is empty.
    pub fn is_empty(&self) -> bool {
        // SAFETY: As in `copy_from`.
        unsafe { bindings::cpumask_empty(self.ptr) }
    }
}

/// Prints the increasing ids that `ids` yields as C's `%*pbl` does: runs of consecutive ids
/// as `first-last`, separated by commas.
pub(crate) struct RangeList<F>(pub(crate) F);

impl<F, I> core::fmt::Display for RangeList<F>
where
    F: Fn() -> I,
    I: Iterator<Item = u32>,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut run: Option<(u32, u32)> = None;
        let mut sep = "";
        let mut put = |f: &mut core::fmt::Formatter<'_>, (a, b): (u32, u32)| {
            let r = if a == b {
                write!(f, "{sep}{a}")
            } else {
                write!(f, "{sep}{a}-{b}")
            };
            sep = ",";
            r
        };
        for id in (self.0)() {
            run = match run {
                Some((a, b)) if b.checked_add(1) == Some(id) => Some((a, id)),
                Some(r) => {
                    put(f, r)?;
                    Some((id, id))
                }
                None => Some((id, id)),
            };
        }
        match run {
            Some(r) => put(f, r),
            None => Ok(()),
        }
    }
}

/// A NUL-terminated copy of `text` up to its first NUL.
pub(crate) fn c_text(text: &[u8]) -> core::result::Result<KVec<u8>, AllocError> {
    let text = text
        .iter()
        .position(|&c| c == 0)
        .map_or(text, |nul| &text[..nul]);
    let mut v = KVec::with_capacity(text.len() + 1, crate::alloc::flags::GFP_KERNEL)?;
    v.extend_from_slice(text, crate::alloc::flags::GFP_KERNEL)?;
    v.push(0, crate::alloc::flags::GFP_KERNEL)?;
    Ok(v)
}

/// An owned CPU mask (C's `cpumask_var_t`).
///
/// With `CONFIG_CPUMASK_OFFSTACK` the mask is allocated, as C's, but whole (`NR_CPUS` bits)
/// rather than `cpumask_size()` bytes as `alloc_cpumask_var()` would: it is handed out as a
/// `&mut Cpumask`, through which safe code may write a whole mask.
pub struct CpumaskVar {
    #[cfg(CONFIG_CPUMASK_OFFSTACK)]
    mask: crate::alloc::KBox<Cpumask>,
    #[cfg(not(CONFIG_CPUMASK_OFFSTACK))]
    mask: Cpumask,
}

impl CpumaskVar {
    /// An empty mask.
    pub fn new_zero(_flags: Flags) -> core::result::Result<Self, AllocError> {
        #[cfg(CONFIG_CPUMASK_OFFSTACK)]
        {
            let mut b = crate::alloc::KBox::<Cpumask>::new_uninit(_flags)?;
            // SAFETY: All zeroes is a valid, empty `struct cpumask`, written over the whole
            // allocation.
            let mask = unsafe {
                core::ptr::write_bytes(b.as_mut_ptr(), 0, 1);
                b.assume_init()
            };
            Ok(Self { mask })
        }
        #[cfg(not(CONFIG_CPUMASK_OFFSTACK))]
        {
            // INVARIANT: An inline mask, all zeroes: empty.
            Ok(Self {
                // SAFETY: All zeroes is a valid, empty `struct cpumask`.
                mask: Cpumask(Opaque::new(unsafe { core::mem::zeroed() })),
            })
        }
    }

    /// A copy of `mask`.
    pub fn try_clone(mask: &Cpumask) -> core::result::Result<Self, AllocError> {
        let mut new = Self::new_zero(crate::alloc::flags::GFP_KERNEL)?;
        mask.copy(&mut new);
        Ok(new)
    }
}

impl Deref for CpumaskVar {
    type Target = Cpumask;

    fn deref(&self) -> &Cpumask {
        &self.mask
    }
}

impl DerefMut for CpumaskVar {
    fn deref_mut(&mut self) -> &mut Cpumask {
        &mut self.mask
    }
}
