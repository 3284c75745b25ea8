// SPDX-License-Identifier: GPL-2.0

//! The `cgroup` filesystem type: mount options, sharing hierarchies between mounts, and
//! destroying them at the last umount.

use super::hierarchy::{self, core, Cgroup, NewRoot, Root, State};
use super::hierarchy::{ROOT_CPUSET_V2_MODE, ROOT_FAVOR_DYNMODS, ROOT_NOPREFIX, ROOT_XATTR};
use super::subsys::SubsysId;
use crate::ffi::c_int;
use crate::{
    alloc::{flags::GFP_KERNEL, KBox, KVec},
    bindings, c_str,
    error::{
        code::{EBUSY, EINVAL},
        from_result, to_result, Result,
    },
    kernfs,
    str::CStr,
    sync::Arc,
    types::Opaque,
};
use core::ptr;

/// The options of one mount, parsed from `mount -o`.
///
/// `kfc` must come first: kernfs finds it through `fc->fs_private`.
#[repr(C)]
struct MountCtx {
    kfc: bindings::kernfs_fs_context,
    name: Option<KVec<u8>>,
    release_agent: Option<KVec<u8>>,
    flags: u32,
    subsys_mask: u32,
    all: bool,
    none: bool,
    clone_children: bool,
}

struct FsType(Opaque<bindings::file_system_type>);

// SAFETY: Registered once at boot and then only read by the VFS.
unsafe impl Sync for FsType {}

static CGROUP_FS_TYPE: FsType = FsType(Opaque::new(bindings::file_system_type {
    name: c_str!("cgroup").as_char_ptr(),
    init_fs_context: Some(init_fs_context),
    kill_sb: Some(kill_sb),
    // SAFETY: All zeroes is valid for the remaining fields (no flags, no parameters table).
    ..unsafe { core::mem::zeroed() }
}));

struct FcOps(bindings::fs_context_operations);

// SAFETY: Never written; the VFS only reads it.
unsafe impl Sync for FcOps {}

static FS_CONTEXT_OPS: FcOps = FcOps(bindings::fs_context_operations {
    free: Some(free_fs_context),
    parse_param: Some(parse_param),
    get_tree: Some(get_tree),
    reconfigure: Some(reconfigure),
    // SAFETY: All zeroes is valid for the rest: no dup, and the generic monolithic parser.
    ..unsafe { core::mem::zeroed() }
});

/// Registers the `cgroup` filesystem type.
pub(super) fn register() -> Result {
    // SAFETY: The type is static, fully initialised, and registered only once (at boot).
    to_result(unsafe { bindings::register_filesystem(CGROUP_FS_TYPE.0.get()) })
}

