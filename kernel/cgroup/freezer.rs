// SPDX-License-Identifier: GPL-2.0

//! The freezer controller: stops every task of a group and of its descendants, and lets them
//! go again (C's `kernel/cgroup/legacy_freezer.c`).
//!
//! Writing `FROZEN` to a group's `freezer.state` makes the group *self-freezing* and each of
//! its descendants *parent-freezing*, and asks every task in them to freeze through the
//! kernel's freezer ([`kernel::freezer`]). Writing `THAWED` clears self-freezing; each group of
//! the subtree that is then freezing for no reason (no ancestor is self-freezing either) lets
//! its tasks go. The kernel asks [`FreezerApi::freezing`] whether a task must freeze, or stay
//! frozen: it must while its group is freezing, for either reason.
//!
//! Nothing waits for the tasks. A group is `FROZEN` once every task in it and in its
//! descendants is frozen, and a read of `freezer.state` is what finds out: it checks, bottom-up,
//! every group of the subtree that is freezing but not yet known to be frozen. A task that
//! joins a frozen group, by a move or a fork, makes the group `FREEZING` again (and its
//! ancestors, for a move) until a read finds the task frozen. Exiting tasks have left their
//! group's task list and never keep it from being frozen; tasks that cannot freeze, such as
//! most kernel threads, are never freezing and do not count either.
//!
//! # Locking
//!
//! One *freezer mutex*, shared by the states of every group, orders all changes of the groups'
//! flags against each other and against the tasks that join a group:
//!
//! - A write to `freezer.state` holds it across its whole walk of the subtree and of each
//!   group's tasks, so a thaw racing with a freeze ends in the state written last.
//! - [`Subsystem::attach`] (called with the core mutex and the threadgroup rwsem held) takes
//!   it, so a move comes wholly before or after a state change: the moved tasks are frozen or
//!   thawed to match their new group, and every later change sees them there.
//! - [`Subsystem::fork`] (called with the threadgroup rwsem held for reading, once the child is
//!   listed in its group and before it runs) takes it: a state change before it did not see the
//!   child, but the child sees the group's new flags and is frozen before it reaches user
//!   space; a change after it walks the child.
//! - [`Subsystem::css_online`] and [`Subsystem::css_offline`] (core mutex held) take it, so a
//!   new group inherits its parent's freezing state and is seen by every later change, and a
//!   removed one drops out of them.
//!
//! The flags are changed only with the mutex held and read without it (the kernel's freezer
//! asks from any context, under RCU). Changes of the kernel's count of freezing conditions
//! need the CPU-hotplug lock ([`freezer::ActiveGuard`]), which is taken before the mutex. The
//! order is: core mutex, then the threadgroup rwsem or the CPU-hotplug lock, then the freezer
//! mutex, then (under RCU) the css_set lock, which is not held when tasks are asked to freeze
//! or thawed (the kernel's freezer takes its own spinlock and the task's scheduler and signal
//! locks). Nothing that may sleep is done under RCU or a spinlock.

use core::ptr;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::c_str;
use kernel::cgroup::api::FreezerApi;
use kernel::cgroup::cftype::strstrip;
use kernel::cgroup::cset::{TaskCursor, TASK_BATCH};
use kernel::cgroup::{Cftype, Cgroup, Css, SubsysId, Subsystem, TaskSet, CFTYPE_NOT_ON_ROOT};
use kernel::freezer::{self, ActiveGuard};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::seq_file::SeqFile;
use kernel::stack_pin_init;
use kernel::sync::lock::{mutex::MutexBackend, Guard};
use kernel::sync::{rcu, Arc, Mutex};
use kernel::task::Task;

kernel::cgroup_subsys!(
    Freezer,
    rust_cgroup_register_freezer,
    kernel::cgroup::api::freezer_api
);

/// The state is online: between `css_online` and `css_offline`.
const ONLINE: u32 = 1 << 0;
/// `FROZEN` was written to this group.
const FREEZING_SELF: u32 = 1 << 1;
/// An ancestor is self-freezing.
const FREEZING_PARENT: u32 = 1 << 2;
/// Every task of this group and of its descendants was found frozen (since it last changed).
const FROZEN: u32 = 1 << 3;
/// Either reason to freeze.
const FREEZING: u32 = FREEZING_SELF | FREEZING_PARENT;

/// The freezer mutex held: proof that the groups' flags may change.
type Locked<'a> = Guard<'a, (), MutexBackend>;

/// The freezer's state in one group.
struct State {
    /// `ONLINE`, `FREEZING_*` and `FROZEN`: changed with the freezer mutex held, read without.
    flags: AtomicU32,
    /// The freezer mutex: one, made with the root state and shared by every state.
    mutex: Arc<Mutex<()>>,
}

