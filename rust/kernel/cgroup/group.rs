// SPDX-License-Identifier: GPL-2.0

//! Groups ([`Cgroup`]) and the hierarchies they belong to ([`Root`]).
//!
//! See the locking and lifetime rules in the [module documentation](super).

use super::css::RawCss;
use super::dir::Dirs;
use super::id::{SubsysId, NR_SUBSYS};
use super::state::{CoreCell, State};
use crate::{
    alloc::{flags::GFP_KERNEL, KBox, KVec},
    clist::ListHead,
    error::Result,
    kernfs::{DirHandle, Node},
    new_mutex,
    pid_namespace::PidNamespace,
    prelude::*,
    sync::{
        rcu::{self, RcuCounted, RcuWork},
        Arc, Mutex, Refcount,
    },
    types::{ARef, AlwaysRefCounted},
    workqueue::{impl_has_work, new_work, Work},
};
use core::{
    ptr::{self, NonNull},
    sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering},
};

/// Hierarchy flag: control files are not prefixed with the controller's name.
pub const ROOT_NOPREFIX: u32 = 1 << 0;
/// Hierarchy flag: user extended attributes (`xattr`).
pub const ROOT_XATTR: u32 = 1 << 1;
/// Hierarchy flag: cpuset behaves as in version 2 (`cpuset_v2_mode`).
pub const ROOT_CPUSET_V2_MODE: u32 = 1 << 2;
/// Hierarchy flag: favour dynamic changes over fork performance (`favordynmods`).
pub const ROOT_FAVOR_DYNMODS: u32 = 1 << 3;
/// Hierarchy flag: groups other than the top one have `cgroup.kill` (`kill`; not in C's
/// version 1).
pub const ROOT_KILL: u32 = 1 << 4;
/// Hierarchy flag: groups other than the top one have a `<controller>.inherit` file for each
/// controller (`inherit`; not in C's version 1).
pub const ROOT_INHERIT: u32 = 1 << 5;

/// Group flag: run the release agent when the group becomes empty.
pub const CGRP_NOTIFY_ON_RELEASE: u32 = 1 << 0;
/// Group flag: new children copy controller configuration (`cgroup.clone_children`).
pub const CGRP_CLONE_CHILDREN: u32 = 1 << 1;

/// A hierarchy: what its groups share.
///
/// Every group holds a reference on its hierarchy, so a `&Root` reached through a group is
/// valid for as long as the group is, even after the hierarchy was unmounted and destroyed.
#[pin_data]
pub struct Root {
    id: i32,
    name: KVec<u8>,
    flags: u32,
    #[pin]
    release_agent: Mutex<KVec<u8>>,
    subsys_mask: AtomicU32,
    nr_cgroups: AtomicU32,
    /// The active pid namespace of the task that made the hierarchy (its first mounter).
    pid_ns: ARef<PidNamespace>,
}

impl Root {
    /// A new hierarchy's shared data.
    pub(super) fn new(id: i32, name: KVec<u8>, flags: u32, agent: KVec<u8>) -> Result<Arc<Root>> {
        // A task that makes a hierarchy has not been released yet.
        let pid_ns = PidNamespace::current_active().ok_or(ESRCH)?;
        Arc::pin_init(
            pin_init!(Root {
                id,
                name,
                flags,
                release_agent <- new_mutex!(agent, "cgroup_release_agent"),
                subsys_mask: AtomicU32::new(0),
                nr_cgroups: AtomicU32::new(0),
                pid_ns,
            }),
            GFP_KERNEL,
        )
    }

    /// The hierarchy's id, unique among live hierarchies (0 for the dummy one), shown in
    /// `/proc/<pid>/cgroup`.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The pid namespace of the task that made the hierarchy: the numbers of the groups the
    /// kernel names after tasks (ns) are the tasks' numbers there.
    pub fn pid_ns(&self) -> &PidNamespace {
        &self.pid_ns
    }

    /// The `name=` of the hierarchy (empty if none).
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The controllers bound to the hierarchy, one bit per [`SubsysId`]; changed under the
    /// core mutex.
    pub fn subsys_mask(&self) -> u32 {
        self.subsys_mask.load(Ordering::Relaxed)
    }

    /// Whether controller `id` is bound to the hierarchy.
    pub fn has_subsys(&self, id: SubsysId) -> bool {
        self.subsys_mask() & id.bit() != 0
    }

