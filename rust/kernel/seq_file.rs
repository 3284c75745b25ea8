// SPDX-License-Identifier: GPL-2.0

//! Sequential files: the buffer that `show` callbacks of read-only virtual files write into.
//!
//! C header: [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h)

use crate::{bindings, str::CStr, types::Opaque};
use core::{ffi::c_void, fmt};

/// A `struct seq_file`, as handed to a `show` callback.
///
/// Text is appended with [`seq_print!`]. When the text does not fit, the seq_file core retries
/// the callback with a larger buffer, so callbacks just print everything they have.
///
/// # Invariants
///
/// The wrapped `struct seq_file` is valid, and only the current thread writes to it while a
/// reference to this type exists (the seq_file core calls `show` with the file's lock held).
///
/// # Examples
///
/// ```
/// use kernel::{bindings, seq_file::SeqFile, seq_print};
///
/// let mut buf = [0u8; 32];
/// // SAFETY: All zeroes is a valid, empty `struct seq_file`; the fields that printing uses are
/// // set right after.
/// let mut raw: bindings::seq_file = unsafe { core::mem::zeroed() };
/// raw.buf = buf.as_mut_ptr().cast();
/// raw.size = buf.len();
/// // SAFETY: `raw` is valid and nothing else uses it while `m` is alive.
/// let m = unsafe { SeqFile::from_raw(&mut raw) };
/// seq_print!(m, "{}\t{}\n", "cpuset", 1);
/// seq_print!(m, "{:>3}|", 7);
/// assert_eq!(raw.count, 13);
/// assert_eq!(&buf[..13], b"cpuset\t1\n  7|");
/// ```
#[repr(transparent)]
pub struct SeqFile(Opaque<bindings::seq_file>);

impl SeqFile {
    /// Creates a reference to a `struct seq_file` from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct seq_file` that no other thread writes to for the
    /// lifetime `'a`, as is the case inside a `show` callback.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::seq_file) -> &'a SeqFile {
        // SAFETY: `SeqFile` is a transparent wrapper of `struct seq_file`, and the caller
        // guarantees that the pointer is valid and ours for `'a`.
        // INVARIANT: The caller guarantees validity and exclusive writing for `'a`.
        unsafe { &*ptr.cast::<SeqFile>() }
    }

    /// Appends formatted text. Use [`seq_print!`] rather than calling this directly.
    pub fn call_printf(&self, args: fmt::Arguments<'_>) {
        let fmt: &CStr = crate::c_str!("%pA");
        // SAFETY: By the type invariant the seq_file is valid and only we write to it. The format
        // `%pA` makes vsprintf call `rust_fmt_argument` with the pointer to `args`, which is alive
        // for the whole call.
        unsafe {
            bindings::seq_printf(
                self.0.get(),
                fmt.as_char_ptr(),
                core::ptr::from_ref(&args).cast::<c_void>(),
            );
        }
    }
}

/// Appends formatted text to a [`SeqFile`], with the syntax of [`core::format_args!`].
#[macro_export]
macro_rules! seq_print {
    ($m:expr, $($arg:tt)+) => (
        $m.call_printf(core::format_args!($($arg)+))
    );
}
