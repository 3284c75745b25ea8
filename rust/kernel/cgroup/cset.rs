// SPDX-License-Identifier: GPL-2.0

//! css_sets: the set of groups, one per hierarchy, that a task is in.
//!
//! Every task points to one [`CssSet`] (`task_struct::rcg_cset`), shared by all tasks that are
//! in exactly the same groups and found through a hash table when a task moves. A set stores
//! only the groups that are not the top group of their hierarchy, so creating a hierarchy needs
//! no change to any set: a task is in the top group of every hierarchy its set does not name.
//! Each set keeps the list of its tasks (`task_struct::rcg_node`), so a group lists its tasks by
//! walking the sets that name it, never every task in the system.
//!
//! # Locking
//!
//! - **The css_set lock** (an IRQ-safe spinlock, C's `css_set_lock`) guards the hash table, the
//!   task list and task count of every set, the per-group task counts, and every change of a
//!   task's `rcg_cset`. It is taken last, inside the core mutex and the threadgroup rwsem.
//! - **The threadgroup rwsem** (`cgroup_threadgroup_rwsem`, a per-CPU rwsem) is held for reading
//!   by fork from `cgroup_can_fork()` to `cgroup_post_fork()`/`cgroup_cancel_fork()`, and by
//!   exec and exit around thread-group changes; moving tasks holds it for writing, so a moved
//!   thread group cannot gain a thread that would stay behind, and a task's set never changes
//!   under a fork reading it.
//! - `rcg_cset` is written only under the css_set lock, with the core mutex and the threadgroup
//!   rwsem (write) held, and with release ordering. It is read by the task itself (fork, exit),
//!   under the css_set lock, or under the core mutex.
//!
//! - Controllers' states are read from a task's set without any lock, under `rcu_read_lock()`
//!   ([`super::subsys::task_css`]): sets are freed only after an RCU grace period.
//!
//! # References
//!
//! A set is counted: one reference per task pointing at it (from `cgroup_can_fork()` until
//! `cgroup_free()`), plus temporary ones. The last one is dropped under the css_set lock, which
//! unlinks the set from the hash table at the same time, so a lookup (under the lock) never
//! finds a set whose count reached zero. The set is then freed after an RCU grace period (for
//! lockless readers), from a work item (dropping its groups may free them, which needs process
//! context).
//!
//! Each set also points to the state of every registered controller
//! ([`super::subsys::RawCss`]): the state of its group in the controller's hierarchy, or the
//! controller's root state when that group is the top one. The groups it holds keep those
//! states alive.

use super::hierarchy::{core, Cgroup, Root};
use super::subsys::{self, RawCss, TaskSet, NR_SUBSYS};
use crate::prelude::*;
use crate::{
    alloc::{
        flags::{GFP_ATOMIC, GFP_KERNEL},
        KBox, KVec,
    },
    bindings,
    error::{
        code::{EACCES, EINVAL, ENOMEM, ESRCH},
        Result,
    },
    ffi::{c_int, c_ulong, c_void},
    seq_file::SeqFile,
    sync::Arc,
    types::Opaque,
    workqueue::{self, impl_has_work, new_work, Work, WorkItem},
};
use core::{
    cell::UnsafeCell,
    mem::offset_of,
    pin::Pin,
    ptr,
    sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering},
};

const NR_BUCKETS: usize = 64;

/// A set of groups, one per hierarchy, shared by every task in exactly those groups.
#[pin_data]
pub struct CssSet {
    refcount: AtomicUsize,
    /// The tasks in the set; under the css_set lock.
    tasks: UnsafeCell<bindings::list_head>,
    /// Tasks in `tasks`; under the css_set lock.
    nr_tasks: AtomicU32,
    /// The groups that are not the top group of their hierarchy, sorted by hierarchy id.
    cgroups: KVec<Arc<Cgroup>>,
    hash: u64,
    /// The state of each registered controller, by id; set at creation (or, for sets made
    /// before the controller registered, at its registration) and never changed.
    subsys: [AtomicPtr<RawCss>; NR_SUBSYS],
    /// Queues `free_work` after a grace period.
    rcu: Opaque<bindings::callback_head>,
    /// Frees the set in process context: the last reference may go in any context (a task's is
    /// dropped with its task struct, possibly from an RCU callback), but dropping the groups may
    /// free them, which puts their kernfs nodes.
    #[pin]
    free_work: Work<CssSet>,
}

impl_has_work! {
    impl HasWork<Self> for CssSet { self.free_work }
}

impl WorkItem for CssSet {
    type Pointer = Pin<KBox<CssSet>>;

    fn run(this: Pin<KBox<CssSet>>) {
        drop(this);
    }
}

// SAFETY: The list head and counters are only touched under the css_set lock; the groups are
// immutable once the set is published.
unsafe impl Sync for CssSet {}
// SAFETY: As above; the set is freed by whichever thread drops the last reference.
unsafe impl Send for CssSet {}

impl CssSet {
    /// The group of this set in hierarchy `root`.
    pub fn cgroup_in<'a>(&'a self, root: &'a Root) -> &'a Arc<Cgroup> {
        self.cgroups
            .iter()
            .find(|c| c.root_id() == root.id)
            .unwrap_or(&root.top)
    }

    fn tasks_head(&self) -> *mut bindings::list_head {
        self.tasks.get()
    }

    /// The state of controller `id` for the tasks of this set.
    pub fn css(&self, id: usize) -> Option<&RawCss> {
        let css = self.subsys.get(id)?.load(Ordering::Acquire);
        // SAFETY: Root states are never freed; others belong to groups this set holds.
        unsafe { css.as_ref() }
    }

    /// The number of references to the set: one per task that points to it, plus temporary
    /// ones.
    pub fn refcount(&self) -> usize {
        self.refcount.load(Ordering::Relaxed)
    }