    pub(super) fn set_subsys(&self, id: SubsysId, on: bool) {
        if on {
            self.subsys_mask.fetch_or(id.bit(), Ordering::Relaxed);
        } else {
            self.subsys_mask.fetch_and(!id.bit(), Ordering::Relaxed);
        }
    }

    /// Whether this is the dummy hierarchy, which holds the controllers nobody mounted.
    pub fn is_dummy(&self) -> bool {
        self.id == 0
    }

    /// Whether the hierarchy has flag `flag` (`ROOT_*`), fixed at creation.
    pub fn has_flag(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// The `ROOT_*` flags.
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// The number of live groups in the hierarchy, the top group included.
    pub fn nr_cgroups(&self) -> u32 {
        self.nr_cgroups.load(Ordering::Relaxed)
    }

    /// Calls `f` with the release agent's path (empty if none).
    pub fn with_release_agent<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(&self.release_agent.lock())
    }

    /// Replaces the release agent's path. The callers check the privilege this needs.
    pub(super) fn set_release_agent(&self, path: KVec<u8>) {
        *self.release_agent.lock() = path;
    }
}

/// A group's children and siblings: a list changed under the core mutex and walked under the
/// core mutex or RCU (`first_child` and `next_sibling` are published with release stores;
/// `last_child` and `prev_sibling` are only used under the mutex).
struct Tree {
    /// Live child groups; changed under the core mutex.
    nr_children: AtomicU32,
    first_child: AtomicPtr<Cgroup>,
    last_child: AtomicPtr<Cgroup>,
    next_sibling: AtomicPtr<Cgroup>,
    prev_sibling: AtomicPtr<Cgroup>,
    /// The group's place in the order of creation of all groups: siblings are listed in this
    /// order, so a walk whose position was removed can find where to go on.
    serial: u64,
}

