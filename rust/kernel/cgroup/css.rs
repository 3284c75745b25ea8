// SPDX-License-Identifier: GPL-2.0

//! Controller states: the state of one controller in one group (C's
//! `struct cgroup_subsys_state`).
//!
//! # Lifetimes
//!
//! A controller's *root state* is made when the controller registers and is never freed; it belongs
//! to the top group of the hierarchy the controller is bound to, which changes when the controller
//! is (un)bound. Every other state belongs to one group, is made with it (or when its controller is
//! bound to the group's hierarchy by a remount) and freed with it, even if the controller leaves
//! the hierarchy first or the group starts sharing its parent's state (`Cgroup::retire_css`,
//! `Cgroup::share_css`); a group that shares its parent's state has none of its own. Groups are
//! freed only after an RCU grace period, and css_sets hold their groups, so a state reached through
//! a task's css_set under `rcu_read_lock()` stays valid until the read-side section ends.
//!
//! A `&Css` is only handed to a controller where its group cannot change under it or is kept
//! valid: with the core mutex held (attach, online, offline, bind), within a control file's
//! operation (the file goes before its controller is unbound), with the threadgroup rwsem held
//! for reading (fork and exit callbacks; (un)binding holds it for writing), or under RCU (the
//! scheduler's hooks, [`Css::of_task`]).
//!
//! A state can also be reached outside those contexts (a css_set's states, a group's, the
//! parent of a state found with [`Css::of_group`]), and a root state reached that way may move to
//! another hierarchy while it is held, whose top group may then be freed. So a state's group is
//! only read under RCU ([`Css::cgroup_rcu`]) or as a counted reference ([`Css::cgroup`]), never as
//! a reference that lives as long as the state.

use super::cset;
use super::group::Cgroup;
use super::id::SubsysId;
use super::subsys::Subsystem;
use crate::{
    alloc::{flags::GFP_KERNEL, KBox},
    error::Result,
    ffi::c_void,
    sync::rcu,
    task::Task,
    types::ARef,
};
use core::{
    any::TypeId,
    marker::PhantomData,
    ptr,
    sync::atomic::{AtomicBool, AtomicPtr, Ordering},
};

/// The state of one controller in one group, whatever the controller.
///
/// # Invariants
///
/// `state` is a `KBox<S::State>` (from `KBox::into_raw`) of the controller type `S` whose
/// [`TypeId`] is `ty` and whose id is `ss`, owned by this object, and `drop_state` frees it.
/// `parent` is null (root state) or the state of the same controller in the parent group, which
/// outlives this one (a group with a state of its own has a parent with one: the children of a
/// group that inherits its parent's state inherit it too). `retired_next` is null or the next state
/// on the retired list of the group that owns this one (see `Cgroup::retire_css`).
pub struct RawCss {
    ss: SubsysId,
    ty: TypeId,
    id: i32,
    cgroup: AtomicPtr<Cgroup>,
    parent: *const RawCss,
    state: *mut c_void,
    drop_state: fn(*mut c_void),
    online: AtomicBool,
    pub(super) retired_next: AtomicPtr<RawCss>,
}

// SAFETY: The pointers are to objects that are `Sync` (groups, parent states, controller states of
// `Send + Sync` types); the mutable ones are atomic.
unsafe impl Sync for RawCss {}
// SAFETY: As above; the state is freed by whichever thread drops the last owner.
unsafe impl Send for RawCss {}

/// Frees a `KBox<T>` made into a raw pointer.
fn drop_box<T>(p: *mut c_void) {
    // SAFETY: Only used as `RawCss::drop_state` for a `state` that is a `KBox<T>` (type
    // invariants), called once, from `Drop`.
    drop(unsafe { KBox::from_raw(p.cast::<T>()) });
}

impl RawCss {
    /// A state of controller `S`, with id `id`, for `cgroup`, whose parent state is `parent`.
    pub(super) fn new<S: Subsystem>(
        id: i32,
        cgroup: &Cgroup,
        parent: Option<&Css<S>>,
        state: KBox<S::State>,
    ) -> Result<KBox<RawCss>> {
        // INVARIANT: `state` is the `KBox<S::State>` of the controller type `S`, whose type id is
        // `ty`, and the parent is a state of the same controller in the parent group.
        Ok(KBox::new(
            RawCss {
                ss: S::ID,
                ty: TypeId::of::<S>(),
                id,
                cgroup: AtomicPtr::new(ptr::from_ref(cgroup).cast_mut()),
                parent: parent.map_or(ptr::null(), |p| ptr::from_ref(&p.raw)),
                state: KBox::into_raw(state).cast(),
                drop_state: drop_box::<S::State>,
                online: AtomicBool::new(false),
                retired_next: AtomicPtr::new(ptr::null_mut()),
            },
            GFP_KERNEL,
        )?)
    }

