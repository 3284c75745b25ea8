// SPDX-License-Identifier: GPL-2.0

//! css_sets: the set of groups, one per hierarchy, that a task is in.
//!
//! Every task points to one [`CssSet`] (`task_struct::rcg_cset`), shared by all tasks that are
//! in exactly the same groups and found through a hash table when a task moves. A set's
//! identity is the list of its groups that are not the top group of their hierarchy, so a new
//! hierarchy changes no identity: a task is in the top group of every hierarchy its set does
//! not name.
//!
//! Each set is *linked* (C's `cgrp_cset_link`) to its group in every live hierarchy, top groups
//! included: a group keeps the list of the sets that name it, and a set the list of its links.
//! Each set keeps the list of its tasks (`task_struct::rcg_node`). So listing a group's tasks,
//! counting them, and knowing whether it has any cost what the group holds, never what the
//! system holds: a group counts its sets that have tasks (`nr_populated_csets`), updated only
//! when a set gains its first task or loses its last one.
//!
//! # Locking
//!
//! - **The css_set lock** (an IRQ-safe spinlock, C's `css_set_lock`, in [`super::hierarchy::Core`])
//!   guards the hash table, every set's task list, link list and task count, every group's
//!   link list and populated count, the paused task cursors, and every change of a task's
//!   `rcg_cset`. It is taken last, inside the core mutex and the threadgroup rwsem, and never
//!   held for long: walks of a group's tasks drop it every [`TaskCursor`] batch.
//! - Sets are created, and links to a new hierarchy's top group made, only under the core
//!   mutex.
//! - A task's `rcg_cset` is written with release ordering under the css_set lock. It is read by
//!   the task itself (whose set only moves with the threadgroup rwsem held for writing, which
//!   fork and exit exclude while they read it), under the css_set lock, or under RCU.
//!
//! # References
//!
//! A set is counted: one reference per task pointing at it (from `cgroup_can_fork()` until
//! `cgroup_free()`), plus temporary ones. The last one is dropped under the css_set lock, which
//! unhashes and unlinks the set at the same time, so a lookup or a walk (under the lock) never
//! finds a set whose count reached zero. The set is then freed after an RCU grace period (for
//! lockless readers), in process context (dropping its groups may free them).
//!
//! Each set also points to the state of every registered controller
//! ([`super::css::RawCss`]): the state of its group in the controller's hierarchy, or the
//! controller's root state when that group is the top one. The groups it holds keep those
//! states alive.

use super::css::RawCss;
use super::group::{Cgroup, Root};
use super::hierarchy::{Core, State};
use super::subsys::{self, SubsysId, NR_SUBSYS};
use crate::{
    alloc::{
        flags::{GFP_ATOMIC, GFP_KERNEL},
        KBox, KVec,
    },
    bindings,
    error::{code::ENOMEM, Result},
    init::PinInit,
    prelude::*,
    sync::{
        lock::{spinlock::SpinLockIrqBackend, Guard},
        rcu::{self, RcuWork},
        Refcount,
    },
    task::Task,
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::{
    mem::offset_of,
    pin::Pin,
    ptr::{self, NonNull},
    sync::atomic::{AtomicPtr, AtomicU32, Ordering},
};

/// The number of hash buckets of the css_set table.
const NR_BUCKETS: usize = 128;

/// The data guarded by the css_set lock that is not spread over sets, groups and tasks.
pub(super) struct CsetTable {
    buckets: [KVec<*const CssSet>; NR_BUCKETS],
}

// SAFETY: The table only holds pointers to sets, which are `Sync`; it is only accessed under the
// css_set lock.
unsafe impl Send for CsetTable {}

impl CsetTable {
    pub(super) const fn new() -> Self {
        CsetTable {
            buckets: [const { KVec::new() }; NR_BUCKETS],
        }
    }

    fn bucket(&mut self, hash: u64) -> &mut KVec<*const CssSet> {
        &mut self.buckets[(hash % NR_BUCKETS as u64) as usize]
    }

    /// Every set in the table. The lock (our `&self`) keeps them alive.
    fn sets(&self) -> impl Iterator<Item = &CssSet> {
        // SAFETY: Sets are in the table while their count is not zero; they are removed from it
        // under the lock before they are freed.
        self.buckets
            .iter()
            .flat_map(|b| b.iter())
            .map(|&c| unsafe { &*c })
    }
}

/// Holds the css_set lock.
pub(super) type CsetGuard<'a> = Guard<'a, CsetTable, SpinLockIrqBackend>;

fn lock(core: &Core) -> CsetGuard<'_> {
    core.csets.lock()
}

/// Intrusive C lists (`struct list_head`) whose nodes live in tasks, sets, links and cursors.
/// Every list here is guarded by the css_set lock.
mod raw {
    use super::*;

    /// A list head, or a node of a list, initialised pointing to itself (empty or unlinked).
    #[repr(transparent)]
    pub(super) struct Head(Opaque<bindings::list_head>);

    impl Head {
        pub(super) fn new() -> impl PinInit<Self> {
            // SAFETY: `init` writes both fields of the list head at `slot`, which is its
            // final place (pinned).
            unsafe {
                crate::init::pin_init_from_closure(|slot: *mut Self| {
                    let p = Opaque::raw_get(ptr::addr_of!((*slot).0));
                    init(p);
                    Ok(())
                })
            }
        }

        pub(super) fn ptr(&self) -> *mut bindings::list_head {
            self.0.get()
        }
    }

