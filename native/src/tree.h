/* Finding and signalling every process of a program's tree, and the cgroup
 * side of the teardown (cgroup.kill, cgroup.events, rmdir). */
#ifndef CORRAL_TREE_H
#define CORRAL_TREE_H

#include <stddef.h>
#include <sys/types.h>

/* Send sig to the process group pgid, to every descendant of this process
 * (/proc/<pid>/task/<tid>/children, else a /proc/<pid>/stat PPid scan) and,
 * when cgroup is not NULL, to every pid in it and its sub-cgroups; for
 * SIGKILL, cgroup.kill is written first where it exists.  Returns how many
 * processes (besides the group) were signalled. */
int tree_signal(pid_t pgid, const char *cgroup, int sig);

/* 1 populated, 0 empty, -1 unreadable (errno). */
int cgroup_populated(const char *cgroup);
/* An inotify fd watching <cgroup>/cgroup.events for IN_MODIFY, or -1. */
int cgroup_watch(const char *cgroup);
/* Drain the inotify fd. */
void cgroup_watch_drain(int fd);

#endif
