// SPDX-License-Identifier: GPL-2.0

//! The functions and variables of `include/linux/cpuset.h` that the rest of the kernel uses:
//! the scheduler (`cpuset_cpus_allowed()`), the page allocator and memory policies
//! (`cpuset_node_allowed()`, `cpuset_mems_allowed()`...), CPU hotplug, `/proc` and the static
//! keys that keep all of it off the hot paths while no cpuset exists.
//!
//! Each answers from the task alone where C does (its `mems_allowed`), and otherwise asks the
//! registered controller ([`super::super::api::CpusetApi`]) under RCU; without one, it answers
//! as C's `!CONFIG_CPUSETS` stubs do.

use super::super::api;
use crate::{
    bindings,
    cpumask::Cpumask,
    error::from_result,
    ffi::{c_int, c_uint},
    jump_label::StaticKeyFalse,
    nodemask::{NodeId, NodeState, Nodemask, MAX_NUMNODES},
    seq_file::SeqFile,
    sync::{lock::Guard, rcu},
    task::Task,
};
use core::{ptr, sync::atomic::AtomicI32};

/// C's `cpusets_pre_enable_key`: on while an online cpuset that is not a top group exists;
/// turned on before [`CPUSETS_ENABLED_KEY`] and off after it, so that
/// `read_mems_allowed_begin()` sees the sequence count whenever `read_mems_allowed_retry()`
/// checks it.
#[export_name = "cpusets_pre_enable_key"]
pub(in crate::cgroup) static CPUSETS_PRE_ENABLE_KEY: StaticKeyFalse = StaticKeyFalse::new();

/// C's `cpusets_enabled_key` (`cpusets_enabled()`): the page allocator checks nodes only while
/// it is on.
#[export_name = "cpusets_enabled_key"]
pub(in crate::cgroup) static CPUSETS_ENABLED_KEY: StaticKeyFalse = StaticKeyFalse::new();

/// C's `cpusets_insane_config_key`: for configurations the allocator cannot serve (movable-only
/// nodes); v1 cpusets with such nodes are not supported here, so it stays off.
#[export_name = "cpusets_insane_config_key"]
static CPUSETS_INSANE_CONFIG_KEY: StaticKeyFalse = StaticKeyFalse::new();

/// C's `cpuset_memory_pressure_enabled` (an `int`): whether the page allocator reports direct
/// reclaim to cpuset (`cpuset_memory_pressure_bump()`).
#[export_name = "cpuset_memory_pressure_enabled"]
pub(in crate::cgroup) static MEMORY_PRESSURE_ENABLED: AtomicI32 = AtomicI32::new(0);

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
    if let Some(t) = api::table() {
        (t.init_smp)();
    }
}

/// Called by the scheduler on the last CPU of a resume.
#[no_mangle]
extern "C" fn cpuset_force_rebuild() {
    if let Some(t) = api::table() {
        (t.force_rebuild)();
    }
}

/// Called by the scheduler when a CPU goes online or offline, with the CPU-hotplug lock held
/// for writing.
#[no_mangle]
extern "C" fn cpuset_update_active_cpus() {
    match api::table() {
        Some(t) => {
            // SAFETY: The scheduler calls this with the hotplug lock held for writing, until it
            // returns.
            let hotplug = unsafe { crate::cpu::HotplugHeld::assume_held() };
            (t.cpus_changed)(&hotplug)
        }
        // SAFETY: The hotplug lock is held (our caller's rule); null masks and attributes
        // select the default domain.
        None => unsafe { bindings::partition_sched_domains(1, ptr::null_mut(), ptr::null_mut()) },
    }
}