/// # Safety
///
/// Called by the VFS with a new fs_context.
unsafe extern "C" fn init_fs_context(fc: *mut bindings::fs_context) -> c_int {
    from_result(|| {
        let ctx = KBox::new(
            MountCtx {
                // SAFETY: All zeroes is an empty kernfs_fs_context.
                kfc: unsafe { core::mem::zeroed() },
                name: None,
                release_agent: None,
                flags: 0,
                subsys_mask: 0,
                all: false,
                none: false,
                clone_children: false,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `fc` is valid (caller); the context is freed by `free_fs_context`, which the
        // VFS calls whenever `init_fs_context` succeeded.
        unsafe {
            (*fc).fs_private = KBox::into_raw(ctx).cast();
            (*fc).ops = &FS_CONTEXT_OPS.0;
        }
        Ok(0)
    })
}

/// # Safety
///
/// `fc` must be an fs_context set up by `init_fs_context`.
unsafe fn mount_ctx<'a>(fc: *mut bindings::fs_context) -> &'a mut MountCtx {
    // SAFETY: `init_fs_context` stored a `MountCtx` there; the VFS serialises operations on one
    // fs_context.
    unsafe { &mut *(*fc).fs_private.cast::<MountCtx>() }
}

/// # Safety
///
/// Called by the VFS once per fs_context set up by `init_fs_context`.
unsafe extern "C" fn free_fs_context(fc: *mut bindings::fs_context) {
    // SAFETY: `fc` is valid; kernfs frees what `kernfs_get_tree` left in it.
    unsafe { bindings::kernfs_free_fs_context(fc) };
    // SAFETY: `fs_private` is the `KBox` made in `init_fs_context`, freed only here.
    drop(unsafe { KBox::from_raw((*fc).fs_private.cast::<MountCtx>()) });
}

/// A parameter's string value: `None` for a flag (`key` without `=`), `Some` for `key=value`.
enum Value<'a> {
    Flag,
    String(&'a [u8]),
}

/// # Safety
///
/// Called by the VFS with an fs_context set up by `init_fs_context` and a valid parameter.
unsafe extern "C" fn parse_param(
    fc: *mut bindings::fs_context,
    param: *mut bindings::fs_parameter,
) -> c_int {
    // SAFETY: See the function's safety requirements: the key is a NUL-terminated string, and a
    // string value is NUL-terminated with `size` bytes.
    let (ctx, key, value) = unsafe {
        let p = &*param;
        let value = match p.type_() {
            bindings::fs_value_type_fs_value_is_flag => Value::Flag,
            bindings::fs_value_type_fs_value_is_string => Value::String(
                core::slice::from_raw_parts(p.__bindgen_anon_1.string.cast::<u8>(), p.size),
            ),
            _ => return EINVAL.to_errno(),
        };
        (mount_ctx(fc), CStr::from_char_ptr(p.key), value)
    };
    // SAFETY: `fc` is valid for the call.
    let user_ns = unsafe { (*fc).user_ns };
    match parse_option(ctx, key.as_bytes(), value, user_ns) {
        Ok(true) => 0,
        // Not ours: the VFS takes "source" and rejects anything else with EINVAL.
        Ok(false) => -(bindings::ENOPARAM as c_int),
        Err(e) => e.to_errno(),
    }
}

/// Applies one mount option; `Ok(false)` if it is not a cgroup option.
fn parse_option(
    ctx: &mut MountCtx,
    key: &[u8],
    value: Value<'_>,
    user_ns: *mut bindings::user_namespace,
) -> Result<bool> {
    let flag = |value: Value<'_>| match value {
        Value::Flag => Ok(()),
        Value::String(_) => Err(EINVAL),
    };
    let string = |value: Value<'_>| -> Result<KVec<u8>> {
        match value {
            Value::String(s) if !s.is_empty() => {
                let mut v = KVec::with_capacity(s.len(), GFP_KERNEL)?;
                v.extend_from_slice(s, GFP_KERNEL)?;
                Ok(v)
            }
            _ => Err(EINVAL),
        }
    };
    match key {
        b"all" => flag(value).map(|()| ctx.all = true)?,
        b"none" => flag(value).map(|()| ctx.none = true)?,
        b"noprefix" => flag(value).map(|()| ctx.flags |= ROOT_NOPREFIX)?,
        b"xattr" => flag(value).map(|()| ctx.flags |= ROOT_XATTR)?,
        b"cpuset_v2_mode" => flag(value).map(|()| ctx.flags |= ROOT_CPUSET_V2_MODE)?,
        b"favordynmods" => flag(value).map(|()| ctx.flags |= ROOT_FAVOR_DYNMODS)?,
        b"nofavordynmods" => flag(value).map(|()| ctx.flags &= !ROOT_FAVOR_DYNMODS)?,
        b"clone_children" => flag(value).map(|()| ctx.clone_children = true)?,
        b"name" => {
            let name = string(value)?;
            super::check_root_name(&name)?;
            if ctx.name.is_some() {
                return Err(EINVAL);
            }
            ctx.name = Some(name);
        }
        b"release_agent" => {
            if ctx.release_agent.is_some() {
                return Err(EINVAL);
            }
            // Only the initial user namespace's administrator may set it (CVE-2022-0492).
            let init_ns = ptr::addr_of_mut!(bindings::init_user_ns);
            // SAFETY: `capable` only inspects the current task's credentials.
            let allowed = ptr::eq(user_ns, init_ns)
                && unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) };
            if !allowed {
                return Err(EINVAL);
            }
            ctx.release_agent = Some(string(value)?);
        }
        // A registered controller's name; as in C, a value after it is ignored.
        _ => match super::subsys::subsys_id_by_name(key) {
            Some(id) if super::subsys::registered_mask() & (1 << id as u32) != 0 => {
                ctx.subsys_mask |= 1 << id as u32;
            }
            _ => return Ok(false),
        },
    }
    Ok(true)
}

/// The consistency rules of the options as a whole.
fn check_options(ctx: &mut MountCtx) -> Result {
    let enabled = super::subsys::registered_mask();
    ctx.subsys_mask &= enabled;
    if ctx.subsys_mask == 0 && !ctx.none && ctx.name.is_none() {
        ctx.all = true;
    }
    if ctx.all {
        if ctx.subsys_mask != 0 {
            return Err(EINVAL);
        }
        ctx.subsys_mask = enabled;
    }
    // `noprefix` is only for cpuset, for the legacy cpuset filesystem.
    if ctx.flags & ROOT_NOPREFIX != 0 && ctx.subsys_mask & !(1 << SubsysId::Cpuset as u32) != 0 {
        return Err(EINVAL);
    }
    if ctx.subsys_mask == 0 && ctx.name.is_none() {
        return Err(EINVAL);
    }
    if ctx.subsys_mask != 0 && ctx.none {
        return Err(EINVAL);
    }
    Ok(())
}

