// SPDX-License-Identifier: GPL-2.0

//! Where a task may run and take memory from: its CPU affinity and its memory nodes (C's
//! `cpus_mask` and `mems_allowed`), as cpusets set them, and its memory-spreading flags.
//!
//! # Examples
//!
//! ```
//! use kernel::cpumask::{Cpumask, CpumaskVar};
//! use kernel::nodemask::{NodeState, Nodemask};
//!
//! let me = kernel::current!();
//! // Confine the task to the CPU it runs on, then let it go again.
//! let mut one = CpumaskVar::new_zero(GFP_KERNEL)?;
//! one.set(kernel::cpu::CpuId::current());
//! me.set_cpus_allowed(&one)?;
//! let mut seen = CpumaskVar::new_zero(GFP_KERNEL)?;
//! me.copy_cpus_allowed(&mut seen);
//! assert!(seen.equal(&one));
//! me.set_cpus_allowed(Cpumask::possible())?;
//! // No active CPU at all is refused.
//! one.clear_all();
//! assert_eq!(me.set_cpus_allowed(&one), Err(EINVAL));
//!
//! // Memory nodes: the first node with memory only, then all of them again.
//! let all = Nodemask::state(NodeState::Memory);
//! let before = me.mems_allowed();
//! let first = Nodemask::single(all.first().ok_or(EINVAL)?);
//! me.set_mems_allowed(&first)?;
//! assert_eq!(me.mems_allowed(), first);
//! // No node at all, or a node without memory, is refused, and changes nothing.
//! assert_eq!(me.set_mems_allowed(&Nodemask::new()), Err(EINVAL));
//! if let Some(last) = kernel::nodemask::NodeId::new(kernel::nodemask::MAX_NUMNODES - 1) {
//!     if !all.test(last) {
//!         assert_eq!(me.set_mems_allowed(&Nodemask::single(last)), Err(EINVAL));
//!     }
//! }
//! assert_eq!(me.mems_allowed(), first);
//! me.set_mems_allowed(&before)?;
//! assert_eq!(me.mems_allowed(), before);
//!
//! me.set_spread_page(true);
//! assert!(me.spread_page());
//! me.set_spread_page(false);
//! assert!(!me.spread_page() && !me.spread_slab());
//! assert!(!me.is_deadline());
//! # Ok::<(), Error>(())
//! ```

use super::Task;
use crate::{
    bindings,
    cpumask::Cpumask,
    error::{code::EINVAL, to_result, Result},
    nodemask::{NodeId, Nodemask},
};
use core::ptr;

/// Holds a task's `alloc_lock` (C's `task_lock()`), which guards its `mems_allowed` among other
/// things.
struct TaskLock<'a>(&'a Task);

impl<'a> TaskLock<'a> {
    fn new(task: &'a Task) -> Self {
        // SAFETY: The task is valid (type invariants of `Task`); unlocked in `drop`.
        unsafe { bindings::task_lock(task.as_ptr()) };
        TaskLock(task)
    }
}

impl Drop for TaskLock<'_> {
    fn drop(&mut self) {
        // SAFETY: Locked in `new`.
        unsafe { bindings::task_unlock(self.0.as_ptr()) };
    }
}

impl Task {
    /// Sets the CPUs the task may run on to those of `mask` (C's `set_cpus_allowed_ptr()`),
    /// moving it off a CPU that is no longer among them. `EINVAL` if no CPU of `mask` is
    /// active, or the task's affinity cannot change that way (a per-CPU kernel thread).
    ///
    /// Context: process; may sleep.
    pub fn set_cpus_allowed(&self, mask: &Cpumask) -> Result {
        // SAFETY: The task and the mask are valid for the duration of the call.
        to_result(unsafe { bindings::set_cpus_allowed_ptr(self.as_ptr(), mask.as_raw()) })
    }