    /// The number of live tasks in the set.
    pub fn nr_tasks(&self) -> u32 {
        self.nr_tasks.load(Ordering::Relaxed)
    }

    /// A number that tells sets apart while they are alive (their address).
    pub fn id(&self) -> usize {
        ptr::from_ref(self) as usize
    }

    /// The groups of the set that are not the top group of their hierarchy, by hierarchy id.
    pub fn cgroups(&self) -> &[Arc<Cgroup>] {
        &self.cgroups
    }
}

/// A css_set seen with the css_set lock held: its task list can be walked.
pub struct LockedCssSet<'a> {
    set: &'a CssSet,
    _guard: &'a CsetGuard,
}

impl<'a> core::ops::Deref for LockedCssSet<'a> {
    type Target = CssSet;

    fn deref(&self) -> &CssSet {
        self.set
    }
}

impl LockedCssSet<'_> {
    /// Calls `f` with the id, in the current task's pid namespace, of each task in the set (0
    /// for one not visible there).
    pub fn for_each_task_vnr(&self, mut f: impl FnMut(i32)) {
        let head = self.set.tasks_head();
        // SAFETY: The task list is guarded by the lock we hold; its tasks are alive while
        // linked.
        unsafe {
            let mut node = (*head).next;
            while !ptr::eq(node, head) {
                f(bindings::__task_pid_nr_ns(
                    node_task(node),
                    bindings::pid_type_PIDTYPE_PID,
                    ptr::null_mut(),
                ));
                node = (*node).next;
            }
        }
    }
}

