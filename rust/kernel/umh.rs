// SPDX-License-Identifier: GPL-2.0

//! Running user-space programs from the kernel ("user mode helpers").
//!
//! C header: [`include/linux/umh.h`](srctree/include/linux/umh.h)

use crate::{
    alloc::{flags::GFP_KERNEL, KVec},
    error::{code::EINVAL, to_result, Result},
    ffi::c_char,
    str::CStr,
};
use core::ptr;

/// How long [`call_usermodehelper`] waits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Until the program has been started (its `exec` succeeded or failed).
    Exec,
    /// Until the program has exited.
    Proc,
}

/// A NULL-terminated array of pointers to the strings of `strs`, which must outlive it.
fn pointers(strs: &[&CStr]) -> Result<KVec<*mut c_char>> {
    let mut v = KVec::with_capacity(strs.len() + 1, GFP_KERNEL)?;
    for s in strs {
        v.push(s.as_char_ptr().cast_mut(), GFP_KERNEL)?;
    }
    v.push(ptr::null_mut(), GFP_KERNEL)?;
    Ok(v)
}

/// Runs the program `argv[0]` with arguments `argv` and environment `envp`, as root, from a
/// kernel thread; returns once it has started (`Wait::Exec`) or exited (`Wait::Proc`). An error
/// means that the program could not be run.
///
/// # Examples
///
/// ```
/// use kernel::{c_str, umh};
///
/// // A program that does not exist cannot be run, whether or not the root filesystem is
/// // there yet; the error is the one `execve()` gives.
/// assert_eq!(
///     umh::call_usermodehelper(&[c_str!("/nonexistent/cgv1-umh")], &[], umh::Wait::Exec),
///     Err(ENOENT)
/// );
/// assert_eq!(
///     umh::call_usermodehelper(&[c_str!("/nonexistent/cgv1-umh")], &[], umh::Wait::Proc),
///     Err(ENOENT)
/// );
/// // No program at all.
/// assert_eq!(umh::call_usermodehelper(&[], &[], umh::Wait::Exec), Err(EINVAL));
/// ```
pub fn call_usermodehelper(argv: &[&CStr], envp: &[&CStr], wait: Wait) -> Result {
    let path = argv.first().ok_or(EINVAL)?;
    let mut args = pointers(argv)?;
    let mut env = pointers(envp)?;
    let wait = match wait {
        Wait::Exec => bindings::UMH_WAIT_EXEC,
        Wait::Proc => bindings::UMH_WAIT_PROC,
    };
    // SAFETY: `args` and `env` are NULL-terminated arrays of NUL-terminated strings that live
    // until the call returns; it returns once the helper has copied what it needs (at the
    // latest once the program has started).
    to_result(unsafe {
        bindings::call_usermodehelper(
            path.as_char_ptr(),
            args.as_mut_ptr(),
            env.as_mut_ptr(),
            wait as i32,
        )
    })
}
