// SPDX-License-Identifier: GPL-2.0

#include <linux/rcupdate.h>
#include <linux/workqueue.h>

void rust_helper_rcu_read_lock(void)
{
	rcu_read_lock();
}

void rust_helper_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void rust_helper_init_rcu_work(struct rcu_work *rwork, work_func_t func)
{
	INIT_RCU_WORK(rwork, func);
}
