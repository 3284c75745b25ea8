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
//! It has no control files and no state of its own. Its rules keep a task inside the subtree
//! of its namespaces: making a group by hand needs `CAP_SYS_ADMIN` and must be under the
//! maker's own group, and a task may only be moved into its current group's subtree. The
//! groups the kernel makes for new namespaces are not subject to them.

use kernel::cgroup::{Cftype, Cgroup, Css, SubsysId, Subsystem, TaskSet};
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

    /// Only an administrator makes groups, and only under its own group.
    fn can_mkdir(parent: &Css<Self>) -> Result {
        if !capable(CAP_SYS_ADMIN) {
            return Err(EPERM);
        }
        let rcu = rcu::read_lock();
        let mine = Css::<Ns>::of_task(kernel::current!(), &rcu).ok_or(EPERM)?;
        if !parent.cgroup().is_descendant_of(mine.cgroup()) {
            return Err(EPERM);
        }
        Ok(())
    }

    /// A task moves only down from its current group: never to a sibling's or an ancestor's.
    fn can_attach(tasks: &TaskSet<'_, Self>) -> Result {
        let dst = tasks.dst().cgroup();
        for (_task, from) in tasks.iter() {
            if !dst.is_descendant_of(from.cgroup()) {
                return Err(EPERM);
            }
        }
        Ok(())
    }
}
