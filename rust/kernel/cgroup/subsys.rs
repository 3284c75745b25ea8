// SPDX-License-Identifier: GPL-2.0

//! Controllers (subsystems) and their per-group state.
//!
//! A controller implements [`Subsystem`] in its own crate (`kernel/cgroup/<name>.rs`) and
//! registers it at boot with [`register`]. The core then gives it, in every group of the
//! hierarchy it is bound to, one [`Css`] holding its [`Subsystem::State`], creates its control
//! files ([`Cftype`]) there, and calls it when tasks fork, exit or move.
//!
//! # Binding
//!
//! Each controller is bound to exactly one hierarchy at a time: a mounted one, or the *dummy
//! hierarchy* (id 0, never mounted, one group) that holds every controller nobody mounted. Its
//! *root state* (the [`Css`] of the top group) is made once, at registration, and moves with
//! the controller between the dummy hierarchy and the top group of a mounted one. A controller
//! is only (un)bound while its hierarchy has no child group, so every task is then in the top
//! group of that hierarchy, and no css_set changes: a set points to the root state of a
//! controller whenever its group in that controller's hierarchy is the top group.
//!
//! # Locking and lifetimes
//!
//! - Registration, binding and the creation of states happen under the core mutex.
//! - A state's [`Css::cgroup`] changes only for root states, at (un)binding.
//! - A non-root state belongs to its group and is freed with it. Groups are kept alive by the
//!   css_sets that name them, and css_sets are freed only after an RCU grace period, so a state
//!   read through a task's css_set under `rcu_read_lock()` ([`task_css`]) stays valid until the
//!   read-side section ends. Root states are never freed.
//! - The callbacks of the control files run with kernfs's active reference on the file, without
//!   the core mutex.

use super::hierarchy::{core, Cgroup, Root, ROOT_NOPREFIX};
use crate::ffi::c_void;
use crate::{
    alloc::{flags::GFP_KERNEL, KBox},
    bindings, c_str,
    cputime::CpuStat,
    error::{
        code::{EINVAL, ENODEV},
        Result,
    },
    kernfs::{self, Attrs, FileOps, FileOpsTable, Node, OpenFile},
    percpu::CpuId,
    seq_file::SeqFile,
    seq_print,
    str::CStr,
    task::Task,
};
use core::{
    marker::PhantomData,
    ptr,
    sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, Ordering},
};

/// The number of controller ids.
pub const NR_SUBSYS: usize = 5;

/// The id of a controller: its place in `/proc/cgroups`, `/proc/<pid>/cgroup` and mount
/// options, fixed as in the C implementation (with `ns`, which modern kernels lack, last).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(usize)]
pub enum SubsysId {
    /// `cpuset`: CPU and memory-node placement.
    Cpuset = 0,
    /// `cpuacct`: CPU time accounting.
    Cpuacct = 1,
    /// `freezer`: freezing and thawing tasks.
    Freezer = 2,
    /// `debug`: the core's internals.
    Debug = 3,
    /// `ns`: a group per new namespace set.
    Ns = 4,
}

/// The names of the controllers, by id.
pub const SUBSYS_NAMES: [&CStr; NR_SUBSYS] = [
    c_str!("cpuset"),
    c_str!("cpuacct"),
    c_str!("freezer"),
    c_str!("debug"),
    c_str!("ns"),
];

/// Looks up a controller id by name.
///
/// # Examples
///
/// ```
/// use kernel::cgroup::subsys::{subsys_id_by_name, SubsysId};
///
/// assert_eq!(subsys_id_by_name(b"cpuacct"), Some(SubsysId::Cpuacct));
/// assert_eq!(subsys_id_by_name(b"ns"), Some(SubsysId::Ns));
/// assert_eq!(subsys_id_by_name(b"memory"), None);
/// assert_eq!(subsys_id_by_name(b""), None);
/// ```
pub fn subsys_id_by_name(name: &[u8]) -> Option<SubsysId> {
    const IDS: [SubsysId; NR_SUBSYS] = [
        SubsysId::Cpuset,
        SubsysId::Cpuacct,
        SubsysId::Freezer,
        SubsysId::Debug,
        SubsysId::Ns,
    ];
    IDS.into_iter()
        .find(|&id| SUBSYS_NAMES[id as usize].as_bytes() == name)
}

