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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child reports through the error pipe (one write, < PIPE_BUF). */
struct child_err {
    int err;
    int stage;
    int detail;      /* STAGE_RLIMIT: resource | RLIMIT_NOT_TAKEN; STAGE_CAPABILITIES: cap | step << 8 */
    uint64_t got[2]; /* STAGE_RLIMIT without errno: the soft and hard values read back */
};

static void fail_with(int errfd, int stage, int detail, uint64_t got_soft, uint64_t got_hard)
{
    struct child_err ce = {errno, stage, detail, {got_soft, got_hard}};
    if (write(errfd, &ce, sizeof ce) < 0) {
        /* nobody to tell */
    }
    _exit(127);
}

static void fail(int errfd, int stage)
{
    fail_with(errfd, stage, 0, 0, 0);
}

/* ---- hardening (docs/protocol.md "Hardening"): raw syscalls, no libcap ---- */

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#endif

/* The protocol's RLIMIT numbers are the kernel's on every architecture we build for. */
_Static_assert(RLIMIT_CPU == 0 && RLIMIT_FSIZE == 1 && RLIMIT_DATA == 2 && RLIMIT_STACK == 3 &&
               RLIMIT_CORE == 4 && RLIMIT_RSS == 5 && RLIMIT_NPROC == 6 && RLIMIT_NOFILE == 7 &&
               RLIMIT_MEMLOCK == 8 && RLIMIT_AS == 9 && RLIMIT_LOCKS == 10 && RLIMIT_SIGPENDING == 11 &&
               RLIMIT_MSGQUEUE == 12 && RLIMIT_NICE == 13 && RLIMIT_RTPRIO == 14 && RLIMIT_RTTIME == 15,
               "RLIMIT numbers differ from asm-generic/resource.h");

/* The kernel's capget/capset ABI (linux/capability.h), version 3: two 32-bit words. */
#define CAP_VERSION_3 0x20080522
struct cap_header { uint32_t version; int pid; };
struct cap_data { uint32_t effective, permitted, inheritable; };
struct k_rlimit64 { uint64_t cur, max; };
/* STAGE_RLIMIT detail bit: the call succeeded but the value read back differs */
#define RLIMIT_NOT_TAKEN 0x100

/* Steps of STAGE_CAPABILITIES (detail >> 8). */
enum {
    CAPSTEP_UNKNOWN = 1,      /* not known to this kernel */
    CAPSTEP_NOT_BOUNDING = 2, /* not in the helper's bounding set */
    CAPSTEP_NOT_PERMITTED = 3,/* not in the helper's permitted set */
    CAPSTEP_CAPGET = 4,
    CAPSTEP_DROP = 5,         /* PR_CAPBSET_DROP */
    CAPSTEP_KEEPCAPS = 6,
    CAPSTEP_CAPSET = 7,
    CAPSTEP_AMBIENT = 8,      /* PR_CAP_AMBIENT_RAISE */
};

