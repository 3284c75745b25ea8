// SPDX-License-Identifier: GPL-2.0

//! Scheduler domains: the sets of CPUs between which the scheduler balances load. A
//! [`Partition`] divides the active CPUs into such domains (CPUs in none are not balanced at
//! all), as cpuset does from its `sched_load_balance` flags.
//!
//! C header: [`include/linux/sched/topology.h`](srctree/include/linux/sched/topology.h)
//!
//! # Examples
//!
//! ```
//! use kernel::cpu;
//! use kernel::cpumask::Cpumask;
//! use kernel::sched_domain::{self, Partition};
//!
//! let hotplug = cpu::hotplug_read_lock();
//! // One domain of every active CPU, with the default relax level: what the kernel has.
//! let mut p = Partition::new(1)?;
//! p.set_domain(0, Cpumask::active())?;
//! assert_eq!(p.set_domain(1, Cpumask::active()), Err(EINVAL));
//! assert!(Cpumask::active().is_subset(sched_domain::housekeeping()));
//! assert_eq!(p.set_relax_level(0, sched_domain::level_max() + 2), Err(EINVAL));
//! p.set_relax_level(0, -1)?;
//! p.apply(&hotplug, |rebuilt| rebuilt.add_deadline_task(kernel::current!()))?;
//! // Domains the scheduler cannot take are refused: an empty one, two that overlap.
//! assert_eq!(Partition::new(1)?.apply(&hotplug, |_| ()), Err(EINVAL));
//! let mut two = Partition::new(2)?;
//! two.set_domain(0, Cpumask::active())?;
//! two.set_domain(1, Cpumask::active())?;
//! assert_eq!(two.apply(&hotplug, |_| ()), Err(EINVAL));
//! // And back to the kernel's own default.
//! sched_domain::apply_default(&hotplug);
//! # Ok::<(), Error>(())
//! ```

use crate::{
    alloc::{flags::GFP_KERNEL, AllocError, KVec},
    bindings,
    cpu::HotplugHeld,
    cpumask::Cpumask,
    error::{code::EINVAL, Result},
    ffi::c_int,
};
use core::ptr::{self, NonNull};

/// The deepest level of scheduler domain the machine has (C's `sched_domain_level_max`): a
/// relax level may be -1 (the default) up to one more than this.
pub fn level_max() -> i32 {
    // SAFETY: A plain integer the scheduler sets while it builds domains; a racy read gives a
    // level that was valid at some point, as it does in C.
    unsafe { ptr::addr_of!(bindings::sched_domain_level_max).read_volatile() }
}

/// The CPUs that may be in scheduler domains: those not isolated from them at boot
/// (`isolcpus=`; C's `housekeeping_cpumask(HK_TYPE_DOMAIN)`).
pub fn housekeeping() -> &'static Cpumask {
    #[cfg(CONFIG_CPU_ISOLATION)]
    {
        // SAFETY: Returns a mask set at boot that lives for ever.
        unsafe {
            Cpumask::as_ref(bindings::housekeeping_cpumask(
                bindings::hk_type_HK_TYPE_DOMAIN,
            ))
        }
    }
    #[cfg(not(CONFIG_CPU_ISOLATION))]
    Cpumask::possible()
}

/// A division of the CPUs into scheduler domains, each with its attributes, built and then
/// handed to the scheduler by [`Partition::apply`].
///
/// # Invariants
///
/// `doms` is an array of `n` masks from `alloc_sched_domains()`, owned by this object;
/// `attrs` is null when `n` is zero, and otherwise a `kmalloc()`ed array of `n` attributes,
/// owned by this object.
pub struct Partition {
    doms: NonNull<bindings::cpumask_var_t>,
    attrs: *mut bindings::sched_domain_attr,
    n: usize,
}

// SAFETY: The arrays are owned and only reached through `&mut self`.
unsafe impl Send for Partition {}

