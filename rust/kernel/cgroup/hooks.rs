// SPDX-License-Identifier: GPL-2.0

//! Every function that C calls in the core: boot, fork, exit, `/proc/<pid>/cgroup`, and the
//! scheduler's CPU-time hooks (prototypes in `include/linux/cgroup.h`), and the registration
//! of the controllers built in (C's `include/linux/cgroup_subsys.h`).
//!
//! Each turns raw pointers into references, under the rules C guarantees at its call site, and
//! calls safe code of the other modules.

use super::id::{BootList, SubsysId};
use super::{cset, hierarchy, proc, state, subsys};

use crate::{
    bindings, c_str,
    cputime::CpuStat,
    error::{from_result, Result},
    ffi::{c_int, c_uint},
    percpu::CpuId,
    proc_fs::ProcEntry,
    seq_file::SeqFile,
    str::CStr,
    sync::rcu,
    task::Task,
};
use core::ptr;

// The registration functions of the controllers, defined in their crates by
// `cgroup_subsys!`, in id order.
extern "C" {
    #[cfg(CONFIG_RUST_CGROUP_CPUSET)]
    fn rust_cgroup_register_cpuset() -> c_int;
    #[cfg(CONFIG_RUST_CGROUP_CPUACCT)]
    fn rust_cgroup_register_cpuacct() -> c_int;
    #[cfg(CONFIG_RUST_CGROUP_FREEZER)]
    fn rust_cgroup_register_freezer() -> c_int;
    #[cfg(CONFIG_RUST_CGROUP_DEBUG)]
    fn rust_cgroup_register_debug() -> c_int;
    #[cfg(CONFIG_RUST_CGROUP_NS)]
    fn rust_cgroup_register_ns() -> c_int;
}

/// The boot parameters `cgroup_disable=` and `cgroup_no_v1=` (each list of every occurrence,
/// joined), which kernel/cgroup/rust_core.c keeps until `cgroup_init()`.
fn boot_params() -> (BootList, BootList) {
    // SAFETY: Both are NUL-terminated arrays, written only by the `__setup` handlers while the
    // command line is parsed, before `cgroup_init()`; nothing writes them afterwards.
    let (disable, no_v1) = unsafe {
        (
            CStr::from_char_ptr(ptr::addr_of!(bindings::rust_cgroup_disable_param).cast()),
            CStr::from_char_ptr(ptr::addr_of!(bindings::rust_cgroup_no_v1_param).cast()),
        )
    };
    (
        SubsysId::parse_boot_list(disable.as_bytes()),
        SubsysId::parse_boot_list(no_v1.as_bytes()),
    )
}

/// Registers the controllers built in, in id order, but those that `cgroup_disable=` names.
fn register_controllers() {
    let registrations: &[(SubsysId, unsafe extern "C" fn() -> c_int)] = &[
        #[cfg(CONFIG_RUST_CGROUP_CPUSET)]
        (SubsysId::Cpuset, rust_cgroup_register_cpuset),
        #[cfg(CONFIG_RUST_CGROUP_CPUACCT)]
        (SubsysId::Cpuacct, rust_cgroup_register_cpuacct),
        #[cfg(CONFIG_RUST_CGROUP_FREEZER)]
        (SubsysId::Freezer, rust_cgroup_register_freezer),
        #[cfg(CONFIG_RUST_CGROUP_DEBUG)]
        (SubsysId::Debug, rust_cgroup_register_debug),
        #[cfg(CONFIG_RUST_CGROUP_NS)]
        (SubsysId::Ns, rust_cgroup_register_ns),
    ];
    let (disable, no_v1) = boot_params();
    let built = registrations.iter().fold(0, |m, (id, _)| m | id.bit());
    subsys::set_boot_masks(built, no_v1);
    subsys::set_registration_open(true);
    for &(id, register) in registrations {
        let name = id.name();
        if disable.mask & id.bit() != 0 {
            // As C: the controller is listed in /proc/cgroups as disabled, and cannot be bound.
            crate::pr_info!("cgroup: Disabling {} control group subsystem\n", name);
            continue;
        }
        if no_v1.mask & id.bit() != 0 {
            crate::pr_info!(
                "cgroup: Disabling {} control group subsystem in v1 mounts\n",
                name
            );
        }
        // SAFETY: Each is the registration function `cgroup_subsys!` defines, which takes no
        // argument and may be called at boot once the core is set up.
        let ret = unsafe { register() };
        if ret != 0 {
            crate::pr_err!("cgroup: controller {} failed to register: {}\n", name, ret);
        }
    }
    subsys::set_registration_open(false);
}