/// Calls `f` with the current task's set, under the css_set lock (interrupts disabled: `f` must
/// not sleep).
pub fn with_current_cset<R>(f: impl FnOnce(&LockedCssSet<'_>) -> R) -> R {
    let guard = lock();
    // SAFETY: Every task that runs points to a set: the init task from `init` (called from
    // `start_kernel()` before any other task exists and before any initcall), every other task
    // from `cgroup_can_fork()`, before it first runs, until `cgroup_free()`, after its last run.
    // The current task holds a reference on its set, which only changes under the lock.
    let set = unsafe { &*task_cset(current()) };
    f(&LockedCssSet {
        set,
        _guard: &guard,
    })
}

/// Calls `f` with the current task's group in every hierarchy, the dummy one first.
///
/// Takes the core mutex: a caller in an operation on a kernfs node must have broken its active
/// protection (as controller files do).
pub fn for_each_group_of_current(mut f: impl FnMut(&Cgroup)) {
    let state = core().state.lock();
    f(&state.dummy().top);
    // SAFETY: The current task is valid.
    let cset = unsafe { task_cset(current()) };
    // SAFETY: The current task holds a reference on its set, which cannot change while we hold
    // the core mutex.
    if let Some(set) = unsafe { cset.as_ref() } {
        for root in state.roots().iter() {
            f(set.cgroup_in(root));
        }
    }
}

/// Calls `f` with each set whose group in `cgrp`'s hierarchy is `cgrp`, under the css_set lock
/// (interrupts disabled: `f` must not sleep).
pub fn for_each_cset_of(cgrp: &Cgroup, mut f: impl FnMut(&LockedCssSet<'_>)) {
    let root_id = cgrp.root_id();
    let mut guard = lock();
    let table: *const Table = guard.table();
    // SAFETY: The table is guarded by the lock we hold for the whole walk; `f` gets only shared
    // access to sets, through the guard.
    for bucket in unsafe { &*table }.buckets.iter() {
        for &c in bucket.iter() {
            // SAFETY: Listed sets are alive while we hold the lock.
            let set = unsafe { &*c };
            let mine = match set.cgroups.iter().find(|g| g.root_id() == root_id) {
                Some(g) => ptr::eq::<Cgroup>(&**g, cgrp),
                None => cgrp.is_top(),
            };
            if mine {
                f(&LockedCssSet {
                    set,
                    _guard: &guard,
                });
            }
        }
    }
}

fn hash_of(cgroups: &[Arc<Cgroup>]) -> u64 {
    cgroups.iter().fold(0xcbf29ce484222325, |h, c| {
        (h ^ (ptr::from_ref::<Cgroup>(c) as u64)).wrapping_mul(0x100000001b3)
    })
}

/// The hash table of sets, under the css_set lock.
struct Table {
    buckets: [KVec<*const CssSet>; NR_BUCKETS],
}

struct CsetLock {
    lock: Opaque<bindings::spinlock_t>,
    table: UnsafeCell<Table>,
}

// SAFETY: `table` is only accessed with `lock` held (see `CsetGuard`).
unsafe impl Sync for CsetLock {}

/// Points every set at the root state `css` of controller `id`, which is registering (with the
/// core mutex held, so no set is being created).
pub(super) fn give_root_css(id: usize, css: *const RawCss) {
    let mut guard = lock();
    for bucket in guard.table().buckets.iter() {
        for &c in bucket.iter() {
            // SAFETY: Listed sets are alive while we hold the lock.
            let set = unsafe { &*c };
            set.subsys[id].store(css.cast_mut(), Ordering::Release);
        }
    }
}

static CSET_LOCK: CsetLock = CsetLock {
    lock: Opaque::uninit(),
    table: UnsafeCell::new(Table {
        buckets: [const { KVec::new() }; NR_BUCKETS],
    }),
};

/// Holds the css_set lock, with interrupts disabled.
pub struct CsetGuard {
    flags: c_ulong,
}

fn lock() -> CsetGuard {
    // SAFETY: The lock was initialised by `init` (every caller runs after it).
    let flags = unsafe { bindings::spin_lock_irqsave(CSET_LOCK.lock.get()) };
    CsetGuard { flags }
}

impl CsetGuard {
    fn table(&mut self) -> &mut Table {
        // SAFETY: We hold the lock, which guards the table.
        unsafe { &mut *CSET_LOCK.table.get() }
    }
}

impl Drop for CsetGuard {
    fn drop(&mut self) {
        // SAFETY: Taken by `lock`, with these flags.
        unsafe { bindings::spin_unlock_irqrestore(CSET_LOCK.lock.get(), self.flags) };
    }
}

// --- Intrusive list operations on `struct list_head` (the C ones are inline). ---

/// # Safety
///
/// `head` must be valid for writes.
unsafe fn list_init(head: *mut bindings::list_head) {
    // SAFETY: Guaranteed by the caller.
    unsafe {
        (*head).next = head;
        (*head).prev = head;
    }
}

/// # Safety
///
/// `node` and `head` must be valid, `head` a list, `node` not on one; the list's lock held.
unsafe fn list_add_tail(node: *mut bindings::list_head, head: *mut bindings::list_head) {
    // SAFETY: Guaranteed by the caller.
    unsafe {
        let prev = (*head).prev;
        (*node).next = head;
        (*node).prev = prev;
        (*prev).next = node;
        (*head).prev = node;
    }
}

/// # Safety
///
/// `node` must be valid and on a list whose lock is held.
unsafe fn list_del_init(node: *mut bindings::list_head) {
    // SAFETY: Guaranteed by the caller.
    unsafe {
        let (prev, next) = ((*node).prev, (*node).next);
        (*prev).next = next;
        (*next).prev = prev;
        list_init(node);
    }
}

/// # Safety
///
/// `node` must be valid.
unsafe fn list_empty(node: *const bindings::list_head) -> bool {
    // SAFETY: Guaranteed by the caller.
    unsafe { ptr::eq((*node).next, node) }
}

fn task_node(task: *mut bindings::task_struct) -> *mut bindings::list_head {
    // SAFETY: Only computes a field address of a valid task (callers' requirement).
    unsafe { ptr::addr_of_mut!((*task).rcg_node) }
}

/// The task whose `rcg_node` is `node`.
fn node_task(node: *mut bindings::list_head) -> *mut bindings::task_struct {
    node.cast::<u8>()
        .wrapping_sub(offset_of!(bindings::task_struct, rcg_node))
        .cast()
}

/// The css_set pointer of `task`, as an atomic.
///
/// # Safety
///
/// `task` must point to a valid task that stays valid for `'a`.
unsafe fn cset_slot<'a>(task: *mut bindings::task_struct) -> &'a AtomicPtr<c_void> {
    // SAFETY: `rcg_cset` is a pointer-sized, pointer-aligned field of a valid task (caller),
    // only ever accessed atomically.
    unsafe { &*ptr::addr_of_mut!((*task).rcg_cset).cast::<AtomicPtr<c_void>>() }
}

/// The css_set of `task` (null before `cgroup_can_fork()` and after `cgroup_free()`).
///
/// # Safety
///
/// `task` must point to a valid task.
unsafe fn task_cset(task: *mut bindings::task_struct) -> *const CssSet {
    // SAFETY: Valid task (caller); the reference does not outlive this call.
    unsafe { cset_slot(task) }.load(Ordering::Acquire).cast()
}

// --- References. ---

fn get(cset: &CssSet) {
    cset.refcount.fetch_add(1, Ordering::Relaxed);
}

/// Drops a reference; the last one unlinks and frees the set.
///
/// # Safety
///
/// The caller must own a reference to `cset` and not use it afterwards.
unsafe fn put(cset: *const CssSet) {
    // SAFETY: The caller's reference keeps the set alive.
    let set = unsafe { &*cset };
    let mut cur = set.refcount.load(Ordering::Relaxed);
    while cur > 1 {
        match set
            .refcount
            .compare_exchange(cur, cur - 1, Ordering::Release, Ordering::Relaxed)
        {
            Ok(_) => return,
            Err(actual) => cur = actual,
        }
    }
    let mut guard = lock();
    if set.refcount.fetch_sub(1, Ordering::AcqRel) != 1 {
        return;
    }
    let bucket = &mut guard.table().buckets[(set.hash as usize) % NR_BUCKETS];
    if let Some(pos) = bucket.iter().position(|&c| ptr::eq(c, cset)) {
        let len = bucket.len();
        bucket.as_mut_slice().swap(pos, len - 1);
        // SAFETY: Shrinking by one; the removed element is a raw pointer (nothing to drop).
        unsafe { bucket.set_len(len - 1) };
    }
    drop(guard);
    // SAFETY: The count reached zero under the lock and the set is unlinked: only lockless
    // readers that found it before can still see it, and the callback runs after they are done.
    unsafe { bindings::call_rcu(set.rcu.get(), Some(free_rcu)) };
}

/// Frees a set after a grace period, from a work item.
///
/// # Safety
///
/// Called by RCU with the `rcu` field of a set queued by `put`.
unsafe extern "C" fn free_rcu(head: *mut bindings::callback_head) {
    let cset = head
        .cast::<u8>()
        .wrapping_sub(offset_of!(CssSet, rcu))
        .cast::<CssSet>();
    // SAFETY: The set was unlinked by `put` and its grace period is over: nothing can reach it.
    // It was made pinned by `new_cset`, and is not moved out of its box.
    let set = unsafe { Pin::new_unchecked(KBox::from_raw(cset)) };
    workqueue::system().enqueue(set);
}

fn new_cset(cgroups: KVec<Arc<Cgroup>>) -> Result<*const CssSet> {
    let hash = hash_of(&cgroups);
    let subsys: [AtomicPtr<RawCss>; NR_SUBSYS] = core::array::from_fn(|id| {
        let css = cgroups
            .iter()
            .find_map(|c| c.css(id))
            .map(ptr::from_ref)
            .or_else(|| subsys::ops(id).map(|o| ptr::from_ref(o.root_css())))
            .unwrap_or(ptr::null());
        AtomicPtr::new(css.cast_mut())
    });
    let cset = KBox::pin_init(
        pin_init!(CssSet {
            refcount: AtomicUsize::new(1),
            tasks: UnsafeCell::new(bindings::list_head {
                next: ptr::null_mut(),
                prev: ptr::null_mut(),
            }),
            nr_tasks: AtomicU32::new(0),
            cgroups,
            hash,
            subsys,
            rcu: Opaque::uninit(),
            free_work <- new_work!("CssSet::free_work"),
        }),
        GFP_KERNEL,
    )?;
    // SAFETY: The set is never moved out of its box: it is only used through this pointer and
    // freed by `put` (or by the error paths below) as a box again.
    let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(cset) });
    // SAFETY: The set is freshly allocated and not shared yet; it never moves from here.
    unsafe { list_init((*raw).tasks_head()) };
    Ok(raw)
}

