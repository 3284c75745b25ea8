// SPDX-License-Identifier: GPL-2.0

//! The life of hierarchies (creation, pins, destruction), binding controllers to them, and the
//! creation and removal of groups.
//!
//! See the locking and lifetime rules in the [module documentation](super).

use super::cset;
use super::dir::Dirs;
use super::group::{Cgroup, Root, CGRP_CLONE_CHILDREN, CGRP_NOTIFY_ON_RELEASE};
use super::state::{core, Core, LiveRoot, State, Unlocked};
use super::subsys;
use crate::{
    alloc::{flags::GFP_KERNEL, KBox, KVec},
    error::{code::*, Result},
    kernfs::{self, Attrs, DirHandle, RootFlags},
    prelude::*,
    types::ARef,
};
use core::ptr;

/// What a new hierarchy is made of.
pub(super) struct NewRoot {
    pub(super) subsys_mask: u32,
    pub(super) name: KVec<u8>,
    pub(super) flags: u32,
    pub(super) release_agent: KVec<u8>,
    pub(super) clone_children: bool,
}

/// A hierarchy that was unlisted and is destroyed once its last superblock is gone, by
/// [`DeadRoot::destroy`].
pub(super) struct DeadRoot(LiveRoot);

/// Makes the dummy hierarchy's top group, for [`super::state::init`]: the hierarchy (id 0) is
/// never mounted nor listed, and holds the controllers nobody mounted.
pub(super) fn new_dummy() -> Result<ARef<Cgroup>> {
    let dummy_root = Root::new(0, KVec::new(), 0, KVec::new())?;
    let dummy = Cgroup::new(dummy_root, None, 0)?;
    dummy.count_top();
    Ok(dummy)
}

impl State {
    /// The place of the live hierarchy `root` in the list of live hierarchies.
    pub(super) fn live_index(&self, root: &Root) -> Option<usize> {
        self.live.iter().position(|l| ptr::eq(l.top.root(), root))
    }

    /// The owner of the directory of `cgrp`, if it is alive.
    pub(super) fn dir_of<'a>(&'a self, cgrp: &'a Cgroup) -> Option<&'a DirHandle<Dirs>> {
        if cgrp.is_dead() {
            return None;
        }
        if cgrp.is_top() {
            let i = self.live_index(cgrp.root())?;
            return Some(self.live[i].kf.dir());
        }
        cgrp.dir_slot_ref(self).as_ref()
    }

    /// A live hierarchy named `name`, or with exactly the controllers `mask` if `name` is
    /// `None`.
    pub(super) fn find_root(&self, name: Option<&[u8]>, mask: u32) -> Option<&ARef<Cgroup>> {
        self.live_tops().find(|top| match name {
            Some(name) => top.root().name() == name,
            None => top.root().subsys_mask() == mask,
        })
    }

    /// The kernfs tree of the pinned hierarchy of `top`.
    pub(super) fn kf_of(&self, top: &Cgroup) -> Option<*const kernfs::Root<Dirs>> {
        let i = self.live_index(top.root())?;
        Some(ptr::from_ref(&*self.live[i].kf))
    }

    /// Creates and publishes a hierarchy, with one pin owned by the caller; returns its top
    /// group.
    pub(super) fn create_root(&mut self, core: &Core, new: NewRoot) -> Result<ARef<Cgroup>> {
        let id = self.next_id;
        let root = Root::new(id, new.name, new.flags, new.release_agent)?;
        let top_flags = if new.clone_children {
            CGRP_CLONE_CHILDREN
        } else {
            0
        };
        let top = Cgroup::new(root, None, top_flags)?;
        let flags = RootFlags::DEACTIVATED
            .with(RootFlags::SUPPORT_EXPORTOP)
            .with(RootFlags::SUPPORT_USER_XATTR);
        // The box first: a `kernfs::Root` is only given back by `destroy()`, so one made
        // before a failed allocation would leak, with the top group it holds.
        let kf = KBox::new_uninit(GFP_KERNEL)?;
        let kf = kf.write(kernfs::Root::<Dirs>::new(flags, top.clone())?);
        top.set_node(self, kf.dir().node().into());
        let made = super::cftype::populate_core(kf.dir(), &top)
            .and_then(|()| self.live.reserve(1, GFP_KERNEL).map_err(Into::into))
            .and_then(|()| cset::link_all_to_top(core, self, &top));
        if let Err(e) = made {
            // SAFETY: Never mounted.
            drop(unsafe { kernfs::Root::destroy(KBox::into_inner(kf)) });
            return Err(e);
        }
        // The links are made, so the hierarchy is listed: no set can be created without one.
        self.live.push(
            LiveRoot {
                top: top.clone(),
                kf,
                pins: 1,
            },
            GFP_KERNEL,
        )?;
        top.count_top();
        if let Err(e) = self.bind(&top, new.subsys_mask) {
            // Nothing is mounted yet: undo it all.
            if let Some(dead) = self.unpin(core, &top) {
                dead.destroy(core);
            }
            return Err(e);
        }
        if let Some(i) = self.live_index(top.root()) {
            self.live[i].kf.dir().activate();
        }
        self.next_id = if id == i32::MAX { 1 } else { id + 1 };
        Ok(top)
    }

