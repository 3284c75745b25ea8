// SPDX-License-Identifier: GPL-2.0

//! Moving tasks between groups: writes to `tasks` and `cgroup.procs`, and moves made by the
//! kernel itself.
//!
//! A move is all or nothing. It runs with the core mutex, the CPU-hotplug lock (read) and the
//! threadgroup rwsem (write) held, so no task of the moving thread group forks, execs or starts
//! exiting meanwhile, and in three steps:
//!
//! 1. **Prepare**: the destination css_set of every source set is found or made. This is the
//!    only step that allocates; a failure here leaves every task where it was, and no
//!    controller has been asked yet.
//! 2. **Ask**: each controller bound to the hierarchy may refuse ([`Subsystem::can_attach`]);
//!    the ones that accepted are told when a later one refuses ([`Subsystem::cancel_attach`]).
//! 3. **Commit**: every task switches sets under the css_set lock, which cannot fail; then the
//!    controllers are told ([`Subsystem::attach`]) and, with the rwsem released,
//!    [`Subsystem::post_attach`] runs.
//!
//! [`Subsystem::can_attach`]: super::Subsystem::can_attach
//! [`Subsystem::cancel_attach`]: super::Subsystem::cancel_attach
//! [`Subsystem::attach`]: super::Subsystem::attach
//! [`Subsystem::post_attach`]: super::Subsystem::post_attach

use super::cset::{self, CssSet};
use super::group::{Cgroup, Root};
use super::state::{core, Core, CoreCell, State, Unlocked};
use super::subsys::{self, Migration, Move};
use crate::{
    alloc::{
        flags::{GFP_ATOMIC, GFP_KERNEL},
        KBox, KVec,
    },
    error::{code::*, Result},
    kernfs::Attrs,
    prelude::*,
    str::CString,
    sync::rcu,
    task::{Kuid, Task},
    types::ARef,
};
use core::{
    ptr,
    sync::atomic::{AtomicUsize, Ordering},
};

/// Moves `tasks` into `target`: [`migrate_moves`] for tasks given as a slice.
fn migrate(core: &Core, state: &State, target: &Cgroup, tasks: &[ARef<Task>]) -> Result {
    let mut moves = KVec::with_capacity(tasks.len(), GFP_KERNEL)?;
    for task in tasks {
        moves.push(Move::of(task.clone()), GFP_KERNEL)?;
    }
    migrate_moves(core, state, target, &mut moves)
}

/// Moves the tasks of `moves`, entries made by [`Move::of`], into `target`. Called with the
/// core mutex (`state`) and the threadgroup rwsem (write) held; the caller releases the rwsem
/// and then runs [`subsys::post_attach`]. `moves` is left empty, its memory kept for the next
/// move.
fn migrate_moves(core: &Core, state: &State, target: &Cgroup, moves: &mut KVec<Move>) -> Result {
    let mut mig = Migration {
        moves: core::mem::take(moves),
        from: None,
    };
    let result = migrate_prepared(core, state, target, &mut mig);
    while mig.moves.pop().is_some() {}
    *moves = mig.moves;
    result
}