impl State {
    fn flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    fn set(&self, _locked: &Locked<'_>, bits: u32) {
        self.flags.fetch_or(bits, Ordering::AcqRel);
    }

    fn clear(&self, _locked: &Locked<'_>, bits: u32) {
        self.flags.fetch_and(!bits, Ordering::AcqRel);
    }

    fn is_freezing(&self) -> bool {
        self.flags() & FREEZING != 0
    }

    fn lock(&self) -> Locked<'_> {
        self.mutex.lock()
    }
}

struct Freezer;

#[vtable]
impl Subsystem for Freezer {
    type State = State;

    const ID: SubsysId = SubsysId::Freezer;

    const FILES: &'static [Cftype<Self>] = &[
        Cftype::new(c_str!("state"))
            .flags(CFTYPE_NOT_ON_ROOT)
            .seq_show(state_show)
            .write(state_write),
        Cftype::new(c_str!("self_freezing"))
            .flags(CFTYPE_NOT_ON_ROOT)
            .read_u64(self_freezing),
        Cftype::new(c_str!("parent_freezing"))
            .flags(CFTYPE_NOT_ON_ROOT)
            .read_u64(parent_freezing),
    ];

    fn css_alloc(parent: Option<&Css<Self>>, _cgroup: &Cgroup) -> Result<KBox<State>> {
        let mutex = match parent {
            Some(parent) => parent.state().mutex.clone(),
            None => Arc::pin_init(new_mutex!((), "freezer_mutex"), GFP_KERNEL)?,
        };
        Ok(KBox::new(
            State {
                flags: AtomicU32::new(0),
                mutex,
            },
            GFP_KERNEL,
        )?)
    }

    /// Inherits the parent's freezing state: a group made under a freezing one starts
    /// parent-freezing, and frozen, having no task.
    fn css_online(css: &Css<Self>) -> Result {
        let Some(parent) = css.parent() else {
            // The root state, at registration: it never freezes, and nothing sees it yet.
            css.state().flags.store(ONLINE, Ordering::Release);
            return Ok(());
        };
        let active = freezer::active_lock();
        let locked = css.state().lock();
        css.state().set(&locked, ONLINE);
        if parent.state().is_freezing() {
            css.state().set(&locked, FREEZING_PARENT | FROZEN);
            active.inc();
        }
        Ok(())
    }

    /// Takes the group out of later state changes, and uncounts its freezing condition.
    fn css_offline(css: &Css<Self>) {
        let active = freezer::active_lock();
        let locked = css.state().lock();
        if css.state().is_freezing() {
            active.dec();
        }
        css.state().clear(&locked, !0);
    }

    /// Makes the moved tasks conform to their new group: frozen if it is freezing, thawed
    /// otherwise. Moving tasks into a group that is frozen makes it (and its frozen ancestors)
    /// freezing again, until a read of `freezer.state` finds the tasks frozen.
    fn attach(tasks: &TaskSet<'_, Self>) {
        let dst = tasks.dst();
        let locked = dst.state().lock();
        if !dst.state().is_freezing() {
            for (task, _) in tasks.iter() {
                freezer::thaw_task(task);
            }
            return;
        }
        let mut pos = Some(dst);
        while let Some(css) = pos {
            if css.state().flags() & FROZEN == 0 {
                break;
            }
            css.state().clear(&locked, FROZEN);
            pos = css.parent();
        }
        for (task, _) in tasks.iter() {
            freezer::freeze_task(task);
        }
    }

    /// Freezes a child forked into a freezing group before it runs: it is asked to freeze, and
    /// does on its way to user space.
    fn fork(css: &Css<Self>, task: &Task) {
        // The top group never freezes.
        if css.parent().is_none() {
            return;
        }
        let _locked = css.state().lock();
        if css.state().is_freezing() {
            freezer::freeze_task(task);
        }
    }
}

impl FreezerApi for Freezer {
    fn freezing(css: &Css<Self>, _task: &Task) -> bool {
        css.state().is_freezing()
    }
}

/// Marks the group of `css` frozen if it is freezing and every task in it, and every online
/// child group, is frozen. Its children were checked before it.
fn update_if_frozen(css: &Css<Freezer>, locked: &Locked<'_>, rcu: &rcu::Guard) {
    let flags = css.state().flags();
    if flags & FREEZING == 0 || flags & FROZEN != 0 {
        return;
    }
    let child_not_frozen = css.children(rcu).any(|child| {
        let flags = child.state().flags();
        flags & ONLINE != 0 && flags & FROZEN == 0
    });
    if child_not_frozen {
        return;
    }
    // The walk only reads task states: a batch at a time, under the css_set lock.
    let mut all_frozen = true;
    stack_pin_init!(let cursor = TaskCursor::of_css(css.raw()));
    while cursor.as_mut().next_batch(TASK_BATCH, |task| {
        all_frozen = !freezer::freezing(task) || freezer::frozen(task);
        all_frozen
    }) {
        if !all_frozen {
            return;
        }
    }
    if all_frozen {
        css.state().set(locked, FROZEN);
    }
}