    /// Takes a pin on the live hierarchy of `top`.
    pub(super) fn pin(&mut self, top: &Cgroup) -> Result {
        let i = self.live_index(top.root()).ok_or(ENODEV)?;
        self.live[i].pins += 1;
        Ok(())
    }

    /// Drops a pin. When none is left and the hierarchy has no child group, it is unlisted, its
    /// controllers go back to the dummy hierarchy, and it is returned for destruction once its
    /// superblock is gone.
    pub(super) fn unpin(&mut self, core: &Core, top: &Cgroup) -> Option<DeadRoot> {
        let i = self.live_index(top.root())?;
        let live = &mut self.live[i];
        live.pins = live.pins.saturating_sub(1);
        if live.pins != 0 || top.nr_children() != 0 {
            return None;
        }
        self.unbind(top, top.root().subsys_mask(), false);
        let dead = self.live.remove(i)?;
        cset::unlink_top(core, self, &dead.top);
        dead.top.set_dead(self);
        Some(DeadRoot(dead))
    }

    /// Binds the controllers in `mask`, which must be bound to the dummy hierarchy, to the
    /// hierarchy of `top`, which has no child group.
    pub(super) fn bind(&self, top: &Cgroup, mask: u32) -> Result {
        if mask & self.dummy.root().subsys_mask() != mask {
            return Err(EBUSY);
        }
        let dir = self.dir_of(top).ok_or(ENODEV)?;
        let files = super::cftype::Files::new(dir, top);
        for ops in subsys::each_in(mask) {
            if let Err(e) = (ops.populate)(&files) {
                for done in subsys::each_in(mask).take_while(|o| o.id != ops.id) {
                    (done.depopulate)(&files);
                }
                (ops.depopulate)(&files);
                return Err(e);
            }
        }
        self.switch(top, mask, true);
        // Files added to a live hierarchy (remount) are hidden until activated.
        dir.activate();
        Ok(())
    }

    /// Returns the controllers in `mask`, bound to the hierarchy of `top`, which has no child
    /// group, to the dummy hierarchy; their files are removed first with `remove_files` (the
    /// hierarchy being destroyed takes them along otherwise).
    pub(super) fn unbind(&self, top: &Cgroup, mask: u32, remove_files: bool) {
        if remove_files {
            if let Some(dir) = self.dir_of(top) {
                let files = super::cftype::Files::new(dir, top);
                for ops in subsys::each_in(mask) {
                    (ops.depopulate)(&files);
                }
            }
        }
        self.switch(top, mask, false);
    }

    /// Moves the root states of the controllers in `mask` to `top` (`bind`) or from it to the
    /// dummy hierarchy, with the threadgroup rwsem held for writing: fork and exit callbacks
    /// never see a root state change groups under them.
    fn switch(&self, top: &Cgroup, mask: u32, bind: bool) {
        let _locks = super::state::attach_lock();
        self.switch_locked(top, mask, bind);
    }

    /// [`State::switch`], with the [`super::state::AttachLock`] held by the caller.
    pub(super) fn switch_locked(&self, top: &Cgroup, mask: u32, bind: bool) {
        let (from, to) = if bind {
            (&*self.dummy, top)
        } else {
            (top, &*self.dummy)
        };
        for ops in subsys::each_in(mask) {
            from.set_css(self, ops.id, ptr::null());
            from.root().set_subsys(ops.id, false);
            to.set_css(self, ops.id, ops.root_css(self));
            ops.rebind(to);
            to.root().set_subsys(ops.id, true);
        }
        // With the rwsem still held for writing: no fork is between `cgroup_can_fork()` and
        // `cgroup_post_fork()`.
        subsys::newns_update(self);
    }

