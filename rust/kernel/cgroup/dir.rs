// SPDX-License-Identifier: GPL-2.0

//! `mkdir`, `rmdir` and `rename` in a mounted hierarchy, and its `/proc/mounts` options.
//!
//! Every directory of a hierarchy carries a reference on its group ([`Dirs::Data`]). An
//! operation that takes the core mutex first gives up its kernfs active protection (`rmdir`
//! removes directories with the mutex held, which waits for the operations on them), and then
//! checks, under the mutex, that its group is still alive.

use super::group::{Cgroup, CGRP_CLONE_CHILDREN};
use super::group::{
    ROOT_CPUSET_V2_MODE, ROOT_FAVOR_DYNMODS, ROOT_INHERIT, ROOT_KILL, ROOT_NOPREFIX, ROOT_XATTR,
};
use super::namespace::Namespace;
use super::state::core;
use super::subsys;
use crate::{
    alloc::{flags::GFP_KERNEL, KVec},
    bindings,
    error::{code::*, Result},
    kernfs::{ActiveDir, Attrs, DirOps, Node},
    seq_file::SeqFile,
    str::CStr,
    types::ARef,
};

/// The kernfs directory operations of every hierarchy.
pub(super) struct Dirs;

#[macros::vtable]
impl DirOps for Dirs {
    type Data = ARef<Cgroup>;

    fn mkdir(parent: ActiveDir<'_, Self>, name: &CStr, mode: u16) -> Result {
        if name.as_bytes().contains(&b'\n') {
            return Err(EINVAL);
        }
        let cgrp: ARef<Cgroup> = parent.data().into();
        parent.with_broken_protection(|_| {
            let core = core().ok_or(ENODEV)?;
            let mut state = core.state.lock();
            if cgrp.is_dead() {
                return Err(ENODEV);
            }
            // Controllers' rules for groups made by users (not for those the kernel makes).
            for ops in subsys::each_in(cgrp.root().subsys_mask()) {
                ops.can_mkdir(cgrp.css(ops.id).ok_or(EINVAL)?)?;
            }
            state
                .create_group(&cgrp, name, Attrs::current_owner(mode))
                .map(|_| ())
        })
    }

    fn rmdir(dir: ActiveDir<'_, Self>) -> Result {
        let cgrp: ARef<Cgroup> = dir.data().into();
        dir.with_broken_protection(|_| {
            let core = core().ok_or(ENODEV)?;
            let mut state = core.state.lock();
            state.remove_group(&cgrp)
        })
    }

    fn rename(dir: ActiveDir<'_, Self>, new_parent: ActiveDir<'_, Self>, name: &CStr) -> Result {
        // A name with a newline would make /proc/<pid>/cgroup unparsable. It is refused
        // before a move to another parent is: C gives EINVAL for both at once.
        if name.as_bytes().contains(&b'\n') {
            return Err(EINVAL);
        }
        if !dir
            .node()
            .parent()
            .is_some_and(|p| core::ptr::eq(p, new_parent.node()))
        {
            return Err(EIO);
        }
        let cgrp: ARef<Cgroup> = dir.data().into();
        new_parent.with_broken_protection(|_| {
            dir.with_broken_protection(|_| {
                let core = core().ok_or(ENODEV)?;
                let state = core.state.lock();
                state.rename_group(&cgrp, name)
            })
        })
    }

    fn show_options(m: &SeqFile, top: &Cgroup) -> Result {
        let root = top.root();
        for ops in subsys::each_in(root.subsys_mask()) {
            m.write_bytes(b",");
            m.write_bytes(ops.name().as_bytes());
        }
        for (flag, name) in [
            (ROOT_NOPREFIX, &b",noprefix"[..]),
            (ROOT_XATTR, b",xattr"),
            (ROOT_CPUSET_V2_MODE, b",cpuset_v2_mode"),
            (ROOT_FAVOR_DYNMODS, b",favordynmods"),
            (ROOT_KILL, b",kill"),
            (ROOT_INHERIT, b",inherit"),
        ] {
            if root.has_flag(flag) {
                m.write_bytes(name);
            }
        }
        root.with_release_agent(|agent| {
            if !agent.is_empty() {
                m.write_bytes(b",release_agent=");
                m.write_escaped(agent, b", \t\n\\");
            }
        });
        if top.test_flag(CGRP_CLONE_CHILDREN) {
            m.write_bytes(b",clone_children");
        }
        if !root.name().is_empty() {
            m.write_bytes(b",name=");
            m.write_escaped(root.name(), b",= \t\n\\");
        }
        Ok(())
    }

    /// The mount's root relative to the root of the reader's cgroup namespace in this
    /// hierarchy (`/` inside a namespace for a mount of its root); `ERANGE` if longer than
    /// `PATH_MAX`.
    fn show_path(m: &SeqFile, dir: &Node, top: &Cgroup) -> Result {
        let mut path = KVec::from_elem(0u8, bindings::PATH_MAX as usize, GFP_KERNEL)?;
        let ns = Namespace::current();
        let base = ns
            .root_set()
            .and_then(|set| set.group_in(top.root()))
            .and_then(|group| group.node());
        let text = match base {
            Some(base) => dir.path_from_into(base, &mut path),
            None => dir.path_into(&mut path),
        }
        .map_err(|e| if e == E2BIG { ERANGE } else { e })?;
        m.write_escaped(text, b" \t\n\\");
        Ok(())
    }
}