/// The set equal to `base` but for `target` in `target`'s hierarchy, with a new reference.
///
/// Called with the core mutex held: sets are only created here, so the one created cannot be
/// created concurrently.
fn find_or_create(base: &CssSet, target: &Arc<Cgroup>) -> Result<*const CssSet> {
    let root_id = target.root_id();
    let mut cgroups = KVec::with_capacity(base.cgroups.len() + 1, GFP_KERNEL)?;
    let mut placed = target.is_top();
    for c in base.cgroups.iter() {
        if c.root_id() == root_id {
            continue;
        }
        if !placed && c.root_id() > root_id {
            cgroups.push(target.clone(), GFP_KERNEL)?;
            placed = true;
        }
        cgroups.push(c.clone(), GFP_KERNEL)?;
    }
    if !placed {
        cgroups.push(target.clone(), GFP_KERNEL)?;
    }
    let hash = hash_of(&cgroups);
    {
        let mut guard = lock();
        for &c in guard.table().buckets[(hash as usize) % NR_BUCKETS].iter() {
            // SAFETY: Sets in the table have a non-zero count and are only freed after being
            // unlinked under the lock, which we hold.
            let set = unsafe { &*c };
            let same = set.hash == hash
                && set.cgroups.len() == cgroups.len()
                && set
                    .cgroups
                    .iter()
                    .zip(cgroups.iter())
                    .all(|(a, b)| Arc::ptr_eq(a, b));
            if same {
                get(set);
                return Ok(c);
            }
        }
    }
    let cset = new_cset(cgroups)?;
    let mut guard = lock();
    if guard.table().buckets[(hash as usize) % NR_BUCKETS]
        .push(cset, GFP_ATOMIC)
        .is_err()
    {
        drop(guard);
        // SAFETY: Never published; we own its only reference.
        drop(unsafe { KBox::from_raw(cset.cast_mut()) });
        return Err(ENOMEM);
    }
    Ok(cset)
}

/// Links `task` into `cset`'s task list. Called with the css_set lock held.
///
/// # Safety
///
/// `task` must be valid with its node on no list, and point to `cset`.
unsafe fn link_task(_guard: &CsetGuard, cset: &CssSet, task: *mut bindings::task_struct) {
    // SAFETY: Guaranteed by the caller; the list is guarded by the lock we hold.
    unsafe { list_add_tail(task_node(task), cset.tasks_head()) };
    cset.nr_tasks.fetch_add(1, Ordering::Relaxed);
    for c in cset.cgroups.iter() {
        c.nr_tasks.fetch_add(1, Ordering::Relaxed);
    }
}

/// Unlinks `task` from `cset`'s task list if it is on it. Called with the css_set lock held.
///
/// # Safety
///
/// `task` must be valid and point to `cset`.
unsafe fn unlink_task(_guard: &CsetGuard, cset: &CssSet, task: *mut bindings::task_struct) {
    let node = task_node(task);
    // SAFETY: The node is initialised (by `cgroup_fork` or `init`); guarded by the lock.
    if unsafe { list_empty(node) } {
        return;
    }
    // SAFETY: On `cset`'s list, whose lock we hold.
    unsafe { list_del_init(node) };
    cset.nr_tasks.fetch_sub(1, Ordering::Relaxed);
    for c in cset.cgroups.iter() {
        if c.nr_tasks.fetch_sub(1, Ordering::Relaxed) == 1 {
            super::release::check(c);
        }
    }
}

/// Sets up the css_set lock and the set of the init task. Called once by `cgroup_init()`,
/// while the init task is the only task.
pub(super) fn init() -> Result {
    // SAFETY: Initialised once, before any use; the name and key are static.
    unsafe {
        bindings::__spin_lock_init(
            CSET_LOCK.lock.get(),
            crate::c_str!("css_set_lock").as_char_ptr(),
            crate::static_lock_class!().as_ptr(),
        )
    };
    let init_cset = new_cset(KVec::new())?;
    let init_task = ptr::addr_of_mut!(bindings::init_task);
    // SAFETY: The set is new; the init task is valid for ever, and no other task exists yet.
    unsafe {
        list_init(task_node(init_task));
        cset_slot(init_task).store(init_cset.cast_mut().cast(), Ordering::Release);
        let mut guard = lock();
        guard.table().buckets[((*init_cset).hash as usize) % NR_BUCKETS]
            .push(init_cset, GFP_ATOMIC)?;
        link_task(&guard, &*init_cset, init_task);
    }
    Ok(())
}

// --- Fork and exit hooks, called from kernel/fork.c and kernel/exit.c. ---

fn current() -> *mut bindings::task_struct {
    // SAFETY: Always valid in process context.
    unsafe { bindings::get_current() }
}