    /// Creates a child `name` of the live group `parent`, with directory attributes `attrs`.
    pub(super) fn create_group(
        &mut self,
        parent: &Cgroup,
        name: &CStr,
        attrs: Attrs,
    ) -> Result<ARef<Cgroup>> {
        if parent.is_dead() {
            return Err(ENODEV);
        }
        let inherited = [CGRP_NOTIFY_ON_RELEASE, CGRP_CLONE_CHILDREN]
            .into_iter()
            .filter(|&f| parent.test_flag(f))
            .fold(0, |a, f| a | f);
        let child = Cgroup::new(parent.root_arc().clone(), Some(parent.into()), inherited)?;
        let mask = parent.root().subsys_mask();
        for ops in subsys::each_in(mask) {
            let parent_css = parent.css(ops.id).ok_or(EINVAL)?;
            if parent.inherits(ops.id) {
                // The children of a group that shares its parent's state share it too.
                child.share_css(self, ops.id, parent_css);
                continue;
            }
            // Owned by the group from here: freed with it, even on failure below.
            let css = KBox::into_raw(ops.create_css(parent_css, &child)?);
            child.set_css(self, ops.id, css);
        }
        let parent_dir = self.dir_of(parent).ok_or(ENODEV)?;
        let dir = parent_dir.create_dir(name, attrs, child.clone())?;
        child.set_node(self, dir.node().into());
        let files = super::cftype::Files::new(&dir, &child);
        let populated = super::cftype::populate_core(&dir, &child)
            .and_then(|()| subsys::each_in(mask).try_for_each(|ops| (ops.populate)(&files)));
        if let Err(e) = populated {
            drop(dir.remove());
            return Err(e);
        }
        parent.link_child(self, &child);
        let mut online = 0u32;
        for ops in subsys::each_in(mask) {
            if child.inherits(ops.id) {
                continue;
            }
            let result = child.css(ops.id).map_or(Err(EINVAL), |css| ops.online(css));
            if let Err(e) = result {
                for done in subsys::each_in(online) {
                    if let Some(css) = child.own_css(done.id) {
                        done.offline(css);
                    }
                }
                parent.unlink_child(self, &child);
                child.set_dead(self);
                drop(dir.remove());
                // RCU walkers of the parent's children may have seen the group and may take a
                // reference on it: its count stays above zero until they are done, as in
                // `remove_group`.
                super::group::put_after_grace_period(child);
                return Err(e);
            }
            online |= ops.id.bit();
        }
        dir.activate();
        *child.dir_slot(self) = Some(dir);
        Ok(child)
    }

    /// Removes `cgrp`, which must have no task and no child group (`EBUSY` otherwise).
    ///
    /// The caller must have broken the active protection of the group's directory if it runs
    /// in an operation on it (removal waits for the operations on the directory).
    pub(super) fn remove_group(&mut self, cgrp: &Cgroup) -> Result {
        if cgrp.is_dead() {
            return Err(ENODEV);
        }
        if cgrp.is_top() || cgrp.nr_children() != 0 || cgrp.has_tasks() {
            return Err(EBUSY);
        }
        let Some(parent) = cgrp.parent() else {
            return Err(EBUSY);
        };
        // No task can join it from here on: moves check this under the core mutex.
        cgrp.set_dead(self);
        let dir = cgrp.dir_slot(self).take().ok_or(ENODEV)?;
        let dir_ref = dir.remove();
        for ops in subsys::each_in(cgrp.root().subsys_mask()) {
            if let Some(css) = cgrp.own_css(ops.id) {
                ops.offline(css);
            }
        }
        parent.unlink_child(self, cgrp);
        parent.check_release();
        // RCU walkers of the tree may still see the group: its count stays above zero until
        // they are done.
        super::group::put_after_grace_period(dir_ref);
        Ok(())
    }

    /// Renames the live child group `cgrp` to `name`, in its parent.
    pub(super) fn rename_group(&self, cgrp: &Cgroup, name: &CStr) -> Result {
        if cgrp.parent().is_none() {
            return Err(EBUSY);
        }
        self.dir_of(cgrp).ok_or(ENODEV)?.rename(name)
    }
}