    /// Copies the CPUs the task may run on into `mask` (its `cpus_ptr`). Without the
    /// scheduler's locks it may be a moment out of date, as in C.
    ///
    /// Context: any.
    pub fn copy_cpus_allowed(&self, mask: &mut Cpumask) {
        // SAFETY: The task is valid; `cpus_ptr` points to a mask that lives as long as the task
        // (its own `cpus_mask`, or a per-CPU one while migration is disabled).
        let cpus =
            unsafe { Cpumask::as_ref(ptr::addr_of!((*self.as_ptr()).cpus_ptr).read_volatile()) };
        cpus.copy(mask);
    }

    /// The memory nodes the task may allocate from: a consistent copy, taken without locks.
    ///
    /// Context: any.
    pub fn mems_allowed(&self) -> Nodemask {
        let p = self.as_ptr();
        loop {
            // SAFETY: The task is valid; its sequence count is initialised at fork.
            let seq = unsafe { bindings::task_mems_read_begin(p) };
            // SAFETY: The task is valid. The mask may be written concurrently (under the
            // sequence count, which tells us to retry then): a volatile read, as C's plain one.
            let raw = unsafe { ptr::addr_of!((*p).mems_allowed).read_volatile() };
            // SAFETY: As above.
            if !unsafe { bindings::task_mems_read_retry(p, seq) } {
                return Nodemask::from_raw(raw);
            }
        }
    }

    /// Changes the nodes the task may allocate from to `nodes`, and rebinds its memory policy
    /// to them (C's `cpuset_change_task_nodemask()`). While it changes, a reader that does not
    /// retry sees the old nodes together with the new ones, never none.
    ///
    /// `EINVAL`, and nothing changes, unless `nodes` may be allocated from
    /// ([`Nodemask::is_allocatable`]: not empty, only nodes with memory). When the task's nodes
    /// already are `nodes`, nothing is done, as in C (the policy is not rebound either): moving
    /// a task between cpusets with the same nodes costs no lock.
    ///
    /// Context: process or atomic, but not with the task's `alloc_lock` held nor in interrupt
    /// context; does not sleep.
    pub fn set_mems_allowed(&self, nodes: &Nodemask) -> Result {
        if !nodes.is_allocatable() {
            return Err(EINVAL);
        }
        // Read without the lock, as C does: a concurrent change seen half done that happens to
        // read as `nodes` ends after this call, as if this one had been made just before it.
        if self.mems_allowed_racy() == *nodes {
            return Ok(());
        }
        let p = self.as_ptr();
        let _lock = TaskLock::new(self);
        let new = nodes.into_raw();
        // Interrupts off as C's cpuset.c has them: a reader in an interrupt on this CPU would
        // otherwise spin on the odd count. They come back on before the lock is released.
        let _irqs = crate::interrupt::local_interrupt_disable();
        // SAFETY: The task is valid and its `alloc_lock` held, as the writer's side of the
        // sequence count requires, with interrupts off. `mems_allowed` is only written under
        // that lock, and read concurrently by the task itself (hence the volatile accesses).
        unsafe {
            bindings::task_mems_write_begin(p);
            let field = ptr::addr_of_mut!((*p).mems_allowed);
            let both = Nodemask::from_raw(field.read_volatile()).or(nodes);
            field.write_volatile(both.into_raw());
            #[cfg(CONFIG_NUMA)]
            bindings::mpol_rebind_task(p, &new);
            field.write_volatile(new);
            bindings::task_mems_write_end(p);
        }
        Ok(())
    }

    /// The memory nodes the task may allocate from, read without a lock: a word may be stale
    /// while they change, which the page allocator's and the OOM killer's checks tolerate (as
    /// C's plain reads there do). [`Task::mems_allowed`] gives a consistent copy.
    ///
    /// Context: any; hot.
    pub fn mems_allowed_racy(&self) -> Nodemask {
        // SAFETY: The task is valid; the mask is written only under its `alloc_lock` and
        // sequence count, so a volatile read sees each word whole.
        Nodemask::from_raw(unsafe { ptr::addr_of!((*self.as_ptr()).mems_allowed).read_volatile() })
    }

