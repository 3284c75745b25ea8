// SPDX-License-Identifier: GPL-2.0

#include <linux/jump_label.h>

bool rust_helper_static_key_false_enabled(struct static_key_false *key)
{
	return static_key_enabled(key);
}

void rust_helper_static_branch_inc_cpuslocked(struct static_key_false *key)
{
	static_branch_inc_cpuslocked(key);
}

void rust_helper_static_branch_dec_cpuslocked(struct static_key_false *key)
{
	static_branch_dec_cpuslocked(key);
}

void rust_helper_static_branch_enable(struct static_key_false *key)
{
	static_branch_enable(key);
}
