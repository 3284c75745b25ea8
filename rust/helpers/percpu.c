// SPDX-License-Identifier: GPL-2.0

#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/smp.h>

void __percpu *rust_helper_alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

bool rust_helper_cpu_possible(unsigned int cpu)
{
	return cpu_possible(cpu);
}

unsigned int rust_helper_raw_smp_processor_id(void)
{
	return raw_smp_processor_id();
}
