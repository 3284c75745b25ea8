// SPDX-License-Identifier: GPL-2.0

//! The core control files of every group: `tasks`, `cgroup.procs`, `notify_on_release`,
//! `cgroup.clone_children`, on the top group `release_agent` and `cgroup.sane_behavior`, and
//! on the others `cgroup.kill` in hierarchies mounted with `kill` and `<controller>.inherit`
//! in those mounted with `inherit`.

use super::cftype::{kstrtoint, kstrtoull, strstrip, CoreFile, Kind};
use super::dir::Dirs;
use super::group::{Cgroup, CGRP_CLONE_CHILDREN, CGRP_NOTIFY_ON_RELEASE};
use super::migrate;
use super::state::core;
use crate::{
    alloc::{
        flags::{GFP_ATOMIC, GFP_KERNEL},
        KBox, KVec,
    },
    bindings,
    cred::CAP_SYS_ADMIN,
    error::{code::*, Result},
    kernfs::{ActiveFile, FileOps},
    prelude::*,
    seq_file::SeqFile,
    task::Kuid,
    types::ARef,
};

/// The longest release agent path (`PATH_MAX - 1`).
const MAX_AGENT_LEN: usize = bindings::PATH_MAX as usize - 1;

/// Writes the sorted, unique ids of the tasks in `cgrp` (thread ids, or with `tgids` thread
/// group ids) as seen from the current task's pid namespace, one per line.
///
/// The ids are collected in batches under the css_set lock, into a vector that grows between
/// batches.
///
/// The listing is one seq_file record; a record that overflows is shown again with a buffer
/// twice as large. Every thread of `tasks` takes at least two bytes (a digit and a newline), so
/// a buffer with less room is known to overflow before any id is collected: only the last pass
/// collects and sorts. (`cgroup.procs` lists one line per thread group: no such bound.)
fn show_ids(cgrp: &Cgroup, tgids: bool, m: &SeqFile) -> Result {
    if !tgids && !m.has_room(cgrp.nr_tasks() as usize * 2) {
        return Ok(());
    }
    let mut ids: KVec<i32> = KVec::with_capacity(cgrp.nr_tasks() as usize + 16, GFP_KERNEL)?;
    let mut cursor = KBox::pin_init(super::cset::TaskCursor::new(cgrp), GFP_KERNEL)?;
    loop {
        let room = ids.capacity() - ids.len();
        if room == 0 {
            ids.reserve(ids.capacity().max(64), GFP_KERNEL)?;
            continue;
        }
        let more = cursor
            .as_mut()
            .next_batch(room.min(super::cset::TASK_BATCH), |t| {
                let id = if tgids { t.tgid_vnr() } else { t.pid_vnr() };
                // Within capacity (at most `room` tasks are seen): does not allocate.
                id <= 0 || ids.push(id, GFP_ATOMIC).is_ok()
            });
        if !more {
            break;
        }
    }
    ids.as_mut_slice().sort_unstable();
    let mut last = 0;
    // Plain writes rather than formatting: a group may list many thousands of ids.
    for &id in ids.iter() {
        if id != last {
            m.write_decimal(id.unsigned_abs().into());
            m.write_bytes(b"\n");
            last = id;
        }
    }
    Ok(())
}

/// The kernfs operations of the core files.
pub(super) struct CoreFiles;

#[macros::vtable]
impl FileOps for CoreFiles {
    type Dir = Dirs;
    type Data = CoreFile;

    fn show(file: ActiveFile<'_, Self>, m: &SeqFile) -> Result {
        let cgrp = file.dir_data();
        match file.data().kind {
            Kind::NotifyOnRelease => {
                m.write_bytes(flag_text(cgrp.test_flag(CGRP_NOTIFY_ON_RELEASE)));
            }
            Kind::CloneChildren => m.write_bytes(flag_text(cgrp.test_flag(CGRP_CLONE_CHILDREN))),
            Kind::SaneBehavior => m.write_bytes(b"0\n"),
            Kind::ReleaseAgent => {
                cgrp.root().with_release_agent(|agent| m.write_bytes(agent));
                m.write_bytes(b"\n");
            }
            Kind::Tasks => show_ids(cgrp, false, m)?,
            Kind::Procs => show_ids(cgrp, true, m)?,
            // Write-only, as in version 2; `EINVAL` for one who may open it for reading anyway.
            Kind::Kill => return Err(EINVAL),
            Kind::Inherit(id) => m.write_bytes(flag_text(cgrp.inherits(id))),
        }
        Ok(())
    }

    fn write(file: ActiveFile<'_, Self>, buf: &[u8]) -> Result<usize> {
        let len = buf.len();
        if len == 0 {
            return Ok(0);
        }
        let cgrp = file.dir_data();
        match file.data().kind {
            Kind::NotifyOnRelease => cgrp.assign_flag(CGRP_NOTIFY_ON_RELEASE, kstrtoull(buf)? != 0),
            Kind::CloneChildren => cgrp.assign_flag(CGRP_CLONE_CHILDREN, kstrtoull(buf)? != 0),
            Kind::ReleaseAgent => {
                if len > MAX_AGENT_LEN {
                    return Err(E2BIG);
                }
                // Setting the agent is reserved to the initial user namespace's administrator,
                // who opened the file (CVE-2022-0492).
                if !file.opener_capable_in_init_ns(CAP_SYS_ADMIN) {
                    return Err(EPERM);
                }
                let path = strstrip(buf);
                let mut value = KVec::with_capacity(path.len(), GFP_KERNEL)?;
                value.extend_from_slice(path, GFP_KERNEL)?;
                cgrp.root().set_release_agent(value);
            }
            Kind::SaneBehavior => return Err(EINVAL),
            Kind::Kill => {
                // As in version 2: `1` and no other number (`ERANGE`).
                if kstrtoint(strstrip(buf))? != 1 {
                    return Err(ERANGE);
                }
                let target: ARef<Cgroup> = cgrp.into();
                // Like a move, the kill takes the core mutex.
                file.with_broken_protection(|| {
                    let core = core().ok_or(ENODEV)?;
                    let state = core.state.lock();
                    super::kill::kill_subtree(&state, &target)
                })?;
            }
            Kind::Inherit(id) => {
                let share = match kstrtoull(buf)? {
                    0 => false,
                    1 => true,
                    _ => return Err(EINVAL),
                };
                let target: ARef<Cgroup> = cgrp.into();
                // Like a move, it takes the core mutex.
                file.with_broken_protection(|| {
                    let core = core().ok_or(ENODEV)?;
                    let state = core.state.lock();
                    state.set_inherit(core, &target, id, share)
                })?;
            }
            kind @ (Kind::Tasks | Kind::Procs) => {
                let pid = match kstrtoint(strstrip(buf)) {
                    Ok(pid) if pid >= 0 => pid,
                    _ => return Err(EINVAL),
                };
                let opener_euid = Kuid::from_raw(file.opener_euid());
                let target: ARef<Cgroup> = cgrp.into();
                // Moving takes the core mutex, held around the removal of directories.
                file.with_broken_protection(|| {
                    let core = core().ok_or(ENODEV)?;
                    let mut state = core.state.lock();
                    migrate::attach(
                        core,
                        &mut state,
                        &target,
                        pid,
                        kind == Kind::Procs,
                        opener_euid,
                    )
                })?;
            }
        }
        Ok(len)
    }
}

fn flag_text(on: bool) -> &'static [u8] {
    if on {
        b"1\n"
    } else {
        b"0\n"
    }
}
