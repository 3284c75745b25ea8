// SPDX-License-Identifier: GPL-2.0

//! The core control files of every group: `tasks`, `cgroup.procs`, `notify_on_release`,
//! `cgroup.clone_children`, and on the top group `release_agent` and `cgroup.sane_behavior`.

use super::cset;
use super::hierarchy::{core, Cgroup, CGRP_CLONE_CHILDREN, CGRP_NOTIFY_ON_RELEASE};
use crate::ffi::c_void;
use crate::{
    alloc::{flags::GFP_KERNEL, KVec},
    bindings, c_str,
    error::{
        code::{E2BIG, EINVAL, ENODEV, EPERM},
        Result,
    },
    kernfs::{self, Attrs, FileOps, FileOpsTable, Node, OpenFile},
    seq_file::SeqFile,
    seq_print,
    str::CStr,
};

/// Which core file a kernfs file node is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Procs,
    CloneChildren,
    SaneBehavior,
    Tasks,
    NotifyOnRelease,
    ReleaseAgent,
}

/// A core control file: what the private pointer of its kernfs node points to.
struct CoreFile {
    name: &'static CStr,
    mode: u16,
    top_only: bool,
    kind: Kind,
}

impl CoreFile {
    const fn new(name: &'static CStr, mode: u16, top_only: bool, kind: Kind) -> Self {
        CoreFile {
            name,
            mode,
            top_only,
            kind,
        }
    }
}

/// The core files, in the order the C implementation creates them.
static CORE_FILES: [CoreFile; 6] = [
    CoreFile::new(c_str!("cgroup.procs"), 0o644, false, Kind::Procs),
    CoreFile::new(
        c_str!("cgroup.clone_children"),
        0o644,
        false,
        Kind::CloneChildren,
    ),
    CoreFile::new(
        c_str!("cgroup.sane_behavior"),
        0o444,
        true,
        Kind::SaneBehavior,
    ),
    CoreFile::new(c_str!("tasks"), 0o644, false, Kind::Tasks),
    CoreFile::new(
        c_str!("notify_on_release"),
        0o644,
        false,
        Kind::NotifyOnRelease,
    ),
    CoreFile::new(c_str!("release_agent"), 0o644, true, Kind::ReleaseAgent),
];

/// The longest write to a control file; longer ones fail with `E2BIG`.
const MAX_WRITE: usize = crate::page::PAGE_SIZE;

/// The longest release agent path (`PATH_MAX - 1`).
const MAX_AGENT_LEN: usize = bindings::PATH_MAX as usize - 1;

static CORE_FILE_OPS: FileOpsTable = kernfs::file_ops::<CoreFileOps>(MAX_WRITE);

/// Creates the core files of `cgrp` in its directory `dir`, owned by the current task.
pub(super) fn populate(cgrp: &Cgroup, dir: &Node) -> Result {
    for file in CORE_FILES.iter() {
        if file.top_only && !cgrp.is_top() {
            continue;
        }
        let private = core::ptr::from_ref(file).cast_mut().cast::<c_void>();
        // SAFETY: `dir` is live (being populated by its creator); `private` points to a static.
        unsafe {
            kernfs::create_file(
                dir,
                file.name,
                Attrs::current_owner(file.mode),
                &CORE_FILE_OPS,
                private,
            )
        }?;
    }
    Ok(())
}

/// The core file and the group of an open control file.
fn file_of(of: &OpenFile) -> (&'static CoreFile, &Cgroup) {
    let node = of.node();
    // SAFETY: Every node served by `CORE_FILE_OPS` was created by `populate`, with a pointer to a
    // static `CoreFile` as private data, in a group's directory. kernfs holds the file's active
    // reference during the operation, so the directory has not been removed and its reference
    // keeps the group alive for the operation.
    unsafe {
        let file = &*node.private().cast::<CoreFile>();
        let dir = Node::from_raw(node.parent_ptr());
        (file, &*dir.private().cast::<Cgroup>())
    }
}

/// Parses a flag or number as the C implementation does: `kstrtoull()` in base 0, with one
/// trailing newline allowed.
pub(super) fn parse_u64(buf: &mut [u8]) -> Result<u64> {
    let mut value = 0u64;
    // `kstrtoull` needs a NUL-terminated string: kernfs terminates its buffer after
    // `buf.len()` bytes.
    // SAFETY: `buf` is followed by a NUL written by kernfs; `value` is a valid destination.
    let ret = unsafe { bindings::kstrtoull(buf.as_ptr().cast(), 0, &mut value) };
    if ret < 0 {
        return Err(EINVAL);
    }
    Ok(value)
}

/// Parses a signed number as the C implementation does: `kstrtoll()` in base 0, with one
/// trailing newline allowed.
pub(super) fn parse_s64(buf: &mut [u8]) -> Result<i64> {
    let mut value = 0i64;
    // SAFETY: As in `parse_u64`.
    let ret = unsafe { bindings::kstrtoll(buf.as_ptr().cast(), 0, &mut value) };
    if ret < 0 {
        return Err(EINVAL);
    }
    Ok(value)
}

