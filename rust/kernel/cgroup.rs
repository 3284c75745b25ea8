// SPDX-License-Identifier: GPL-2.0

//! Control groups, version 1.
//!
//! C header: [`include/linux/cgroup.h`](srctree/include/linux/cgroup.h)
//!
//! Control groups ("process containers") sort tasks into hierarchies of groups, and let
//! controllers attach per-group state to them. This is the core that replaces the C
//! implementation of the version 1 interface when `CONFIG_RUST_CGROUPS` is enabled (and
//! `CONFIG_CGROUPS` is not). Users' documentation:
//! [`Documentation/cgroups.rst`](srctree/Documentation/cgroups.rst).
//!
//! # Structure
//!
//! - [`hierarchy`]: hierarchies ([`hierarchy::Root`]) and their groups ([`hierarchy::Cgroup`]),
//!   and the global state that lists them.
//! - [`cset`]: the css_set lattice: the sets of groups tasks are in, the fork and exit hooks,
//!   moving tasks, listing a group's tasks, and `/proc/<pid>/cgroup`.
//! - [`subsys`]: the [`subsys::Subsystem`] trait that controllers implement, their registration,
//!   binding to hierarchies, per-group states and control files.
//! - `fs`: the `cgroup` filesystem type: mount options, sharing of hierarchies between mounts,
//!   and their destruction at the last umount.
//! - `dir`: `mkdir`, `rmdir` and `rename` in a mounted hierarchy.
//! - `files`: the core control files of every group.
//! - `release`: `notify_on_release` and the release agent.
//!
//! The filesystem is built on kernfs ([`crate::kernfs`]) rather than on raw VFS objects: kernfs
//! already gives what a cgroup tree needs (directories whose lifetime the core decides, files
//! whose operations are drained when a directory is removed, one superblock shared by every
//! mount of a hierarchy, ownership and permission handling), exactly as the C implementation
//! uses it, so the user-visible behaviour of mount, `ls`, `stat` and errors matches it.
//!
//! # Locking and lifetime rules
//!
//! - **The core mutex** ([`hierarchy::State`], like C's `cgroup_mutex`) guards the list of
//!   hierarchies, hierarchy ids, each hierarchy's pin count, and the shape of every tree: which
//!   groups are alive, how many children each has. `mkdir`, `rmdir`, `rename`, mount and the
//!   last umount take it.
//! - **kernfs active references** come before the core mutex: kernfs holds an active reference
//!   on a node for every operation on it, and [`crate::kernfs::remove`], called under the core
//!   mutex by `rmdir`, waits for them. So every operation that takes the core mutex first breaks
//!   its own active protection ([`crate::kernfs::Node::break_active_protection`]) and, once it
//!   holds the mutex, checks that its group is still alive (`ENODEV` if not).
//! - The core mutex is never held across `kernfs_get_tree` or `kernfs_kill_sb`, which wait for
//!   superblock locks that the other one holds: a mount pins its hierarchy under the mutex and
//!   mounts without it.
//! - **The threadgroup rwsem** and **the css_set lock** come after the core mutex, in that
//!   order; their rules are in [`cset`].
//! - **Leaf locks**, taken last and never while taking another: each hierarchy's release agent
//!   path.
//! - **Flags** (`notify_on_release`, `cgroup.clone_children`) are atomics: reads and writes need
//!   no lock.
//! - **Lifetimes**: a group is reference counted ([`crate::sync::Arc`]). Its kernfs directory owns
//!   one reference, stored as the node's private pointer, released by `rmdir` after
//!   `kernfs_remove` has drained every operation on the directory and its files; each child owns
//!   one on its parent. A hierarchy owns its top group and outlives every group in it: it is
//!   destroyed only when its last superblock goes away while it has no child groups.

pub mod cset;
pub mod hierarchy;
pub mod subsys;

mod dir;
mod files;
mod fs;
mod release;

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
        let _state = hierarchy::core().state.lock();
        for ops in subsys::each() {
            let root = ops.root();
            seq_print!(m, "{}\t{}\t{}\t1\n", ops.name(), root.id, root.nr_cgroups());
        }
        Ok(())
    }
}

/// Sets up control groups; called once from `start_kernel()`, after procfs is initialised.
///
/// Returns 0 or a negative errno, which the caller ignores as it does for the C
/// implementation.
#[no_mangle]
pub extern "C" fn cgroup_init() -> c_int {
    let result = (|| -> Result {
        hierarchy::init()?;
        cset::init()?;
        ProcEntry::new_single::<ProcCgroups>(c_str!("cgroups"), 0o444)?.keep_forever();
        fs::register()
    })();
    match result {
        Ok(()) => 0,
        Err(e) => {
            crate::pr_err!("cgroup: initialisation failed: {:?}\n", e);
            e.to_errno()
        }
    }
}
