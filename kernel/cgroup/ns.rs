// SPDX-License-Identifier: GPL-2.0

//! The ns controller: a group for every new set of namespaces.
//!
//! When a task gets new namespaces (`clone()` with a `CLONE_NEW*` flag, or `unshare()`), the
//! core makes a child of the task's group in the hierarchy this controller is bound to, named
//! after the task's pid, and puts the task there
//! ([`Subsystem::CLONE_ON_NEW_NAMESPACES`]): the tree of groups follows the tree of namespace
//! sets, so that other controllers mounted with it (cpuacct, freezer) see each container, and a
//! release agent learns when the last task of one is gone. This is the ns subsystem that
//! Linux had from 2.6.24 to 2.6.37.
//!
//! It has no control files and no state of its own. Its rules keep a *confined* task inside
//! the subtree of its namespaces: making a group by hand needs `CAP_SYS_ADMIN` and must be
//! under the maker's own group, and a task may only be moved into its current group's subtree
//! (the rules of 2.6.24). The host's administrator is not confined: a task with
//! `CAP_SYS_ADMIN` in the initial user namespace, in the initial cgroup namespace, makes groups
//! and moves tasks anywhere, as container managers and systemd need (the conflict that made
//! 2.6.38 drop this controller: a container's first task is in its automatic group from
//! `clone()` on, and the manager then moves it to a group of its own choosing). A task in a
//! container (with its own user or cgroup namespace) is confined. The groups the kernel makes
//! for new namespaces are not subject to the rules.

use kernel::cgroup::{current_in_initial_ns, Cftype, Cgroup, Css, SubsysId, Subsystem, TaskSet};
use kernel::cred::{capable, CAP_SYS_ADMIN};
use kernel::prelude::*;
use kernel::sync::rcu;

kernel::cgroup_subsys!(Ns, rust_cgroup_register_ns);

struct Ns;

#[vtable]
impl Subsystem for Ns {
    type State = ();

    const ID: SubsysId = SubsysId::Ns;

    const FILES: &'static [Cftype<Self>] = &[];

    const CLONE_ON_NEW_NAMESPACES: bool = true;

    fn css_alloc(_parent: Option<&Css<Self>>, _cgroup: &Cgroup) -> Result<KBox<()>> {
        Ok(KBox::new((), GFP_KERNEL)?)
    }

    /// The host's administrator makes groups anywhere; a confined administrator only under its
    /// own group; nobody else.
    fn can_mkdir(parent: &Css<Self>) -> Result {
        if !capable(CAP_SYS_ADMIN) {
            return Err(EPERM);
        }
        if current_in_initial_ns() {
            return Ok(());
        }
        let rcu = rcu::read_lock();
        let mine = Css::<Ns>::of_task(kernel::current!(), &rcu).ok_or(EPERM)?;
        if !parent
            .cgroup_rcu(&rcu)
            .is_descendant_of(mine.cgroup_rcu(&rcu))
        {
            return Err(EPERM);
        }
        Ok(())
    }

    /// The host's administrator moves tasks anywhere. Anybody else moves a task only down from
    /// its current group: never to a sibling's or an ancestor's.
    fn can_attach(tasks: &TaskSet<'_, Self>) -> Result {
        if host_admin() {
            return Ok(());
        }
        let dst = tasks.dst().cgroup();
        for (_task, from) in tasks.iter() {
            if !dst.is_descendant_of(&from.cgroup()) {
                return Err(EPERM);
            }
        }
        Ok(())
    }
}

/// Whether the current task administers the host: `CAP_SYS_ADMIN` in the initial user
/// namespace, from the initial cgroup namespace. Asked for the writer of `tasks` or
/// `cgroup.procs` (and for the kernel's own moves, made by kernel threads).
fn host_admin() -> bool {
    current_in_initial_ns() && capable(CAP_SYS_ADMIN)
}
