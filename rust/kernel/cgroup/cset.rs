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
//! - **The css_set lock** (an IRQ-safe spinlock, C's `css_set_lock`, in `state::Core`)
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
//! lockless readers), in the RCU callback: dropping it frees its links and drops references on its
//! groups, whose own freeing is deferred to process context.
//!
//! Each set also points to the state of every registered controller
//! ([`super::css::RawCss`]): the state of its group in the controller's hierarchy, or the
//! controller's root state when that group is the top one. The groups it holds keep those

use super::css::RawCss;
use super::group::{Cgroup, Root, ROOT_INHERIT};
use super::state::{Core, State};
use super::subsys::{SubsysId, NR_SUBSYS};
use crate::{
    alloc::{
        flags::{GFP_ATOMIC, GFP_KERNEL},
        KBox, KVec,
    },
    bindings,
    clist::ListHead,
    container_of,
    error::{code::ENOMEM, Result},
    init::PinInit,
    prelude::*,
    sync::{
        lock::{spinlock::SpinLockIrqBackend, Guard},
        rcu::{self, RcuCounted, RcuHead},
        Refcount,
    },
    task::Task,
    types::{ARef, AlwaysRefCounted},
};
use core::{
    pin::Pin,
    ptr::{self, NonNull},
    sync::atomic::{AtomicPtr, AtomicU32, Ordering},
};

/// The number of hash buckets of the css_set table.
pub const NR_BUCKETS: usize = 128;

/// The bucket of a set with hash `hash`.
fn bucket(hash: u64) -> usize {
    (hash % NR_BUCKETS as u64) as usize
}

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
        &mut self.buckets[bucket(hash)]
    }

    /// The sets of `bucket`. The lock (our `&self`) keeps them alive.
    fn sets_in<'a>(bucket: &'a [*const CssSet]) -> impl Iterator<Item = &'a CssSet> {
        // SAFETY: Sets are in the table while their count is not zero; they are removed from it
        // under the lock before they are freed (type invariants of `CssSet`), and the table is
        // borrowed from the lock's guard for `'a`.
        bucket.iter().map(|&c| unsafe { &*c })
    }

    /// The set with hash `hash` for which `same` holds, if any: only its bucket is searched.
    fn find(&self, hash: u64, same: impl Fn(&CssSet) -> bool) -> Option<&CssSet> {
        Self::sets_in(&self.buckets[bucket(hash)]).find(|&set| set.hash == hash && same(set))
    }

    /// Every set in the table.
    fn sets(&self) -> impl Iterator<Item = &CssSet> {
        self.buckets.iter().flat_map(|b| Self::sets_in(b))
    }
}

/// Holds the css_set lock.
pub(super) type CsetGuard<'a> = Guard<'a, CsetTable, SpinLockIrqBackend>;

fn lock(core: &Core) -> CsetGuard<'_> {
    core.csets.lock()
}

/// The link between a set and one of its groups.
///
/// # Invariants
///
/// Owned by the set it links (`cset`, set when it is linked, under the css_set lock), which
/// frees it. While linked, `cset_node` is on the set's link list and `cgrp_node` on the group's.
#[pin_data]
struct Link {
    #[pin]
    cset_node: ListHead,
    #[pin]
    cgrp_node: ListHead,
    cset: AtomicPtr<CssSet>,
    cgrp: ARef<Cgroup>,
}

impl Link {
    fn new(cgrp: ARef<Cgroup>) -> Result<Pin<KBox<Link>>> {
        KBox::pin_init(
            pin_init!(Link {
                cset_node <- ListHead::new(),
                cgrp_node <- ListHead::new(),
                cset: AtomicPtr::new(ptr::null_mut()),
                cgrp,
            }),
            GFP_KERNEL,
        )
    }

    /// The link whose `cset_node` (`by_cset`) or `cgrp_node` is `node`.
    ///
    /// # Safety
    ///
    /// `node` must be that field of a link that stays valid for `'a`.
    unsafe fn from_node<'a>(node: *mut bindings::list_head, by_cset: bool) -> &'a Link {
        // SAFETY: Guaranteed by the caller.
        unsafe {
            if by_cset {
                &*container_of!(node, Link, cset_node)
            } else {
                &*container_of!(node, Link, cgrp_node)
            }
        }
    }

    /// The set the link belongs to.
    fn cset(&self) -> &CssSet {
        // SAFETY: A link is only reached through the lists it is on, with the css_set lock held;
        // its set is then alive (type invariants of `CssSet`), and outlives the link.
        unsafe { &*self.cset.load(Ordering::Relaxed) }
    }

