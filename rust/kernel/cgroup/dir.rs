// SPDX-License-Identifier: GPL-2.0

//! `mkdir`, `rmdir` and `rename` in a mounted hierarchy, and its `/proc/mounts` options.

use super::hierarchy::{core, Cgroup, ROOT_CPUSET_V2_MODE, ROOT_FAVOR_DYNMODS, ROOT_NOPREFIX};
use super::hierarchy::{CGRP_CLONE_CHILDREN, ROOT_XATTR};
use crate::{
    error::{
        code::{EINVAL, EIO, ENODEV, ENOTDIR},
        Result,
    },
    kernfs::{self, Attrs, Node, SyscallOps, SyscallOpsTable},
    seq_file::SeqFile,
    seq_print,
    str::CStr,
};

/// The kernfs syscall operations of every hierarchy.
pub(super) static SYSCALL_OPS: SyscallOpsTable = kernfs::syscall_ops::<CgroupDirOps>();

struct CgroupDirOps;

#[macros::vtable]
impl SyscallOps for CgroupDirOps {
    fn mkdir(parent: &Node, name: &CStr, mode: u16) -> Result {
        if name.as_bytes().contains(&b'\n') {
            return Err(EINVAL);
        }
        // SAFETY: `parent` is a group directory of ours with an operation running on it.
        let cgrp = unsafe { Cgroup::from_dir(parent) };
        // SAFETY: We are in an operation on `parent`; the guard is dropped before returning.
        let _unprotected = unsafe { parent.break_active_protection() };
        let mut state = core().state.lock();
        if cgrp.is_dead() {
            return Err(ENODEV);
        }
        Cgroup::create(&mut state, &cgrp, parent, name, Attrs::current_owner(mode)).map(|_| ())
    }

    fn rmdir(node: &Node) -> Result {
        // SAFETY: `node` is a group directory of ours with an operation running on it.
        let cgrp = unsafe { Cgroup::from_dir(node) };
        // SAFETY: We are in an operation on `node`; the guard is dropped before returning.
        let _unprotected = unsafe { node.break_active_protection() };
        Cgroup::remove(&cgrp, &mut core().state.lock())
    }

    fn rename(node: &Node, new_parent: &Node, name: &CStr) -> Result {
        if !node.is_dir() {
            return Err(ENOTDIR);
        }
        if node.parent_ptr() != new_parent.as_ptr() {
            return Err(EIO);
        }
        if name.as_bytes().contains(&b'\n') {
            return Err(EINVAL);
        }
        // SAFETY: We are in an operation on both nodes; the guards are dropped before returning.
        let _unprotected = unsafe {
            (
                new_parent.break_active_protection(),
                node.break_active_protection(),
            )
        };
        let _state = core().state.lock();
        // SAFETY: Both nodes are group directories; their memory stays valid while the VFS holds
        // their inodes, and kernfs refuses to rename a removed node.
        unsafe { kernfs::rename(node, new_parent, name) }
    }

    fn show_options(m: &SeqFile, root_node: &Node) -> Result {
        // SAFETY: `root_node` is the root directory of a mounted hierarchy, whose reference on
        // the top group lives until the hierarchy is destroyed after its last umount.
        let top = unsafe { Cgroup::from_dir(root_node) };
        let root = top.root();
        let mask = root.subsys_mask();
        for ops in super::subsys::each().filter(|o| mask & (1 << o.id as usize) != 0) {
            seq_print!(m, ",{}", ops.name());
        }
        for (flag, name) in [
            (ROOT_NOPREFIX, ",noprefix"),
            (ROOT_XATTR, ",xattr"),
            (ROOT_CPUSET_V2_MODE, ",cpuset_v2_mode"),
            (ROOT_FAVOR_DYNMODS, ",favordynmods"),
        ] {
            if root.has_flag(flag) {
                seq_print!(m, "{}", name);
            }
        }
        {
            let agent = root.release_agent.lock();
            if !agent.is_empty() {
                seq_print!(m, ",release_agent=");
                m.write_escaped(&agent, b", \t\n\\");
            }
        }
        if top.test_flag(CGRP_CLONE_CHILDREN) {
            seq_print!(m, ",clone_children");
        }
        if !root.name.is_empty() {
            seq_print!(m, ",name=");
            m.write_escaped(&root.name, b",= \t\n\\");
        }
        Ok(())
    }
}