/// Points a new task at no set until `cgroup_can_fork()` gives it its parent's.
///
/// # Safety
///
/// `p` must be the task being created by `copy_process()`.
#[no_mangle]
pub unsafe extern "C" fn cgroup_fork(p: *mut bindings::task_struct) {
    // SAFETY: `p` is valid (caller).
    unsafe { cset_slot(p) }.store(ptr::null_mut(), Ordering::Relaxed);
    // SAFETY: `p` is valid and not visible to anyone else yet.
    unsafe { list_init(task_node(p)) };
}

/// Takes the threadgroup rwsem for reading and a reference on the parent's set for the child.
///
/// # Safety
///
/// `p` must be the task being created by the current task.
#[no_mangle]
pub unsafe extern "C" fn cgroup_can_fork(
    p: *mut bindings::task_struct,
    _args: *mut bindings::kernel_clone_args,
) -> c_int {
    let cur = current();
    // SAFETY: Paired with the `change_end` in `cgroup_post_fork`/`cgroup_cancel_fork`.
    unsafe { bindings::cgroup_threadgroup_change_begin(cur) };
    // The current task's set cannot change: moving it needs the rwsem for writing.
    // SAFETY: The current task is valid.
    let cset = unsafe { task_cset(cur) };
    if !cset.is_null() {
        // SAFETY: The current task holds a reference on its own set.
        get(unsafe { &*cset });
    }
    // SAFETY: `p` is valid (caller).
    unsafe { cset_slot(p) }.store(cset.cast_mut().cast(), Ordering::Release);
    0
}

/// Undoes `cgroup_can_fork()` for a fork that failed.
///
/// # Safety
///
/// `p` must be a task for which `cgroup_can_fork()` succeeded.
#[no_mangle]
pub unsafe extern "C" fn cgroup_cancel_fork(
    p: *mut bindings::task_struct,
    _args: *mut bindings::kernel_clone_args,
) {
    // SAFETY: `p` is valid (caller).
    let cset = unsafe { cset_slot(p) }.swap(ptr::null_mut(), Ordering::AcqRel);
    if !cset.is_null() {
        // SAFETY: The reference taken by `cgroup_can_fork` for `p`.
        unsafe { put(cset.cast()) };
    }
    // SAFETY: Paired with `cgroup_can_fork`.
    unsafe { bindings::cgroup_threadgroup_change_end(current()) };
}

/// Links the new task into its set: from now on it is listed in its groups.
///
/// # Safety
///
/// `p` must be a task for which `cgroup_can_fork()` succeeded.
#[no_mangle]
pub unsafe extern "C" fn cgroup_post_fork(
    p: *mut bindings::task_struct,
    _args: *mut bindings::kernel_clone_args,
) {
    // SAFETY: `p` is valid (caller).
    let cset = unsafe { task_cset(p) };
    if !cset.is_null() {
        let guard = lock();
        // SAFETY: `p` points to `cset` (reference from `cgroup_can_fork`), its node is on no
        // list.
        unsafe { link_task(&guard, &*cset, p) };
        drop(guard);
        // SAFETY: `p` holds a reference on `cset`, which cannot change before we return: moving
        // `p` needs the threadgroup rwsem for writing.
        unsafe { run_task_hook(&*cset, p, |o| o.fork) };
    }
    // SAFETY: Paired with `cgroup_can_fork`.
    unsafe { bindings::cgroup_threadgroup_change_end(current()) };
}

/// Unlinks an exiting task: it leaves `tasks` and `cgroup.procs` at once.
///
/// # Safety
///
/// `tsk` must be the exiting task.
#[no_mangle]
pub unsafe extern "C" fn cgroup_exit(tsk: *mut bindings::task_struct) {
    let guard = lock();
    // SAFETY: `tsk` is valid (caller).
    let cset = unsafe { task_cset(tsk) };
    if !cset.is_null() {
        // SAFETY: The task holds a reference on its set until `cgroup_free`.
        unsafe { unlink_task(&guard, &*cset, tsk) };
        drop(guard);
        // SAFETY: As above; an exiting task is not moved any more (moves skip it).
        unsafe { run_task_hook(&*cset, tsk, |o| o.exit) };
    }
}

/// Calls the `fork` or `exit` callback (`hook`) of every controller that has one for `task`.
///
/// # Safety
///
/// `task` must be valid and point to `cset`.
unsafe fn run_task_hook(
    cset: &CssSet,
    task: *mut bindings::task_struct,
    hook: impl Fn(&subsys::Ops) -> Option<fn(&RawCss, &crate::task::Task)>,
) {
    let mask = subsys::HAS_TASK_HOOKS.load(Ordering::Relaxed);
    if mask == 0 {
        return;
    }
    // SAFETY: `Task` is a transparent wrapper of a valid task (caller).
    let t = unsafe { &*task.cast::<crate::task::Task>() };
    // A root state's group may be unbound and freed meanwhile (see `RawCss::cgroup`).
    let _rcu = RcuGuard::new();
    for ops in subsys::each().filter(|o| mask & (1 << o.id as usize) != 0) {
        if let (Some(f), Some(css)) = (hook(ops), cset.css(ops.id as usize)) {
            f(css, t);
        }
    }
}

/// The state of controller `id` of `task`.
///
/// # Safety
///
/// `task` must be valid, and the caller in an RCU read-side critical section, which bounds the
/// returned lifetime.
pub(super) unsafe fn css_of_task<'a>(
    task: *mut bindings::task_struct,
    id: usize,
) -> Option<&'a RawCss> {
    // SAFETY: `task` is valid (caller).
    let cset = unsafe { task_cset(task) };
    // SAFETY: Sets are freed only after a grace period (caller in a read-side section).
    unsafe { cset.as_ref() }?.css(id)
}

