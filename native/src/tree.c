#include "tree.h"
#include "protocol.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

struct pidvec {
    pid_t *v;
    size_t n, cap;
};

static void pv_add(struct pidvec *pv, pid_t p)
{
    if (pv->n == pv->cap) {
        size_t cap = pv->cap ? pv->cap * 2 : 64;
        pid_t *v = realloc(pv->v, cap * sizeof *v);
        if (!v)
            return; /* best effort: the next round of the teardown retries */
        pv->v = v;
        pv->cap = cap;
    }
    pv->v[pv->n++] = p;
}

/* Parses whitespace-separated decimal pids. */
static void add_pids(struct pidvec *pv, const char *s)
{
    while (*s) {
        while (*s && !isdigit((unsigned char)*s))
            s++;
        if (!*s)
            break;
        long p = strtol(s, (char **)&s, 10);
        if (p > 0)
            pv_add(pv, (pid_t)p);
    }
}

static int is_num(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* Appends the children of pid (all its threads) to pv.  -1 when the
 * children files do not exist at all (kernel without CONFIG_PROC_CHILDREN). */
static int children_of(pid_t pid, struct pidvec *pv, char *buf, size_t cap)
{
    char path[320];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0; /* gone */
    struct dirent *e;
    int found_file = 0, missing = 0;
    while ((e = readdir(d)) != NULL) {
        if (!is_num(e->d_name))
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%s/children", (int)pid, e->d_name);
        if (read_small_file(path, buf, cap) < 0) {
            if (errno == ENOENT)
                missing = 1;
            continue;
        }
        found_file = 1;
        add_pids(pv, buf);
    }
    closedir(d);
    return (missing && !found_file) ? -1 : 0;
}

/* Fallback: every process's PPid from /proc/<pid>/stat, then the
 * descendants of root by repeated passes. */
static void descendants_by_scan(pid_t root, struct pidvec *out)
{
    struct pidvec pids = {0}, ppids = {0};
    DIR *d = opendir("/proc");
    if (!d)
        return;
    struct dirent *e;
    char path[320], buf[512];
    while ((e = readdir(d)) != NULL) {
        if (!is_num(e->d_name))
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        if (read_small_file(path, buf, sizeof buf) <= 0)
            continue;
        char *rp = strrchr(buf, ')'); /* comm may hold spaces and ')' */
        if (!rp || !rp[1] || !rp[2])
            continue;
        pid_t ppid = (pid_t)strtol(rp + 3, NULL, 10); /* ") S ppid" */
        pv_add(&pids, (pid_t)atoi(e->d_name));
        pv_add(&ppids, ppid);
    }
    closedir(d);
    size_t n = pids.n < ppids.n ? pids.n : ppids.n;
    char *in = calloc(n ? n : 1, 1);
    if (in) {
        int changed = 1;
        while (changed) {
            changed = 0;
            for (size_t i = 0; i < n; i++) {
                if (in[i])
                    continue;
                int hit = ppids.v[i] == root;
                for (size_t j = 0; !hit && j < out->n; j++)
                    hit = out->v[j] == ppids.v[i];
                if (hit) {
                    in[i] = 1;
                    pv_add(out, pids.v[i]);
                    changed = 1;
                }
            }
        }
        free(in);
    }
    free(pids.v);
    free(ppids.v);
}

static void descendants(struct pidvec *out)
{
    char buf[4096];
    pid_t self = getpid();
    if (children_of(self, out, buf, sizeof buf) < 0) {
        descendants_by_scan(self, out);
        return;
    }
    for (size_t i = 0; i < out->n; i++) /* out grows while we walk it */
        children_of(out->v[i], out, buf, sizeof buf);
}

static void cgroup_pids(const char *dir, struct pidvec *out, int depth)
{
    char path[PATH_MAX];
    static const size_t cap = 16384;
    if (path_join(path, sizeof path, dir, "cgroup.procs") == 0) {
        char *buf = malloc(cap);
        if (buf) {
            if (read_small_file(path, buf, cap) > 0)
                add_pids(out, buf);
            free(buf);
        }
    }
    if (depth >= 32)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        if (path_join(path, sizeof path, dir, e->d_name) == 0)
            cgroup_pids(path, out, depth + 1);
    }
    closedir(d);
}

void tree_init(struct tree *t, pid_t pgid, const char *cgroup, int subreaper)
{
    memset(t, 0, sizeof *t);
    t->pgid = pgid;
    t->cgroup = cgroup;
    t->subreaper = subreaper;
}

