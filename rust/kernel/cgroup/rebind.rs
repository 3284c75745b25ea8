// SPDX-License-Identifier: GPL-2.0

//! Binding controllers to a hierarchy that has child groups, and taking them off it: a remount
//! that adds or removes controllers (C's version 1 refuses it with `EBUSY`); and switching a
//! group between a state of its own and its parent's (`<controller>.inherit`).
//!
//! # Adding
//!
//! 1. **Prepare** (core mutex): the controllers' files are created in every group, hidden; the
//!    root state moves to the hierarchy's top group ([`Subsystem::bind`]), which changes no
//!    css_set (they all point to it); a state is made for every child group, parents first,
//!    and brought online (a controller that copies its parent's configuration under
//!    `clone_children` does it here, from the root state as the hierarchy configured it). The
//!    states are not in their groups yet: every css_set still points to the root state, and
//!    walks of the controller's tree do not see them.
//! 2. **Ask** (core mutex, CPU-hotplug lock, threadgroup rwsem for writing): for each child
//!    group with tasks, the controller may refuse to move them from its root state to the
//!    group's state ([`Subsystem::can_attach`]).
//! 3. **Commit**, which cannot fail: the states go into their groups, every css_set is pointed
//!    at its group's state ([`cset::repoint`]), and the controller is told of each group's
//!    tasks ([`Subsystem::attach`]); then the files are shown.
//!
//! A failure in 1 or a refusal in 2 undoes it all: the states made are taken offline and
//! freed (nothing but the controller's callbacks saw them), the root state goes back to the
//! dummy hierarchy, the files are removed. The remount fails with that error and the
//! hierarchy is as it was.
//!
//! # Removing
//!
//! 1. **Ask** (locks as above): may the tasks of each child group move to the root state? A
//!    refusal or a failed allocation fails the remount, with nothing changed.
//! 2. **Commit**: the groups' states are marked offline (control-file writes that come later
//!    fail with `ENODEV`), the root state goes back to the dummy hierarchy, every css_set
//!    points to it, and the controller is told ([`Subsystem::attach`] into the root state,
//!    from each group's state).
//! 3. **Clean up** (core mutex): each group's state, children first, is taken offline
//!    ([`Subsystem::css_offline`]); the files go; the states are retired, kept until their
//!    groups are freed ([`Cgroup::retire_css`]), since a `&RawCss` read from a group may live
//!    as long as the group.
//!
//! # Sharing a parent's state
//!
//! In a hierarchy mounted with `inherit`, a child group may share its parent's state of a
//! controller (`<controller>.inherit`): its slot for the controller then holds the parent's
//! state (`Cgroup::share_css`), its css_sets point to it, and the controller's walks of its
//! states ([`Css::children`]) and of a state's tasks ([`TaskCursor::of_css`]) see the group's
//! tasks as the parent's. Only a group without children switches (the children of a group
//! with a state name it as their parent; those of a sharing group share too), so a group with
//! a state of its own always has a parent with one. With the attach locks held, the
//! controller is asked about the move of the group's tasks ([`Subsystem::can_attach`]), then
//! the slot and the group's css_sets change ([`cset::repoint_group`]) and it is told
//! ([`Subsystem::attach`]). Starting to share takes the group's state offline and retires
//! it; stopping makes and brings online a new state first, which a refusal takes offline and
//! frees again.
//!
//! mkdir, rmdir, renames and moves take the core mutex; fork, exit and exec the threadgroup
//! rwsem for reading: none runs between the ask and the commit, so the tasks asked about are
//! the tasks committed, and no css_set is made while sets and groups disagree. Lockless readers
//! of a task's state (the scheduler's charge) see the old or the new state, both valid until
//! their read-side section ends.
//!
//! [`Subsystem::can_attach`]: super::Subsystem::can_attach
//! [`Subsystem::bind`]: super::Subsystem::bind
//! [`Subsystem::attach`]: super::Subsystem::attach
//! [`Subsystem::css_offline`]: super::Subsystem::css_offline
//! [`Css::children`]: super::Css::children
//! [`TaskCursor::of_css`]: super::cset::TaskCursor::of_css

use super::cset;
use super::css::RawCss;
use super::group::Cgroup;
use super::id::SubsysId;
use super::state::{attach_lock, Core, State};
use super::subsys::{self, Migration, Move, Ops};
use crate::{
    alloc::{flags::GFP_KERNEL, KBox, KVec},
    error::{code::*, Error, Result},
    sync::rcu,
    task::Task,
    types::ARef,
};
use core::ptr;

