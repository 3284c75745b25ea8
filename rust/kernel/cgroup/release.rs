// SPDX-License-Identifier: GPL-2.0

//! `notify_on_release` and the release agent.
//!
//! A group with `notify_on_release` set is *releasable* once it has no task and no child group.
//! It is checked when its last task leaves (exit or move) and, for the parent, when a child
//! group is removed ([`Cgroup::check_release`]); a releasable group queues its own work item,
//! which runs the hierarchy's release agent with the group's path. Queueing a work item that
//! is already pending does nothing, so one emptying runs the agent once.

use super::group::{Cgroup, CGRP_NOTIFY_ON_RELEASE};
use super::state::core;
use crate::{
    alloc::{flags::GFP_KERNEL, KVec},
    bindings, c_str,
    error::{code::ENODEV, Result},
    str::CStr,
    types::ARef,
    umh,
    workqueue::{self, WorkItem},
};

impl Cgroup {
    /// Whether the release agent should run for the group: `notify_on_release` is set, and it
    /// has no task and no child group, and is not removed.
    pub fn is_releasable(&self) -> bool {
        self.test_flag(CGRP_NOTIFY_ON_RELEASE)
            && !self.has_tasks()
            && self.nr_children() == 0
            && !self.is_dead()
    }

    /// Queues the release agent's run for the group if it is releasable. Any context.
    pub(super) fn check_release(&self) {
        if self.is_releasable() {
            // A run already queued will do.
            let _ = workqueue::system().enqueue(ARef::from(self));
        }
    }
}

impl WorkItem for Cgroup {
    type Pointer = ARef<Cgroup>;

    fn run(this: ARef<Cgroup>) {
        // Nothing to report if it cannot be done: the C implementation ignores errors too.
        let _ = run_agent(&this);
    }
}

/// Copies `bytes` into a new NUL-terminated buffer.
fn c_string(bytes: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(bytes.len() + 1, GFP_KERNEL)?;
    v.extend_from_slice(bytes, GFP_KERNEL)?;
    v.push(0, GFP_KERNEL)?;
    Ok(v)
}

fn run_agent(cgrp: &Cgroup) -> Result {
    let (agent, path) = {
        let _state = core().ok_or(ENODEV)?.state.lock();
        // A removed group's hierarchy may be gone: only live groups are looked at.
        if cgrp.is_dead() {
            return Ok(());
        }
        let agent = cgrp.root().with_release_agent(c_string)?;
        if agent.len() == 1 {
            return Ok(());
        }
        let mut buf = KVec::from_elem(0u8, bindings::PATH_MAX as usize, GFP_KERNEL)?;
        let path = c_string(cgrp.path_into(&mut buf)?)?;
        (agent, path)
    };
    let agent = CStr::from_bytes_with_nul(&agent)?;
    let path = CStr::from_bytes_with_nul(&path)?;
    // Started, not waited for: the agent may take as long as it likes.
    umh::call_usermodehelper(
        &[agent, path],
        &[
            c_str!("HOME=/"),
            c_str!("PATH=/sbin:/bin:/usr/sbin:/usr/bin"),
        ],
        umh::Wait::Exec,
    )
}