    /// Initialises `p` as an empty list or an unlinked node.
    ///
    /// # Safety
    ///
    /// `p` must be valid for writes.
    pub(super) unsafe fn init(p: *mut bindings::list_head) {
        // SAFETY: Guaranteed by the caller.
        unsafe {
            (*p).next = p;
            (*p).prev = p;
        }
    }

    /// Adds `node` at the end of the list `head`.
    ///
    /// # Safety
    ///
    /// Both must be valid and initialised, `node` on no list, `head` a list; the lock guarding
    /// the list held. `node` must stay valid while it is on the list.
    pub(super) unsafe fn add_tail(node: *mut bindings::list_head, head: *mut bindings::list_head) {
        // SAFETY: Guaranteed by the caller.
        unsafe {
            let prev = (*head).prev;
            (*node).next = head;
            (*node).prev = prev;
            (*prev).next = node;
            (*head).prev = node;
        }
    }

    /// Unlinks `node` from its list (if it is on one) and leaves it pointing to itself.
    ///
    /// # Safety
    ///
    /// `node` must be valid and initialised, and the lock guarding its list held.
    pub(super) unsafe fn del_init(node: *mut bindings::list_head) {
        // SAFETY: Guaranteed by the caller: an unlinked node points to itself, so this is a
        // no-op for it.
        unsafe {
            let (prev, next) = ((*node).prev, (*node).next);
            (*prev).next = next;
            (*next).prev = prev;
            init(node);
        }
    }

    /// Whether `node` is on no list (or `head` is an empty list).
    ///
    /// # Safety
    ///
    /// `node` must be valid and initialised, and the lock guarding its list held.
    pub(super) unsafe fn is_empty(node: *const bindings::list_head) -> bool {
        // SAFETY: Guaranteed by the caller.
        unsafe { ptr::eq((*node).next, node) }
    }

    /// The node after `node`.
    ///
    /// # Safety
    ///
    /// As for [`is_empty`].
    pub(super) unsafe fn next(node: *const bindings::list_head) -> *mut bindings::list_head {
        // SAFETY: Guaranteed by the caller.
        unsafe { (*node).next }
    }

    /// The object of type `T` whose field at `offset` is `node`.
    pub(super) fn container<T>(node: *mut bindings::list_head, offset: usize) -> *mut T {
        node.cast::<u8>().wrapping_sub(offset).cast()
    }
}

use raw::Head;

/// A group's list of the links of the sets that name it.
#[repr(transparent)]
pub(super) struct LinkList(Head);

impl LinkList {
    pub(super) fn new() -> impl PinInit<Self> {
        // SAFETY: `LinkList` is a transparent wrapper of `Head`: initialising its only field
        // initialises it.
        unsafe {
            crate::init::pin_init_from_closure(|slot: *mut Self| {
                Head::new().__pinned_init(slot.cast::<Head>())
            })
        }
    }
}

/// The link between a set and one of its groups.
///
/// # Invariants
///
/// `cset` is the set that owns the link (set when it is linked, under the css_set lock). While
/// linked, `cset_node` is on the set's link list and `cgrp_node` on the group's.
#[pin_data]
struct Link {
    #[pin]
    cset_node: Head,
    #[pin]
    cgrp_node: Head,
    cset: AtomicPtr<CssSet>,
    cgrp: ARef<Cgroup>,
}

impl Link {
    fn new(cgrp: ARef<Cgroup>) -> Result<Pin<KBox<Link>>> {
        KBox::pin_init(
            pin_init!(Link {
                cset_node <- Head::new(),
                cgrp_node <- Head::new(),
                cset: AtomicPtr::new(ptr::null_mut()),
                cgrp,
            }),
            GFP_KERNEL,
        )
    }

