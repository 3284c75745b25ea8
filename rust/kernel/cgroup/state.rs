// SPDX-License-Identifier: GPL-2.0

//! The core's global state: the core mutex and what it guards ([`State`]), the css_set lock,
//! and the threadgroup rwsem.
//!
//! See the locking and lifetime rules in the [module documentation](super).

use super::cset::CsetTable;
use super::dir::Dirs;
use super::group::{Cgroup, Root};
use crate::{
    alloc::{flags::GFP_KERNEL, KBox, KVec},
    bindings,
    error::{code::*, Result},
    kernfs::{self, DirHandle},
    new_mutex, new_spinlock_irq,
    prelude::*,
    sync::{percpu_rwsem::PercpuRwSem, Arc, Mutex, SpinLockIrq},
    types::ARef,
};
use core::{
    cell::UnsafeCell,
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};

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

static CORE: AtomicPtr<Core> = AtomicPtr::new(ptr::null_mut());

/// The global state; `None` before `cgroup_init()` made it.
pub(super) fn core() -> Option<&'static Core> {
    let core = CORE.load(Ordering::Acquire);
    // SAFETY: `init` stores a leaked, never freed `Arc<Core>`, once.
    unsafe { core.as_ref() }
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
}

/// Sets up the global state, once, at boot.
pub(super) fn init() -> Result<&'static Core> {
    let dummy_root = Root::new(0, KVec::new(), 0, KVec::new())?;
    let dummy = Cgroup::new(dummy_root, None, 0)?;
    dummy.count_top();
    let made = Arc::pin_init(
        pin_init!(Core {
            state <- new_mutex!(
                State {
                    live: KVec::new(),
                    next_id: 1,
                    dummy,
                },
                "cgroup_mutex"
            ),
            csets <- new_spinlock_irq!(CsetTable::new(), "css_set_lock"),
        }),
        GFP_KERNEL,
    )?;
    // Leaked: the core lives for ever.
    let raw = Arc::into_raw(made).cast_mut();
    // INVARIANT (`CoreCell`): the only `State`, published once.
    if CORE
        .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        // SAFETY: Never published: the reference made by `into_raw` above is ours to drop.
        drop(unsafe { Arc::from_raw(raw) });
        return Err(EBUSY);
    }
    core().ok_or(EINVAL)
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