    /// Links `link` into `cset`'s list and its group's, handing its ownership to the set, which
    /// frees it (with [`Link::free`]) once it is unlinked.
    fn attach(_guard: &CsetGuard<'_>, link: Pin<KBox<Link>>, cset: &CssSet) {
        // SAFETY: The link is not moved out of its box: it is freed as a box again by
        // `Link::free`.
        let link: &Link = KBox::leak(unsafe { Pin::into_inner_unchecked(link) });
        // INVARIANT: Owned by `cset` from here.
        link.cset
            .store(ptr::from_ref(cset).cast_mut(), Ordering::Relaxed);
        // SAFETY: The link is new (its nodes on no list) and stays valid until it is unlinked;
        // both lists are guarded by the lock we hold.
        unsafe {
            cset.links.add_tail(&link.cset_node);
            link.cgrp.cset_links.add_tail(&link.cgrp_node);
        }
        if cset.nr_tasks.load(Ordering::Relaxed) != 0 {
            link.cgrp.nr_populated_csets.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Unlinks a link from both lists (a node on no list is left alone) and frees it.
    ///
    /// # Safety
    ///
    /// Each list the link is on must be guarded by the css_set lock, held, or be the caller's
    /// alone (the list of a set being dropped, whose links [`release`] took off their groups'
    /// lists under the lock); nothing may use the link afterwards.
    unsafe fn free(link: &Link) {
        // SAFETY: The lists are ours (the caller's promise); `del_init` on a node on no list
        // changes nothing. Made by `own` from a pinned box, which is not used after this.
        unsafe {
            link.cset_node.del_init();
            link.cgrp_node.del_init();
            drop(KBox::from_raw(ptr::from_ref(link).cast_mut()));
        }
    }
}

/// A set of groups, one per hierarchy, shared by every task in exactly those groups.
///
/// # Invariants
///
/// Every `CssSet` is made by [`rcu::new_counted`] and counted by `refcount`; it is freed after
/// an RCU grace period once the count drops to zero. While the count is not zero it is in the
/// hash table, and its links are on its groups' lists.
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
    tasks: ListHead,
    #[pin]
    links: ListHead,
    #[pin]
    iters: ListHead,
    /// The number of tasks in `tasks`; written under the css_set lock.
    nr_tasks: AtomicU32,
    rcu_head: RcuHead,
}

crate::impl_has_rcu_head! {
    impl HasRcuHead for CssSet { self.rcu_head }
}

// SAFETY: Dropping a set frees its links (`kfree`) and drops references on its groups, whose
// own freeing is deferred to process context (`Cgroup`'s `RcuCounted::free`); nothing sleeps.
unsafe impl rcu::AtomicDrop for CssSet {}

// SAFETY: `refcount` is the set's count, used as `RcuCounted` requires.
unsafe impl RcuCounted for CssSet {
    fn refcount(&self, _: rcu::CountAccess) -> &Refcount {
        &self.refcount
    }

