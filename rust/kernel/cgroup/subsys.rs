// SPDX-License-Identifier: GPL-2.0

//! Controllers (subsystems): the [`Subsystem`] trait and the registry.
//!
//! A controller implements [`Subsystem`] in its own crate (`kernel/cgroup/<name>.rs`) and is
//! registered at boot by `cgroup_init()`, before the first fork, through the function that
//! [`crate::cgroup_subsys!`] defines in its crate. The core then gives it, in every group of
//! the hierarchy it is bound to, one [`Css`] holding its [`Subsystem::State`], creates its
//! control files ([`Cftype`]) there, and calls it when groups come and go and when tasks fork,
//! exit or move.
//!
//! # Binding
//!
//! Each controller is bound to exactly one hierarchy at a time: a mounted one, or the *dummy
//! hierarchy* (id 0, never mounted, one group) that holds every controller nobody mounted. Its
//! *root state* (the [`Css`] of the top group) is made once, at registration, and moves with
//! the controller between the dummy hierarchy and the top group of a mounted one. While the
//! hierarchy has no child group, every task is in its top group and no css_set changes: a set
//! points to the root state of a controller whenever its group in that controller's hierarchy
//! is the top group. A hierarchy with child groups is rebound in place (the core's `rebind`
//! module).

use super::cftype::Cftype;
use super::cset::{CssSet, RcuCssSet};
use super::css::{Css, RawCss};
use super::group::Cgroup;
use super::state::State;
use crate::{
    alloc::{flags::GFP_KERNEL, KBox, KVec},
    cputime::CpuStat,
    error::{code::*, Result},
    percpu::CpuId,
    str::CStr,
    sync::rcu,
    task::Task,
    types::ARef,
};
use core::{
    ptr,
    sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU32, Ordering},
};

use super::id::BootList;
pub use super::id::{SubsysId, NR_SUBSYS};

/// A move being made: the tasks that move. Each refers to the entry (its own or an earlier
/// one) that holds the pair of sets for the set it comes from: before and after the move. The
/// threads of a group are usually all in one set: they share one pair.
pub struct Migration<'a> {
    pub(super) moves: KVec<Move>,
    /// For a rebinding (the `rebind` module), where tasks change states but not sets: the state
    /// every task comes from, of the controller being (un)bound.
    pub(super) from: Option<&'a RawCss>,
}

/// A task of a move, referenced, and where its pair of sets is (see [`Migration`]).
pub(super) struct Move {
    pub(super) task: ARef<Task>,
    pub(super) pair: usize,
    pub(super) sets: Option<(ARef<CssSet>, ARef<CssSet>)>,
}

impl Move {
    /// An entry for `task` whose sets are not known yet.
    pub(super) fn of(task: ARef<Task>) -> Self {
        Move {
            task,
            pair: 0,
            sets: None,
        }
    }
}

impl<'a> Migration<'a> {
    /// The sets before and after the move of the task in entry `i`.
    pub(super) fn sets(&self, i: usize) -> Option<&(ARef<CssSet>, ARef<CssSet>)> {
        self.moves.get(self.moves.get(i)?.pair)?.sets.as_ref()
    }

    /// Each task that moves, with its set before the move.
    pub(super) fn tasks(&self) -> impl Iterator<Item = (&Task, &CssSet)> + '_ {
        (0..self.moves.len()).filter_map(|i| Some((&*self.moves[i].task, &*self.sets(i)?.0)))
    }

    /// The number of tasks that move.
    pub(super) fn len(&self) -> usize {
        self.moves.len()
    }
    /// Where `task` moves from: `Err(i)` if entry `i` already holds its set, `Ok` with a new
    /// reference on the set otherwise; `None` if the task is left out (exiting, no set, a set
    /// whose last reference is going, or one `stays` says stays).
    pub(super) fn source_of(
        &self,
        task: &Task,
        stays: impl FnOnce(&RcuCssSet) -> bool,
    ) -> Option<Result<ARef<CssSet>, usize>> {
        if task.is_exiting() {
            return None;
        }
        let guard = rcu::read_lock();
        let set = super::cset::task_cset(task, &guard)?;
        if stays(set) {
            return None;
        }
        let known = self
            .moves
            .iter()
            .position(|m| m.sets.as_ref().is_some_and(|(f, _)| set.is(f)));
        match known {
            Some(i) => Some(Err(i)),
            None => set.try_get().map(Ok),
        }
    }
}

