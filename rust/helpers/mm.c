// SPDX-License-Identifier: GPL-2.0

#include <linux/sched/mm.h>

void rust_helper_mmget(struct mm_struct *mm)
{
	mmget(mm);
}