    /// Freed in the RCU callback: dropping a set frees its links and drops references on
    /// groups, none of which sleeps (a group's own freeing is deferred to process context).
    fn free(this: KBox<Self>) {
        rcu::drop_in_rcu_callback(this);
    }
}

// SAFETY: The lists and counters are only touched under the css_set lock; the groups are fixed
// once the set is published.
unsafe impl Sync for CssSet {}
// SAFETY: As above; the set is freed by whichever thread drops the last reference.
unsafe impl Send for CssSet {}

#[pinned_drop]
impl PinnedDrop for CssSet {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: The set is unreachable (its count dropped to zero and `release` took its links
        // off their groups' lists under the lock, then a grace period passed): its link list is
        // ours, and every link on it is owned by the set.
        unsafe {
            while !self.links.is_empty() {
                Link::free(Link::from_node(self.links.next(), true));
            }
        }
    }
}

// SAFETY: Every `CssSet` is counted by `refcount` (type invariants); the last reference is
// dropped with the css_set lock held, which unhashes the set at once.
unsafe impl AlwaysRefCounted for CssSet {
    fn inc_ref(&self) {
        self.refcount.inc();
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        let Some(core) = super::state::core() else {
            return;
        };
        // SAFETY: The caller owns a reference, so the set is valid; if it was the last one,
        // `release` gets the set with its count at zero and the lock held.
        unsafe {
            if let Some(mut guard) = obj.as_ref().refcount.dec_and_lock(&core.csets) {
                release(&mut guard, obj);
            }
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
    // SAFETY: The set's links are on its list and their groups' lists, guarded by the lock; the
    // set was made by `new_counted`, its count is zero, and it is now unreachable but for RCU
    // readers.
    unsafe {
        for node in set.links.iter() {
            Link::from_node(node, true).cgrp_node.del_init();
        }
        rcu::free_counted(obj);
    }
}

/// Drops a reference to `set` with the css_set lock already held.
fn put_locked(guard: &mut CsetGuard<'_>, set: ARef<CssSet>) {
    let obj = ARef::into_raw(set);
    // SAFETY: We own the reference given up by `into_raw`; if it was the last one, the count
    // dropped to zero with the lock held.
    unsafe {
        if obj.as_ref().refcount.dec_and_test() {
            release(guard, obj);
        }
    }
}

impl CssSet {
    /// The state of controller `id` for the tasks of this set.
    pub fn css(&self, id: SubsysId) -> Option<&RawCss> {
        self.css_at(id as usize)
    }

    /// The state of the controller whose id is `index` (none for an index of no controller).
    #[inline]
    pub(super) fn css_at(&self, index: usize) -> Option<&RawCss> {
        let css = self.subsys.get(index)?.load(Ordering::Acquire);
        // SAFETY: Root states are never freed; other states belong to groups this set holds.
        unsafe { css.as_ref() }
    }

    /// The number of references to the set: one per task that points to it, plus temporary
    /// ones.
    pub fn refcount(&self) -> usize {
        self.refcount.read().try_into().unwrap_or(0)
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

    /// Whether the set's groups (those that are not top groups) are exactly `groups`, in order.
    fn has_groups<'a>(&self, mut groups: impl Iterator<Item = &'a Cgroup>) -> bool {
        let mut mine = self.cgroups.iter();
        loop {
            match (mine.next(), groups.next()) {
                (None, None) => return true,
                (Some(a), Some(b)) if ptr::eq::<Cgroup>(&**a, b) => continue,
                _ => return false,
            }
        }
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
        // SAFETY: The task list is guarded by the lock we hold; its tasks are alive while
        // linked (they unlink themselves in `cgroup_exit`, before they can be freed).
        unsafe {
            for node in self.tasks.iter() {
                f(Task::from_cgroup_node(node));
            }
        }
    }

    /// Calls `f` with each group the set is linked to. Under the css_set lock.
    fn for_each_link(&self, _guard: &CsetGuard<'_>, mut f: impl FnMut(&Cgroup)) {
        // SAFETY: The link list is guarded by the lock we hold; links are alive while linked.
        unsafe {
            for node in self.links.iter() {
                f(&Link::from_node(node, true).cgrp);
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
    let core = super::state::core()?;
    let guard = lock(core);
    let set = task_cset_locked(crate::current!(), &guard)?;
    Some(f(&LockedCssSet { set, guard: &guard }))
}

/// Calls `f` with each set linked to `cgrp`, under the css_set lock (`f` must not sleep).
pub fn for_each_cset_of(cgrp: &Cgroup, mut f: impl FnMut(&LockedCssSet<'_>)) {
    let Some(core) = super::state::core() else {
        return;
    };
    let guard = lock(core);
    for_each_linked(&guard, cgrp, |set| {
        f(&LockedCssSet { set, guard: &guard });
    });
}

/// Calls `f` with each set linked to `cgrp`, under the css_set lock.
fn for_each_linked(_guard: &CsetGuard<'_>, cgrp: &Cgroup, mut f: impl FnMut(&CssSet)) {
    // SAFETY: The group's link list is guarded by the lock we hold; links are alive while
    // linked.
    unsafe {
        for node in cgrp.cset_links.iter() {
            f(Link::from_node(node, false).cset());
        }
    }
}

/// The number of tasks in `cgrp` itself (not counting descendants).
pub fn nr_tasks_of(cgrp: &Cgroup) -> u32 {
    let Some(core) = super::state::core() else {
        return 0;
    };
    let guard = lock(core);
    let mut n = 0;
    for_each_linked(&guard, cgrp, |set| n += set.nr_tasks());
    n
}

// --- A task's set. ---

/// The `rcg_cset` slot of a task: which set it is in.
///
/// # Invariants
///
/// The slot holds null or a set on which it owns a reference (the one `swap` is given), but
/// for a new task's slot before [`Slot::forget`], which holds its parent's pointer, without a
/// reference. Only `swap` stores a set, so safe code cannot put anything else there.
struct Slot<'a>(&'a AtomicPtr<CssSet>);

impl<'a> Slot<'a> {
    /// The slot of `task`.
    fn of(task: &'a Task) -> Self {
        // SAFETY: This type is the slot's only user: it stores only what its invariant allows.
        // `AtomicPtr<T>` has the same layout for every `T`: only the pointee type of the slot,
        // which only ever holds sets, is named here.
        Slot(unsafe { &*ptr::from_ref(task.cgroup_cset()).cast::<AtomicPtr<CssSet>>() })
    }

    /// The set the slot points to, not to be dereferenced but under the guarantees of the
    /// caller (RCU, or the css_set lock).
    fn load(&self, order: Ordering) -> *mut CssSet {
        self.0.load(order)
    }

    /// Empties the slot of a new task, which holds a copy of its parent's pointer and no
    /// reference. (On any other slot this would leak a reference, which is safe.)
    fn forget(&self) {
        self.0.store(ptr::null_mut(), Ordering::Relaxed);
    }

    /// Puts `set` (and its reference) in the slot; returns what it held, with its reference.
    fn swap(&self, set: Option<ARef<CssSet>>) -> Option<ARef<CssSet>> {
        let new = set.map_or(ptr::null_mut(), |s| ARef::into_raw(s).as_ptr());
        // INVARIANT: A set with the reference `into_raw` gave up, or null.
        let old = self.0.swap(new, Ordering::AcqRel);
        // SAFETY: The slot held a reference on the set it pointed to (type invariants), which
        // is handed back.
        NonNull::new(old).map(|o| unsafe { ARef::from_raw(o) })
    }
}

/// A css_set found through a task under RCU, without a reference of its own.
///
/// The task may move to another set at any moment and drop its reference, so the count of
/// this set may already be zero (it is then freed once the grace period ends). Its groups and
/// controller states can be read, since it holds them until it is freed; a reference to it can
/// only be taken with [`RcuCssSet::try_get`]. It is not a `&CssSet`, from which `ARef::from`
/// would increment a count that may be zero.
///
/// # Invariants
///
/// The wrapped set is valid (not yet freed) for as long as a reference to this is.
#[repr(transparent)]
pub struct RcuCssSet(CssSet);

impl RcuCssSet {
    /// A reference to the set, unless its count already dropped to zero (its last task moved
    /// away or exited).
    pub fn try_get(&self) -> Option<ARef<CssSet>> {
        if !self.0.refcount.inc_not_zero() {
            return None;
        }
        // SAFETY: The set is valid (type invariants) and the reference taken above is handed to
        // the `ARef`.
        Some(unsafe { ARef::from_raw(NonNull::from(&self.0)) })
    }

    /// Whether this is `set`.
    pub fn is(&self, set: &CssSet) -> bool {
        ptr::eq(&self.0, set)
    }

    /// The state of controller `id` for the tasks of this set.
    pub fn css(&self, id: SubsysId) -> Option<&RawCss> {
        self.0.css(id)
    }

    /// The state of the controller whose id is `index` (see [`CssSet::css_at`]).
    #[inline]
    pub(super) fn css_at(&self, index: usize) -> Option<&RawCss> {
        self.0.css_at(index)
    }

    /// The groups of the set that are not the top group of their hierarchy.
    pub fn cgroups(&self) -> &[ARef<Cgroup>] {
        self.0.cgroups()
    }

    /// The group of this set in hierarchy `root`, if it is not the top group.
    pub fn group_in(&self, root: &Root) -> Option<&Cgroup> {
        self.0.group_in(root)
    }

    /// Whether the tasks of this set are in `cgrp`.
    pub fn is_in(&self, cgrp: &Cgroup) -> bool {
        self.0.is_in(cgrp)
    }
}

/// The set of `task` (none before `cgroup_can_fork()` and after `cgroup_free()`), valid until
/// the read-side critical section `_rcu` ends.
pub fn task_cset<'a>(task: &Task, _rcu: &'a rcu::Guard) -> Option<&'a RcuCssSet> {
    let set = Slot::of(task).load(Ordering::Acquire).cast::<RcuCssSet>();
    // SAFETY: A set that a task pointed to is freed only after a grace period (type invariants
    // of `CssSet`), which cannot end before `_rcu` does; `RcuCssSet` is a transparent wrapper
    // of `CssSet`.
    // INVARIANT: Valid for `'a`, as just said.
    unsafe { set.as_ref() }
}

/// The set of `task`, valid while the css_set lock (`_guard`) is held.
fn task_cset_locked<'a>(task: &Task, _guard: &'a CsetGuard<'_>) -> Option<&'a CssSet> {
    // SAFETY: The pointer only changes under the lock; the task's reference keeps the set alive
    // (and its count above zero) while it points to it.
    unsafe { Slot::of(task).load(Ordering::Acquire).as_ref() }
}

/// A new reference to the set of `task`.
///
/// Neither the css_set lock nor the threadgroup rwsem is needed: if the task moves between the
/// load of its set and the increment, the increment fails on a count that dropped to zero, and
/// the set is looked up again. The new set is stored before the reference on the old one is
/// dropped, so the second look finds it.
pub(super) fn task_cset_ref(task: &Task) -> Option<ARef<CssSet>> {
    loop {
        let guard = rcu::read_lock();
        if let Some(set) = task_cset(task, &guard)?.try_get() {
            return Some(set);
        }
    }
}

// --- Fork, exit and free: what the hooks of kernel/fork.c and kernel/exit.c do. ---

/// A new task points to no set and is on no list until `cgroup_can_fork()` gives it one.
pub(super) fn fork_init(child: &Task) {
    Slot::of(child).forget();
    // SAFETY: The new task is not visible to anyone else yet; its node holds a copy of its
    // parent's, which is overwritten.
    unsafe { ListHead::init(child.cgroup_node().as_ptr()) };
}

/// Gives `child` its set, with the reference it will hold until `cgroup_free()`.
pub(super) fn fork_assign(child: &Task, set: ARef<CssSet>) {
    drop(swap_set(child, Some(set)));
}

/// Replaces the set (and reference) of `task`, returning the old one.
fn swap_set(task: &Task, set: Option<ARef<CssSet>>) -> Option<ARef<CssSet>> {
    Slot::of(task).swap(set)
}

/// Takes back the set given by [`fork_assign`] to a child whose fork failed.
pub(super) fn fork_unassign(child: &Task) -> Option<ARef<CssSet>> {
    swap_set(child, None)
}

/// Links a new task into its set: from now on it is listed in its groups.
///
/// An idle task (pid 0, made by `fork_idle()` for each CPU) keeps its set, but is not linked:
/// it is in no group's `tasks` and counts in no group, as in C.
pub(super) fn fork_link(core: &Core, child: &Task) {
    if child.pid() == 0 {
        return;
    }
    let guard = lock(core);
    if let Some(set) = task_cset_locked(child, &guard) {
        // SAFETY: The child's node is on no list; it points to `set`, and unlinks itself in
        // `cgroup_exit()`, before it can be freed.
        unsafe { link_task(&guard, set, child) };
    }
}

/// Unlinks an exiting task: it leaves `tasks` and `cgroup.procs` at once.
pub(super) fn exit_unlink(core: &Core, task: &Task) {
    let guard = lock(core);
    if let Some(set) = task_cset_locked(task, &guard) {
        unlink_task(&guard, set, task);
    }
}

/// Drops a dead task's reference on its set. Any context.
pub(super) fn free(task: &Task) {
    drop(swap_set(task, None));
}

/// Links `task` into `set`'s task list.
///
/// # Safety
///
/// `task`'s node must be on no list, `task` must point to `set`, and stay valid while linked.
unsafe fn link_task(guard: &CsetGuard<'_>, set: &CssSet, task: &Task) {
    // SAFETY: Guaranteed by the caller; the list is guarded by the lock we hold.
    unsafe { set.tasks.add_tail(task.cgroup_node()) };
    if set.nr_tasks.fetch_add(1, Ordering::Relaxed) == 0 {
        set.for_each_link(guard, |g| {
            g.nr_populated_csets.fetch_add(1, Ordering::Relaxed);
        });
    }
}

/// Unlinks `task`, which points to `set`, from `set`'s task list if it is on it; returns whether
/// it was.
fn unlink_task(guard: &CsetGuard<'_>, set: &CssSet, task: &Task) -> bool {
    let node = task.cgroup_node();
    // SAFETY: The node is initialised (by `cgroup_fork` or `init`), and on `set`'s list if on
    // any (the task points to `set`), whose lock we hold.
    unsafe {
        if node.is_empty() {
            return false;
        }
        skip_cursors(guard, set, node.as_ptr());
        node.del_init();
    }
    if set.nr_tasks.fetch_sub(1, Ordering::Relaxed) == 1 {
        set.for_each_link(guard, |g| {
            if g.nr_populated_csets.fetch_sub(1, Ordering::Relaxed) == 1 {
                g.check_release();
            }
        });
    }
    true
}

/// Moves `task` from `from` to `to` if it is still linked to `from` (it did not exit). The
/// task's reference on `from` is dropped here, with the lock held.
pub(super) fn move_task(guard: &mut CsetGuard<'_>, task: &Task, from: &CssSet, to: &ARef<CssSet>) {
    if !ptr::eq(Slot::of(task).load(Ordering::Relaxed), from) || !unlink_task(guard, from, task) {
        return;
    }
    let old = swap_set(task, Some(to.clone()));
    // SAFETY: The node was just unlinked; `task` points to `to` now, whose new reference keeps
    // it alive while the task is linked; a linked task unlinks itself before it is freed.
    unsafe { link_task(guard, to, task) };
    if let Some(old) = old {
        put_locked(guard, old);
    }
}

/// Takes the css_set lock, for [`move_task`].
pub(super) fn lock_for_moves(core: &Core) -> CsetGuard<'_> {
    lock(core)
}

// --- Creating sets. ---

/// The hash of the set of `cgroups` (given in hierarchy order).
///
/// The low bits of a product depend only on the low bits of its factors, and the low bits of
/// group addresses are those of their slab's alignment: without the final mixing (murmur3's
/// `fmix64`), every set of one group would land in one bucket (the bucket is the hash modulo
/// [`NR_BUCKETS`]).
fn hash_of<'a>(cgroups: impl Iterator<Item = &'a Cgroup>) -> u64 {
    let h = cgroups.fold(0xcbf29ce484222325, |h, c| {
        (h ^ (ptr::from_ref::<Cgroup>(c) as u64)).wrapping_mul(0x100000001b3)
    });
    let h = (h ^ (h >> 33)).wrapping_mul(0xff51afd7ed558ccd);
    let h = (h ^ (h >> 33)).wrapping_mul(0xc4ceb9fe1a85ec53);
    h ^ (h >> 33)
}

/// The bucket of the css_set table that the set of `cgroups` (given in hierarchy order) falls
/// in, out of [`NR_BUCKETS`].
///
/// The sets of a group that share its other hierarchies' groups differ in one address, and
/// group addresses share their low bits: the test below keeps the hash from putting all of them
/// in one bucket, which once made attach linear in the number of sets (a regression test for
/// "css_set hash puts every set of one group in one bucket").
///
/// ```
/// use kernel::cgroup::{cset, hierarchy};
/// use kernel::{fmt, str::CString};
/// // SAFETY: KUnit runs the doctests in a kernel thread that holds no lock.
/// let u = unsafe { kernel::cgroup::Unlocked::assume() };
///
/// let h = hierarchy::create_hierarchy(b"kunit_hash", &u)?;
/// let mut groups = KVec::new();
/// for i in 0..cset::NR_BUCKETS {
///     let name = CString::try_from_fmt(fmt!("g{i}"))?;
///     groups.push(hierarchy::mkdir(h.top(), &name, &u)?, GFP_KERNEL)?;
/// }
/// let mut used = [false; cset::NR_BUCKETS];
/// for g in groups.iter() {
///     used[cset::bucket_of([&**g])] = true;
/// }
/// // Random hashes would fill 81 buckets on average, with a spread of about 4.
/// assert!(used.iter().filter(|&&u| u).count() >= cset::NR_BUCKETS / 3);
/// for g in groups.iter() {
///     hierarchy::rmdir(g, &u)?;
/// }
/// hierarchy::release_hierarchy(h);
/// # Ok::<(), Error>(())
/// ```
pub fn bucket_of<'a>(cgroups: impl IntoIterator<Item = &'a Cgroup>) -> usize {
    bucket(hash_of(cgroups.into_iter()))
}

/// The hierarchy order of a set's groups.
fn order(c: &Cgroup) -> usize {
    ptr::from_ref(c.root()) as usize
}

/// A new set of `cgroups`, not yet published. Under the core mutex (`state`).
fn new_cset(state: &State, cgroups: KVec<ARef<Cgroup>>) -> Result<ARef<CssSet>> {
    let hash = hash_of(cgroups.iter().map(|c| &**c));
    let subsys = states_of(state, &cgroups);
    rcu::new_counted(
        pin_init!(CssSet {
            refcount: Refcount::new(1),
            hash,
            cgroups,
            subsys: subsys.map(AtomicPtr::new),
            tasks <- ListHead::new(),
            links <- ListHead::new(),
            iters <- ListHead::new(),
            nr_tasks: AtomicU32::new(0),
            rcu_head: RcuHead::new(),
        }),
        GFP_KERNEL,
    )
}

/// The states a set of `cgroups` points to: for each controller, its state in the set's group
/// of the hierarchy it is bound to, which is either one of `cgroups` or a top group (the dummy
/// hierarchy's, for a controller nobody mounted), whose state is the root state.
fn states_of(state: &State, cgroups: &[ARef<Cgroup>]) -> [*mut RawCss; NR_SUBSYS] {
    SubsysId::ALL.map(|id| {
        Iterator::chain(cgroups.iter(), state.live_tops())
            .find_map(|c| c.css(id))
            .or_else(|| state.dummy().css(id))
            .map_or(ptr::null_mut(), |c| ptr::from_ref(c).cast_mut())
    })
}

/// Publishes a new set in the table; on failure it is freed.
fn publish(guard: &mut CsetGuard<'_>, set: &ARef<CssSet>) -> Result {
    let raw: *const CssSet = &**set;
    guard.bucket(set.hash).push(raw, GFP_ATOMIC)?;
    Ok(())
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
    // The groups of the set wanted: `base`'s, with `target` for its hierarchy (and none for a
    // top group), in hierarchy order.
    let wanted = || {
        let others = base
            .cgroups
            .iter()
            .map(|c| &**c)
            .filter(move |c| !ptr::eq(c.root(), target.root()));
        let before = others.clone().take_while(move |c| order(c) < order(target));
        let after = others.skip_while(move |c| order(c) < order(target));
        let mine = (!target.is_top()).then_some(target);
        Iterator::chain(Iterator::chain(before, mine), after)
    };
    let hash = hash_of(wanted());
    {
        let guard = lock(core);
        // Taking a reference on a set in the table, whose count is not zero, is allowed.
        let found = guard
            .find(hash, |set| set.has_groups(wanted()))
            .map(ARef::from);
        drop(guard);
        if let Some(set) = found {
            return Ok(set);
        }
    }
    let mut cgroups = KVec::with_capacity(base.cgroups.len() + 1, GFP_KERNEL)?;
    for c in wanted() {
        cgroups.push(ARef::from(c), GFP_KERNEL)?;
    }
    let set = new_cset(state, cgroups)?;
    // One link per live hierarchy: to the set's group there, or to the top group, made before
    // the lock is taken and linked in the same critical section that publishes the set.
    let mut links = KVec::with_capacity(state.live_tops().count(), GFP_KERNEL)?;
    for top in state.live_tops() {
        let group = set.group_in(top.root()).unwrap_or(top);
        links.push(Link::new(group.into())?, GFP_KERNEL)?;
    }
    let mut guard = lock(core);
    if publish(&mut guard, &set).is_err() {
        drop(guard);
        return Err(ENOMEM);
    }
    for link in links {
        Link::attach(&guard, link, &set);
    }
    drop(guard);
    Ok(set)
}

/// Links every set to `top`, the top group of a new hierarchy. Called with the core mutex held
/// (`_state`), so no set is created meanwhile.
pub(super) fn link_all_to_top(core: &Core, _state: &State, top: &Cgroup) -> Result {
    let count = lock(core).sets().count();
    let mut links = KVec::with_capacity(count, GFP_KERNEL)?;
    for _ in 0..count {
        links.push(Link::new(ARef::from(top))?, GFP_KERNEL)?;
    }
    let guard = lock(core);
    // Sets only go away meanwhile, so there are at most `count`: every set gets a link.
    for (set, link) in guard.sets().zip(links) {
        Link::attach(&guard, link, set);
    }
    Ok(())
}

/// Unlinks every set from `top`, the top group of a hierarchy being destroyed, which has no
/// child group. Called with the core mutex held.
pub(super) fn unlink_top(core: &Core, _state: &State, top: &Cgroup) {
    let _guard = lock(core);
    let head = &top.cset_links;
    // SAFETY: The group's link list and its links' set lists are guarded by the lock we hold;
    // each link is freed once, after it is unlinked.
    unsafe {
        while !head.is_empty() {
            Link::free(Link::from_node(head.next(), false));
        }
    }
}

/// Points every set at the root state `css` of controller `id`, which is registering (with the
/// core mutex held, so no set is being created).
pub(super) fn give_root_css(core: &Core, id: SubsysId, css: &RawCss) {
    let guard = lock(core);
    for set in guard.sets() {
        set.subsys[id as usize].store(ptr::from_ref(css).cast_mut(), Ordering::Release);
    }
}

/// Points every set at the state of controller `id` in its group of hierarchy `root` (the
/// controller's root state `root_css` where that group is the top one, or for every set if
/// `root` is `None`): the commit of a rebinding (the `rebind` module). A set's identity is its
/// groups, which do not change, so the table stays as it is. Called with the core mutex and
/// the threadgroup rwsem (write) held; lockless readers see either state, both valid until
/// their read-side section ends.
pub(super) fn repoint(
    core: &Core,
    _state: &State,
    root: Option<&Root>,
    id: SubsysId,
    root_css: &RawCss,
) {
    let guard = lock(core);
    for set in guard.sets() {
        // A removed group (the set of exiting tasks) got no new state.
        let css = root
            .and_then(|r| set.group_in(r))
            .filter(|g| !g.is_dead())
            .and_then(|g| g.css(id))
            .unwrap_or(root_css);
        set.subsys[id as usize].store(ptr::from_ref(css).cast_mut(), Ordering::Release);
    }
}

/// Points the state of controller `id` of every css_set that names `cgrp` to `css`: the group
/// starts or stops sharing its parent's state (`<controller>.inherit`); the sets, whose
/// identity is their groups, stay where they are in the table. Under the core mutex and the
/// threadgroup rwsem (write).
pub(super) fn repoint_group(
    core: &Core,
    _state: &State,
    cgrp: &Cgroup,
    id: SubsysId,
    css: &RawCss,
) {
    let guard = lock(core);
    for_each_linked(&guard, cgrp, |set| {
        set.subsys[id as usize].store(ptr::from_ref(css).cast_mut(), Ordering::Release);
    });
}

/// The tasks of `cgrp` (not of its descendants), each with a reference. Called with the core
/// mutex and the threadgroup rwsem (write) held, so that no task joins the group meanwhile:
/// counted, then collected, under the css_set lock.
pub(super) fn tasks_of(core: &Core, _state: &State, cgrp: &Cgroup) -> Result<KVec<ARef<Task>>> {
    let count = nr_tasks_of(cgrp) as usize;
    let mut tasks = KVec::with_capacity(count, GFP_KERNEL)?;
    let guard = lock(core);
    for_each_linked(&guard, cgrp, |set| {
        set.for_each_task(&guard, |t| {
            // The capacity is reserved; a task that joined anyway is left out.
            if tasks.len() < count {
                let _ = tasks.push(ARef::from(t), GFP_ATOMIC);
            }
        })
    });
    drop(guard);
    Ok(tasks)
}

/// Makes the set of the init task: no group but top groups. Called once by `cgroup_init()`,
/// while the init task is the only task, before any hierarchy exists. The init task, which
/// becomes CPU 0's idle task, is not linked (see [`fork_link`]).
pub(super) fn init(core: &Core, state: &State, init_task: &'static Task) -> Result {
    let set = new_cset(state, KVec::new())?;
    let mut guard = lock(core);
    publish(&mut guard, &set)?;
    // SAFETY: `init_task`'s node is set up here, before it can be on any list.
    unsafe { ListHead::init(init_task.cgroup_node().as_ptr()) };
    drop(guard);
    // The init task had no set: nothing is given back.
    drop(swap_set(init_task, Some(set)));
    Ok(())
}

// --- Walking a group's tasks. ---

/// A cursor over the tasks of one group, or of a controller's state, that can pause,
/// dropping the css_set lock, and resume (C's `css_task_iter`): see
/// [`TaskCursor::next_batch`].
///
/// Tasks that join the group during the walk may or may not be seen; tasks that leave it are
/// not seen after they left; every task that stays in it all along is seen exactly once.
///
/// # Invariants
///
/// `set`, when not null, is a set linked to the current group (`cur`, or `group` if `cur` is
/// `None`), on which the cursor holds a reference, and `link` its link to that group; `next` is
/// a node of `set`'s task list or its head. While paused (`parked`), `node` is on `set`'s
/// cursor list and `next` is kept up to date by `unlink_task` (under the css_set lock).
#[pin_data(PinnedDrop)]
pub struct TaskCursor<'g> {
    /// The group walked first (referenced: a root state's group is read once, when the cursor
    /// is made, and a rebinding may move the state on while the cursor lives).
    group: ARef<Cgroup>,
    /// For a walk of a state's tasks in a hierarchy where groups may share their parent's
    /// state: the state; the groups that share it, below `group`, are walked too.
    css: Option<&'g RawCss>,
    /// The group walked now, after `group`.
    cur: Option<ARef<Cgroup>>,
    set: *mut CssSet,
    link: *const Link,
    next: AtomicPtr<bindings::list_head>,
    #[pin]
    node: ListHead,
    parked: bool,
    done: bool,
}