/// Asks every task of the group of `css` to freeze (`freeze`) or lets them go, one at a time
/// and outside the css_set lock, as the C implementation does.
fn freeze_or_thaw_tasks(css: &Css<Freezer>, freeze: bool) {
    stack_pin_init!(let cursor = TaskCursor::of_css(css.raw()));
    while let Some(task) = cursor.as_mut().next_task() {
        if freeze {
            freezer::freeze_task(&task);
        } else {
            freezer::thaw_task(&task);
        }
    }
}

/// What changed in the count of freezing groups.
enum Counted {
    Same,
    Gained,
    Lost,
}

/// Sets (`freeze`) or clears the reason `bit` of the group of `css` to freeze, and freezes or
/// thaws its tasks to match. Offline groups are left alone.
fn apply_state(css: &Css<Freezer>, locked: &Locked<'_>, freeze: bool, bit: u32) -> Counted {
    let state = css.state();
    let flags = state.flags();
    if flags & ONLINE == 0 {
        return Counted::Same;
    }
    let was_freezing = flags & FREEZING != 0;
    if freeze {
        state.set(locked, bit);
        freeze_or_thaw_tasks(css, true);
        return if was_freezing {
            Counted::Same
        } else {
            Counted::Gained
        };
    }
    state.clear(locked, bit);
    if state.is_freezing() {
        return Counted::Same;
    }
    state.clear(locked, FROZEN);
    freeze_or_thaw_tasks(css, false);
    if was_freezing {
        Counted::Lost
    } else {
        Counted::Same
    }
}

/// Freezes (`freeze`) or thaws the group of `css` and, as parent-freezing, its descendants, in
/// pre-order so that each sees its parent's new state. The kernel's count of freezing
/// conditions is one per freezing group: it changes with the CPU-hotplug lock held (`active`),
/// and may sleep, so the changes are counted during the walk (under RCU) and made after it; a
/// freeze holds one more count during the walk, so that the tasks are asked from the start.
fn change_state(css: &Css<Freezer>, freeze: bool) {
    let active: ActiveGuard = freezer::active_lock();
    let locked = css.state().lock();
    if freeze {
        active.inc();
    }
    let (mut gained, mut lost) = (0u32, 0u32);
    {
        let rcu = rcu::read_lock();
        for pos in css.descendants_pre(&rcu) {
            let counted = match pos.parent() {
                Some(parent) if !ptr::eq(pos, css) => {
                    apply_state(pos, &locked, parent.state().is_freezing(), FREEZING_PARENT)
                }
                _ => apply_state(pos, &locked, freeze, FREEZING_SELF),
            };
            match counted {
                Counted::Gained => gained += 1,
                Counted::Lost => lost += 1,
                Counted::Same => {}
            }
        }
    }
    for _ in 0..gained {
        active.inc();
    }
    for _ in 0..lost {
        active.dec();
    }
    if freeze {
        active.dec();
    }
}

/// The name of a group's state, as read from and written to `freezer.state`.
fn state_name(flags: u32) -> &'static [u8] {
    if flags & FROZEN != 0 {
        b"FROZEN"
    } else if flags & FREEZING != 0 {
        b"FREEZING"
    } else {
        b"THAWED"
    }
}

/// `freezer.state`: brings the subtree's frozen flags up to date, bottom-up, then prints the
/// group's state.
fn state_show(css: &Css<Freezer>, m: &SeqFile) -> Result {
    {
        let locked = css.state().lock();
        let rcu = rcu::read_lock();
        for pos in css.descendants_post(&rcu) {
            update_if_frozen(pos, &locked, &rcu);
        }
    }
    m.write_bytes(state_name(css.state().flags()));
    m.write_bytes(b"\n");
    Ok(())
}

/// `freezer.state`: `FROZEN` or `THAWED` (white space around them ignored), anything else is
/// `EINVAL`. Returns without waiting for the tasks.
fn state_write(css: &Css<Freezer>, buf: &[u8]) -> Result {
    let freeze = match strstrip(buf) {
        b"FROZEN" => true,
        b"THAWED" => false,
        _ => return Err(EINVAL),
    };
    change_state(css, freeze);
    Ok(())
}

fn self_freezing(css: &Css<Freezer>) -> u64 {
    u64::from(css.state().flags() & FREEZING_SELF != 0)
}

fn parent_freezing(css: &Css<Freezer>) -> u64 {
    u64::from(css.state().flags() & FREEZING_PARENT != 0)
}