impl Tree {
    const fn new(serial: u64) -> Self {
        Tree {
            serial,
            nr_children: AtomicU32::new(0),
            first_child: AtomicPtr::new(ptr::null_mut()),
            last_child: AtomicPtr::new(ptr::null_mut()),
            next_sibling: AtomicPtr::new(ptr::null_mut()),
            prev_sibling: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// The states of a group's controllers.
struct Slots {
    /// The states of the controllers bound to the hierarchy, by controller id: for a top group
    /// the controllers' root states, set and cleared at (un)binding under the core mutex; for
    /// other groups states owned by the group, made at creation (or when a controller is bound
    /// to the hierarchy later, by a remount) and freed with it, or, for the controllers in
    /// `inherit`, the state of the nearest ancestor that has one of its own.
    css: [AtomicPtr<RawCss>; NR_SUBSYS],
    /// The controllers whose state the group shares with its parent (`<controller>.inherit`),
    /// one bit per id: their slots in `css` are not the group's. Changed under the core
    /// mutex, with the slot.
    inherit: AtomicU32,
    /// States of a child group taken off `css` when their controller left the hierarchy or the
    /// group started sharing its parent's (`Cgroup::retire_css`, `Cgroup::share_css`), linked
    /// through `RawCss::retired_next`: owned by the group and freed with it. Changed under the
    /// core mutex.
    retired: AtomicPtr<RawCss>,
}

/// A group of tasks in one hierarchy (C's `struct cgroup`).
///
/// # Invariants
///
/// Every `Cgroup` is made by [`rcu::new_counted`] (in `Cgroup::new`) and reference counted by
/// `refcount`; it is freed after an RCU grace period, in process context, once the count drops
/// to zero, so a `&Cgroup` found under `rcu_read_lock()` stays valid until the read-side
/// section ends. Each child holds a reference on its parent.
#[pin_data(PinnedDrop)]
pub struct Cgroup {
    refcount: Refcount,
    root: Arc<Root>,
    parent: Option<ARef<Cgroup>>,
    /// The group's kernfs directory node, set once (with a count reference owned by the group)
    /// before the group is published; `/proc/<pid>/cgroup` of an exited task may still print
    /// the path of a removed group.
    kn: AtomicPtr<Node>,
    /// The owner of the group's directory, for a child group until `rmdir` (a top group's
    /// directory is its hierarchy's root directory, owned by the hierarchy).
    dir: CoreCell<Option<DirHandle<Dirs>>>,
    /// `CGRP_*` flags.
    flags: AtomicU32,
    /// Set (under the core mutex) when the group is removed.
    dead: AtomicBool,
    /// The group's place in the tree.
    tree: Tree,
    /// The css_sets that name this group, and how many of them have tasks: see
    /// [`super::cset`], under the css_set lock.
    #[pin]
    pub(super) cset_links: ListHead,
    pub(super) nr_populated_csets: AtomicU32,
    /// The states of the group's controllers.
    slots: Slots,
    /// Runs the release agent for this group (see [`super::release`]).
    #[pin]
    release_work: Work<Cgroup>,
    rcu_work: RcuWork,
}

impl_has_work! {
    impl HasWork<Self> for Cgroup { self.release_work }
}

// SAFETY: The lists a group is on and holds are only touched under the core mutex or the
// css_set lock (see the field docs); everything else is atomic or immutable.
unsafe impl Sync for Cgroup {}
// SAFETY: As above; a group is freed by whichever thread drops the last reference.
unsafe impl Send for Cgroup {}

crate::impl_has_rcu_work! {
    impl HasRcuWork for Cgroup { self.rcu_work }
}

#[pinned_drop]
impl PinnedDrop for Cgroup {
    fn drop(self: core::pin::Pin<&mut Self>) {
        if let Some(kn) = NonNull::new(self.kn.swap(ptr::null_mut(), Ordering::Relaxed)) {
            // SAFETY: The count reference stored by `set_node`, given back once.
            drop(unsafe { ARef::<Node>::from_raw(kn) });
        }
        if self.is_top() {
            // A top group's entries are root states, which are never freed.
            return;
        }
        // Its states: those in the slots (not those it shares with an ancestor), then the
        // retired ones.
        let inherit = self.slots.inherit.load(Ordering::Relaxed);
        let mut slots = self
            .slots
            .css
            .iter()
            .enumerate()
            .filter(|(i, _)| inherit & (1 << i) == 0)
            .map(|(_, slot)| slot);
        let mut retired = self.slots.retired.swap(ptr::null_mut(), Ordering::Relaxed);
        loop {
            let p = match slots.next() {
                Some(slot) => slot.swap(ptr::null_mut(), Ordering::Relaxed),
                None if !retired.is_null() => retired,
                None => break,
            };
            let Some(css) = NonNull::new(p) else {
                continue;
            };
            // SAFETY: A child group's own states were made for it as boxes (`set_css`, `own`),
            // each in one slot not marked in `inherit` or on the retired list, and are only
            // reachable through the group and the css_sets naming it, all gone now.
            let css = unsafe { KBox::from_raw(css.as_ptr()) };
            if ptr::eq(p, retired) {
                retired = css.retired_next.load(Ordering::Relaxed);
            }
            drop(css);
        }
    }
}

// SAFETY: `refcount` is the group's count, used as `RcuCounted` requires.
unsafe impl RcuCounted for Cgroup {
    fn refcount(&self, _: rcu::CountAccess) -> &Refcount {
        &self.refcount
    }

    /// Freed in process context: its kernfs node and controller states go with it.
    fn free(this: KBox<Self>) {
        rcu::drop_after_grace_period(this);
    }
}

// SAFETY: Every `Cgroup` is made by `rcu::new_counted` and counted by `refcount` (type
// invariants).
unsafe impl AlwaysRefCounted for Cgroup {
    fn inc_ref(&self) {
        self.refcount.inc();
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives its reference up.
        unsafe { rcu::dec_counted(obj) };
    }
}

/// A reference to a group, dropped after an RCU grace period.
struct DeferredPut {
    _group: ARef<Cgroup>,
    rcu_work: RcuWork,
}

crate::impl_has_rcu_work! {
    impl HasRcuWork for DeferredPut { self.rcu_work }
}

/// Drops `group`, a reference that kept it in the tree (its directory's, or its hierarchy's for
/// a top group), once every RCU reader that may have found it through the tree is done.
///
/// So a group found under `rcu_read_lock()` by a walk of the tree ([`Cgroup::children`],
/// [`Cgroup::descendants_pre`]) or as a root state's group keeps a non-zero count until the
/// read-side section ends, and taking a reference on it (`ARef::from`) is allowed then, as for
/// a group found through a css_set, whose references are dropped after a grace period too.
pub(super) fn put_after_grace_period(group: ARef<Cgroup>) {
    // The box holds a reference of its own, so that `group` is still ours if allocating fails.
    let deferred = KBox::new(
        DeferredPut {
            _group: group.clone(),
            rcu_work: RcuWork::new(),
        },
        GFP_KERNEL,
    );
    match deferred {
        Ok(b) => rcu::drop_after_grace_period(b),
        // Out of memory: wait for the readers here instead.
        Err(_) => rcu::synchronize_rcu(),
    }
    drop(group);
}

impl Cgroup {
    /// A new group of `root`, child of `parent`, with flags `flags`; one reference, the
    /// caller's.
    pub(super) fn new(
        root: Arc<Root>,
        parent: Option<ARef<Cgroup>>,
        flags: u32,
    ) -> Result<ARef<Cgroup>> {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        // Groups are made under the core mutex (the dummy group before it exists): siblings,
        // linked in order of creation, have increasing serials.
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        rcu::new_counted(
            pin_init!(Cgroup {
                refcount: Refcount::new(1),
                root,
                parent,
                kn: AtomicPtr::new(ptr::null_mut()),
                dir: CoreCell::new(None),
                flags: AtomicU32::new(flags),
                dead: AtomicBool::new(false),
                tree: Tree::new(serial),
                cset_links <- ListHead::new(),
                nr_populated_csets: AtomicU32::new(0),
                slots: Slots {
                    css: [const { AtomicPtr::new(ptr::null_mut()) }; NR_SUBSYS],
                    inherit: AtomicU32::new(0),
                    retired: AtomicPtr::new(ptr::null_mut()),
                },
                release_work <- new_work!("Cgroup::release_work"),
                rcu_work: RcuWork::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// The hierarchy this group belongs to.
    pub fn root(&self) -> &Root {
        &self.root
    }

    pub(super) fn root_arc(&self) -> &Arc<Root> {
        &self.root
    }

    /// The id of the hierarchy this group belongs to.
    pub fn root_id(&self) -> i32 {
        self.root.id
    }

    /// The parent group, `None` for the top group of a hierarchy.
    pub fn parent(&self) -> Option<&Cgroup> {
        self.parent.as_deref()
    }

    /// Whether this group is `ancestor` or one of its descendants (C's
    /// `cgroup_is_descendant()`). Groups of different hierarchies are never related.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::c_str;
    /// use kernel::cgroup::hierarchy;
    /// // SAFETY: KUnit runs the doctests in a kernel thread that holds no lock.
    /// let u = unsafe { kernel::cgroup::Unlocked::assume() };
    ///
    /// let h = hierarchy::create_hierarchy(b"kunit_descendant", &u)?;
    /// let a = hierarchy::mkdir(h.top(), c_str!("a"), &u)?;
    /// let b = hierarchy::mkdir(&a, c_str!("b"), &u)?;
    /// let c = hierarchy::mkdir(h.top(), c_str!("c"), &u)?;
    /// assert!(b.is_descendant_of(&a) && b.is_descendant_of(h.top()) && b.is_descendant_of(&b));
    /// assert!(!a.is_descendant_of(&b) && !c.is_descendant_of(&a));
    /// assert!(!h.top().is_descendant_of(&a));
    /// for g in [&b, &a, &c] {
    ///     hierarchy::rmdir(g, &u)?;
    /// }
    /// hierarchy::release_hierarchy(h);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn is_descendant_of(&self, ancestor: &Cgroup) -> bool {
        let mut at = Some(self);
        while let Some(g) = at {
            if core::ptr::eq(g, ancestor) {
                return true;
            }
            at = g.parent();
        }
        false
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
        self.tree.nr_children.load(Ordering::Relaxed)
    }

    /// Whether tasks are in the group itself (not counting descendants).
    pub fn has_tasks(&self) -> bool {
        self.nr_populated_csets.load(Ordering::Relaxed) != 0
    }

    /// Whether the group has been removed (`rmdir`) or its hierarchy destroyed.
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Marks the group removed. Called under the core mutex.
    pub(super) fn set_dead(&self, _state: &State) {
        self.dead.store(true, Ordering::Release);
    }

    /// The state of controller `id` in this group, if the controller is bound to its
    /// hierarchy: the group's own, or for a group that inherits it (`<controller>.inherit`)
    /// the state of its nearest ancestor that has one of its own.
    pub fn css(&self, id: SubsysId) -> Option<&RawCss> {
        let css = self.slots.css[id as usize].load(Ordering::Acquire);
        // SAFETY: A non-null entry is a root state (never freed), a state owned by the group,
        // freed only with it, or the state of an ancestor, freed only with the ancestor, which
        // outlives the group (each child holds a reference on its parent).
        unsafe { css.as_ref() }
    }

    /// The state of controller `id` that belongs to this group: `None` if the controller is
    /// not bound to its hierarchy or the group inherits it.
    pub fn own_css(&self, id: SubsysId) -> Option<&RawCss> {
        if self.inherits(id) {
            return None;
        }
        self.css(id)
    }

    /// Whether the group shares its parent's state of controller `id` (`<controller>.inherit`).
    pub fn inherits(&self, id: SubsysId) -> bool {
        self.slots.inherit.load(Ordering::Acquire) & id.bit() != 0
    }

    /// Whether the group's state of controller `id` is `css` (its own or an inherited one).
    pub fn uses_css(&self, id: SubsysId, css: &RawCss) -> bool {
        ptr::eq(self.slots.css[id as usize].load(Ordering::Relaxed), css)
    }

    /// Sets the state of controller `id`: a root state at (un)binding (top groups), or a new
    /// group's own state, made for it by [`RawCss`]'s constructor. Under the core mutex.
    pub(super) fn set_css(&self, _state: &State, id: SubsysId, css: *const RawCss) {
        self.slots.css[id as usize].store(css.cast_mut(), Ordering::Release);
    }

    /// The group's directory node (`None` before it is created).
    pub fn node(&self) -> Option<&Node> {
        // SAFETY: Set once with a count reference that the group owns until it is freed.
        unsafe { self.kn.load(Ordering::Acquire).as_ref() }
    }

    /// Records the group's directory node, once. Under the core mutex.
    pub(super) fn set_node(&self, _state: &State, node: ARef<Node>) {
        let kn = ARef::into_raw(node).as_ptr();
        if let Err(kn) =
            self.kn
                .compare_exchange(ptr::null_mut(), kn, Ordering::Release, Ordering::Relaxed)
        {
            // Already set: give the extra reference back.
            // SAFETY: `kn` is the reference made by `into_raw` above.
            drop(unsafe { ARef::from_raw(NonNull::new_unchecked(kn)) });
        }
    }

    /// The owner of a child group's directory, until `rmdir` takes it.
    pub(super) fn dir_slot_ref<'a>(&'a self, state: &'a State) -> &'a Option<DirHandle<Dirs>> {
        self.dir.get(state)
    }

    /// The owner of a child group's directory, mutably, until `rmdir` takes it.
    pub(super) fn dir_slot<'a>(&'a self, state: &'a mut State) -> &'a mut Option<DirHandle<Dirs>> {
        self.dir.get_mut(state)
    }

    /// Writes the group's name (`/` for a top group) into `buf` and returns it.
    pub fn name_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        match self.node() {
            Some(node) if !self.is_top() => node.name_into(buf),
            _ => {
                let slash = buf.get_mut(..1).ok_or(E2BIG)?;
                slash[0] = b'/';
                Ok(slash)
            }
        }
    }

    /// Writes the group's path from the top of its hierarchy (`/` for the top group) into `buf`
    /// and returns it.
    pub fn path_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        match self.node() {
            Some(node) => node.path_into(buf),
            None => self.name_into(buf),
        }
    }

    /// Writes the group's path relative to `base`, a group of the same hierarchy, into `buf`
    /// and returns it (see [`Node::path_from_into`]); the path from the top if either
    /// group has no directory.
    pub fn path_from_into<'b>(&self, base: &Cgroup, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        match (self.node(), base.node()) {
            (Some(node), Some(from)) => node.path_from_into(from, buf),
            _ => self.path_into(buf),
        }
    }

    /// Adds `child` to this group's children. Under the core mutex.
    pub(super) fn link_child(&self, _state: &State, child: &Cgroup) {
        let raw = ptr::from_ref(child).cast_mut();
        let last = self.tree.last_child.load(Ordering::Relaxed);
        child.tree.prev_sibling.store(last, Ordering::Relaxed);
        child
            .tree
            .next_sibling
            .store(ptr::null_mut(), Ordering::Relaxed);
        match self.last_child(_state) {
            Some(last) => last.tree.next_sibling.store(raw, Ordering::Release),
            None => self.tree.first_child.store(raw, Ordering::Release),
        }
        self.tree.last_child.store(raw, Ordering::Relaxed);
        self.tree.nr_children.fetch_add(1, Ordering::Relaxed);
        self.root.nr_cgroups.fetch_add(1, Ordering::Relaxed);
    }

    /// Removes `child` from this group's children. Under the core mutex. A reader walking the
    /// list under RCU may still be on `child` and goes on from it to its old next sibling.
    pub(super) fn unlink_child(&self, _state: &State, child: &Cgroup) {
        let prev = child.tree.prev_sibling.load(Ordering::Relaxed);
        let next = child.tree.next_sibling.load(Ordering::Relaxed);
        // SAFETY: Both are live children of this group, or null: the list holds live children
        // only, and changes under the core mutex, which we hold (`_state`).
        let (prev_ref, next_ref) = unsafe { (prev.as_ref(), next.as_ref()) };
        match prev_ref {
            Some(prev) => prev.tree.next_sibling.store(next, Ordering::Release),
            None => self.tree.first_child.store(next, Ordering::Release),
        }
        match next_ref {
            Some(next) => next.tree.prev_sibling.store(prev, Ordering::Relaxed),
            None => self.tree.last_child.store(prev, Ordering::Relaxed),
        }
        self.tree.nr_children.fetch_sub(1, Ordering::Relaxed);
        self.root.nr_cgroups.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts the top group of a new hierarchy.
    pub(super) fn count_top(&self) {
        self.root.nr_cgroups.fetch_add(1, Ordering::Relaxed);
    }

    /// The youngest child, under the core mutex (`_state`), which keeps it alive.
    fn last_child<'a>(&'a self, _state: &'a State) -> Option<&'a Cgroup> {
        // SAFETY: The list holds live children only, and changes under the core mutex, which
        // the caller holds.
        unsafe { self.tree.last_child.load(Ordering::Relaxed).as_ref() }
    }
}

// --- Walks of the tree. ---

impl Cgroup {
    /// The live children of the group, oldest first, under `rcu_read_lock()`. A child removed
    /// during the walk may still be seen (see [`Cgroup::is_dead`]); a reference may be taken on
    /// any child seen, to use it after the read-side section (see `put_after_grace_period`).
    pub fn children<'a>(&'a self, _rcu: &'a rcu::Guard) -> Children<'a> {
        Children {
            next: self.first_child(),
        }
    }

    /// The group and its live descendants in pre-order (each group before its children),
    /// under `rcu_read_lock()`. A group removed during the walk may still be seen.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::c_str;
    /// use kernel::cgroup::{hierarchy, Cgroup};
    /// use kernel::sync::rcu;
    /// // SAFETY: KUnit runs the doctests in a kernel thread that holds no lock.
    /// let u = unsafe { kernel::cgroup::Unlocked::assume() };
    ///
    /// let h = hierarchy::create_hierarchy(b"kunit_walk", &u)?;
    /// let a = hierarchy::mkdir(h.top(), c_str!("a"), &u)?;
    /// let b = hierarchy::mkdir(&a, c_str!("b"), &u)?;
    /// let c = hierarchy::mkdir(h.top(), c_str!("c"), &u)?;
    /// let d = hierarchy::mkdir(&b, c_str!("d"), &u)?;
    /// let mut buf = [0u8; 64];
    /// let mut walked = KVec::new();
    /// {
    ///     let guard = rcu::read_lock();
    ///     for g in h.top().descendants_pre(&guard) {
    ///         let mut name = [0u8; 16];
    ///         walked.push(g.name_into(&mut name)?[0], GFP_ATOMIC)?;
    ///     }
    ///     assert_eq!(h.top().children(&guard).count(), 2);
    ///     assert_eq!(b.children(&guard).count(), 1);
    ///     assert!(d.descendants_pre(&guard).all(|g| core::ptr::eq(g, &*d)));
    /// }
    /// assert_eq!(&walked[..], b"/abdc");
    /// assert_eq!(d.path_into(&mut buf)?, b"/a/b/d");
    ///
    /// hierarchy::rmdir(&c, &u)?;
    /// {
    ///     let guard = rcu::read_lock();
    ///     assert_eq!(h.top().descendants_pre(&guard).count(), 4);
    /// }
    /// hierarchy::rmdir(&d, &u)?;
    /// hierarchy::rmdir(&b, &u)?;
    /// hierarchy::rmdir(&a, &u)?;
    /// hierarchy::release_hierarchy(h);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn descendants_pre<'a>(&'a self, _rcu: &'a rcu::Guard) -> DescendantsPre<'a> {
        DescendantsPre {
            top: self,
            next: Some(self),
        }
    }

    /// The group's live descendants and the group itself in post-order (each group after its
    /// children, the group last), under `rcu_read_lock()`: for work that must be done below a
    /// group before it is done on the group. A group removed during the walk may still be seen.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::c_str;
    /// use kernel::cgroup::hierarchy;
    /// use kernel::sync::rcu;
    /// // SAFETY: KUnit runs the doctests in a kernel thread that holds no lock.
    /// let u = unsafe { kernel::cgroup::Unlocked::assume() };
    ///
    /// let h = hierarchy::create_hierarchy(b"kunit_post", &u)?;
    /// let a = hierarchy::mkdir(h.top(), c_str!("a"), &u)?;
    /// let b = hierarchy::mkdir(&a, c_str!("b"), &u)?;
    /// let c = hierarchy::mkdir(h.top(), c_str!("c"), &u)?;
    /// let d = hierarchy::mkdir(&b, c_str!("d"), &u)?;
    /// let e = hierarchy::mkdir(&a, c_str!("e"), &u)?;
    /// let walk = |from: &kernel::cgroup::Cgroup| -> Result<KVec<u8>> {
    ///     let mut walked = KVec::new();
    ///     let guard = rcu::read_lock();
    ///     for g in from.descendants_post(&guard) {
    ///         let mut name = [0u8; 16];
    ///         walked.push(g.name_into(&mut name)?[0], GFP_ATOMIC)?;
    ///     }
    ///     Ok(walked)
    /// };
    /// assert_eq!(&walk(h.top())?[..], b"dbeac/");
    /// assert_eq!(&walk(&a)?[..], b"dbea");
    /// assert_eq!(&walk(&d)?[..], b"d");
    ///
    /// assert!(hierarchy::rmdir(&b, &u).is_err()); // It has a child.
    /// hierarchy::rmdir(&d, &u)?;
    /// assert_eq!(&walk(&a)?[..], b"bea");
    /// for g in [&e, &b, &a, &c] {
    ///     hierarchy::rmdir(g, &u)?;
    /// }
    /// assert_eq!(&walk(h.top())?[..], b"/");
    /// hierarchy::release_hierarchy(h);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn descendants_post<'a>(&'a self, _rcu: &'a rcu::Guard) -> DescendantsPost<'a> {
        DescendantsPost {
            top: self,
            next: Some(self.leftmost_descendant()),
        }
    }

    /// The first group without children found by descending through first children.
    fn leftmost_descendant(&self) -> &Cgroup {
        let mut pos = self;
        while let Some(child) = pos.first_child() {
            pos = child;
        }
        pos
    }

    /// The sibling after this group, under RCU, even if this group was removed meanwhile (a
    /// walk that paused on it, holding a reference): then the first live sibling made after it
    /// (siblings are listed in order of creation).
    pub(super) fn next_sibling_rcu<'a>(&'a self, rcu: &'a rcu::Guard) -> Option<&'a Cgroup> {
        if !self.is_dead() {
            return self.next_sibling();
        }
        let serial = self.tree.serial;
        self.parent()?
            .children(rcu)
            .find(|c| c.tree.serial > serial)
    }

    fn first_child(&self) -> Option<&Cgroup> {
        // SAFETY: The list holds live children, which are valid for as long as the walker holds
        // the core mutex or RCU (the callers' lifetimes), since groups are freed after a grace
        // period and only once unlinked.
        unsafe { self.tree.first_child.load(Ordering::Acquire).as_ref() }
    }

    fn next_sibling(&self) -> Option<&Cgroup> {
        // SAFETY: As in `first_child`.
        unsafe { self.tree.next_sibling.load(Ordering::Acquire).as_ref() }
    }
}

/// The children of a group, see [`Cgroup::children`].
pub struct Children<'a> {
    next: Option<&'a Cgroup>,
}

