// SPDX-License-Identifier: GPL-2.0

//! Control groups, version 1.
//!
//! C header: [`include/linux/cgroup.h`](srctree/include/linux/cgroup.h)
//!
//! Control groups ("process containers") sort tasks into hierarchies of groups, and let
//! controllers attach per-group state to them. This is the core that replaces the C
//! implementation of the version 1 interface when `CONFIG_RUST_CGROUPS` is enabled (and
//! `CONFIG_CGROUPS` is not). Users' documentation:
//! [`cgroup-v1/rust.rst`](srctree/Documentation/admin-guide/cgroup-v1/rust.rst).
//!
//! # Structure
//!
//! Each concern has its module. Function calls only go from a module to the ones listed before
//! it (callbacks through kernfs operations and into controllers' traits aside); the data types
//! are shared: those of `state`, [`group`], [`cset`] and [`css`] refer to each other, as a
//! group, its css_sets and its controllers' states do.
//!
//! - `id`: controller ids ([`SubsysId`]) and names.
//! - `state`: the core's global state: the core mutex and what it guards, the css_set lock and
//!   the threadgroup rwsem.
//! - [`group`]: groups ([`Cgroup`]) and the data their hierarchy shares ([`Root`]); the
//!   children of a group and walks of a subtree.
//! - `release`: `notify_on_release` and the release agent.
//! - [`cset`]: css_sets, the sets of groups tasks are in, linked to the groups that name them;
//!   each set's tasks and walks of a group's tasks ([`cset::TaskCursor`]).
//! - [`css`]: the state of a controller in a group ([`Css`]).
//! - [`cftype`]: control files: controllers' ([`Cftype`]) and the core's tables, their
//!   creation, and the parsing of writes.
//! - [`subsys`]: the [`Subsystem`] trait that controllers implement, the context each callback
//!   runs in (the tasks of a move: [`TaskSet`]), and the registry.
//! - [`api`]: the C interfaces of particular controllers (the freezer's), as traits that they
//!   implement and register besides [`Subsystem`]. cpuset's, larger, is its own module of the
//!   kernel crate ([`crate::cpuset`]), built on the public API of this one.
//! - [`hierarchy`]: creating, pinning and destroying hierarchies, binding controllers, making
//!   and removing groups.
//! - [`migrate`]: moving tasks between groups, all or nothing.
//! - `kill`: `cgroup.kill`, killing every task of a subtree, with no escape by fork.
//! - `rebind`: a remount that binds controllers to a hierarchy with child groups, or takes
//!   them off it, all or nothing; a group's switch to its parent's state of a controller
//!   (`<controller>.inherit`) and back.
//! - `namespace`: cgroup namespaces (`CLONE_NEWCGROUP`): the paths a task sees start at its
//!   namespace's root.
//! - `files`, `dir`, `fs`, `proc`: what users see: the core control files, `mkdir`/`rmdir`/
//!   `rename`, the `cgroup` filesystem type and its mount options, and `/proc`.
//! - `hooks`: every function C calls, in one place.
//!
//! The filesystem is built on kernfs ([`crate::kernfs`]), as the C implementation's is: kernfs
//! gives directories whose lifetime the core decides, files whose operations are drained when a
//! directory is removed, one superblock shared by every mount of a hierarchy, ownership and
//! permission handling, extended attributes and file handles.
//!
//! # Locking
//!
//! In the order they are taken:
//!
//! 1. **kernfs active references**: kernfs holds one on a node for every operation on it, and
//!    removing a directory waits for them. An operation that takes the core mutex first gives
//!    its protection up ([`crate::kernfs::ActiveDir::with_broken_protection`]) and, once it
//!    holds the mutex, checks that its group is still alive (`ENODEV` if not). Controllers'
//!    file callbacks keep their protection, so they must not take the core mutex.
//! 2. **The core mutex** (`state`, C's `cgroup_mutex`) guards the list of hierarchies,
//!    hierarchy ids and pins, binding, the shape of every tree (which groups are alive, each
//!    group's children), the creation of css_sets, and every move of a task. It is never held
//!    across `kernfs_get_tree()` or `kernfs_kill_sb()`, which wait for superblock locks held
//!    around taking it: a mount pins its hierarchy under the mutex and mounts without it.
//! 3. **The CPU-hotplug lock** (C's `cpus_read_lock()`), taken for reading by moves and
//!    (un)binding just before the threadgroup rwsem (`state::attach_lock`), so that cpuset
//!    can change CPU affinities while CPUs stay put.
//! 4. **The threadgroup rwsem** (`state`, C's `cgroup_threadgroup_rwsem`): fork (from
//!    `cgroup_can_fork()` to `cgroup_post_fork()`), exec, exit and the `exit` callbacks hold it
//!    for reading; moves and (un)binding for writing.
//! 5. **Controllers' own locks** (cpuset's mutex, then its spinlocks), inside the above.
//! 6. **The css_set lock** ([`cset`]), an IRQ-safe spinlock, last: held only for short, bounded
//!    steps.
//!
//! Leaf locks, taken last and never while taking another: each hierarchy's release agent
//! path. Group flags (`notify_on_release`, `cgroup.clone_children`) are atomics.
//!
//! # Lifetimes
//!
//! - Groups ([`Cgroup`]) and css_sets are reference counted and freed after an RCU grace period,
//!   in process context. A group's directory owns one reference until `rmdir`; each child one on
//!   its parent; each css_set one on each of its groups. So a removed group can outlive its
//!   directory and even its hierarchy's mount, in the css_set of a task that exited.
//! - Every group holds a reference on its hierarchy's shared data ([`Root`]), so
//!   `cgrp.root()` is valid for as long as the group is.
//! - A state's group is returned counted (`css.cgroup()`) or under RCU (`css.cgroup_rcu()`):
//!   a root state moves to another hierarchy's top group when its controller is rebound, and
//!   the old top group may then be freed (see [`css`]).
//! - A hierarchy is destroyed only when its last superblock goes away while it has no child
//!   group; its top group then lives on while references to it remain.
//! - Controllers' states: see [`css`].

pub mod api;
pub mod cftype;
pub mod cset;
pub mod css;
pub mod group;
pub mod hierarchy;
pub mod migrate;
pub mod subsys;

mod dir;
mod files;
mod fs;
mod hooks;
mod id;
mod kill;
mod namespace;
mod proc;
mod rebind;
mod release;
mod state;

pub use cftype::{Cftype, CFTYPE_NOT_ON_ROOT, CFTYPE_ONLY_ON_ROOT};
pub use css::{Css, RawCss};
pub use group::{Cgroup, Root};
pub use id::BootList;
pub use namespace::current_in_initial_ns;
pub use proc::show_task_group_path;
pub use state::{spawn_unlocked, Unlocked};
pub use subsys::{SubsysId, Subsystem, TaskSet};

use crate::error::{code::EINVAL, Result};

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