    /// The controller's id.
    pub fn subsys_id(&self) -> SubsysId {
        self.ss
    }

    /// The state's id: 1 for the root state, then in order of creation.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The parent group's state, `None` for a root state.
    #[inline]
    pub fn parent_raw(&self) -> Option<&RawCss> {
        // SAFETY: The parent outlives this state (type invariants).
        unsafe { self.parent.as_ref() }
    }

    /// The group this state belongs to, read under RCU: the state's own group, or for a root
    /// state the top group of the hierarchy it is bound to when read. A rebinding may move a
    /// root state on afterwards, but the group read stays valid until the read-side critical
    /// section ends.
    #[inline]
    pub fn cgroup_rcu<'a>(&'a self, _rcu: &'a rcu::Guard) -> &'a Cgroup {
        // SAFETY: A non-root state's group owns it and outlives it. A root state's group is a
        // top group (changed only by `RawCss::rebind`), and a top group's hierarchy drops its
        // reference only a grace period after its root states moved to another top group
        // (`DeadRoot::destroy`); the pointer is read within the read-side section `_rcu`,
        // which lasts at least as long as `'a`.
        unsafe { &*self.cgroup.load(Ordering::Acquire) }
    }

    /// A reference to the group this state belongs to (see [`RawCss::cgroup_rcu`]). For a root
    /// state, the top group of the hierarchy it is bound to when called: in the contexts listed
    /// in the module documentation this does not change while the caller runs.
    ///
    /// ```
    /// use kernel::cgroup::{cset, SubsysId};
    ///
    /// // cpuacct's state in the current task's css_set is its root state, unless the task is in
    /// // a group of a hierarchy that has cpuacct. The group, referenced, may be kept after the
    /// // css_set lock is dropped, even if a remount moves the root state on meanwhile.
    /// let group = cset::with_current_cset(|set| set.css(SubsysId::Cpuacct).map(|c| c.cgroup()));
    /// let group = group.flatten().ok_or(ENOENT)?;
    /// assert!(group.root().has_subsys(SubsysId::Cpuacct) || group.root().is_dummy());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn cgroup(&self) -> ARef<Cgroup> {
        let guard = rcu::read_lock();
        // A group read under RCU keeps a non-zero count until the section ends
        // (`put_after_grace_period`), so it may be referenced.
        ARef::from(self.cgroup_rcu(&guard))
    }

    /// Moves a root state to the top group `top`. Under the core mutex and the threadgroup rwsem
    /// (write).
    pub(super) fn rebind(&self, top: &Cgroup) {
        self.cgroup
            .store(ptr::from_ref(top).cast_mut(), Ordering::Release);
    }

    /// Whether the state is online: between the controller's `css_online` and `css_offline`
    /// (root states: from registration on).
    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::Acquire)
    }

    pub(super) fn set_online(&self, online: bool) {
        self.online.store(online, Ordering::Release);
    }
}

impl Drop for RawCss {
    fn drop(&mut self) {
        (self.drop_state)(self.state);
    }
}

/// The state of controller `S` in one group.
///
/// # Invariants
///
/// The wrapped state was made for the controller type `S` (its type id is `S`'s), so its
/// `state` is a `KBox<S::State>`.
///
/// # Examples
///
/// [`Subsystem`] is a safe trait, so any type may claim any controller's id; the states of the
/// controller registered with that id still never reach it as its own `State`:
///
/// ```
/// use kernel::cgroup::{cset, Cftype, Cgroup, Css, SubsysId, Subsystem};
/// use kernel::sync::rcu;
///
/// struct Impostor;
///
/// #[vtable]
/// impl Subsystem for Impostor {
///     type State = [u64; 64];
///     const ID: SubsysId = SubsysId::Cpuacct;
///     const FILES: &'static [Cftype<Self>] = &[];
///
///     fn css_alloc(_parent: Option<&Css<Self>>, _cgroup: &Cgroup) -> Result<KBox<[u64; 64]>> {
///         Err(ENOMEM)
///     }
/// }
///
/// // cpuacct registered at boot: the current task's css_set has its state...
/// let real = cset::with_current_cset(|set| set.css(SubsysId::Cpuacct).is_some());
/// assert_eq!(real, Some(true));
/// // ...which is not an `Impostor`'s, however it is looked up.
/// let guard = rcu::read_lock();
/// assert!(Css::<Impostor>::of_task(kernel::current!(), &guard).is_none());
/// assert!(Css::<Impostor>::root(&guard).is_none());
/// ```
#[repr(transparent)]
pub struct Css<S: Subsystem> {
    raw: RawCss,
    _p: PhantomData<S>,
}