impl DeadRoot {
    /// Destroys the hierarchy, once its superblock is gone: its kernfs tree goes, and with it
    /// the top group's last references but those held by tasks' css_sets of removed groups.
    pub(super) fn destroy(self, _core: &Core) {
        let DeadRoot(dead) = self;
        // SAFETY: The hierarchy is unlisted and its last superblock is gone (callers): nothing
        // mounts the tree any more.
        let top_ref = unsafe { kernfs::Root::destroy(KBox::into_inner(dead.kf)) };
        // A root state's group may have been read under RCU just before it moved back to the
        // dummy hierarchy: the top group's count stays above zero until such readers are done.
        super::group::put_after_grace_period(top_ref);
        super::group::put_after_grace_period(dead.top);
    }
}

/// A hierarchy pinned for a mount, which uses its kernfs tree without the core mutex.
///
/// # Invariants
///
/// `kf` is the kernfs tree of the live hierarchy of `top`, on which the object holds a pin
/// (unless `kept`, when it was handed to a superblock): the tree is not destroyed before the
/// pin is dropped.
pub(super) struct MountPin {
    top: ARef<Cgroup>,
    kf: *const kernfs::Root<Dirs>,
    kept: bool,
}

impl MountPin {
    /// Pins the live hierarchy of `top`. Under the core mutex; `pinned` says whether the caller
    /// already took the pin (a hierarchy just created comes with one).
    pub(super) fn new(state: &mut State, top: &ARef<Cgroup>, pinned: bool) -> Result<Self> {
        if !pinned {
            state.pin(top)?;
        }
        let kf = state.kf_of(top).ok_or(ENODEV)?;
        // INVARIANT: The tree of the live hierarchy of `top`, pinned above.
        Ok(MountPin {
            top: top.clone(),
            kf,
            kept: false,
        })
    }

    /// The top group of the hierarchy.
    pub(super) fn top(&self) -> &Cgroup {
        &self.top
    }

    /// The kernfs tree.
    pub(super) fn kf(&self) -> &kernfs::Root<Dirs> {
        // SAFETY: The pin keeps the tree alive (type invariants).
        unsafe { &*self.kf }
    }

    /// Hands the pin to a new superblock, which drops it at its `kill_sb`.
    pub(super) fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for MountPin {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        if let Some(core) = core() {
            let dead = core.state.lock().unpin(core, &self.top);
            if let Some(dead) = dead {
                dead.destroy(core);
            }
        }
    }
}

/// A hierarchy made from kernel code by [`create_hierarchy`]; it is not mounted but can be,
/// with `-o none,name=<name>`. Dropping it (or [`release_hierarchy`]) releases it: the
/// hierarchy is destroyed if nothing else (a mount) uses it and it has no child group.
pub struct Hierarchy {
    top: ARef<Cgroup>,
}

impl Hierarchy {
    /// The top group.
    pub fn top(&self) -> &Cgroup {
        &self.top
    }

    /// The hierarchy.
    pub fn root(&self) -> &Root {
        self.top.root()
    }
}

impl Drop for Hierarchy {
    fn drop(&mut self) {
        if let Some(core) = core() {
            let dead = core.state.lock().unpin(core, &self.top);
            if let Some(dead) = dead {
                dead.destroy(core);
            }
        }
    }
}

