// SPDX-License-Identifier: GPL-2.0

//! CPUs: ids, the possible CPUs, and the CPU-hotplug lock.
//!
//! C header: [`include/linux/cpu.h`](srctree/include/linux/cpu.h)
//!
//! # Examples
//!
//! ```
//! use kernel::cpu::{self, CpuId};
//!
//! let me = CpuId::current();
//! assert!(cpu::possible_cpus().any(|c| c == me));
//! assert_eq!(CpuId::from_u32(me.as_u32()), Some(me));
//! assert_eq!(CpuId::from_u32(u32::MAX), None);
//! assert_eq!(CpuId::from_u32(cpu::nr_cpu_ids()), None);
//! // SAFETY: The id of the current CPU is a possible CPU's.
//! assert_eq!(unsafe { CpuId::from_u32_unchecked(me.as_u32()) }, me);
//! assert!(me.as_u32() < cpu::nr_cpu_ids());
//! {
//!     // CPUs neither come nor go while the guard is held.
//!     let _hotplug = cpu::hotplug_read_lock();
//!     assert!(kernel::cpumask::Cpumask::online().test(me));
//! }
//! ```

use crate::bindings;
use core::marker::PhantomData;

/// The number of CPU ids: one more than the highest possible CPU's (C's `nr_cpu_ids`, set
/// once at boot).
///
/// C makes `nr_cpu_ids` a constant, `NR_CPUS`, on kernels built for one CPU and with
/// `CONFIG_FORCE_NR_CPUS`; it is a variable otherwise.
#[inline]
pub fn nr_cpu_ids() -> u32 {
    #[cfg(any(CONFIG_NR_CPUS = "1", CONFIG_FORCE_NR_CPUS))]
    {
        bindings::NR_CPUS
    }
    #[cfg(not(any(CONFIG_NR_CPUS = "1", CONFIG_FORCE_NR_CPUS)))]
    // SAFETY: Reading `nr_cpu_ids`, set once at boot before any Rust code runs.
    unsafe {
        bindings::nr_cpu_ids
    }
}

/// The id of a possible CPU.
///
/// # Invariants
///
/// The id is below `nr_cpu_ids` and names a possible CPU.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct CpuId(u32);

impl CpuId {
    /// The id as a number.
    #[inline]
    pub fn as_u32(self) -> u32 {
        self.0
    }

    /// The CPU with id `id`, if it is possible.
    #[inline]
    pub fn from_u32(id: u32) -> Option<Self> {
        let nr = nr_cpu_ids();
        // SAFETY: `cpu_possible` only tests a bit of the possible mask, for an id in range.
        // INVARIANT: Checked here.
        (id < nr && unsafe { bindings::cpu_possible(id) }).then_some(CpuId(id))
    }

    /// The CPU with id `id`, without checking it: for ids that C hands over as a CPU's, such
    /// as `task_cpu()` in the scheduler's hot paths, where the check would cost a call.
    ///
    /// # Safety
    ///
    /// `id` must be the id of a possible CPU.
    #[inline]
    pub unsafe fn from_u32_unchecked(id: u32) -> Self {
        // INVARIANT: The caller guarantees it.
        CpuId(id)
    }

    /// The CPU with id `id`, if it is possible (a negative id is not).
    pub fn from_i32(id: i32) -> Option<Self> {
        u32::try_from(id).ok().and_then(Self::from_u32)
    }

    /// The CPU the caller runs on. Unless preemption is disabled it may be another one by the
    /// time it is used, but it stays a possible CPU.
    pub fn current() -> Self {
        // SAFETY: Reads the current CPU's id, with no other effect.
        let id = unsafe { bindings::raw_smp_processor_id() };
        // INVARIANT: A CPU that runs code is possible.
        CpuId(id)
    }
}

/// The possible CPUs, in increasing order.
pub fn possible_cpus() -> impl Iterator<Item = CpuId> {
    (0..nr_cpu_ids()).filter_map(CpuId::from_u32)
}

/// Proof that the CPU-hotplug lock is held, for reading or for writing (C's
/// `lockdep_assert_cpus_held()`): no CPU comes online or goes offline while it exists. Functions
/// that C documents as "call with the hotplug lock held" take a `&HotplugHeld`.
pub struct HotplugHeld(PhantomData<*mut ()>);

impl HotplugHeld {
    /// Asserts that the caller holds the CPU-hotplug lock.
    ///
    /// # Safety
    ///
    /// The current task must hold the CPU-hotplug lock, for reading or writing, for as long as
    /// the returned value exists (for example, in a callback that C runs under
    /// `cpus_write_lock()`).
    pub unsafe fn assume_held() -> Self {
        HotplugHeld(PhantomData)
    }
}

/// Holds the CPU-hotplug lock for reading (C's `cpus_read_lock()`): no CPU comes online or goes
/// offline until it is dropped. It may sleep.
pub struct HotplugReadGuard(HotplugHeld);

/// Takes the CPU-hotplug lock for reading.
pub fn hotplug_read_lock() -> HotplugReadGuard {
    // SAFETY: Paired with the unlock in `drop`; may sleep, in process context.
    unsafe { bindings::cpus_read_lock() };
    HotplugReadGuard(HotplugHeld(PhantomData))
}

impl core::ops::Deref for HotplugReadGuard {
    type Target = HotplugHeld;

    fn deref(&self) -> &HotplugHeld {
        &self.0
    }
}

impl Drop for HotplugReadGuard {
    fn drop(&mut self) {
        // SAFETY: Taken by `hotplug_read_lock`.
        unsafe { bindings::cpus_read_unlock() };
    }
}
