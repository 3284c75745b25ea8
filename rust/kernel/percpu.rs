// SPDX-License-Identifier: GPL-2.0

//! Per-CPU variables, allocated at run time.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h)
//!
//! A [`PerCpu<T>`] holds one `T` for every possible CPU. Each is reached by CPU id; which CPU
//! updates which value, and how readers cope with concurrent updates, is up to the user: with
//! atomics updated only by their own CPU (or under that CPU's run-queue lock), a plain
//! load-and-store is enough and costs no locked instruction.
//!
//! # Examples
//!
//! ```
//! use core::sync::atomic::{AtomicU64, Ordering};
//! use kernel::percpu::{possible_cpus, PerCpu};
//!
//! let counters = PerCpu::<AtomicU64>::new()?;
//! for cpu in possible_cpus() {
//!     let c = counters.get(cpu);
//!     c.store(c.load(Ordering::Relaxed) + u64::from(cpu.as_u32()) + 1, Ordering::Relaxed);
//! }
//! let n = possible_cpus().count() as u64;
//! let sum: u64 = possible_cpus()
//!     .map(|cpu| counters.get(cpu).load(Ordering::Relaxed))
//!     .sum();
//! assert_eq!(sum, n * (n + 1) / 2);
//! assert!(possible_cpus().any(|cpu| cpu == kernel::percpu::current_cpu()));
//! # Ok::<(), Error>(())
//! ```

use crate::{
    bindings,
    error::{code::ENOMEM, Result},
};
use core::{marker::PhantomData, mem, ptr};

pub use crate::cpu::{possible_cpus, CpuId};

/// The CPU the caller runs on (see [`CpuId::current`]).
pub fn current_cpu() -> CpuId {
    CpuId::current()
}

/// The address of CPU `cpu`'s copy of the per-CPU object at `ptr` (C's `per_cpu_ptr()`).
///
/// Inlined rather than called through a helper: it is on the scheduler's hot path.
#[inline]
fn per_cpu_ptr<T>(ptr: *mut T, cpu: CpuId) -> *mut T {
    #[cfg(CONFIG_SMP)]
    {
        // SAFETY: `__per_cpu_offset` has `NR_CPUS` entries, set at boot, and the id of a possible
        // CPU is below `nr_cpu_ids <= NR_CPUS` (type invariant of `CpuId`).
        let offset = unsafe {
            ptr::addr_of!(bindings::__per_cpu_offset)
                .cast::<crate::ffi::c_ulong>()
                .add(cpu.as_u32() as usize)
                .read()
        };
        ptr.cast::<u8>().wrapping_add(offset).cast()
    }
    #[cfg(not(CONFIG_SMP))]
    {
        let _ = cpu;
        ptr
    }
}

/// One `T` per possible CPU.
///
/// # Invariants
///
/// `ptr` is a per-CPU allocation of a `T`, initialised for every possible CPU, owned by this
/// object.
pub struct PerCpu<T> {
    ptr: *mut T,
    _p: PhantomData<T>,
}

// SAFETY: The values are reached from any CPU through shared references only, so sending the
// owner is fine when `T` may be sent.
unsafe impl<T: Send> Send for PerCpu<T> {}
// SAFETY: Shared access hands out `&T` to any thread, so `T` must be `Sync`.
unsafe impl<T: Sync> Sync for PerCpu<T> {}

impl<T: Default> PerCpu<T> {
    /// Allocates the values, each `T::default()`.
    pub fn new() -> Result<Self> {
        // SAFETY: Allocates zeroed per-CPU memory of the given size and alignment.
        let ptr =
            unsafe { bindings::alloc_percpu(mem::size_of::<T>().max(1), mem::align_of::<T>()) }
                .cast::<T>();
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        for cpu in possible_cpus() {
            // SAFETY: `ptr` is a per-CPU allocation of a `T`, valid for every possible CPU.
            unsafe { ptr::write(per_cpu_ptr(ptr, cpu), T::default()) };
        }
        // INVARIANT: Allocated and initialised for every possible CPU above.
        Ok(PerCpu {
            ptr,
            _p: PhantomData,
        })
    }
}

impl<T> PerCpu<T> {
    /// The value of CPU `cpu`.
    pub fn get(&self, cpu: CpuId) -> &T {
        // SAFETY: By the type invariants the value of every possible CPU is initialised, and
        // `cpu` is possible; it lives as long as `self`.
        unsafe { &*per_cpu_ptr(self.ptr, cpu) }
    }
}

impl<T> Drop for PerCpu<T> {
    fn drop(&mut self) {
        for cpu in possible_cpus() {
            // SAFETY: Initialised (type invariants) and dropped once, here.
            unsafe { ptr::drop_in_place(per_cpu_ptr(self.ptr, cpu)) };
        }
        // SAFETY: Allocated by `alloc_percpu`, freed once.
        unsafe { bindings::free_percpu(self.ptr.cast()) };
    }
}
