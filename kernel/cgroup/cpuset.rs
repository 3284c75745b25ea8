// SPDX-License-Identifier: GPL-2.0

//! The cpuset controller: the CPUs and memory nodes the tasks of each group may use.
//!
//! Each cpuset has the CPUs and nodes users configured (`cpus`, `mems`) and the ones its tasks
//! get (`effective_cpus`, `effective_mems`: the same in v1, inherited from the parent where
//! empty in `cpuset_v2_mode`). A task's CPU affinity and its `mems_allowed` follow its cpuset:
//! when it joins one and when the cpuset's masks change. The scheduler and the page allocator
//! ask the controller through [`CpusetApi`] only where a task's own masks do not answer; the
//! allocator's check of a task's own nodes reads only `current->mems_allowed` (in the core's
//! hooks), behind a static key that stays off while no cpuset exists besides top groups.
//!
//! # Locking
//!
//! In the order they are taken:
//!
//! 1. The CPU-hotplug lock, for reading: held by the core around moves, taken here by file
//!    writes and by `css_online`/`css_offline`; held for writing when CPU hotplug calls
//!    [`CpusetApi::cpus_changed`].
//! 2. The cpuset mutex ([`api::cpuset_lock`], C's `cpuset_mutex`): held to change any
//!    cpuset's masks or flags, for validation, while updating tasks, while rebuilding the
//!    scheduler domains, and across attach. Whoever holds it sees a stable tree of online
//!    cpusets (`css_online`/`css_offline` take it) and stable masks.
//! 3. Each cpuset's `masks`, an IRQ-safe spinlock (C's global `callback_lock`): held for every
//!    store into the masks, and by readers that do not hold the mutex: the scheduler's and the
//!    page allocator's questions, which come with scheduler locks held or interrupts off, and so
//!    cannot take a sleeping lock. Only one is held at a time (parents' masks are copied out
//!    first), nothing allocates under it, and nothing under it calls into the allocator.
//!
//! Flags and the relax level are atomics, written with the mutex held and read anywhere.
//! Page migration (`memory_migrate`) is queued while the locks are held and done after they
//! are released: in `post_attach`, or at the end of a `mems` write.

use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicUsize, Ordering};
use kernel::c_str;
use kernel::cgroup::cftype::strstrip;
use kernel::cgroup::cset::TaskCursor;
use kernel::cgroup::group::{CGRP_CLONE_CHILDREN, ROOT_CPUSET_V2_MODE, ROOT_INHERIT};
use kernel::cgroup::CFTYPE_ONLY_ON_ROOT;
use kernel::cgroup::{migrate, Cftype, Cgroup, Css, SubsysId, Subsystem, TaskSet, Unlocked};
use kernel::cpu::{self, HotplugHeld};
use kernel::cpumask::{Cpumask, CpumaskOut, CpumaskVar};
use kernel::cpuset::{self as api, CpusetApi};
use kernel::mm::Mm;
use kernel::nodemask::{NodeState, Nodemask};
use kernel::prelude::*;
use kernel::sched_domain::{self, Partition};
use kernel::seq_file::SeqFile;
use kernel::seq_print;
use kernel::stack_pin_init;
use kernel::sync::rcu;
use kernel::sync::{
    new_condvar, new_mutex, new_spinlock, new_spinlock_irq, CondVar, Mutex, OnceBox, SpinLock,
    SpinLockIrq,
};
use kernel::task::Task;
use kernel::types::ARef;

kernel::cgroup_subsys!(
    Cpuset,
    rust_cgroup_register_cpuset,
    kernel::cpuset::cpuset_api
);

/// The prefix of this crate's kernel log lines.
const __LOG_PREFIX: &[u8] = b"cpuset\0";

// Flags (C's `CS_*`).
const CPU_EXCLUSIVE: u32 = 1 << 0;
const MEM_EXCLUSIVE: u32 = 1 << 1;
const MEM_HARDWALL: u32 = 1 << 2;
const MEMORY_MIGRATE: u32 = 1 << 3;
const SCHED_LOAD_BALANCE: u32 = 1 << 4;
const SPREAD_PAGE: u32 = 1 << 5;
const SPREAD_SLAB: u32 = 1 << 6;

/// The longest writes to `cpus` and `mems`, as C computes them (100 + 6 per CPU or node).
const CPUS_MAX_WRITE: usize = 100 + 6 * kernel::cpumask::NR_CPUS as usize;
const MEMS_MAX_WRITE: usize = 100 + 6 * kernel::nodemask::MAX_NUMNODES as usize;

/// A cpuset's masks, under its spinlock.
struct Masks {
    cpus: CpumaskVar,
    mems: Nodemask,
    effective_cpus: CpumaskVar,
    effective_mems: Nodemask,
    /// The nodes the tasks were last given: where `memory_migrate` moves pages from.
    old_mems: Nodemask,
}

/// The filtered rate of direct reclaim of a cpuset's tasks (`memory_pressure`): events
/// weigh 1000 each and decay by 0.933 a second.
#[derive(Default)]
struct Fmeter {
    cnt: i32,
    val: i32,
    time: i64,
}

const FM_COEF: i32 = 933;
const FM_MAXTICKS: u32 = 99;
const FM_MAXCNT: i32 = 1_000_000;
const FM_SCALE: i32 = 1000;

impl Fmeter {
    fn update(&mut self) {
        let now = kernel::time::Ktime::ktime_get().to_ns() / 1_000_000_000;
        // As C: the difference in seconds, as a 32-bit count.
        let ticks = now.wrapping_sub(self.time) as u32;
        if ticks == 0 {
            return;
        }
        for _ in 0..ticks.min(FM_MAXTICKS) {
            self.val = (FM_COEF * self.val) / FM_SCALE;
        }
        self.time = now;
        self.val += ((FM_SCALE - FM_COEF) * self.cnt) / FM_SCALE;
        self.cnt = 0;
    }

    fn mark_event(&mut self) {
        self.update();
        self.cnt = (self.cnt + FM_SCALE).min(FM_MAXCNT);
    }

    fn rate(&mut self) -> i32 {
        self.update();
        self.val
    }
}

/// A cpuset: the controller's state in one group.
struct State {
    masks: Pin<KBox<SpinLockIrq<Masks>>>,
    flags: AtomicU32,
    relax_domain_level: AtomicI32,
    /// Moves into the cpuset accepted but not finished: they count as tasks for the rule that
    /// a cpuset with tasks cannot lose all its CPUs or nodes.
    attach_in_progress: AtomicU32,
    /// Its deadline tasks, whose bandwidth is accounted again when domains are rebuilt.
    nr_deadline_tasks: AtomicI32,
    /// Its online children with `cpu_exclusive` or `mem_exclusive` set, changed with the
    /// cpuset mutex held: `clone_children` copies nothing into a new child while one exists,
    /// and knowing it costs no walk of the children.
    exclusive_children: AtomicU32,
    fmeter: Pin<KBox<SpinLock<Fmeter>>>,
}

/// A page migration queued while locks are held, done once they are released.
struct PendingMigration {
    mm: ARef<Mm>,
    from: Nodemask,
    to: Nodemask,
}

/// The controller's global state.
#[pin_data]
struct Global {
    /// The cpuset whose tasks are being given new nodes (its address), or 0.
    being_rebound: AtomicUsize,
    /// The scheduler domains must be rebuilt even if nothing seems to have changed.
    force_rebuild: AtomicBool,
    /// The online cpusets whose `sched_relax_domain_level` is not the default (-1), changed
    /// with the cpuset mutex held: while there is none, a domain's relax level is the default
    /// without a walk of the cpusets under it.
    relaxed: AtomicU32,
    #[pin]
    migrations: Mutex<Migrations>,
    /// Signalled when a work item has done the queued migrations.
    #[pin]
    migrated: CondVar,
}