/// The tasks of one migration, as seen by controller `S`: every task moves into the group of
/// [`TaskSet::dst`].
pub struct TaskSet<'a, S: Subsystem> {
    mig: &'a Migration<'a>,
    dst: &'a Css<S>,
}

impl<'a, S: Subsystem> TaskSet<'a, S> {
    /// The state of `S` in the group the tasks move into.
    pub fn dst(&self) -> &'a Css<S> {
        self.dst
    }

    /// Each task that moves, with its state of `S` before the move.
    pub fn iter(&self) -> impl Iterator<Item = (&'a Task, &'a Css<S>)> + 'a {
        let rebound = self.mig.from.and_then(Css::<S>::from_raw);
        self.mig.tasks().filter_map(move |(task, from)| {
            Some((
                task,
                rebound.or_else(|| from.css(S::ID).and_then(Css::from_raw))?,
            ))
        })
    }

    /// The number of tasks that move.
    pub fn len(&self) -> usize {
        self.mig.len()
    }

    /// Whether no task moves.
    pub fn is_empty(&self) -> bool {
        self.mig.len() == 0
    }
}

/// A controller.
///
/// Each callback's documentation says the context it runs in. "Core mutex" means that the
/// callback may sleep but must not take the core mutex nor wait for something that does
/// (a controller's own mutexes come after it); "rwsem" is the threadgroup rwsem, which forks,
/// exits and `exec` take for reading, and migration and (un)binding for writing.
#[macros::vtable]
pub trait Subsystem: Sized + Send + Sync + 'static {
    /// The controller's state in one group.
    type State: Send + Sync;

    /// The controller's id.
    const ID: SubsysId;

    /// The control files, created in every group of the hierarchy the controller is bound to.
    const FILES: &'static [Cftype<Self>];

    /// Whether a task that gets new namespaces (`clone()` with any `CLONE_NEW*` flag, or
    /// `unshare()`) moves into a new child of its group in the hierarchy the controller is
    /// bound to, named after its pid (the `ns` controller). The core makes the group and moves
    /// the task itself ([`super::migrate::clone_into_child`]); a failure fails the `clone()` or
    /// `unshare()`. At most one registered controller may set it (a second one fails to
    /// register with `EBUSY`); it costs nothing while that controller is not bound to a
    /// mounted hierarchy.
    const CLONE_ON_NEW_NAMESPACES: bool = false;

    /// Makes the state of a new group `cgroup`, whose parent has state `parent` (`None` for the
    /// root state, made once at registration; `cgroup` is then the dummy hierarchy's top
    /// group).
    ///
    /// Context: core mutex held; may sleep; may fail (the `mkdir` or registration fails).
    fn css_alloc(parent: Option<&Css<Self>>, cgroup: &Cgroup) -> Result<KBox<Self::State>>;

    /// The state `css` of a new group is linked into the tree (its group is visible to
    /// descendant walks) and about to be shown to users. When the controller is bound to a
    /// hierarchy that has groups (a remount), it is the state of an
    /// existing group, made parents first, which joins its group (and walks see it) once
    /// every state is made and the tasks are accepted; it is then taken offline and freed
    /// if the remount fails.
    ///
    /// Context: core mutex held; may sleep; may fail (the `mkdir` fails).
    fn css_online(_css: &Css<Self>) -> Result {
        Ok(())
    }

    /// A user asks to make a child of the group of `parent` (`mkdir`), after the checks of the
    /// directory's permissions. Not called for the groups the kernel makes itself
    /// ([`super::migrate::clone_into_child`], new namespaces).
    ///
    /// Context: core mutex held, in the task calling `mkdir`; may sleep; may fail (the `mkdir`
    /// fails with that error and nothing is made).
    fn can_mkdir(_parent: &Css<Self>) -> Result {
        Ok(())
    }

    /// The group of `css` is being removed (`rmdir`): it has no task and no child, its files
    /// are gone, and no task can join it any more.
    ///
    /// Context: core mutex held; may sleep.
    fn css_offline(_css: &Css<Self>) {}

    /// The root state `root` moved to another hierarchy's top group.
    ///
    /// Context: core mutex, CPU-hotplug lock (read) and rwsem (write) held; may sleep, but keep
    /// it short: forks wait.
    fn bind(_root: &Css<Self>) {}

    /// May refuse to move `tasks` into the group of `tasks.dst()`.
    ///
    /// Context: core mutex, CPU-hotplug lock (read) and rwsem (write) held; may sleep; may fail
    /// (the move fails and the controllers that accepted it get [`Subsystem::cancel_attach`]).
    fn can_attach(_tasks: &TaskSet<'_, Self>) -> Result {
        Ok(())
    }

    /// Undoes [`Subsystem::can_attach`] when a later controller refused the move.
    ///
    /// Context: core mutex, CPU-hotplug lock (read) and rwsem (write) held; may sleep; must not
    /// fail.
    fn cancel_attach(_tasks: &TaskSet<'_, Self>) {}

    /// `tasks` have moved into the group of `tasks.dst()` (exiting tasks may have stayed).
    ///
    /// Context: core mutex, CPU-hotplug lock (read) and rwsem (write) held, after the move; may
    /// sleep; must not fail.
    fn attach(_tasks: &TaskSet<'_, Self>) {}

    /// A move is over, successful or not.
    ///
    /// Context: core mutex held, rwsem released, outside every spinlock; may sleep (to wait for
    /// work that [`Subsystem::attach`] queued).
    fn post_attach() {}

    /// May refuse the fork of `child`, which would join the group of `css`.
    ///
    /// Context: rwsem held for reading, in the parent; may sleep; may fail (the fork fails and
    /// the controllers that accepted it get [`Subsystem::cancel_fork`]).
    fn can_fork(_css: &Css<Self>, _child: &Task) -> Result {
        Ok(())
    }

    /// Undoes [`Subsystem::can_fork`] for a fork that failed.
    ///
    /// Context: rwsem held for reading, in the parent; may sleep; must not fail.
    fn cancel_fork(_css: &Css<Self>, _child: &Task) {}

    /// `task` was just forked into the group of `css` and is already listed in it, but has not
    /// run yet.
    ///
    /// Context: rwsem held for reading, in the parent, outside every spinlock; may sleep.
    fn fork(_css: &Css<Self>, _task: &Task) {}

    /// `task`, in the group of `css`, is exiting; it has already left the group's task list.
    ///
    /// Context: rwsem held for reading, in the exiting task; may sleep.
    fn exit(_css: &Css<Self>, _task: &Task) {}

    /// A task in the group of `css` ran for `delta` ns on CPU `cpu`.
    ///
    /// Context: the scheduler, with `cpu`'s run-queue lock held and interrupts off, on every
    /// tick and context switch: must not sleep, take locks or allocate.
    fn charge(_css: &Css<Self>, _cpu: CpuId, _delta: u64) {}

    /// `delta` ns of CPU time of kind `stat` were accounted on the current CPU `cpu` to a task in
    /// the group of `css`.
    ///
    /// Context: the tick, with interrupts off; the same rules as [`Subsystem::charge`].
    fn account_field(_css: &Css<Self>, _cpu: CpuId, _stat: CpuStat, _delta: u64) {}
}

/// Defines the registration function of controller `$t` in its crate, which `cgroup_init()`
/// calls at boot (`rust_cgroup_register_<name>`, declared in the core's hooks); it registers the
/// controller and then the C interfaces it implements (the registration functions of
/// paths given after the name, such as `kernel::cgroup::api::freezer_api`).
#[macro_export]
macro_rules! cgroup_subsys {
    ($t:ty, $register:ident $(, $($api:ident)::+)*) => {
        /// Registers the controller; called once by `cgroup_init()`.
        #[no_mangle]
        pub extern "C" fn $register() -> $crate::ffi::c_int {
            let registered = $crate::cgroup::subsys::register::<$t>()
                $(.and_then(|()| $($api)::+::<$t>()))*;
            match registered {
                Ok(()) => 0,
                Err(e) => e.to_errno(),
            }
        }
    };
}

/// What the core knows of a registered controller, with its callbacks type-erased.
pub(super) struct Ops {
    pub(super) id: SubsysId,
    /// The root state, owned here: registered controllers are never freed, so it lives for
    /// ever once registered.
    root_css: KBox<RawCss>,
    next_css_id: AtomicI32,
    alloc: fn(&Ops, &RawCss, &Cgroup) -> Result<KBox<RawCss>>,
    online: fn(&RawCss) -> Result,
    can_mkdir: fn(&RawCss) -> Result,
    offline: fn(&RawCss),
    bind: fn(&RawCss),
    can_attach: fn(&Migration<'_>, &RawCss) -> Result,
    cancel_attach: fn(&Migration<'_>, &RawCss),
    attach: fn(&Migration<'_>, &RawCss),
    post_attach: fn(),
    can_fork: fn(&RawCss, &Task) -> Result,
    cancel_fork: fn(&RawCss, &Task),
    fork: fn(&RawCss, &Task),
    exit: fn(&RawCss, &Task),
    charge: fn(&RawCss, CpuId, u64),
    account_field: fn(&RawCss, CpuId, CpuStat, u64),
    pub(super) populate: fn(&super::cftype::Files<'_>) -> Result,
    pub(super) depopulate: fn(&super::cftype::Files<'_>),
}

/// Registered controllers with a `fork` or `exit` callback, one bit each.
static HAS_TASK_HOOKS: AtomicU32 = AtomicU32::new(0);
/// Registered controllers with a `can_fork` or `cancel_fork` callback.
static HAS_FORK_CHECKS: AtomicU32 = AtomicU32::new(0);
/// Registered controllers with a `charge` or `account_field` callback.
static HAS_CPUTIME_HOOKS: AtomicU32 = AtomicU32::new(0);
/// The id of the one registered controller with CPU-time hooks, [`CPUTIME_NONE`] if there is
/// none, [`CPUTIME_SEVERAL`] if there are several: the scheduler's path reads this alone.
static CPUTIME_HOOK: AtomicU32 = AtomicU32::new(CPUTIME_NONE);
const CPUTIME_NONE: u32 = u32::MAX;
const CPUTIME_SEVERAL: u32 = u32::MAX - 1;
/// Registered controllers with a `post_attach` callback.
static HAS_POST_ATTACH: AtomicU32 = AtomicU32::new(0);

/// The id of the registered controller with [`Subsystem::CLONE_ON_NEW_NAMESPACES`], or -1.
static NEWNS_ID: AtomicI32 = AtomicI32::new(-1);
/// Whether that controller is bound to a live hierarchy: the one test that `clone()` with a
/// `CLONE_NEW*` flag and `unshare()` make when it is not. Written under the core mutex and the
/// threadgroup rwsem (write) by binding, so it does not change between `cgroup_can_fork()` and
/// `cgroup_post_fork()`.
static NEWNS_ACTIVE: AtomicBool = AtomicBool::new(false);

/// The registered controllers, by id; set once each (leaked boxes), never cleared.
static REGISTRY: [AtomicPtr<Ops>; NR_SUBSYS] =
    [const { AtomicPtr::new(ptr::null_mut()) }; NR_SUBSYS];
/// The ids of the registered controllers, one bit each.
static REGISTERED: AtomicU32 = AtomicU32::new(0);

/// The ids of the registered controllers, one bit each.
pub fn registered_mask() -> u32 {
    REGISTERED.load(Ordering::Acquire)
}

/// The controllers built in (registered or not), one bit each; set at boot.
static BUILT: AtomicU32 = AtomicU32::new(0);
/// The controllers that `cgroup_no_v1=` keeps off version-1 hierarchies; set at boot.
static NO_V1: AtomicU32 = AtomicU32::new(0);
/// Whether `cgroup_no_v1=named` forbids named hierarchies; set at boot.
static NO_V1_NAMED: AtomicBool = AtomicBool::new(false);

/// Records, at boot, the controllers built in and what `cgroup_no_v1=` says.
pub(super) fn set_boot_masks(built: u32, no_v1: BootList) {
    BUILT.store(built, Ordering::Relaxed);
    NO_V1.store(no_v1.mask, Ordering::Relaxed);
    NO_V1_NAMED.store(no_v1.named, Ordering::Relaxed);
}

/// The controllers built in, registered or not (disabled with `cgroup_disable=`).
pub(super) fn built_mask() -> u32 {
    BUILT.load(Ordering::Relaxed)
}

/// The controllers a version-1 hierarchy may bind: registered and not kept off version 1 by
/// `cgroup_no_v1=`.
pub(super) fn v1_mask() -> u32 {
    registered_mask() & !NO_V1.load(Ordering::Relaxed)
}

/// Whether `cgroup_no_v1=named` forbids hierarchies with a name.
pub(super) fn no_v1_named() -> bool {
    NO_V1_NAMED.load(Ordering::Relaxed)
}

/// The ids of the registered controllers, in order.
pub fn registered() -> impl Iterator<Item = SubsysId> {
    let mask = registered_mask();
    SubsysId::ALL
        .into_iter()
        .filter(move |id| mask & id.bit() != 0)
}

/// The registered controller with id `id`.
pub(super) fn ops(id: SubsysId) -> Option<&'static Ops> {
    ops_at(id as usize)
}

/// The registered controller whose id is `index` (none for an index of no controller): for
/// the scheduler's path, which has an index, not an id.
#[inline]
fn ops_at(index: usize) -> Option<&'static Ops> {
    let p = REGISTRY.get(index)?.load(Ordering::Acquire);
    // SAFETY: Registered entries are leaked boxes, never freed.
    unsafe { p.as_ref() }
}

/// The registered controllers whose bit is in `mask`, in id order.
pub(super) fn each_in(mask: u32) -> impl Iterator<Item = &'static Ops> {
    SubsysId::ALL
        .into_iter()
        .filter(move |id| mask & id.bit() != 0)
        .filter_map(ops)
}

/// The root state of controller `id`, if registered. It is handed out under the core mutex
/// (`_state`): its group may change once the mutex is released.
pub(super) fn root_css(id: SubsysId, _state: &State) -> Option<&RawCss> {
    ops(id).map(|o| &*o.root_css)
}

/// The root state of controller `id`, if registered, for use under RCU: its group is valid
/// until the read-side section ends (see [`RawCss::cgroup_rcu`]).
pub(super) fn root_css_any(id: SubsysId) -> Option<&'static RawCss> {
    ops(id).map(|o| &*o.root_css)
}

impl<S: Subsystem> Css<S> {
    /// The root state of `S`, if `S` is registered: the state of the top group of the
    /// hierarchy `S` is bound to. Its group may change once `rcu` ends.
    pub fn root<'a>(_rcu: &'a rcu::Guard) -> Option<&'a Css<S>> {
        root_css_any(S::ID).and_then(Css::from_raw)
    }
}