fn migrate_prepared(
    core: &Core,
    state: &State,
    target: &Cgroup,
    mig: &mut Migration<'_>,
) -> Result {
    // 1. Prepare: the tasks that really move (not exiting, not already in `target`), kept in
    // order at the front, and the destination set of each set they come from; only a new
    // source set costs a lookup and references.
    let mut kept = 0;
    for i in 0..mig.moves.len() {
        // With the rwsem held for writing, the task cannot move or exit meanwhile, so its set
        // keeps its reference; should it ever not, the task is left out.
        let Some(from) = mig.source_of(&mig.moves[i].task, |set| set.is_in(target)) else {
            continue;
        };
        let (pair, sets) = match from {
            Err(j) => (j, None),
            Ok(from) => {
                let to = cset::find_or_create(core, state, &from, target)?;
                (kept, Some((from, to)))
            }
        };
        mig.moves.swap(kept, i);
        let m = &mut mig.moves[kept];
        m.pair = pair;
        m.sets = sets;
        kept += 1;
    }
    while mig.moves.len() > kept {
        mig.moves.pop();
    }
    if mig.moves.is_empty() {
        return Ok(());
    }
    // 2. Ask.
    let mask = target.root().subsys_mask();
    let mut accepted = 0u32;
    for ops in subsys::each_in(mask) {
        let Some(css) = target.css(ops.id) else {
            continue;
        };
        if let Err(e) = ops.can_attach(mig, css) {
            for done in subsys::each_in(accepted) {
                if let Some(css) = target.css(done.id) {
                    done.cancel_attach(mig, css);
                }
            }
            return Err(e);
        }
        accepted |= ops.id.bit();
    }
    // 3. Commit: nothing allocates, nothing can fail.
    {
        let mut guard = cset::lock_for_moves(core);
        for (i, m) in mig.moves.iter().enumerate() {
            if let Some((from, to)) = mig.sets(i) {
                cset::move_task(&mut guard, &m.task, from, to);
            }
        }
    }
    for ops in subsys::each_in(mask) {
        if let Some(css) = target.css(ops.id) {
            ops.attach(mig, css);
        }
    }
    Ok(())
}

/// Writes to `tasks` (`threadgroup` false) and `cgroup.procs` (true): moves the task with id
/// `pid` in the writer's pid namespace (0: the writer), or its whole thread group, into
/// `target`. `opener_euid` is the effective uid of whoever opened the file.
///
/// Called with the core mutex held.
pub(super) fn attach(
    core: &Core,
    state: &mut State,
    target: &Cgroup,
    pid: i32,
    threadgroup: bool,
    opener_euid: Kuid,
) -> Result {
    if target.is_dead() {
        return Err(ENODEV);
    }
    let result = {
        let _locks = super::state::attach_lock();
        let task: ARef<Task> = {
            let guard = rcu::read_lock();
            let task = if pid == 0 {
                crate::current!().into()
            } else {
                ARef::from(Task::find_by_vpid(pid, &guard).ok_or(ESRCH)?)
            };
            if threadgroup {
                ARef::from(task.group_leader())
            } else {
                task
            }
        };
        if task.no_setaffinity() {
            return Err(EINVAL);
        }
        // The v1 rule: root, or the owner of the task (its real or saved uid).
        let allowed = opener_euid == Kuid::root() || {
            // With a reference (`get_task_cred()`): credentials found under RCU may already have
            // dropped their last reference.
            let cred = task.real_cred();
            opener_euid == cred.uid() || opener_euid == cred.suid()
        };
        if !allowed {
            return Err(EACCES);
        }
        // The entries of the last move's memory, unless a large thread group made it large.
        let mut moves = core::mem::take(MOVES.get_mut(state));
        let result = if threadgroup {
            add_threads(&mut moves, &task)
        } else {
            moves.push(Move::of(task), GFP_KERNEL).map_err(Into::into)
        }
        .and_then(|()| migrate_moves(core, state, target, &mut moves));
        if moves.capacity() <= MOVES_KEPT {
            *MOVES.get_mut(state) = moves;
        }
        result
    };
    subsys::post_attach();
    result
}

/// The memory of the entries of the last move made by [`attach`], used again by the next one:
/// a move allocates nothing for its tasks unless it moves more than any move before it.
static MOVES: CoreCell<KVec<Move>> = CoreCell::new(KVec::new());

/// The most entries whose memory [`MOVES`] keeps.
const MOVES_KEPT: usize = 64;

