// SPDX-License-Identifier: GPL-2.0

//! Sequential files: the buffer that `show` callbacks of read-only virtual files write into.
//!
//! C header: [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h)

use crate::{bindings, str::CStr, types::Opaque};
use core::{ffi::c_void, fmt};

/// A `struct seq_file`, as handed to a `show` callback.
///
/// Text is appended with [`seq_print!`](crate::seq_print). When the text does not fit, the
/// seq_file core retries the callback with a larger buffer, so callbacks just print everything
/// they have.
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

    /// Appends formatted text. Use [`seq_print!`](crate::seq_print) rather than calling this
    /// directly.
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

    /// Appends raw bytes.
    pub fn write_bytes(&self, data: &[u8]) {
        // SAFETY: By the type invariant the seq_file is valid and only we write to it; `data` is
        // valid for `data.len()` bytes. An overflow is recorded in the seq_file, which retries.
        unsafe { bindings::seq_write(self.0.get(), data.as_ptr().cast(), data.len()) };
    }

    /// Appends `value` in decimal, like `seq_print!(m, "{}", value)` but without formatting
    /// machinery (C's `seq_put_decimal_ull()`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use kernel::{bindings, seq_file::SeqFile};
    /// # let mut buf = [0u8; 32];
    /// # // SAFETY: All zeroes is a valid, empty `struct seq_file`.
    /// # let mut raw: bindings::seq_file = unsafe { core::mem::zeroed() };
    /// # raw.buf = buf.as_mut_ptr().cast();
    /// # raw.size = buf.len();
    /// # // SAFETY: `raw` is valid and nothing else uses it while `m` is alive.
    /// # let m = unsafe { SeqFile::from_raw(&mut raw) };
    /// m.write_decimal(0);
    /// m.write_bytes(b" ");
    /// m.write_decimal(18446744073709551615);
    /// assert_eq!(&buf[..raw.count], b"0 18446744073709551615");
    /// ```
    pub fn write_decimal(&self, value: u64) {
        let empty: &CStr = crate::c_str!("");
        // SAFETY: By the type invariant the seq_file is valid and only we write to it; the
        // delimiter is an empty NUL-terminated string.
        unsafe { bindings::seq_put_decimal_ull(self.0.get(), empty.as_char_ptr(), value) };
    }

    /// Returns whether `len` more bytes fit in the buffer. If they do not, marks the buffer
    /// overflowed, as a write that does not fit would, without writing: the seq_file core then
    /// calls the callback again with a buffer twice as large. A callback that knows how much it
    /// will print can so skip the work of passes whose output could not fit.
    ///
    /// # Examples
    ///
    /// ```
    /// # use kernel::{bindings, seq_file::SeqFile};
    /// # let mut buf = [0u8; 8];
    /// # // SAFETY: All zeroes is a valid, empty `struct seq_file`.
    /// # let mut raw: bindings::seq_file = unsafe { core::mem::zeroed() };
    /// # raw.buf = buf.as_mut_ptr().cast();
    /// # raw.size = buf.len();
    /// # // SAFETY: `raw` is valid and nothing else uses it while `m` is alive.
    /// # let m = unsafe { SeqFile::from_raw(&mut raw) };
    /// m.write_bytes(b"abc");
    /// assert!(m.has_room(5));
    /// assert_eq!(raw.count, 3);
    /// assert!(!m.has_room(6));
    /// // Overflowed: everything written is dropped and the core retries.
    /// assert_eq!(raw.count, raw.size);
    /// ```
    pub fn has_room(&self, len: usize) -> bool {
        let m = self.0.get();
        // SAFETY: By the type invariant the seq_file is valid and only we write to it. Setting
        // `count` to `size` is how C's `seq_set_overflow()` records an overflow.
        unsafe {
            if (*m).count.saturating_add(len) <= (*m).size {
                return true;
            }
            (*m).count = (*m).size;
        }
        false
    }

    /// Appends the address of `obj` hashed, as the C `%p` does, so that objects can be told
    /// apart without revealing where they are.
    pub fn write_hashed_ptr<T>(&self, obj: &T) {
        let fmt: &CStr = crate::c_str!("%p");
        let p: *const c_void = core::ptr::from_ref(obj).cast();
        // SAFETY: By the type invariant the seq_file is valid and only we write to it; `%p`
        // only hashes the pointer value, never dereferences it.
        unsafe { bindings::seq_printf(self.0.get(), fmt.as_char_ptr(), p) };
    }

    /// Appends `data`, writing each byte found in `escape` as a backslash and three octal
    /// digits, like the C `seq_escape()` (used for paths and names in `/proc/mounts`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use kernel::{bindings, seq_file::SeqFile};
    /// # let mut buf = [0u8; 32];
    /// # // SAFETY: All zeroes is a valid, empty `struct seq_file`.
    /// # let mut raw: bindings::seq_file = unsafe { core::mem::zeroed() };
    /// # raw.buf = buf.as_mut_ptr().cast();
    /// # raw.size = buf.len();
    /// # // SAFETY: `raw` is valid and nothing else uses it while `m` is alive.
    /// # let m = unsafe { SeqFile::from_raw(&mut raw) };
    /// m.write_escaped(b"a b,c\\", b" ,\\");
    /// assert_eq!(&buf[..raw.count], b"a\\040b\\054c\\134");
    /// ```
    pub fn write_escaped(&self, data: &[u8], escape: &[u8]) {
        let mut start = 0;
        for (i, c) in data.iter().enumerate() {
            if escape.contains(c) {
                self.write_bytes(&data[start..i]);
                let octal = [
                    b'\\',
                    b'0' + (c >> 6),
                    b'0' + ((c >> 3) & 7),
                    b'0' + (c & 7),
                ];
                self.write_bytes(&octal);
                start = i + 1;
            }
        }
        self.write_bytes(&data[start..]);
    }
}

/// Appends formatted text to a [`SeqFile`], with the syntax of [`core::format_args!`].
#[macro_export]
macro_rules! seq_print {
    ($m:expr, $($arg:tt)+) => (
        $m.call_printf(core::format_args!($($arg)+))
    );
}
