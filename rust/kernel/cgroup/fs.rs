// SPDX-License-Identifier: GPL-2.0

//! The `cgroup` filesystem type: mount options, sharing hierarchies between mounts, remount,
//! and destroying hierarchies at the last umount.

use super::dir::Dirs;
use super::group::{
    Cgroup, ROOT_CPUSET_V2_MODE, ROOT_FAVOR_DYNMODS, ROOT_INHERIT, ROOT_KILL, ROOT_NOPREFIX,
    ROOT_XATTR,
};
use super::hierarchy::{DeadRoot, MountPin, NewRoot};
use super::namespace::{CgroupNs, Namespace};
use super::state::core;
use super::subsys::{self, SubsysId};
use crate::{
    alloc::{flags::GFP_KERNEL, KVec},
    bindings, c_str,
    cred::{capable, UserNamespace, CAP_SYS_ADMIN},
    error::{code::*, Result},
    kernfs::{self, FsType, FsTypeTable, Mounter, Param, ParamValue},
    str::CStr,
    types::ARef,
};

/// The options of one mount, parsed from `mount -o`.
#[derive(Default)]
pub(super) struct MountOpts {
    name: Option<KVec<u8>>,
    release_agent: Option<KVec<u8>>,
    flags: u32,
    subsys_mask: u32,
    all: bool,
    none: bool,
    clone_children: bool,
    /// The cgroup namespace of the task that started the mount (`None`: the initial one).
    ns: Option<CgroupNs>,
}

pub(super) struct CgroupFs;

static CGROUP_FS: FsTypeTable<CgroupFs> = kernfs::fs_type::<CgroupFs>();

/// The `cgroup` filesystem type (not the legacy `cpuset` one).
pub(super) fn cgroup_fs_type() -> &'static FsTypeTable<CgroupFs> {
    &CGROUP_FS
}

/// Registers the `cgroup` filesystem type, and the legacy `cpuset` one with the cpuset
/// controller.
pub(super) fn register() -> Result {
    kernfs::register_fs_type(&CGROUP_FS)?;
    #[cfg(CONFIG_RUST_CGROUP_CPUSET)]
    kernfs::register_fs_type(&CPUSET_FS)?;
    Ok(())
}

/// The legacy `cpuset` filesystem type: `mount -t cpuset` mounts a `cgroup` hierarchy with
/// cpuset alone, `noprefix`, and `/sbin/cpuset_release_agent` as the release agent; the only
/// option it takes is `cpuset_v2_mode`.
#[cfg(CONFIG_RUST_CGROUP_CPUSET)]
struct CpusetFs;

#[cfg(CONFIG_RUST_CGROUP_CPUSET)]
static CPUSET_FS: FsTypeTable<CgroupFs> = kernfs::fs_alias::<CpusetFs>();

#[cfg(CONFIG_RUST_CGROUP_CPUSET)]
impl kernfs::FsAlias for CpusetFs {
    type Of = CgroupFs;

    const NAME: &'static CStr = c_str!("cpuset");

    fn aliased() -> &'static FsTypeTable<CgroupFs> {
        &CGROUP_FS
    }

    fn init_context() -> Result<MountOpts> {
        Ok(MountOpts {
            subsys_mask: SubsysId::Cpuset.bit(),
            flags: ROOT_NOPREFIX,
            // Not a parsed option: no capability is needed, as in C.
            release_agent: Some(owned(b"/sbin/cpuset_release_agent")?),
            ns: Some(Namespace::current()),
            ..MountOpts::default()
        })
    }

    fn parse_param(opts: &mut MountOpts, param: &Param<'_>) -> Result<bool> {
        match (param.key, &param.value) {
            (b"cpuset_v2_mode", ParamValue::Flag) => {
                opts.flags |= ROOT_CPUSET_V2_MODE;
                Ok(true)
            }
            (b"cpuset_v2_mode", _) => Err(EINVAL),
            _ => Ok(false),
        }
    }
}

fn owned(s: &[u8]) -> Result<KVec<u8>> {
    if s.is_empty() {
        return Err(EINVAL);
    }
    let mut v = KVec::with_capacity(s.len(), GFP_KERNEL)?;
    v.extend_from_slice(s, GFP_KERNEL)?;
    Ok(v)
}

