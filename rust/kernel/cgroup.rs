// SPDX-License-Identifier: GPL-2.0

//! Control groups, version 1.
//!
//! C header: [`include/linux/cgroup.h`](srctree/include/linux/cgroup.h)
//!
//! Control groups ("process containers") sort tasks into hierarchies of groups, and let
//! controllers attach per-group state to them. This is the core that replaces the C
//! implementation of the version 1 interface when `CONFIG_RUST_CGROUPS` is enabled (and
//! `CONFIG_CGROUPS` is not).
//!
//! What exists so far:
//! - `/proc/cgroups`, registered by [`cgroup_init`] at boot;
//! - the naming rules of hierarchies ([`check_root_name`]).
//!
//! Documentation for users: [`Documentation/cgroups.rst`](srctree/Documentation/cgroups.rst).

use crate::{
    c_str,
    error::{code::EINVAL, Result},
    proc_fs::{ProcEntry, ProcShow},
    seq_file::SeqFile,
    seq_print,
};
use core::ffi::c_int;

/// The longest hierarchy name that the `name=` mount option accepts, in bytes.
pub const MAX_ROOT_NAME_LEN: usize = 63;

/// Checks a hierarchy name given with the `name=` mount option.
///
/// A name is 1 to [`MAX_ROOT_NAME_LEN`] bytes of ASCII letters, digits, `_`, `.` and `-`;
/// anything else is `EINVAL`, as in the C implementation.
///
/// # Examples
///
/// ```
/// use kernel::cgroup::{check_root_name, MAX_ROOT_NAME_LEN};
/// use kernel::error::code::EINVAL;
///
/// assert_eq!(check_root_name(b"systemd"), Ok(()));
/// assert_eq!(check_root_name(b"a.b-c_9"), Ok(()));
/// assert_eq!(check_root_name(&[b'x'; MAX_ROOT_NAME_LEN]), Ok(()));
/// assert_eq!(check_root_name(&[b'x'; MAX_ROOT_NAME_LEN + 1]), Err(EINVAL));
/// assert_eq!(check_root_name(b""), Err(EINVAL));
/// assert_eq!(check_root_name(b"two words"), Err(EINVAL));
/// assert_eq!(check_root_name(b"a/b"), Err(EINVAL));
/// assert_eq!(check_root_name(b"caf\xc3\xa9"), Err(EINVAL));
/// ```
pub fn check_root_name(name: &[u8]) -> Result {
    let valid = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-');
    if name.is_empty() || name.len() > MAX_ROOT_NAME_LEN || !name.iter().all(valid) {
        return Err(EINVAL);
    }
    Ok(())
}

/// `/proc/cgroups`: one line per controller.
struct ProcCgroups;

impl ProcShow for ProcCgroups {
    fn show(m: &SeqFile) -> Result {
        seq_print!(m, "#subsys_name\thierarchy\tnum_cgroups\tenabled\n");
        Ok(())
    }
}

/// Sets up control groups; called once from `start_kernel()`, after procfs is initialised.
///
/// Returns 0 or a negative errno, which the caller ignores as it does for the C
/// implementation.
#[no_mangle]
pub extern "C" fn cgroup_init() -> c_int {
    match ProcEntry::new_single::<ProcCgroups>(c_str!("cgroups"), 0o444) {
        Ok(entry) => {
            entry.keep_forever();
            0
        }
        Err(e) => e.to_errno(),
    }
}