/// Control-file flag: only in the top group of a hierarchy.
pub const CFTYPE_ONLY_ON_ROOT: u32 = 1 << 0;
/// Control-file flag: everywhere but in the top group.
pub const CFTYPE_NOT_ON_ROOT: u32 = 1 << 1;

/// A control file of controller `S`, named `<controller>.<name>` (or `<name>` in a hierarchy
/// mounted with `noprefix`).
///
/// Reads print the value of `read_u64` (`"%llu\n"`) or `read_s64` (`"%lld\n"`), or what
/// `seq_show` writes. Writes of numbers are parsed like the C implementation (base 0, one
/// trailing newline, `EINVAL` for anything else); `write` receives the raw bytes. A file
/// with a write callback has mode 0644, otherwise 0444.
pub struct Cftype<S: Subsystem> {
    /// The name, without the controller's prefix.
    pub name: &'static CStr,
    /// `CFTYPE_*` flags.
    pub flags: u32,
    /// Reads an unsigned number.
    pub read_u64: Option<ReadFn<S, u64>>,
    /// Reads a signed number.
    pub read_s64: Option<ReadFn<S, i64>>,
    /// Writes the whole content.
    pub seq_show: Option<ShowFn<S>>,
    /// Takes an unsigned number.
    pub write_u64: Option<WriteFn<S, u64>>,
    /// Takes a signed number.
    pub write_s64: Option<WriteFn<S, i64>>,
    /// Takes the written bytes.
    pub write: Option<WriteBytesFn<S>>,
}

/// A control file's numeric read callback.
pub type ReadFn<S, T> = fn(&Css<S>) -> T;
/// A control file's free-form read callback.
pub type ShowFn<S> = fn(&Css<S>, &SeqFile) -> Result;
/// A control file's numeric write callback.
pub type WriteFn<S, T> = fn(&Css<S>, T) -> Result;
/// A control file's free-form write callback.
pub type WriteBytesFn<S> = fn(&Css<S>, &[u8]) -> Result;

impl<S: Subsystem> Cftype<S> {
    /// A file with no callbacks; add them with the other constructors.
    pub const fn new(name: &'static CStr) -> Self {
        Cftype {
            name,
            flags: 0,
            read_u64: None,
            read_s64: None,
            seq_show: None,
            write_u64: None,
            write_s64: None,
            write: None,
        }
    }

    /// Adds `CFTYPE_*` flags.
    pub const fn flags(mut self, flags: u32) -> Self {
        self.flags |= flags;
        self
    }

    /// Sets the unsigned read callback.
    pub const fn read_u64(mut self, f: fn(&Css<S>) -> u64) -> Self {
        self.read_u64 = Some(f);
        self
    }

    /// Sets the signed read callback.
    pub const fn read_s64(mut self, f: fn(&Css<S>) -> i64) -> Self {
        self.read_s64 = Some(f);
        self
    }

    /// Sets the free-form read callback.
    pub const fn seq_show(mut self, f: fn(&Css<S>, &SeqFile) -> Result) -> Self {
        self.seq_show = Some(f);
        self
    }

    /// Sets the unsigned write callback.
    pub const fn write_u64(mut self, f: fn(&Css<S>, u64) -> Result) -> Self {
        self.write_u64 = Some(f);
        self
    }

    /// Sets the signed write callback.
    pub const fn write_s64(mut self, f: fn(&Css<S>, i64) -> Result) -> Self {
        self.write_s64 = Some(f);
        self
    }

    /// Sets the free-form write callback.
    pub const fn write(mut self, f: fn(&Css<S>, &[u8]) -> Result) -> Self {
        self.write = Some(f);
        self
    }

    const fn is_writable(&self) -> bool {
        self.write_u64.is_some() || self.write_s64.is_some() || self.write.is_some()
    }
}