    /// Lets the task allocate from every node, even one without memory yet, with no lock: for
    /// the boot task (C's `cpuset_init_current_mems_allowed()`).
    ///
    /// # Safety
    ///
    /// Nothing else may read or write the task's `mems_allowed` concurrently (the kernel boots
    /// on one CPU with this task alone).
    pub unsafe fn init_mems_allowed(&self) {
        // SAFETY: The task is valid; nobody else uses the field (the caller's promise).
        unsafe {
            ptr::addr_of_mut!((*self.as_ptr()).mems_allowed).write(Nodemask::full().into_raw())
        };
    }

    /// Whether the OOM killer chose the task's process as a victim (C's `tsk_is_oom_victim()`):
    /// it may then allocate outside its nodes.
    pub fn is_oom_victim(&self) -> bool {
        // SAFETY: The task is valid, and so is its `signal`, freed with the task; `oom_mm` is set
        // once, by the OOM killer (a volatile read, as C's `READ_ONCE`-free plain one).
        unsafe {
            !ptr::addr_of!((*(*self.as_ptr()).signal).oom_mm)
                .read_volatile()
                .is_null()
        }
    }

    /// Sets or clears the task's "spread page cache over the nodes" flag (C's
    /// `task_set_spread_page()`), which cpuset's `memory_spread_page` sets.
    pub fn set_spread_page(&self, on: bool) {
        // SAFETY: The task is valid; the flag is set atomically.
        unsafe {
            if on {
                bindings::task_set_spread_page(self.as_ptr())
            } else {
                bindings::task_clear_spread_page(self.as_ptr())
            }
        }
    }

    /// Sets or clears the task's "spread slab pages over the nodes" flag.
    pub fn set_spread_slab(&self, on: bool) {
        // SAFETY: The task is valid; the flag is set atomically.
        unsafe {
            if on {
                bindings::task_set_spread_slab(self.as_ptr())
            } else {
                bindings::task_clear_spread_slab(self.as_ptr())
            }
        }
    }

    /// Whether the task is a deadline task now (C's `dl_task()`).
    pub fn is_deadline(&self) -> bool {
        // SAFETY: The task is valid; the priority changes under the scheduler's locks, hence
        // the volatile read.
        unsafe { ptr::addr_of!((*self.as_ptr()).prio).read_volatile() < 0 }
    }

    fn atomic_flags(&self) -> crate::ffi::c_ulong {
        // SAFETY: The task is valid; the flags change atomically, hence the volatile read.
        unsafe { ptr::addr_of!((*self.as_ptr()).atomic_flags).read_volatile() }
    }

    /// Whether the task spreads its page-cache pages over its nodes.
    pub fn spread_page(&self) -> bool {
        self.atomic_flags() & (1 << bindings::PFA_SPREAD_PAGE) != 0
    }

    /// Whether the task spreads its slab pages over its nodes.
    pub fn spread_slab(&self) -> bool {
        self.atomic_flags() & (1 << bindings::PFA_SPREAD_SLAB) != 0
    }
}

impl Task {
    /// The node of the current task's next spread page-cache page (C's
    /// `cpuset_mem_spread_node()`): its nodes in turn, starting at a node that depends on its
    /// pid; `None` if it has none.
    ///
    /// Context: task context; only the current task's own rotor is used, which nobody else
    /// touches.
    pub fn next_spread_node_of_current() -> Option<NodeId> {
        let me = crate::current!();
        let p = me.as_ptr();
        let mems = me.mems_allowed_racy();
        // SAFETY: The current task is valid; only the task itself uses its rotor.
        let rotor = unsafe { &mut *ptr::addr_of_mut!((*p).cpuset_mem_spread_rotor) };
        let start = NodeId::from_c(*rotor).or_else(|| {
            // Start tasks at different nodes, as C's `node_random()` does.
            let n = me.pid().unsigned_abs() % mems.weight().max(1);
            mems.iter().nth(n as usize)
        });
        let next = mems.next_in(start);
        *rotor = next.map_or(bindings::NUMA_NO_NODE, |n| n.as_u32() as crate::ffi::c_int);
        next
    }
}
