// SPDX-License-Identifier: GPL-2.0

//! Hierarchies and the groups in them.
//!
//! See the locking rules in the [module documentation](super).

use crate::ffi::c_void;
use crate::{
    alloc::{flags::GFP_KERNEL, KVec},
    bindings,
    cgroup::subsys::{self, RawCss, NR_SUBSYS},
    error::{
        code::{EBUSY, EINVAL},
        Result,
    },
    kernfs, new_mutex,
    prelude::*,
    sync::{Arc, ArcBorrow, Mutex},
    workqueue::{impl_has_work, new_work, Work},
};
use core::{
    ptr,
    sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU32, Ordering},
};

/// Hierarchy flag: control files are not prefixed with the controller's name.
pub const ROOT_NOPREFIX: u32 = 1 << 0;
/// Hierarchy flag: user extended attributes (`xattr`).
pub const ROOT_XATTR: u32 = 1 << 1;
/// Hierarchy flag: cpuset behaves as in version 2 (`cpuset_v2_mode`).
pub const ROOT_CPUSET_V2_MODE: u32 = 1 << 2;
/// Hierarchy flag: favour dynamic changes over fork performance (`favordynmods`).
pub const ROOT_FAVOR_DYNMODS: u32 = 1 << 3;

/// Group flag: run the release agent when the group becomes empty.
pub const CGRP_NOTIFY_ON_RELEASE: u32 = 1 << 0;
/// Group flag: new children copy controller configuration (`cgroup.clone_children`).
pub const CGRP_CLONE_CHILDREN: u32 = 1 << 1;

/// A group of tasks in one hierarchy.
#[pin_data(PinnedDrop)]
pub struct Cgroup {
    /// The hierarchy. It outlives every group in it that is alive (not removed); a removed group
    /// may outlive it in the css_set of a task that exited, and is then only compared by id.
    root: AtomicPtr<Root>,
    /// The hierarchy's id, for comparisons that must not touch the hierarchy.
    root_id: AtomicI32,
    /// The parent group, `None` for the top group.
    parent: Option<Arc<Cgroup>>,
    /// The group's kernfs directory, set once when it is created.
    kn: AtomicPtr<bindings::kernfs_node>,
    /// `CGRP_*` flags.
    flags: AtomicU32,
    /// Live child groups; changed under the core mutex.
    nr_children: AtomicU32,
    /// Tasks in the group (not counting descendants); changed under the css_set lock.
    pub(super) nr_tasks: AtomicU32,
    /// Set (under the core mutex) when the group is removed.
    dead: AtomicBool,
    /// The states of the controllers bound to the hierarchy, by controller id: for the top
    /// group the controllers' root states, set and cleared at (un)binding under the core mutex;
    /// for other groups states owned by the group, made at creation and freed with it.
    subsys: [AtomicPtr<RawCss>; NR_SUBSYS],
    /// Runs the release agent for this group (see [`super::release`]).
    #[pin]
    release_work: Work<Cgroup>,
}

impl_has_work! {
    impl HasWork<Self> for Cgroup { self.release_work }
}

impl Cgroup {
    fn new(
        root: *mut Root,
        root_id: i32,
        parent: Option<Arc<Cgroup>>,
        flags: u32,
    ) -> impl PinInit<Self> {
        pin_init!(Cgroup {
            root: AtomicPtr::new(root),
            root_id: AtomicI32::new(root_id),
            parent,
            kn: AtomicPtr::new(ptr::null_mut()),
            flags: AtomicU32::new(flags),
            nr_children: AtomicU32::new(0),
            nr_tasks: AtomicU32::new(0),
            dead: AtomicBool::new(false),
            subsys: [const { AtomicPtr::new(ptr::null_mut()) }; NR_SUBSYS],
            release_work <- new_work!("Cgroup::release_work"),
        })
    }

    /// Whether the release agent should run for the group: `notify_on_release` is set, and it
    /// has no task and no child group, and is not removed.
    pub fn is_releasable(&self) -> bool {
        self.test_flag(CGRP_NOTIFY_ON_RELEASE)
            && !self.has_tasks()
            && self.nr_children() == 0
            && !self.is_dead()
    }

    /// The id of the hierarchy this group belongs to.
    pub fn root_id(&self) -> i32 {
        self.root_id.load(Ordering::Relaxed)
    }