    /// Links `link` into `cset`'s list and its group's, handing its ownership to the set.
    fn attach(_guard: &mut CsetGuard<'_>, link: Pin<KBox<Link>>, cset: &CssSet) {
        // SAFETY: The link is not moved out of its box: it is freed as a box again by
        // `CssSet::drop` or `unlink_top`.
        let link: &Link = KBox::leak(unsafe { Pin::into_inner_unchecked(link) });
        link.cset
            .store(ptr::from_ref(cset).cast_mut(), Ordering::Relaxed);
        // SAFETY: The link is new (its nodes on no list) and stays valid until it is unlinked;
        // both lists are guarded by the lock we hold.
        unsafe {
            raw::add_tail(link.cset_node.ptr(), cset.links.ptr());
            raw::add_tail(link.cgrp_node.ptr(), link.cgrp.cset_links.0.ptr());
        }
        if cset.nr_tasks.load(Ordering::Relaxed) != 0 {
            link.cgrp.nr_populated_csets.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A set of groups, one per hierarchy, shared by every task in exactly those groups.
///
/// # Invariants
///
/// Every `CssSet` is allocated by [`new_cset`] in a pinned [`KBox`] and reference counted by
/// `refcount`; it is freed after an RCU grace period once the count drops to zero. While the
/// count is not zero it is in the hash table, and its links are in its groups' lists.
#[pin_data(PinnedDrop)]
pub struct CssSet {
    refcount: Refcount,
    hash: u64,
    /// The groups that are not the top group of their hierarchy, in the order of their
    /// hierarchies' addresses; fixed at creation.
    cgroups: KVec<ARef<Cgroup>>,
    /// The state of each controller, by id; set at creation (or, for sets made before the
    /// controller registered, at its registration).
    subsys: [AtomicPtr<RawCss>; NR_SUBSYS],
    /// Tasks (`task_struct::rcg_node`), links (`Link::cset_node`) and paused cursors
    /// (`TaskCursor::node`); under the css_set lock.
    #[pin]
    tasks: Head,
    #[pin]
    links: Head,
    #[pin]
    iters: Head,
    /// The number of tasks in `tasks`; written under the css_set lock.
    nr_tasks: AtomicU32,
    rcu_work: RcuWork,
}

crate::impl_has_rcu_work! {
    impl HasRcuWork for CssSet { self.rcu_work }
}

// SAFETY: The lists and counters are only touched under the css_set lock; the groups are fixed
// once the set is published.
unsafe impl Sync for CssSet {}
// SAFETY: As above; the set is freed by whichever thread drops the last reference.
unsafe impl Send for CssSet {}

#[pinned_drop]
impl PinnedDrop for CssSet {
    fn drop(self: Pin<&mut Self>) {
        let head = self.links.ptr();
        // SAFETY: The set is unreachable (its count dropped to zero and it was unlinked from its
        // groups under the lock, then a grace period passed): its link list is ours. Every link
        // on it was made by `Link::attach` from a pinned box.
        unsafe {
            while !raw::is_empty(head) {
                let node = raw::next(head);
                raw::del_init(node);
                let link: *mut Link = raw::container(node, offset_of!(Link, cset_node));
                drop(KBox::from_raw(link));
            }
        }
    }
}

// SAFETY: Every `CssSet` is reference counted by `refcount` (type invariants).
unsafe impl AlwaysRefCounted for CssSet {
    fn inc_ref(&self) {
        self.refcount.inc();
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference, so the set is valid.
        let set = unsafe { obj.as_ref() };
        let Some(core) = super::hierarchy::core() else {
            return;
        };
        if let Some(mut guard) = set.refcount.dec_and_lock(&core.csets) {
            // SAFETY: The count dropped to zero under the lock.
            unsafe { release(&mut guard, obj) };
        }
    }
}

/// Unhashes and unlinks a set whose count dropped to zero, and frees it after a grace period.
///
/// # Safety
///
/// The set's count must have dropped to zero with the css_set lock (`guard`) held.
unsafe fn release(guard: &mut CsetGuard<'_>, obj: NonNull<CssSet>) {
    // SAFETY: Still valid: only freed below.
    let set = unsafe { obj.as_ref() };
    let bucket = guard.bucket(set.hash);
    if let Some(pos) = bucket.iter().position(|&c| ptr::eq(c, set)) {
        let _ = bucket.swap_remove(pos);
    }
    let head = set.links.ptr();
    // SAFETY: The set's links are on its list and their groups' lists, guarded by the lock.
    unsafe {
        let mut node = raw::next(head);
        while !ptr::eq(node, head) {
            let link: *mut Link = raw::container(node, offset_of!(Link, cset_node));
            raw::del_init((*link).cgrp_node.ptr());
            node = raw::next(node);
        }
    }
    // SAFETY: Allocated as a pinned box by `new_cset` (type invariants) and now unreachable but
    // for RCU readers; it is dropped in place after the grace period.
    rcu::drop_after_grace_period(unsafe { KBox::from_raw(obj.as_ptr()) });
}

/// Drops a reference to `set` with the css_set lock already held.
fn put_locked(guard: &mut CsetGuard<'_>, set: ARef<CssSet>) {
    let obj = ARef::into_raw(set);
    // SAFETY: We own the reference given up by `into_raw`.
    if unsafe { obj.as_ref() }.refcount.dec_and_test() {
        // SAFETY: The count dropped to zero with the lock held.
        unsafe { release(guard, obj) };
    }
}

impl CssSet {
    /// The state of controller `id` for the tasks of this set.
    pub fn css(&self, id: SubsysId) -> Option<&RawCss> {
        let css = self.subsys[id as usize].load(Ordering::Acquire);
        // SAFETY: Root states are never freed; other states belong to groups this set holds.
        unsafe { css.as_ref() }
    }

    /// The number of references to the set: one per task that points to it, plus temporary
    /// ones.
    pub fn refcount(&self) -> usize {
        self.refcount.read().try_into().unwrap_or(0)
    }

    fn tasks_iters(&self) -> *mut bindings::list_head {
        self.iters.ptr()
    }

    /// The number of live tasks in the set.
    pub fn nr_tasks(&self) -> u32 {
        self.nr_tasks.load(Ordering::Relaxed)
    }

    /// A number that tells sets apart while they are alive (their address).
    pub fn id(&self) -> usize {
        ptr::from_ref(self) as usize
    }

    /// The groups of the set that are not the top group of their hierarchy.
    pub fn cgroups(&self) -> &[ARef<Cgroup>] {
        &self.cgroups
    }

    /// The group of this set in hierarchy `root`, if it is not the top group.
    pub fn group_in(&self, root: &Root) -> Option<&Cgroup> {
        self.cgroups
            .iter()
            .find(|c| ptr::eq(c.root(), root))
            .map(|c| &**c)
    }

    /// Whether the tasks of this set are in `cgrp`.
    pub fn is_in(&self, cgrp: &Cgroup) -> bool {
        match self.group_in(cgrp.root()) {
            Some(g) => ptr::eq(g, cgrp),
            None => cgrp.is_top(),
        }
    }

    /// Calls `f` with each task of the set. Under the css_set lock (`f` must not sleep).
    fn for_each_task(&self, _guard: &CsetGuard<'_>, mut f: impl FnMut(&Task)) {
        let head = self.tasks.ptr();
        // SAFETY: The task list is guarded by the lock we hold; its tasks are alive while
        // linked (they unlink themselves in `cgroup_exit`, before they can be freed).
        unsafe {
            let mut node = raw::next(head);
            while !ptr::eq(node, head) {
                f(&*task_of(node));
                node = raw::next(node);
            }
        }
    }

    /// Calls `f` with each group the set is linked to. Under the css_set lock.
    fn for_each_link(&self, _guard: &CsetGuard<'_>, mut f: impl FnMut(&Cgroup)) {
        let head = self.links.ptr();
        // SAFETY: The link list is guarded by the lock we hold; links are alive while linked.
        unsafe {
            let mut node = raw::next(head);
            while !ptr::eq(node, head) {
                let link: *mut Link = raw::container(node, offset_of!(Link, cset_node));
                f(&(*link).cgrp);
                node = raw::next(node);
            }
        }
    }
}

/// A css_set seen with the css_set lock held: its tasks and links can be walked. The lock keeps
/// interrupts off: nothing done with it may sleep.
pub struct LockedCssSet<'a> {
    set: &'a CssSet,
    guard: &'a CsetGuard<'a>,
}

impl core::ops::Deref for LockedCssSet<'_> {
    type Target = CssSet;

    fn deref(&self) -> &CssSet {
        self.set
    }
}

impl LockedCssSet<'_> {
    /// Calls `f` with each task of the set.
    pub fn for_each_task(&self, f: impl FnMut(&Task)) {
        self.set.for_each_task(self.guard, f)
    }