impl MountOpts {
    /// Applies one mount option; `Ok(false)` if it is not a cgroup option.
    fn parse(&mut self, param: &Param<'_>) -> Result<bool> {
        let flag = || match param.value {
            ParamValue::Flag => Ok(()),
            _ => Err(EINVAL),
        };
        let string = || match param.value {
            ParamValue::String(s) => owned(s),
            _ => Err(EINVAL),
        };
        match param.key {
            b"all" => flag().map(|()| self.all = true)?,
            b"none" => flag().map(|()| self.none = true)?,
            b"noprefix" => flag().map(|()| self.flags |= ROOT_NOPREFIX)?,
            b"xattr" => flag().map(|()| self.flags |= ROOT_XATTR)?,
            b"cpuset_v2_mode" => flag().map(|()| self.flags |= ROOT_CPUSET_V2_MODE)?,
            b"favordynmods" => flag().map(|()| self.flags |= ROOT_FAVOR_DYNMODS)?,
            b"nofavordynmods" => flag().map(|()| self.flags &= !ROOT_FAVOR_DYNMODS)?,
            b"kill" => flag().map(|()| self.flags |= ROOT_KILL)?,
            b"inherit" => flag().map(|()| self.flags |= ROOT_INHERIT)?,
            b"clone_children" => flag().map(|()| self.clone_children = true)?,
            b"name" => {
                // Named hierarchies are forbidden by `cgroup_no_v1=named`.
                if subsys::no_v1_named() {
                    return Err(ENOENT);
                }
                let name = string()?;
                super::check_root_name(&name)?;
                if self.name.is_some() {
                    return Err(EINVAL);
                }
                self.name = Some(name);
            }
            b"release_agent" => {
                if self.release_agent.is_some() {
                    return Err(EINVAL);
                }
                // Only the initial user namespace's administrator may set it (CVE-2022-0492).
                if !param.in_init_user_ns || !capable(CAP_SYS_ADMIN) {
                    return Err(EINVAL);
                }
                self.release_agent = Some(string()?);
            }
            // A registered controller's name; as in C, a value after it is ignored, and a
            // controller built in but disabled (`cgroup_disable=`) or kept off version 1
            // (`cgroup_no_v1=`) is refused.
            key => match SubsysId::by_name(key) {
                Some(id) if subsys::v1_mask() & id.bit() != 0 => {
                    self.subsys_mask |= id.bit();
                }
                Some(id) if subsys::built_mask() & id.bit() != 0 => return Err(EINVAL),
                _ => return Ok(false),
            },
        }
        Ok(true)
    }

    /// The consistency rules of the options as a whole.
    fn check(&mut self) -> Result {
        let enabled = subsys::v1_mask();
        self.subsys_mask &= enabled;
        if self.subsys_mask == 0 && !self.none && self.name.is_none() {
            self.all = true;
        }
        if self.all {
            if self.subsys_mask != 0 {
                return Err(EINVAL);
            }
            self.subsys_mask = enabled;
        }
        // `noprefix` is only for cpuset, for the legacy cpuset filesystem.
        if self.flags & ROOT_NOPREFIX != 0 && self.subsys_mask & !SubsysId::Cpuset.bit() != 0 {
            return Err(EINVAL);
        }
        if self.subsys_mask == 0 && self.name.is_none() {
            return Err(EINVAL);
        }
        if self.subsys_mask != 0 && self.none {
            return Err(EINVAL);
        }
        Ok(())
    }
}

/// Finds the hierarchy a mount asks for, or creates it; returns it pinned.
fn root_to_use(opts: &mut MountOpts) -> Result<MountPin> {
    opts.check()?;
    let core = core().ok_or(ENODEV)?;
    let mut state = core.state.lock();
    let found = match &opts.name {
        Some(name) => state.find_root(Some(name), 0).cloned(),
        None => state.find_root(None, opts.subsys_mask).cloned(),
    };
    if let Some(top) = found {
        let root = top.root();
        // Controllers (or an explicit "none") given must match the hierarchy's.
        if (opts.subsys_mask != 0 || opts.none) && opts.subsys_mask != root.subsys_mask() {
            return Err(EBUSY);
        }
        if root.flags() != opts.flags {
            crate::pr_warn!(
                "new mount options do not match the existing superblock, will be ignored\n"
            );
        }
        return MountPin::new(&mut state, &top, false);
    }
    if opts.subsys_mask == 0 && !opts.none {
        return Err(EINVAL);
    }
    // Hierarchies are made in the initial cgroup namespace only.
    if opts.ns.as_ref().is_some_and(|ns| !ns.is_init()) {
        return Err(EPERM);
    }
    if opts.subsys_mask & state.dummy().root().subsys_mask() != opts.subsys_mask {
        return Err(EBUSY);
    }
    let top = state.create_root(
        core,
        NewRoot {
            subsys_mask: opts.subsys_mask,
            name: opts.name.take().unwrap_or_default(),
            flags: opts.flags,
            release_agent: opts.release_agent.take().unwrap_or_default(),
            clone_children: opts.clone_children,
        },
    )?;
    MountPin::new(&mut state, &top, true)
}