/// Builds the scheduler domains again; process context, no lock held.
#[no_mangle]
extern "C" fn rebuild_sched_domains() {
    match api::table() {
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
unsafe extern "C" fn inc_dl_tasks_cs(task: *mut bindings::task_struct) {
    // SAFETY: Valid (the caller's promise).
    unsafe { deadline_task(task, true) };
}

/// `task` stopped being a `SCHED_DEADLINE` task; see [`inc_dl_tasks_cs`].
///
/// # Safety
///
/// `task` must be valid.
#[no_mangle]
unsafe extern "C" fn dec_dl_tasks_cs(task: *mut bindings::task_struct) {
    // SAFETY: Valid (the caller's promise).
    unsafe { deadline_task(task, false) };
}

/// # Safety
///
/// `p` must be valid.
unsafe fn deadline_task(p: *mut bindings::task_struct, joined: bool) {
    // SAFETY: Valid (the caller's promise).
    let task = unsafe { task(p) };
    let guard = rcu::read_lock();
    if let Some((t, css)) = api::cpuset_of(task, &guard) {
        (t.deadline_task)(css, joined);
    }
}

/// Takes the cpuset mutex until [`cpuset_unlock`] (the scheduler, around admitting a deadline
/// task). Process context; may sleep.
#[no_mangle]
extern "C" fn cpuset_lock() {
    if let Some(m) = api::cpuset_mutex() {
        // Released by `cpuset_unlock()`, which C always calls after this one, in the same task.
        core::mem::forget(m.lock());
    }
}

/// Releases the cpuset mutex taken by [`cpuset_lock`].
#[no_mangle]
extern "C" fn cpuset_unlock() {
    if let Some(m) = api::cpuset_mutex() {
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
    // SAFETY: Valid and ours for the call (the caller's promise). With
    // `CONFIG_CPUMASK_OFFSTACK` the scheduler's mask may have only `cpumask_size()` bytes: the
    // controller only writes it through C's functions (a known limit, see
    // Documentation/cgroups.rst).
    let (task, mask) = unsafe { (task(p), Cpumask::as_mut_ref(mask)) };
    let guard = rcu::read_lock();
    let mut confined = false;
    if let Some((t, css)) = api::cpuset_of(task, &guard) {
        if css.parent_raw().is_some() {
            (t.online_cpus)(css, mask);
            confined = !mask.is_empty();
        }
    }
    if !confined {
        Cpumask::possible().copy(mask);
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
    let guard = rcu::read_lock();
    let mems = api::cpuset_of(task, &guard).and_then(|(t, css)| (t.online_mems)(css));
    mems.unwrap_or_else(|| Nodemask::state(NodeState::Memory))
        .into_raw()
}

/// Lets the boot task allocate from every node, before anything else runs.
#[no_mangle]
extern "C" fn cpuset_init_current_mems_allowed() {
    let p = crate::current!().as_ptr();
    // SAFETY: Called once while the kernel boots on one CPU, before anything reads the field
    // concurrently. (`Task::set_mems_allowed()` refuses nodes without memory, which every
    // node may still be this early, and takes the task's lock.)
    unsafe { ptr::addr_of_mut!((*p).mems_allowed).write(Nodemask::full().into_raw()) };
}

/// The nodes of `p`'s `mems_allowed`, read without a lock: a single word may be stale, as in
/// C, which tolerates it on these paths.
///
/// # Safety
///
/// `p` must be valid.
unsafe fn racy_mems(p: *const bindings::task_struct) -> Nodemask {
    // SAFETY: Valid (the caller's promise); written only under the task's `alloc_lock` and
    // sequence count, so a volatile read sees each word whole.
    Nodemask::from_raw(unsafe { ptr::addr_of!((*p).mems_allowed).read_volatile() })
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
    let me = crate::current!().as_ptr();
    // SAFETY: Valid (the caller's promise); the current task is valid.
    let (mask, mine) = unsafe { (Nodemask::from_raw(*nodemask), racy_mems(me)) };
    c_int::from(mask.intersects(&mine))
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
    let p = me.as_ptr();
    // SAFETY: The current task is valid.
    if unsafe { racy_mems(p) }.test(node) {
        return true;
    }
    // SAFETY: The current task's `signal` is valid while it runs; `oom_mm` is set once, by the
    // OOM killer (C's `tsk_is_oom_victim()`).
    if unsafe {
        !ptr::addr_of!((*(*p).signal).oom_mm)
            .read_volatile()
            .is_null()
    } {
        return true;
    }
    if gfp & bindings::__GFP_HARDWALL != 0 {
        return false;
    }
    if me.is_exiting() {
        return true;
    }
    let guard = rcu::read_lock();
    api::cpuset_of(me, &guard)
        .and_then(|(t, css)| (t.hardwall_mems)(css))
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
    let (a, b) = unsafe { (racy_mems(t1), racy_mems(t2)) };
    c_int::from(a.intersects(&b))
}

/// The current task entered direct reclaim while `memory_pressure_enabled` is set.
#[no_mangle]
extern "C" fn __cpuset_memory_pressure_bump() {
    let guard = rcu::read_lock();
    if let Some((t, css)) = api::cpuset_of(crate::current!(), &guard) {
        (t.memory_pressure_bump)(css);
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

/// `/proc/<pid>/cpuset`.
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
    from_result(|| super::super::proc::show_task_cpuset(m, task).map(|()| 0))
}

/// The node the current task's next spread page-cache page goes to: its nodes in turn.
#[no_mangle]
extern "C" fn cpuset_mem_spread_node() -> c_int {
    let p = crate::current!().as_ptr();
    // SAFETY: The current task is valid; only the task itself uses its rotor.
    unsafe {
        let rotor = ptr::addr_of_mut!((*p).cpuset_mem_spread_rotor);
        let mems = racy_mems(p);
        let start = NodeId::from_c(*rotor).or_else(|| {
            // Start tasks at different nodes, as C's `node_random()` does.
            let n = (*p).pid.unsigned_abs() % mems.weight().max(1);
            mems.iter().nth(n as usize)
        });
        let next = mems
            .next_in(start)
            .map_or(bindings::NUMA_NO_NODE, |n| n.as_u32() as c_int);
        *rotor = next;
        next
    }
}

/// Whether the current task's cpuset is giving its tasks new nodes right now.
#[no_mangle]
extern "C" fn current_cpuset_is_being_rebound() -> bool {
    let guard = rcu::read_lock();
    api::cpuset_of(crate::current!(), &guard).is_some_and(|(t, css)| (t.is_being_rebound)(css))
}

/// Adds `,cpuset=<name>,mems_allowed=<nodes>` to a line being printed (OOM and allocation
/// failure reports).
#[no_mangle]
extern "C" fn cpuset_print_current_mems_allowed() {
    let me = crate::current!();
    let mut name = [0u8; 64];
    let guard = rcu::read_lock();
    let group = api::cpuset_of(me, &guard).map(|(_, css)| css.cgroup());
    let name = match group.map(|g| g.name_into(&mut name)) {
        Some(Ok(n)) => n,
        _ => b"/".as_slice(),
    };
    crate::pr_cont!(
        ",cpuset={},mems_allowed={}",
        crate::str::BStr::from_bytes(name),
        me.mems_allowed().list()
    );
}
