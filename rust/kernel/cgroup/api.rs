// SPDX-License-Identifier: GPL-2.0

//! The C interfaces of particular controllers: what the rest of the kernel asks a controller,
//! often with only a task in hand (C's `include/linux/freezer.h`, `include/linux/cpuset.h`).
//!
//! Each interface is a trait that a controller implements besides [`Subsystem`], registered
//! with it (`cgroup_subsys!(Type, register_fn, api_register_fn...)`); the C entry points in
//! `hooks` call through the registered implementation, or answer as the C kernel does without
//! the controller when it is not built in or not registered. Each method documents the context
//! it runs in.

use super::cset;
use super::css::{Css, RawCss};
use super::subsys::{SubsysId, Subsystem};
use crate::{
    error::Result,
    sync::{rcu, OnceBox},
    task::Task,
};

/// The state of controller `id` of `task`, valid until `rcu` ends.
fn task_css<'a>(task: &Task, id: SubsysId, rcu: &'a rcu::Guard) -> Option<&'a RawCss> {
    cset::task_cset(task, rcu)?.css(id)
}

// --- The freezer (`include/linux/freezer.h`). ---

/// What the kernel's freezer asks the freezer controller.
pub trait FreezerApi: Subsystem {
    /// Whether `task`, in the group of `css`, must freeze (C's `cgroup_freezing()`).
    ///
    /// Context: any (the freezer asks from `freezing_slow_path()`, in the task itself or in
    /// whoever freezes it), under RCU; must not sleep.
    fn freezing(css: &Css<Self>, task: &Task) -> bool;
}

struct FreezerTable {
    freezing: fn(&RawCss, &Task) -> bool,
}

static FREEZER: OnceBox<FreezerTable> = OnceBox::new();

fn freezing_thunk<S: FreezerApi>(css: &RawCss, task: &Task) -> bool {
    Css::<S>::from_raw(css).is_some_and(|c| S::freezing(c, task))
}

/// Registers `S` as the controller the kernel's freezer asks; with its registration.
pub fn freezer_api<S: FreezerApi>() -> Result {
    FREEZER.set(FreezerTable {
        freezing: freezing_thunk::<S>,
    })?;
    Ok(())
}

/// Whether `task` must freeze because of its freezer group (`false` without the controller).
///
/// A task with SIGKILL pending never must: `cgroup.kill` lets the tasks it kills out of the
/// refrigerator to die (see `super::kill`), and a task killed on its way to freezing dies
/// instead. (C's version 1 freezes it, to die when thawed.)
#[cfg_attr(not(CONFIG_RUST_CGROUP_FREEZER), expect(dead_code))]
pub(super) fn freezing(task: &Task) -> bool {
    if task.fatal_signal_pending() {
        return false;
    }
    let Some(table) = FREEZER.get() else {
        return false;
    };
    let guard = rcu::read_lock();
    task_css(task, SubsysId::Freezer, &guard).is_some_and(|css| (table.freezing)(css, task))
}