/// Adds an entry for each thread of `leader`'s thread group to `moves`. Called with the
/// threadgroup rwsem held for writing: no thread is added meanwhile.
fn add_threads(moves: &mut KVec<Move>, leader: &Task) -> Result {
    moves.reserve(leader.nr_threads().max(1), GFP_KERNEL)?;
    let guard = rcu::read_lock();
    for t in leader.threads(&guard) {
        // Threads only go away meanwhile: the capacity is enough, and this does not allocate.
        if moves.push(Move::of(ARef::from(t)), GFP_ATOMIC).is_err() {
            break;
        }
    }
    Ok(())
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
/// use kernel::cgroup::{cset, hierarchy, migrate};
/// use kernel::{bindings, c_str, sync::rcu};
/// // SAFETY: KUnit runs the doctests in a kernel thread that holds no lock.
/// let u = unsafe { kernel::cgroup::Unlocked::assume() };
///
/// static RELEASE: AtomicBool = AtomicBool::new(false);
///
/// fn nap() {
///     // SAFETY: Sleeps for one tick, in process context.
///     unsafe { bindings::schedule_timeout_uninterruptible(1) };
/// }
///
/// /// # Safety
/// ///
/// /// Called by `kernel_thread()` as a thread function.
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
/// let h = hierarchy::create_hierarchy(b"kunit_fork", &u)?;
/// let a = hierarchy::mkdir(h.top(), c_str!("a"), &u)?;
/// migrate::attach_current(&a, &u)?;
/// assert_eq!(cset::with_current_cset(|s| (s.refcount(), s.nr_tasks())), Some((1, 1)));
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
/// assert_eq!(cset::with_current_cset(|s| (s.refcount(), s.nr_tasks())), Some((2, 2)));
///
/// // It leaves the task list at exit, and its reference goes with its task struct, after an
/// // RCU grace period.
/// RELEASE.store(true, Ordering::Release);
/// assert!(wait_for(|| a.nr_tasks() == 1));
/// assert!(wait_for(|| {
///     rcu::barrier();
///     cset::with_current_cset(|s| s.refcount()) == Some(1)
/// }));
///
/// migrate::attach_current(h.top(), &u)?;
/// hierarchy::rmdir(&a, &u)?;
/// hierarchy::release_hierarchy(h);
/// # Ok::<(), Error>(())
/// ```
pub fn attach_current(target: &Cgroup, _unlocked: &Unlocked) -> Result {
    let core = core().ok_or(ENODEV)?;
    let mut state = core.state.lock();
    attach(core, &mut state, target, 0, false, Kuid::root())
}

/// Creates a child `name` of the group of `task` in the live hierarchy `root` and moves `task`
/// into it, in one step (the 2007 `cgroup_clone()`): with the core mutex held throughout, so
/// that no other move, `rmdir` or umount comes in between. `ESRCH` (and no group left behind)
/// if the task is exiting. The new group belongs to the current task's fsuid/fsgid.
///
/// # Examples
///
/// ```
/// use kernel::c_str;
/// use kernel::cgroup::{hierarchy, migrate};
/// use kernel::error::code::EEXIST;
/// // SAFETY: KUnit runs the doctests in a kernel thread that holds no lock.
/// let u = unsafe { kernel::cgroup::Unlocked::assume() };
///
/// let h = hierarchy::create_hierarchy(b"kunit_clone", &u)?;
/// let a = migrate::clone_into_child(h.root(), kernel::current!(), c_str!("a"), &u)?;
/// let b = migrate::clone_into_child(h.root(), kernel::current!(), c_str!("b"), &u)?;
/// let mut buf = [0u8; 32];
/// assert_eq!(b.path_into(&mut buf)?, b"/a/b");
/// assert_eq!((a.nr_tasks(), b.nr_tasks()), (0, 1));
///
/// // A name that is taken fails, and the task stays where it was.
/// let c = hierarchy::mkdir(&b, c_str!("c"), &u)?;
/// let again = migrate::clone_into_child(h.root(), kernel::current!(), c_str!("c"), &u);
/// assert!(matches!(again, Err(EEXIST)));
/// assert_eq!((b.nr_tasks(), c.nr_tasks()), (1, 0));
///
/// migrate::attach_current(h.top(), &u)?;
/// for g in [&c, &b, &a] {
///     hierarchy::rmdir(g, &u)?;
/// }
/// hierarchy::release_hierarchy(h);
/// # Ok::<(), Error>(())
/// ```
pub fn clone_into_child(
    root: &Root,
    task: &Task,
    name: &CStr,
    _unlocked: &Unlocked,
) -> Result<ARef<Cgroup>> {
    let core = core().ok_or(ENODEV)?;
    let mut state = core.state.lock();
    let top = state
        .live_tops()
        .find(|t| ptr::eq(t.root(), root))
        .cloned()
        .ok_or(ENODEV)?;
    clone_locked(core, &mut state, &top, task, name, false)
}

/// [`clone_into_child`] in the hierarchy of the live top group `top`, with the core mutex held.
fn clone_locked(
    core: &Core,
    state: &mut State,
    top: &ARef<Cgroup>,
    task: &Task,
    name: &CStr,
    for_new_namespaces: bool,
) -> Result<ARef<Cgroup>> {
    let parent: ARef<Cgroup> = {
        let guard = rcu::read_lock();
        let set = cset::task_cset(task, &guard).ok_or(ESRCH)?;
        set.group_in(top.root())
            .map_or_else(|| top.clone(), ARef::from)
    };
    let child = if for_new_namespaces {
        make_ns_group(state, &parent, name)?
    } else {
        state.create_group(&parent, name, Attrs::current_owner(0o755))?
    };
    let moved = {
        let _locks = super::state::attach_lock();
        migrate(core, state, &child, &[ARef::from(task)])
    };
    subsys::post_attach();
    let in_child = {
        let guard = rcu::read_lock();
        cset::task_cset(task, &guard).is_some_and(|s| s.is_in(&child))
    };
    match moved {
        Ok(()) if in_child => Ok(child),
        other => {
            // Leave no half-made group behind.
            let _ = state.remove_group(&child);
            other.and(Err(ESRCH))
        }
    }
}

/// Makes the group `name` under `parent` for a task that gets new namespaces. A group of that
/// name may be left by an earlier task with the same pid (automatic groups stay, as in 2.6.24,
/// unless a release agent removes them): it is used again if it is empty (no task, no child),
/// and otherwise the new group is named `<name>.<n>`, the first of `.1`, `.2`... that is free.
/// Without this, pids coming round again would fail `clone()` and `unshare()` with `EEXIST`.
fn make_ns_group(state: &mut State, parent: &Cgroup, name: &CStr) -> Result<ARef<Cgroup>> {
    let attrs = || Attrs::current_owner(0o755);
    match state.create_group(parent, name, attrs()) {
        Err(e) if e == EEXIST => {}
        other => return other,
    }
    let reusable = {
        let guard = rcu::read_lock();
        let mut buf = [0u8; 64];
        parent
            .children(&guard)
            .find(|c| c.name_into(&mut buf).is_ok_and(|n| n == name.as_bytes()))
            .filter(|c| !c.is_dead() && !c.has_tasks() && c.children(&guard).next().is_none())
            .map(ARef::from)
    };
    if let Some(group) = reusable {
        return Ok(group);
    }
    for n in 1..=1000u32 {
        let alt = CString::try_from_fmt(crate::fmt!("{}.{}", name.to_str()?, n))?;
        match state.create_group(parent, &alt, attrs()) {
            Err(e) if e == EEXIST => continue,
            other => return other,
        }
    }
    Err(EEXIST)
}

/// The name of the group made in hierarchy `root` for `task` when it gets new namespaces: its
/// pid as seen from the hierarchy's maker, in decimal (a task that is still being forked is
/// found by its global number, as its own pid link is not set yet). A task the maker cannot
/// see (outside its pid namespace) is named after its global number.
fn pid_name(root: &Root, task: &Task) -> Result<CString> {
    let nr = match root.pid_ns().nr_of_global(task.pid()) {
        0 => task.pid(),
        nr => nr,
    };
    CString::try_from_fmt(crate::fmt!("{}", nr))
}

/// `unshare()` made new namespaces for the current task (`flags` are the `CLONE_NEW*` flags it
/// asked for; none means nothing to do): if the controller with
/// [`Subsystem::CLONE_ON_NEW_NAMESPACES`] is bound to a live hierarchy, the task moves into a
/// new child of its group there, named after its pid ([`clone_into_child`]). A failure fails
/// the `unshare()`.
///
/// Context: process, before the new namespaces are installed; takes the core mutex; may sleep.
///
/// [`Subsystem::CLONE_ON_NEW_NAMESPACES`]: super::Subsystem::CLONE_ON_NEW_NAMESPACES
pub(super) fn unshare_current() -> Result {
    let Some(core) = core() else {
        return Ok(());
    };
    let mut state = core.state.lock();
    let Some(top) = subsys::newns_top(&state).cloned() else {
        return Ok(());
    };
    let task = crate::current!();
    let name = pid_name(top.root(), task)?;
    clone_locked(core, &mut state, &top, task, &name, true).map(|_| ())
}

/// The forking task holding the core mutex from `cgroup_can_fork()` to `cgroup_post_fork()`
/// or `cgroup_cancel_fork()`, named by its child: set and cleared only with the mutex held, by
/// the task that holds it. A fork finds its own child here only if it took the mutex.
static FORK_HOLDER: AtomicUsize = AtomicUsize::new(0);

fn holder_key(child: &Task) -> usize {
    child.as_ptr() as usize
}

/// The first half of `clone()` with a `CLONE_NEW*` flag while the controller with
/// [`Subsystem::CLONE_ON_NEW_NAMESPACES`] is bound to a live hierarchy: makes the child group
/// of the current task's group there, named after `child`'s pid, and returns the set that
/// `child` will join instead of its parent's (`None`: nothing to do).
///
/// On success with a set, the core mutex stays held (as C's `CLONE_INTO_CGROUP` holds
/// `cgroup_mutex`), so that nobody removes the new group, moves the parent or unmounts the
/// hierarchy before the child is linked: [`fork_finish`] releases it, and removes the group if
/// the fork failed.
///
/// Context: `cgroup_can_fork()`, before the threadgroup rwsem is taken; may sleep.
///
/// [`Subsystem::CLONE_ON_NEW_NAMESPACES`]: super::Subsystem::CLONE_ON_NEW_NAMESPACES
pub(super) fn fork_prepare(child: &Task) -> Result<Option<ARef<CssSet>>> {
    let Some(core) = core() else {
        return Ok(None);
    };
    let mut state = core.state.lock();
    let Some(top) = subsys::newns_top(&state).cloned() else {
        return Ok(None);
    };
    // The current task's set cannot change: moving it needs the core mutex.
    let from = cset::task_cset_ref(crate::current!()).ok_or(ESRCH)?;
    let parent: ARef<Cgroup> = from
        .group_in(top.root())
        .map_or_else(|| top.clone(), ARef::from);
    let name = pid_name(top.root(), child)?;
    let group = make_ns_group(&mut state, &parent, &name)?;
    let set = match cset::find_or_create(core, &state, &from, &group) {
        Ok(set) => set,
        Err(e) => {
            let _ = state.remove_group(&group);
            return Err(e);
        }
    };
    FORK_HOLDER.store(holder_key(child), Ordering::Relaxed);
    // Released by `fork_finish`, in this task, once the child is linked or the fork failed.
    core::mem::forget(state);
    Ok(Some(set))
}

/// The second half of [`fork_prepare`]: if this fork of `child` holds the core mutex, removes
/// the group made for it when the fork failed (`failed_set`: the set `child` was given, now
/// taken back from it), and releases the mutex. Nothing otherwise.
///
/// Context: `cgroup_post_fork()` or `cgroup_cancel_fork()`, after the threadgroup rwsem is
/// released; may sleep.
pub(super) fn fork_finish(child: &Task, failed_set: Option<&CssSet>) {
    let Some(core) = core() else {
        return;
    };
    if FORK_HOLDER.load(Ordering::Relaxed) != holder_key(child) {
        return;
    }
    // SAFETY: `FORK_HOLDER` names `child` only while the task that forks it holds the core
    // mutex (it is set by `fork_prepare` with the mutex held, and cleared below before the
    // mutex is released); that task is the current one, the only one forking `child`. The
    // guard made here stands for the one `fork_prepare` forgot.
    let mut state = unsafe { crate::sync::lock::Guard::new(&core.state, ()) };
    FORK_HOLDER.store(0, Ordering::Relaxed);
    if let Some(set) = failed_set {
        if let Some(top) = subsys::newns_top(&state).cloned() {
            if let Some(group) = set.group_in(top.root()).map(ARef::from) {
                let _ = state.remove_group(&group);
            }
        }
    }
    drop(state);
}

/// Moves every task of `from` into `to`, a batch at a time (C's `cgroup_transfer_tasks()`):
/// for controllers that must empty a group, as cpuset does when CPU hotplug leaves one without
/// CPUs. Both groups must be in the same hierarchy. Tasks that are exiting stay; a task that
/// forks meanwhile may leave its child behind. Stops at the first move that fails (a
/// controller refused it, or memory ran out) and returns its error; `ENODEV` if `to` has been
/// removed.
///
/// Context: process; may sleep; takes the core mutex, so the caller must not hold it (nor
/// anything taken after it, such as a controller's own mutex).
///
/// # Examples
///
/// ```
/// use kernel::c_str;
/// use kernel::cgroup::{hierarchy, migrate};
/// // SAFETY: KUnit runs the doctests in a kernel thread that holds no lock.
/// let u = unsafe { kernel::cgroup::Unlocked::assume() };
///
/// let h = hierarchy::create_hierarchy(b"kunit_transfer", &u)?;
/// let a = hierarchy::mkdir(h.top(), c_str!("a"), &u)?;
/// let b = hierarchy::mkdir(h.top(), c_str!("b"), &u)?;
/// migrate::attach_current(&a, &u)?;
/// migrate::transfer_tasks(&b, &a, &u)?;
/// assert_eq!((a.nr_tasks(), b.nr_tasks()), (0, 1));
/// // Nothing to move is not an error.
/// migrate::transfer_tasks(&b, &a, &u)?;
/// migrate::transfer_tasks(h.top(), &b, &u)?;
/// assert_eq!(b.nr_tasks(), 0);
/// hierarchy::rmdir(&a, &u)?;
/// assert_eq!(migrate::transfer_tasks(&a, &b, &u), Err(ENODEV));
/// hierarchy::rmdir(&b, &u)?;
/// hierarchy::release_hierarchy(h);
/// # Ok::<(), Error>(())
/// ```
pub fn transfer_tasks(to: &Cgroup, from: &Cgroup, _unlocked: &Unlocked) -> Result {
    if !ptr::eq(to.root(), from.root()) {
        return Err(EINVAL);
    }
    let core = core().ok_or(ENODEV)?;
    let state = core.state.lock();
    if to.is_dead() {
        return Err(ENODEV);
    }
    let mut cursor = KBox::pin_init(cset::TaskCursor::new(from), GFP_KERNEL)?;
    let mut batch = KVec::with_capacity(cset::TASK_BATCH, GFP_KERNEL)?;
    loop {
        while batch.pop().is_some() {}
        // The capacity is reserved: no push below allocates.
        let more = cursor.as_mut().next_batch(cset::TASK_BATCH, |t| {
            batch.push(ARef::from(t), GFP_ATOMIC).is_ok()
        });
        if !batch.is_empty() {
            // The cursor stays parked in `from` while its tasks leave: it is moved on past
            // every task that leaves its set.
            let moved = {
                let _locks = super::state::attach_lock();
                migrate(core, &state, to, &batch)
            };
            subsys::post_attach();
            moved?;
        }
        if !more {
            return Ok(());
        }
    }
}