/// Finds the hierarchy a mount asks for, or creates it; returns it pinned.
fn root_to_use(state: &mut State, ctx: &mut MountCtx) -> Result<Arc<Root>> {
    check_options(ctx)?;
    for root in state.roots() {
        let name_match = match &ctx.name {
            Some(name) if name.as_slice() != root.name.as_slice() => continue,
            Some(_) => true,
            None => false,
        };
        // Controllers (or an explicit "none") given must match the hierarchy's.
        if (ctx.subsys_mask != 0 || ctx.none) && ctx.subsys_mask != root.subsys_mask() {
            if !name_match {
                continue;
            }
            return Err(EBUSY);
        }
        if root.flags != ctx.flags {
            crate::pr_warn!(
                "new mount options do not match the existing superblock, will be ignored\n"
            );
        }
        let root = root.clone();
        state.pin(&root);
        return Ok(root);
    }
    if ctx.subsys_mask == 0 && !ctx.none {
        return Err(EINVAL);
    }
    if !controllers_free(state, ctx.subsys_mask) {
        return Err(EBUSY);
    }
    state.create_root(NewRoot {
        subsys_mask: ctx.subsys_mask,
        name: ctx.name.take().unwrap_or_default(),
        flags: ctx.flags,
        release_agent: ctx.release_agent.take().unwrap_or_default(),
        clone_children: ctx.clone_children,
    })
}

/// Whether every controller in `mask` is bound to the dummy hierarchy.
fn controllers_free(state: &State, mask: u32) -> bool {
    mask & state.dummy().subsys_mask() == mask
}

/// Drops a pin taken by `root_to_use`, destroying a hierarchy left unused.
fn unpin(root: &Root) {
    let gone = core().state.lock().unpin(root);
    if let Some(root) = gone {
        hierarchy::destroy_root(root);
    }
}

/// # Safety
///
/// Called by the VFS with an fs_context set up by `init_fs_context`.
unsafe extern "C" fn get_tree(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: See the function's safety requirements.
    let ctx = unsafe { mount_ctx(fc) };
    from_result(|| {
        let root = root_to_use(&mut core().state.lock(), ctx)?;
        ctx.kfc.root = root.kf_root();
        ctx.kfc.magic = bindings::CGROUP_SUPER_MAGIC as _;
        // SAFETY: `fc` is valid and `fs_private` points to `ctx.kfc` (first field). The core
        // mutex is not held, and the pin keeps the kernfs root alive.
        let ret = unsafe { bindings::kernfs_get_tree(fc) };
        // A new superblock keeps the pin until `kill_sb`; otherwise the existing one has its own.
        if ret != 0 || !ctx.kfc.new_sb_created {
            unpin(&root);
        }
        to_result(ret).map(|()| 0)
    })
}

/// Remount: the options are parsed again; the name and flags cannot change, a hierarchy with
/// child groups cannot be remounted, and `release_agent=` replaces the agent's path.
///
/// # Safety
///
/// Called by the VFS with an fs_context set up by `init_fs_context` to reconfigure a mounted
/// cgroup superblock.
unsafe extern "C" fn reconfigure(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: See the function's safety requirements: for a reconfiguration `fc->root` is the
    // root dentry of one of our superblocks, whose hierarchy is alive while it is mounted.
    let (ctx, top) = unsafe {
        let sb = (*(*fc).root).d_sb;
        let kf_root = bindings::kernfs_root_from_sb(sb);
        (mount_ctx(fc), Cgroup::from_dir(kernfs::root_node(kf_root)))
    };
    from_result(|| {
        check_options(ctx)?;
        let state = core().state.lock();
        let root = top.root();
        if ctx.subsys_mask != root.subsys_mask() || ctx.release_agent.is_some() {
            crate::pr_warn!("option changes via remount are deprecated\n");
        }
        let renamed = ctx
            .name
            .as_ref()
            .is_some_and(|name| name.as_slice() != root.name.as_slice());
        if ctx.flags != root.flags || renamed {
            return Err(EINVAL);
        }
        if top.nr_children() != 0 {
            return Err(EBUSY);
        }
        let added = ctx.subsys_mask & !root.subsys_mask();
        let removed = root.subsys_mask() & !ctx.subsys_mask;
        if !controllers_free(&state, added) {
            return Err(EBUSY);
        }
        if let Err(e) = root.bind(&state, added) {
            root.unbind(&state, root.subsys_mask() & added, true);
            return Err(e);
        }
        root.unbind(&state, removed, true);
        if let Some(agent) = ctx.release_agent.take() {
            *root.release_agent.lock() = agent;
        }
        Ok(0)
    })
}

/// # Safety
///
/// Called by the VFS when the last reference to a cgroup superblock goes away.
unsafe extern "C" fn kill_sb(sb: *mut bindings::super_block) {
    // SAFETY: `sb` is a kernfs superblock of one of our hierarchies; its root stays live until
    // we destroy it below.
    let top = unsafe {
        let kf_root = bindings::kernfs_root_from_sb(sb);
        Cgroup::from_dir(kernfs::root_node(kf_root))
    };
    let gone = core().state.lock().unpin(top.root());
    // SAFETY: `sb` is valid; this is the last thing done with it.
    unsafe { bindings::kernfs_kill_sb(sb) };
    drop(top);
    if let Some(root) = gone {
        hierarchy::destroy_root(root);
    }
}
