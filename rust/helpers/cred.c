// SPDX-License-Identifier: GPL-2.0

#include <linux/cred.h>
#include <linux/user_namespace.h>

const struct cred *rust_helper_get_cred(const struct cred *cred)
{
	return get_cred(cred);
}

void rust_helper_put_cred(const struct cred *cred)
{
	put_cred(cred);
}

const struct cred *rust_helper_get_current_cred(void)
{
	return get_current_cred();
}

struct user_namespace *rust_helper_get_user_ns(struct user_namespace *ns)
{
	return get_user_ns(ns);
}

void rust_helper_put_user_ns(struct user_namespace *ns)
{
	put_user_ns(ns);
}