impl FsType for CgroupFs {
    type Dirs = Dirs;
    type Context = MountOpts;
    type KillToken = Option<DeadRoot>;

    const NAME: &'static CStr = c_str!("cgroup");
    const MAGIC: crate::ffi::c_ulong = bindings::CGROUP_SUPER_MAGIC as crate::ffi::c_ulong;
    // Root of a user namespace may mount an existing hierarchy from a cgroup namespace it
    // owns.
    const USERNS_MOUNT: bool = true;

    fn init_context() -> Result<MountOpts> {
        Ok(MountOpts {
            ns: Some(Namespace::current()),
            ..MountOpts::default()
        })
    }

    /// The owner of the mounting task's cgroup namespace: mounts need `CAP_SYS_ADMIN` there,
    /// and `release_agent=` needs it to be the initial user namespace.
    fn user_ns(opts: &MountOpts) -> Option<ARef<UserNamespace>> {
        opts.ns.as_ref().map(|ns| ns.owner().into())
    }

    fn parse_param(opts: &mut MountOpts, param: &Param<'_>) -> Result<bool> {
        opts.parse(param)
    }

    /// Mounts the hierarchy the options name, made if need be; in a cgroup namespace other
    /// than the initial one, an existing hierarchy only, shown from the namespace's root.
    fn get_tree(opts: &mut MountOpts, mounter: Mounter<'_, Self>) -> Result {
        let capable = match &opts.ns {
            Some(ns) => ns.owner().ns_capable(CAP_SYS_ADMIN),
            None => capable(CAP_SYS_ADMIN),
        };
        if !capable {
            return Err(EPERM);
        }
        let pin = root_to_use(opts)?;
        // The set and its groups are the namespace's, which the options hold.
        let base = match opts.ns.as_ref().and_then(|ns| ns.root_set()) {
            Some(set) => match set.group_in(pin.top().root()) {
                Some(group) => Some(group.node().ok_or(ENOENT)?),
                None => None,
            },
            None => None,
        };
        // Without the core mutex: kernfs takes superblock locks that `kill_sb` holds around
        // taking the mutex. The pin keeps the hierarchy alive meanwhile.
        let mounted = mounter.mount(pin.kf())?;
        if mounted.is_new() {
            // A new superblock keeps the pin until `kill_sb`.
            pin.keep();
        }
        match base {
            Some(dir) => mounted.show_dir(dir),
            None => Ok(()),
        }
    }

    /// Remount: the options are parsed again; the name and flags cannot change,
    /// `release_agent=` replaces the agent's path, and controllers may be added or removed. A
    /// hierarchy with child groups can only be remounted to add controllers or to remove some
    /// (not both at once).
    fn reconfigure(opts: &mut MountOpts, top: &Cgroup) -> Result {
        opts.check()?;
        let core = core().ok_or(ENODEV)?;
        let state = core.state.lock();
        let root = top.root();
        if opts.subsys_mask != root.subsys_mask() || opts.release_agent.is_some() {
            crate::pr_warn!("option changes via remount are deprecated\n");
        }
        let renamed = opts
            .name
            .as_ref()
            .is_some_and(|name| name[..] != *root.name());
        if opts.flags != root.flags() || renamed {
            return Err(EINVAL);
        }
        let added = opts.subsys_mask & !root.subsys_mask();
        let removed = root.subsys_mask() & !opts.subsys_mask;
        if added & state.dummy().root().subsys_mask() != added {
            return Err(EBUSY);
        }
        if top.nr_children() != 0 {
            // With child groups, controllers are rebound in place (see `super::rebind`), one
            // direction per remount; any other remount is refused, as in C.
            match (added, removed) {
                (0, 0) => return Err(EBUSY),
                (added, 0) => state.bind_populated(core, top, added)?,
                (0, removed) => state.unbind_populated(core, top, removed)?,
                _ => return Err(EBUSY),
            }
        } else {
            state.bind(top, added)?;
            state.unbind(top, removed, true);
        }
        if let Some(agent) = opts.release_agent.take() {
            root.set_release_agent(agent);
        }
        Ok(())
    }

    fn before_kill_sb(top: &Cgroup) -> Option<DeadRoot> {
        let core = core()?;
        let top: ARef<Cgroup> = top.into();
        let dead = core.state.lock().unpin(core, &top);
        dead
    }

    fn after_kill_sb(dead: Option<DeadRoot>) {
        if let (Some(dead), Some(core)) = (dead, core()) {
            dead.destroy(core);
        }
    }
}
