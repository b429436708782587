// SPDX-License-Identifier: GPL-2.0
/*
 * procfs for rust/proc_files.rs, which Rust's `kernel` crate does not bind: the entries
 * (linux/proc_fs.h is not among the Rust bindings), a seq_file open sized for the text, and the
 * last PID as /proc/loadavg prints it (idr_get_cursor() is an inline function).
 *
 * A few lines of C, compiled against the real headers of the kernel the module is built for:
 * the compiler checks every type below against them and against glue.h, whose prototypes are
 * all the Rust side sees. Everything else is Rust.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/user_namespace.h>

#include "glue.h"

static int loadavg_rs_seq_show(struct seq_file *m, void *v)
{
	return loadavg_rs_show(m, m->private);
}

static int loadavg_rs_open(struct inode *inode, struct file *file)
{
	/* Read-only for root too: mode 0444 alone does not stop CAP_DAC_OVERRIDE. */
	if (file->f_mode & FMODE_WRITE)
		return -EPERM;
	/*
	 * A buffer of the size the file will about take: seq_read() would otherwise print a large
	 * table again into a buffer twice as large each time it does not fit.
	 */
	return single_open_size(file, loadavg_rs_seq_show, pde_data(inode),
				loadavg_rs_size_hint(pde_data(inode)));
}

/*
 * A file of kernel stacks, no wider than /proc/PID/stack (proc_pid_stack() in fs/proc/base.c):
 * that needs CAP_SYS_ADMIN in the initial user namespace and ptrace_may_access(ATTACH) to the
 * task. One open here shows many processes, so it asks for what attaches to any process
 * whatever its owner, CAP_SYS_PTRACE in the initial user namespace, beside CAP_SYS_ADMIN,
 * both checked with the opener's credentials; the file shows only processes the reader's
 * PID namespace numbers (rust/attribution.rs). What it cannot apply: per-process LSM and Yama
 * ptrace rules (ptrace_scope=3 forbids every attach, even with CAP_SYS_PTRACE).
 */
static int loadavg_rs_open_admin(struct inode *inode, struct file *file)
{
	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN) ||
	    !file_ns_capable(file, &init_user_ns, CAP_SYS_PTRACE))
		return -EACCES;
	return loadavg_rs_open(inode, file);
}

static const struct proc_ops loadavg_rs_proc_ops = {
	.proc_open	= loadavg_rs_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
};

static const struct proc_ops loadavg_rs_admin_proc_ops = {
	.proc_open	= loadavg_rs_open_admin,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
};

/* Creates /proc/@name, read-only, readable as @access says; reads call loadavg_rs_show(). */
struct proc_dir_entry *loadavg_rs_proc_create(const char *name, void *data,
					      enum loadavg_rs_access access)
{
	switch (access) {
	case LOADAVG_RS_ADMIN:
		return proc_create_data(name, 0400, NULL, &loadavg_rs_admin_proc_ops, data);
	case LOADAVG_RS_ROOT:
		return proc_create_data(name, 0400, NULL, &loadavg_rs_proc_ops, data);
	default:
		return proc_create_data(name, 0444, NULL, &loadavg_rs_proc_ops, data);
	}
}

/* Removes an entry; returns once no read of it is in flight (later reads get -EIO). */
void loadavg_rs_proc_remove(struct proc_dir_entry *entry)
{
	proc_remove(entry);
}

/* The last PID allocated in the reader's PID namespace: field 5 of /proc/loadavg. */
int loadavg_rs_last_pid(void)
{
	return idr_get_cursor(&task_active_pid_ns(current)->idr) - 1;
}