/// The child groups of the hierarchy of `top`, parents before children. Under the core mutex,
/// so that none comes or goes.
fn groups_of(top: &Cgroup) -> Result<KVec<ARef<Cgroup>>> {
    let count = {
        let guard = rcu::read_lock();
        top.descendants_pre(&guard).skip(1).count()
    };
    let mut groups = KVec::with_capacity(count, GFP_KERNEL)?;
    let guard = rcu::read_lock();
    for g in top
        .descendants_pre(&guard)
        .skip(1)
        .filter(|g| !g.is_dead())
        .take(count)
    {
        // A group found by a walk of the tree may be referenced; the capacity is reserved.
        groups.push(ARef::from(g), GFP_KERNEL)?;
    }
    Ok(groups)
}

/// The tasks of each group of `groups` (same order). Under the core mutex and the
/// threadgroup rwsem (write).
fn tasks_of_groups(
    core: &Core,
    state: &State,
    groups: &[ARef<Cgroup>],
) -> Result<KVec<KVec<ARef<Task>>>> {
    let mut all = KVec::with_capacity(groups.len(), GFP_KERNEL)?;
    for g in groups {
        all.push(cset::tasks_of(core, state, g)?, GFP_KERNEL)?;
    }
    Ok(all)
}

/// The move of `tasks` out of state `from`, in place: each task keeps its css_set. Exiting
/// tasks are left out, as a move leaves them.
fn migration<'a>(tasks: &'a [ARef<Task>], from: &'a RawCss) -> Result<Migration<'a>> {
    let mut mig = Migration {
        moves: KVec::with_capacity(tasks.len(), GFP_KERNEL)?,
        from: Some(from),
    };
    for task in tasks {
        let Some(set) = mig.source_of(task, |_| false) else {
            continue;
        };
        let (pair, sets) = match set {
            Err(i) => (i, None),
            Ok(set) => (mig.moves.len(), Some((set.clone(), set))),
        };
        let task = task.clone();
        mig.moves.push(Move { task, pair, sets }, GFP_KERNEL)?;
    }
    Ok(mig)
}

/// The moves of a rebinding: for each controller and each group with tasks, the move and where
/// its destination is found.
type Moves<'a, D> = KVec<(&'static Ops, Migration<'a>, D)>;

/// Asks each controller about each of its moves, into the state `dst` gives; on a refusal, the
/// ones that accepted are told, and the error returned.
fn ask<'a, D: Copy>(
    moves: &Moves<'_, D>,
    dst: impl Fn(&'static Ops, D) -> Option<&'a RawCss>,
) -> Result {
    for (i, (ops, mig, d)) in moves.iter().enumerate() {
        let result = dst(ops, *d)
            .ok_or(EINVAL)
            .and_then(|dst| ops.can_attach(mig, dst));
        if let Err(e) = result {
            for (ops, mig, d) in moves.iter().take(i).rev() {
                if let Some(dst) = dst(ops, *d) {
                    ops.cancel_attach(mig, dst);
                }
            }
            return Err(e);
        }
    }
    Ok(())
}

/// The states made for one controller being added, one per child group (same order).
struct NewStates {
    ops: &'static Ops,
    states: KVec<KBox<RawCss>>,
    /// How many of them are online (the first ones).
    online: usize,
}

impl NewStates {
    /// Takes the online states offline, children first; the states are then dropped with
    /// `self` (children first too: a state's parent outlives it).
    fn undo(mut self) {
        while self.online > 0 {
            self.online -= 1;
            if let Some(css) = self.states.get(self.online) {
                self.ops.offline(css);
            }
        }
        while self.states.pop().is_some() {}
    }
}