impl Ops {
    /// The controller's name.
    pub(super) fn name(&self) -> &'static CStr {
        self.id.name()
    }

    /// The root state, under the core mutex (`_state`): its group may change once the mutex is
    /// released.
    pub(super) fn root_css<'a>(&'a self, _state: &'a State) -> &'a RawCss {
        &self.root_css
    }

    /// Makes the state of a new child group `cgroup` of the group whose state is `parent`.
    /// Under the core mutex.
    pub(super) fn create_css(&self, parent: &RawCss, cgroup: &Cgroup) -> Result<KBox<RawCss>> {
        (self.alloc)(self, parent, cgroup)
    }

    pub(super) fn online(&self, css: &RawCss) -> Result {
        (self.online)(css)?;
        css.set_online(true);
        Ok(())
    }

    /// Whether a user may make a child of the group of `parent`. Under the core mutex.
    pub(super) fn can_mkdir(&self, parent: &RawCss) -> Result {
        (self.can_mkdir)(parent)
    }

    pub(super) fn offline(&self, css: &RawCss) {
        css.set_online(false);
        (self.offline)(css)
    }

    /// Moves the root state to the top group `top`, and tells the controller. Under the core
    /// mutex and the threadgroup rwsem (write).
    pub(super) fn rebind(&self, top: &Cgroup) {
        self.root_css.rebind(top);
        (self.bind)(&self.root_css);
    }

    pub(super) fn can_attach(&self, mig: &Migration<'_>, dst: &RawCss) -> Result {
        (self.can_attach)(mig, dst)
    }

    pub(super) fn cancel_attach(&self, mig: &Migration<'_>, dst: &RawCss) {
        (self.cancel_attach)(mig, dst)
    }

    pub(super) fn attach(&self, mig: &Migration<'_>, dst: &RawCss) {
        (self.attach)(mig, dst)
    }
}