/// The tasks being moved into a group together (one thread, or a thread group).
pub struct TaskSet<'a>(pub(super) &'a [&'a Task]);

impl<'a> TaskSet<'a> {
    /// The tasks.
    pub fn iter(&self) -> impl Iterator<Item = &'a Task> + '_ {
        self.0.iter().copied()
    }
}

/// A controller.
///
/// Callbacks run in process context. `css_alloc`, `bind` and the attach callbacks run with the
/// core mutex held; `fork` and `exit` run in the task's own context (the parent's for `fork`)
/// under `rcu_read_lock()`, and must not sleep.
#[macros::vtable]
pub trait Subsystem: Sized + Send + Sync + 'static {
    /// The controller's state in one group.
    type State: Send + Sync;

    /// The controller's id.
    const ID: SubsysId;

    /// The control files, created in every group of the hierarchy the controller is bound to.
    const FILES: &'static [Cftype<Self>];

    /// Makes the state of a new group, whose parent has state `parent` (`None` for the root
    /// state, made once when the controller registers). `cgroup` is the new group (the dummy
    /// hierarchy's top group for the root state).
    fn css_alloc(parent: Option<&Css<Self>>, cgroup: &Cgroup) -> Result<KBox<Self::State>>;

    /// Called when the root state moves to another hierarchy; `root` is the state.
    fn bind(_root: &Css<Self>) {}

    /// May refuse to move `tasks` into the group of `css`.
    fn can_attach(_css: &Css<Self>, _tasks: &TaskSet<'_>) -> Result {
        Ok(())
    }

    /// Undoes `can_attach` when a later controller refused the move.
    fn cancel_attach(_css: &Css<Self>, _tasks: &TaskSet<'_>) {}

    /// `tasks` have moved into the group of `css`.
    fn attach(_css: &Css<Self>, _tasks: &TaskSet<'_>) {}

    /// `task` was just forked into the group of `css` (under RCU: must not sleep).
    fn fork(_css: &Css<Self>, _task: &Task) {}

    /// `task`, in the group of `css`, is exiting (under RCU: must not sleep).
    fn exit(_css: &Css<Self>, _task: &Task) {}

    /// A task in the group of `css` ran for `delta` ns on CPU `cpu`.
    ///
    /// Called by the scheduler with `cpu`'s run-queue lock held and interrupts off, on every
    /// tick and context switch: it must not sleep, take locks or allocate.
    fn charge(_css: &Css<Self>, _cpu: CpuId, _delta: u64) {}

    /// `delta` ns of CPU time of kind `stat` were accounted on the current CPU `cpu` to a task in
    /// the group of `css` (from the tick, with interrupts off; the same rules as `charge`).
    fn account_field(_css: &Css<Self>, _cpu: CpuId, _stat: CpuStat, _delta: u64) {}
}

/// The state of one controller in one group, whatever the controller (C's
/// `struct cgroup_subsys_state`).
pub struct RawCss {
    ss: SubsysId,
    /// Unique among the controller's live states; the root state's is 1.
    id: i32,
    /// The group; for a root state, the top group of the hierarchy it is bound to.
    cgroup: AtomicPtr<Cgroup>,
    /// The parent group's state (null for a root state); it outlives this one, since a group
    /// holds a reference on its parent.
    parent: *const RawCss,
    /// The controller's `State`, from `KBox::into_raw`.
    state: *mut c_void,
}

// SAFETY: The pointers are to objects that are `Sync` (groups, states of `Send + Sync` types);
// the mutable one is atomic.
unsafe impl Sync for RawCss {}
// SAFETY: As above.
unsafe impl Send for RawCss {}

impl RawCss {
    /// The controller's id.
    pub fn subsys_id(&self) -> SubsysId {
        self.ss
    }

    /// The state's id: 1 for the root state, then in order of creation.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The parent group's state, `None` for a root state.
    pub fn parent_raw(&self) -> Option<&RawCss> {
        // SAFETY: The parent outlives this state (see the field).
        unsafe { self.parent.as_ref() }
    }

    /// The group this state belongs to.
    ///
    /// A root state's group changes when the controller moves to another hierarchy; the old
    /// group stays valid for whoever reached the state: under the core mutex, under RCU, or
    /// with a reference on the group (see below).
    pub fn cgroup(&self) -> &Cgroup {
        // SAFETY: A non-root state's group owns it. A root state's group is the dummy
        // hierarchy's top group, never freed, or the top group of the hierarchy it is bound to;
        // it is changed under the core mutex, and a hierarchy's top group is freed only after
        // an RCU grace period that follows the change (`destroy_root`). Every `&RawCss` is handed
        // out under the core mutex, under RCU (`task_css`), or to a control file that holds a
        // reference on the group.
        unsafe { &*self.cgroup.load(Ordering::Acquire) }
    }
}

/// The state of controller `S` in one group.
#[repr(transparent)]
pub struct Css<S: Subsystem> {
    raw: RawCss,
    _p: PhantomData<S>,
}

impl<S: Subsystem> Css<S> {
    /// Views `raw` as a state of `S`, if it is one.
    ///
    /// Private: only the core hands out states, and only of the controller registered with the
    /// id (one per id, `register` refuses a second), so an id match means the state is a `S`.
    fn from_raw(raw: &RawCss) -> Option<&Css<S>> {
        if raw.ss != S::ID {
            return None;
        }
        // SAFETY: `Css<S>` is a transparent wrapper of `RawCss`. Every `RawCss` with id `S::ID`
        // was made by the registered controller of that id, which is `S`: the callers are the
        // thunks of `register::<S>()` and `parent()` of a `Css<S>`.
        Some(unsafe { &*ptr::from_ref(raw).cast::<Css<S>>() })
    }

    /// The controller's state in this group.
    pub fn state(&self) -> &S::State {
        // SAFETY: The state of a `Css<S>` is a `KBox<S::State>` (from `css_alloc`) that lives as
        // long as the css.
        unsafe { &*self.raw.state.cast::<S::State>() }
    }

    /// The parent group's state, `None` for the root state.
    pub fn parent(&self) -> Option<&Css<S>> {
        self.raw.parent_raw().and_then(Css::from_raw)
    }

    /// The untyped state.
    pub fn raw(&self) -> &RawCss {
        &self.raw
    }

    /// The group this state belongs to.
    pub fn cgroup(&self) -> &Cgroup {
        self.raw.cgroup()
    }
}

/// What the core knows of a registered controller, with its callbacks type-erased.
pub(super) struct Ops {
    pub(super) id: SubsysId,
    pub(super) root_css: *const RawCss,
    next_css_id: AtomicI32,
    alloc: fn(Option<&RawCss>, &Cgroup) -> Result<*mut c_void>,
    free: fn(*mut c_void),
    bind: fn(&RawCss),
    can_attach: Option<fn(&RawCss, &TaskSet<'_>) -> Result>,
    cancel_attach: Option<fn(&RawCss, &TaskSet<'_>)>,
    attach: Option<fn(&RawCss, &TaskSet<'_>)>,
    pub(super) fork: Option<fn(&RawCss, &Task)>,
    pub(super) exit: Option<fn(&RawCss, &Task)>,
    charge: Option<fn(&RawCss, CpuId, u64)>,
    account_field: Option<fn(&RawCss, CpuId, CpuStat, u64)>,
    nr_files: usize,
    file_info: fn(usize) -> (&'static CStr, u32, bool),
    show: fn(usize, &RawCss, &SeqFile) -> Result,
    write: fn(usize, &RawCss, &mut [u8]) -> Result,
}

// SAFETY: Immutable after registration but for the atomic counter; `root_css` points to a
// state that is `Sync`.
unsafe impl Sync for Ops {}
// SAFETY: As above.
unsafe impl Send for Ops {}

/// The ids of the registered controllers that have a `charge` or `account_field` callback.
static HAS_CPUTIME_HOOKS: AtomicU32 = AtomicU32::new(0);

/// The registered controllers, by id; set once each, never cleared.
static REGISTRY: [AtomicPtr<Ops>; NR_SUBSYS] =
    [const { AtomicPtr::new(ptr::null_mut()) }; NR_SUBSYS];
/// The ids of the registered controllers, one bit each.
static REGISTERED: AtomicU32 = AtomicU32::new(0);
/// The ids of the registered controllers that have a `fork` or `exit` callback.
pub(super) static HAS_TASK_HOOKS: AtomicU32 = AtomicU32::new(0);

/// The ids and names of the registered controllers, in id order.
pub fn registered() -> impl Iterator<Item = (usize, &'static CStr)> {
    each().map(|o| (o.id as usize, o.name()))
}

/// The ids of the registered controllers, one bit each.
pub fn registered_mask() -> u32 {
    REGISTERED.load(Ordering::Acquire)
}

/// The registered controller with id `id`.
pub(super) fn ops(id: usize) -> Option<&'static Ops> {
    let p = REGISTRY.get(id)?.load(Ordering::Acquire);
    // SAFETY: Registered entries are leaked boxes, never freed.
    unsafe { p.as_ref() }
}

/// The registered controllers in id order.
pub(super) fn each() -> impl Iterator<Item = &'static Ops> {
    (0..NR_SUBSYS).filter_map(ops)
}

impl Ops {
    /// The controller's name.
    pub(super) fn name(&self) -> &'static CStr {
        SUBSYS_NAMES[self.id as usize]
    }

    /// The root state.
    pub(super) fn root_css(&self) -> &'static RawCss {
        // SAFETY: Made at registration, before the entry is published, and never freed.
        unsafe { &*self.root_css }
    }

    /// The hierarchy the controller is bound to (the dummy one if none).
    pub(super) fn root(&self) -> &Root {
        self.root_css().cgroup().root()
    }

    /// Makes the state of a new child group `cgroup` of the group whose state is `parent`.
    pub(super) fn create_css(&self, parent: &RawCss, cgroup: &Cgroup) -> Result<*mut RawCss> {
        let state = (self.alloc)(Some(parent), cgroup)?;
        let css = KBox::new(
            RawCss {
                ss: self.id,
                id: self.next_css_id.fetch_add(1, Ordering::Relaxed),
                cgroup: AtomicPtr::new(ptr::from_ref(cgroup).cast_mut()),
                parent,
                state,
            },
            GFP_KERNEL,
        );
        match css {
            Ok(css) => Ok(KBox::into_raw(css)),
            Err(e) => {
                (self.free)(state);
                Err(e.into())
            }
        }
    }

    /// Frees a non-root state made by [`Ops::create_css`].
    ///
    /// # Safety
    ///
    /// `css` must come from `create_css` of this controller and not be used afterwards.
    pub(super) unsafe fn free_css(&self, css: *mut RawCss) {
        // SAFETY: A box made by `create_css` (caller).
        let css = unsafe { KBox::from_raw(css) };
        (self.free)(css.state);
    }

    /// Moves the root state to the top group `top` (of a mounted hierarchy, or the dummy one).
    /// Called with the core mutex held, while that hierarchy has no child group.
    pub(super) fn rebind(&self, top: &Cgroup) {
        let css = self.root_css();
        css.cgroup
            .store(ptr::from_ref(top).cast_mut(), Ordering::Release);
        (self.bind)(css);
    }

    pub(super) fn can_attach(&self, css: &RawCss, tasks: &TaskSet<'_>) -> Result {
        self.can_attach.map_or(Ok(()), |f| f(css, tasks))
    }

    pub(super) fn cancel_attach(&self, css: &RawCss, tasks: &TaskSet<'_>) {
        if let Some(f) = self.cancel_attach {
            f(css, tasks);
        }
    }

    pub(super) fn attach(&self, css: &RawCss, tasks: &TaskSet<'_>) {
        if let Some(f) = self.attach {
            f(css, tasks);
        }
    }
}

fn alloc_thunk<S: Subsystem>(parent: Option<&RawCss>, cgroup: &Cgroup) -> Result<*mut c_void> {
    let parent = match parent {
        Some(p) => Some(Css::<S>::from_raw(p).ok_or(EINVAL)?),
        None => None,
    };
    Ok(KBox::into_raw(S::css_alloc(parent, cgroup)?).cast())
}

fn free_thunk<S: Subsystem>(state: *mut c_void) {
    // SAFETY: `state` came from `alloc_thunk::<S>` (a `KBox<S::State>`), freed once.
    drop(unsafe { KBox::from_raw(state.cast::<S::State>()) });
}

/// Runs `f` with `css` as a state of `S`; a mismatch (never made by the core) does nothing.
fn typed<S: Subsystem, R: Default>(css: &RawCss, f: impl FnOnce(&Css<S>) -> R) -> R {
    Css::<S>::from_raw(css).map(f).unwrap_or_default()
}

fn bind_thunk<S: Subsystem>(css: &RawCss) {
    typed::<S, ()>(css, |c| S::bind(c))
}

fn can_attach_thunk<S: Subsystem>(css: &RawCss, tasks: &TaskSet<'_>) -> Result {
    Css::<S>::from_raw(css).map_or(Err(EINVAL), |c| S::can_attach(c, tasks))
}

fn cancel_attach_thunk<S: Subsystem>(css: &RawCss, tasks: &TaskSet<'_>) {
    typed::<S, ()>(css, |c| S::cancel_attach(c, tasks))
}

fn attach_thunk<S: Subsystem>(css: &RawCss, tasks: &TaskSet<'_>) {
    typed::<S, ()>(css, |c| S::attach(c, tasks))
}

fn fork_thunk<S: Subsystem>(css: &RawCss, task: &Task) {
    typed::<S, ()>(css, |c| S::fork(c, task))
}

fn exit_thunk<S: Subsystem>(css: &RawCss, task: &Task) {
    typed::<S, ()>(css, |c| S::exit(c, task))
}

fn charge_thunk<S: Subsystem>(css: &RawCss, cpu: CpuId, delta: u64) {
    typed::<S, ()>(css, |c| S::charge(c, cpu, delta))
}

fn account_field_thunk<S: Subsystem>(css: &RawCss, cpu: CpuId, stat: CpuStat, delta: u64) {
    typed::<S, ()>(css, |c| S::account_field(c, cpu, stat, delta))
}

fn file_info_thunk<S: Subsystem>(i: usize) -> (&'static CStr, u32, bool) {
    let f = &S::FILES[i];
    (f.name, f.flags, f.is_writable())
}

fn show_thunk<S: Subsystem>(i: usize, css: &RawCss, m: &SeqFile) -> Result {
    let css = Css::<S>::from_raw(css).ok_or(EINVAL)?;
    let file = S::FILES.get(i).ok_or(EINVAL)?;
    if let Some(f) = file.read_u64 {
        seq_print!(m, "{}\n", f(css));
    } else if let Some(f) = file.read_s64 {
        seq_print!(m, "{}\n", f(css));
    } else if let Some(f) = file.seq_show {
        f(css, m)?;
    } else {
        return Err(EINVAL);
    }
    Ok(())
}

fn write_thunk<S: Subsystem>(i: usize, css: &RawCss, buf: &mut [u8]) -> Result {
    let css = Css::<S>::from_raw(css).ok_or(EINVAL)?;
    let file = S::FILES.get(i).ok_or(EINVAL)?;
    if let Some(f) = file.write_u64 {
        f(css, super::files::parse_u64(buf)?)
    } else if let Some(f) = file.write_s64 {
        f(css, super::files::parse_s64(buf)?)
    } else if let Some(f) = file.write {
        f(css, buf)
    } else {
        Err(EINVAL)
    }
}

/// Registers controller `S`: makes its root state in the dummy hierarchy and gives it to every
/// task. Called once per controller at boot, from its crate's initialisation.
pub fn register<S: Subsystem>() -> Result {
    let id = S::ID as usize;
    let state = core().state.lock();
    if !REGISTRY[id].load(Ordering::Acquire).is_null() {
        return Err(EINVAL);
    }
    let dummy = state.dummy();
    let root_state = alloc_thunk::<S>(None, &dummy.top)?;
    let root_css = KBox::new(
        RawCss {
            ss: S::ID,
            id: 1,
            cgroup: AtomicPtr::new(ptr::from_ref::<Cgroup>(&dummy.top).cast_mut()),
            parent: ptr::null(),
            state: root_state,
        },
        GFP_KERNEL,
    );
    let root_css = match root_css {
        Ok(css) => KBox::into_raw(css),
        Err(e) => {
            free_thunk::<S>(root_state);
            return Err(e.into());
        }
    };
    let ops = KBox::new(
        Ops {
            id: S::ID,
            root_css,
            next_css_id: AtomicI32::new(2),
            alloc: alloc_thunk::<S>,
            free: free_thunk::<S>,
            bind: bind_thunk::<S>,
            can_attach: S::HAS_CAN_ATTACH.then_some(can_attach_thunk::<S> as _),
            cancel_attach: S::HAS_CANCEL_ATTACH.then_some(cancel_attach_thunk::<S> as _),
            attach: S::HAS_ATTACH.then_some(attach_thunk::<S> as _),
            fork: S::HAS_FORK.then_some(fork_thunk::<S> as _),
            exit: S::HAS_EXIT.then_some(exit_thunk::<S> as _),
            charge: S::HAS_CHARGE.then_some(charge_thunk::<S> as _),
            account_field: S::HAS_ACCOUNT_FIELD.then_some(account_field_thunk::<S> as _),
            nr_files: S::FILES.len(),
            file_info: file_info_thunk::<S>,
            show: show_thunk::<S>,
            write: write_thunk::<S>,
        },
        GFP_KERNEL,
    );
    let ops = match ops {
        Ok(ops) => KBox::into_raw(ops),
        Err(e) => {
            // SAFETY: Never published.
            let css = unsafe { KBox::from_raw(root_css) };
            free_thunk::<S>(css.state);
            return Err(e.into());
        }
    };
    state.adopt(id, root_css);
    super::cset::give_root_css(id, root_css);
    if S::HAS_FORK || S::HAS_EXIT {
        HAS_TASK_HOOKS.fetch_or(1 << id, Ordering::Relaxed);
    }
    REGISTRY[id].store(ops, Ordering::Release);
    if S::HAS_CHARGE || S::HAS_ACCOUNT_FIELD {
        HAS_CPUTIME_HOOKS.fetch_or(1 << id, Ordering::Release);
    }
    REGISTERED.fetch_or(1 << id, Ordering::Release);
    Ok(())
}

/// The state of the controller `id` for `task`, if the controller is registered.
///
/// The state stays valid until the RCU read-side section `_rcu` ends.
///
/// # Safety
///
/// `task` must be valid.
pub unsafe fn task_css<'a>(
    task: *mut bindings::task_struct,
    id: SubsysId,
    _rcu: &'a super::cset::RcuGuard,
) -> Option<&'a RawCss> {
    // SAFETY: Valid task (caller); its set is freed only after a grace period (module docs).
    unsafe { super::cset::css_of_task(task, id as usize) }
}