// SAFETY: The raw pointers are to sets and links, which are `Sync`; the cursor is only touched
// by other threads (through `next` and `node`) under the css_set lock.
unsafe impl Send for TaskCursor<'_> {}

/// Moves the paused cursors of `set` that would visit `node` next on to the node after it.
///
/// # Safety
///
/// `node` must be on `set`'s task list.
unsafe fn skip_cursors(_guard: &CsetGuard<'_>, set: &CssSet, node: *mut bindings::list_head) {
    // SAFETY: The cursor list is guarded by the lock we hold; paused cursors are alive (they
    // unlink themselves before being dropped); `node` is on the task list (the caller's
    // promise).
    unsafe {
        for it in set.iters.iter() {
            let cursor = &*container_of!(it, TaskCursor<'static>, node);
            if ptr::eq(cursor.next.load(Ordering::Relaxed), node) {
                cursor.next.store((*node).next, Ordering::Relaxed);
            }
        }
    }
}

/// The group after `pos` in a walk, parents first, of `top` and those of its descendants whose
/// state of controller `css` is `css` (they inherit it: so do all their children).
fn next_sharing<'a>(
    top: &'a Cgroup,
    pos: &'a Cgroup,
    css: &RawCss,
    rcu: &'a rcu::Guard,
) -> Option<&'a Cgroup> {
    let id = css.subsys_id();
    if !pos.is_dead() {
        if let Some(child) = pos.children(rcu).find(|c| c.uses_css(id, css)) {
            return Some(child);
        }
    }
    let mut pos = pos;
    while !ptr::eq(pos, top) {
        let mut sibling = pos.next_sibling_rcu(rcu);
        while let Some(s) = sibling {
            if s.uses_css(id, css) {
                return Some(s);
            }
            sibling = s.next_sibling_rcu(rcu);
        }
        pos = pos.parent()?;
    }
    None
}