/// The page migrations queued, and the work items doing them.
struct Migrations {
    queue: KVec<PendingMigration>,
    workers: u32,
}

static GLOBAL: OnceBox<Global> = OnceBox::new();

struct Cpuset;

#[vtable]
impl Subsystem for Cpuset {
    type State = State;

    const ID: SubsysId = SubsysId::Cpuset;

    const FILES: &'static [Cftype<Self>] = &[
        Cftype::new(c_str!("cpus"))
            .seq_show(show_cpus)
            .write(write_cpus)
            .max_write_len(CPUS_MAX_WRITE),
        Cftype::new(c_str!("mems"))
            .seq_show(show_mems)
            .write(write_mems)
            .max_write_len(MEMS_MAX_WRITE),
        Cftype::new(c_str!("effective_cpus")).seq_show(show_effective_cpus),
        Cftype::new(c_str!("effective_mems")).seq_show(show_effective_mems),
        Cftype::new(c_str!("cpu_exclusive"))
            .read_u64(|css| flag(css, CPU_EXCLUSIVE))
            .write_u64(|css, v| update_flag(css, CPU_EXCLUSIVE, v)),
        Cftype::new(c_str!("mem_exclusive"))
            .read_u64(|css| flag(css, MEM_EXCLUSIVE))
            .write_u64(|css, v| update_flag(css, MEM_EXCLUSIVE, v)),
        Cftype::new(c_str!("mem_hardwall"))
            .read_u64(|css| flag(css, MEM_HARDWALL))
            .write_u64(|css, v| update_flag(css, MEM_HARDWALL, v)),
        Cftype::new(c_str!("sched_load_balance"))
            .read_u64(|css| flag(css, SCHED_LOAD_BALANCE))
            .write_u64(|css, v| update_flag(css, SCHED_LOAD_BALANCE, v)),
        Cftype::new(c_str!("sched_relax_domain_level"))
            .read_s64(read_relax_domain_level)
            .write_s64(write_relax_domain_level),
        Cftype::new(c_str!("memory_migrate"))
            .read_u64(|css| flag(css, MEMORY_MIGRATE))
            .write_u64(|css, v| update_flag(css, MEMORY_MIGRATE, v)),
        Cftype::new(c_str!("memory_pressure")).read_u64(read_memory_pressure),
        Cftype::new(c_str!("memory_spread_page"))
            .read_u64(|css| flag(css, SPREAD_PAGE))
            .write_u64(|css, v| update_flag(css, SPREAD_PAGE, v)),
        Cftype::new(c_str!("memory_spread_slab"))
            .read_u64(|css| flag(css, SPREAD_SLAB))
            .write_u64(|css, v| update_flag(css, SPREAD_SLAB, v)),
        Cftype::new(c_str!("memory_pressure_enabled"))
            .flags(CFTYPE_ONLY_ON_ROOT)
            .read_u64(|_| api::memory_pressure_enabled().into())
            .write_u64(|_, v| {
                api::set_memory_pressure_enabled(v != 0);
                Ok(())
            }),
    ];

    fn css_alloc(parent: Option<&Css<Self>>, _cgroup: &Cgroup) -> Result<KBox<State>> {
        let mut masks = Masks {
            cpus: CpumaskVar::new_zero(GFP_KERNEL)?,
            mems: Nodemask::new(),
            effective_cpus: CpumaskVar::new_zero(GFP_KERNEL)?,
            effective_mems: Nodemask::new(),
            old_mems: Nodemask::new(),
        };
        let flags = match parent {
            Some(_) => SCHED_LOAD_BALANCE,
            None => {
                // The root state, once, at registration: every possible CPU and node until
                // the hierarchy it is bound to says otherwise (`bind`, `init_smp`).
                GLOBAL.init(pin_init!(Global {
                    being_rebound: AtomicUsize::new(0),
                    force_rebuild: AtomicBool::new(false),
                    relaxed: AtomicU32::new(0),
                    migrations <- new_mutex!(
                        Migrations {
                            queue: KVec::new(),
                            workers: 0,
                        },
                        "cpuset_migrations"
                    ),
                    migrated <- new_condvar!("cpuset_migrated"),
                }))?;
                Cpumask::possible().copy(&mut masks.cpus);
                Cpumask::possible().copy(&mut masks.effective_cpus);
                masks.mems = Nodemask::state(NodeState::Possible);
                masks.effective_mems = Nodemask::full();
                CPU_EXCLUSIVE | MEM_EXCLUSIVE | SCHED_LOAD_BALANCE
            }
        };
        Ok(KBox::new(
            State {
                masks: KBox::pin_init(new_spinlock_irq!(masks, "cpuset_masks"), GFP_KERNEL)?,
                flags: AtomicU32::new(flags),
                relax_domain_level: AtomicI32::new(-1),
                attach_in_progress: AtomicU32::new(0),
                nr_deadline_tasks: AtomicI32::new(0),
                exclusive_children: AtomicU32::new(0),
                fmeter: KBox::pin_init(
                    new_spinlock!(Fmeter::default(), "cpuset_fmeter"),
                    GFP_KERNEL,
                )?,
            },
            GFP_KERNEL,
        )?)
    }

    fn css_online(css: &Css<Self>) -> Result {
        let Some(parent) = css.parent() else {
            return Ok(());
        };
        let hotplug = cpu::hotplug_read_lock();
        let _mutex = api::cpuset_lock().ok_or(ENODEV)?;
        let st = css.state();
        let pflags = flags_of(parent);
        st.flags
            .fetch_or(pflags & (SPREAD_PAGE | SPREAD_SLAB), Ordering::Relaxed);
        api::cpusets_inc(&hotplug);
        let mut pcpus = CpumaskVar::new_zero(GFP_KERNEL)?;
        let mut pmems;
        if v2_mode(css) {
            {
                let pm = parent.state().masks.lock();
                pm.effective_cpus.copy(&mut pcpus);
                pmems = pm.effective_mems;
            }
            let mut m = st.masks.lock();
            pcpus.copy(&mut m.effective_cpus);
            m.effective_mems = pmems;
        }
        if !css.cgroup().test_flag(CGRP_CLONE_CHILDREN) {
            return Ok(());
        }
        // Copy the parent's configuration, unless a sibling is exclusive.
        if parent.state().exclusive_children.load(Ordering::Relaxed) != 0 {
            return Ok(());
        }
        {
            let pm = parent.state().masks.lock();
            pm.cpus.copy(&mut pcpus);
            pmems = pm.mems;
        }
        let mut m = st.masks.lock();
        pcpus.copy(&mut m.cpus);
        pcpus.copy(&mut m.effective_cpus);
        m.mems = pmems;
        m.effective_mems = pmems;
        Ok(())
    }

    fn css_offline(css: &Css<Self>) {
        let hotplug = cpu::hotplug_read_lock();
        let Some(_mutex) = api::cpuset_lock() else {
            return;
        };
        // The group is no longer online, so the rebuild below leaves it out.
        let old = css
            .state()
            .flags
            .fetch_and(!SCHED_LOAD_BALANCE, Ordering::Relaxed);
        if old & (CPU_EXCLUSIVE | MEM_EXCLUSIVE) != 0 {
            if let Some(parent) = css.parent() {
                parent
                    .state()
                    .exclusive_children
                    .fetch_sub(1, Ordering::Relaxed);
            }
        }
        if css.state().relax_domain_level.load(Ordering::Relaxed) >= 0 {
            if let Some(g) = GLOBAL.get() {
                g.relaxed.fetch_sub(1, Ordering::Relaxed);
            }
        }
        if old & SCHED_LOAD_BALANCE != 0
            && !css.state().masks.lock().cpus.is_empty()
            && !removal_keeps_domains(css)
        {
            rebuild_locked(&hotplug);
        }
        api::cpusets_dec(&hotplug);
    }

    fn bind(root: &Css<Self>) {
        let Some(_mutex) = api::cpuset_lock() else {
            return;
        };
        let v1 = !root.cgroup().root().is_dummy() && !v2_mode(root);
        let mut m = root.state().masks.lock();
        if v1 {
            let Masks {
                cpus,
                effective_cpus,
                ..
            } = &mut *m;
            effective_cpus.copy(cpus);
            m.mems = m.effective_mems;
        } else {
            Cpumask::possible().copy(&mut m.cpus);
            m.mems = Nodemask::state(NodeState::Possible);
        }
    }

    fn can_attach(tasks: &TaskSet<'_, Self>) -> Result {
        let cs = tasks.dst();
        let _mutex = api::cpuset_lock().ok_or(ENODEV)?;
        {
            let m = cs.state().masks.lock();
            if m.effective_cpus.is_empty() || (!v2_mode(cs) && m.mems.is_empty()) {
                return Err(ENOSPC);
            }
        }
        if tasks.iter().any(|(t, _)| t.no_setaffinity()) {
            return Err(EINVAL);
        }
        cs.state()
            .attach_in_progress
            .fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn cancel_attach(tasks: &TaskSet<'_, Self>) {
        let _mutex = api::cpuset_lock();
        tasks
            .dst()
            .state()
            .attach_in_progress
            .fetch_sub(1, Ordering::Relaxed);
    }

    fn attach(tasks: &TaskSet<'_, Self>) {
        let cs = tasks.dst();
        let Some(_mutex) = api::cpuset_lock() else {
            return;
        };
        let st = cs.state();
        let Some((_, oldcs)) = tasks.iter().next() else {
            st.attach_in_progress.fetch_sub(1, Ordering::Relaxed);
            return;
        };
        let (old_effective, old_old_mems) = {
            let m = oldcs.state().masks.lock();
            (m.effective_mems, m.old_mems)
        };
        let effective_mems = st.masks.lock().effective_mems;
        let mems_updated = effective_mems != old_effective;
        let nodes_to = online_mems(cs);
        if let Ok(mut cpus) = CpumaskVar::new_zero(GFP_KERNEL) {
            if cs.parent().is_none() {
                Cpumask::possible().copy(&mut cpus);
            } else {
                with_online_cpus(cs, |eff| cpus.and(eff, Cpumask::online()));
            }
            let fl = flags_of(cs);
            for (task, from) in tasks.iter() {
                if task.is_deadline() {
                    from.state()
                        .nr_deadline_tasks
                        .fetch_sub(1, Ordering::Relaxed);
                    st.nr_deadline_tasks.fetch_add(1, Ordering::Relaxed);
                }
                // As C, which warns: the CPUs are online and allowed by the destination.
                let _ = task.set_cpus_allowed(&cpus);
                // Effective nodes always have memory: a refusal leaves the task's as they are.
                let _ = task.set_mems_allowed(&nodes_to);
                task.set_spread_page(fl & SPREAD_PAGE != 0);
                task.set_spread_slab(fl & SPREAD_SLAB != 0);
            }
        }
        let migrate = flags_of(cs) & MEMORY_MIGRATE != 0;
        if migrate || mems_updated {
            for (task, _) in tasks.iter() {
                if !core::ptr::eq(task, task.group_leader()) {
                    continue;
                }
                let Some(mm) = task.mm() else {
                    continue;
                };
                let _ = mm.rebind_mempolicy(&effective_mems);
                if migrate {
                    queue_migration(mm, old_old_mems, effective_mems);
                }
            }
        }
        st.masks.lock().old_mems = effective_mems;
        st.attach_in_progress.fetch_sub(1, Ordering::Relaxed);
    }

    fn post_attach() {
        run_migrations();
    }

    fn exit(css: &Css<Self>, task: &Task) {
        if task.is_deadline() {
            css.state()
                .nr_deadline_tasks
                .fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn fork(css: &Css<Self>, task: &Task) {
        if css.parent().is_none() {
            return;
        }
        // The child got its parent's masks when it was copied; take them again in case the
        // cpuset changed them meanwhile.
        let me = kernel::current!();
        if let Ok(mut cpus) = CpumaskVar::new_zero(GFP_KERNEL) {
            me.copy_cpus_allowed(&mut cpus);
            let _ = task.set_cpus_allowed(&cpus);
        }
        let _ = task.set_mems_allowed(&me.mems_allowed());
    }
}

impl CpusetApi for Cpuset {
    fn online_cpus(css: &Css<Self>, mask: &mut CpumaskOut<'_>) {
        with_online_cpus(css, |cpus| mask.and_from(cpus, Cpumask::online()));
    }

    fn online_mems(css: &Css<Self>) -> Nodemask {
        online_mems(css)
    }

    fn hardwall_mems(css: &Css<Self>) -> Nodemask {
        let mut cs = css;
        while flags_of(cs) & (MEM_EXCLUSIVE | MEM_HARDWALL) == 0 {
            match cs.parent() {
                Some(p) => cs = p,
                None => break,
            }
        }
        cs.state().masks.lock().mems
    }

    fn is_being_rebound(css: &Css<Self>) -> bool {
        GLOBAL.get().is_some_and(|g| {
            g.being_rebound.load(Ordering::Relaxed) == core::ptr::from_ref(css) as usize
        })
    }

    fn deadline_task(css: &Css<Self>, joined: bool) {
        let delta = if joined { 1 } else { -1 };
        css.state()
            .nr_deadline_tasks
            .fetch_add(delta, Ordering::Relaxed);
    }

    fn memory_pressure_bump(css: &Css<Self>) {
        css.state().fmeter.lock().mark_event();
    }

    fn init_smp() {
        let Some(_mutex) = api::cpuset_lock() else {
            return;
        };
        let guard = rcu::read_lock();
        let Some(top) = Css::<Self>::root(&guard) else {
            return;
        };
        let mut m = top.state().masks.lock();
        m.old_mems = m.mems;
        Cpumask::active().copy(&mut m.effective_cpus);
        m.effective_mems = Nodemask::state(NodeState::Memory);
    }

    fn cpus_changed(hotplug: &HotplugHeld) {
        handle_hotplug(hotplug);
    }

    fn rebuild_sched_domains() {
        let hotplug = cpu::hotplug_read_lock();
        let Some(_mutex) = api::cpuset_lock() else {
            return;
        };
        rebuild_locked(&hotplug);
    }

    fn force_rebuild() {
        if let Some(g) = GLOBAL.get() {
            g.force_rebuild.store(true, Ordering::Relaxed);
        }
    }
}

// --- Helpers. ---

fn flags_of(css: &Css<Cpuset>) -> u32 {
    css.state().flags.load(Ordering::Relaxed)
}

fn flag(css: &Css<Cpuset>, bit: u32) -> u64 {
    u64::from(flags_of(css) & bit != 0)
}

/// Whether the hierarchy of `css` was mounted with `cpuset_v2_mode`.
fn v2_mode(css: &Css<Cpuset>) -> bool {
    let guard = rcu::read_lock();
    let v2 = css.cgroup_rcu(&guard).root().has_flag(ROOT_CPUSET_V2_MODE);
    v2
}

/// The top cpuset of the hierarchy of `css`.
fn top_of(css: &Css<Cpuset>) -> &Css<Cpuset> {
    let mut cs = css;
    while let Some(p) = cs.parent() {
        cs = p;
    }
    cs
}

/// C's `guarantee_online_cpus()`: the online CPUs of the nearest cpuset, from `css` up, that
/// has one, into `mask`.
///
/// Calls `f` with the CPUs of that cpuset (to be intersected with the online ones), under its
/// lock.
fn with_online_cpus<R>(css: &Css<Cpuset>, f: impl FnOnce(&Cpumask) -> R) -> Option<R> {
    let online = Cpumask::online();
    let mut cs = Some(css);
    while let Some(c) = cs {
        let m = c.state().masks.lock();
        if m.effective_cpus.intersects(online) || c.parent().is_none() {
            return Some(f(&m.effective_cpus));
        }
        drop(m);
        cs = c.parent();
    }
    None
}

/// C's `guarantee_online_mems()`: the nodes with memory of the nearest cpuset, from `css` up,
/// that has one.
fn online_mems(css: &Css<Cpuset>) -> Nodemask {
    let memory = Nodemask::state(NodeState::Memory);
    let mut cs = Some(css);
    while let Some(c) = cs {
        let mems = c.state().masks.lock().effective_mems.and(&memory);
        if !mems.is_empty() || c.parent().is_none() {
            return mems;
        }
        cs = c.parent();
    }
    memory
}

/// Calls `f` with each task of `cgrp` (not of its descendants); `f` may sleep.
///
/// The cursor lives on the stack: the walk allocates nothing and cannot fail, so a mask change
/// that is made always reaches every task (as C's `css_task_iter` does).
fn for_each_task(cgrp: &Cgroup, f: impl FnMut(&Task)) {
    stack_pin_init!(let cursor = TaskCursor::new(cgrp));
    each_of(cursor, f);
}

/// Calls `f` with each task confined by `css`: those of its group and of the groups that
/// share it (`cpuset.inherit`); `f` may sleep. Allocates nothing, as [`for_each_task`].
fn for_each_task_of(css: &Css<Cpuset>, f: impl FnMut(&Task)) {
    stack_pin_init!(let cursor = TaskCursor::of_css(css.raw()));
    each_of(cursor, f);
}

fn each_of(mut cursor: Pin<&mut TaskCursor<'_>>, mut f: impl FnMut(&Task)) {
    while let Some(task) = cursor.as_mut().next_task() {
        f(&task);
    }
}

/// Gives every task of `css` the cpuset's CPUs (C's `cpuset_update_tasks_cpumask()`).
fn update_tasks_cpumask(css: &Css<Cpuset>) {
    let Ok(mut mask) = CpumaskVar::new_zero(GFP_KERNEL) else {
        return;
    };
    let top = css.parent().is_none();
    if top {
        Cpumask::possible().copy(&mut mask);
    } else {
        css.state().masks.lock().effective_cpus.copy(&mut mask);
        mask.and_with(Cpumask::possible());
    }
    for_each_task_of(css, |task| {
        if top && task.no_setaffinity() {
            return;
        }
        let _ = task.set_cpus_allowed(&mask);
    });
}

/// Gives every task of `css` the cpuset's nodes, rebinds their memory policies and, with
/// `memory_migrate`, queues the move of their pages (C's `cpuset_update_tasks_nodemask()`).
fn update_tasks_nodemask(css: &Css<Cpuset>) {
    let Some(global) = GLOBAL.get() else {
        return;
    };
    global
        .being_rebound
        .store(core::ptr::from_ref(css) as usize, Ordering::Relaxed);
    let newmems = online_mems(css);
    let (effective, old) = {
        let m = css.state().masks.lock();
        (m.effective_mems, m.old_mems)
    };
    let migrate = flags_of(css) & MEMORY_MIGRATE != 0;
    for_each_task_of(css, |task| {
        let _ = task.set_mems_allowed(&newmems);
        let Some(mm) = task.mm() else {
            return;
        };
        let _ = mm.rebind_mempolicy(&effective);
        if migrate {
            queue_migration(mm, old, newmems);
        }
    });
    css.state().masks.lock().old_mems = newmems;
    global.being_rebound.store(0, Ordering::Relaxed);
}

/// Sets every task's memory-spreading flags from its cpuset's.
fn update_tasks_spread_flags(css: &Css<Cpuset>) {
    let fl = flags_of(css);
    for_each_task_of(css, |task| {
        task.set_spread_page(fl & SPREAD_PAGE != 0);
        task.set_spread_slab(fl & SPREAD_SLAB != 0);
    });
}

/// Queues the move of `mm`'s pages from `from` to `to`; skipped (as in C) if the nodes are the
/// same or memory is short.
fn queue_migration(mm: ARef<Mm>, from: Nodemask, to: Nodemask) {
    let Some(global) = GLOBAL.get() else {
        return;
    };
    if from == to {
        return;
    }
    let _ = global
        .migrations
        .lock()
        .queue
        .push(PendingMigration { mm, from, to }, GFP_KERNEL);
}

/// Does the queued page migrations and waits for them. Called without the hotplug lock or the
/// cpuset mutex; may sleep.
///
/// They are done by a work item of the unbound system workqueue, as C does them on its
/// `cpuset_migrate_mm_wq`: a kworker may allocate on every node, where the writer's own cpuset
/// may not allow the target nodes (the pages' allocation would then fail).
fn run_migrations() {
    let Some(global) = GLOBAL.get() else {
        return;
    };
    {
        let mut m = global.migrations.lock();
        if m.queue.is_empty() {
            return;
        }
        m.workers += 1;
    }
    if kernel::workqueue::system_unbound()
        .try_spawn(GFP_KERNEL, migrate_queued)
        .is_err()
    {
        // No memory for the work item: done here, as well as this context can.
        migrate_queued();
    }
    // A worker leaves only once the queue is empty, and every item it took is done: once none
    // is left, so are the migrations queued before this call.
    let mut m = global.migrations.lock();
    while m.workers != 0 {
        global.migrated.wait(&mut m);
    }
}

/// Does the queued page migrations (one worker of [`run_migrations`]).
fn migrate_queued() {
    let Some(global) = GLOBAL.get() else {
        return;
    };
    loop {
        let next = global.migrations.lock().queue.pop();
        let Some(m) = next else {
            break;
        };
        let _ = m.mm.migrate_pages(&m.from, &m.to);
    }
    global.migrations.lock().workers -= 1;
    global.migrated.notify_all();
}

// --- Validation (C's `validate_change()`). ---

/// A cpuset's configuration as it would be after a change.
struct Trial {
    cpus: CpumaskVar,
    mems: Nodemask,
    flags: u32,
}

impl Trial {
    fn of(css: &Css<Cpuset>) -> Result<Trial> {
        let mut cpus = CpumaskVar::new_zero(GFP_KERNEL)?;
        let mems = {
            let m = css.state().masks.lock();
            m.cpus.copy(&mut cpus);
            m.mems
        };
        Ok(Trial {
            cpus,
            mems,
            flags: flags_of(css),
        })
    }
}

/// Whether the configuration of `c` fits in `trial`, or `trial` in `c` (`reverse`): masks are
/// subsets, and exclusive flags no stronger (C's `is_cpuset_subset()`).
fn is_subset(c: &Css<Cpuset>, trial: &Trial, reverse: bool) -> bool {
    let cflags = flags_of(c);
    let m = c.state().masks.lock();
    let (masks_ok, (inner, outer)) = if reverse {
        (
            trial.cpus.is_subset(&m.cpus) && trial.mems.is_subset(&m.mems),
            (trial.flags, cflags),
        )
    } else {
        (
            m.cpus.is_subset(&trial.cpus) && m.mems.is_subset(&trial.mems),
            (cflags, trial.flags),
        )
    };
    let excl_ok = |bit: u32| inner & bit == 0 || outer & bit != 0;
    masks_ok && excl_ok(CPU_EXCLUSIVE) && excl_ok(MEM_EXCLUSIVE)
}

/// Whether the group of `css` or a descendant has tasks.
fn is_populated(css: &Css<Cpuset>, guard: &rcu::Guard) -> bool {
    // Every group of the subtree: those that share a state too.
    css.cgroup_rcu(guard)
        .descendants_pre(guard)
        .any(|g| g.has_tasks())
}

fn validate_change(cur: &Css<Cpuset>, trial: &Trial) -> Result {
    let guard = rcu::read_lock();
    if !v2_mode(cur) {
        if cur
            .children(&guard)
            .filter(|c| c.is_online())
            .any(|c| !is_subset(c, trial, false))
        {
            return Err(EBUSY);
        }
        if let Some(par) = cur.parent() {
            if !is_subset(par, trial, true) {
                return Err(EACCES);
            }
        }
    }
    let Some(par) = cur.parent() else {
        return Ok(());
    };
    let st = cur.state();
    if is_populated(cur, &guard) || st.attach_in_progress.load(Ordering::Relaxed) != 0 {
        let m = st.masks.lock();
        if (!m.cpus.is_empty() && trial.cpus.is_empty())
            || (!m.mems.is_empty() && trial.mems.is_empty())
        {
            return Err(ENOSPC);
        }
    }
    for c in par.children(&guard) {
        if core::ptr::eq(c, cur) || !c.is_online() {
            continue;
        }
        let cflags = flags_of(c);
        let m = c.state().masks.lock();
        if (trial.flags | cflags) & CPU_EXCLUSIVE != 0 && trial.cpus.intersects(&m.cpus) {
            return Err(EINVAL);
        }
        if (trial.flags | cflags) & MEM_EXCLUSIVE != 0 && trial.mems.intersects(&m.mems) {
            return Err(EINVAL);
        }
    }
    Ok(())
}

// --- Files. ---

fn show_cpus(css: &Css<Cpuset>, m: &SeqFile) -> Result {
    seq_print!(m, "{}\n", css.state().masks.lock().cpus.list());
    Ok(())
}

fn show_mems(css: &Css<Cpuset>, m: &SeqFile) -> Result {
    seq_print!(m, "{}\n", css.state().masks.lock().mems.list());
    Ok(())
}

fn show_effective_cpus(css: &Css<Cpuset>, m: &SeqFile) -> Result {
    seq_print!(m, "{}\n", css.state().masks.lock().effective_cpus.list());
    Ok(())
}

fn show_effective_mems(css: &Css<Cpuset>, m: &SeqFile) -> Result {
    seq_print!(m, "{}\n", css.state().masks.lock().effective_mems.list());
    Ok(())
}

fn read_memory_pressure(css: &Css<Cpuset>) -> u64 {
    // The rate is never negative; C prints the int as an unsigned 64-bit number.
    css.state().fmeter.lock().rate() as u64
}

/// What C sees of a write: the text up to its first NUL, without surrounding white space.
fn written_text(buf: &[u8]) -> &[u8] {
    let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    strstrip(&buf[..end])
}

fn write_cpus(css: &Css<Cpuset>, buf: &[u8]) -> Result {
    let text = written_text(buf);
    {
        let hotplug = cpu::hotplug_read_lock();
        let _mutex = api::cpuset_lock().ok_or(ENODEV)?;
        if !css.is_online() {
            return Err(ENODEV);
        }
        let Some(parent) = css.parent() else {
            return Err(EACCES);
        };
        let mut trial = Trial::of(css)?;
        if text.is_empty() {
            trial.cpus.clear_all();
        } else {
            trial.cpus.parse_list(text)?;
            let top = top_of(css).state().masks.lock();
            let allowed: &Cpumask = if v2_mode(css) {
                Cpumask::possible()
            } else {
                &top.cpus
            };
            if !trial.cpus.is_subset(allowed) {
                return Err(EINVAL);
            }
        }
        if css.state().masks.lock().cpus.equal(&trial.cpus) {
            return Ok(());
        }
        validate_change(css, &trial)?;
        let mut effective = CpumaskVar::try_clone(&trial.cpus)?;
        let v2 = v2_mode(css);
        if v2 {
            let pm = parent.state().masks.lock();
            if !effective.and_with(&pm.effective_cpus) {
                pm.effective_cpus.copy(&mut effective);
            }
        }
        {
            let mut m = css.state().masks.lock();
            trial.cpus.copy(&mut m.cpus);
            effective.copy(&mut m.effective_cpus);
        }
        update_tasks_cpumask(css);
        if v2 {
            update_descendants_v2(css);
        }
        if !trial.cpus.is_empty() && flags_of(css) & SCHED_LOAD_BALANCE != 0 {
            rebuild_locked(&hotplug);
        }
    }
    run_migrations();
    Ok(())
}

fn write_mems(css: &Css<Cpuset>, buf: &[u8]) -> Result {
    let text = written_text(buf);
    {
        let _hotplug = cpu::hotplug_read_lock();
        let _mutex = api::cpuset_lock().ok_or(ENODEV)?;
        if !css.is_online() {
            return Err(ENODEV);
        }
        let Some(parent) = css.parent() else {
            return Err(EACCES);
        };
        let mut trial = Trial::of(css)?;
        if !text.is_empty() {
            trial.mems = Nodemask::parse_list(text)?;
            let allowed = if v2_mode(css) {
                Nodemask::state(NodeState::Possible)
            } else {
                top_of(css).state().masks.lock().mems
            };
            if !trial.mems.is_subset(&allowed) {
                return Err(EINVAL);
            }
        } else {
            trial.mems = Nodemask::new();
        }
        if css.state().masks.lock().mems == trial.mems {
            return Ok(());
        }
        validate_change(css, &trial)?;
        let mut effective = trial.mems;
        let v2 = v2_mode(css);
        if v2 {
            let pe = parent.state().masks.lock().effective_mems;
            effective = effective.and(&pe);
            if effective.is_empty() {
                effective = pe;
            }
        }
        {
            let mut m = css.state().masks.lock();
            m.mems = trial.mems;
            m.effective_mems = effective;
        }
        update_tasks_nodemask(css);
        if v2 {
            update_descendants_v2(css);
        }
    }
    run_migrations();
    Ok(())
}

/// In `cpuset_v2_mode`, the descendants of `css` inherit its effective masks where theirs
/// would be empty: recomputes them, top down, and updates the tasks of those that changed.
fn update_descendants_v2(css: &Css<Cpuset>) {
    let Ok(groups) = online_descendants(css) else {
        return;
    };
    for g in groups.iter() {
        let Some(cs) = Css::<Cpuset>::of_group(g) else {
            continue;
        };
        let Some(parent) = cs.parent() else {
            continue;
        };
        let (Ok(mut pcpus), Ok(mut cpus)) = (
            CpumaskVar::new_zero(GFP_KERNEL),
            CpumaskVar::new_zero(GFP_KERNEL),
        ) else {
            return;
        };
        let pmems = {
            let pm = parent.state().masks.lock();
            pm.effective_cpus.copy(&mut pcpus);
            pm.effective_mems
        };
        let (cpus_changed, mems_changed) = {
            let mut m = cs.state().masks.lock();
            m.cpus.copy(&mut cpus);
            if !cpus.and_with(&pcpus) {
                pcpus.copy(&mut cpus);
            }
            let mut mems = m.mems.and(&pmems);
            if mems.is_empty() {
                mems = pmems;
            }
            let changed = (!cpus.equal(&m.effective_cpus), mems != m.effective_mems);
            cpus.copy(&mut m.effective_cpus);
            m.effective_mems = mems;
            changed
        };
        if cpus_changed {
            update_tasks_cpumask(cs);
        }
        if mems_changed {
            update_tasks_nodemask(cs);
        }
    }
}

fn update_flag(css: &Css<Cpuset>, bit: u32, value: u64) -> Result {
    // C passes the value as an `int`: only its low 32 bits count.
    let on = value as u32 != 0;
    let hotplug = cpu::hotplug_read_lock();
    let _mutex = api::cpuset_lock().ok_or(ENODEV)?;
    if !css.is_online() {
        return Err(ENODEV);
    }
    let mut trial = Trial::of(css)?;
    if on {
        trial.flags |= bit;
    } else {
        trial.flags &= !bit;
    }
    validate_change(css, &trial)?;
    let old = css.state().flags.swap(trial.flags, Ordering::Relaxed);
    let changed = old ^ trial.flags;
    let exclusive = |f: u32| f & (CPU_EXCLUSIVE | MEM_EXCLUSIVE) != 0;
    if exclusive(old) != exclusive(trial.flags) {
        if let Some(parent) = css.parent() {
            let n = &parent.state().exclusive_children;
            if exclusive(trial.flags) {
                n.fetch_add(1, Ordering::Relaxed);
            } else {
                n.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
    if changed & SCHED_LOAD_BALANCE != 0 && !trial.cpus.is_empty() {
        rebuild_locked(&hotplug);
    }
    if changed & (SPREAD_PAGE | SPREAD_SLAB) != 0 {
        update_tasks_spread_flags(css);
    }
    Ok(())
}

fn read_relax_domain_level(css: &Css<Cpuset>) -> i64 {
    css.state()
        .relax_domain_level
        .load(Ordering::Relaxed)
        .into()
}

fn write_relax_domain_level(css: &Css<Cpuset>, value: i64) -> Result {
    if value < -1 || value > i64::from(sched_domain::level_max()) + 1 {
        return Err(EINVAL);
    }
    let hotplug = cpu::hotplug_read_lock();
    let _mutex = api::cpuset_lock().ok_or(ENODEV)?;
    if !css.is_online() {
        return Err(ENODEV);
    }
    // In range, so it fits.
    let level = value as i32;
    let st = css.state();
    let old = st.relax_domain_level.swap(level, Ordering::Relaxed);
    if (old < 0) != (level < 0) {
        if let Some(g) = GLOBAL.get() {
            if level < 0 {
                g.relaxed.fetch_sub(1, Ordering::Relaxed);
            } else {
                g.relaxed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    if old != level && flags_of(css) & SCHED_LOAD_BALANCE != 0 && !st.masks.lock().cpus.is_empty() {
        rebuild_locked(&hotplug);
    }
    Ok(())
}

// --- Walks. ---

/// References to the online descendants of `css` (not `css` itself), in pre-order. The tree of
/// online cpusets does not change while the cpuset mutex is held (the caller holds it).
fn online_descendants(css: &Css<Cpuset>) -> Result<KVec<ARef<Cgroup>>> {
    collect_descendants(Some(css))
}

/// As [`online_descendants`], of `css` or (`None`) of the top cpuset, which is reached under
/// RCU only.
/// The groups of the online cpusets below the top one that pass `pred` (checked under RCU),
/// referenced. Nothing is allocated when none does.
fn collect_descendants_where(pred: impl Fn(&Css<Cpuset>) -> bool) -> Result<KVec<ARef<Cgroup>>> {
    let walk = |guard: &rcu::Guard, f: &mut dyn FnMut(&Css<Cpuset>) -> bool| {
        if let Some(top) = Css::<Cpuset>::root(guard) {
            for d in top.descendants_pre(guard).skip(1) {
                if d.is_online() && pred(d) && !f(d) {
                    break;
                }
            }
        }
    };
    let mut count = 0usize;
    walk(&rcu::read_lock(), &mut |_| {
        count += 1;
        true
    });
    let mut groups = KVec::new();
    if count == 0 {
        return Ok(groups);
    }
    groups.reserve(count, GFP_KERNEL)?;
    let guard = rcu::read_lock();
    // A group seen in a walk of the tree may be referenced (its count stays above zero until
    // the walk ends); the capacity is reserved, so nothing allocates here.
    walk(&guard, &mut |d| groups.push(d.cgroup(), GFP_ATOMIC).is_ok());
    Ok(groups)
}

fn collect_descendants(css: Option<&Css<Cpuset>>) -> Result<KVec<ARef<Cgroup>>> {
    let count = {
        let guard = rcu::read_lock();
        let Some(from) = css.or_else(|| Css::<Cpuset>::root(&guard)) else {
            return Ok(KVec::new());
        };
        from.descendants_pre(&guard)
            .skip(1)
            .filter(|d| d.is_online())
            .count()
    };
    let mut groups = KVec::with_capacity(count, GFP_KERNEL)?;
    let guard = rcu::read_lock();
    let Some(from) = css.or_else(|| Css::<Cpuset>::root(&guard)) else {
        return Ok(groups);
    };
    for d in from
        .descendants_pre(&guard)
        .skip(1)
        .filter(|d| d.is_online())
    {
        // A group seen in a walk of the tree may be referenced (its count stays above zero
        // until the walk ends); the capacity is reserved, so nothing allocates here.
        if groups.push(d.cgroup(), GFP_ATOMIC).is_err() {
            break;
        }
    }
    Ok(groups)
}

/// Whether every strict ancestor of `cs` below `top` (exclusive) passes `pass`: a walk from
/// `top` that does not descend below a cpuset failing `pass` reaches `cs`.
fn reached(cs: &Css<Cpuset>, top: &Css<Cpuset>, pass: impl Fn(&Css<Cpuset>) -> bool) -> bool {
    let mut p = cs.parent();
    while let Some(a) = p {
        if core::ptr::eq(a, top) {
            return true;
        }
        if !pass(a) {
            return false;
        }
        p = a.parent();
    }
    true
}

/// The relax level of a domain that holds the load-balanced cpuset `root`: the highest of the
/// load-balanced cpusets with CPUs in its subtree, reached through cpusets with CPUs (C's
/// `update_domain_attr_tree()`).
fn domain_relax_level(root: &Css<Cpuset>, guard: &rcu::Guard) -> i32 {
    let has_cpus = |c: &Css<Cpuset>| !c.state().masks.lock().cpus.is_empty();
    // No cpuset sets a level (the usual case): no walk, where C walks every cpuset with CPUs.
    let none_set = GLOBAL
        .get()
        .is_some_and(|g| g.relaxed.load(Ordering::Relaxed) == 0);
    if none_set || !has_cpus(root) {
        return -1;
    }
    let mut level = -1;
    for c in root.descendants_pre(guard).filter(|c| c.is_online()) {
        // Only a level above the one found so far can change it: most cpusets keep the
        // default (-1), and are passed over without taking their mask locks.
        let own = c.state().relax_domain_level.load(Ordering::Relaxed);
        if own <= level || flags_of(c) & SCHED_LOAD_BALANCE == 0 {
            continue;
        }
        // Counted: a balanced cpuset with CPUs whose ancestors up to `root` all have CPUs.
        if has_cpus(c) && (core::ptr::eq(c, root) || reached(c, root, has_cpus)) {
            level = own;
        }
    }
    level
}

/// Whether taking the load-balanced cpuset `css` out of the partition leaves the scheduler
/// domains as they are, so that its removal needs no rebuild (C rebuilds, walking every
/// cpuset): when the top cpuset balances load, the active CPUs form one domain whatever the
/// flags below it, and a cpuset with the default relax level (-1) cannot be the one that sets
/// the domain's level, the highest of the balanced cpusets. A rebuild that CPU hotplug asked
/// for is never skipped. Called with the hotplug lock and the cpuset mutex held.
fn removal_keeps_domains(css: &Css<Cpuset>) -> bool {
    let forced = GLOBAL
        .get()
        .is_some_and(|g| g.force_rebuild.load(Ordering::Relaxed));
    !forced
        && flags_of(top_of(css)) & SCHED_LOAD_BALANCE != 0
        && css.state().relax_domain_level.load(Ordering::Relaxed) < 0
}

/// Divides the CPUs into scheduler domains from the `sched_load_balance` flags and hands them
/// to the scheduler (C's `rebuild_sched_domains_locked()`). Called with the hotplug lock and
/// the cpuset mutex held.
fn rebuild_locked(hotplug: &HotplugHeld) {
    if let Some(g) = GLOBAL.get() {
        g.force_rebuild.store(false, Ordering::Relaxed);
    }
    match generate_domains() {
        Ok(Some(p)) => {
            // Domains the scheduler cannot take (as C, which warns about them): its default.
            if p.apply(hotplug, readd_deadline_tasks).is_err() {
                sched_domain::apply_default(hotplug);
            }
        }
        Ok(None) => {}
        // Out of memory: one domain of every active CPU, as C falls back to.
        Err(_) => sched_domain::apply_default(hotplug),
    }
}

/// Accounts the deadline tasks of every cpuset with CPUs in their new root domains (C's
/// `dl_rebuild_rd_accounting()`).
fn readd_deadline_tasks(rebuilt: &sched_domain::Rebuilt) {
    let has_deadline = |c: &Css<Cpuset>| {
        c.state().nr_deadline_tasks.load(Ordering::Relaxed) > 0
            && !c.state().masks.lock().effective_cpus.is_empty()
    };
    // The top group, referenced under RCU (a group found there may be), then its descendants.
    let top = {
        let guard = rcu::read_lock();
        Css::<Cpuset>::root(&guard)
            .filter(|t| has_deadline(t))
            .map(|t| t.cgroup())
    };
    if let Some(top) = top {
        for_each_task(&top, |t| rebuilt.add_deadline_task(t));
    }
    // Usually no cpuset has deadline tasks: one walk that reads a counter per cpuset, and
    // nothing is collected.
    let Ok(groups) = collect_descendants_where(has_deadline) else {
        return;
    };
    for cs in groups.iter().filter_map(|g| Css::<Cpuset>::of_group(g)) {
        for_each_task_of(cs, |t| rebuilt.add_deadline_task(t));
    }
}

/// The domains, or `None` when the top cpuset's CPUs are not the active ones yet (CPU hotplug
/// is on its way, and will rebuild).
fn generate_domains() -> Result<Option<Partition>> {
    let hk = sched_domain::housekeeping();
    // The load-balanced cpusets at the top of the balanced subtrees, each with its CPUs and
    // relax level; counted first, then collected, under the same stable tree.
    let count = {
        let guard = rcu::read_lock();
        let Some(top) = Css::<Cpuset>::root(&guard) else {
            return Ok(None);
        };
        if !top
            .state()
            .masks
            .lock()
            .effective_cpus
            .equal(Cpumask::active())
        {
            return Ok(None);
        }
        if flags_of(top) & SCHED_LOAD_BALANCE != 0 {
            1
        } else {
            candidates(top, hk, &guard).count()
        }
    };
    // Everything is allocated before the walk, under RCU, fills it in.
    let mut single = Partition::new(1)?;
    let mut cpus = KVec::with_capacity(count, GFP_KERNEL)?;
    for _ in 0..count {
        cpus.push(CpumaskVar::new_zero(GFP_KERNEL)?, GFP_KERNEL)?;
    }
    let mut relax = KVec::with_capacity(count, GFP_KERNEL)?;
    {
        let guard = rcu::read_lock();
        let Some(top) = Css::<Cpuset>::root(&guard) else {
            return Ok(None);
        };
        if flags_of(top) & SCHED_LOAD_BALANCE != 0 {
            if let Some(d) = cpus.get_mut(0) {
                top.state().masks.lock().effective_cpus.copy(d);
                d.and_with(hk);
                single.set_domain(0, d)?;
            }
            let _ = single.set_relax_level(0, domain_relax_level(top, &guard));
            return Ok(Some(single));
        }
        for (i, c) in candidates(top, hk, &guard).take(count).enumerate() {
            if let Some(slot) = cpus.get_mut(i) {
                c.state().masks.lock().effective_cpus.copy(slot);
            }
            relax.push(domain_relax_level(c, &guard), GFP_ATOMIC)?;
        }
    }
    // Cpusets whose CPUs overlap share a domain: union-find over the candidates.
    let n = cpus.len().min(relax.len());
    let mut parent = KVec::with_capacity(n, GFP_KERNEL)?;
    for i in 0..n {
        parent.push(i, GFP_KERNEL)?;
    }
    let find = |parent: &KVec<usize>, mut i: usize| {
        while parent[i] != i {
            i = parent[i];
        }
        i
    };
    for i in 0..n {
        for j in i + 1..n {
            if cpus[i].intersects(&cpus[j]) {
                let (a, b) = (find(&parent, i), find(&parent, j));
                if a != b {
                    parent[b.max(a)] = a.min(b);
                }
            }
        }
    }
    let ndoms = (0..n).filter(|&i| find(&parent, i) == i).count();
    let mut p = Partition::new(ndoms)?;
    let mut slot = 0;
    for i in 0..n {
        if find(&parent, i) != i {
            continue;
        }
        let mut level = -1;
        let mut d = CpumaskVar::new_zero(GFP_KERNEL)?;
        for j in (i..n).filter(|&j| find(&parent, j) == i) {
            d.or_with(&cpus[j]);
            level = level.max(relax[j]);
        }
        d.and_with(hk);
        p.set_domain(slot, &d)?;
        // A level the topology no longer has keeps the default.
        let _ = p.set_relax_level(slot, level);
        slot += 1;
    }
    Ok(Some(p))
}

/// The load-balanced cpusets with CPUs that head balanced subtrees below an unbalanced top
/// `top`, in pre-order (C's `generate_sched_domains()` walk).
fn candidates<'a>(
    top: &'a Css<Cpuset>,
    hk: &'a Cpumask,
    guard: &'a rcu::Guard,
) -> impl Iterator<Item = &'a Css<Cpuset>> + 'a {
    // A cpuset with CPUs that is not balanced (over housekeeping CPUs) is descended into;
    // one without CPUs, or balanced, is not.
    let descend = move |c: &Css<Cpuset>| {
        let m = c.state().masks.lock();
        let balanced = flags_of(c) & SCHED_LOAD_BALANCE != 0 && m.cpus.intersects(hk);
        !m.cpus.is_empty() && !balanced
    };
    top.descendants_pre(guard)
        .skip(1)
        .filter(|c| c.is_online())
        .filter(move |c| reached(c, top, descend))
        .filter(move |c| {
            !descend(c)
                && flags_of(c) & SCHED_LOAD_BALANCE != 0
                && !c.state().masks.lock().effective_cpus.is_empty()
        })
}

// --- CPU hotplug. ---

/// CPUs went online or offline (C's `cpuset_handle_hotplug()`, v1 rules): the top cpuset
/// follows the active CPUs; every other cpuset loses the CPUs and nodes that went away (and
/// never gets them back), and one left without CPUs or nodes has its tasks moved to its
/// nearest ancestor that has both, from a work item (moving needs the locks hotplug holds).
fn handle_hotplug(hotplug: &HotplugHeld) {
    let Some(mutex) = api::cpuset_lock() else {
        return;
    };
    let new_mems = Nodemask::state(NodeState::Memory);
    let top_v2 = {
        let guard = rcu::read_lock();
        let Some(top) = Css::<Cpuset>::root(&guard) else {
            return;
        };
        let v2 = v2_mode(top) || top.cgroup_rcu(&guard).root().is_dummy();
        let (cpus_updated, mems_updated) = {
            let mut m = top.state().masks.lock();
            let cpus_updated = !m.effective_cpus.equal(Cpumask::active());
            let mems_updated = m.effective_mems != new_mems;
            if cpus_updated {
                if !v2 {
                    Cpumask::active().copy(&mut m.cpus);
                }
                Cpumask::active().copy(&mut m.effective_cpus);
            }
            if mems_updated {
                if !v2 {
                    m.mems = new_mems;
                }
                m.effective_mems = new_mems;
            }
            (cpus_updated, mems_updated)
        };
        if cpus_updated {
            if let Some(g) = GLOBAL.get() {
                g.force_rebuild.store(true, Ordering::Relaxed);
            }
        }
        if !cpus_updated && !mems_updated {
            return;
        }
        v2
    };
    let descendants = collect_descendants(None);
    if let Ok(groups) = descendants {
        for g in groups.iter() {
            if let Some(cs) = Css::<Cpuset>::of_group(g) {
                hotplug_update(cs, top_v2, g);
            }
        }
    }
    if GLOBAL
        .get()
        .is_some_and(|g| g.force_rebuild.load(Ordering::Relaxed))
    {
        rebuild_locked(hotplug);
    }
    drop(mutex);
}

/// One cpuset after a hotplug event (C's `cpuset_hotplug_update_tasks()`).
fn hotplug_update(cs: &Css<Cpuset>, v2: bool, group: &ARef<Cgroup>) {
    let Some(parent) = cs.parent() else {
        return;
    };
    let (Ok(mut pcpus), Ok(mut new_cpus)) = (
        CpumaskVar::new_zero(GFP_KERNEL),
        CpumaskVar::new_zero(GFP_KERNEL),
    ) else {
        return;
    };
    let pmems = {
        let pm = parent.state().masks.lock();
        pm.effective_cpus.copy(&mut pcpus);
        pm.effective_mems
    };
    let (cpus_updated, mems_updated, now_empty) = {
        let mut m = cs.state().masks.lock();
        m.cpus.copy(&mut new_cpus);
        let mut cpus_nonempty = new_cpus.and_with(&pcpus);
        let mut new_mems = m.mems.and(&pmems);
        if v2 {
            // Configured masks stay; effective ones inherit where empty.
            if !cpus_nonempty {
                pcpus.copy(&mut new_cpus);
                cpus_nonempty = true;
            }
            if new_mems.is_empty() {
                new_mems = pmems;
            }
        }
        let cpus_updated = !new_cpus.equal(&m.effective_cpus);
        let mems_updated = new_mems != m.effective_mems;
        if !v2 {
            new_cpus.copy(&mut m.cpus);
            m.mems = new_mems;
        }
        new_cpus.copy(&mut m.effective_cpus);
        m.effective_mems = new_mems;
        (
            cpus_updated && cpus_nonempty,
            mems_updated && !new_mems.is_empty(),
            !v2 && (m.cpus.is_empty() || m.mems.is_empty()),
        )
    };
    if cpus_updated {
        update_tasks_cpumask(cs);
    }
    if mems_updated {
        update_tasks_nodemask(cs);
    }
    if now_empty && confines_tasks(cs, group) {
        let from = group.clone();
        let spawned = kernel::cgroup::spawn_unlocked(move |unlocked| {
            remove_tasks_in_empty_cpuset(&from, unlocked);
        });
        if spawned.is_err() {
            pr_warn!("out of memory moving tasks out of an empty cpuset\n");
        }
    }
}

/// Whether a task is in `group`, the group of `cs`, or in a group that shares `cs`
/// (`cpuset.inherit`).
fn confines_tasks(cs: &Css<Cpuset>, group: &Cgroup) -> bool {
    if group.has_tasks() {
        return true;
    }
    if !group.root().has_flag(ROOT_INHERIT) {
        return false;
    }
    let guard = rcu::read_lock();
    let found = group
        .descendants_pre(&guard)
        .any(|g| g.uses_css(SubsysId::Cpuset, cs.raw()) && g.has_tasks());
    found
}

/// `from`, the group of an emptied cpuset, and the groups that share its cpuset, referenced.
fn groups_sharing(from: &Cgroup) -> Result<KVec<ARef<Cgroup>>> {
    let mut groups = KVec::new();
    groups.push(ARef::from(from), GFP_KERNEL)?;
    let Some(cs) = Css::<Cpuset>::of_group(from) else {
        return Ok(groups);
    };
    if !from.root().has_flag(ROOT_INHERIT) {
        return Ok(groups);
    }
    let count = {
        let guard = rcu::read_lock();
        let n = from
            .descendants_pre(&guard)
            .skip(1)
            .filter(|g| g.uses_css(SubsysId::Cpuset, cs.raw()))
            .count();
        n
    };
    groups.reserve(count, GFP_KERNEL)?;
    let guard = rcu::read_lock();
    for g in from
        .descendants_pre(&guard)
        .skip(1)
        .filter(|g| g.uses_css(SubsysId::Cpuset, cs.raw()))
        .take(count)
    {
        // A group found by a walk of the tree under RCU may be referenced; the capacity is
        // reserved.
        groups.push(ARef::from(g), GFP_ATOMIC)?;
    }
    Ok(groups)
}

/// Moves the tasks of the emptied cpuset `from`, and of the groups that share it, to its
/// nearest ancestor with CPUs and nodes. Runs from a work item, without locks.
fn remove_tasks_in_empty_cpuset(from: &Cgroup, unlocked: &Unlocked) {
    let mut to = from.parent();
    while let Some(g) = to {
        let Some(cs) = Css::<Cpuset>::of_group(g) else {
            // The top group: it always has CPUs and nodes.
            break;
        };
        let m = cs.state().masks.lock();
        if !m.cpus.is_empty() && !m.mems.is_empty() {
            break;
        }
        drop(m);
        to = g.parent();
    }
    let Some(to) = to else {
        return;
    };
    let moved = groups_sharing(from).and_then(|groups| {
        groups
            .iter()
            .try_for_each(|g| migrate::transfer_tasks(to, g, unlocked))
    });
    if moved.is_err() {
        let mut name = [0u8; 64];
        let name = from.name_into(&mut name).unwrap_or(b"?");
        pr_err!(
            "failed to transfer tasks out of empty cpuset {}\n",
            kernel::str::BStr::from_bytes(name)
        );
    }
}