fn alloc_thunk<S: Subsystem>(ops: &Ops, parent: &RawCss, cgroup: &Cgroup) -> Result<KBox<RawCss>> {
    let parent = Css::<S>::from_raw(parent).ok_or(EINVAL)?;
    let state = S::css_alloc(Some(parent), cgroup)?;
    let id = ops.next_css_id.fetch_add(1, Ordering::Relaxed);
    RawCss::new::<S>(id, cgroup, Some(parent), state)
}

/// Runs `f` with `css` as a state of `S`; a mismatch (never made by the core) does nothing.
#[inline]
fn typed<S: Subsystem, R: Default>(css: &RawCss, f: impl FnOnce(&Css<S>) -> R) -> R {
    Css::<S>::from_raw(css).map(f).unwrap_or_default()
}

fn online_thunk<S: Subsystem>(css: &RawCss) -> Result {
    Css::<S>::from_raw(css).map_or(Err(EINVAL), S::css_online)
}

fn can_mkdir_thunk<S: Subsystem>(parent: &RawCss) -> Result {
    Css::<S>::from_raw(parent).map_or(Err(EINVAL), S::can_mkdir)
}

fn offline_thunk<S: Subsystem>(css: &RawCss) {
    typed::<S, ()>(css, S::css_offline)
}