/// Drops a dead task's reference on its set.
///
/// # Safety
///
/// `tsk` must be a task whose last reference is being dropped.
#[no_mangle]
pub unsafe extern "C" fn cgroup_free(tsk: *mut bindings::task_struct) {
    // SAFETY: `tsk` is valid (caller).
    let cset = unsafe { cset_slot(tsk) }.swap(ptr::null_mut(), Ordering::AcqRel);
    if !cset.is_null() {
        // SAFETY: The task's own reference.
        unsafe { put(cset.cast()) };
    }
}

// --- Moving tasks. ---

/// Holds the threadgroup rwsem for writing: no fork, exec or exit changes thread groups.
struct ThreadgroupWriteGuard;

impl ThreadgroupWriteGuard {
    fn new() -> Self {
        // SAFETY: The rwsem is static and initialised statically.
        unsafe {
            bindings::percpu_down_write(ptr::addr_of_mut!(bindings::cgroup_threadgroup_rwsem))
        };
        ThreadgroupWriteGuard
    }
}

impl Drop for ThreadgroupWriteGuard {
    fn drop(&mut self) {
        // SAFETY: Taken in `new`.
        unsafe { bindings::percpu_up_write(ptr::addr_of_mut!(bindings::cgroup_threadgroup_rwsem)) };
    }
}

/// A task reference, dropped with `put_task_struct`.
struct TaskRef(*mut bindings::task_struct);

impl TaskRef {
    /// # Safety
    ///
    /// `task` must be valid (for example under RCU).
    unsafe fn get(task: *mut bindings::task_struct) -> Self {
        // SAFETY: Guaranteed by the caller.
        unsafe { bindings::get_task_struct(task) };
        TaskRef(task)
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // SAFETY: Taken in `get`.
        unsafe { bindings::put_task_struct(self.0) };
    }
}

/// An RCU read-side critical section, held until dropped.
pub struct RcuGuard(core::marker::PhantomData<*mut ()>);

impl Default for RcuGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl RcuGuard {
    /// Enters an RCU read-side critical section.
    pub fn new() -> Self {
        // SAFETY: Paired with the unlock in `drop`.
        unsafe { bindings::rcu_read_lock() };
        RcuGuard(core::marker::PhantomData)
    }
}

impl Drop for RcuGuard {
    fn drop(&mut self) {
        // SAFETY: Locked in `new`.
        unsafe { bindings::rcu_read_unlock() };
    }
}

/// The threads of `leader`'s thread group (at most `max`), referenced. Called with the
/// threadgroup rwsem held for writing, so no thread is added meanwhile.
///
/// # Safety
///
/// `leader` must be a thread group leader the caller holds a reference on.
unsafe fn threads_of(leader: *mut bindings::task_struct, max: usize) -> Result<KVec<TaskRef>> {
    let mut out = KVec::with_capacity(max, GFP_KERNEL)?;
    let _rcu = RcuGuard::new();
    // SAFETY: Under RCU the thread list can be walked and its tasks are valid; `signal` is set
    // for a live task we hold a reference on.
    unsafe {
        let head = ptr::addr_of_mut!((*(*leader).signal).thread_head);
        let mut node = (*head).next;
        while !ptr::eq(node, head) && out.len() < max {
            let task = node
                .cast::<u8>()
                .wrapping_sub(offset_of!(bindings::task_struct, thread_node))
                .cast::<bindings::task_struct>();
            // Capacity was reserved: this push does not allocate.
            out.push(TaskRef::get(task), GFP_ATOMIC)?;
            node = (*node).next;
        }
    }
    Ok(out)
}

/// The last move of a series into one group: from which set to which. The threads of a group
/// are usually all in one set, so the others skip the lookup.
///
/// # Invariants
///
/// Holds a reference on each set, so that neither is freed and its address reused.
struct MoveCache {
    from: *const CssSet,
    to: *const CssSet,
}

impl Drop for MoveCache {
    fn drop(&mut self) {
        // SAFETY: The references held by the cache (type invariant).
        unsafe {
            put(self.from);
            put(self.to);
        }
    }
}

/// Moves `task` into `target`. Called with the core mutex and the threadgroup rwsem (write).
/// `cache` remembers the last move of a series into `target`.
///
/// # Safety
///
/// `task` must be a task the caller holds a reference on.
unsafe fn move_task(
    task: *mut bindings::task_struct,
    target: &Arc<Cgroup>,
    cache: &mut Option<MoveCache>,
) -> Result {
    // SAFETY: `task` is valid (caller).
    let old = unsafe { task_cset(task) };
    if old.is_null() {
        return Ok(());
    }
    // SAFETY: The task (referenced by the caller) holds a reference on its set, which cannot
    // change: changes need the core mutex, which we hold.
    let old_set = unsafe { &*old };
    if Arc::ptr_eq(old_set.cgroup_in(target.root()), target) {
        return Ok(());
    }
    let new = match cache {
        Some(c) if ptr::eq(c.from, old) => {
            // SAFETY: The cache holds a reference on `c.to`.
            get(unsafe { &*c.to });
            c.to
        }
        _ => {
            let new = find_or_create(old_set, target)?;
            get(old_set);
            // SAFETY: `new` was returned referenced by `find_or_create`.
            get(unsafe { &*new });
            // INVARIANT: References on both sets were taken just above.
            *cache = Some(MoveCache { from: old, to: new });
            new
        }
    };
    {
        let guard = lock();
        // SAFETY: The node of a valid task; guarded by the lock.
        if unsafe { list_empty(task_node(task)) } {
            // Exited meanwhile: it stays where it is.
            drop(guard);
            // SAFETY: The reference returned by `find_or_create`.
            unsafe { put(new) };
            return Ok(());
        }
        // SAFETY: The task is on `old`'s list and points to it; `new` is referenced for it.
        unsafe {
            unlink_task(&guard, old_set, task);
            cset_slot(task).store(new.cast_mut().cast(), Ordering::Release);
            link_task(&guard, &*new, task);
        }
    }
    // SAFETY: The task's reference on its old set, now replaced.
    unsafe { put(old) };
    Ok(())
}

