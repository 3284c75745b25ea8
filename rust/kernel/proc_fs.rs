// SPDX-License-Identifier: GPL-2.0

//! The proc filesystem: read-only files in `/proc` produced by one `show` call.
//!
//! C header: [`include/linux/proc_fs.h`](srctree/include/linux/proc_fs.h)

use crate::{
    bindings,
    error::{code::ENOMEM, from_result, Result},
    seq_file::SeqFile,
    str::CStr,
};
use core::{
    ffi::{c_int, c_void},
    ptr::{self, NonNull},
};

/// The content of a read-only `/proc` file, written in full by each read from the start.
pub trait ProcShow {
    /// Writes the file's whole content into `m`.
    fn show(m: &SeqFile) -> Result;
}

/// A file in `/proc`, removed when this is dropped.
///
/// # Invariants
///
/// The pointer is a live entry created by `proc_create_single_data` and not yet removed.
///
/// # Examples
///
/// ```
/// use kernel::{c_str, prelude::*, proc_fs::{ProcEntry, ProcShow}, seq_file::SeqFile, seq_print};
///
/// struct Hello;
/// impl ProcShow for Hello {
///     fn show(m: &SeqFile) -> Result {
///         seq_print!(m, "hello\n");
///         Ok(())
///     }
/// }
///
/// let entry = ProcEntry::new_single::<Hello>(c_str!("rust_proc_fs_doctest"), 0o444)?;
/// drop(entry);
/// # Ok::<(), Error>(())
/// ```
pub struct ProcEntry(NonNull<bindings::proc_dir_entry>);

impl ProcEntry {
    /// Creates `/proc/<name>` with the given mode; `T::show` produces its content.
    pub fn new_single<T: ProcShow>(name: &'static CStr, mode: u16) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated and lives for ever, as the entry keeps a pointer to it
        // only until it is removed (it copies the name). A NULL parent means `/proc` itself.
        // `show_callback::<T>` has the signature `single_open` expects and ignores the NULL data.
        let ptr = unsafe {
            bindings::proc_create_single_data(
                name.as_char_ptr(),
                mode,
                ptr::null_mut(),
                Some(show_callback::<T>),
                ptr::null_mut(),
            )
        };
        // INVARIANT: A non-NULL return is a live entry.
        NonNull::new(ptr).map(Self).ok_or(ENOMEM)
    }

    /// Keeps the entry for the rest of the kernel's life (for files registered at boot).
    pub fn keep_forever(self) {
        core::mem::forget(self);
    }
}

impl Drop for ProcEntry {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the entry is live; it is removed only here, once.
        unsafe { bindings::proc_remove(self.0.as_ptr()) };
    }
}

// SAFETY: A proc entry may be removed from any thread; nothing else is reachable through it.
unsafe impl Send for ProcEntry {}
// SAFETY: `&ProcEntry` gives no access to anything.
unsafe impl Sync for ProcEntry {}

/// # Safety
///
/// Called only by the seq_file core, with a valid, locked `seq_file`.
unsafe extern "C" fn show_callback<T: ProcShow>(
    m: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    // SAFETY: The seq_file core calls `show` with a valid seq_file whose lock it holds.
    let m = unsafe { SeqFile::from_raw(m) };
    from_result(|| {
        T::show(m)?;
        Ok(0)
    })
}
