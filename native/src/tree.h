/* Finding and signalling every process of a program's tree, and the cgroup
 * side of the teardown (cgroup.kill, cgroup.events, rmdir). */
#ifndef CORRAL_TREE_H
#define CORRAL_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What belongs to the program.  With a subreaper that is the process group,
 * our descendants and the cgroup.  Without one (QEMU 7.2 user mode) orphans
 * go to init, so the tree also counts every process it has ever found (pid +
 * start time, so reused pids are not hit), the members of the program's
 * session and process group, and the processes that hold the program's
 * stdout/stderr pipes. */
struct known_pid {
    pid_t pid;
    unsigned long long start;
};

struct tree {
    pid_t pgid;               /* the program's pid = its pgid and sid */
    const char *cgroup;       /* NULL: none */
    int subreaper;
    unsigned long pipe_ino[2];/* 0: none */
    struct known_pid *known;
    size_t nknown, capknown;
};

void tree_init(struct tree *t, pid_t pgid, const char *cgroup, int subreaper);
/* Remember the inode of one of the program's output pipes (our read end). */
void tree_pipe(struct tree *t, int i, int fd);
void tree_free(struct tree *t);

/* Send sig to all of the tree: the process group, every descendant of this
 * process (/proc/<pid>/task/<tid>/children, else a /proc/<pid>/stat PPid
 * scan), every pid in the cgroup and its sub-cgroups (for SIGKILL,
 * cgroup.kill is written first where it exists) and, without a subreaper,
 * the processes described above.  Everything is found first, then signalled,
 * so that no parent dies before its children were seen. */
void tree_signal(struct tree *t, int sig);

/* Without a subreaper: whether any live (non-zombie) process of the tree
 * outside our children is left.  With one: 0 (waitpid tells). */
int tree_strays(struct tree *t);

/* The broker's clean-up of orphans: SIGKILL to every child of this process
 * that is not in keep[0..nkeep) (the helpers), with all its descendants,
 * found first, then signalled.  Zombies are not counted.  Returns how many
 * processes were signalled. */
size_t tree_kill_strays(const pid_t *keep, size_t nkeep);

/* 1 populated, 0 empty, -1 unreadable (errno). */
int cgroup_populated(const char *cgroup);
/* An inotify fd watching <cgroup>/cgroup.events for IN_MODIFY, or -1. */
int cgroup_watch(const char *cgroup);
/* Drain the inotify fd. */
void cgroup_watch_drain(int fd);

/* The whole STATS frame (docs/protocol.md) for the cgroup directory dir: one
 * entry per regular interface file that any read permission bit allows and
 * the kernel lets us read (at most STATS_VALUE_MAX bytes each, STATS_MAX in
 * all), malloc'd; its size in *frame_len.  NULL when dir cannot be listed
 * or memory runs out. */
uint8_t *cgroup_stats_frame(const char *dir, size_t *frame_len);

#endif