/// Writes to `tasks` (`threadgroup` false) and `cgroup.procs` (true): moves the task with id
/// `pid` in the writer's pid namespace (0: the writer), or its whole thread group, into
/// `target`. `opener_euid` is the effective uid of whoever opened the file.
///
/// Called with the core mutex held.
pub(super) fn attach(
    target: &Arc<Cgroup>,
    pid: i32,
    threadgroup: bool,
    opener_euid: bindings::kuid_t,
) -> Result {
    let _tg = ThreadgroupWriteGuard::new();
    let task = {
        let _rcu = RcuGuard::new();
        let task = if pid == 0 {
            current()
        } else {
            // SAFETY: Looked up under RCU.
            unsafe { bindings::find_task_by_vpid(pid) }
        };
        if task.is_null() {
            return Err(ESRCH);
        }
        // SAFETY: Found under RCU, which keeps it valid until we take our reference.
        let task = unsafe {
            if threadgroup {
                TaskRef::get((*task).group_leader)
            } else {
                TaskRef::get(task)
            }
        };
        // SAFETY: A task we hold a reference on.
        if unsafe { (*task.0).flags } & bindings::PF_NO_SETAFFINITY != 0 {
            return Err(EINVAL);
        }
        // The v1 rule: root, or the owner of the task (its real or saved uid).
        // SAFETY: `real_cred` is valid under RCU for a task we hold.
        let (uid, suid) = unsafe {
            let cred = (*task.0).real_cred;
            ((*cred).uid.val, (*cred).suid.val)
        };
        if opener_euid.val != 0 && opener_euid.val != uid && opener_euid.val != suid {
            return Err(EACCES);
        }
        task
    };
    let threads = if threadgroup {
        // SAFETY: `signal` of a live task we hold a reference on.
        let nr = unsafe { (*(*task.0).signal).nr_threads } as usize;
        // SAFETY: `task` is the group leader (looked up as such) and we hold a reference on it.
        unsafe { threads_of(task.0, nr.max(1)) }?
    } else {
        let mut one = KVec::with_capacity(1, GFP_KERNEL)?;
        one.push(task, GFP_KERNEL)?;
        one
    };
    // The tasks that really move: not exiting, and not already in `target`.
    let mut moving: KVec<&crate::task::Task> = KVec::with_capacity(threads.len(), GFP_KERNEL)?;
    for thread in threads.iter() {
        // SAFETY: A task we hold a reference on; its set cannot change (we hold the core mutex).
        let (exiting, cset) = unsafe {
            (
                (*thread.0).flags & bindings::PF_EXITING != 0,
                task_cset(thread.0).as_ref(),
            )
        };
        let Some(cset) = cset else { continue };
        if exiting || Arc::ptr_eq(cset.cgroup_in(target.root()), target) {
            continue;
        }
        // SAFETY: `Task` is a transparent wrapper of a task we hold a reference on.
        let t = unsafe { &*thread.0.cast::<crate::task::Task>() };
        moving.push(t, GFP_KERNEL)?;
    }
    if moving.is_empty() {
        return Ok(());
    }
    let set = TaskSet(&moving);
    let mask = target.root().subsys_mask();
    let bound = || subsys::each().filter(move |o| mask & (1 << o.id as usize) != 0);
    let css_of = |o: &subsys::Ops| target.css(o.id as usize);
    let mut refused = None;
    for ops in bound() {
        if let Some(css) = css_of(ops) {
            if let Err(e) = ops.can_attach(css, &set) {
                refused = Some((ops.id, e));
                break;
            }
        }
    }
    let mut result = Ok(());
    if refused.is_none() {
        let mut cache = None;
        for t in moving.iter() {
            // SAFETY: A task of `threads`, whose references we hold.
            result = unsafe { move_task(t.0.get(), target, &mut cache) };
            if result.is_err() {
                break;
            }
        }
    }
    let err = refused.map(|(_, e)| e).or(result.err());
    for ops in bound() {
        if let Some((id, _)) = refused {
            if ops.id == id {
                break;
            }
        }
        if let Some(css) = css_of(ops) {
            match err {
                Some(_) => ops.cancel_attach(css, &set),
                None => ops.attach(css, &set),
            }
        }
    }
    err.map_or(Ok(()), Err)
}