impl Partition {
    /// `n` empty domains, each with the default attributes. May sleep.
    pub fn new(n: usize) -> Result<Self> {
        // The count must fit the `int` that `partition_sched_domains()` takes.
        let count = c_int::try_from(n)
            .ok()
            .and_then(|c| u32::try_from(c).ok())
            .ok_or(EINVAL)?;
        let attrs = if n == 0 {
            ptr::null_mut()
        } else {
            let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
            for _ in 0..n {
                v.push(
                    bindings::sched_domain_attr {
                        relax_domain_level: -1,
                    },
                    GFP_KERNEL,
                )?;
            }
            // The vector's buffer was allocated with `krealloc()` (n > 0): `kfree()` frees it.
            v.into_raw_parts().0
        };
        // SAFETY: Allocates an array of `count` masks, or returns null.
        let doms = unsafe { bindings::alloc_sched_domains(count) };
        let Some(doms) = NonNull::new(doms) else {
            // SAFETY: Allocated above (or null), and not handed out.
            unsafe { bindings::kfree(attrs.cast()) };
            return Err(AllocError.into());
        };
        let this = Self { doms, attrs, n };
        for i in 0..n {
            if let Some(d) = this.raw_domain(i) {
                // SAFETY: A mask owned by the new object, not shared yet.
                unsafe { bindings::cpumask_clear(d) };
            }
        }
        // INVARIANT: Both arrays allocated above, of `n` elements.
        Ok(this)
    }

    /// The number of domains.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there is no domain: no CPU is balanced.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The C mask of domain `i`. With `CONFIG_CPUMASK_OFFSTACK` it has only `cpumask_size()`
    /// bytes (`alloc_sched_domains()`), so it is only reached through C's functions, never as
    /// a `Cpumask`.
    fn raw_domain(&self, i: usize) -> Option<*mut bindings::cpumask> {
        if i >= self.n {
            return None;
        }
        // SAFETY: `i` is in bounds of the owned array (type invariants).
        let var = unsafe { self.doms.as_ptr().add(i) };
        #[cfg(CONFIG_CPUMASK_OFFSTACK)]
        // SAFETY: Each element is a pointer to an allocated mask, owned with the array.
        let mask = unsafe { *var };
        #[cfg(not(CONFIG_CPUMASK_OFFSTACK))]
        let mask = var.cast::<bindings::cpumask>();
        Some(mask)
    }

    /// Makes domain `i` the CPUs of `cpus` (`EINVAL` if there is no domain `i`).
    pub fn set_domain(&mut self, i: usize, cpus: &Cpumask) -> Result {
        let d = self.raw_domain(i).ok_or(EINVAL)?;
        // SAFETY: `d` is a mask owned by this object, borrowed mutably with it; C's copy writes
        // only its `nr_cpumask_bits` bits.
        unsafe { bindings::cpumask_copy(d, cpus.as_raw()) };
        Ok(())
    }

    /// Whether the scheduler can take these domains, as C's callers guarantee: each domain
    /// has CPUs, all of them active and not isolated ([`housekeeping`]), and no CPU is in two
    /// domains. Under the hotplug lock, so that the active CPUs stay put.
    fn check(&self, _hotplug: &HotplugHeld) -> Result {
        let (active, hk) = (Cpumask::active().as_raw(), housekeeping().as_raw());
        for i in 0..self.n {
            let d = self.raw_domain(i).ok_or(EINVAL)?;
            // SAFETY: Masks owned by this object and static ones; C's functions read only
            // their `nr_cpumask_bits` bits.
            let ok = unsafe {
                !bindings::cpumask_empty(d)
                    && bindings::cpumask_subset(d, active)
                    && bindings::cpumask_subset(d, hk)
            };
            if !ok {
                return Err(EINVAL);
            }
            for j in 0..i {
                let e = self.raw_domain(j).ok_or(EINVAL)?;
                // SAFETY: As above.
                if unsafe { bindings::cpumask_intersects(d, e) } {
                    return Err(EINVAL);
                }
            }
        }
        Ok(())
    }