fn bind_thunk<S: Subsystem>(css: &RawCss) {
    typed::<S, ()>(css, S::bind)
}

fn can_attach_thunk<S: Subsystem>(mig: &Migration<'_>, dst: &RawCss) -> Result {
    let dst = Css::<S>::from_raw(dst).ok_or(EINVAL)?;
    S::can_attach(&TaskSet { mig, dst })
}

fn cancel_attach_thunk<S: Subsystem>(mig: &Migration<'_>, dst: &RawCss) {
    typed::<S, ()>(dst, |dst| S::cancel_attach(&TaskSet { mig, dst }))
}

fn attach_thunk<S: Subsystem>(mig: &Migration<'_>, dst: &RawCss) {
    typed::<S, ()>(dst, |dst| S::attach(&TaskSet { mig, dst }))
}

fn can_fork_thunk<S: Subsystem>(css: &RawCss, child: &Task) -> Result {
    Css::<S>::from_raw(css).map_or(Err(EINVAL), |c| S::can_fork(c, child))
}

fn cancel_fork_thunk<S: Subsystem>(css: &RawCss, child: &Task) {
    typed::<S, ()>(css, |c| S::cancel_fork(c, child))
}

fn fork_thunk<S: Subsystem>(css: &RawCss, task: &Task) {
    typed::<S, ()>(css, |c| S::fork(c, task))
}