// --- CPU time, from the scheduler. ---

/// Calls `f` with each controller that has CPU-time callbacks and its state for `task`.
///
/// # Safety
///
/// `task` must be valid, and the caller in an RCU read-side critical section: holding
/// `rcu_read_lock()`, or with interrupts or preemption disabled.
#[inline]
unsafe fn for_each_cputime_css(task: *mut bindings::task_struct, mut f: impl FnMut(&Ops, &RawCss)) {
    let mut mask = HAS_CPUTIME_HOOKS.load(Ordering::Acquire);
    while mask != 0 {
        let id = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        // SAFETY: The bit is set after the entry is published, and entries are never freed.
        let ops = unsafe { &*REGISTRY[id].load(Ordering::Acquire) };
        // SAFETY: `task` is valid and the caller in a read-side critical section (caller).
        if let Some(css) = unsafe { super::cset::css_of_task(task, id) } {
            f(ops, css);
        }
    }
}

/// Charges `delta_exec` ns that `task` just ran to its groups; called by the scheduler with the
/// task's run-queue lock held.
///
/// # Safety
///
/// `task` must be a valid task whose run-queue lock the caller holds.
#[no_mangle]
pub unsafe extern "C" fn cgroup_account_cputime(task: *mut bindings::task_struct, delta_exec: u64) {
    // SAFETY: `task` is valid (caller); it is on the run queue of a possible CPU.
    let cpu = CpuId::from_u32(unsafe { bindings::task_cpu(task) });
    let Some(cpu) = cpu else { return };
    // SAFETY: `task` is valid, and the run-queue lock (a raw spinlock, taken with interrupts
    // off) makes this an RCU read-side critical section (caller).
    unsafe {
        for_each_cputime_css(task, |ops, css| {
            if let Some(f) = ops.charge {
                f(css, cpu, delta_exec);
            }
        })
    };
}

