// SPDX-License-Identifier: GPL-2.0

//! The cpuset controller's side of the kernel crate: what the rest of the kernel asks about CPUs
//! and memory nodes (`include/linux/cpuset.h`).
//!
//! C header: [`include/linux/cpuset.h`](srctree/include/linux/cpuset.h)
//!
//! The scheduler (`cpuset_cpus_allowed()`), the page allocator and memory policies
//! (`cpuset_node_allowed()`, `cpuset_mems_allowed()`...), CPU hotplug, `/proc` and the static
//! keys that keep all of it off the hot paths while no cpuset exists call the functions defined
//! here. Each answers from the task alone where C does (its `mems_allowed`), and otherwise asks
//! the controller that registered with [`cpuset_api`] (the [`CpusetApi`] trait), finding the
//! task's state through the generic core ([`Css::of_task`]); without one, it answers as C's
//! `!CONFIG_CPUSETS` stubs do. The generic core knows nothing of cpuset beyond its id.

use crate::{
    bindings,
    cgroup::{self, Css, SubsysId, Subsystem},
    cpu::HotplugHeld,
    cpumask::{Cpumask, CpumaskOut},
    error::{from_result, Result},
    ffi::{c_int, c_uint},
    jump_label::StaticKeyFalse,
    nodemask::{NodeId, NodeState, Nodemask, MAX_NUMNODES},
    seq_file::SeqFile,
    sync::{
        lock::{mutex::MutexBackend, Guard},
        rcu, Mutex, OnceBox,
    },
    task::Task,
};
use core::sync::atomic::{AtomicI32, Ordering};

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
    fn online_cpus(css: &Css<Self>, mask: &mut CpumaskOut<'_>);

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

/// The registered [`CpusetApi`] implementation, type-erased: each function that takes a task
/// finds the task's state of the controller under RCU and calls the controller with it, and
/// answers `None` (or does nothing) when the task has none.
struct Table {
    /// Whether the task is confined (its group is not a top group and has an online CPU),
    /// having written its CPUs into the mask.
    online_cpus: fn(&Task, &mut CpumaskOut<'_>) -> bool,
    online_mems: fn(&Task) -> Option<Nodemask>,
    hardwall_mems: fn(&Task) -> Option<Nodemask>,
    is_being_rebound: fn(&Task) -> bool,
    memory_pressure_bump: fn(&Task),
    deadline_task: fn(&Task, bool),
    /// The name of the task's group, written into the buffer; its length.
    group_name: fn(&Task, &mut [u8]) -> Option<usize>,
    init_smp: fn(),
    cpus_changed: fn(&HotplugHeld),
    rebuild_sched_domains: fn(),
    force_rebuild: fn(),
}

static CPUSET: OnceBox<Table> = OnceBox::new();

/// C's `cpuset_mutex`: what the scheduler takes (`cpuset_lock()`) to keep cpusets from
/// changing while it admits a deadline task; the controller holds it whenever it changes
/// masks, flags or scheduler domains, or moves tasks. Taken after the CPU-hotplug lock.
static CPUSET_MUTEX: OnceBox<Mutex<()>> = OnceBox::new();

/// Calls `f` with the state of controller `S` of `task`, under RCU.
fn with_css<S: Subsystem, R>(task: &Task, f: impl FnOnce(&Css<S>) -> R) -> Option<R> {
    let guard = rcu::read_lock();
    Css::<S>::of_task(task, &guard).map(f)
}

fn online_cpus_thunk<S: CpusetApi>(task: &Task, mask: &mut CpumaskOut<'_>) -> bool {
    with_css::<S, _>(task, |css| {
        if css.parent().is_none() {
            return false;
        }
        S::online_cpus(css, mask);
        !mask.is_empty()
    })
    .unwrap_or(false)
}

fn online_mems_thunk<S: CpusetApi>(task: &Task) -> Option<Nodemask> {
    with_css::<S, _>(task, S::online_mems)
}

fn hardwall_mems_thunk<S: CpusetApi>(task: &Task) -> Option<Nodemask> {
    with_css::<S, _>(task, S::hardwall_mems)
}

fn is_being_rebound_thunk<S: CpusetApi>(task: &Task) -> bool {
    with_css::<S, _>(task, S::is_being_rebound).unwrap_or(false)
}

fn deadline_task_thunk<S: CpusetApi>(task: &Task, joined: bool) {
    with_css::<S, _>(task, |css| S::deadline_task(css, joined));
}

fn memory_pressure_bump_thunk<S: CpusetApi>(task: &Task) {
    with_css::<S, _>(task, S::memory_pressure_bump);
}

fn group_name_thunk<S: CpusetApi>(task: &Task, buf: &mut [u8]) -> Option<usize> {
    with_css::<S, _>(task, |css| {
        css.cgroup().name_into(buf).map(|n| n.len()).ok()
    })
    .flatten()
}

/// Registers `S` as the controller the rest of the kernel asks about CPUs and nodes; with its
/// registration (`cgroup_subsys!(Type, register_fn, kernel::cpuset::cpuset_api)`).
pub fn cpuset_api<S: CpusetApi>() -> Result {
    CPUSET_MUTEX.init(crate::new_mutex!((), "cpuset_mutex"))?;
    CPUSET.set(Table {
        online_cpus: online_cpus_thunk::<S>,
        online_mems: online_mems_thunk::<S>,
        hardwall_mems: hardwall_mems_thunk::<S>,
        is_being_rebound: is_being_rebound_thunk::<S>,
        memory_pressure_bump: memory_pressure_bump_thunk::<S>,
        deadline_task: deadline_task_thunk::<S>,
        group_name: group_name_thunk::<S>,
        init_smp: S::init_smp,
        cpus_changed: S::cpus_changed,
        rebuild_sched_domains: S::rebuild_sched_domains,
        force_rebuild: S::force_rebuild,
    })?;
    Ok(())
}

/// Takes the cpuset mutex (`CPUSET_MUTEX`); `None` before [`cpuset_api`] registered a
/// controller. Context: process; may sleep; after the CPU-hotplug lock, before any spinlock.
pub fn cpuset_lock() -> Option<Guard<'static, (), MutexBackend>> {
    CPUSET_MUTEX.get().map(|m| m.lock())
}

/// Sets whether the top group's `memory_pressure_enabled` is on: C's global
/// `cpuset_memory_pressure_enabled`, which the page allocator tests before it calls
/// `__cpuset_memory_pressure_bump()`.
pub fn set_memory_pressure_enabled(on: bool) {
    MEMORY_PRESSURE_ENABLED.store(i32::from(on), Ordering::Relaxed);
}

/// Whether the top group's `memory_pressure_enabled` is set.
pub fn memory_pressure_enabled() -> bool {
    MEMORY_PRESSURE_ENABLED.load(Ordering::Relaxed) != 0
}

/// Counts an online cpuset that is not a top group: the page allocator checks nodes only
/// while there is one (C's `cpuset_inc()`, with the hotplug lock held).
pub fn cpusets_inc(hotplug: &HotplugHeld) {
    CPUSETS_PRE_ENABLE_KEY.inc_cpuslocked(hotplug);
    CPUSETS_ENABLED_KEY.inc_cpuslocked(hotplug);
}

/// Undoes one [`cpusets_inc`] (C's `cpuset_dec()`).
pub fn cpusets_dec(hotplug: &HotplugHeld) {
    CPUSETS_ENABLED_KEY.dec_cpuslocked(hotplug);
    CPUSETS_PRE_ENABLE_KEY.dec_cpuslocked(hotplug);
}

// --- What C calls (`include/linux/cpuset.h`). ---

/// C's `cpusets_pre_enable_key`: on while an online cpuset that is not a top group exists;
/// turned on before [`CPUSETS_ENABLED_KEY`] and off after it, so that
/// `read_mems_allowed_begin()` sees the sequence count whenever `read_mems_allowed_retry()`
/// checks it.
#[export_name = "cpusets_pre_enable_key"]
static CPUSETS_PRE_ENABLE_KEY: StaticKeyFalse = StaticKeyFalse::new();

/// C's `cpusets_enabled_key` (`cpusets_enabled()`): the page allocator checks nodes only while
/// it is on.
#[export_name = "cpusets_enabled_key"]
static CPUSETS_ENABLED_KEY: StaticKeyFalse = StaticKeyFalse::new();

/// C's `cpusets_insane_config_key`: for configurations the allocator cannot serve (movable-only
/// nodes); v1 cpusets with such nodes are not supported here, so it stays off.
#[export_name = "cpusets_insane_config_key"]
static CPUSETS_INSANE_CONFIG_KEY: StaticKeyFalse = StaticKeyFalse::new();

/// C's `cpuset_memory_pressure_enabled` (an `int`): whether the page allocator reports direct
/// reclaim to cpuset (`cpuset_memory_pressure_bump()`).
#[export_name = "cpuset_memory_pressure_enabled"]
static MEMORY_PRESSURE_ENABLED: AtomicI32 = AtomicI32::new(0);

/// The task `p`.
///
/// # Safety
///
/// `p` must be a valid task for `'a`.
unsafe fn task<'a>(p: *const bindings::task_struct) -> &'a Task {
    // SAFETY: Valid (the caller's promise); `Task` is a transparent wrapper.
    unsafe { &*p.cast::<Task>() }
}

/// Called by `start_kernel()` before the control-group core is set up. Nothing to do: the
/// controller sets itself up when it registers.
#[no_mangle]
extern "C" fn cpuset_init() -> c_int {
    // The key has no user; referencing it keeps the symbol that C declares.
    let _ = &CPUSETS_INSANE_CONFIG_KEY;
    0
}

/// Called once by `kernel_init()` when every CPU and node is up.
#[no_mangle]
extern "C" fn cpuset_init_smp() {
    if let Some(t) = CPUSET.get() {
        (t.init_smp)();
    }
}

/// Called by the scheduler on the last CPU of a resume.
#[no_mangle]
extern "C" fn cpuset_force_rebuild() {
    if let Some(t) = CPUSET.get() {
        (t.force_rebuild)();
    }
}

/// Called by the scheduler when a CPU goes online or offline, with the CPU-hotplug lock held
/// for writing.
#[no_mangle]
extern "C" fn cpuset_update_active_cpus() {
    // SAFETY: The scheduler calls this with the hotplug lock held for writing, until it
    // returns.
    let hotplug = unsafe { HotplugHeld::assume_held() };
    match CPUSET.get() {
        Some(t) => (t.cpus_changed)(&hotplug),
        None => crate::sched_domain::apply_default(&hotplug),
    }
}

/// Builds the scheduler domains again; process context, no lock held.
#[no_mangle]
extern "C" fn rebuild_sched_domains() {
    match CPUSET.get() {
        Some(t) => (t.rebuild_sched_domains)(),
        None => {
            let hotplug = crate::cpu::hotplug_read_lock();
            crate::sched_domain::apply_default(&hotplug);
        }
    }
}

/// `task` became a `SCHED_DEADLINE` task (the scheduler, with run-queue locks held).
///
/// # Safety
///
/// `task` must be valid.
#[no_mangle]
unsafe extern "C" fn inc_dl_tasks_cs(p: *mut bindings::task_struct) {
    if let Some(t) = CPUSET.get() {
        // SAFETY: Valid (the caller's promise).
        (t.deadline_task)(unsafe { task(p) }, true);
    }
}

/// `task` stopped being a `SCHED_DEADLINE` task; see [`inc_dl_tasks_cs`].
///
/// # Safety
///
/// `task` must be valid.
#[no_mangle]
unsafe extern "C" fn dec_dl_tasks_cs(p: *mut bindings::task_struct) {
    if let Some(t) = CPUSET.get() {
        // SAFETY: Valid (the caller's promise).
        (t.deadline_task)(unsafe { task(p) }, false);
    }
}

/// Takes the cpuset mutex until [`cpuset_unlock`] (the scheduler, around admitting a deadline
/// task). Process context; may sleep.
#[export_name = "cpuset_lock"]
extern "C" fn c_cpuset_lock() {
    if let Some(m) = CPUSET_MUTEX.get() {
        // Released by `cpuset_unlock()`, which C always calls after this one, in the same task.
        core::mem::forget(m.lock());
    }
}

/// Releases the cpuset mutex taken by [`c_cpuset_lock`].
#[export_name = "cpuset_unlock"]
extern "C" fn c_cpuset_unlock() {
    if let Some(m) = CPUSET_MUTEX.get() {
        // SAFETY: C pairs this call with an earlier `cpuset_lock()` in the same task, which
        // took the mutex and forgot its guard: the guard made here stands for it, and
        // dropping it releases the mutex.
        drop(unsafe { Guard::new(m, ()) });
    }
}

/// Writes into `mask` the CPUs that `p` may use: its cpuset's online CPUs (or its nearest
/// ancestor's), all possible CPUs for a task of the top group or when none is online.
///
/// # Safety
///
/// `p` and `mask` must be valid; `mask` not used by anyone else during the call.
#[no_mangle]
unsafe extern "C" fn cpuset_cpus_allowed(
    p: *mut bindings::task_struct,
    mask: *mut bindings::cpumask,
) {
    // SAFETY: Valid and ours for the call (the caller's promise); the scheduler's masks have
    // at least `cpumask_size()` bytes.
    let (task, mut mask) = unsafe { (task(p), CpumaskOut::from_raw(mask)) };
    let confined = CPUSET
        .get()
        .is_some_and(|t| (t.online_cpus)(task, &mut mask));
    if !confined {
        mask.copy_from(Cpumask::possible());
    }
}

/// The scheduler found no allowed CPU for `p` online: v1 cpusets leave it to the scheduler
/// (which then allows every possible CPU), as C does outside `cpuset_v2_mode`.
#[no_mangle]
extern "C" fn cpuset_cpus_allowed_fallback(_p: *mut bindings::task_struct) -> bool {
    false
}

/// Whether CPU `cpu` is isolated by a cpuset partition; v1 has none.
#[no_mangle]
extern "C" fn cpuset_cpu_is_isolated(_cpu: c_int) -> bool {
    false
}

/// The nodes with memory that `p`'s cpuset allows (not `p`'s own `mems_allowed`).
///
/// # Safety
///
/// `p` must be valid.
#[no_mangle]
unsafe extern "C" fn cpuset_mems_allowed(p: *mut bindings::task_struct) -> bindings::nodemask_t {
    // SAFETY: Valid (the caller's promise).
    let task = unsafe { task(p) };
    let mems = CPUSET.get().and_then(|t| (t.online_mems)(task));
    mems.unwrap_or_else(|| Nodemask::state(NodeState::Memory))
        .into_raw()
}

/// Lets the boot task allocate from every node, before anything else runs.
#[no_mangle]
extern "C" fn cpuset_init_current_mems_allowed() {
    let me = crate::current!();
    // SAFETY: Called once while the kernel boots on one CPU, before anything reads the field
    // concurrently.
    unsafe { me.init_mems_allowed() };
}

/// Whether `nodemask` shares a node with the current task's `mems_allowed`.
///
/// # Safety
///
/// `nodemask` must be valid.
#[no_mangle]
unsafe extern "C" fn cpuset_nodemask_valid_mems_allowed(
    nodemask: *mut bindings::nodemask_t,
) -> c_int {
    // SAFETY: Valid (the caller's promise).
    let mask = Nodemask::from_raw(unsafe { *nodemask });
    c_int::from(mask.intersects(&crate::current!().mems_allowed_racy()))
}

/// Whether the current task may allocate on `node` with flags `gfp` (the page allocator's
/// check, hot): its own nodes always; others only for an OOM victim or an exiting task, or for
/// an allocation without `__GFP_HARDWALL` on the nodes of its nearest hardwall cpuset.
/// Interrupts may take memory anywhere.
#[no_mangle]
extern "C" fn cpuset_node_allowed(node: c_int, gfp: bindings::gfp_t) -> bool {
    // SAFETY: No precondition.
    if unsafe { bindings::in_interrupt() } {
        return true;
    }
    let Some(node) = NodeId::from_c(node) else {
        return false;
    };
    let me = crate::current!();
    if me.mems_allowed_racy().test(node) || me.is_oom_victim() {
        return true;
    }
    if gfp & bindings::__GFP_HARDWALL != 0 {
        return false;
    }
    if me.is_exiting() {
        return true;
    }
    CPUSET
        .get()
        .and_then(|t| (t.hardwall_mems)(me))
        .map_or(true, |mems| mems.test(node))
}

/// Whether two tasks may allocate from a common node (the OOM killer's filter).
///
/// # Safety
///
/// Both tasks must be valid.
#[no_mangle]
unsafe extern "C" fn cpuset_mems_allowed_intersects(
    t1: *const bindings::task_struct,
    t2: *const bindings::task_struct,
) -> c_int {
    // SAFETY: Valid (the caller's promise).
    let (a, b) = unsafe { (task(t1), task(t2)) };
    c_int::from(a.mems_allowed_racy().intersects(&b.mems_allowed_racy()))
}

/// The current task entered direct reclaim while `memory_pressure_enabled` is set.
#[no_mangle]
extern "C" fn __cpuset_memory_pressure_bump() {
    if let Some(t) = CPUSET.get() {
        (t.memory_pressure_bump)(crate::current!());
    }
}

/// The `Mems_allowed` and `Mems_allowed_list` lines of `/proc/<pid>/status`.
///
/// # Safety
///
/// `m` must be a valid seq_file that is ours for the call, `p` a valid task.
#[no_mangle]
unsafe extern "C" fn cpuset_task_status_allowed(
    m: *mut bindings::seq_file,
    p: *mut bindings::task_struct,
) {
    // SAFETY: Valid (the caller's promise).
    let mems = unsafe { task(p) }.mems_allowed().into_raw();
    for fmt in [
        crate::c_str!("Mems_allowed:\t%*pb\n"),
        crate::c_str!("Mems_allowed_list:\t%*pbl\n"),
    ] {
        // SAFETY: `m` is valid and ours; `%*pb`/`%*pbl` read `MAX_NUMNODES` bits of `mems`,
        // which lives across the call.
        unsafe {
            bindings::seq_printf(
                m,
                fmt.as_char_ptr(),
                MAX_NUMNODES as c_uint,
                mems.bits.as_ptr(),
            )
        };
    }
}

/// `/proc/<pid>/cpuset`: the path of the task's group in the hierarchy cpuset is bound to.
///
/// # Safety
///
/// Called by procfs with a valid seq_file and a task it holds a reference on.
#[no_mangle]
unsafe extern "C" fn proc_cpuset_show(
    m: *mut bindings::seq_file,
    _ns: *mut bindings::pid_namespace,
    _pid: *mut bindings::pid,
    tsk: *mut bindings::task_struct,
) -> c_int {
    // SAFETY: procfs passes a valid seq_file, ours for the call, and a referenced task.
    let (m, task) = unsafe { (SeqFile::from_raw(m), task(tsk)) };
    from_result(|| cgroup::show_task_group_path(m, task, SubsysId::Cpuset).map(|()| 0))
}

/// The node the current task's next spread page-cache page goes to: its nodes in turn.
#[no_mangle]
extern "C" fn cpuset_mem_spread_node() -> c_int {
    Task::next_spread_node_of_current().map_or(bindings::NUMA_NO_NODE, |n| n.as_u32() as c_int)
}

/// Whether the current task's cpuset is giving its tasks new nodes right now.
#[no_mangle]
extern "C" fn current_cpuset_is_being_rebound() -> bool {
    CPUSET
        .get()
        .is_some_and(|t| (t.is_being_rebound)(crate::current!()))
}

/// Adds `,cpuset=<name>,mems_allowed=<nodes>` to a line being printed (OOM and allocation
/// failure reports).
#[no_mangle]
extern "C" fn cpuset_print_current_mems_allowed() {
    let me = crate::current!();
    let mut buf = [0u8; 64];
    let len = CPUSET.get().and_then(|t| (t.group_name)(me, &mut buf));
    let name = match len {
        Some(n) => &buf[..n],
        None => b"/".as_slice(),
    };
    crate::pr_cont!(
        ",cpuset={},mems_allowed={}",
        crate::str::BStr::from_bytes(name),
        me.mems_allowed().list()
    );
}