fn exit_thunk<S: Subsystem>(css: &RawCss, task: &Task) {
    typed::<S, ()>(css, |c| S::exit(c, task))
}

#[inline]
fn charge_thunk<S: Subsystem>(css: &RawCss, cpu: CpuId, delta: u64) {
    typed::<S, ()>(css, |c| S::charge(c, cpu, delta))
}

#[inline]
fn account_field_thunk<S: Subsystem>(css: &RawCss, cpu: CpuId, stat: CpuStat, delta: u64) {
    typed::<S, ()>(css, |c| S::account_field(c, cpu, stat, delta))
}

/// Whether controllers may register: only while `cgroup_init()` registers the built-in ones,
/// before the first fork (see [`register`]).
static REGISTRATION_OPEN: AtomicBool = AtomicBool::new(false);

/// Opens or closes the registration of controllers; `cgroup_init()` opens it around the
/// registration of the built-in ones.
pub(super) fn set_registration_open(open: bool) {
    REGISTRATION_OPEN.store(open, Ordering::Release);
}

/// Registers controller `S`: makes its root state in the dummy hierarchy and gives it to every
/// task. Called once per controller at boot, by `cgroup_init()` through the function
/// [`crate::cgroup_subsys!`] defines; `EBUSY` at any other time (tasks and groups made before
/// would lack the controller's state), or if a controller with the same id (or a second one
/// with [`Subsystem::CLONE_ON_NEW_NAMESPACES`]) is registered. On a failure nothing is left
/// behind: the root state is freed and the controller stays unregistered.
pub fn register<S: Subsystem>() -> Result {
    if !REGISTRATION_OPEN.load(Ordering::Acquire) {
        return Err(EBUSY);
    }
    let core = super::state::core().ok_or(ENODEV)?;
    let state = core.state.lock();
    // Under the core mutex, which every registration holds: no race between the checks and
    // the registration below.
    if ops(S::ID).is_some()
        || (S::CLONE_ON_NEW_NAMESPACES && NEWNS_ID.load(Ordering::Acquire) != -1)
    {
        return Err(EBUSY);
    }
    let dummy = state.dummy();
    let root_state = S::css_alloc(None, dummy)?;
    let ops = KBox::new(
        Ops {
            id: S::ID,
            root_css: RawCss::new::<S>(1, dummy, None, root_state)?,
            next_css_id: AtomicI32::new(2),
            alloc: alloc_thunk::<S>,
            online: online_thunk::<S>,
            can_mkdir: can_mkdir_thunk::<S>,
            offline: offline_thunk::<S>,
            bind: bind_thunk::<S>,
            can_attach: can_attach_thunk::<S>,
            cancel_attach: cancel_attach_thunk::<S>,
            attach: attach_thunk::<S>,
            post_attach: S::post_attach,
            can_fork: can_fork_thunk::<S>,
            cancel_fork: cancel_fork_thunk::<S>,
            fork: fork_thunk::<S>,
            exit: exit_thunk::<S>,
            charge: charge_thunk::<S>,
            account_field: account_field_thunk::<S>,
            populate: super::cftype::populate::<S>,
            depopulate: super::cftype::depopulate::<S>,
        },
        GFP_KERNEL,
    )?;
    // A controller that fails to come online stays unregistered; `ops` and its root state are
    // freed on return.
    online_thunk::<S>(&ops.root_css)?;
    // Registered controllers are never freed: their root state is `'static` from here.
    let ops: &'static Ops = KBox::leak(ops);
    let root_css: &'static RawCss = &ops.root_css;
    root_css.set_online(true);
    state.adopt(S::ID, root_css);
    super::cset::give_root_css(core, S::ID, root_css);
    if S::CLONE_ON_NEW_NAMESPACES {
        NEWNS_ID.store(S::ID as i32, Ordering::Release);
    }
    let bit = S::ID.bit();
    if S::HAS_FORK || S::HAS_EXIT {
        HAS_TASK_HOOKS.fetch_or(bit, Ordering::Relaxed);
    }
    if S::HAS_CAN_FORK || S::HAS_CANCEL_FORK {
        HAS_FORK_CHECKS.fetch_or(bit, Ordering::Relaxed);
    }
    if S::HAS_POST_ATTACH {
        HAS_POST_ATTACH.fetch_or(bit, Ordering::Relaxed);
    }
    REGISTRY[S::ID as usize].store(ptr::from_ref(ops).cast_mut(), Ordering::Release);
    if S::HAS_CHARGE || S::HAS_ACCOUNT_FIELD {
        let before = HAS_CPUTIME_HOOKS.fetch_or(bit, Ordering::Release);
        let one = if before == 0 {
            S::ID as u32
        } else {
            CPUTIME_SEVERAL
        };
        CPUTIME_HOOK.store(one, Ordering::Release);
    }
    REGISTERED.fetch_or(bit, Ordering::Release);
    Ok(())
}

