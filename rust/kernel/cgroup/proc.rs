// SPDX-License-Identifier: GPL-2.0

//! What the core shows in `/proc`: `/proc/cgroups`, `/proc/<pid>/cgroup` and
//! `/proc/<pid>/cpuset`; and the task counts of taskstats' cgroupstats.

use super::group::Cgroup;
use super::state::core;
use super::subsys::{self, SubsysId};
use crate::{
    alloc::{flags::GFP_KERNEL, KVec},
    bindings,
    error::{
        code::{E2BIG, EINVAL, ENODEV, ENOENT},
        Result,
    },
    kernfs::Node,
    proc_fs::ProcShow,
    seq_file::SeqFile,
    sync::rcu,
    task::Task,
    types::ARef,
};
use core::ptr;

/// `/proc/cgroups`: one line per controller, in id order.
pub(super) struct ProcCgroups;

impl ProcShow for ProcCgroups {
    fn show(m: &SeqFile) -> Result {
        m.write_bytes(b"#subsys_name\thierarchy\tnum_cgroups\tenabled\n");
        let state = core().ok_or(ENODEV)?.state.lock();
        for id in SubsysId::ALL {
            if subsys::built_mask() & id.bit() == 0 {
                continue;
            }
            let Some(css) = subsys::root_css(id, &state) else {
                // Built in but disabled at boot (`cgroup_disable=`): as C shows it.
                m.write_bytes(id.name().as_bytes());
                m.write_bytes(b"\t0\t1\t0\n");
                continue;
            };
            let group = css.cgroup();
            let root = group.root();
            m.write_bytes(id.name().as_bytes());
            m.write_bytes(b"\t");
            m.write_decimal(root.id().unsigned_abs().into());
            m.write_bytes(b"\t");
            m.write_decimal(root.nr_cgroups().into());
            m.write_bytes(b"\t1\n");
        }
        Ok(())
    }
}

/// `/proc/<pid>/cgroup` of `task`: one line per live hierarchy, the most recently created
/// first, `<id>:<controllers>[,name=<name>]:<path>`, each path relative to the root of the
/// reader's cgroup namespace.
pub(super) fn show_task_cgroups(m: &SeqFile, task: &Task) -> Result {
    let mut path = KVec::from_elem(0u8, bindings::PATH_MAX as usize, GFP_KERNEL)?;
    let ns = super::namespace::Namespace::current();
    let state = core().ok_or(ENODEV)?.state.lock();
    let guard = rcu::read_lock();
    // Moves need the core mutex: the set cannot change meanwhile.
    let Some(set) = super::cset::task_cset(task, &guard) else {
        return Ok(());
    };
    // Plain writes rather than formatting: tools read this file often.
    for top in state.live_tops().rev() {
        let root = top.root();
        m.write_decimal(root.id().unsigned_abs().into());
        m.write_bytes(b":");
        let mut sep: &[u8] = b"";
        for ops in subsys::each_in(root.subsys_mask()) {
            m.write_bytes(sep);
            m.write_bytes(ops.name().as_bytes());
            sep = b",";
        }
        if !root.name().is_empty() {
            m.write_bytes(sep);
            m.write_bytes(b"name=");
            m.write_bytes(root.name());
        }
        m.write_bytes(b":");
        let group = set.group_in(root).unwrap_or(top);
        match ns.root_set().and_then(|r| r.group_in(root)) {
            Some(base) => m.write_bytes(group.path_from_into(base, &mut path)?),
            None => m.write_bytes(group.path_into(&mut path)?),
        }
        m.write_bytes(b"\n");
    }
    Ok(())
}

/// Writes the path of `task`'s group in the hierarchy controller `id` is bound to (`/` while
/// the controller is not mounted), relative to the root of the reader's cgroup namespace, then
/// a newline, into `m`: `/proc/<pid>/cpuset` for cpuset. `ENAMETOOLONG` if the path does not
/// fit in `PATH_MAX` bytes; `ENODEV` if the controller is not registered.
///
/// Context: process; takes the core mutex, so not from a controller's callback.
pub fn show_task_group_path(m: &SeqFile, task: &Task, id: SubsysId) -> Result {
    let mut path = KVec::from_elem(0u8, bindings::PATH_MAX as usize, GFP_KERNEL)?;
    let ns = super::namespace::Namespace::current();
    let _state = core().ok_or(ENODEV)?.state.lock();
    let guard = rcu::read_lock();
    // Moves and (un)binding need the core mutex: neither the set nor the state's group can
    // change meanwhile.
    let Some(css) = super::cset::task_cset(task, &guard).and_then(|s| s.css(id)) else {
        return Err(ENODEV);
    };
    let group = css.cgroup_rcu(&guard);
    let text = match ns.root_set().and_then(|r| r.group_in(group.root())) {
        Some(base) => group.path_from_into(base, &mut path),
        None => group.path_into(&mut path),
    };
    let text = text.map_err(|e| {
        if e == E2BIG {
            crate::error::Error::from_errno(-(bindings::ENAMETOOLONG as i32))
        } else {
            e
        }
    })?;
    m.write_bytes(text);
    m.write_bytes(b"\n");
    Ok(())
}

/// The tasks of a group by scheduler state, as taskstats' `CGROUPSTATS_CMD_GET` reports them
/// (`struct cgroupstats`).
#[derive(Default)]
pub(super) struct TaskStates {
    pub(super) running: u64,
    pub(super) sleeping: u64,
    pub(super) uninterruptible: u64,
    pub(super) stopped: u64,
    pub(super) io_wait: u64,
}

/// Counts the tasks of the group (not of its descendants) whose directory is `node`, by state
/// (C's `cgroupstats_build()`): `EINVAL` if `node` is a file, `ENOENT` if it is the directory
/// of no live group (removed meanwhile). A task in none of the states counted (a dead one) is
/// counted as waiting for I/O if it is, as in C.
///
/// Context: process; takes the core mutex, then the css_set lock.
pub(super) fn group_task_states(node: &Node) -> Result<TaskStates> {
    if !node.is_dir() {
        return Err(EINVAL);
    }
    let core = core().ok_or(ENODEV)?;
    let group: ARef<Cgroup> = {
        let state = core.state.lock();
        let guard = rcu::read_lock();
        let found = state
            .live_tops()
            .flat_map(|top| top.descendants_pre(&guard))
            .find(|g| g.node().is_some_and(|n| ptr::eq(n, node)));
        found.ok_or(ENOENT)?.into()
    };
    let mut s = TaskStates::default();
    let stopped = bindings::TASK_WAKEKILL | bindings::__TASK_STOPPED;
    super::cset::for_each_cset_of(&group, |set| {
        set.for_each_task(|t| match t.sched_state() {
            bindings::TASK_RUNNING => s.running += 1,
            bindings::TASK_INTERRUPTIBLE => s.sleeping += 1,
            bindings::TASK_UNINTERRUPTIBLE => s.uninterruptible += 1,
            st if st == stopped => s.stopped += 1,
            _ if t.in_iowait() => s.io_wait += 1,
            _ => {}
        })
    });
    Ok(s)
}