/// Accounts `delta_exec` ns of CPU time of kind `index` of `task` on the current CPU; called
/// from the tick with interrupts off.
///
/// # Safety
///
/// `task` must be valid.
#[no_mangle]
pub unsafe extern "C" fn cgroup_account_cputime_field(
    task: *mut bindings::task_struct,
    index: bindings::cpu_usage_stat,
    delta_exec: u64,
) {
    let Some(stat) = CpuStat::from_index(index) else {
        return;
    };
    let cpu = crate::percpu::current_cpu();
    let _rcu = super::cset::RcuGuard::new();
    // SAFETY: `task` is valid (caller), and we hold `_rcu`.
    unsafe {
        for_each_cputime_css(task, |ops, css| {
            if let Some(f) = ops.account_field {
                f(css, cpu, stat, delta_exec);
            }
        })
    };
}

// --- Control files. ---

/// Encodes controller `ss` and file `index` as the private pointer of a kernfs file node.
fn encode(ss: usize, index: usize) -> *mut c_void {
    ptr::null_mut::<u8>()
        .wrapping_add(((index + 1) << 8) | ss)
        .cast()
}

fn decode(p: *mut c_void) -> (usize, usize) {
    let v = p as usize;
    (v & 0xff, (v >> 8).wrapping_sub(1))
}