impl<'a> Iterator for Children<'a> {
    type Item = &'a Cgroup;

    fn next(&mut self) -> Option<&'a Cgroup> {
        // The iterator lives under RCU ('a), which keeps listed groups valid (see
        // `Cgroup::first_child`).
        let cur = self.next?;
        self.next = cur.next_sibling();
        Some(cur)
    }
}

/// A pre-order walk of a subtree, see [`Cgroup::descendants_pre`].
pub struct DescendantsPre<'a> {
    top: &'a Cgroup,
    next: Option<&'a Cgroup>,
}

impl<'a> Iterator for DescendantsPre<'a> {
    type Item = &'a Cgroup;

    fn next(&mut self) -> Option<&'a Cgroup> {
        let cur = self.next?;
        // Descend first; otherwise the next sibling of the nearest group that has one, up to
        // (not beyond) the top of the walk.
        let mut following = cur.first_child();
        let mut pos = cur;
        while following.is_none() && !ptr::eq(pos, self.top) {
            following = pos.next_sibling();
            match pos.parent() {
                Some(parent) => pos = parent,
                None => break,
            }
        }
        self.next = following;
        Some(cur)
    }
}

/// A post-order walk of a subtree, see [`Cgroup::descendants_post`].
pub struct DescendantsPost<'a> {
    top: &'a Cgroup,
    next: Option<&'a Cgroup>,
}

