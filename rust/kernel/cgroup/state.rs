// SPDX-License-Identifier: GPL-2.0

//! The core's global state: the core mutex and what it guards ([`State`]), the css_set lock,
//! and the threadgroup rwsem.
//!
//! See the locking and lifetime rules in the [module documentation](super).

use super::cset::CsetTable;
use super::dir::Dirs;
use super::group::Cgroup;
use crate::{
    alloc::{flags::GFP_KERNEL, KBox, KVec},
    bindings,
    error::{code::*, Result},
    kernfs, new_mutex, new_spinlock_irq,
    prelude::*,
    sync::{percpu_rwsem::PercpuRwSem, Mutex, OnceBox, SpinLockIrq},
    types::ARef,
};
use core::{cell::UnsafeCell, ptr};

/// The global state of the core.
#[pin_data]
pub(super) struct Core {
    /// The core mutex (C's `cgroup_mutex`); see the locking rules.
    #[pin]
    pub(super) state: Mutex<State>,
    /// The css_set lock (C's `css_set_lock`); see [`super::cset`].
    #[pin]
    pub(super) csets: SpinLockIrq<CsetTable>,
}

/// The global state, made once by [`init`] and never freed.
static CORE: OnceBox<Core> = OnceBox::new();

/// The global state; `None` before `cgroup_init()` made it.
pub(super) fn core() -> Option<&'static Core> {
    CORE.get()
}

/// Data guarded by the core mutex but stored in objects other than [`State`].
///
/// # Invariants
///
/// There is at most one [`State`] (it is only made by [`init`], which runs once), so whoever
/// has a `&mut State` holds the core mutex and has exclusive access to every `CoreCell`.
pub(super) struct CoreCell<T>(UnsafeCell<T>);

// SAFETY: Access is serialised by the core mutex (type invariants).
unsafe impl<T: Send> Sync for CoreCell<T> {}

impl<T> CoreCell<T> {
    pub(super) const fn new(value: T) -> Self {
        CoreCell(UnsafeCell::new(value))
    }

    /// The value, with the core mutex held.
    pub(super) fn get<'a>(&'a self, _state: &'a State) -> &'a T {
        // SAFETY: Whoever holds `&State` holds the core mutex, and nobody holds `&mut State`
        // meanwhile (type invariants).
        unsafe { &*self.0.get() }
    }

    /// The value, mutably, with the core mutex held.
    pub(super) fn get_mut<'a>(&'a self, _state: &'a mut State) -> &'a mut T {
        // SAFETY: Whoever holds `&mut State` holds the core mutex exclusively (type invariants).
        unsafe { &mut *self.0.get() }
    }
}

/// A live hierarchy: listed, possibly mounted.
pub(super) struct LiveRoot {
    pub(super) top: ARef<Cgroup>,
    /// The kernfs tree; in a box, so that a mount can use it without the core mutex while the
    /// hierarchy is pinned.
    pub(super) kf: KBox<kernfs::Root<Dirs>>,
    /// Superblocks and mounts in progress that keep the hierarchy alive.
    pub(super) pins: u32,
}

/// The state guarded by the core mutex.
pub(super) struct State {
    /// The live hierarchies, oldest first.
    pub(super) live: KVec<LiveRoot>,
    pub(super) next_id: i32,
    /// The dummy hierarchy's top group: never mounted nor listed, it holds unbound
    /// controllers.
    pub(super) dummy: ARef<Cgroup>,
}

impl State {
    /// The dummy hierarchy's top group.
    pub(super) fn dummy(&self) -> &Cgroup {
        &self.dummy
    }

    /// The top groups of the live hierarchies, oldest first.
    pub(super) fn live_tops(&self) -> impl DoubleEndedIterator<Item = &ARef<Cgroup>> {
        self.live.iter().map(|l| &l.top)
    }
}