    /// Sets how far from its CPU domain `i` looks for idle CPUs when a task wakes up (C's
    /// `relax_domain_level`): -1 for the default, up to [`level_max`] + 1; `EINVAL` otherwise,
    /// or if there is no domain `i`.
    pub fn set_relax_level(&mut self, i: usize, level: i32) -> Result {
        if i >= self.n || level < -1 || level > level_max() + 1 {
            return Err(EINVAL);
        }
        // SAFETY: `i` is in bounds of the owned array, which is not null since `n > 0`.
        unsafe { (*self.attrs.add(i)).relax_domain_level = level };
        Ok(())
    }

    /// Makes the scheduler use these domains (C's `partition_sched_domains_locked()`), which
    /// takes the arrays over, then calls `readd` to account again the deadline tasks whose
    /// bandwidth the rebuilt root domains forgot. The CPU-hotplug lock must be held, so that the
    /// CPUs cannot change meanwhile. May sleep; `readd` runs with the scheduler's domains mutex
    /// held and may sleep too.
    ///
    /// `EINVAL`, and nothing changes, unless each domain has CPUs, all active and not isolated,
    /// and no two domains share a CPU.
    pub fn apply(self, hotplug: &HotplugHeld, readd: impl FnOnce(&Rebuilt)) -> Result {
        self.check(hotplug)?;
        let this = core::mem::ManuallyDrop::new(self);
        // `new` checked that `n` fits.
        let n = this.n as c_int;
        let mutex = ptr::addr_of_mut!(bindings::sched_domains_mutex);
        // SAFETY: `sched_domains_mutex` is a static mutex, initialised statically; process
        // context.
        unsafe { bindings::mutex_lock(mutex) };
        // SAFETY: Arrays from `alloc_sched_domains()` and `kmalloc()` (or null for none), of
        // `n` elements, whose ownership passes to the scheduler; the hotplug lock and the
        // domains mutex are held. Then the default root domain's deadline bandwidth is
        // recomputed from scratch, as it is for the domains just built.
        unsafe {
            bindings::partition_sched_domains_locked(n, this.doms.as_ptr(), this.attrs);
            bindings::dl_clear_root_domain(ptr::addr_of_mut!(bindings::def_root_domain));
        }
        readd(&Rebuilt(core::marker::PhantomData));
        // SAFETY: Locked above.
        unsafe { bindings::mutex_unlock(mutex) };
        Ok(())
    }
}

/// The scheduler's domains were just rebuilt and its domains mutex is held: deadline tasks
/// must be accounted in their new root domains again ([`Rebuilt::add_deadline_task`]).
pub struct Rebuilt(core::marker::PhantomData<*mut ()>);

impl Rebuilt {
    /// Adds `task`'s deadline bandwidth to its root domain, if it is a deadline task (C's
    /// `dl_add_task_root_domain()`).
    pub fn add_deadline_task(&self, task: &crate::task::Task) {
        // SAFETY: The task is valid; the domains mutex is held (the type's meaning).
        unsafe { bindings::dl_add_task_root_domain(task.as_ptr()) };
    }
}

impl Drop for Partition {
    fn drop(&mut self) {
        // SAFETY: Owned arrays of `n` elements (type invariants), freed once.
        unsafe {
            bindings::free_sched_domains(self.doms.as_ptr(), self.n as u32);
            bindings::kfree(self.attrs.cast());
        }
    }
}

/// Makes the scheduler use its default: one domain of every active CPU that is not isolated.
/// The CPU-hotplug lock must be held. May sleep.
pub fn apply_default(_hotplug: &HotplugHeld) {
    // SAFETY: One domain, null masks and attributes: the documented fallback; the hotplug lock is
    // held.
    unsafe { bindings::partition_sched_domains(1, ptr::null_mut(), ptr::null_mut()) };
}