impl State {
    /// The files of the controllers in `mask` in `top` and each of `groups`: created (hidden
    /// until `top`'s directory is activated) if `add`, removed otherwise. On a failure to
    /// create, those created are removed again.
    fn files(&self, top: &Cgroup, groups: &[ARef<Cgroup>], mask: u32, add: bool) -> Result {
        let all = || core::iter::once(top).chain(groups.iter().map(|g| &**g));
        for (i, g) in all().enumerate() {
            let dir = self.dir_of(g).ok_or(ENODEV);
            let result = dir.and_then(|dir| {
                let files = super::cftype::Files::new(dir, g);
                subsys::each_in(mask).try_for_each(|ops| {
                    if add {
                        (ops.populate)(&files)
                    } else {
                        (ops.depopulate)(&files);
                        Ok(())
                    }
                })
            });
            if let Err(e) = result {
                if add {
                    // Removing a file that was not made does nothing.
                    let _ = self.files(top, &groups[..i.min(groups.len())], mask, false);
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Binds the controllers in `mask`, which must be in the dummy hierarchy, to the hierarchy
    /// of `top`, which has child groups (see the module documentation). Under the core mutex.
    pub(super) fn bind_populated(&self, core: &Core, top: &Cgroup, mask: u32) -> Result {
        if mask & self.dummy().root().subsys_mask() != mask {
            return Err(EBUSY);
        }
        let groups = groups_of(top)?;
        self.files(top, &groups, mask, true)?;
        // The root states first: the new states copy their parents' configuration as the
        // hierarchy gives it (cpuset's root takes the online CPUs).
        {
            let _locks = attach_lock();
            self.switch_locked(top, mask, true);
        }
        let result = self.make_states(top, &groups, mask).and_then(|mut made| {
            match self.commit_bind(core, top, &groups, &mut made) {
                Ok(()) => Ok(()),
                Err(e) => {
                    for new in made {
                        new.undo();
                    }
                    Err(e)
                }
            }
        });
        if let Err(e) = result {
            {
                let _locks = attach_lock();
                self.switch_locked(top, mask, false);
            }
            let _ = self.files(top, &groups, mask, false);
            return Err(e);
        }
        subsys::post_attach();
        if let Some(dir) = self.dir_of(top) {
            dir.activate();
        }
        Ok(())
    }

    /// Makes and brings online the state of each controller of `mask` in each of `groups`,
    /// parents first.
    fn make_states(
        &self,
        top: &Cgroup,
        groups: &[ARef<Cgroup>],
        mask: u32,
    ) -> Result<KVec<NewStates>> {
        let mut made: KVec<NewStates> = KVec::new();
        for ops in subsys::each_in(mask) {
            let mut new = NewStates {
                ops,
                states: KVec::new(),
                online: 0,
            };
            let result = (|| -> Result {
                new.states.reserve(groups.len(), GFP_KERNEL)?;
                for (i, g) in groups.iter().enumerate() {
                    let parent = g.parent().ok_or(EINVAL)?;
                    let parent_css = if ptr::eq(parent, top) {
                        ops.root_css(self)
                    } else {
                        let pi = groups[..i]
                            .iter()
                            .rposition(|p| ptr::eq(&**p, parent))
                            .ok_or(EINVAL)?;
                        new.states.get(pi).map(|b| &**b).ok_or(EINVAL)?
                    };
                    let css = ops.create_css(parent_css, g)?;
                    new.states.push(css, GFP_KERNEL)?;
                }
                for css in new.states.iter() {
                    ops.online(css)?;
                    new.online += 1;
                }
                Ok(())
            })();
            let pushed = result.and_then(|()| made.reserve(1, GFP_KERNEL).map_err(Into::into));
            if let Err(e) = pushed {
                new.undo();
                while let Some(done) = made.pop() {
                    done.undo();
                }
                return Err(e);
            }
            made.push(new, GFP_KERNEL)?;
        }
        Ok(made)
    }

    /// Steps 2 and 3 of adding: asks, then commits, with the attach locks held; the states
    /// of `made` then belong to their groups. On an error, nothing changed.
    fn commit_bind(
        &self,
        core: &Core,
        top: &Cgroup,
        groups: &[ARef<Cgroup>],
        made: &mut [NewStates],
    ) -> Result {
        let _locks = attach_lock();
        let tasks = tasks_of_groups(core, self, groups)?;
        let mut moves: Moves<'_, (usize, usize)> = KVec::new();
        for (k, new) in made.iter().enumerate() {
            let from = new.ops.root_css(self);
            for (gi, t) in tasks.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
                moves.push((new.ops, migration(t, from)?, (k, gi)), GFP_KERNEL)?;
            }
        }
        ask(&moves, |_, (k, gi)| {
            made.get(k)?.states.get(gi).map(|css| &**css)
        })?;
        // Commit: nothing below can fail.
        for new in made.iter_mut() {
            let states = core::mem::take(&mut new.states);
            new.online = 0;
            for (g, css) in groups.iter().zip(states) {
                g.set_css(self, new.ops.id, KBox::into_raw(css));
            }
        }
        for new in made.iter() {
            cset::repoint(
                core,
                self,
                Some(top.root()),
                new.ops.id,
                new.ops.root_css(self),
            );
        }
        for (ops, mig, (_, gi)) in moves.iter() {
            if let Some(dst) = groups.get(*gi).and_then(|g| g.css(ops.id)) {
                ops.attach(mig, dst);
            }
        }
        Ok(())
    }

    /// Takes the controllers in `mask`, bound to the hierarchy of `top`, which has child
    /// groups, back to the dummy hierarchy (see the module documentation). Under the core
    /// mutex.
    pub(super) fn unbind_populated(&self, core: &Core, top: &Cgroup, mask: u32) -> Result {
        if mask & top.root().subsys_mask() != mask {
            return Err(EINVAL);
        }
        let groups = groups_of(top)?;
        {
            let _locks = attach_lock();
            let tasks = tasks_of_groups(core, self, &groups)?;
            let mut moves: Moves<'_, ()> = KVec::new();
            for ops in subsys::each_in(mask) {
                for (g, t) in groups
                    .iter()
                    .zip(tasks.iter())
                    .filter(|(_, t)| !t.is_empty())
                {
                    let from = g.css(ops.id).ok_or(EINVAL)?;
                    // Tasks of a group that shares the root state stay in it.
                    if ptr::eq(from, ops.root_css(self)) {
                        continue;
                    }
                    moves.push((ops, migration(t, from)?, ()), GFP_KERNEL)?;
                }
            }
            ask(&moves, |ops, ()| Some(ops.root_css(self)))?;
            // Commit: nothing below can fail.
            for ops in subsys::each_in(mask) {
                for g in groups.iter() {
                    if let Some(css) = g.own_css(ops.id) {
                        css.set_online(false);
                    }
                }
            }
            self.switch_locked(top, mask, false);
            for ops in subsys::each_in(mask) {
                cset::repoint(core, self, None, ops.id, ops.root_css(self));
            }
            for (ops, mig, ()) in moves.iter() {
                ops.attach(mig, ops.root_css(self));
            }
        }
        subsys::post_attach();
        // Clean up: children first.
        for ops in subsys::each_in(mask) {
            for g in groups.iter().rev() {
                if let Some(css) = g.own_css(ops.id) {
                    ops.offline(css);
                }
            }
        }
        let _ = self.files(top, &groups, mask, false);
        for ops in subsys::each_in(mask) {
            for g in groups.iter().rev() {
                g.retire_css(self, ops.id);
            }
        }
        Ok(())
    }

    /// Makes the child group `cgrp` share its parent's state of controller `id` (`share`), or
    /// gives it a state of its own again (`<controller>.inherit`; see the module
    /// documentation). Under the core mutex.
    pub(super) fn set_inherit(
        &self,
        core: &Core,
        cgrp: &Cgroup,
        id: SubsysId,
        share: bool,
    ) -> Result {
        if cgrp.is_dead() || !cgrp.root().has_subsys(id) {
            return Err(ENODEV);
        }
        let parent = cgrp.parent().ok_or(EINVAL)?;
        if cgrp.inherits(id) == share {
            return Ok(());
        }
        // The states of the group's children name the group's as their parent; the children of
        // a group that shares its parent's state have none.
        if cgrp.nr_children() != 0 || parent.inherits(id) {
            return Err(EBUSY);
        }
        let ops = subsys::each_in(id.bit()).next().ok_or(ENODEV)?;
        let parent_css = parent.css(id).ok_or(EINVAL)?;
        if share {
            let own = cgrp.css(id).ok_or(EINVAL)?;
            {
                let _locks = attach_lock();
                let tasks = cset::tasks_of(core, self, cgrp)?;
                let mig = migration(&tasks, own)?;
                if !mig.moves.is_empty() {
                    ops.can_attach(&mig, parent_css)?;
                }
                // Commit: nothing below can fail.
                own.set_online(false);
                cgrp.share_css(self, id, parent_css);
                cset::repoint_group(core, self, cgrp, id, parent_css);
                if !mig.moves.is_empty() {
                    ops.attach(&mig, parent_css);
                }
            }
            subsys::post_attach();
            // Retired: freed with the group.
            ops.offline(own);
            return Ok(());
        }
        let new = ops.create_css(parent_css, cgrp)?;
        ops.online(&new)?;
        let asked = {
            let _locks = attach_lock();
            self.commit_own(core, cgrp, ops, parent_css, new)
        };
        if let Err((e, new)) = asked {
            ops.offline(&new);
            return Err(e);
        }
        subsys::post_attach();
        Ok(())
    }

    /// With the attach locks held: asks whether the tasks of `cgrp` may move from the state it
    /// shares, `shared`, to `new`, and commits (`new` is then the group's). On a refusal or a
    /// failed allocation, nothing changed and `new` is given back.
    fn commit_own(
        &self,
        core: &Core,
        cgrp: &Cgroup,
        ops: &'static Ops,
        shared: &RawCss,
        new: KBox<RawCss>,
    ) -> core::result::Result<(), (Error, KBox<RawCss>)> {
        let tasks = match cset::tasks_of(core, self, cgrp) {
            Ok(tasks) => tasks,
            Err(e) => return Err((e, new)),
        };
        let asked = migration(&tasks, shared).and_then(|mig| {
            if !mig.moves.is_empty() {
                ops.can_attach(&mig, &new)?;
            }
            Ok(mig)
        });
        let mig = match asked {
            Ok(mig) => mig,
            Err(e) => return Err((e, new)),
        };
        // Commit: nothing below can fail.
        cgrp.own(self, ops.id, new);
        if let Some(css) = cgrp.css(ops.id) {
            cset::repoint_group(core, self, cgrp, ops.id, css);
            if !mig.moves.is_empty() {
                ops.attach(&mig, css);
            }
        }
        Ok(())
    }
}
