// SPDX-License-Identifier: GPL-2.0

//! The debug controller: makes the internals of the control-group core visible.
//!
//! Its files show, for the group they are in, the number of tasks, whether it could be
//! released, the css_sets that name it and the controller states it has; on the top group,
//! also the css_set of the reading task. Object addresses are printed hashed (`%p`): only
//! counts and ids can be compared. This controller is for debugging the core; its interface
//! is not stable.

use kernel::c_str;
use kernel::cgroup::cset::{self, CssSet, LockedCssSet};
use kernel::cgroup::{subsys, Cftype, Cgroup, Css, SubsysId, Subsystem, CFTYPE_ONLY_ON_ROOT};
use kernel::prelude::*;
use kernel::seq_file::SeqFile;
use kernel::seq_print;

kernel::cgroup_subsys!(Debug, rust_cgroup_register_debug);

/// At most this many tasks are listed per css_set in `cgroup_css_links`.
const MAX_TASKS_SHOWN_PER_CSS: usize = 25;

struct Debug;

#[vtable]
impl Subsystem for Debug {
    type State = ();

    const ID: SubsysId = SubsysId::Debug;

    const FILES: &'static [Cftype<Self>] = &[
        Cftype::new(c_str!("taskcount")).read_u64(taskcount),
        Cftype::new(c_str!("current_css_set"))
            .flags(CFTYPE_ONLY_ON_ROOT)
            .seq_show(current_css_set),
        Cftype::new(c_str!("current_css_set_refcount"))
            .flags(CFTYPE_ONLY_ON_ROOT)
            .read_u64(current_css_set_refcount),
        Cftype::new(c_str!("current_css_set_cg_links"))
            .flags(CFTYPE_ONLY_ON_ROOT)
            .seq_show(current_css_set_cg_links),
        Cftype::new(c_str!("cgroup_css_links")).seq_show(cgroup_css_links),
        Cftype::new(c_str!("cgroup_subsys_states")).seq_show(cgroup_subsys_states),
        Cftype::new(c_str!("cgroup_masks")).seq_show(cgroup_masks),
        Cftype::new(c_str!("releasable")).read_u64(releasable),
    ];

    fn css_alloc(_parent: Option<&Css<Self>>, _cgroup: &Cgroup) -> Result<KBox<()>> {
        Ok(KBox::new((), GFP_KERNEL)?)
    }
}

fn taskcount(css: &Css<Debug>) -> u64 {
    css.cgroup().nr_tasks().into()
}

/// Whether the group has no task and no child group (the flag is not looked at).
fn releasable(css: &Css<Debug>) -> u64 {
    let cgrp = css.cgroup();
    u64::from(!cgrp.has_tasks() && cgrp.nr_children() == 0)
}

fn current_css_set_refcount(_css: &Css<Debug>) -> u64 {
    cset::with_current_cset(|set| set.refcount() as u64).unwrap_or(0)
}

/// `css_set <address> <refcount>`, with ` +<extra>` for references that are not tasks'.
fn show_cset_header(m: &SeqFile, set: &LockedCssSet<'_>) {
    seq_print!(m, "css_set ");
    m.write_hashed_ptr::<CssSet>(set);
    let refs = set.refcount();
    seq_print!(m, " {}", refs);
    let tasks = set.nr_tasks() as usize;
    if refs > tasks {
        seq_print!(m, " +{}", refs - tasks);
    }
    seq_print!(m, "\n");
}

fn current_css_set(_css: &Css<Debug>, m: &SeqFile) -> Result {
    cset::with_current_cset(|set| {
        show_cset_header(m, set);
        for id in subsys::registered() {
            if let Some(css) = set.css(id) {
                seq_print!(m, "{:2}: {:<4}\t- ", id as usize, id.name());
                m.write_hashed_ptr(css);
                seq_print!(m, "[{}]\n", css.id());
            }
        }
    });
    Ok(())
}

fn show_group_link(m: &SeqFile, root_id: i32, name: &[u8]) {
    seq_print!(m, "Root {} group ", root_id);
    m.write_bytes(name);
    seq_print!(m, "\n");
}

fn current_css_set_cg_links(_css: &Css<Debug>, m: &SeqFile) -> Result {
    let mut name = KVec::from_elem(0u8, 256, GFP_KERNEL)?;
    // The dummy hierarchy, to which every task belongs, comes first.
    show_group_link(m, 0, b"/");
    cset::with_current_cset(|set| {
        set.for_each_group(|cgrp: &Cgroup| {
            let shown = cgrp.name_into(&mut name).unwrap_or(b"?");
            show_group_link(m, cgrp.root_id(), shown);
        })
    });
    Ok(())
}

fn cgroup_css_links(css: &Css<Debug>, m: &SeqFile) -> Result {
    let mut extra_refs = 0;
    cset::for_each_cset_of(&css.cgroup(), |set| {
        show_cset_header(m, set);
        extra_refs += set.refcount().saturating_sub(set.nr_tasks() as usize);
        let mut count = 0;
        set.for_each_task(|task| {
            if count <= MAX_TASKS_SHOWN_PER_CSS {
                seq_print!(m, "  task {}\n", task.pid_vnr());
            }
            count += 1;
        });
        if count > MAX_TASKS_SHOWN_PER_CSS {
            seq_print!(m, "  ... ({})\n", count - MAX_TASKS_SHOWN_PER_CSS);
        }
    });
    if extra_refs != 0 {
        seq_print!(m, "\nextra references = {}\n", extra_refs);
    }
    Ok(())
}

fn cgroup_subsys_states(css: &Css<Debug>, m: &SeqFile) -> Result {
    let cgrp = css.cgroup();
    for id in subsys::registered() {
        let Some(css) = cgrp.css(id) else { continue };
        seq_print!(m, "{:2}: {:<4}\t- ", id as usize, id.name());
        m.write_hashed_ptr(css);
        // A state is online itself, and counts each of its online children.
        seq_print!(m, "[{}] {}", css.id(), 1 + cgrp.nr_children());
        if let Some(parent) = css.parent_raw() {
            seq_print!(m, " P={}", parent.id());
        }
        seq_print!(m, "\n");
    }
    Ok(())
}

fn cgroup_masks(css: &Css<Debug>, m: &SeqFile) -> Result {
    // In version 1 every group enables all the controllers of its hierarchy.
    let mask = css.cgroup().root().subsys_mask();
    for label in ["subtree_control", "subtree_ss_mask"] {
        seq_print!(m, "{:<17}: ", label);
        let mut sep = "";
        for id in subsys::registered() {
            if mask & id.bit() != 0 {
                seq_print!(m, "{}{}", sep, id.name());
                sep = ", ";
            }
        }
        seq_print!(m, "\n");
    }
    Ok(())
}