    /// Calls `f` with the group of the set in each live hierarchy, in the order the links were
    /// made.
    pub fn for_each_group(&self, f: impl FnMut(&Cgroup)) {
        self.set.for_each_link(self.guard, f)
    }
}

/// Calls `f` with the current task's set, under the css_set lock (`f` must not sleep).
pub fn with_current_cset<R>(f: impl FnOnce(&LockedCssSet<'_>) -> R) -> Option<R> {
    let core = super::hierarchy::core()?;
    let guard = lock(core);
    let set = task_cset_locked(crate::current!(), &guard)?;
    Some(f(&LockedCssSet {
        set,
        guard: &guard,
    }))
}

/// Calls `f` with each set linked to `cgrp`, under the css_set lock (`f` must not sleep).
pub fn for_each_cset_of(cgrp: &Cgroup, mut f: impl FnMut(&LockedCssSet<'_>)) {
    let Some(core) = super::hierarchy::core() else {
        return;
    };
    let guard = lock(core);
    for_each_linked(&guard, cgrp, |set| {
        f(&LockedCssSet { set, guard: &guard });
    });
}

/// Calls `f` with each set linked to `cgrp`, under the css_set lock.
fn for_each_linked(_guard: &CsetGuard<'_>, cgrp: &Cgroup, mut f: impl FnMut(&CssSet)) {
    let head = cgrp.cset_links.0.ptr();
    // SAFETY: The group's link list is guarded by the lock we hold; a linked link's set is
    // alive (its count is not zero, type invariants of `CssSet`).
    unsafe {
        let mut node = raw::next(head);
        while !ptr::eq(node, head) {
            let link: *mut Link = raw::container(node, offset_of!(Link, cgrp_node));
            f(&*(*link).cset.load(Ordering::Relaxed));
            node = raw::next(node);
        }
    }
}

/// The number of tasks in `cgrp` itself (not counting descendants).
pub fn nr_tasks_of(cgrp: &Cgroup) -> u32 {
    let Some(core) = super::hierarchy::core() else {
        return 0;
    };
    let guard = lock(core);
    let mut n = 0;
    for_each_linked(&guard, cgrp, |set| n += set.nr_tasks());
    n
}

// --- A task's set. ---

/// The `rcg_cset` slot of `task`.
fn cset_slot(task: &Task) -> &AtomicPtr<CssSet> {
    // SAFETY: `rcg_cset` is a pointer-sized, pointer-aligned field of a valid task, only ever
    // accessed atomically; the reference lives as long as the task.
    unsafe { &*ptr::addr_of_mut!((*task.0.get()).rcg_cset).cast::<AtomicPtr<CssSet>>() }
}

/// The `rcg_node` of `task`.
fn task_node(task: &Task) -> *mut bindings::list_head {
    // SAFETY: Only computes the address of a field of a valid task.
    unsafe { ptr::addr_of_mut!((*task.0.get()).rcg_node) }
}

/// The task whose `rcg_node` is `node`.
fn task_of(node: *mut bindings::list_head) -> *const Task {
    raw::container::<bindings::task_struct>(node, offset_of!(bindings::task_struct, rcg_node))
        .cast()
}

/// The set of `task` (none before `cgroup_can_fork()` and after `cgroup_free()`), valid until
/// the read-side critical section `_rcu` ends.
pub fn task_cset<'a>(task: &Task, _rcu: &'a rcu::Guard) -> Option<&'a CssSet> {
    let set = cset_slot(task).load(Ordering::Acquire);
    // SAFETY: A set that a task pointed to is freed only after a grace period (type invariants).
    unsafe { set.as_ref() }
}

/// The set of `task`, valid while the css_set lock (`_guard`) is held.
fn task_cset_locked<'a>(task: &Task, _guard: &'a CsetGuard<'_>) -> Option<&'a CssSet> {
    let set = cset_slot(task).load(Ordering::Acquire);
    // SAFETY: The pointer only changes under the lock; the task's reference keeps the set alive
    // while it points to it.
    unsafe { set.as_ref() }
}

