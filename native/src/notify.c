/* The program's sd_notify socket: creation, the environment that names it,
 * receiving datagrams with their credentials, and the check that a sender
 * belongs to the program. */
/* 64-bit inode numbers and offsets on 32-bit ARM too: lstat and readdir of a
 * directory on tmpfs or overlayfs fail with EOVERFLOW otherwise. */
#define _FILE_OFFSET_BITS 64

#include "notify.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

void notify_init(struct notify *n)
{
    memset(n, 0, sizeof *n);
    n->fd = -1;
}

static int is_ours(const char *entry)
{
    static const char *const names[] = {"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID="};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(entry, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

char **notify_env(char *const *envp, char *const *extra)
{
    size_t n = 0, m = 0;
    while (envp && envp[n])
        n++;
    while (extra && extra[m])
        m++;
    char **out = malloc((n + m + 1) * sizeof *out);
    if (!out)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_ours(envp[i]))
            out[k++] = envp[i];
    for (size_t i = 0; i < m; i++)
        out[k++] = extra[i];
    out[k] = NULL;
    return out;
}

int notify_check_message(const uint8_t *msg, size_t len)
{
    if (len == 0)
        return NV_EMPTY;
    if (memchr(msg, 0, len))
        return NV_NUL;
    return NV_FORWARD;
}

/* The directory: created 0711 (traversable, not listable), or an existing
 * one of ours that nobody else can write into. */
static int check_dir(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0711) == 0) {
        if (chmod(dir, 0711) < 0) /* the umask may have taken bits away */
            return ERR("chmod %s: %s", dir, strerror(errno));
        return 0;
    }
    if (errno != EEXIST)
        return ERR("mkdir %s: %s", dir, strerror(errno));
    struct stat st;
    if (lstat(dir, &st) < 0)
        return ERR("lstat %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return ERR("%s is not a directory", dir);
    }
    if (st.st_uid != geteuid() || (st.st_mode & 022)) {
        errno = EPERM;
        return ERR("%s is not a private directory (owner %lu, mode 0%lo)", dir, (unsigned long)st.st_uid,
                   (unsigned long)(st.st_mode & 07777));
    }
    return 0;
}

/* Sockets "<pid>-<16 hex>.sock" whose helper pid is gone (a helper that was
 * SIGKILLed could not unlink its own). */
static void sweep(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid;
        char hex[17];
        char tail[8];
        if (sscanf(e->d_name, "%ld-%16[0-9a-f]%7s", &pid, hex, tail) != 3 || strcmp(tail, ".sock") != 0 ||
            strlen(hex) != 16 || pid <= 0)
            continue;
        if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

int notify_open(struct notify *n, struct spawn_spec *s, char *err, size_t errlen)
{
    if (!s->notify_dir)
        return 0;
    if (check_dir(s->notify_dir, err, errlen) < 0)
        return -1;
    sweep(s->notify_dir);
    uint8_t rnd[8];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return ERR("getrandom: %s", strerror(errno));
    char name[64];
    snprintf(name, sizeof name, "%ld-%02x%02x%02x%02x%02x%02x%02x%02x.sock", (long)getpid(), rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    if (path_join(n->path, sizeof n->path, s->notify_dir, name) < 0) {
        errno = ENAMETOOLONG;
        return ERR("notify socket path %s/%s is too long", s->notify_dir, name);
    }

    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return ERR("socket: %s", strerror(errno));
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return ERR("SO_PASSCRED: %s", strerror(e));
    }
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, n->path, strlen(n->path));
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    umask(old);
    if (rc < 0) {
        close(fd);
        n->path[0] = 0;
        errno = e;
        return ERR("bind %s: %s", a.sun_path, strerror(e));
    }
    n->fd = fd;
    if (s->has_uid && geteuid() == 0 && chown(n->path, (uid_t)s->uid, s->has_gid ? (gid_t)s->gid : (gid_t)-1) < 0) {
        e = errno;
        notify_close(n);
        errno = e;
        return ERR("chown %s to uid %lu: %s", a.sun_path, (unsigned long)s->uid, strerror(e));
    }

    snprintf(n->env_socket, sizeof n->env_socket, "NOTIFY_SOCKET=%s", n->path);
    char *extra[4] = {n->env_socket, NULL, NULL, NULL};
    if (s->watchdog_usec > 0) {
        snprintf(n->env_usec, sizeof n->env_usec, "WATCHDOG_USEC=%llu", (unsigned long long)s->watchdog_usec);
        snprintf(n->env_pid, sizeof n->env_pid, "WATCHDOG_PID=0");
        extra[1] = n->env_usec;
        extra[2] = n->env_pid;
        s->watchdog_pid_env = n->env_pid;
    }
    n->envp = notify_env(s->envp, extra);
    if (!n->envp) {
        notify_close(n);
        errno = ENOMEM;
        return ERR("out of memory");
    }
    s->envp = n->envp;
    return 0;
}

