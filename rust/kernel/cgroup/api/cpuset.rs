// SPDX-License-Identifier: GPL-2.0

//! The cpuset controller's interface (`include/linux/cpuset.h`): the trait the controller
//! implements, and what the C entry points in `hooks::cpuset` call through.

use super::super::css::{Css, RawCss};
use super::super::hooks::cpuset as hooks;
use super::super::subsys::{SubsysId, Subsystem};
use super::task_css;
use crate::{
    cpu::HotplugHeld,
    cpumask::Cpumask,
    error::Result,
    nodemask::Nodemask,
    sync::{
        lock::{mutex::MutexBackend, Guard},
        rcu, Mutex, OnceBox,
    },
    task::Task,
};
use core::sync::atomic::Ordering;

/// What the rest of the kernel asks the cpuset controller: the scheduler (where a task may
/// run), the page allocator and memory policies (where it may take memory from), CPU hotplug
/// and the scheduler's domains.
///
/// The callbacks that take a state run under RCU, with the task's state found by the core;
/// those marked "hot" are on the scheduler's or the page allocator's fast paths.
pub trait CpusetApi: Subsystem {
    /// Writes into `mask` the online CPUs that tasks of `css` may use: the group's, or if none
    /// of those is online its nearest ancestor's that has one (C's `guarantee_online_cpus()`).
    ///
    /// Context: any task context, possibly atomic (`sched_setaffinity()`, the scheduler's
    /// fallback with its locks held), under RCU; must not sleep.
    fn online_cpus(css: &Css<Self>, mask: &mut Cpumask);

    /// The nodes with memory that tasks of `css` may use: the group's, or its nearest
    /// ancestor's that has one (C's `guarantee_online_mems()`).
    ///
    /// Context: as [`CpusetApi::online_cpus`].
    fn online_mems(css: &Css<Self>) -> Nodemask;

    /// The nodes of the nearest group, from the group of `css` up, that is `mem_hardwall` or
    /// `mem_exclusive` (the top group always is): where an allocation that may leave the
    /// task's own nodes (not `__GFP_HARDWALL`) may fall back to.
    ///
    /// Context: hot; any task context, with interrupts possibly off (the page allocator),
    /// under RCU; must not sleep nor allocate.
    fn hardwall_mems(css: &Css<Self>) -> Nodemask;

    /// Whether the tasks of the group of `css` are being given new nodes right now (C's
    /// `current_cpuset_is_being_rebound()`).
    ///
    /// Context: task context, under RCU; must not sleep.
    fn is_being_rebound(css: &Css<Self>) -> bool;

    /// A task of the group of `css` entered direct reclaim; only called while
    /// [`set_memory_pressure_enabled`] is on.
    ///
    /// Context: task context in the page allocator, under RCU; must not sleep nor allocate.
    fn memory_pressure_bump(css: &Css<Self>);

    /// A task of the group of `css` became a deadline task (`joined`) or stopped being one,
    /// or is exiting as one.
    ///
    /// Context: the scheduler, with run-queue locks held and interrupts off, under RCU: must
    /// not sleep, take locks or allocate.
    fn deadline_task(css: &Css<Self>, joined: bool);

    /// The CPUs and nodes are all up at boot (C's `cpuset_init_smp()`).
    ///
    /// Context: process, once, before user space starts; may sleep.
    fn init_smp();

    /// CPUs went online or offline (C's `cpuset_update_active_cpus()`).
    ///
    /// Context: the CPU-hotplug lock held for writing; may sleep, but must not wait for anything
    /// that takes the hotplug lock or the core mutex (move tasks from a work item).
    fn cpus_changed(hotplug: &HotplugHeld);

    /// The scheduler domains must be built again (C's `rebuild_sched_domains()`).
    ///
    /// Context: process; may sleep; neither the hotplug lock nor the cpuset mutex is held.
    fn rebuild_sched_domains();

    /// The next rebuild must happen even if nothing changed (after a resume).
    ///
    /// Context: the CPU-hotplug lock held for writing; must not sleep.
    fn force_rebuild();
}

/// The registered [`CpusetApi`] implementation, type-erased.
pub(in crate::cgroup) struct CpusetTable {
    pub(in crate::cgroup) online_cpus: fn(&RawCss, &mut Cpumask),
    pub(in crate::cgroup) online_mems: fn(&RawCss) -> Option<Nodemask>,
    pub(in crate::cgroup) hardwall_mems: fn(&RawCss) -> Option<Nodemask>,
    pub(in crate::cgroup) is_being_rebound: fn(&RawCss) -> bool,
    pub(in crate::cgroup) memory_pressure_bump: fn(&RawCss),
    pub(in crate::cgroup) deadline_task: fn(&RawCss, bool),
    pub(in crate::cgroup) init_smp: fn(),
    pub(in crate::cgroup) cpus_changed: fn(&HotplugHeld),
    pub(in crate::cgroup) rebuild_sched_domains: fn(),
    pub(in crate::cgroup) force_rebuild: fn(),
}

static CPUSET: OnceBox<CpusetTable> = OnceBox::new();