/// A new reference to the set of `task`, which must not be moved meanwhile: the caller is the
/// task itself, or holds the threadgroup rwsem, or the core mutex.
pub(super) fn task_cset_ref(task: &Task) -> Option<ARef<CssSet>> {
    let _rcu = rcu::read_lock();
    let set = cset_slot(task).load(Ordering::Acquire);
    // SAFETY: Under RCU the set is valid; the task's own reference keeps its count above zero
    // while it points to it, so taking one more is allowed.
    unsafe { set.as_ref() }.map(ARef::from)
}

// --- Fork, exit and free: what the hooks of kernel/fork.c and kernel/exit.c do. ---

/// A new task points to no set and is on no list until `cgroup_can_fork()` gives it one.
pub(super) fn fork_init(child: &Task) {
    cset_slot(child).store(ptr::null_mut(), Ordering::Relaxed);
    // SAFETY: The new task is not visible to anyone else yet.
    unsafe { raw::init(task_node(child)) };
}

/// Gives `child` its set, with the reference it will hold until `cgroup_free()`.
pub(super) fn fork_assign(child: &Task, set: ARef<CssSet>) {
    let old = cset_slot(child).swap(ARef::into_raw(set).as_ptr(), Ordering::AcqRel);
    if let Some(old) = NonNull::new(old) {
        // SAFETY: A reference held by the slot, replaced.
        drop(unsafe { ARef::from_raw(old) });
    }
}

/// Takes back the set given by [`fork_assign`] to a child whose fork failed.
pub(super) fn fork_unassign(child: &Task) -> Option<ARef<CssSet>> {
    let set = cset_slot(child).swap(ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: The reference held by the slot, taken out of it.
    NonNull::new(set).map(|s| unsafe { ARef::from_raw(s) })
}

/// Links a new task into its set: from now on it is listed in its groups. Returns its set, for
/// the fork callbacks, valid while the caller holds the threadgroup rwsem for reading.
pub(super) fn fork_link(core: &Core, child: &Task) {
    let mut guard = lock(core);
    if let Some(set) = task_cset_locked(child, &guard) {
        let set = ptr::from_ref(set);
        // SAFETY: The child's node is on no list and it points to `set`, which its reference
        // keeps alive while it is linked.
        unsafe { link_task(&mut guard, &*set, child) };
    }
}

/// Unlinks an exiting task: it leaves `tasks` and `cgroup.procs` at once.
pub(super) fn exit_unlink(core: &Core, task: &Task) {
    let mut guard = lock(core);
    if let Some(set) = task_cset_locked(task, &guard) {
        let set = ptr::from_ref(set);
        // SAFETY: The task points to `set`, alive while it does.
        unsafe { unlink_task(&mut guard, &*set, task) };
    }
}

/// Drops a dead task's reference on its set. Any context.
pub(super) fn free(task: &Task) {
    drop(fork_unassign(task));
}

/// Links `task` into `set`'s task list.
///
/// # Safety
///
/// `task`'s node must be on no list, `task` must point to `set`, and stay valid while linked.
unsafe fn link_task(_guard: &mut CsetGuard<'_>, set: &CssSet, task: &Task) {
    // SAFETY: Guaranteed by the caller; the list is guarded by the lock we hold.
    unsafe { raw::add_tail(task_node(task), set.tasks.ptr()) };
    if set.nr_tasks.fetch_add(1, Ordering::Relaxed) == 0 {
        set.for_each_link(_guard, |g| {
            g.nr_populated_csets.fetch_add(1, Ordering::Relaxed);
        });
    }
}

/// Unlinks `task` from `set`'s task list if it is on it; returns whether it was.
///
/// # Safety
///
/// `task` must point to `set`.
unsafe fn unlink_task(guard: &mut CsetGuard<'_>, set: &CssSet, task: &Task) -> bool {
    let node = task_node(task);
    // SAFETY: The node is initialised (by `fork_init` or `init_task`); guarded by the lock.
    if unsafe { raw::is_empty(node) } {
        return false;
    }
    skip_cursors(guard, set, node);
    // SAFETY: On `set`'s list, whose lock we hold.
    unsafe { raw::del_init(node) };
    if set.nr_tasks.fetch_sub(1, Ordering::Relaxed) == 1 {
        set.for_each_link(guard, |g| {
            if g.nr_populated_csets.fetch_sub(1, Ordering::Relaxed) == 1 {
                g.check_release();
            }
        });
    }
    true
}

/// Moves `task` from `from` to `to` if it is still linked to `from` (it did not exit). Returns
/// the reference the task held on `from`, which the caller drops once the lock is released (the
/// caller holds another one, so it is not the last).
pub(super) fn move_task(
    guard: &mut CsetGuard<'_>,
    task: &Task,
    from: &CssSet,
    to: &ARef<CssSet>,
) -> Option<ARef<CssSet>> {
    if !ptr::eq(cset_slot(task).load(Ordering::Relaxed), from) {
        return None;
    }
    // SAFETY: `task` points to `from`.
    if !unsafe { unlink_task(guard, from, task) } {
        return None;
    }
    let old = cset_slot(task).swap(ARef::into_raw(to.clone()).as_ptr(), Ordering::AcqRel);
    // SAFETY: The node was just unlinked; `task` points to `to` now, whose new reference keeps
    // it alive while the task is linked.
    unsafe { link_task(guard, to, task) };
    // SAFETY: The task's reference on its old set, just replaced.
    NonNull::new(old).map(|o| unsafe { ARef::from_raw(o) })
}

/// Takes the css_set lock, for [`move_task`].
pub(super) fn lock_for_moves(core: &Core) -> CsetGuard<'_> {
    lock(core)
}