/// Sets up control groups; called once from `start_kernel()`, after the scheduler and procfs
/// are set up and before the first fork.
///
/// Returns 0 or a negative errno, which the caller ignores as it does for the C implementation.
#[no_mangle]
extern "C" fn cgroup_init() -> c_int {
    let result = (|| -> Result {
        let core = state::init(hierarchy::new_dummy()?, cset::CsetTable::new())?;
        let init_task = Task::init_task();
        cset::init(core, &core.state.lock(), init_task)?;
        register_controllers();
        ProcEntry::new_single::<proc::ProcCgroups>(c_str!("cgroups"), 0o444)?.keep_forever();
        super::fs::register()?;
        // Where user space mounts hierarchies, as with the C implementation.
        #[cfg(CONFIG_SYSFS)]
        crate::kernfs::create_sysfs_mount_point(c_str!("cgroup"))?;
        Ok(())
    })();
    match result {
        Ok(()) => 0,
        Err(e) => {
            crate::pr_err!("cgroup: initialisation failed: {:?}\n", e);
            e.to_errno()
        }
    }
}

/// # Safety
///
/// `p` must be the task being created by `copy_process()`.
#[no_mangle]
unsafe extern "C" fn cgroup_fork(p: *mut bindings::task_struct) {
    // SAFETY: `p` is valid (caller) and `Task` is a transparent wrapper.
    cset::fork_init(unsafe { &*p.cast::<Task>() });
}

/// Every `CLONE_NEW*` flag: a `clone()` or `unshare()` with any of them gives the task new
/// namespaces.
const CLONE_NEW_ANY: u32 = bindings::CLONE_NEWNS
    | bindings::CLONE_NEWUTS
    | bindings::CLONE_NEWIPC
    | bindings::CLONE_NEWUSER
    | bindings::CLONE_NEWPID
    | bindings::CLONE_NEWNET
    | bindings::CLONE_NEWCGROUP
    | bindings::CLONE_NEWTIME;

/// Takes the threadgroup rwsem for reading (until `cgroup_post_fork()` or
/// `cgroup_cancel_fork()`), asks the controllers, and gives the child a reference on its
/// parent's set.
///
/// With a `CLONE_NEW*` flag, while a controller that wants it ([`subsys::newns_active`], the
/// `ns` controller) is bound to a live hierarchy, the child's own group there is made first,
/// with the core mutex, which is then held until `cgroup_post_fork()` or
/// `cgroup_cancel_fork()` (taken before the rwsem, as the lock order wants), and the child
/// gets the set with that group instead of its parent's.
///
/// # Safety
///
/// `p` must be the task being created by the current task, and `args` its valid clone
/// arguments.
#[no_mangle]
unsafe extern "C" fn cgroup_can_fork(
    p: *mut bindings::task_struct,
    args: *mut bindings::kernel_clone_args,
) -> c_int {
    // SAFETY: `p` and `args` are valid (caller); `Task` is a transparent wrapper.
    let (child, flags) = unsafe { (&*p.cast::<Task>(), (*args).flags) };
    let own = if flags & u64::from(CLONE_NEW_ANY) != 0 && subsys::newns_active() {
        match super::migrate::fork_prepare(child) {
            Ok(own) => own,
            Err(e) => return e.to_errno(),
        }
    } else {
        None
    };
    let rwsem = super::state::threadgroup_rwsem();
    rwsem.read().leak();
    // The current task's set cannot change: moving it needs the rwsem for writing.
    let Some(set) = own.or_else(|| cset::task_cset_ref(crate::current!())) else {
        return 0;
    };
    if let Err(e) = subsys::can_fork(&set, child) {
        // SAFETY: The read lock taken above.
        unsafe { rwsem.read_unlock() };
        super::migrate::fork_finish(child, Some(&set));
        return e.to_errno();
    }
    cset::fork_assign(child, set);
    0
}