void tree_pipe(struct tree *t, int i, int fd)
{
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0)
        t->pipe_ino[i] = (unsigned long)st.st_ino;
}

void tree_free(struct tree *t)
{
    free(t->known);
    t->known = NULL;
    t->nknown = t->capknown = 0;
}

struct pstat {
    char state;
    pid_t ppid, pgrp, session;
    unsigned long long start;
};

/* Fields of /proc/<pid>/stat; -1 when the process is gone. */
static int read_pstat(pid_t pid, struct pstat *ps)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small_file(path, buf, sizeof buf) <= 0)
        return -1;
    char *p = strrchr(buf, ')'); /* comm may hold spaces and ')' */
    if (!p)
        return -1;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime cutime cstime priority nice threads
     * itrealvalue starttime */
    p++;
    char *tok[20];
    int n = 0;
    for (char *save = NULL, *w = strtok_r(p, " ", &save); w && n < 20; w = strtok_r(NULL, " ", &save))
        tok[n++] = w;
    if (n < 20)
        return -1;
    ps->state = tok[0][0];
    ps->ppid = (pid_t)atoi(tok[1]);
    ps->pgrp = (pid_t)atoi(tok[2]);
    ps->session = (pid_t)atoi(tok[3]);
    ps->start = strtoull(tok[19], NULL, 10);
    return 0;
}

static int holds_pipe(pid_t pid, const unsigned long ino[2])
{
    char path[64], link[64], want[2][40];
    int nwant = 0;
    for (int i = 0; i < 2; i++)
        if (ino[i])
            snprintf(want[nwant++], sizeof want[0], "pipe:[%lu]", ino[i]);
    if (!nwant)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int hit = 0;
    struct dirent *e;
    while (!hit && (e = readdir(d)) != NULL) {
        if (!is_num(e->d_name))
            continue;
        char fdpath[320];
        snprintf(fdpath, sizeof fdpath, "/proc/%d/fd/%s", (int)pid, e->d_name);
        ssize_t n = readlink(fdpath, link, sizeof link - 1);
        if (n <= 0)
            continue;
        link[n] = 0;
        for (int i = 0; i < nwant; i++)
            hit |= strcmp(link, want[i]) == 0;
    }
    closedir(d);
    return hit;
}

/* Without a subreaper: live members of the program's session or group, and
 * holders of its pipes, found by a /proc scan. */
static void strays_scan(struct tree *t, struct pidvec *out)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    pid_t self = getpid();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_num(e->d_name))
            continue;
        pid_t pid = (pid_t)atoi(e->d_name);
        struct pstat ps;
        if (pid == self || read_pstat(pid, &ps) < 0 || ps.state == 'Z')
            continue;
        if (ps.session == t->pgid || ps.pgrp == t->pgid || holds_pipe(pid, t->pipe_ino))
            pv_add(out, pid);
    }
    closedir(d);
}

static void remember(struct tree *t, pid_t pid)
{
    for (size_t i = 0; i < t->nknown; i++)
        if (t->known[i].pid == pid)
            return;
    struct pstat ps;
    if (read_pstat(pid, &ps) < 0 || ps.state == 'Z')
        return;
    if (t->nknown == t->capknown) {
        size_t cap = t->capknown ? t->capknown * 2 : 32;
        struct known_pid *k = realloc(t->known, cap * sizeof *k);
        if (!k)
            return;
        t->known = k;
        t->capknown = cap;
    }
    t->known[t->nknown++] = (struct known_pid){pid, ps.start};
}

/* Drops known pids that are gone (or reused); returns how many live on. */
static size_t prune_known(struct tree *t)
{
    size_t j = 0;
    for (size_t i = 0; i < t->nknown; i++) {
        struct pstat ps;
        if (read_pstat(t->known[i].pid, &ps) == 0 && ps.state != 'Z' && ps.start == t->known[i].start)
            t->known[j++] = t->known[i];
    }
    t->nknown = j;
    return j;
}

void tree_signal(struct tree *t, int sig)
{
    struct pidvec pv = {0};
    descendants(&pv);
    if (t->cgroup)
        cgroup_pids(t->cgroup, &pv, 0);
    if (!t->subreaper) {
        strays_scan(t, &pv);
        for (size_t i = 0; i < pv.n; i++)
            remember(t, pv.v[i]);
        prune_known(t);
        for (size_t i = 0; i < t->nknown; i++)
            pv_add(&pv, t->known[i].pid);
    }
    if (t->cgroup && sig == SIGKILL) {
        char path[PATH_MAX];
        if (path_join(path, sizeof path, t->cgroup, "cgroup.kill") == 0)
            write_file(path, "1");
    }
    if (t->pgid > 0)
        kill(-t->pgid, sig);
    pid_t self = getpid();
    for (size_t i = 0; i < pv.n; i++)
        if (pv.v[i] != self)
            kill(pv.v[i], sig);
    free(pv.v);
}