/// Moves the current task into `target` from kernel code (no permission check).
///
/// # Examples
///
/// A child starts in its parent's set, with one more reference, and gives the reference back
/// when it is freed (this runs as a KUnit test, whose thread forks a kernel thread):
///
/// ```
/// use core::ffi::{c_int, c_void};
/// use core::sync::atomic::{AtomicBool, Ordering};
/// use kernel::cgroup::{cset, hierarchy};
/// use kernel::{bindings, c_str};
///
/// static RELEASE: AtomicBool = AtomicBool::new(false);
///
/// fn nap() {
///     // SAFETY: Sleeps for one tick, in process context.
///     unsafe { bindings::schedule_timeout_uninterruptible(1) };
/// }
///
/// unsafe extern "C" fn child(_arg: *mut c_void) -> c_int {
///     while !RELEASE.load(Ordering::Acquire) {
///         nap();
///     }
///     // A thread function must not return: that would enter user mode.
///     // SAFETY: Ends the current kernel thread, which holds no lock.
///     unsafe { bindings::do_exit(0) }
/// }
///
/// /// Waits up to about 10 s for `cond`.
/// fn wait_for(cond: impl Fn() -> bool) -> bool {
///     (0..2500).any(|_| cond() || {
///         nap();
///         false
///     })
/// }
///
/// let root = hierarchy::create_hierarchy(b"kunit_fork")?;
/// let a = hierarchy::mkdir(&root.top, c_str!("a"))?;
/// cset::attach_current(&a)?;
/// assert_eq!(cset::with_current_cset(|s| (s.refcount(), s.nr_tasks())), (1, 1));
///
/// // SAFETY: `child` is a thread function that needs no argument. With `SIGCHLD` as exit
/// // signal, which kernel threads ignore, the child is reaped when it exits.
/// let pid = unsafe {
///     bindings::kernel_thread(
///         Some(child),
///         core::ptr::null_mut(),
///         c_str!("cgroup_kunit").as_char_ptr(),
///         bindings::SIGCHLD as _,
///     )
/// };
/// assert!(pid > 0);
/// assert_eq!(a.nr_tasks(), 2);
/// assert_eq!(cset::with_current_cset(|s| (s.refcount(), s.nr_tasks())), (2, 2));
///
/// // It leaves the task list at exit, and its reference goes with its task struct, after an
/// // RCU grace period.
/// RELEASE.store(true, Ordering::Release);
/// assert!(wait_for(|| a.nr_tasks() == 1));
/// assert!(wait_for(|| {
///     // SAFETY: Waits for pending RCU callbacks, in process context.
///     unsafe { bindings::rcu_barrier() };
///     cset::with_current_cset(|s| s.refcount()) == 1
/// }));
///
/// cset::attach_current(&root.top)?;
/// hierarchy::rmdir(&a)?;
/// hierarchy::release_hierarchy(root);
/// # Ok::<(), Error>(())
/// ```
pub fn attach_current(target: &Arc<Cgroup>) -> Result {
    let _state = core().state.lock();
    if target.is_dead() {
        return Err(crate::error::code::ENODEV);
    }
    attach(target, 0, false, bindings::kuid_t { val: 0 })
}

// --- Listing. ---

/// Writes the sorted, unique ids of the tasks in `cgrp` (thread ids, or with `tgids` thread
/// group ids) as seen from the current task's pid namespace, one per line.
pub(super) fn show_ids(cgrp: &Arc<Cgroup>, tgids: bool, m: &SeqFile) -> Result {
    let root = cgrp.root();
    // SAFETY: `current` is valid; its active pid namespace lives as long as it does.
    let ns = unsafe { bindings::task_active_pid_ns(current()) };
    let pid_type = if tgids {
        bindings::pid_type_PIDTYPE_TGID
    } else {
        bindings::pid_type_PIDTYPE_PID
    };
    let mut ids: KVec<i32>;
    loop {
        let count: usize = {
            let mut guard = lock();
            let mut n = 0;
            for bucket in guard.table().buckets.iter() {
                for &c in bucket.iter() {
                    // SAFETY: Listed sets are alive while we hold the lock.
                    let set = unsafe { &*c };
                    if Arc::ptr_eq(set.cgroup_in(root), cgrp) {
                        n += set.nr_tasks.load(Ordering::Relaxed) as usize;
                    }
                }
            }
            n
        };
        ids = KVec::with_capacity(count, GFP_KERNEL)?;
        let mut guard = lock();
        let mut overflow = false;
        for bucket in guard.table().buckets.iter() {
            for &c in bucket.iter() {
                // SAFETY: Listed sets are alive while we hold the lock.
                let set = unsafe { &*c };
                if !Arc::ptr_eq(set.cgroup_in(root), cgrp) {
                    continue;
                }
                let head = set.tasks_head();
                // SAFETY: The task list is guarded by the lock; its tasks are alive while
                // linked (they unlink themselves in `cgroup_exit`).
                unsafe {
                    let mut node = (*head).next;
                    while !ptr::eq(node, head) {
                        let id = bindings::__task_pid_nr_ns(node_task(node), pid_type, ns);
                        if id > 0 {
                            if ids.len() == ids.capacity() {
                                overflow = true;
                            } else {
                                ids.push(id, GFP_ATOMIC)?;
                            }
                        }
                        node = (*node).next;
                    }
                }
            }
        }
        if !overflow {
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

/// `/proc/<pid>/cgroup`: one line per hierarchy, the most recently created first.
///
/// # Safety
///
/// Called by procfs with a valid seq_file and a task it holds a reference on.
#[no_mangle]
pub unsafe extern "C" fn proc_cgroup_show(
    m: *mut bindings::seq_file,
    _ns: *mut bindings::pid_namespace,
    _pid: *mut bindings::pid,
    tsk: *mut bindings::task_struct,
) -> c_int {
    // SAFETY: procfs passes a valid seq_file, ours for the call.
    let m = unsafe { SeqFile::from_raw(m) };
    crate::error::from_result(|| {
        let mut path = KVec::from_elem(0u8, bindings::PATH_MAX as usize, GFP_KERNEL)?;
        let state = core().state.lock();
        // SAFETY: procfs holds a reference on `tsk`.
        let cset = unsafe { task_cset(tsk) };
        if cset.is_null() {
            return Ok(0);
        }
        // SAFETY: The task holds a reference on its set until `cgroup_free`, after its last
        // reference is gone; the set cannot change while we hold the core mutex.
        let set = unsafe { &*cset };
        // Plain writes rather than formatting: tools read this file often.
        for root in state.roots().iter().rev() {
            m.write_decimal(root.id.unsigned_abs().into());
            m.write_bytes(b":");
            let mask = root.subsys_mask();
            let mut sep: &[u8] = b"";
            for ops in subsys::each().filter(|o| mask & (1 << o.id as usize) != 0) {
                m.write_bytes(sep);
                m.write_bytes(ops.name().as_bytes());
                sep = b",";
            }
            if !root.name.is_empty() {
                m.write_bytes(sep);
                m.write_bytes(b"name=");
                m.write_bytes(&root.name);
            }
            m.write_bytes(b":");
            m.write_bytes(set.cgroup_in(root).path(&mut path)?);
            m.write_bytes(b"\n");
        }
        Ok(0)
    })
}