    /// The hierarchy this group belongs to. Only for groups that are alive (not removed).
    pub fn root(&self) -> &Root {
        // SAFETY: The pointer is set before the group is published, and the hierarchy outlives
        // every group in it (see the lifetime rules).
        unsafe { &*self.root.load(Ordering::Relaxed) }
    }

    /// The parent group, `None` for the top group of a hierarchy.
    pub fn parent(&self) -> Option<&Arc<Cgroup>> {
        self.parent.as_ref()
    }

    /// Whether this is the top group of its hierarchy.
    pub fn is_top(&self) -> bool {
        self.parent.is_none()
    }

    /// Whether flag `flag` (`CGRP_*`) is set.
    pub fn test_flag(&self, flag: u32) -> bool {
        self.flags.load(Ordering::Relaxed) & flag != 0
    }

    /// Sets or clears flag `flag` (`CGRP_*`).
    pub fn assign_flag(&self, flag: u32, on: bool) {
        if on {
            self.flags.fetch_or(flag, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!flag, Ordering::Relaxed);
        }
    }

    /// The number of live child groups.
    pub fn nr_children(&self) -> u32 {
        self.nr_children.load(Ordering::Relaxed)
    }

    /// Whether tasks are in the group itself (not counting descendants).
    pub fn has_tasks(&self) -> bool {
        self.nr_tasks.load(Ordering::Relaxed) != 0
    }

    /// Whether the group has been removed.
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    /// The state of controller `id` in this group, if the controller is bound to its hierarchy.
    pub fn css(&self, id: usize) -> Option<&RawCss> {
        let css = self.subsys.get(id)?.load(Ordering::Acquire);
        // SAFETY: A non-null entry is a root state (never freed) or a state owned by the group.
        unsafe { css.as_ref() }
    }

    /// Sets the state of controller `id`; only for top groups, at (un)binding, under the core
    /// mutex.
    pub(super) fn set_css(&self, id: usize, css: *const RawCss) {
        self.subsys[id].store(css.cast_mut(), Ordering::Release);
    }

    /// The number of tasks in the group (not counting descendants).
    pub fn nr_tasks(&self) -> u32 {
        self.nr_tasks.load(Ordering::Relaxed)
    }

    pub(super) fn kn(&self) -> *mut bindings::kernfs_node {
        self.kn.load(Ordering::Relaxed)
    }