// --- Dispatch of the callbacks that are not per-hierarchy. ---

/// Runs the `can_fork` callbacks for `child`, about to join `set`; on a refusal, cancels the
/// ones that accepted. Context: see [`Subsystem::can_fork`].
pub(super) fn can_fork(set: &CssSet, child: &Task) -> Result {
    let mask = HAS_FORK_CHECKS.load(Ordering::Relaxed);
    let mut accepted = 0u32;
    for ops in each_in(mask) {
        let Some(css) = set.css(ops.id) else { continue };
        if let Err(e) = (ops.can_fork)(css, child) {
            cancel_fork(set, child, accepted);
            return Err(e);
        }
        accepted |= ops.id.bit();
    }
    Ok(())
}

/// Runs the `cancel_fork` callbacks of the controllers in `mask` (all by default).
pub(super) fn cancel_fork(set: &CssSet, child: &Task, mask: u32) {
    for ops in each_in(HAS_FORK_CHECKS.load(Ordering::Relaxed) & mask) {
        if let Some(css) = set.css(ops.id) {
            (ops.cancel_fork)(css, child);
        }
    }
}

/// Runs the `fork` (`exit` with `exiting`) callbacks for `task`, in `set`.
pub(super) fn task_hook(set: &CssSet, task: &Task, exiting: bool) {
    for ops in each_in(HAS_TASK_HOOKS.load(Ordering::Relaxed)) {
        if let Some(css) = set.css(ops.id) {
            if exiting {
                (ops.exit)(css, task);
            } else {
                (ops.fork)(css, task);
            }
        }
    }
}

