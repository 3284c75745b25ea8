// SPDX-License-Identifier: GPL-2.0

//! The fields of a task that the Rust cgroup core keeps (`rust/kernel/cgroup/cset.rs`), added
//! to `struct task_struct` under `CONFIG_RUST_CGROUPS`.

use super::Task;
use core::ptr;

impl Task {
    /// The boot task (C's `init_task`), which becomes CPU 0's idle task; it is static and lives
    /// for ever.
    pub fn init_task() -> &'static Task {
        // SAFETY: `init_task` is a static task, valid for ever; `Task` is a transparent wrapper
        // of `task_struct`.
        unsafe { &*ptr::addr_of!(bindings::init_task).cast::<Task>() }
    }

    /// The task's scheduler state (`task_struct::__state`: `TASK_RUNNING`,
    /// `TASK_INTERRUPTIBLE`...), read once; it may change at any time.
    pub fn sched_state(&self) -> u32 {
        // SAFETY: A field of a valid task (type invariants), written concurrently by the
        // scheduler: a volatile read, as C's `READ_ONCE()`.
        unsafe { ptr::addr_of!((*self.0.get()).__state).read_volatile() }
    }

    /// Whether the task sleeps waiting for I/O (`task_struct::in_iowait`); it may change at any
    /// time.
    pub fn in_iowait(&self) -> bool {
        // SAFETY: The task is valid (type invariants).
        unsafe { bindings::cgroup_task_in_iowait(self.0.get()) }
    }

    /// The task's css_set (`task_struct::rcg_cset`), a pointer only ever accessed atomically.
    ///
    /// # Safety
    ///
    /// The slot belongs to the cgroup core: it holds null or a css_set on which it owns a
    /// reference, and the core frees what it points to. The caller may only store into it such
    /// a pointer (that is, it must be the core's `cset` module).
    pub(crate) unsafe fn cgroup_cset(&self) -> &core::sync::atomic::AtomicPtr<crate::ffi::c_void> {
        // SAFETY: `rcg_cset` is a pointer-sized, pointer-aligned field of a valid task (type
        // invariants), only ever accessed atomically; the reference lives as long as the task.
        unsafe { &*ptr::addr_of_mut!((*self.0.get()).rcg_cset).cast() }
    }

    /// The task's node in its css_set's task list (`task_struct::rcg_node`). It is initialised
    /// by `cgroup_fork()`, before the new task is visible to anyone else.
    pub fn cgroup_node(&self) -> &crate::clist::ListHead {
        // SAFETY: A field of a valid task (type invariants), which lives as long as the task.
        unsafe { crate::clist::ListHead::from_raw(ptr::addr_of_mut!((*self.0.get()).rcg_node)) }
    }

    /// The task whose [`Task::cgroup_node`] is `node`.
    ///
    /// # Safety
    ///
    /// `node` must be the `rcg_node` of a task that stays valid for `'a`.
    pub unsafe fn from_cgroup_node<'a>(node: *mut bindings::list_head) -> &'a Task {
        // SAFETY: `node` is the `rcg_node` field of a valid task (the caller's promise), and
        // `Task` is a transparent wrapper of `task_struct`.
        unsafe { &*crate::container_of!(node, bindings::task_struct, rcg_node).cast::<Task>() }
    }
}