/// Parses a task id written to `tasks` or `cgroup.procs`: `kstrtoint()` in base 0 of the
/// stripped text; negative ids are `EINVAL`.
fn parse_pid(buf: &[u8]) -> Result<i32> {
    let text = strip(buf);
    let mut tmp = KVec::with_capacity(text.len() + 1, GFP_KERNEL)?;
    tmp.extend_from_slice(text, GFP_KERNEL)?;
    tmp.push(0, GFP_KERNEL)?;
    let mut pid: crate::ffi::c_int = 0;
    // SAFETY: `tmp` is NUL-terminated; `pid` is a valid destination.
    let ret = unsafe { bindings::kstrtoint(tmp.as_ptr().cast(), 0, &mut pid) };
    if ret < 0 || pid < 0 {
        return Err(EINVAL);
    }
    Ok(pid)
}

/// `buf` without leading and trailing white space, as the C `strstrip()`.
fn strip(buf: &[u8]) -> &[u8] {
    let space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = buf.iter().position(|c| !space(c)).unwrap_or(buf.len());
    let end = buf.iter().rposition(|c| !space(c)).map_or(start, |i| i + 1);
    &buf[start..end]
}

struct CoreFileOps;

#[macros::vtable]
impl FileOps for CoreFileOps {
    fn show(of: &OpenFile, m: &SeqFile) -> Result {
        let (file, cgrp) = file_of(of);
        match file.kind {
            Kind::NotifyOnRelease => {
                seq_print!(m, "{}\n", u8::from(cgrp.test_flag(CGRP_NOTIFY_ON_RELEASE)))
            }
            Kind::CloneChildren => {
                seq_print!(m, "{}\n", u8::from(cgrp.test_flag(CGRP_CLONE_CHILDREN)))
            }
            Kind::SaneBehavior => seq_print!(m, "0\n"),
            Kind::ReleaseAgent => {
                let agent = cgrp.root().release_agent.lock();
                m.write_bytes(&agent);
                seq_print!(m, "\n");
            }
            Kind::Tasks | Kind::Procs => {
                // SAFETY: As in `file_of`: the directory of a file being operated on is live.
                let cgrp = unsafe { Cgroup::from_dir(Node::from_raw(of.node().parent_ptr())) };
                cset::show_ids(&cgrp, file.kind == Kind::Procs, m)?;
            }
        }
        Ok(())
    }

    fn write(of: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        let len = buf.len();
        if len == 0 {
            return Ok(0);
        }
        let (file, cgrp) = file_of(of);
        match file.kind {
            Kind::NotifyOnRelease => cgrp.assign_flag(CGRP_NOTIFY_ON_RELEASE, parse_u64(buf)? != 0),
            Kind::CloneChildren => cgrp.assign_flag(CGRP_CLONE_CHILDREN, parse_u64(buf)? != 0),
            Kind::ReleaseAgent => {
                if len > MAX_AGENT_LEN {
                    return Err(E2BIG);
                }
                // Setting the agent is reserved to the initial user namespace's administrator,
                // who opened the file (CVE-2022-0492).
                // SAFETY: The open file is valid during the operation; `init_user_ns` is static.
                let allowed = unsafe {
                    bindings::file_ns_capable(
                        of.file(),
                        core::ptr::addr_of_mut!(bindings::init_user_ns),
                        bindings::CAP_SYS_ADMIN as i32,
                    )
                };
                if !allowed {
                    return Err(EPERM);
                }
                let path = strip(buf);
                let mut value = KVec::with_capacity(path.len(), GFP_KERNEL)?;
                value.extend_from_slice(path, GFP_KERNEL)?;
                *cgrp.root().release_agent.lock() = value;
            }
            Kind::SaneBehavior => return Err(EINVAL),
            Kind::Tasks | Kind::Procs => {
                let pid = parse_pid(buf)?;
                // SAFETY: The open file is valid and its credentials live as long as it.
                let opener_euid = unsafe { (*(*of.file()).f_cred).euid };
                // SAFETY: As in `file_of`: the directory of a file being operated on is live.
                let target = unsafe { Cgroup::from_dir(Node::from_raw(of.node().parent_ptr())) };
                // Moving takes the core mutex, held around `kernfs_remove()` by rmdir.
                // SAFETY: We are in an operation on this file; the guard is dropped before
                // returning.
                let _unprotected = unsafe { of.node().break_active_protection() };
                let _state = core().state.lock();
                if target.is_dead() {
                    return Err(ENODEV);
                }
                cset::attach(&target, pid, file.kind == Kind::Procs, opener_euid)?;
            }
        }
        Ok(len)
    }
}