/// Whether any registered controller has a `fork` or `exit` callback.
pub(super) fn has_task_hooks() -> bool {
    HAS_TASK_HOOKS.load(Ordering::Relaxed) != 0
}

/// Whether a controller with [`Subsystem::CLONE_ON_NEW_NAMESPACES`] is bound to a live
/// hierarchy (a hint without the core mutex; exact with it, or with the threadgroup rwsem).
#[inline]
pub(super) fn newns_active() -> bool {
    NEWNS_ACTIVE.load(Ordering::Relaxed)
}

/// The top group of the live hierarchy that the controller with
/// [`Subsystem::CLONE_ON_NEW_NAMESPACES`] is bound to, if any. Under the core mutex.
pub(super) fn newns_top(state: &State) -> Option<&ARef<Cgroup>> {
    let id = SubsysId::from_index(usize::try_from(NEWNS_ID.load(Ordering::Acquire)).ok()?)?;
    state.live_tops().find(|top| top.root().has_subsys(id))
}

/// Updates [`newns_active`] after controllers were (un)bound. Under the core mutex and the
/// threadgroup rwsem (write).
pub(super) fn newns_update(state: &State) {
    NEWNS_ACTIVE.store(newns_top(state).is_some(), Ordering::Relaxed);
}

/// Runs every `post_attach` callback.
pub(super) fn post_attach() {
    for ops in each_in(HAS_POST_ATTACH.load(Ordering::Relaxed)) {
        (ops.post_attach)();
    }
}

/// Charges `delta` ns that `task` ran on `cpu` (`stat`: the kind of time, from the tick) to
/// the controllers that count CPU time.
///
/// The scheduler's path, on every context switch. With one such controller, the usual case
/// (cpuacct), its hook is a tail call, with no registers saved around it; several are called
/// from [`charge_each`].
#[inline]
pub(super) fn charge(task: &Task, cpu: CpuId, stat: Option<CpuStat>, delta: u64, rcu: &rcu::Guard) {
    let hook = CPUTIME_HOOK.load(Ordering::Acquire);
    if hook == CPUTIME_NONE {
        return;
    }
    let Some(set) = super::cset::task_cset(task, rcu) else {
        return;
    };
    if hook == CPUTIME_SEVERAL {
        let mask = HAS_CPUTIME_HOOKS.load(Ordering::Acquire);
        return charge_each(set, cpu, delta, stat, mask);
    }
    charge_one(set, hook as usize, cpu, stat, delta);
}

/// Calls the CPU-time hook of each controller in `mask` (see [`charge`]).
#[inline(never)]
fn charge_each(set: &RcuCssSet, cpu: CpuId, delta: u64, stat: Option<CpuStat>, mut mask: u32) {
    while mask != 0 {
        let index = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        charge_one(set, index, cpu, stat, delta);
    }
}

/// Calls the CPU-time hook of the controller whose id is `index` for its state in `set`.
#[inline]
fn charge_one(set: &RcuCssSet, index: usize, cpu: CpuId, stat: Option<CpuStat>, delta: u64) {
    if let (Some(ops), Some(css)) = (ops_at(index), set.css_at(index)) {
        match stat {
            None => (ops.charge)(css, cpu, delta),
            Some(stat) => (ops.account_field)(css, cpu, stat, delta),
        }
    }
}

impl State {
    /// Gives the root state `css` of controller `id`, which is registering, to the dummy
    /// hierarchy.
    fn adopt(&self, id: SubsysId, css: &RawCss) {
        self.dummy().set_css(self, id, css);
        self.dummy().root().set_subsys(id, true);
    }
}
