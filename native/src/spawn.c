#include "spawn.h"
#include "sig.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct child_err {
    int err;
    int stage;
};

static void fail(int errfd, int stage)
{
    struct child_err ce = {errno, stage};
    if (write(errfd, &ce, sizeof ce) < 0) {
        /* nobody to tell */
    }
    _exit(127);
}

static int open_on(const char *path, int flags, int target)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fd != target) {
        if (dup2(fd, target) < 0)
            return -1;
        close(fd);
    } else {
        fcntl(fd, F_SETFD, 0);
    }
    return 0;
}

/* In the child: never returns. */
static void child(const struct spawn_spec *s, int errfd, int in_r, int out_w, int err_w, pid_t parent)
{
    setsid();
    sig_child_default();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127); /* the helper died before we armed the death signal */

    if (s->cgroup) {
        char path[PATH_MAX];
        if (path_join(path, sizeof path, s->cgroup, "cgroup.procs") < 0) {
            errno = ENAMETOOLONG;
            fail(errfd, STAGE_CGROUP);
        }
        if (write_file(path, "0") < 0)
            fail(errfd, STAGE_CGROUP);
    }

    /* stdio: every fd we hold is >= 3 (ensure_std_fds at start-up) */
    if (s->stdin_mode == STDIN_PIPE) {
        if (dup2(in_r, 0) < 0)
            fail(errfd, STAGE_STDIO);
    } else if (open_on(s->stdin_mode == STDIN_FILE ? s->stdin_path : "/dev/null", O_RDONLY, 0) < 0) {
        fail(errfd, STAGE_STDIO);
    }
    if (s->stdout_mode == OUT_PIPE ? dup2(out_w, 1) < 0 : open_on("/dev/null", O_WRONLY, 1) < 0)
        fail(errfd, STAGE_STDIO);
    if (s->stderr_mode == OUT_PIPE) {
        if (dup2(err_w, 2) < 0)
            fail(errfd, STAGE_STDIO);
    } else if (s->stderr_mode == OUT_MERGE) {
        if (dup2(1, 2) < 0)
            fail(errfd, STAGE_STDIO);
    } else if (open_on("/dev/null", O_WRONLY, 2) < 0) {
        fail(errfd, STAGE_STDIO);
    }

    /* keep only 0, 1, 2 and the error pipe (moved to 3, close-on-exec) */
    if (errfd != 3) {
        if (dup3(errfd, 3, O_CLOEXEC) < 0)
            fail(errfd, STAGE_OTHER);
        errfd = 3;
    }
    close_from(4);

    if (s->cwd && chdir(s->cwd) < 0)
        fail(errfd, STAGE_CHDIR);
    if (s->has_groups && setgroups(s->ngroups, (const gid_t *)s->groups) < 0)
        fail(errfd, STAGE_IDS);
    if (s->has_gid && setgid((gid_t)s->gid) < 0)
        fail(errfd, STAGE_IDS);
    if (s->has_uid && setuid((uid_t)s->uid) < 0)
        fail(errfd, STAGE_IDS);

    execve(s->path, s->argv, s->envp);
    fail(errfd, STAGE_EXEC);
}

static void describe(const struct spawn_spec *s, struct spawned *r)
{
    const char *e = strerror(r->err);
    switch (r->stage) {
    case STAGE_FORK:
        snprintf(r->text, sizeof r->text, "fork: %s", e);
        break;
    case STAGE_STDIO:
        if (s->stdin_mode == STDIN_FILE)
            snprintf(r->text, sizeof r->text, "stdio setup (stdin file %s): %s", s->stdin_path, e);
        else
            snprintf(r->text, sizeof r->text, "stdio setup: %s", e);
        break;
    case STAGE_CGROUP:
        snprintf(r->text, sizeof r->text, "join cgroup %s (write to cgroup.procs): %s", s->cgroup, e);
        break;
    case STAGE_CHDIR:
        snprintf(r->text, sizeof r->text, "chdir %s: %s", s->cwd, e);
        break;
    case STAGE_IDS:
        snprintf(r->text, sizeof r->text, "setgroups/setgid/setuid (uid %ld, gid %ld): %s",
                 s->has_uid ? (long)s->uid : -1L, s->has_gid ? (long)s->gid : -1L, e);
        break;
    case STAGE_EXEC:
        snprintf(r->text, sizeof r->text, "execve %s: %s", s->path, e);
        break;
    default:
        snprintf(r->text, sizeof r->text, "program setup: %s", e);
        break;
    }
}

static void close_pair(int p[2])
{
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
}

int spawn_program(const struct spawn_spec *s, struct spawned *r)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, ep[2] = {-1, -1};
    memset(r, 0, sizeof *r);
    r->pid = -1;
    r->out_fd[0] = r->out_fd[1] = r->stdin_fd = -1;

    if ((s->stdin_mode == STDIN_PIPE && pipe2(in, O_CLOEXEC) < 0) ||
        (s->stdout_mode == OUT_PIPE && pipe2(out, O_CLOEXEC) < 0) ||
        (s->stderr_mode == OUT_PIPE && pipe2(err, O_CLOEXEC) < 0) ||
        pipe2(ep, O_CLOEXEC) < 0) {
        r->err = errno;
        r->stage = STAGE_STDIO;
        goto failed;
    }

    sigset_t old;
    sig_block_all(&old);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(ep[0]);
        child(s, ep[1], in[0], out[1], err[1], parent);
    }
    int fork_errno = errno;
    sig_restore(&old);
    if (pid < 0) {
        r->err = fork_errno;
        r->stage = STAGE_FORK;
        goto failed;
    }
    close(ep[1]);
    ep[1] = -1;
    if (in[0] >= 0) { close(in[0]); in[0] = -1; }
    if (out[1] >= 0) { close(out[1]); out[1] = -1; }
    if (err[1] >= 0) { close(err[1]); err[1] = -1; }

    struct child_err ce;
    ssize_t n;
    do
        n = read(ep[0], &ce, sizeof ce);
    while (n < 0 && errno == EINTR);
    close(ep[0]);
    ep[0] = -1;
    if (n == (ssize_t)sizeof ce) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        r->err = ce.err;
        r->stage = ce.stage;
        goto failed;
    }
    r->pid = pid;
    r->stdin_fd = in[1];
    r->out_fd[0] = out[0];
    r->out_fd[1] = err[0];
    if (r->stdin_fd >= 0)
        set_nonblock(r->stdin_fd);
    return 0;

failed:
    close_pair(in);
    close_pair(out);
    close_pair(err);
    close_pair(ep);
    describe(s, r);
    return -1;
}