/// Creates a hierarchy named `name`, with no controller, from kernel code.
///
/// # Examples
///
/// Groups made and moved into from kernel code, and the css_sets that follow (this runs as a
/// KUnit test in the kernel thread that runs the tests):
///
/// ```
/// use kernel::c_str;
/// use kernel::cgroup::{cset, hierarchy, migrate};
/// use kernel::error::code::{EBUSY, EEXIST, ENODEV};
/// // SAFETY: KUnit runs the doctests in a kernel thread that holds no lock.
/// let u = unsafe { kernel::cgroup::Unlocked::assume() };
///
/// let h = hierarchy::create_hierarchy(b"kunit_csets", &u)?;
/// assert!(matches!(hierarchy::create_hierarchy(b"kunit_csets", &u), Err(EBUSY)));
/// let a = hierarchy::mkdir(h.top(), c_str!("a"), &u)?;
/// let b = hierarchy::mkdir(&a, c_str!("b"), &u)?;
/// assert!(matches!(hierarchy::mkdir(&a, c_str!("b"), &u), Err(EEXIST)));
/// let mut buf = [0u8; 64];
/// assert_eq!(h.top().path_into(&mut buf)?, b"/");
/// assert_eq!(b.path_into(&mut buf)?, b"/a/b");
/// assert_eq!(h.root().nr_cgroups(), 3);
///
/// // Every task starts in the top group, in a set shared with other tasks.
/// let home = cset::with_current_cset(|s| s.id()).ok_or(EINVAL)?;
///
/// // Moving makes a set of its own, with one reference: this task's.
/// migrate::attach_current(&a, &u)?;
/// let (in_a, refs, tasks) =
///     cset::with_current_cset(|s| (s.id(), s.refcount(), s.nr_tasks())).ok_or(EINVAL)?;
/// assert_ne!(in_a, home);
/// assert_eq!((refs, tasks), (1, 1));
/// assert_eq!(a.nr_tasks(), 1);
/// assert!(a.has_tasks());
///
/// // Moving again to where it is changes nothing.
/// migrate::attach_current(&a, &u)?;
/// assert_eq!(cset::with_current_cset(|s| s.id()), Some(in_a));
///
/// // Moving on leaves no reference behind.
/// migrate::attach_current(&b, &u)?;
/// assert_eq!(cset::with_current_cset(|s| (s.refcount(), s.nr_tasks())), Some((1, 1)));
/// assert_eq!((a.nr_tasks(), b.nr_tasks()), (0, 1));
/// assert!(!a.has_tasks());
///
/// // Moving back finds the first set in the hash table.
/// migrate::attach_current(h.top(), &u)?;
/// assert_eq!(cset::with_current_cset(|s| s.id()), Some(home));
///
/// // A group with a child or a task cannot be removed; empty ones can.
/// assert_eq!(hierarchy::rmdir(&a, &u), Err(EBUSY));
/// migrate::attach_current(&b, &u)?;
/// assert_eq!(hierarchy::rmdir(&b, &u), Err(EBUSY));
/// migrate::attach_current(h.top(), &u)?;
/// hierarchy::rmdir(&b, &u)?;
/// hierarchy::rmdir(&a, &u)?;
/// assert_eq!(hierarchy::rmdir(&a, &u), Err(ENODEV));
/// assert!(matches!(hierarchy::mkdir(&a, c_str!("c"), &u), Err(ENODEV)));
/// assert!(matches!(migrate::attach_current(&a, &u), Err(ENODEV)));
/// assert_eq!(h.root().nr_cgroups(), 1);
/// hierarchy::release_hierarchy(h);
/// # Ok::<(), Error>(())
/// ```
pub fn create_hierarchy(name: &[u8], _unlocked: &Unlocked) -> Result<Hierarchy> {
    super::check_root_name(name)?;
    let core = core().ok_or(ENODEV)?;
    let mut state = core.state.lock();
    if state.find_root(Some(name), 0).is_some() {
        return Err(EBUSY);
    }
    let mut owned = KVec::with_capacity(name.len(), GFP_KERNEL)?;
    owned.extend_from_slice(name, GFP_KERNEL)?;
    let top = state.create_root(
        core,
        NewRoot {
            subsys_mask: 0,
            name: owned,
            flags: 0,
            release_agent: KVec::new(),
            clone_children: false,
        },
    )?;
    Ok(Hierarchy { top })
}

/// Releases a hierarchy made by [`create_hierarchy`] (the same as dropping it).
pub fn release_hierarchy(h: Hierarchy) {
    drop(h);
}

/// Makes a child group `name` of `parent` from kernel code, owned by the current task.
pub fn mkdir(parent: &Cgroup, name: &CStr, _unlocked: &Unlocked) -> Result<ARef<Cgroup>> {
    if name.as_bytes().contains(&b'\n') {
        return Err(EINVAL);
    }
    let core = core().ok_or(ENODEV)?;
    let mut state = core.state.lock();
    state.create_group(parent, name, Attrs::current_owner(0o755))
}

/// Removes the group `cgrp` from kernel code: `EBUSY` if it has a task or a child group,
/// `ENODEV` if it is already removed.
pub fn rmdir(cgrp: &Cgroup, _unlocked: &Unlocked) -> Result {
    let core = core().ok_or(ENODEV)?;
    let mut state = core.state.lock();
    state.remove_group(cgrp)
}