int tree_strays(struct tree *t)
{
    if (t->subreaper)
        return 0;
    struct pidvec pv = {0};
    strays_scan(t, &pv);
    int n = (int)pv.n;
    free(pv.v);
    return n + (int)prune_known(t);
}

size_t tree_kill_strays(const pid_t *keep, size_t nkeep)
{
    char buf[4096];
    struct pidvec kids = {0}, all = {0};
    pid_t self = getpid();
    int have_children_file = children_of(self, &kids, buf, sizeof buf) == 0;
    if (!have_children_file) {
        struct pidvec every = {0};
        descendants_by_scan(self, &every);
        for (size_t i = 0; i < every.n; i++) {
            struct pstat ps;
            if (read_pstat(every.v[i], &ps) == 0 && ps.ppid == self)
                pv_add(&kids, every.v[i]);
        }
        free(every.v);
    }
    for (size_t i = 0; i < kids.n; i++) {
        pid_t p = kids.v[i];
        int kept = 0;
        for (size_t k = 0; k < nkeep && !kept; k++)
            kept = keep[k] == p;
        if (kept)
            continue;
        size_t from = all.n;
        pv_add(&all, p);
        if (!have_children_file) {
            descendants_by_scan(p, &all);
            continue;
        }
        for (size_t j = from; j < all.n; j++) /* all grows while we walk it */
            children_of(all.v[j], &all, buf, sizeof buf);
    }
    size_t n = 0;
    for (size_t i = 0; i < all.n; i++) {
        struct pstat ps;
        if (read_pstat(all.v[i], &ps) == 0 && ps.state == 'Z')
            continue; /* dead already, waits to be reaped */
        if (kill(all.v[i], SIGKILL) == 0)
            n++;
    }
    free(kids.v);
    free(all.v);
    return n;
}

int cgroup_populated(const char *cgroup)
{
    char path[PATH_MAX], buf[256];
    if (path_join(path, sizeof path, cgroup, "cgroup.events") < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (read_small_file(path, buf, sizeof buf) < 0)
        return -1;
    const char *p = strstr(buf, "populated ");
    if (!p) {
        errno = EINVAL;
        return -1;
    }
    return p[10] == '1';
}

int cgroup_watch(const char *cgroup)
{
    char path[PATH_MAX];
    if (path_join(path, sizeof path, cgroup, "cgroup.events") < 0)
        return -1;
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return -1;
    if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void cgroup_watch_drain(int fd)
{
    char buf[1024];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

uint8_t *cgroup_stats_frame(const char *dir, size_t *frame_len)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    int dfd = dirfd(d);
    size_t cap = 16384, len = 0;
    uint8_t *buf = malloc(PROTO_HDR_LEN + cap);
    static uint8_t value[STATS_VALUE_MAX];
    struct dirent *e;
    while (buf && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || (e->d_type != DT_REG && e->d_type != DT_UNKNOWN))
            continue;
        struct stat st; /* files nobody may read (cgroup.kill, memory.reclaim) are left out */
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
            !(st.st_mode & (S_IRUSR | S_IRGRP | S_IROTH)))
            continue;
        int fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        size_t n = 0;
        int bad = 0;
        while (n < sizeof value) {
            ssize_t r = read(fd, value + n, sizeof value - n);
            if (r > 0) {
                n += (size_t)r;
            } else if (r < 0 && errno == EINTR) {
                continue;
            } else {
                bad = r < 0; /* a file the kernel refuses to read (EOPNOTSUPP, EINVAL): left out */
                break;
            }
        }
        close(fd);
        if (bad)
            continue;
        while (stats_put(buf + PROTO_HDR_LEN, cap, &len, e->d_name, value, n) < 0) {
            if (cap >= STATS_MAX || strlen(e->d_name) > STATS_NAME_MAX)
                break; /* full, or a name no entry can carry: left out */
            size_t ncap = cap * 2 > STATS_MAX ? STATS_MAX : cap * 2;
            uint8_t *nb = realloc(buf, PROTO_HDR_LEN + ncap);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = ncap;
        }
    }
    closedir(d);
    if (!buf)
        return NULL;
    *frame_len = enc_frame_hdr(buf, T_STATS, (uint32_t)len) + len;
    return buf;
}