static SS_FILE_OPS: FileOpsTable = kernfs::file_ops::<SsFileOps>(crate::page::PAGE_SIZE);

/// The name of file `index` of `ops` in a hierarchy with flags `root_flags`, NUL-terminated
/// in `buf`.
fn file_name<'b>(ops: &Ops, index: usize, root_flags: u32, buf: &'b mut [u8; 64]) -> &'b CStr {
    let (name, _, _) = (ops.file_info)(index);
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        for &b in bytes {
            if len < buf.len() - 1 {
                buf[len] = b;
                len += 1;
            }
        }
    };
    if root_flags & ROOT_NOPREFIX == 0 {
        put(ops.name().as_bytes());
        put(b".");
    }
    put(name.as_bytes());
    buf[len] = 0;
    // SAFETY: `buf[..=len]` ends with the only NUL, written above (names contain none).
    unsafe { CStr::from_bytes_with_nul_unchecked(&buf[..=len]) }
}

/// Whether file `index` of `ops` belongs in `cgrp`.
fn file_wanted(ops: &Ops, index: usize, cgrp: &Cgroup) -> bool {
    let (_, flags, _) = (ops.file_info)(index);
    !(cgrp.is_top() && flags & CFTYPE_NOT_ON_ROOT != 0
        || !cgrp.is_top() && flags & CFTYPE_ONLY_ON_ROOT != 0)
}

