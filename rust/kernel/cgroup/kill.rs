// SPDX-License-Identifier: GPL-2.0

//! `cgroup.kill`: kills every task of a group and of its descendants.
//!
//! Version 2's file, which version 1 never had, in the groups (other than the top one) of
//! hierarchies mounted with the `kill` option. Writing `1` sends SIGKILL to the process of
//! every task in the group and in each of its descendants, and returns without waiting for
//! them to exit; once they have, the groups can be removed. Kernel threads are left alone.
//!
//! # Forks
//!
//! No task escapes by forking. The walk holds the threadgroup rwsem for writing, which a fork
//! holds for reading from `cgroup_can_fork()` to `cgroup_post_fork()`: a child whose fork got
//! the rwsem before the walk is listed in its parent's groups before the walk starts, and is
//! killed with them; a fork that gets it after the walk has a parent with SIGKILL pending,
//! which `copy_process()` checks after `cgroup_can_fork()`, so it fails. No task moves during
//! the walk either (a move holds the rwsem for writing), and no group comes or goes (the core
//! mutex is held).
//!
//! # Frozen tasks
//!
//! A task with SIGKILL pending is never freezing for the cgroup freezer (see
//! `super::api::freezing`), and the walk lets each task it kills out of the refrigerator: a
//! frozen task wakes up and dies, a task on its way to freezing does not freeze. (SIGKILL sent
//! by `kill(2)` alone does not wake a frozen task: as in C, it dies when thawed.)

use super::cset::TaskCursor;
use super::group::Cgroup;
use super::state::{threadgroup_rwsem, State};
#[cfg(CONFIG_RUST_CGROUP_FREEZER)]
use crate::freezer;
use crate::{error::code::ENODEV, error::Result, stack_pin_init, sync::rcu};

/// Kills every task of `cgrp` and of its descendants (see the module documentation); `ENODEV`
/// if `cgrp` was removed.
///
/// Context: process, with the core mutex held (`_state`); may sleep (it takes the threadgroup
/// rwsem for writing).
pub(super) fn kill_subtree(_state: &State, cgrp: &Cgroup) -> Result {
    if cgrp.is_dead() {
        return Err(ENODEV);
    }
    let _tg = threadgroup_rwsem().write();
    let rcu = rcu::read_lock();
    for group in cgrp.descendants_pre(&rcu) {
        kill_tasks(group);
    }
    Ok(())
}

/// Kills every task of `group`, and lets it out of the refrigerator. The css_set lock is held
/// only to find each task: the signals are sent outside it.
// `stack_pin_init!`'s first binding is `mut`, which the lint flags only in the crate that
// defines the macro: this one.
#[expect(unused_mut)]
fn kill_tasks(group: &Cgroup) {
    stack_pin_init!(let cursor = TaskCursor::new(group));
    while let Some(task) = cursor.as_mut().next_task() {
        if task.is_kthread() {
            continue;
        }
        task.kill();
        // With SIGKILL pending, the task is not freezing any more, unless a freezing condition
        // other than its groups' applies (system suspend): then it stays. Without the freezer
        // controller, no group freezes tasks.
        #[cfg(CONFIG_RUST_CGROUP_FREEZER)]
        if !freezer::freezing(&task) {
            freezer::thaw_task(&task);
        }
    }
}