// --- Creating sets. ---

fn hash_of(cgroups: &[ARef<Cgroup>]) -> u64 {
    cgroups.iter().fold(0xcbf29ce484222325, |h, c| {
        (h ^ (ptr::from_ref::<Cgroup>(c) as u64)).wrapping_mul(0x100000001b3)
    })
}

/// The hierarchy order of a set's groups.
fn order(c: &Cgroup) -> usize {
    ptr::from_ref(c.root()) as usize
}

/// Allocates a set of `cgroups`, not yet published.
fn new_cset(cgroups: KVec<ARef<Cgroup>>, subsys: [*mut RawCss; NR_SUBSYS]) -> Result<*mut CssSet> {
    let hash = hash_of(&cgroups);
    let set = KBox::pin_init(
        pin_init!(CssSet {
            refcount: Refcount::new(1),
            hash,
            cgroups,
            subsys: subsys.map(AtomicPtr::new),
            tasks <- Head::new(),
            links <- Head::new(),
            iters <- Head::new(),
            nr_tasks: AtomicU32::new(0),
            rcu_work: RcuWork::new(),
        }),
        GFP_KERNEL,
    )?;
    // SAFETY: The set is not moved out of its box: it is only used through this pointer and
    // dropped in place by `release` (or `discard`).
    Ok(KBox::into_raw(unsafe { Pin::into_inner_unchecked(set) }))
}

/// The states a set of `cgroups` points to.
fn states_of(cgroups: &[ARef<Cgroup>]) -> [*mut RawCss; NR_SUBSYS] {
    core::array::from_fn(|i| {
        let Some(id) = SubsysId::from_index(i) else {
            return ptr::null_mut();
        };
        cgroups
            .iter()
            .find_map(|c| c.css(id))
            .or_else(|| subsys::root_css(id))
            .map_or(ptr::null_mut(), |c| ptr::from_ref(c).cast_mut())
    })
}

/// The set equal to `base` but for `target` in `target`'s hierarchy, with a new reference.
///
/// Called with the core mutex held (`state`): sets are only created here, so the one created
/// cannot be created concurrently.
pub(super) fn find_or_create(
    core: &Core,
    state: &State,
    base: &CssSet,
    target: &Cgroup,
) -> Result<ARef<CssSet>> {
    let mut cgroups = KVec::with_capacity(base.cgroups.len() + 1, GFP_KERNEL)?;
    let mut placed = target.is_top();
    for c in base.cgroups.iter() {
        if ptr::eq(c.root(), target.root()) {
            continue;
        }
        if !placed && order(c) > order(target) {
            cgroups.push(ARef::from(target), GFP_KERNEL)?;
            placed = true;
        }
        cgroups.push(c.clone(), GFP_KERNEL)?;
    }
    if !placed {
        cgroups.push(ARef::from(target), GFP_KERNEL)?;
    }
    let hash = hash_of(&cgroups);
    {
        let mut guard = lock(core);
        let found = guard.bucket(hash).iter().copied().find(|&c| {
            // SAFETY: Sets in the table are alive while we hold the lock.
            let set = unsafe { &*c };
            set.hash == hash
                && set.cgroups.len() == cgroups.len()
                && set
                    .cgroups
                    .iter()
                    .zip(cgroups.iter())
                    .all(|(a, b)| ptr::eq::<Cgroup>(&**a, &**b))
        });
        // SAFETY: As above; taking a reference on a set whose count is not zero.
        if let Some(set) = found.map(|c| unsafe { ARef::from(&*c) }) {
            return Ok(set);
        }
    }
    // One link per live hierarchy: to the set's group there, or to the top group.
    let mut links = KVec::with_capacity(state.nr_live(), GFP_KERNEL)?;
    for top in state.live_tops() {
        let group = cgroups
            .iter()
            .find(|c| ptr::eq(c.root(), top.root()))
            .unwrap_or(top);
        links.push(Link::new(group.clone())?, GFP_KERNEL)?;
    }
    let subsys = states_of(&cgroups);
    let set = new_cset(cgroups, subsys)?;
    let mut guard = lock(core);
    if guard.bucket(hash).push(set, GFP_ATOMIC).is_err() {
        drop(guard);
        // SAFETY: Never published: we own the only reference.
        drop(unsafe { KBox::from_raw(set) });
        return Err(ENOMEM);
    }
    // SAFETY: Published under the lock we hold; alive while its count (one, ours) is not zero.
    let set_ref = unsafe { &*set };
    for link in links {
        Link::attach(&mut guard, link, set_ref);
    }
    drop(guard);
    // SAFETY: The new set's single reference, handed to the caller.
    Ok(unsafe { ARef::from_raw(NonNull::new_unchecked(set)) })
}

/// Links every set to `top`, the top group of a new hierarchy. Called with the core mutex held
/// (`_state`), so no set is created meanwhile.
pub(super) fn link_all_to_top(core: &Core, _state: &State, top: &Cgroup) -> Result {
    let count = lock(core).sets().count();
    let mut links = KVec::with_capacity(count, GFP_KERNEL)?;
    for _ in 0..count {
        links.push(Link::new(ARef::from(top))?, GFP_KERNEL)?;
    }
    let mut guard = lock(core);
    let sets: KVec<*const CssSet> = {
        let mut v = KVec::with_capacity(count, GFP_ATOMIC)?;
        for s in guard.sets() {
            // Sets only go away meanwhile, so there are at most `count`.
            v.push(ptr::from_ref(s), GFP_ATOMIC)?;
        }
        v
    };
    for (set, link) in sets.into_iter().zip(links) {
        // SAFETY: In the table, so alive while we hold the lock.
        Link::attach(&mut guard, link, unsafe { &*set });
    }
    Ok(())
}