impl<'a> Iterator for DescendantsPost<'a> {
    type Item = &'a Cgroup;

    fn next(&mut self) -> Option<&'a Cgroup> {
        let cur = self.next?;
        // After a group come its next sibling's subtree, leftmost group first, or else its
        // parent; the walk ends with its top.
        self.next = if ptr::eq(cur, self.top) {
            None
        } else {
            match cur.next_sibling() {
                Some(sibling) => Some(sibling.leftmost_descendant()),
                None => cur.parent(),
            }
        };
        Some(cur)
    }
}

// --- Switching states: rebinding and sharing a parent's state. ---

impl Cgroup {
    /// Makes the child group share `css`, its parent's state of controller `id`. Its own state,
    /// if it has one (offline by now, and no css_set pointing to it), is retired as by
    /// [`Cgroup::retire_css`]. Under the core mutex.
    pub(super) fn share_css(&self, _state: &State, id: SubsysId, css: &RawCss) {
        if self.is_top() {
            return;
        }
        self.push_retired(id);
        // The bit first: a reader of `own_css()` sees no state or its own, never the parent's;
        // one of `css()` sees the old state or the new one.
        self.slots.inherit.fetch_or(id.bit(), Ordering::Release);
        self.slots.css[id as usize].store(ptr::from_ref(css).cast_mut(), Ordering::Release);
    }