/// Sets up the global state, once, at boot, with the dummy hierarchy's top group `dummy` and
/// the empty css_set table `csets`.
pub(super) fn init(dummy: ARef<Cgroup>, csets: CsetTable) -> Result<&'static Core> {
    // INVARIANT (`CoreCell`): the only `State`, published once (`EBUSY` otherwise).
    CORE.init(pin_init!(Core {
        state <- new_mutex!(
            State {
                live: KVec::new(),
                next_id: 1,
                dummy,
            },
            "cgroup_mutex"
        ),
        csets <- new_spinlock_irq!(csets, "css_set_lock"),
    }))
}

/// The rwsem that makes whole thread groups move atomically (C's
/// `cgroup_threadgroup_rwsem`): fork (from `cgroup_can_fork()` to `cgroup_post_fork()`), exec,
/// exit and the `exit` callbacks hold it for reading; moves and (un)binding for writing.
pub(super) fn threadgroup_rwsem() -> &'static PercpuRwSem {
    // SAFETY: `cgroup_threadgroup_rwsem` is defined and initialised statically in
    // kernel/cgroup/rust_core.c (DEFINE_PERCPU_RWSEM) and lives for ever.
    unsafe { PercpuRwSem::from_raw(ptr::addr_of_mut!(bindings::cgroup_threadgroup_rwsem)) }
}

/// The locks that moving tasks between groups takes (C's `cgroup_attach_lock()`): the
/// CPU-hotplug lock for reading, then the threadgroup rwsem for writing; released in the
/// reverse order.
///
/// CPUs must stay put while controllers change the CPU affinity of moving tasks (cpuset), and
/// the hotplug lock comes first because CPU hotplug waits for tasks that may be forking with
/// the rwsem held for reading.
pub(super) struct AttachLock {
    _tg: crate::sync::percpu_rwsem::PercpuWriteGuard<'static>,
    _hotplug: crate::cpu::HotplugReadGuard,
}

/// Takes the [`AttachLock`]. Context: the core mutex held; may sleep.
pub(super) fn attach_lock() -> AttachLock {
    let hotplug = crate::cpu::hotplug_read_lock();
    AttachLock {
        _tg: threadgroup_rwsem().write(),
        _hotplug: hotplug,
    }
}

/// Proof that the current context may take the core mutex: it holds no kernfs active reference
/// on a node of a hierarchy (it is not in a control file's callback, which rmdir waits for
/// while holding the mutex) and none of the core's locks nor a controller's (the mutex comes
/// first in the lock order; see the module documentation). The public functions that take the
/// core mutex ([`super::migrate::attach_current`], [`super::migrate::transfer_tasks`],
/// [`super::migrate::clone_into_child`], [`super::hierarchy::create_hierarchy`],
/// [`super::hierarchy::mkdir`], [`super::hierarchy::rmdir`]) need it.
///
/// Controllers' callbacks are given no token and cannot make one in safe code: a controller
/// that must call one of those runs it from [`spawn_unlocked`].
pub struct Unlocked(core::marker::PhantomData<*mut ()>);

impl Unlocked {
    /// The token, in a context that its documentation allows.
    ///
    /// # Safety
    ///
    /// For as long as the token lives, the current task must hold no kernfs active reference on
    /// a node of a hierarchy and none of the core's locks (the core mutex, the threadgroup
    /// rwsem, the css_set lock) nor a controller's: for example a kernel thread or work item
    /// that holds nothing, or a KUnit test.
    pub unsafe fn assume() -> Self {
        Unlocked(core::marker::PhantomData)
    }
}

/// Runs `f` from a work item of the system workqueue, with an [`Unlocked`] token: a work item
/// runs in process context and holds nothing. `ENOMEM` if the work item cannot be allocated.
pub fn spawn_unlocked(f: impl FnOnce(&Unlocked) + Send + 'static) -> Result {
    crate::workqueue::system()
        .try_spawn(GFP_KERNEL, move || {
            // SAFETY: A work item of the system workqueue starts in process context, holding
            // no lock and no kernfs active reference.
            let token = unsafe { Unlocked::assume() };
            f(&token)
        })
        .map_err(|_| ENOMEM)
}