/// Unlinks every set from `top`, the top group of a hierarchy being destroyed, which has no
/// child group. Called with the core mutex held.
pub(super) fn unlink_top(core: &Core, _state: &State, top: &Cgroup) {
    let guard = lock(core);
    let head = top.cset_links.0.ptr();
    // SAFETY: The group's link list and its links' set lists are guarded by the lock we hold.
    // Each link was made by `Link::attach` from a pinned box, and is freed once unlinked.
    unsafe {
        while !raw::is_empty(head) {
            let node = raw::next(head);
            let link: *mut Link = raw::container(node, offset_of!(Link, cgrp_node));
            raw::del_init(node);
            raw::del_init((*link).cset_node.ptr());
            drop(KBox::from_raw(link));
        }
    }
    drop(guard);
}

/// Points every set at the root state `css` of controller `id`, which is registering (with the
/// core mutex held, so no set is being created).
pub(super) fn give_root_css(core: &Core, id: SubsysId, css: &RawCss) {
    let guard = lock(core);
    for set in guard.sets() {
        set.subsys[id as usize].store(ptr::from_ref(css).cast_mut(), Ordering::Release);
    }
}

/// Makes the set of the init task: no group but top groups. Called once by `cgroup_init()`,
/// while the init task is the only task, after the hierarchy list exists (none yet).
pub(super) fn init(core: &Core, init_task: &Task) -> Result {
    let set = new_cset(KVec::new(), [ptr::null_mut(); NR_SUBSYS])?;
    let mut guard = lock(core);
    let hash = hash_of(&[]);
    guard.bucket(hash).push(set, GFP_ATOMIC)?;
    // SAFETY: `init_task`'s node is set up here, before it can be on any list; it points to the
    // new set (whose reference it takes) and is never freed.
    unsafe {
        raw::init(task_node(init_task));
        cset_slot(init_task).store(set, Ordering::Release);
        link_task(&mut guard, &*set, init_task);
    }
    Ok(())
}

// --- Walking a group's tasks. ---

/// A cursor over the tasks of one group that can pause, dropping the css_set lock, and resume
/// (C's `css_task_iter`): see [`TaskCursor::next_batch`].
///
/// Tasks that join the group during the walk may or may not be seen; tasks that leave it are
/// not seen after they left; every task that stays in it all along is seen exactly once.
///
/// # Invariants
///
/// `set`, when not null, is a set linked to `group`, on which the cursor holds a reference, and
/// `link` its link to `group`; `next` is a node of `set`'s task list or its head. While paused
/// (`parked`), `node` is on `set`'s cursor list and `next` is kept up to date by
/// [`unlink_task`] (under the css_set lock).
#[pin_data(PinnedDrop)]
pub struct TaskCursor<'g> {
    group: &'g Cgroup,
    set: *mut CssSet,
    link: *mut Link,
    next: AtomicPtr<bindings::list_head>,
    #[pin]
    node: Head,
    parked: bool,
    done: bool,
}

// SAFETY: The raw pointers are to sets and links, which are `Sync`; the cursor is only touched
// by other threads (through `next` and `node`) under the css_set lock.
unsafe impl Send for TaskCursor<'_> {}

/// Moves the paused cursors of `set` that would visit `node` next on to the node after it.
fn skip_cursors(_guard: &mut CsetGuard<'_>, set: &CssSet, node: *mut bindings::list_head) {
    let head = set.iters.ptr();
    // SAFETY: The cursor list is guarded by the lock we hold; paused cursors are alive (they
    // unlink themselves before being dropped); `node` is on `set`'s task list.
    unsafe {
        let mut it = raw::next(head);
        while !ptr::eq(it, head) {
            let cursor: *mut TaskCursor<'static> = raw::container(it, offset_of!(TaskCursor<'static>, node));
            if ptr::eq((*cursor).next.load(Ordering::Relaxed), node) {
                (*cursor).next.store(raw::next(node), Ordering::Relaxed);
            }
            it = raw::next(it);
        }
    }
}

impl<'g> TaskCursor<'g> {
    /// A cursor over the tasks of `group`, before the first one.
    pub fn new(group: &'g Cgroup) -> impl PinInit<Self> {
        pin_init!(TaskCursor {
            group,
            set: ptr::null_mut(),
            link: ptr::null_mut(),
            next: AtomicPtr::new(ptr::null_mut()),
            node <- Head::new(),
            parked: false,
            done: false,
        })
    }

    /// Moves on to the set of the group's next link (its first link if the walk has not
    /// started), dropping the reference on the current set. Returns `false` at the end.
    fn advance(&mut self, guard: &mut CsetGuard<'_>) -> bool {
        let head = self.group.cset_links.0.ptr();
        let from = if self.link.is_null() {
            head
        } else {
            // SAFETY: `link` is linked: we hold a reference on its set (type invariants).
            unsafe { (*self.link).cgrp_node.ptr() }
        };
        // SAFETY: The group's link list is guarded by the lock.
        let node = unsafe { raw::next(from) };
        let old = self.set;
        self.set = ptr::null_mut();
        if !ptr::eq(node, head) {
            let link: *mut Link = raw::container(node, offset_of!(Link, cgrp_node));
            // SAFETY: A linked link's set has a non-zero count (type invariants of `CssSet`),
            // so we may take a reference on it; its task list is guarded by the lock.
            unsafe {
                let set = (*link).cset.load(Ordering::Relaxed);
                (*set).refcount.inc();
                self.next
                    .store(raw::next((*set).tasks.ptr()), Ordering::Relaxed);
                // INVARIANT: A set linked to the group, referenced, with its link.
                self.set = set;
            }
            self.link = link;
        }
        if let Some(old) = NonNull::new(old) {
            // SAFETY: Our reference on the previous set, given up now that the walk left it.
            put_locked(guard, unsafe { ARef::from_raw(old) });
        }
        !self.set.is_null()
    }