    /// Gives the child group `css`, a state made for it by [`RawCss`]'s constructor, in place
    /// of the one it inherited. Under the core mutex.
    pub(super) fn own(&self, _state: &State, id: SubsysId, css: KBox<RawCss>) {
        self.slots.css[id as usize].store(KBox::into_raw(css), Ordering::Release);
        self.slots.inherit.fetch_and(!id.bit(), Ordering::Release);
    }

    /// Takes the state of controller `id` off this child group, whose hierarchy the controller
    /// is leaving or which now inherits it, and keeps it until the group is freed: a `&RawCss`
    /// read from the group (by a control file's operation, or under RCU) lives as long as the
    /// group. A state the group inherits is only forgotten. Under the core mutex, once the
    /// state is offline and no css_set points to it.
    pub(super) fn retire_css(&self, _state: &State, id: SubsysId) {
        if self.is_top() {
            return;
        }
        if self.inherits(id) {
            self.slots.css[id as usize].store(ptr::null_mut(), Ordering::Release);
            self.slots.inherit.fetch_and(!id.bit(), Ordering::Release);
            return;
        }
        self.push_retired(id);
        self.slots.css[id as usize].store(ptr::null_mut(), Ordering::Release);
    }

    /// Puts the state of controller `id` that this group owns, if any, on its retired list
    /// (freed with the group); the slot is left to the caller. Under the core mutex.
    fn push_retired(&self, id: SubsysId) {
        let Some(own) = self.own_css(id) else {
            return;
        };
        own.retired_next.store(
            self.slots.retired.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        self.slots
            .retired
            .store(ptr::from_ref(own).cast_mut(), Ordering::Relaxed);
    }
}