/// Undoes `cgroup_can_fork()` for a fork that failed.
///
/// # Safety
///
/// `p` must be a task for which `cgroup_can_fork()` succeeded.
#[no_mangle]
unsafe extern "C" fn cgroup_cancel_fork(
    p: *mut bindings::task_struct,
    _args: *mut bindings::kernel_clone_args,
) {
    // SAFETY: `p` is valid (caller) and `Task` is a transparent wrapper.
    let child = unsafe { &*p.cast::<Task>() };
    let set = cset::fork_unassign(child);
    if let Some(set) = &set {
        subsys::cancel_fork(set, child, u32::MAX);
    }
    // SAFETY: The read lock taken by `cgroup_can_fork`.
    unsafe { super::state::threadgroup_rwsem().read_unlock() };
    // The group made for the child, if any, goes (with the core mutex still held).
    super::migrate::fork_finish(child, set.as_deref());
}

/// Links the new task into its set (from now on it is listed in its groups) and runs the
/// controllers' `fork` callbacks.
///
/// # Safety
///
/// `p` must be a task for which `cgroup_can_fork()` succeeded.
#[no_mangle]
unsafe extern "C" fn cgroup_post_fork(
    p: *mut bindings::task_struct,
    _args: *mut bindings::kernel_clone_args,
) {
    // SAFETY: `p` is valid (caller) and `Task` is a transparent wrapper.
    let child = unsafe { &*p.cast::<Task>() };
    if let Some(core) = state::core() {
        cset::fork_link(core, child);
        if subsys::has_task_hooks() {
            // The child's set cannot change before the rwsem is released: moving it needs the
            // rwsem for writing.
            if let Some(set) = cset::task_cset_ref(child) {
                subsys::task_hook(&set, child, false);
            }
        }
    }
    // SAFETY: The read lock taken by `cgroup_can_fork`.
    unsafe { super::state::threadgroup_rwsem().read_unlock() };
    // Releases the core mutex if `cgroup_can_fork()` took it for the child's own group.
    super::migrate::fork_finish(child, None);
}

