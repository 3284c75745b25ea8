// SPDX-License-Identifier: GPL-2.0

//! The cpuacct controller: the CPU time used by the tasks of each group.
//!
//! The scheduler charges every task's run time to its group and all the group's ancestors
//! ([`Subsystem::charge`]), and the tick sorts it into user and system time
//! ([`Subsystem::account_field`]). Both update per-CPU counters owned by the CPU being charged
//! (under its run-queue lock or with interrupts off): no lock, no allocation and no locked
//! instruction, at a cost linear in the depth of the group.
//!
//! The top group's usage is charged like any other, while its user and system times are the
//! kernel's own per-CPU totals, which cannot be reset.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::c_str;
use kernel::cgroup::{Cftype, Cgroup, Css, SubsysId, Subsystem};
use kernel::cputime::{self, CpuStat, PrevCputime};
use kernel::percpu::{possible_cpus, CpuId, PerCpu};
use kernel::prelude::*;
use kernel::seq_file::SeqFile;
use kernel::seq_print;

kernel::cgroup_subsys!(Cpuacct, rust_cgroup_register_cpuacct);

/// The kinds of CPU time counted per group: user (with nice) and system (with interrupts).
const STATS: [CpuStat; 5] = [
    CpuStat::User,
    CpuStat::Nice,
    CpuStat::System,
    CpuStat::Softirq,
    CpuStat::Irq,
];

/// One CPU's counters of one group, in nanoseconds.
///
/// Each is written only by its own CPU (or with its run-queue lock held), so a relaxed load and
/// store update it; readers on other CPUs see whole 64-bit values.
#[derive(Default)]
struct Counters {
    usage: AtomicU64,
    stat: [AtomicU64; STATS.len()],
}

fn add(counter: &AtomicU64, delta: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(delta),
        Ordering::Relaxed,
    );
}

/// What is read: the total, or one side of the user/system split.
#[derive(Clone, Copy, PartialEq)]
enum Index {
    User,
    System,
    Total,
}

struct State {
    counters: PerCpu<Counters>,
    /// Keeps `stat` monotonic.
    prev: PrevCputime,
}

struct Cpuacct;

#[vtable]
impl Subsystem for Cpuacct {
    type State = State;

    const ID: SubsysId = SubsysId::Cpuacct;

    const FILES: &'static [Cftype<Self>] = &[
        Cftype::new(c_str!("usage"))
            .read_u64(usage)
            .write_u64(reset),
        Cftype::new(c_str!("usage_user")).read_u64(usage_user),
        Cftype::new(c_str!("usage_sys")).read_u64(usage_sys),
        Cftype::new(c_str!("usage_percpu")).seq_show(usage_percpu),
        Cftype::new(c_str!("usage_percpu_user")).seq_show(usage_percpu_user),
        Cftype::new(c_str!("usage_percpu_sys")).seq_show(usage_percpu_sys),
        Cftype::new(c_str!("usage_all")).seq_show(usage_all),
        Cftype::new(c_str!("stat")).seq_show(stat),
    ];

    fn css_alloc(_parent: Option<&Css<Self>>, _cgroup: &Cgroup) -> Result<KBox<State>> {
        Ok(KBox::new(
            State {
                counters: PerCpu::new()?,
                prev: PrevCputime::new()?,
            },
            GFP_KERNEL,
        )?)
    }

    fn charge(css: &Css<Self>, cpu: CpuId, delta: u64) {
        let mut ca = Some(css);
        while let Some(c) = ca {
            add(&c.state().counters.get(cpu).usage, delta);
            ca = c.parent();
        }
    }

    fn account_field(css: &Css<Self>, cpu: CpuId, stat: CpuStat, delta: u64) {
        let Some(i) = STATS.iter().position(|s| *s == stat) else {
            return;
        };
        // The top group reads the kernel's totals instead.
        let mut ca = Some(css);
        while let Some(c) = ca {
            let Some(parent) = c.parent() else { break };
            add(&c.state().counters.get(cpu).stat[i], delta);
            ca = Some(parent);
        }
    }
}

/// The time of kind `stat` charged to the group of `css` on CPU `cpu`.
fn stat_of(css: &Css<Cpuacct>, cpu: CpuId, i: usize) -> u64 {
    if css.parent().is_none() {
        return cputime::kernel_cpustat(cpu, STATS[i]);
    }
    css.state().counters.get(cpu).stat[i].load(Ordering::Relaxed)
}

fn read(css: &Css<Cpuacct>, cpu: CpuId, index: Index) -> u64 {
    let c = css.state().counters.get(cpu);
    match index {
        Index::Total => c.usage.load(Ordering::Relaxed),
        // user: USER + NICE; system: SYSTEM + SOFTIRQ + IRQ.
        Index::User => (0..2).map(|i| stat_of(css, cpu, i)).sum(),
        Index::System => (2..5).map(|i| stat_of(css, cpu, i)).sum(),
    }
}

fn total(css: &Css<Cpuacct>, index: Index) -> u64 {
    possible_cpus().map(|cpu| read(css, cpu, index)).sum()
}

fn usage(css: &Css<Cpuacct>) -> u64 {
    total(css, Index::Total)
}

fn usage_user(css: &Css<Cpuacct>) -> u64 {
    total(css, Index::User)
}

fn usage_sys(css: &Css<Cpuacct>) -> u64 {
    total(css, Index::System)
}

/// Writing 0 resets the usage and the user and system times; anything else is `EINVAL`. The
/// top group's user and system times are the kernel's and are not reset.
fn reset(css: &Css<Cpuacct>, value: u64) -> Result {
    if value != 0 {
        return Err(EINVAL);
    }
    if css.parent().is_none() {
        return Ok(());
    }
    for cpu in possible_cpus() {
        let c = css.state().counters.get(cpu);
        c.usage.store(0, Ordering::Relaxed);
        for s in c.stat.iter() {
            s.store(0, Ordering::Relaxed);
        }
    }
    Ok(())
}

fn show_percpu(css: &Css<Cpuacct>, m: &SeqFile, index: Index) -> Result {
    for cpu in possible_cpus() {
        seq_print!(m, "{} ", read(css, cpu, index));
    }
    seq_print!(m, "\n");
    Ok(())
}

fn usage_percpu(css: &Css<Cpuacct>, m: &SeqFile) -> Result {
    show_percpu(css, m, Index::Total)
}

fn usage_percpu_user(css: &Css<Cpuacct>, m: &SeqFile) -> Result {
    show_percpu(css, m, Index::User)
}

fn usage_percpu_sys(css: &Css<Cpuacct>, m: &SeqFile) -> Result {
    show_percpu(css, m, Index::System)
}

fn usage_all(css: &Css<Cpuacct>, m: &SeqFile) -> Result {
    seq_print!(m, "cpu user system\n");
    for cpu in possible_cpus() {
        seq_print!(
            m,
            "{} {} {}\n",
            cpu.as_u32(),
            read(css, cpu, Index::User),
            read(css, cpu, Index::System)
        );
    }
    Ok(())
}

/// User and system time in `USER_HZ` ticks, scaled so that they add up to the usage and never
/// go backwards.
fn stat(css: &Css<Cpuacct>, m: &SeqFile) -> Result {
    let (user, system) = css.state().prev.adjust(
        total(css, Index::User),
        total(css, Index::System),
        total(css, Index::Total),
    );
    seq_print!(m, "user {}\n", cputime::nsec_to_clock_t(user));
    seq_print!(m, "system {}\n", cputime::nsec_to_clock_t(system));
    Ok(())
}