/// Creates the files of the controllers in `mask` in the directory `dir` of `cgrp`.
pub(super) fn populate(cgrp: &Cgroup, dir: &Node, mask: u32) -> Result {
    let root_flags = cgrp.root().flags;
    for ops in each().filter(|o| mask & (1 << o.id as usize) != 0) {
        for index in 0..ops.nr_files {
            if !file_wanted(ops, index, cgrp) {
                continue;
            }
            let mut buf = [0u8; 64];
            let name = file_name(ops, index, root_flags, &mut buf);
            let mode = if (ops.file_info)(index).2 {
                0o644
            } else {
                0o444
            };
            // SAFETY: `dir` is live (being populated under the core mutex); the private data
            // is a plain number.
            unsafe {
                kernfs::create_file(
                    dir,
                    name,
                    Attrs::current_owner(mode),
                    &SS_FILE_OPS,
                    encode(ops.id as usize, index),
                )
            }?;
        }
    }
    Ok(())
}

/// Removes the files of controller `ops` from the directory `dir` of the top group `top`.
/// Called with the core mutex held; waits for operations on the files to finish.
pub(super) fn depopulate(top: &Cgroup, dir: &Node, ops: &Ops) {
    let root_flags = top.root().flags;
    for index in 0..ops.nr_files {
        if !file_wanted(ops, index, top) {
            continue;
        }
        let mut buf = [0u8; 64];
        let name = file_name(ops, index, root_flags, &mut buf);
        // SAFETY: `dir` is live; the name is NUL-terminated.
        unsafe {
            bindings::kernfs_remove_by_name_ns(dir.as_ptr(), name.as_char_ptr(), ptr::null())
        };
    }
}