    /// Writes the group's name (`/` for a top group) into `buf` and returns it.
    pub fn name<'a>(&self, buf: &'a mut [u8]) -> &'a [u8] {
        let kn = self.kn();
        if self.is_top() || kn.is_null() {
            let n = buf.len().min(1);
            buf[..n].copy_from_slice(&b"/"[..n]);
            return &buf[..n];
        }
        // SAFETY: The node is valid for as long as the group lives; `buf` is writable.
        let len = unsafe { bindings::kernfs_name(kn, buf.as_mut_ptr().cast(), buf.len()) };
        &buf[..len.clamp(0, buf.len() as i32) as usize]
    }

    /// Writes the group's path from the top of its hierarchy (`/` for the top group) into `buf`
    /// and returns it.
    ///
    /// The group's node stays valid for as long as the group lives (a count reference), even
    /// after the group is removed.
    pub fn path<'a>(&self, buf: &'a mut [u8]) -> Result<&'a [u8]> {
        // SAFETY: The node is valid (see above); `buf` is writable for its length.
        let len = unsafe {
            bindings::kernfs_path_from_node(
                self.kn(),
                ptr::null_mut(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if len < 0 {
            return Err(crate::error::Error::from_errno(len));
        }
        Ok(&buf[..len as usize])
    }

    /// The group whose kernfs directory is `node`.
    ///
    /// # Safety
    ///
    /// `node` must be the directory of a group of this core, and kernfs must be running an
    /// operation on it or one of its files (so that the directory's reference keeps the group
    /// alive).
    pub(super) unsafe fn from_dir(node: &kernfs::Node) -> Arc<Cgroup> {
        // SAFETY: The directory's private pointer is the reference owned by the directory
        // (`Arc::into_raw`), alive while operations run on it (caller).
        let borrowed: ArcBorrow<'_, Cgroup> =
            unsafe { ArcBorrow::from_raw(node.private().cast::<Cgroup>()) };
        borrowed.into()
    }

    /// Creates a child of `parent` named `name` with kernfs directory attributes `attrs`.
    ///
    /// Called with the core mutex held (`_state`).
    pub(super) fn create(
        _state: &mut State,
        parent: &Arc<Cgroup>,
        parent_kn: &kernfs::Node,
        name: &CStr,
        attrs: kernfs::Attrs,
    ) -> Result<Arc<Cgroup>> {
        let inherited =
            parent.flags.load(Ordering::Relaxed) & (CGRP_NOTIFY_ON_RELEASE | CGRP_CLONE_CHILDREN);
        let child = Arc::pin_init(
            Cgroup::new(
                parent.root.load(Ordering::Relaxed),
                parent.root_id(),
                Some(parent.clone()),
                inherited,
            ),
            GFP_KERNEL,
        )?;
        let mask = child.root().subsys_mask();
        for ops in subsys::each().filter(|o| mask & (1 << o.id as usize) != 0) {
            let id = ops.id as usize;
            let parent_css = parent.css(id).ok_or(EINVAL)?;
            // Owned by the group from here: freed by its destructor, even on failure below.
            child.subsys[id].store(ops.create_css(parent_css, &child)?, Ordering::Release);
        }
        let raw = Arc::into_raw(child.clone()).cast_mut();
        // SAFETY: The parent directory is live (an operation on it runs), and `raw` is the
        // directory's own reference: it is released only after the directory is removed.
        let kn = match unsafe { kernfs::create_dir(parent_kn, name, attrs, raw.cast::<c_void>()) } {
            Ok(kn) => kn,
            Err(e) => {
                // SAFETY: The directory was not created: take its reference back.
                drop(unsafe { Arc::from_raw(raw) });
                return Err(e);
            }
        };
        // The group keeps its node's memory (not the node in the tree) for as long as it lives:
        // `/proc/<pid>/cgroup` of an exited task may still print the path of a removed group.
        // SAFETY: `kn` was just created.
        unsafe { bindings::kernfs_get(kn) };
        child.kn.store(kn, Ordering::Relaxed);
        // SAFETY: `kn` was just created and is not removed before this function returns.
        let node = unsafe { kernfs::Node::from_raw(kn) };
        let populated = super::files::populate(&child, node)
            .and_then(|()| subsys::populate(&child, node, mask));
        if let Err(e) = populated {
            // SAFETY: The directory was never activated, so no operation runs on it; we hold no
            // active reference in it.
            unsafe { kernfs::remove(node) };
            // SAFETY: Removed above: nothing uses the directory's reference any more.
            drop(unsafe { Arc::from_raw(raw) });
            return Err(e);
        }
        parent.nr_children.fetch_add(1, Ordering::Relaxed);
        child.root().nr_cgroups.fetch_add(1, Ordering::Relaxed);
        kernfs::activate(node);
        Ok(child)
    }

    /// Removes `this`, which must have no task and no child group (`EBUSY` otherwise). Called
    /// with the core mutex held, and with the active protection of its directory broken if the
    /// caller runs in an operation on it.
    pub(super) fn remove(this: &Arc<Cgroup>, state: &mut State) -> Result {
        if this.is_dead() {
            return Err(crate::error::code::ENODEV);
        }
        if this.is_top() || this.nr_children() != 0 || this.has_tasks() {
            return Err(EBUSY);
        }
        this.destroy(state);
        if let Some(parent) = this.parent() {
            super::release::check(parent);
        }
        // SAFETY: Destroyed above under the core mutex, which makes this the only release.
        unsafe { Cgroup::release_dir_ref(this) };
        Ok(())
    }

    /// Removes this group, which must have no children. Called with the core mutex held
    /// (`_state`), with the active protection of its directory broken.
    pub(super) fn destroy(&self, _state: &mut State) {
        self.dead.store(true, Ordering::Relaxed);
        if let Some(parent) = &self.parent {
            parent.nr_children.fetch_sub(1, Ordering::Relaxed);
        }
        self.root().nr_cgroups.fetch_sub(1, Ordering::Relaxed);
        let kn = self.kn();
        // SAFETY: The directory is live until removed here, once, under the core mutex; the
        // caller broke its own active protection.
        unsafe { kernfs::remove(kernfs::Node::from_raw(kn)) };
    }

    /// Releases the reference owned by the directory of a group that [`Cgroup::destroy`]
    /// removed.
    ///
    /// # Safety
    ///
    /// `this` must have been destroyed, and this must be called once.
    pub(super) unsafe fn release_dir_ref(this: &Cgroup) {
        // SAFETY: The directory's reference was made by `Arc::into_raw` of this group, and after
        // `kernfs_remove` nothing reads it (the caller guarantees it is released once).
        drop(unsafe { Arc::from_raw(ptr::from_ref(this)) });
    }
}

#[pinned_drop]
impl PinnedDrop for Cgroup {
    fn drop(self: Pin<&mut Self>) {
        let kn = self.kn();
        // A child group holds a count reference on its node (see `create`); the top group's node
        // is the kernfs root's, freed with it.
        if self.parent.is_some() && !kn.is_null() {
            // SAFETY: The reference taken in `create`. The last reference to a group is dropped in
            // process context (css_sets are freed from a work item).
            unsafe { bindings::kernfs_put(kn) };
        }
        if self.parent.is_some() {
            for (id, slot) in self.subsys.iter().enumerate() {
                let css = slot.swap(ptr::null_mut(), Ordering::Relaxed);
                if let (false, Some(ops)) = (css.is_null(), subsys::ops(id)) {
                    // SAFETY: A non-top group's states were made by `create_css` and are only
                    // reachable through the group and the css_sets naming it, all gone now.
                    unsafe { ops.free_css(css) };
                }
            }
        }
    }
}

/// A hierarchy: a tree of groups, mounted as a `cgroup` filesystem.
#[pin_data]
pub struct Root {
    /// Unique among live hierarchies, shown in `/proc/<pid>/cgroup`.
    pub id: i32,
    /// The controllers bound to the hierarchy, one bit per subsystem id; changed under the
    /// core mutex.
    subsys_mask: AtomicU32,
    /// The `name=` of the hierarchy (empty if none).
    pub name: KVec<u8>,
    /// `ROOT_*` flags, fixed at creation.
    pub flags: u32,
    /// The release agent's path (empty if none).
    #[pin]
    pub release_agent: Mutex<KVec<u8>>,
    /// The top group.
    pub top: Arc<Cgroup>,
    /// The kernfs root, set once at creation.
    kf_root: AtomicPtr<bindings::kernfs_root>,
    /// Superblocks and mounts in progress that keep the hierarchy alive; under the core mutex.
    pins: AtomicU32,
    /// Groups in the hierarchy, the top one included.
    nr_cgroups: AtomicU32,
}

impl Root {
    /// A hierarchy with a top group (with flags `top_flags`), not yet in kernfs nor listed.
    fn new(
        id: i32,
        name: KVec<u8>,
        flags: u32,
        release_agent: KVec<u8>,
        top_flags: u32,
    ) -> Result<Arc<Root>> {
        let top = Arc::pin_init(
            Cgroup::new(ptr::null_mut(), id, None, top_flags),
            GFP_KERNEL,
        )?;
        let root = Arc::pin_init(
            pin_init!(Root {
                id,
                subsys_mask: AtomicU32::new(0),
                name,
                flags,
                release_agent <- new_mutex!(release_agent, "cgroup_release_agent"),
                top,
                kf_root: AtomicPtr::new(ptr::null_mut()),
                pins: AtomicU32::new(1),
                nr_cgroups: AtomicU32::new(1),
            }),
            GFP_KERNEL,
        )?;
        root.top
            .root
            .store(ptr::from_ref::<Root>(&root).cast_mut(), Ordering::Relaxed);
        Ok(root)
    }

    /// The controllers bound to the hierarchy, one bit per controller id.
    pub fn subsys_mask(&self) -> u32 {
        self.subsys_mask.load(Ordering::Relaxed)
    }

    /// Whether this is the dummy hierarchy, which holds the controllers nobody mounted.
    pub fn is_dummy(&self) -> bool {
        self.id == 0
    }

    /// Binds the controllers in `mask`, which must be bound to the dummy hierarchy, to this
    /// one, which has no child group. Called with the core mutex held.
    pub(super) fn bind(&self, state: &State, mask: u32) -> Result {
        let node = self.top_node();
        for ops in subsys::each().filter(|o| mask & (1 << o.id as usize) != 0) {
            let id = ops.id as usize;
            let css = ops.root_css();
            if state.dummy.subsys_mask() & (1 << id) == 0 {
                return Err(EBUSY);
            }
            subsys::populate(&self.top, node, 1 << id)?;
            state.dummy.top.set_css(id, ptr::null());
            state
                .dummy
                .subsys_mask
                .fetch_and(!(1 << id), Ordering::Relaxed);
            self.top.set_css(id, css);
            ops.rebind(&self.top);
            self.subsys_mask.fetch_or(1 << id, Ordering::Relaxed);
        }
        // Files added to a live hierarchy (remount) are hidden until activated.
        kernfs::activate(node);
        Ok(())
    }

    /// Returns the controllers in `mask`, bound to this hierarchy, which has no child group,
    /// to the dummy hierarchy. Called with the core mutex held.
    pub(super) fn unbind(&self, state: &State, mask: u32, remove_files: bool) {
        for ops in subsys::each().filter(|o| mask & (1 << o.id as usize) != 0) {
            let id = ops.id as usize;
            if remove_files {
                subsys::depopulate(&self.top, self.top_node(), ops);
            }
            self.top.set_css(id, ptr::null());
            state.dummy.top.set_css(id, ops.root_css());
            state.dummy.subsys_mask.fetch_or(1 << id, Ordering::Relaxed);
            ops.rebind(&state.dummy.top);
            self.subsys_mask.fetch_and(!(1 << id), Ordering::Relaxed);
        }
    }

    fn top_node(&self) -> &kernfs::Node {
        // SAFETY: A mounted hierarchy's kernfs root lives until `destroy_root`, after its
        // controllers are unbound.
        unsafe { kernfs::root_node(self.kf_root()) }
    }

    /// The kernfs root of the hierarchy.
    pub fn kf_root(&self) -> *mut bindings::kernfs_root {
        self.kf_root.load(Ordering::Relaxed)
    }

    /// The number of groups in the hierarchy, the top group included.
    pub fn nr_cgroups(&self) -> u32 {
        self.nr_cgroups.load(Ordering::Relaxed)
    }

    /// Whether the hierarchy has flag `flag` (`ROOT_*`).
    pub fn has_flag(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

/// What a new hierarchy is made of.
pub(super) struct NewRoot {
    pub(super) subsys_mask: u32,
    pub(super) name: KVec<u8>,
    pub(super) flags: u32,
    pub(super) release_agent: KVec<u8>,
    pub(super) clone_children: bool,
}

/// The state guarded by the core mutex.
pub struct State {
    roots: KVec<Arc<Root>>,
    next_id: i32,
    /// The dummy hierarchy (id 0): never mounted nor listed, it holds unbound controllers.
    dummy: Arc<Root>,
}

impl State {
    /// The dummy hierarchy.
    pub fn dummy(&self) -> &Arc<Root> {
        &self.dummy
    }

    /// Gives the root state `css` of controller `id`, which is registering, to the dummy
    /// hierarchy.
    pub(super) fn adopt(&self, id: usize, css: *const RawCss) {
        self.dummy.top.set_css(id, css);
        self.dummy.subsys_mask.fetch_or(1 << id, Ordering::Relaxed);
    }

    /// The live hierarchies, oldest first.
    pub fn roots(&self) -> &[Arc<Root>] {
        &self.roots
    }

    /// Creates and publishes a hierarchy; it starts with one pin, owned by the caller.
    pub(super) fn create_root(&mut self, new: NewRoot) -> Result<Arc<Root>> {
        let id = self.next_id;
        let top_flags = if new.clone_children {
            CGRP_CLONE_CHILDREN
        } else {
            0
        };
        let root = Root::new(id, new.name, new.flags, new.release_agent, top_flags)?;
        let top = &root.top;
        let raw = Arc::into_raw(top.clone()).cast_mut();
        // SAFETY: `raw` is the root directory's own reference on the top group, released only
        // after the kernfs root is destroyed.
        let kf_root =
            match unsafe { kernfs::create_root(&super::dir::SYSCALL_OPS, true, raw.cast()) } {
                Ok(kf_root) => kf_root,
                Err(e) => {
                    // SAFETY: The root was not created: take its reference back.
                    drop(unsafe { Arc::from_raw(raw) });
                    return Err(e);
                }
            };
        root.kf_root.store(kf_root, Ordering::Relaxed);
        // SAFETY: `kf_root` was just created.
        let node = unsafe { kernfs::root_node(kf_root) };
        top.kn.store(node.as_ptr(), Ordering::Relaxed);
        let published = super::files::populate(top, node)
            .and_then(|()| root.bind(self, new.subsys_mask))
            .and_then(|()| {
                self.roots
                    .push(root.clone(), GFP_KERNEL)
                    .map_err(Into::into)
            });
        if let Err(e) = published {
            root.unbind(self, root.subsys_mask(), false);
            // SAFETY: Never mounted nor activated: no operation runs on it.
            unsafe { kernfs::destroy_root(kf_root) };
            // SAFETY: The root node is gone: nothing uses its reference any more.
            drop(unsafe { Arc::from_raw(raw) });
            return Err(e);
        }
        kernfs::activate(node);
        self.next_id = if id == i32::MAX { 1 } else { id + 1 };
        Ok(root)
    }

    /// Takes a pin on a live hierarchy.
    pub(super) fn pin(&mut self, root: &Root) {
        root.pins.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops a pin. When none is left and the hierarchy has no child groups, it is unlisted and
    /// returned: the caller destroys it with [`destroy_root`] once its superblock is gone.
    pub(super) fn unpin(&mut self, root: &Root) -> Option<Arc<Root>> {
        if root.pins.fetch_sub(1, Ordering::Relaxed) != 1 || root.top.nr_children() != 0 {
            return None;
        }
        let pos = self
            .roots
            .iter()
            .position(|r| ptr::eq::<Root>(&**r, root))?;
        // Its files go with the kernfs root in `destroy_root`, once nothing can open them.
        root.unbind(self, root.subsys_mask(), false);
        let len = self.roots.len();
        self.roots.as_mut_slice()[pos..].rotate_left(1);
        // SAFETY: `len - 1` is in bounds. The element there is read out once and, with the length
        // cut first, the vector no longer owns it.
        Some(unsafe {
            self.roots.set_len(len - 1);
            ptr::read(self.roots.as_ptr().add(len - 1))
        })
    }
}

/// Creates a hierarchy named `name`, with no controller, from kernel code; it is not mounted
/// but can be, with `-o none,name=<name>`. Release it with [`release_hierarchy`].
///
/// # Examples
///
/// Groups made and moved into from kernel code, and the css_sets that follow (this runs as a
/// KUnit test in the kernel thread that runs the tests):
///
/// ```
/// use kernel::c_str;
/// use kernel::cgroup::{cset, hierarchy};
/// use kernel::error::{code::{EBUSY, ENODEV}, Error};
///
/// let root = hierarchy::create_hierarchy(b"kunit_csets")?;
/// let a = hierarchy::mkdir(&root.top, c_str!("a"))?;
/// let b = hierarchy::mkdir(&a, c_str!("b"))?;
/// let mut buf = [0u8; 64];
/// assert_eq!(root.top.path(&mut buf)?, b"/");
/// assert_eq!(b.path(&mut buf)?, b"/a/b");
///
/// // Every task starts in the top group, in a set shared with other tasks.
/// let home = cset::with_current_cset(|s| s.id());
///
/// // Moving makes a set of its own, with one reference: this task's.
/// cset::attach_current(&a)?;
/// let (in_a, refs, tasks) = cset::with_current_cset(|s| (s.id(), s.refcount(), s.nr_tasks()));
/// assert_ne!(in_a, home);
/// assert_eq!((refs, tasks), (1, 1));
/// assert_eq!(a.nr_tasks(), 1);
///
/// // Moving again to where it is changes nothing.
/// cset::attach_current(&a)?;
/// assert_eq!(cset::with_current_cset(|s| s.id()), in_a);
///
/// // Moving on leaves no reference behind.
/// cset::attach_current(&b)?;
/// assert_eq!(cset::with_current_cset(|s| (s.refcount(), s.nr_tasks())), (1, 1));
/// assert_eq!((a.nr_tasks(), b.nr_tasks()), (0, 1));
/// cset::attach_current(&a)?;
/// assert_eq!(cset::with_current_cset(|s| (s.refcount(), s.nr_tasks())), (1, 1));
///
/// // Moving back finds the first set in the hash table.
/// cset::attach_current(&root.top)?;
/// assert_eq!(cset::with_current_cset(|s| s.id()), home);
/// assert_eq!(a.nr_tasks(), 0);
///
/// // A group with a child or a task cannot be removed; empty ones can.
/// assert_eq!(hierarchy::rmdir(&a), Err(EBUSY));
/// cset::attach_current(&b)?;
/// assert_eq!(hierarchy::rmdir(&b), Err(EBUSY));
/// cset::attach_current(&root.top)?;
/// hierarchy::rmdir(&b)?;
/// hierarchy::rmdir(&a)?;
/// assert_eq!(hierarchy::rmdir(&a), Err(ENODEV));
/// hierarchy::release_hierarchy(root);
/// # Ok::<(), Error>(())
/// ```
pub fn create_hierarchy(name: &[u8]) -> Result<Arc<Root>> {
    super::check_root_name(name)?;
    let mut state = core().state.lock();
    if state.roots.iter().any(|r| r.name.as_slice() == name) {
        return Err(EBUSY);
    }
    let mut owned = KVec::with_capacity(name.len(), GFP_KERNEL)?;
    owned.extend_from_slice(name, GFP_KERNEL)?;
    state.create_root(NewRoot {
        subsys_mask: 0,
        name: owned,
        flags: 0,
        release_agent: KVec::new(),
        clone_children: false,
    })
}

/// Drops the pin of a hierarchy made by [`create_hierarchy`]; it is destroyed if nothing else
/// pins it (a mount) and it has no child group.
pub fn release_hierarchy(root: Arc<Root>) {
    let gone = core().state.lock().unpin(&root);
    drop(root);
    if let Some(root) = gone {
        destroy_root(root);
    }
}

/// Makes a child group `name` of `parent` from kernel code, owned by the current task.
pub fn mkdir(parent: &Arc<Cgroup>, name: &CStr) -> Result<Arc<Cgroup>> {
    if name.as_bytes().contains(&b'\n') {
        return Err(EINVAL);
    }
    let mut state = core().state.lock();
    if parent.is_dead() {
        return Err(crate::error::code::ENODEV);
    }
    // SAFETY: The parent is alive (checked under the core mutex, which `rmdir` needs), so its
    // directory is in the tree.
    let parent_kn = unsafe { kernfs::Node::from_raw(parent.kn()) };
    Cgroup::create(
        &mut state,
        parent,
        parent_kn,
        name,
        kernfs::Attrs::current_owner(0o755),
    )
}

/// Removes the group `cgrp` from kernel code: `EBUSY` if it has a task or a child group,
/// `ENODEV` if it is already removed.
pub fn rmdir(cgrp: &Arc<Cgroup>) -> Result {
    Cgroup::remove(cgrp, &mut core().state.lock())
}

/// Destroys a hierarchy that [`State::unpin`] unlisted, after its last superblock is gone.
pub(super) fn destroy_root(root: Arc<Root>) {
    let kf_root = root.kf_root();
    // SAFETY: The hierarchy is unlisted and unmounted: nothing can reach its kernfs root.
    unsafe { kernfs::destroy_root(kf_root) };
    // Its controllers' root states were moved to the dummy hierarchy when it was unlisted;
    // lockless readers that found the top group through one of them are done after a grace
    // period.
    // SAFETY: Called in process context, with no lock that RCU callbacks need.
    unsafe { bindings::synchronize_rcu() };
    // SAFETY: The kernfs root node held the top group's reference and is gone.
    unsafe { Cgroup::release_dir_ref(&root.top) };
}

/// The global state of the core.
#[pin_data]
pub struct Core {
    /// The core mutex; see the locking rules.
    #[pin]
    pub state: Mutex<State>,
}

static CORE: AtomicPtr<Core> = AtomicPtr::new(ptr::null_mut());

/// The global state; [`init`] must have run (it runs before the filesystem is registered).
pub fn core() -> &'static Core {
    let core = CORE.load(Ordering::Acquire);
    // SAFETY: `init` stores a leaked, never-freed `Core` before anything can call this: every
    // caller is reached through the filesystem, which is registered after `init`.
    unsafe { &*core }
}

/// Allocates the global state, once, at boot.
pub(super) fn init() -> Result {
    if !CORE.load(Ordering::Acquire).is_null() {
        return Err(EINVAL);
    }
    let dummy = Root::new(0, KVec::new(), 0, KVec::new(), 0)?;
    let core = Arc::pin_init(
        pin_init!(Core {
            state <- new_mutex!(
                State {
                    roots: KVec::new(),
                    next_id: 1,
                    dummy,
                },
                "cgroup_mutex"
            ),
        }),
        GFP_KERNEL,
    )?;
    CORE.store(Arc::into_raw(core).cast_mut(), Ordering::Release);
    Ok(())
}
