// SPDX-License-Identifier: GPL-2.0

//! `notify_on_release` and the release agent.
//!
//! A group with `notify_on_release` set is *releasable* once it has no task and no child group.
//! It is checked when its last task leaves (exit or move) and, for the parent, when a child
//! group is removed; a releasable group queues its own work item, which runs the hierarchy's
//! release agent with the group's path. Queueing a work item that is already pending does
//! nothing, so one emptying runs the agent once.

use super::hierarchy::{core, Cgroup};
use crate::{
    alloc::{flags::GFP_KERNEL, KVec},
    bindings, c_str,
    ffi::c_char,
    sync::Arc,
    workqueue::{self, WorkItem},
};
use core::ptr;

/// Queues the release agent for `cgrp` if it is releasable. May be called in atomic context.
pub(super) fn check(cgrp: &Arc<Cgroup>) {
    if cgrp.is_releasable() {
        // Already queued: that run will do.
        let _ = workqueue::system().enqueue(cgrp.clone());
    }
}

impl WorkItem for Cgroup {
    type Pointer = Arc<Cgroup>;

    fn run(this: Arc<Cgroup>) {
        // Nothing to report if it cannot be done: the C implementation ignores errors too.
        let _ = run_agent(&this);
    }
}

/// Copies `bytes` into a new NUL-terminated buffer.
fn c_string(bytes: &[u8]) -> crate::error::Result<KVec<u8>> {
    let mut v = KVec::with_capacity(bytes.len() + 1, GFP_KERNEL)?;
    v.extend_from_slice(bytes, GFP_KERNEL)?;
    v.push(0, GFP_KERNEL)?;
    Ok(v)
}

fn run_agent(cgrp: &Cgroup) -> crate::error::Result {
    let (mut agent, mut path) = {
        let _state = core().state.lock();
        // A removed group's hierarchy may be gone: only live groups are looked at.
        if cgrp.is_dead() {
            return Ok(());
        }
        let agent = c_string(&cgrp.root().release_agent.lock())?;
        if agent.len() == 1 {
            return Ok(());
        }
        let mut buf = KVec::from_elem(0u8, bindings::PATH_MAX as usize, GFP_KERNEL)?;
        let path = c_string(cgrp.path(&mut buf)?)?;
        (agent, path)
    };
    let mut argv: [*mut c_char; 3] = [
        agent.as_mut_ptr().cast(),
        path.as_mut_ptr().cast(),
        ptr::null_mut(),
    ];
    let mut envp: [*mut c_char; 3] = [
        c_str!("HOME=/").as_char_ptr().cast_mut(),
        c_str!("PATH=/sbin:/bin:/usr/sbin:/usr/bin")
            .as_char_ptr()
            .cast_mut(),
        ptr::null_mut(),
    ];
    // SAFETY: `argv` and `envp` are NULL-terminated arrays of NUL-terminated strings that live
    // until the call returns; with `UMH_WAIT_EXEC` it returns once the program has been started,
    // after the helper has copied what it needs.
    let ret = unsafe {
        bindings::call_usermodehelper(
            argv[0],
            argv.as_mut_ptr(),
            envp.as_mut_ptr(),
            bindings::UMH_WAIT_EXEC as i32,
        )
    };
    crate::error::to_result(ret)
}