impl<'g> TaskCursor<'g> {
    /// A cursor over the tasks of `group`, before the first one.
    pub fn new(group: &'g Cgroup) -> impl PinInit<Self> {
        Self::walking(ARef::from(group), None)
    }

    /// A cursor over the tasks of state `css`, before the first one: those of its group and,
    /// in a hierarchy mounted with `inherit`, of the groups that share the state. For a root
    /// state, the group is the top group of the hierarchy it is bound to now.
    pub fn of_css(css: &'g RawCss) -> impl PinInit<Self> {
        let group = css.cgroup();
        let css = group.root().has_flag(ROOT_INHERIT).then_some(css);
        Self::walking(group, css)
    }

    fn walking(group: ARef<Cgroup>, css: Option<&'g RawCss>) -> impl PinInit<Self> {
        pin_init!(TaskCursor {
            group,
            css,
            cur: None,
            set: ptr::null_mut(),
            link: ptr::null(),
            next: AtomicPtr::new(ptr::null_mut()),
            node <- ListHead::new(),
            parked: false,
            done: false,
        })
    }

    /// The next group that shares the state walked, after the current one.
    fn next_group(&self) -> Option<ARef<Cgroup>> {
        let css = self.css?;
        let pos = self.cur.as_deref().unwrap_or(&self.group);
        let guard = rcu::read_lock();
        // A group found by a walk of the tree under RCU may be referenced.
        next_sharing(&self.group, pos, css, &guard).map(ARef::from)
    }