/// `unshare()` made new namespaces (`flags`: what it was asked for) and is about to install
/// them: moves the current task into its own new group of the hierarchy of the controller that
/// wants it (the `ns` controller), if that is bound to a live hierarchy. Returns 0 or a
/// negative errno, which fails the `unshare()` before anything is installed.
#[no_mangle]
extern "C" fn cgroup_unshare_namespaces(flags: u64) -> c_int {
    if flags & u64::from(CLONE_NEW_ANY) == 0 || !subsys::newns_active() {
        return 0;
    }
    match super::migrate::unshare_current() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Unlinks an exiting task (it leaves `tasks` and `cgroup.procs` at once) and runs the
/// controllers' `exit` callbacks.
///
/// # Safety
///
/// `tsk` must be the exiting current task.
#[no_mangle]
unsafe extern "C" fn cgroup_exit(tsk: *mut bindings::task_struct) {
    // SAFETY: `tsk` is valid (caller) and `Task` is a transparent wrapper.
    let task = unsafe { &*tsk.cast::<Task>() };
    let Some(core) = state::core() else {
        return;
    };
    cset::exit_unlink(core, task);
    if subsys::has_task_hooks() {
        // An exiting task is not moved any more (moves skip it); holding the rwsem keeps root
        // states from changing groups under the callbacks.
        let _tg = super::state::threadgroup_rwsem().read();
        if let Some(set) = cset::task_cset_ref(task) {
            subsys::task_hook(&set, task, true);
        }
    }
}

/// Drops a dead task's reference on its set. Any context (the last reference to a task may
/// be dropped from an RCU callback).
///
/// # Safety
///
/// `tsk` must be a task whose last reference is being dropped.
#[no_mangle]
unsafe extern "C" fn cgroup_free(tsk: *mut bindings::task_struct) {
    // SAFETY: `tsk` is valid (caller) and `Task` is a transparent wrapper.
    cset::free(unsafe { &*tsk.cast::<Task>() });
}

/// Whether `task` must freeze because of its freezer group (`include/linux/freezer.h`).
///
/// # Safety
///
/// `task` must be valid.
#[cfg(CONFIG_RUST_CGROUP_FREEZER)]
#[no_mangle]
unsafe extern "C" fn cgroup_freezing(task: *mut bindings::task_struct) -> bool {
    // SAFETY: `task` is valid (caller) and `Task` is a transparent wrapper.
    super::api::freezing(unsafe { &*task.cast::<Task>() })
}

/// taskstats' `CGROUPSTATS_CMD_GET`: counts the tasks of the group whose directory `dentry` is,
/// by state, into `stats`: `EINVAL` unless `dentry` is a directory of a `cgroup` filesystem,
/// `ENOENT` for a removed group. Process context.
///
/// # Safety
///
/// `stats` must be valid and ours for the call (taskstats zeroes it first), `dentry` valid for
/// the call (the path of a file taskstats holds open).
#[no_mangle]
unsafe extern "C" fn cgroupstats_build(
    stats: *mut bindings::cgroupstats,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: As promised by the caller. Only a `cgroup` filesystem's nodes count (not the
    // legacy `cpuset` one's), as in C.
    let (stats, node) = unsafe {
        (
            &mut *stats,
            crate::kernfs::node_of_dentry(dentry, super::fs::cgroup_fs_type()),
        )
    };
    from_result(|| {
        let s = proc::group_task_states(node.ok_or(crate::error::code::EINVAL)?)?;
        stats.nr_running = s.running;
        stats.nr_sleeping = s.sleeping;
        stats.nr_uninterruptible = s.uninterruptible;
        stats.nr_stopped = s.stopped;
        stats.nr_io_wait = s.io_wait;
        Ok(0)
    })
}

/// `/proc/<pid>/cgroup`.
///
/// # Safety
///
/// Called by procfs with a valid seq_file and a task it holds a reference on.
#[no_mangle]
unsafe extern "C" fn proc_cgroup_show(
    m: *mut bindings::seq_file,
    _ns: *mut bindings::pid_namespace,
    _pid: *mut bindings::pid,
    tsk: *mut bindings::task_struct,
) -> c_int {
    // SAFETY: procfs passes a valid seq_file, ours for the call, and a referenced task.
    let (m, task) = unsafe { (SeqFile::from_raw(m), &*tsk.cast::<Task>()) };
    from_result(|| proc::show_task_cgroups(m, task).map(|()| 0))
}

/// Charges `delta_exec` ns that `task` just ran on `cpu` to its groups; called by the
/// scheduler with the task's run-queue lock held, through the inline `cgroup_account_cputime()`
/// of `include/linux/cgroup.h`, which reads `cpu` (`task_cpu()`) as C's cpuacct does. Called
/// at every context switch: without a controller that charges time it returns after one load,
/// and it makes no call of its own before a controller's (see `subsys::charge`).
///
/// # Safety
///
/// `task` must be a valid task whose run-queue lock the caller holds, and `cpu` its CPU.
#[no_mangle]
unsafe extern "C" fn rust_cgroup_account_cputime(
    task: *mut bindings::task_struct,
    cpu: c_uint,
    delta_exec: u64,
) {
    // SAFETY: `task` is valid and `cpu` its CPU, a possible one (caller). The run-queue lock (a
    // raw spinlock, taken with interrupts off) makes this an RCU read-side critical section,
    // so the guard only documents it.
    let (rcu, task, cpu) = unsafe {
        (
            rcu::Guard::assume_held(),
            &*task.cast::<Task>(),
            CpuId::from_u32_unchecked(cpu),
        )
    };
    subsys::charge(task, cpu, None, delta_exec, &rcu);
}

/// Accounts `delta_exec` ns of CPU time of kind `index` of `task` on the current CPU; called
/// from the tick with interrupts off.
///
/// # Safety
///
/// `task` must be valid.
#[no_mangle]
unsafe extern "C" fn cgroup_account_cputime_field(
    task: *mut bindings::task_struct,
    index: bindings::cpu_usage_stat,
    delta_exec: u64,
) {
    let Some(stat) = CpuStat::from_index(index) else {
        return;
    };
    let cpu = crate::percpu::current_cpu();
    let rcu = rcu::read_lock();
    // SAFETY: `task` is valid (caller) and `Task` is a transparent wrapper.
    let task = unsafe { &*task.cast::<Task>() };
    subsys::charge(task, cpu, Some(stat), delta_exec, &rcu);
}
