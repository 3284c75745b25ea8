// SPDX-License-Identifier: GPL-2.0

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/smp.h>

void rust_helper_cpumask_set_cpu(unsigned int cpu, struct cpumask *dstp)
{
	cpumask_set_cpu(cpu, dstp);
}

void rust_helper_cpumask_clear_cpu(int cpu, struct cpumask *dstp)
{
	cpumask_clear_cpu(cpu, dstp);
}

bool rust_helper_cpumask_test_cpu(int cpu, struct cpumask *srcp)
{
	return cpumask_test_cpu(cpu, srcp);
}

void rust_helper_cpumask_setall(struct cpumask *dstp)
{
	cpumask_setall(dstp);
}

void rust_helper_cpumask_clear(struct cpumask *dstp)
{
	cpumask_clear(dstp);
}

unsigned int rust_helper_cpumask_weight(struct cpumask *srcp)
{
	return cpumask_weight(srcp);
}

bool rust_helper_cpumask_empty(struct cpumask *srcp)
{
	return cpumask_empty(srcp);
}

void rust_helper_cpumask_copy(struct cpumask *dstp, const struct cpumask *srcp)
{
	cpumask_copy(dstp, srcp);
}

bool rust_helper_cpumask_and(struct cpumask *dstp, const struct cpumask *src1p,
			     const struct cpumask *src2p)
{
	return cpumask_and(dstp, src1p, src2p);
}

void rust_helper_cpumask_or(struct cpumask *dstp, const struct cpumask *src1p,
			    const struct cpumask *src2p)
{
	cpumask_or(dstp, src1p, src2p);
}

bool rust_helper_cpumask_andnot(struct cpumask *dstp, const struct cpumask *src1p,
				const struct cpumask *src2p)
{
	return cpumask_andnot(dstp, src1p, src2p);
}

bool rust_helper_cpumask_subset(const struct cpumask *src1p, const struct cpumask *src2p)
{
	return cpumask_subset(src1p, src2p);
}

bool rust_helper_cpumask_intersects(const struct cpumask *src1p, const struct cpumask *src2p)
{
	return cpumask_intersects(src1p, src2p);
}

bool rust_helper_cpumask_equal(const struct cpumask *src1p, const struct cpumask *src2p)
{
	return cpumask_equal(src1p, src2p);
}

unsigned int rust_helper_cpumask_first(const struct cpumask *srcp)
{
	return cpumask_first(srcp);
}

bool rust_helper_cpu_possible(unsigned int cpu)
{
	return cpu_possible(cpu);
}

unsigned int rust_helper_raw_smp_processor_id(void)
{
	return raw_smp_processor_id();
}

#ifndef CONFIG_HOTPLUG_CPU
/* Without CPU hotplug the hotplug lock is an inline no-op; otherwise they are functions. */
void rust_helper_cpus_read_lock(void)
{
	cpus_read_lock();
}

void rust_helper_cpus_read_unlock(void)
{
	cpus_read_unlock();
}
#endif