    /// Moves on to the set of the current group's next link (its first link if the walk has
    /// not started), or of the next group's first, dropping the reference on the current set.
    /// Returns `false` at the end.
    fn advance(&mut self, guard: &mut CsetGuard<'_>) -> bool {
        let mut old = NonNull::new(self.set);
        self.set = ptr::null_mut();
        loop {
            let head = &self.cur.as_deref().unwrap_or(&self.group).cset_links;
            // SAFETY: The group's link list is guarded by the lock. `link`, if set, is linked:
            // we hold a reference on its set (type invariants). A linked link's set has a
            // non-zero count (type invariants of `CssSet`), so taking a reference on it is
            // allowed, and its task list is guarded by the lock. Our reference on the previous
            // set is given up once the walk left it.
            unsafe {
                let from = self.link.as_ref().map_or(head, |l| &l.cgrp_node);
                let node = from.next();
                if !ptr::eq(node, head.as_ptr()) {
                    let link = Link::from_node(node, false);
                    let set = ARef::into_raw(ARef::from(link.cset())).as_ptr();
                    self.next.store((*set).tasks.next(), Ordering::Relaxed);
                    // INVARIANT: A set linked to the current group, referenced, with its link.
                    self.set = set;
                    self.link = link;
                }
                if let Some(old) = old.take() {
                    put_locked(guard, ARef::from_raw(old));
                }
            }
            if !self.set.is_null() {
                return true;
            }
            // The group's sets are done: on to the next group that shares the state, from
            // its first link.
            let Some(next) = self.next_group() else {
                return false;
            };
            self.link = ptr::null();
            self.cur = Some(next);
        }
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
        let Some(core) = super::state::core() else {
            return false;
        };
        let mut guard = lock(core);
        if this.parked {
            // SAFETY: On the current set's cursor list, guarded by the lock.
            unsafe { this.node.del_init() };
            this.parked = false;
        }
        let mut seen = 0;
        let more = loop {
            if this.set.is_null() && !this.advance(&mut guard) {
                break false;
            }
            // SAFETY: We hold a reference on the current set (type invariants); its task list
            // is guarded by the lock, and a task on it is alive.
            let (head, stop) = unsafe {
                let set = &*this.set;
                let head = set.tasks.as_ptr();
                let mut next = this.next.load(Ordering::Relaxed);
                let mut stop = false;
                while !ptr::eq(next, head) {
                    if seen == max {
                        stop = true;
                        break;
                    }
                    let task = Task::from_cgroup_node(next);
                    next = (*next).next;
                    seen += 1;
                    if !f(task) {
                        stop = true;
                        break;
                    }
                }
                this.next.store(next, Ordering::Relaxed);
                (head, stop)
            };
            if ptr::eq(this.next.load(Ordering::Relaxed), head) && !this.advance(&mut guard) {
                break false;
            }
            if stop {
                // Pause: `unlink_task` moves `next` on if that task leaves the set meanwhile.
                // SAFETY: The node is on no list; the current set's cursor list is guarded by
                // the lock, and the cursor unlinks itself before it moves on or is dropped.
                unsafe { (*this.set).iters.add_tail(&this.node) };
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
        let Some(set) = NonNull::new(self.set) else {
            return;
        };
        if let Some(core) = super::state::core() {
            let mut guard = lock(core);
            // SAFETY: When parked, the node is on the set's cursor list, guarded by the lock.
            // The set is the cursor's reference (type invariants), given up here.
            unsafe {
                if self.parked {
                    self.node.del_init();
                }
                put_locked(&mut guard, ARef::from_raw(set));
            }
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
    /// // SAFETY: KUnit runs the doctests in a kernel thread that holds no lock.
    /// let u = unsafe { kernel::cgroup::Unlocked::assume() };
    ///
    /// let h = hierarchy::create_hierarchy(b"kunit_tasks", &u)?;
    /// let a = hierarchy::mkdir(h.top(), c_str!("a"), &u)?;
    /// let mut seen = 0;
    /// a.for_each_task(|_| seen += 1)?;
    /// assert_eq!(seen, 0);
    /// migrate::attach_current(&a, &u)?;
    /// let me = kernel::current!().pid();
    /// let mut pids = KVec::new();
    /// a.for_each_task(|t| {
    ///     let _ = pids.push(t.pid(), GFP_ATOMIC);
    /// })?;
    /// assert_eq!(&pids[..], &[me]);
    /// // Every other task (kernel threads among them) stayed in the top group.
    /// assert!(h.top().has_tasks() && h.top().nr_tasks() > 0);
    /// assert_eq!(a.nr_tasks(), 1);
    /// migrate::attach_current(h.top(), &u)?;
    /// assert_eq!(a.nr_tasks(), 0);
    /// hierarchy::rmdir(&a, &u)?;
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
