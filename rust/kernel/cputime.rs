// SPDX-License-Identifier: GPL-2.0

//! CPU time accounting: the kinds of CPU time, the kernel's per-CPU totals, and the adjustment
//! of sampled user and system times to a precise total.
//!
//! C headers: [`include/linux/kernel_stat.h`](srctree/include/linux/kernel_stat.h),
//! [`include/linux/sched/cputime.h`](srctree/include/linux/sched/cputime.h)

use crate::{
    alloc::{flags::GFP_KERNEL, KBox},
    bindings,
    error::Result,
    percpu::CpuId,
    types::Opaque,
};
use core::pin::Pin;

/// A kind of CPU time (C's `enum cpu_usage_stat`), as the scheduler accounts it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub enum CpuStat {
    /// User mode.
    User = bindings::cpu_usage_stat_CPUTIME_USER,
    /// User mode, at a positive nice value.
    Nice = bindings::cpu_usage_stat_CPUTIME_NICE,
    /// Kernel mode.
    System = bindings::cpu_usage_stat_CPUTIME_SYSTEM,
    /// Software interrupts.
    Softirq = bindings::cpu_usage_stat_CPUTIME_SOFTIRQ,
    /// Hardware interrupts.
    Irq = bindings::cpu_usage_stat_CPUTIME_IRQ,
    /// Idle.
    Idle = bindings::cpu_usage_stat_CPUTIME_IDLE,
    /// Idle while waiting for I/O.
    Iowait = bindings::cpu_usage_stat_CPUTIME_IOWAIT,
    /// Stolen by the hypervisor.
    Steal = bindings::cpu_usage_stat_CPUTIME_STEAL,
    /// Running a guest.
    Guest = bindings::cpu_usage_stat_CPUTIME_GUEST,
    /// Running a guest at a positive nice value.
    GuestNice = bindings::cpu_usage_stat_CPUTIME_GUEST_NICE,
}

impl CpuStat {
    /// The kind with C index `index`, if it is one of the above.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cputime::CpuStat;
    ///
    /// assert_eq!(CpuStat::from_index(CpuStat::System as u32), Some(CpuStat::System));
    /// assert_eq!(CpuStat::from_index(1000), None);
    /// ```
    pub fn from_index(index: u32) -> Option<Self> {
        const ALL: [CpuStat; 10] = [
            CpuStat::User,
            CpuStat::Nice,
            CpuStat::System,
            CpuStat::Softirq,
            CpuStat::Irq,
            CpuStat::Idle,
            CpuStat::Iowait,
            CpuStat::Steal,
            CpuStat::Guest,
            CpuStat::GuestNice,
        ];
        ALL.into_iter().find(|s| *s as u32 == index)
    }
}

/// The CPU time of kind `stat` that CPU `cpu` has accounted since boot, in nanoseconds
/// (`kcpustat_cpu(cpu).cpustat[stat]`).
pub fn kernel_cpustat(cpu: CpuId, stat: CpuStat) -> u64 {
    // SAFETY: Reads one counter of a possible CPU's statistics; a 64-bit read does not tear.
    unsafe { bindings::kcpustat_cpu_field(cpu.as_u32(), stat as u32) }
}

/// Converts nanoseconds to `USER_HZ` clock ticks, as `/proc` and `times(2)` report them.
///
/// # Examples
///
/// ```
/// use kernel::cputime::nsec_to_clock_t;
///
/// let one_second = nsec_to_clock_t(1_000_000_000);
/// assert!(one_second > 0);
/// assert_eq!(nsec_to_clock_t(0), 0);
/// assert_eq!(nsec_to_clock_t(3_000_000_000), 3 * one_second);
/// ```
pub fn nsec_to_clock_t(ns: u64) -> u64 {
    // SAFETY: A pure computation.
    unsafe { bindings::nsec_to_clock_t(ns) }
}

/// The user and system times last reported for something whose times are sampled by ticks,
/// so that adjusted reports never go backwards (C's `struct prev_cputime`).
pub struct PrevCputime(Pin<KBox<Opaque<bindings::prev_cputime>>>);

// SAFETY: The C object is only used through `cputime_adjust`, which takes its lock.
unsafe impl Send for PrevCputime {}
// SAFETY: As above.
unsafe impl Sync for PrevCputime {}

impl PrevCputime {
    /// Starts with no time reported.
    pub fn new() -> Result<Self> {
        let prev = KBox::pin(Opaque::uninit(), GFP_KERNEL)?;
        // SAFETY: Initialises the object in place, where it stays (pinned) until dropped.
        unsafe { bindings::prev_cputime_init(prev.get()) };
        Ok(PrevCputime(prev))
    }

    /// Splits `sum_exec` (the precise total, in ns) between user and system time in the
    /// proportion of the sampled `utime` and `stime`, never below what was reported before.
    /// Returns `(user, system)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cputime::PrevCputime;
    ///
    /// let prev = PrevCputime::new()?;
    /// assert_eq!(prev.adjust(30, 10, 400), (300, 100));
    /// // Reports do not go backwards.
    /// let (u, s) = prev.adjust(10, 30, 400);
    /// assert!(u >= 300 && s >= 100 && u + s == 400);
    /// // Samples whose sum does not fit in 64 bits are split in the same proportion.
    /// let other = PrevCputime::new()?;
    /// assert_eq!(other.adjust(u64::MAX, u64::MAX, 1000), (500, 500));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn adjust(&self, mut utime: u64, mut stime: u64, sum_exec: u64) -> (u64, u64) {
        // C divides by `utime + stime`: a sum that wraps (to zero, at worst) would divide by
        // zero. Only the proportion matters: halve both until the sum fits.
        while utime.checked_add(stime).is_none() {
            utime /= 2;
            stime /= 2;
        }
        // SAFETY: All zeroes is a valid `task_cputime`.
        let mut curr: bindings::task_cputime = unsafe { core::mem::zeroed() };
        curr.utime = utime;
        curr.stime = stime;
        curr.sum_exec_runtime = sum_exec;
        let (mut ut, mut st) = (0u64, 0u64);
        // SAFETY: `curr` and the outputs are valid; the previous times were initialised by `new`
        // and `cputime_adjust` takes their lock.
        unsafe { bindings::cputime_adjust(&mut curr, self.0.get(), &mut ut, &mut st) };
        (ut, st)
    }
}