/* The parent pid from /proc/<pid>/stat (the field after the state), or -1. */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if (read_small_file(path, buf, sizeof buf) <= 0)
        return -1;
    char *close_paren = strrchr(buf, ')');
    long ppid;
    char state;
    if (!close_paren || sscanf(close_paren + 1, " %c %ld", &state, &ppid) != 2)
        return -1;
    return (pid_t)ppid;
}

static int in_cgroup(pid_t pid, const char *cgroup)
{
    char path[4096];
    if (path_join(path, sizeof path, cgroup, "cgroup.procs") < 0)
        return 0;
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    long p;
    int found = 0;
    while (!found && fscanf(f, "%ld", &p) == 1)
        found = p == (long)pid;
    fclose(f);
    return found;
}

/* The helper's own pid counts: a root program may send with its parent's pid
 * (systemd-notify does, so that the message outlives it), and the program's
 * parent is the helper.  Only root can claim another pid, and root could
 * claim the program's pid as well. */
int notify_sender_ok(pid_t sender, pid_t program, pid_t helper, const char *cgroup)
{
    if (sender <= 0)
        return 0;
    pid_t p = sender;
    for (int depth = 0; depth < 1024 && p > 1; depth++) {
        if (p == program || p == helper)
            return 1;
        p = parent_of(p);
        if (p < 0 && depth == 0)
            return cgroup != NULL && in_cgroup(sender, cgroup) ? 1 : -1; /* the sender is gone */
    }
    return cgroup != NULL && in_cgroup(sender, cgroup);
}

/* Closes the file descriptors that came with a datagram: there is no fd store, and closing them answers a
 * BARRIER=1.  Only after the sender was checked: the sender may exit as soon as they are closed. */
static void close_passed_fds(struct msghdr *m)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfd; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            close(fd);
        }
    }
}

ssize_t notify_recv(struct notify *n, uint8_t *buf, size_t cap, pid_t *pid, int *verdict,
                    pid_t program, pid_t helper, const char *cgroup)
{
    union {
        struct cmsghdr align;
        uint8_t bytes[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 253)];
    } control;
    struct iovec iov = {buf, cap};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.bytes;
    m.msg_controllen = sizeof control.bytes;
    ssize_t r;
    do
        r = recvmsg(n->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -1;
    int have_creds = 0;
    *pid = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            struct ucred u;
            memcpy(&u, CMSG_DATA(c), sizeof u);
            *pid = u.pid;
            have_creds = 1;
        }
    }
    if ((size_t)r > cap || (size_t)r > NOTIFY_MSG_MAX || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        *verdict = NV_TOO_LONG;
        close_passed_fds(&m);
        return r > (ssize_t)cap ? (ssize_t)cap : r;
    }
    if (!have_creds) {
        *verdict = NV_NO_CREDENTIALS;
        close_passed_fds(&m);
        return r;
    }
    *verdict = notify_check_message(buf, (size_t)r);
    if (*verdict == NV_FORWARD) {
        int ok = notify_sender_ok(*pid, program, helper, cgroup);
        if (ok <= 0)
            *verdict = ok < 0 ? NV_GONE : NV_FOREIGN;
    }
    close_passed_fds(&m);
    return r;
}

void notify_close(struct notify *n)
{
    if (n->fd >= 0) {
        close(n->fd);
        n->fd = -1;
    }
    if (n->path[0]) {
        unlink(n->path);
        n->path[0] = 0;
    }
    free(n->envp);
    n->envp = NULL;
}
