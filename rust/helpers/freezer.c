// SPDX-License-Identifier: GPL-2.0

#include <linux/freezer.h>
#include <linux/jump_label.h>

#ifdef CONFIG_FREEZER

bool rust_helper_freezing(struct task_struct *p)
{
	return freezing(p);
}

void rust_helper_freezer_active_inc_cpuslocked(void)
{
	static_branch_inc_cpuslocked(&freezer_active);
}

void rust_helper_freezer_active_dec_cpuslocked(void)
{
	static_branch_dec_cpuslocked(&freezer_active);
}

bool rust_helper_freezer_active_enabled(void)
{
	return static_key_enabled(&freezer_active);
}

#endif /* CONFIG_FREEZER */