    /// Calls `f` with the next tasks of the group, under the css_set lock (with interrupts off:
    /// `f` must not sleep), until `f` returns `false`, `max` tasks were seen or the group has no
    /// more. Returns `false` once every task was seen.
    pub fn next_batch(self: Pin<&mut Self>, max: usize, mut f: impl FnMut(&Task) -> bool) -> bool {
        // SAFETY: The cursor is not moved: only its fields are updated in place.
        let this = unsafe { self.get_unchecked_mut() };
        if this.done {
            return false;
        }
        let Some(core) = super::hierarchy::core() else {
            return false;
        };
        let mut guard = lock(core);
        if this.parked {
            // SAFETY: On the current set's cursor list, guarded by the lock.
            unsafe { raw::del_init(this.node.ptr()) };
            this.parked = false;
        }
        let mut seen = 0;
        let more = loop {
            if this.set.is_null() && !this.advance(&mut guard) {
                break false;
            }
            // SAFETY: We hold a reference on the current set (type invariants).
            let set = unsafe { &*this.set };
            let head = set.tasks.ptr();
            let mut next = this.next.load(Ordering::Relaxed);
            let mut stop = false;
            while !ptr::eq(next, head) {
                if seen == max {
                    stop = true;
                    break;
                }
                // SAFETY: A task on the list is alive; the list is guarded by the lock.
                let (task, following) = unsafe { (&*task_of(next), raw::next(next)) };
                next = following;
                seen += 1;
                if !f(task) {
                    stop = true;
                    break;
                }
            }
            this.next.store(next, Ordering::Relaxed);
            if ptr::eq(next, head) && !this.advance(&mut guard) {
                break false;
            }
            if stop {
                // Pause: `unlink_task` moves `next` on if that task leaves the set meanwhile.
                // SAFETY: The node is on no list; the current set's cursor list is guarded by
                // the lock, and the cursor unlinks itself before it moves on or is dropped.
                unsafe { raw::add_tail(this.node.ptr(), (*this.set).tasks_iters()) };
                this.parked = true;
                break true;
            }
        };
        if !more {
            this.done = true;
        }
        drop(guard);
        more
    }

    /// The next task of the group, with a reference; the lock is only held to find it, so the
    /// caller may sleep between calls.
    pub fn next_task(self: Pin<&mut Self>) -> Option<ARef<Task>> {
        let mut found = None;
        let mut this = self;
        while found.is_none() {
            let more = this.as_mut().next_batch(1, |t| {
                found = Some(ARef::from(t));
                false
            });
            if !more {
                break;
            }
        }
        found
    }
}

#[pinned_drop]
impl PinnedDrop for TaskCursor<'_> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Only fields are touched, in place.
        let this = unsafe { self.get_unchecked_mut() };
        let Some(set) = NonNull::new(this.set) else {
            return;
        };
        if let Some(core) = super::hierarchy::core() {
            let mut guard = lock(core);
            if this.parked {
                // SAFETY: On the set's cursor list, guarded by the lock.
                unsafe { raw::del_init(this.node.ptr()) };
            }
            // SAFETY: The cursor's reference on its set (type invariants).
            put_locked(&mut guard, unsafe { ARef::from_raw(set) });
        }
    }
}

impl Cgroup {
    /// Calls `f` with each task of the group (not of its descendants), in batches under the
    /// css_set lock: `f` must not sleep; the lock is dropped between batches.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::c_str;
    /// use kernel::cgroup::{hierarchy, migrate};
    ///
    /// let h = hierarchy::create_hierarchy(b"kunit_tasks")?;
    /// let a = hierarchy::mkdir(h.top(), c_str!("a"))?;
    /// let mut seen = 0;
    /// a.for_each_task(|_| seen += 1)?;
    /// assert_eq!(seen, 0);
    /// migrate::attach_current(&a)?;
    /// let me = kernel::current!().pid();
    /// let mut pids = KVec::new();
    /// a.for_each_task(|t| {
    ///     let _ = pids.push(t.pid(), GFP_ATOMIC);
    /// })?;
    /// assert_eq!(&pids[..], &[me]);
    /// assert!(h.top().has_tasks() || h.top().nr_tasks() == 0);
    /// assert_eq!(a.nr_tasks(), 1);
    /// migrate::attach_current(h.top())?;
    /// assert_eq!(a.nr_tasks(), 0);
    /// hierarchy::rmdir(&a)?;
    /// hierarchy::release_hierarchy(h);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn for_each_task(&self, mut f: impl FnMut(&Task)) -> Result {
        let mut cursor = KBox::pin_init(TaskCursor::new(self), GFP_KERNEL)?;
        while cursor.as_mut().next_batch(TASK_BATCH, |t| {
            f(t);
            true
        }) {}
        Ok(())
    }

    /// The number of tasks in the group itself (not counting descendants).
    pub fn nr_tasks(&self) -> u32 {
        nr_tasks_of(self)
    }
}

/// The most tasks a walk visits with the css_set lock held (and interrupts off).
pub const TASK_BATCH: usize = 128;