impl<S: Subsystem> Css<S> {
    /// Views `raw` as a state of `S`, if it is one.
    ///
    /// The check is of the controller's type, not only of its id: a type that claims another
    /// controller's [`Subsystem::ID`] (the trait is safe to implement) never gets that
    /// controller's states.
    #[inline]
    pub(super) fn from_raw(raw: &RawCss) -> Option<&Css<S>> {
        // The type decides; a state of `S` has `S::ID` (type invariants of `RawCss`).
        if raw.ty != TypeId::of::<S>() {
            return None;
        }
        // SAFETY: `Css<S>` is a transparent wrapper of `RawCss`, and `raw` was made for the
        // controller type `S` (checked above), so its `state` is a `KBox<S::State>`.
        // INVARIANT: Checked above.
        Some(unsafe { &*ptr::from_ref(raw).cast::<Css<S>>() })
    }

    /// The controller's state in this group.
    pub fn state(&self) -> &S::State {
        // SAFETY: A `KBox<S::State>` (type invariants) that lives as long as `self`.
        unsafe { &*self.raw.state.cast::<S::State>() }
    }

    /// The parent group's state, `None` for the root state.
    ///
    /// Without the type check of `Css::from_raw`: the scheduler's charge path walks up this
    /// way on every context switch.
    #[inline]
    pub fn parent(&self) -> Option<&Css<S>> {
        let parent = self.raw.parent_raw()?;
        // SAFETY: `Css<S>` is a transparent wrapper of `RawCss`. The parent of a state is the
        // state of the same controller in the parent group (`RawCss` invariants), and `self`
        // is a state of `S` (type invariants), so the parent is one too.
        Some(unsafe { &*ptr::from_ref(parent).cast::<Css<S>>() })
    }

    /// The untyped state.
    pub fn raw(&self) -> &RawCss {
        &self.raw
    }

    /// The state's id: 1 for the root state, then in order of creation.
    pub fn id(&self) -> i32 {
        self.raw.id
    }

    /// A reference to the group this state belongs to (see [`RawCss::cgroup`]).
    pub fn cgroup(&self) -> ARef<Cgroup> {
        self.raw.cgroup()
    }

    /// The group this state belongs to, under RCU (see [`RawCss::cgroup_rcu`]).
    #[inline]
    pub fn cgroup_rcu<'a>(&'a self, rcu: &'a rcu::Guard) -> &'a Cgroup {
        self.raw.cgroup_rcu(rcu)
    }

    /// Whether the state is online (see [`RawCss::is_online`]).
    pub fn is_online(&self) -> bool {
        self.raw.is_online()
    }

    /// The state of `S` for `task`, if `S` is registered: for hooks that C calls with only a
    /// task (the scheduler, the page allocator, the freezer). It stays valid until the
    /// read-side critical section `rcu` ends.
    pub fn of_task<'a>(task: &Task, rcu: &'a rcu::Guard) -> Option<&'a Css<S>> {
        cset::task_cset(task, rcu)?
            .css(S::ID)
            .and_then(Css::from_raw)
    }

    /// The state of `S` of the child group `cgrp`, if `S` is bound to its hierarchy; `None` for
    /// a top group (whose state, a root state, is reached through [`Css::root`]) and for a
    /// group that shares its parent's (`<controller>.inherit`). It lives as long as the group.
    pub fn of_group(cgrp: &Cgroup) -> Option<&Css<S>> {
        if cgrp.is_top() {
            return None;
        }
        cgrp.own_css(S::ID).and_then(Css::from_raw)
    }

    /// The states of the live child groups, oldest first, under RCU; one being removed may
    /// still be seen (check [`Css::is_online`]). Groups that share this state
    /// (`<controller>.inherit`) have none of their own and are not seen: a controller's walks
    /// see each state once.
    pub fn children<'a>(&'a self, rcu: &'a rcu::Guard) -> impl Iterator<Item = &'a Css<S>> + 'a {
        self.cgroup_rcu(rcu)
            .children(rcu)
            .filter_map(|c| c.own_css(S::ID).and_then(Css::from_raw))
    }

    /// This state and the states of the live descendants of its group in pre-order (each
    /// before its children), under RCU; one being removed may still be seen.
    pub fn descendants_pre<'a>(
        &'a self,
        rcu: &'a rcu::Guard,
    ) -> impl Iterator<Item = &'a Css<S>> + 'a {
        self.cgroup_rcu(rcu)
            .descendants_pre(rcu)
            .filter_map(|c| c.own_css(S::ID).and_then(Css::from_raw))
    }

    /// The states of the live descendants of its group and this state in post-order (each
    /// after its children's, this one last), under RCU; one being removed may still be seen.
    pub fn descendants_post<'a>(
        &'a self,
        rcu: &'a rcu::Guard,
    ) -> impl Iterator<Item = &'a Css<S>> + 'a {
        self.cgroup_rcu(rcu)
            .descendants_post(rcu)
            .filter_map(|c| c.own_css(S::ID).and_then(Css::from_raw))
    }
}