static const char *const cap_names[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
    "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
#define N_CAP_NAMES (int)(sizeof cap_names / sizeof cap_names[0])

static const char *cap_name(int cap)
{
    return cap >= 0 && cap < N_CAP_NAMES ? cap_names[cap] : "capability";
}

static int cap_in(uint64_t set, int cap)
{
    return (int)((set >> cap) & 1u);
}

/* Whether the program will run as uid 0 (then capabilities limit only the
 * bounding and inheritable sets: execve gives root exactly those). */
static int program_is_root(const struct spawn_spec *s)
{
    return s->has_uid ? s->uid == 0 : geteuid() == 0;
}

/* Whether the kernel holds the value we set: a 32-bit kernel stores an
 * unsigned long, and anything from ULONG_MAX up reads back as unlimited (a
 * 64-bit kernel, also under a 32-bit helper, keeps it exactly). */
static int rlim_took(uint64_t want, uint64_t got)
{
    return got == want || (want >= 0xffffffffull && got == RLIM_UNLIMITED64);
}

static void set_rlimits(const struct spawn_spec *s, int errfd)
{
    for (int r = 0; r < PROTO_RLIMIT_COUNT; r++) {
        if (!(s->rlimit_set & (1u << r)))
            continue;
        struct k_rlimit64 want = {s->rlimit[r].soft, s->rlimit[r].hard}, got;
        if (syscall(SYS_prlimit64, 0, r, &want, NULL) < 0)
            fail_with(errfd, STAGE_RLIMIT, r, 0, 0);
        /* read back: an emulator may accept the call and ignore it (QEMU
         * user mode does so for as, data and stack) */
        if (syscall(SYS_prlimit64, 0, r, NULL, &got) == 0 &&
            (!rlim_took(want.cur, got.cur) || !rlim_took(want.max, got.max))) {
            errno = ENOTSUP;
            fail_with(errfd, STAGE_RLIMIT, r | RLIMIT_NOT_TAKEN, got.cur, got.max);
        }
    }
}

static void set_oom_score_adj(const struct spawn_spec *s, int errfd)
{
    char v[16];
    snprintf(v, sizeof v, "%ld", (long)s->oom_score_adj);
    if (write_file("/proc/self/oom_score_adj", v) < 0)
        fail(errfd, STAGE_OOM_SCORE_ADJ);
}

/* Before the uid changes (needs CAP_SETPCAP): check that the helper can give
 * every requested capability, reduce the bounding set to them, and keep the
 * permitted set across setuid when the program is not root. */
static void caps_before_ids(const struct spawn_spec *s, int errfd)
{
    int last = 0;
    while (last < 63 && prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
        last++;
    struct cap_header h = {CAP_VERSION_3, 0};
    struct cap_data d[2];
    if (syscall(SYS_capget, &h, d) < 0)
        fail_with(errfd, STAGE_CAPABILITIES, CAPSTEP_CAPGET << 8, 0, 0);
    uint64_t permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
    for (int c = 0; c < 64; c++) {
        if (!cap_in(s->caps, c))
            continue;
        if (c > last) {
            errno = EINVAL;
            fail_with(errfd, STAGE_CAPABILITIES, c | CAPSTEP_UNKNOWN << 8, (uint64_t)last, 0);
        }
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1) {
            errno = EPERM;
            fail_with(errfd, STAGE_CAPABILITIES, c | CAPSTEP_NOT_BOUNDING << 8, 0, 0);
        }
        if (!cap_in(permitted, c)) {
            errno = EPERM;
            fail_with(errfd, STAGE_CAPABILITIES, c | CAPSTEP_NOT_PERMITTED << 8, 0, 0);
        }
    }
    for (int c = 0; c <= last; c++)
        if (!cap_in(s->caps, c) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
            prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
            fail_with(errfd, STAGE_CAPABILITIES, c | CAPSTEP_DROP << 8, 0, 0);
    if (!program_is_root(s) && s->has_uid && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        fail_with(errfd, STAGE_CAPABILITIES, CAPSTEP_KEEPCAPS << 8, 0, 0);
}

/* After the uid changed: the inheritable set becomes the capabilities; a
 * program that is not root also gets them as permitted, effective and
 * ambient (the ambient set is what survives its execve). */
static void caps_after_ids(const struct spawn_spec *s, int errfd)
{
    struct cap_header h = {CAP_VERSION_3, 0};
    struct cap_data d[2];
    if (syscall(SYS_capget, &h, d) < 0)
        fail_with(errfd, STAGE_CAPABILITIES, CAPSTEP_CAPGET << 8, 0, 0);
    int root = program_is_root(s);
    for (int w = 0; w < 2; w++) {
        uint32_t word = (uint32_t)(s->caps >> (32 * w));
        d[w].inheritable = word;
        if (!root)
            d[w].effective = d[w].permitted = word;
    }
    h.version = CAP_VERSION_3;
    h.pid = 0;
    if (syscall(SYS_capset, &h, d) < 0)
        fail_with(errfd, STAGE_CAPABILITIES, CAPSTEP_CAPSET << 8, 0, 0);
    if (root)
        return;
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int c = 0; c < 64; c++)
        if (cap_in(s->caps, c) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
            fail_with(errfd, STAGE_CAPABILITIES, c | CAPSTEP_AMBIENT << 8, 0, 0);
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

/* ---- creating the child in its cgroup ---- */

/*
 * clone3() with CLONE_INTO_CGROUP (Linux 5.7): the child starts in its cgroup, so the kernel migrates nothing.
 * A write to cgroup.procs is a migration, which waits for an RCU grace period when no migration happened just
 * before (several ms on a busy machine, for every program). The kernel's ABI is spelled out here because libc
 * headers (musl's) may lack it; the syscall number is the same on every architecture we build for.
 */
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define CORRAL_CLONE_INTO_CGROUP 0x200000000ULL

struct corral_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/*
 * Like fork(), with the child created in the cgroup whose directory cg_fd is open. -1 with errno when clone3
 * cannot do it: ENOSYS (kernels before 5.3, QEMU user mode), E2BIG or EINVAL (before 5.7), or the cgroup
 * refuses the process; the caller then forks and the child writes itself into cgroup.procs as before.
 */
static pid_t fork_into_cgroup(int cg_fd)
{
    struct corral_clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = CORRAL_CLONE_INTO_CGROUP;
    a.exit_signal = SIGCHLD;
    a.cgroup = (uint64_t)cg_fd;
    return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

/* In the child: never returns. joined: created in the cgroup already (fork_into_cgroup). */
static void child(const struct spawn_spec *s, int errfd, int in_r, int out_w, int err_w, pid_t parent, int joined)
{
    setsid();
    sig_child_default();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127); /* the helper died before we armed the death signal */

    if (s->cgroup && !joined) {
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

    /* Hardening that needs the helper's privileges comes before the uid
     * changes: raising a hard rlimit (CAP_SYS_RESOURCE; nproc is also
     * checked against the new user at setuid/execve), a negative nice
     * (CAP_SYS_NICE), lowering oom_score_adj (CAP_SYS_RESOURCE), dropping
     * from the bounding set (CAP_SETPCAP). */
    set_rlimits(s, errfd);
    if (s->has_nice && setpriority(PRIO_PROCESS, 0, s->nice) < 0)
        fail(errfd, STAGE_NICE);
    if (s->has_oom_score_adj)
        set_oom_score_adj(s, errfd);
    if (s->has_caps)
        caps_before_ids(s, errfd);

    if (s->has_groups && setgroups(s->ngroups, (const gid_t *)s->groups) < 0)
        fail(errfd, STAGE_IDS);
    if (s->has_gid && setgid((gid_t)s->gid) < 0)
        fail(errfd, STAGE_IDS);
    if (s->has_uid && setuid((uid_t)s->uid) < 0)
        fail(errfd, STAGE_IDS);

    /* After it: the capability sets the program starts with (capset needs
     * the new uid: setuid would clear them), then what needs no privilege.
     * no_new_privs comes last: nothing after it could be refused by it. */
    if (s->has_caps)
        caps_after_ids(s, errfd);
    if (s->has_umask)
        umask((mode_t)s->umask);
    if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail(errfd, STAGE_NO_NEW_PRIVS);

    if (s->watchdog_pid_env) /* sd_notify's WATCHDOG_PID: this process, the one that execs */
        snprintf(s->watchdog_pid_env, NOTIFY_ENV_PID_LEN, "WATCHDOG_PID=%ld", (long)getpid());
    execve(s->path, s->argv, s->envp);
    fail(errfd, STAGE_EXEC);
}

static void fmt_rlim(char *buf, size_t cap, uint64_t v)
{
    if (v == RLIM_UNLIMITED64)
        snprintf(buf, cap, "unlimited");
    else
        snprintf(buf, cap, "%llu", (unsigned long long)v);
}

static void describe_rlimit(const struct spawn_spec *s, struct spawned *r, const struct child_err *ce)
{
    int res = ce->detail & 0xff;
    const char *name = proto_rlimit_name((unsigned)res);
    if (!name)
        name = "?";
    char soft[24], hard[24], gsoft[24], ghard[24];
    fmt_rlim(soft, sizeof soft, res < PROTO_RLIMIT_COUNT ? s->rlimit[res].soft : 0);
    fmt_rlim(hard, sizeof hard, res < PROTO_RLIMIT_COUNT ? s->rlimit[res].hard : 0);
    if (ce->detail & RLIMIT_NOT_TAKEN) {
        fmt_rlim(gsoft, sizeof gsoft, ce->got[0]);
        fmt_rlim(ghard, sizeof ghard, ce->got[1]);
        snprintf(r->text, sizeof r->text,
                 "rlimit.%s (soft %s, hard %s) did not take effect: it reads soft %s, hard %s afterwards%s",
                 name, soft, hard, gsoft, ghard,
                 res == RLIMIT_AS || res == RLIMIT_DATA || res == RLIMIT_STACK
                     ? " (QEMU user mode ignores rlimit.as, rlimit.data and rlimit.stack)" : "");
        return;
    }
    snprintf(r->text, sizeof r->text, "rlimit.%s (soft %s, hard %s): %s%s%s", name, soft, hard,
             strerror(r->err),
             r->err == EPERM ? " (raising a hard limit needs CAP_SYS_RESOURCE" : "",
             r->err != EPERM ? "" : res == RLIMIT_NOFILE ? "; nofile cannot exceed /proc/sys/fs/nr_open)" : ")");
}

static void describe_caps(struct spawned *r, const struct child_err *ce)
{
    int cap = ce->detail & 0xff, step = ce->detail >> 8;
    const char *e = strerror(r->err), *n = cap_name(cap);
    switch (step) {
    case CAPSTEP_UNKNOWN:
        snprintf(r->text, sizeof r->text,
                 "capabilities: %s (%d) is not known to this kernel (its last one is %s, %d)", n, cap,
                 cap_name((int)ce->got[0]), (int)ce->got[0]);
        break;
    case CAPSTEP_NOT_BOUNDING:
        snprintf(r->text, sizeof r->text,
                 "capabilities: %s (%d) is not in the helper's bounding set, so no program it starts can "
                 "have it (CapBnd in the JVM's /proc/PID/status)", n, cap);
        break;
    case CAPSTEP_NOT_PERMITTED:
        snprintf(r->text, sizeof r->text,
                 "capabilities: the helper does not hold %s (%d) itself (CapPrm in the JVM's "
                 "/proc/PID/status), so it cannot give it", n, cap);
        break;
    case CAPSTEP_DROP:
        snprintf(r->text, sizeof r->text, "capabilities: drop %s (%d) from the bounding set: %s%s", n, cap, e,
                 r->err == EPERM ? " (needs CAP_SETPCAP: the JVM must run as root)" : "");
        break;
    case CAPSTEP_KEEPCAPS:
        snprintf(r->text, sizeof r->text, "capabilities: prctl(PR_SET_KEEPCAPS): %s", e);
        break;
    case CAPSTEP_CAPSET:
        snprintf(r->text, sizeof r->text, "capabilities: capset: %s", e);
        break;
    case CAPSTEP_AMBIENT:
        snprintf(r->text, sizeof r->text, "capabilities: raise %s (%d) into the ambient set: %s%s", n, cap, e,
                 r->err == EINVAL ? " (ambient capabilities need Linux 4.3 or later)"
                 : r->err == EPERM ? " (SECBIT_NO_CAP_AMBIENT_RAISE is set)" : "");
        break;
    default:
        snprintf(r->text, sizeof r->text, "capabilities: capget: %s", e);
        break;
    }
}

static void describe(const struct spawn_spec *s, struct spawned *r, const struct child_err *ce)
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
        snprintf(r->text, sizeof r->text, "execve %s: %s%s", s->path, e,
                 r->err == EAGAIN && (s->rlimit_set & (1u << RLIMIT_NPROC))
                     ? " (the user already has as many processes as rlimit.nproc allows)"
                 : r->err == ENOMEM && (s->rlimit_set & (1u << RLIMIT_AS)) ? " (rlimit.as may be too small)"
                 : "");
        break;
    case STAGE_RLIMIT:
        describe_rlimit(s, r, ce);
        break;
    case STAGE_NICE:
        snprintf(r->text, sizeof r->text, "nice %ld: %s%s", (long)s->nice, e,
                 r->err == EACCES || r->err == EPERM
                     ? " (a nice value below the current one needs CAP_SYS_NICE or rlimit.nice)" : "");
        break;
    case STAGE_OOM_SCORE_ADJ:
        snprintf(r->text, sizeof r->text, "oom.score.adj %ld (write /proc/self/oom_score_adj): %s%s",
                 (long)s->oom_score_adj, e,
                 r->err == EACCES || r->err == EPERM
                     ? " (a value below the current one needs CAP_SYS_RESOURCE)" : "");
        break;
    case STAGE_CAPABILITIES:
        describe_caps(r, ce);
        break;
    case STAGE_NO_NEW_PRIVS:
        snprintf(r->text, sizeof r->text, "no.new.privileges: prctl(PR_SET_NO_NEW_PRIVS): %s", e);
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
    struct child_err ce = {0, 0, 0, {0, 0}};
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

    int cg_fd = s->cgroup ? open(s->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    sigset_t old;
    sig_block_all(&old);
    pid_t parent = getpid();
    int joined = 0;
    pid_t pid = -1;
    if (cg_fd >= 0) {
        pid = fork_into_cgroup(cg_fd);
        joined = pid >= 0;
    }
    if (!joined)
        pid = fork(); /* no cgroup, or clone3 could not: the child joins the cgroup itself (or says why not) */
    if (pid == 0) {
        close(ep[0]);
        if (cg_fd >= 0)
            close(cg_fd);
        child(s, ep[1], in[0], out[1], err[1], parent, joined);
    }
    int fork_errno = errno;
    sig_restore(&old);
    if (cg_fd >= 0)
        close(cg_fd);
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
    describe(s, r, &ce);
    return -1;
}