/// The registered implementation, if any.
pub(in crate::cgroup) fn table() -> Option<&'static CpusetTable> {
    CPUSET.get()
}

/// C's `cpuset_mutex`: what the scheduler takes (`cpuset_lock()`) to keep cpusets from
/// changing while it admits a deadline task; the controller holds it whenever it changes
/// masks, flags or scheduler domains, or moves tasks. Taken after the CPU-hotplug lock.
static CPUSET_MUTEX: OnceBox<Mutex<()>> = OnceBox::new();

fn online_cpus_thunk<S: CpusetApi>(css: &RawCss, mask: &mut Cpumask) {
    if let Some(css) = Css::<S>::from_raw(css) {
        S::online_cpus(css, mask);
    }
}

fn online_mems_thunk<S: CpusetApi>(css: &RawCss) -> Option<Nodemask> {
    Css::<S>::from_raw(css).map(S::online_mems)
}

fn hardwall_mems_thunk<S: CpusetApi>(css: &RawCss) -> Option<Nodemask> {
    Css::<S>::from_raw(css).map(S::hardwall_mems)
}

fn is_being_rebound_thunk<S: CpusetApi>(css: &RawCss) -> bool {
    Css::<S>::from_raw(css).is_some_and(S::is_being_rebound)
}

fn deadline_task_thunk<S: CpusetApi>(css: &RawCss, joined: bool) {
    if let Some(css) = Css::<S>::from_raw(css) {
        S::deadline_task(css, joined);
    }
}

fn memory_pressure_bump_thunk<S: CpusetApi>(css: &RawCss) {
    if let Some(css) = Css::<S>::from_raw(css) {
        S::memory_pressure_bump(css);
    }
}

/// Registers `S` as the controller the rest of the kernel asks about CPUs and nodes; with its
/// registration.
pub fn cpuset_api<S: CpusetApi>() -> Result {
    CPUSET_MUTEX.init(crate::new_mutex!((), "cpuset_mutex"))?;
    CPUSET.set(CpusetTable {
        online_cpus: online_cpus_thunk::<S>,
        online_mems: online_mems_thunk::<S>,
        hardwall_mems: hardwall_mems_thunk::<S>,
        is_being_rebound: is_being_rebound_thunk::<S>,
        memory_pressure_bump: memory_pressure_bump_thunk::<S>,
        deadline_task: deadline_task_thunk::<S>,
        init_smp: S::init_smp,
        cpus_changed: S::cpus_changed,
        rebuild_sched_domains: S::rebuild_sched_domains,
        force_rebuild: S::force_rebuild,
    })?;
    Ok(())
}

/// Takes the cpuset mutex ([`CPUSET_MUTEX`]); `None` before [`cpuset_api`] registered a
/// controller. Context: process; may sleep; after the CPU-hotplug lock, before any spinlock.
pub fn cpuset_lock() -> Option<Guard<'static, (), MutexBackend>> {
    CPUSET_MUTEX.get().map(|m| m.lock())
}

/// The cpuset mutex, for the C entry points that lock and unlock it in separate calls.
pub(in crate::cgroup) fn cpuset_mutex() -> Option<&'static Mutex<()>> {
    CPUSET_MUTEX.get()
}

/// The registered cpuset interface, and the state of the cpuset controller of `task` (its
/// group in the cpuset hierarchy), valid until `rcu` ends.
pub(in crate::cgroup) fn cpuset_of<'a>(
    task: &Task,
    rcu: &'a rcu::Guard,
) -> Option<(&'static CpusetTable, &'a RawCss)> {
    Some((table()?, task_css(task, SubsysId::Cpuset, rcu)?))
}

/// Whether the top group's `memory_pressure_enabled` is set: C's global
/// `cpuset_memory_pressure_enabled`, which the page allocator tests before it calls
/// `__cpuset_memory_pressure_bump()`.
pub fn set_memory_pressure_enabled(on: bool) {
    hooks::MEMORY_PRESSURE_ENABLED.store(i32::from(on), Ordering::Relaxed);
}

/// Whether the top group's `memory_pressure_enabled` is set.
pub fn memory_pressure_enabled() -> bool {
    hooks::MEMORY_PRESSURE_ENABLED.load(Ordering::Relaxed) != 0
}

/// Counts an online cpuset that is not a top group: the page allocator checks nodes only
/// while there is one (C's `cpuset_inc()`, with the hotplug lock held).
pub fn cpusets_inc(hotplug: &HotplugHeld) {
    hooks::CPUSETS_PRE_ENABLE_KEY.inc_cpuslocked(hotplug);
    hooks::CPUSETS_ENABLED_KEY.inc_cpuslocked(hotplug);
}

/// Undoes one [`cpusets_inc`] (C's `cpuset_dec()`).
pub fn cpusets_dec(hotplug: &HotplugHeld) {
    hooks::CPUSETS_ENABLED_KEY.dec_cpuslocked(hotplug);
    hooks::CPUSETS_PRE_ENABLE_KEY.dec_cpuslocked(hotplug);
}
