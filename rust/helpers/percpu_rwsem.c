// SPDX-License-Identifier: GPL-2.0

#include <linux/percpu-rwsem.h>

void rust_helper_percpu_down_read(struct percpu_rw_semaphore *sem)
{
	percpu_down_read(sem);
}

void rust_helper_percpu_up_read(struct percpu_rw_semaphore *sem)
{
	percpu_up_read(sem);
}