/// Runs `f` with the controller, file index and state of an open controller file.
///
/// The file's active protection is broken for the call, so that `f` may take the core mutex
/// (held around `kernfs_remove()`); a reference on the group keeps it and its state alive.
fn with_css<R>(of: &OpenFile, f: impl FnOnce(&Ops, usize, &RawCss) -> Result<R>) -> Result<R> {
    let node = of.node();
    let (ss, index) = decode(node.private());
    let ops = ops(ss).ok_or(ENODEV)?;
    // SAFETY: Every node served by `SS_FILE_OPS` was made by `populate` in a group's directory,
    // and kernfs holds the file's active reference, so the directory and its group are alive.
    let cgrp = unsafe { Cgroup::from_dir(Node::from_raw(node.parent_ptr())) };
    // SAFETY: We are in an operation on this file; the guard is dropped before returning.
    let _unprotected = unsafe { node.break_active_protection() };
    let css = cgrp.css(ss).ok_or(ENODEV)?;
    f(ops, index, css)
}

struct SsFileOps;

#[macros::vtable]
impl FileOps for SsFileOps {
    fn show(of: &OpenFile, m: &SeqFile) -> Result {
        with_css(of, |ops, index, css| (ops.show)(index, css, m))
    }

    fn write(of: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        let len = buf.len();
        if len == 0 {
            return Ok(0);
        }
        with_css(of, |ops, index, css| (ops.write)(index, css, buf))?;
        Ok(len)
    }
}
