#define _GNU_SOURCE
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct config cfg = { .slow = 1 };
struct shared *shared;
int test_number;
pid_t suite_pid;
char marker[64];
sigjmp_buf test_jmp;
bool na_mode;
char na_reason[256];

/* ---- results ------------------------------------------------------------ */

static void set_result(int kind, const char *fmt, va_list ap)
{
    char text[900];
    vsnprintf(text, sizeof text, fmt, ap);
    if (kind == R_FAIL && na_mode) {
        shared->result = R_NA;
        snprintf(shared->reason, sizeof shared->reason, "%s; observed: %s", na_reason, text);
    } else {
        shared->result = kind;
        snprintf(shared->reason, sizeof shared->reason, "%s", text);
    }
}

void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_result(R_FAIL, fmt, ap);
    va_end(ap);
    siglongjmp(test_jmp, 1);
}

void not_applicable(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_result(R_NA, fmt, ap);
    va_end(ap);
    siglongjmp(test_jmp, 1);
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int scaled(int ms) { return ms * cfg.slow; }

void vlog(const char *fmt, ...)
{
    if (!cfg.verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "#   [%05lld] ", (long long)(now_ms() % 100000));
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- registry of what this test started --------------------------------- */

#define MAX_SESS 64
static sess_t *sessions[MAX_SESS];
static int n_sessions;
static listener_t *listeners[8];
static int n_listeners;
static pid_t tracked[256];
static int n_tracked;
static char cgroups[16][512];
static int n_cgroups;
static char detach_dirs[16][300];
static int n_detach_dirs;
static char notify_dirs[8][300];
static int n_notify_dirs;
static pid_t plain_children[16];
static int n_plain;
static int n_launched;
static char last_log_path[512];

const char *last_log(void) { return last_log_path; }
/* WINDOW of each spawn sent through a broker, for the helper that connects with its token */
static struct { uint8_t token[16]; uint64_t window; } windows[32];
static int n_windows;


void track_pid(pid_t pid)
{
    if (pid > 0 && n_tracked < 256)
        tracked[n_tracked++] = pid;
}

void test_cleanup(void)
{
    for (int i = 0; i < n_sessions; i++) {
        sess_t *s = sessions[i];
        if (s->fd >= 0) {
            close(s->fd);
            s->fd = -1;
        }
        if (s->pid > 0 && !s->reaped) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
            s->reaped = true;
        }
        if (s->spawned && s->prog > 0)
            kill(s->prog, SIGKILL);
    }
    for (int i = 0; i < n_plain; i++) {
        kill(plain_children[i], SIGKILL);
        waitpid(plain_children[i], NULL, 0);
    }
    for (int i = 0; i < n_tracked; i++)
        kill(tracked[i], SIGKILL);
    for (int i = 0; i < n_listeners; i++) {
        close(listeners[i]->fd);
        unlink(listeners[i]->path);
        rmdir(dirname(listeners[i]->path));
    }
    sweep_tagged(marker + strlen("CORRAL_ITEST="), true, NULL, 0);
    for (int i = 0; i < n_detach_dirs; i++) {
        char path[400];
        snprintf(path, sizeof path, "%s/a.sock", detach_dirs[i]);
        unlink(path);
        rmdir(detach_dirs[i]);
    }
    for (int i = 0; i < n_cgroups; i++)
        if (cg_exists(cgroups[i]))
            cg_destroy(cgroups[i]);
    for (int i = 0; i < n_notify_dirs; i++) {
        DIR *d = opendir(notify_dirs[i]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(d), e->d_name, 0);
        if (d)
            closedir(d);
        rmdir(notify_dirs[i]);
    }
}

const char *notify_dir(void)
{
    CHECK(n_notify_dirs < 8, "too many notify directories in one test");
    char *dir = notify_dirs[n_notify_dirs];
    snprintf(dir, 300, "/tmp/corral-itest-%d-n%d-%d", suite_pid, test_number, n_notify_dirs);
    n_notify_dirs++;
    return dir;
}

/* ---- files --------------------------------------------------------------- */

const char *tmp_file(const char *name, const void *data, size_t n)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/t%d-%s", cfg.tmpdir, test_number, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0, "cannot create %s: %s", p, strerror(errno));
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, (const char *)data + done, n - done);
        CHECK(w > 0, "write %s: %s", p, strerror(errno));
        done += w;
    }
    close(fd);
    return p;
}

const char *prog_path(const char *name)
{
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    if (name[0] == '/')
        snprintf(p, 512, "%s", name);
    else
        snprintf(p, 512, "%s/%s", cfg.testprogs, name);
    return p;
}

static const char PATTERN[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx\n";

bool pattern_ok(const uint8_t *p, size_t n, size_t *bad_at)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)PATTERN[i % 61]) {
            *bad_at = i;
            return false;
        }
    return true;
}

/* ---- launching the helper ------------------------------------------------ */

static void random_token(uint8_t token[16])
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, token, 16) != 16)
        for (int i = 0; i < 16; i++)
            token[i] = rand();
    if (fd >= 0)
        close(fd);
}

static void hex(const uint8_t *b, int n, char *out)
{
    for (int i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static sess_t *sess_new(int fd, pid_t pid, const char *name)
{
    CHECK(n_sessions < MAX_SESS, "too many sessions in one test");
    sess_t *s = calloc(1, sizeof *s);
    s->fd = fd;
    s->pid = pid;
    s->window = 262144;
    snprintf(s->name, sizeof s->name, "%s", name);
    if (fd >= 0)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    sessions[n_sessions++] = s;
    return s;
}

/*
 * Forks and execs [prefix...] helper args... with stdin /dev/null, stdout and
 * stderr to a log file in tmpdir, the tag in the environment, default signal
 * dispositions, and a few leaked (non-CLOEXEC) fds the helper must not pass
 * on to the program (fds 5, 9 and 63 on /dev/null). keep_fd is dup'ed to 3.
 */
static pid_t spawn_helper(char *const args[], int keep_fd)
{
    char *argv[40];
    int n = 0;
    for (int i = 0; i < cfg.nprefix; i++)
        argv[n++] = cfg.prefix[i];
    argv[n++] = (char *)cfg.helper;
    for (int i = 0; args[i] && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    char *log = last_log_path;
    snprintf(log, sizeof last_log_path, "%s/t%d-helper%d.log", cfg.tmpdir, test_number, n_launched++);
    if (cfg.verbose) {
        char line[1024] = "";
        for (int i = 0; argv[i]; i++)
            snprintf(line + strlen(line), sizeof line - strlen(line), "%s ", argv[i]);
        vlog("exec %s(log %s)", line, log);
    }

    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* move everything out of the way first, then put it in place */
        int logfd = fcntl(open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), F_DUPFD_CLOEXEC, 200);
        int null = fcntl(open("/dev/null", O_RDWR | O_CLOEXEC), F_DUPFD_CLOEXEC, 200);
        int keep = keep_fd >= 0 ? fcntl(keep_fd, F_DUPFD_CLOEXEC, 200) : -1;
        dup2(null, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        if (keep >= 0)
            dup2(keep, 3); /* dup2 clears CLOEXEC on 3 */
        for (int fd = keep >= 0 ? 4 : 3; fd < 1024; fd++)
            close(fd);
        int leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
        dup2(leak, 5);
        dup2(leak, 9);
        dup2(leak, 63);
        if (leak != 5 && leak != 9 && leak != 63 && leak != 3)
            close(leak);

        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
            signal(sig, SIG_DFL);

        char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", marker, NULL };
        if (strchr(argv[0], '/'))
            execve(argv[0], argv, envp);
        else
            execvpe(argv[0], argv, envp);
        fprintf(stderr, "helpertest: exec %s: %s\n", argv[0], strerror(errno));
        _exit(126);
    }
    return pid;
}

pid_t launch_plain(char *const argv[])
{
    pid_t pid = spawn_helper(argv, -1);
    if (n_plain < 16)
        plain_children[n_plain++] = pid;
    return pid;
}

static void wait_hello(sess_t *s)
{
    if (!WAIT_FOR(s->hello || s->hup || s->violation[0], 10000))
        fail("%s: no HELLO within %d ms", s->name, scaled(10000));
    CHECK(!s->violation[0], "%s: %s", s->name, s->violation);
    CHECK(s->hello, "%s: connection closed before HELLO%s", s->name,
          s->reaped ? " (helper exited)" : "");
}

static sess_t *launch_fd_impl(const uint8_t *token)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
          strerror(errno));
    char tokhex[40];
    if (token)
        hex(token, 16, tokhex);
    char *args[] = { "run-fd", "3", token ? tokhex : NULL, NULL };
    pid_t pid = spawn_helper(args, sv[1]);
    close(sv[1]);
    sess_t *s = sess_new(sv[0], pid, "helper");
    wait_hello(s);
    CHECK(s->role == ROLE_HELPER, "HELLO role %u, expected 2 (helper)", s->role);
    static const uint8_t zero[16];
    CHECK(memcmp(s->token, token ? token : zero, 16) == 0, "HELLO token is not %s",
          token ? "the one on the command line" : "16 zero bytes (run-fd without a token)");
    memcpy(s->want_token, s->token, 16);
    return s;
}

sess_t *launch_fd(void) { return launch_fd_impl(NULL); }
sess_t *launch_fd_token(const uint8_t token[16]) { return launch_fd_impl(token); }

listener_t *listen_new(void)
{
    CHECK(n_listeners < 8, "too many listeners");
    listener_t *l = calloc(1, sizeof *l);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/l%d-%d", cfg.tmpdir, test_number, n_listeners);
    CHECK(mkdir(dir, 0700) == 0, "mkdir %s: %s", dir, strerror(errno));
    snprintf(l->path, sizeof l->path, "%s/ctl.sock", dir);
    l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", l->path);
    CHECK(bind(l->fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind %s: %s", l->path,
          strerror(errno));
    CHECK(listen(l->fd, 16) == 0, "listen: %s", strerror(errno));
    random_token(l->token);
    listeners[n_listeners++] = l;
    return l;
}

static sess_t *accept_one(listener_t *l, int ms)
{
    int64_t deadline = now_ms() + scaled(ms);
    while (now_ms() < deadline) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            sess_t *s = sess_new(fd, 0, "conn");
            if (l->n_accepted < 32)
                l->accepted[l->n_accepted++] = s;
            return s;
        }
        pump(20);
    }
    return NULL;
}

static sess_t *launch_listening(listener_t *l, const char *mode, uint8_t role)
{
    char tokhex[40];
    hex(l->token, 16, tokhex);
    char *args[] = { (char *)mode, l->path, tokhex, NULL };
    pid_t pid = spawn_helper(args, -1);
    sess_t *s = accept_one(l, 10000);
    if (!s) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            fail("%s never connected to %s (it exited, status 0x%x)", mode, l->path, st);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail("%s never connected to %s within %d ms", mode, l->path, scaled(10000));
    }
    s->pid = pid;
    snprintf(s->name, sizeof s->name, "%s", mode);
    wait_hello(s);
    CHECK(s->role == role, "%s: HELLO role %u, expected %u", mode, s->role, role);
    CHECK(memcmp(s->token, l->token, 16) == 0, "%s: HELLO token differs from the one on the command line",
          mode);
    memcpy(s->want_token, l->token, 16);
    return s;
}

sess_t *launch_run(listener_t *l) { return launch_listening(l, "run", ROLE_HELPER); }
sess_t *launch_broker(listener_t *l) { return launch_listening(l, "broker", ROLE_BROKER); }

sess_t *accept_helper(listener_t *l, const uint8_t token[16], int ms)
{
    /* helpers connect in any order: look at what was accepted already first */
    int64_t deadline = now_ms() + scaled(ms);
    for (;;) {
        for (int i = 0; i < l->n_accepted; i++) {
            sess_t *s = l->accepted[i];
            if (s->hello && s->role == ROLE_HELPER && memcmp(s->token, token, 16) == 0 &&
                !s->check_token) {
                s->check_token = true; /* claimed */
                memcpy(s->want_token, token, 16);
                for (int w = 0; w < n_windows; w++)
                    if (memcmp(windows[w].token, token, 16) == 0)
                        s->window = windows[w].window;
                s->granted[1] = s->granted[2] = s->window;
                snprintf(s->name, sizeof s->name, "helper#%d", i);
                return s;
            }
        }
        if (now_ms() >= deadline)
            return NULL;
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            sess_t *s = sess_new(fd, 0, "conn");
            if (l->n_accepted < 32)
                l->accepted[l->n_accepted++] = s;
        }
        pump(20);
    }
}

/* ---- specs ---------------------------------------------------------------- */

buf_t spec_prog(const char *prog, ...)
{
    buf_t spec = { 0 };
    const char *path = prog_path(prog);
    field_str(&spec, T_PATH, path);
    field_str(&spec, T_ARG, prog[0] == '/' ? path : prog);
    va_list ap;
    va_start(ap, prog);
    for (const char *a; (a = va_arg(ap, const char *));)
        field_str(&spec, T_ARG, a);
    va_end(ap);
    field_str(&spec, T_ENV, marker);
    return spec;
}

void spec_env(buf_t *spec, const char *entry) { field_str(spec, T_ENV, entry); }

void send_frame(sess_t *s, uint8_t type, const void *payload, size_t n)
{
    frame(&s->out, type, payload, n);
    pump(0);
}

void spawn_raw(sess_t *s, const buf_t *spec, const uint8_t token[16])
{
    buf_t p = { 0 };
    if (token)
        field_bytes(&p, T_TOKEN, token, 16);
    buf_add(&p, spec->p, spec->len);
    /* remember WINDOW for the credit accounting */
    for (size_t off = 0; off + 6 <= spec->len;) {
        uint16_t tag = get_u16(spec->p + off);
        uint32_t len = get_u32(spec->p + off + 2);
        if (tag == T_WINDOW && len == 4)
            s->window = get_u32(spec->p + off + 6);
        if (tag == T_FLAGS && len == 4)
            s->flags = get_u32(spec->p + off + 6);
        off += 6 + len;
    }
    s->granted[1] = s->granted[2] = s->window;
    if (token && n_windows < 32) {
        memcpy(windows[n_windows].token, token, 16);
        windows[n_windows++].window = s->window;
    }
    send_frame(s, P_SPAWN, p.p, p.len);
    buf_free(&p);
}

void sess_spawn(sess_t *s, buf_t *spec)
{
    spawn_raw(s, spec, s->want_token);
    buf_free(spec);
}

void expect_spawned(sess_t *s)
{
    if (!WAIT_FOR(s->spawned || s->spawn_failed || s->hup, 10000))
        fail("no SPAWNED within %d ms", scaled(10000));
    CHECK(!s->spawn_failed, "SPAWN_FAILED errno %u stage %u: %s", s->sf_errno, s->sf_stage,
          buf_str(&s->sf_text));
    CHECK(s->spawned, "connection closed instead of SPAWNED%s", s->violation[0] ? s->violation : "");
    track_pid(s->prog);
}

sess_t *start(buf_t spec)
{
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawned(s);
    return s;
}

void send_credit(sess_t *s, uint8_t stream, uint32_t bytes)
{
    frame_credit(&s->out, stream, bytes);
    s->granted[stream] += bytes;
    pump(0);
}

void queue_stdin(sess_t *s, const void *data, size_t n)
{
    frame(&s->out, P_STDIN, data, n);
    s->stdin_sent += n;
    pump(0);
}

void send_stop(sess_t *s, uint32_t signo, uint32_t grace_ms)
{
    frame_stop(&s->out, signo, grace_ms);
    s->stops_sent++;
    pump(0);
}

void send_kill_helper(sess_t *broker, const uint8_t token[16])
{
    frame_kill_helper(&broker->out, token);
    pump(0);
}

static const struct helper_exit *find_helper_exit(sess_t *b, const uint8_t token[16])
{
    for (int i = 0; i < b->n_helper_exits; i++)
        if (memcmp(b->helper_exits[i].token, token, 16) == 0)
            return &b->helper_exits[i];
    return NULL;
}

const struct helper_exit *await_helper_exit(sess_t *b, const uint8_t token[16], int ms)
{
    WAIT_FOR(find_helper_exit(b, token) != NULL, ms);
    return find_helper_exit(b, token);
}

void send_signal(sess_t *s, uint8_t target, uint32_t signo)
{
    frame_signal(&s->out, target, signo);
    pump(0);
}

void hang_up(sess_t *s)
{
    vlog("%s: hang up", s->name);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

/* ---- receiving ------------------------------------------------------------- */

static void violation(sess_t *s, const char *fmt, ...)
{
    if (s->violation[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->violation, sizeof s->violation, fmt, ap);
    va_end(ap);
    vlog("%s: VIOLATION %s", s->name, s->violation);
}

static void on_frame(sess_t *s, const frame_t *f)
{
    const uint8_t *p = f->payload;
    size_t n = f->n;
    s->frames++;
    if (s->exited) {
        s->frames_after_exit++;
        violation(s, "%s frame after EXIT", frame_name(f->type));
    }
    if (s->frames == 1 && f->type != P_HELLO)
        violation(s, "first frame is %s (0x%02x), not HELLO", frame_name(f->type), f->type);
    if (s->detached)
        violation(s, "%s frame after DETACHED", frame_name(f->type));
    if (s->frames == 2 && s->check_attach && f->type != P_ATTACHED)
        violation(s, "second frame on an attach connection is %s, not ATTACHED", frame_name(f->type));

    switch (f->type) {
    case P_HELLO:
        if (n != 23) {
            violation(s, "HELLO payload %zu bytes, expected 23", n);
            break;
        }
        if (s->hello)
            violation(s, "second HELLO");
        s->hello = true;
        s->version = get_u16(p);
        s->role = p[2];
        s->hello_pid = get_u32(p + 3);
        memcpy(s->token, p + 7, 16);
        vlog("%s: HELLO version %u role %u pid %u", s->name, s->version, s->role, s->hello_pid);
        if (s->version != P_VERSION)
            violation(s, "HELLO version %u, expected %d", s->version, P_VERSION);
        for (int w = 0; w < n_windows; w++) /* a helper forked by a broker */
            if (s->pid == 0 && !s->check_attach && memcmp(windows[w].token, s->token, 16) == 0) {
                s->window = windows[w].window;
                s->granted[1] = s->granted[2] = s->window;
            }
        break;
    case P_SPAWNED:
        if (n != 4)
            violation(s, "SPAWNED payload %zu bytes, expected 4", n);
        else if (s->spawned || s->spawn_failed)
            violation(s, "second SPAWNED/SPAWN_FAILED");
        else {
            s->spawned = true;
            s->prog = get_u32(p);
            vlog("%s: SPAWNED %d", s->name, s->prog);
        }
        break;
    case P_SPAWN_FAILED:
        if (n < 5) {
            violation(s, "SPAWN_FAILED payload %zu bytes, expected >= 5", n);
            break;
        }
        if ((s->spawned || s->spawn_failed) && s->role != ROLE_BROKER)
            violation(s, "second SPAWNED/SPAWN_FAILED");
        if (s->role == ROLE_BROKER && n < 5 + 16)
            violation(s, "broker SPAWN_FAILED without a token (payload %zu bytes)", n);
        s->n_spawn_failed++;
        s->sf_text.len = 0;
        s->spawn_failed = true;
        s->sf_errno = get_u32(p);
        s->sf_stage = p[4];
        buf_add(&s->sf_text, p + 5, n - 5);
        vlog("%s: SPAWN_FAILED errno %u stage %u: %s", s->name, s->sf_errno, s->sf_stage,
             s->role == ROLE_BROKER ? "(token+text)" : buf_str(&s->sf_text));
        break;
    case P_DATA: {
        if (n < 2) {
            violation(s, "DATA frame without bytes (payload %zu)", n);
            break;
        }
        uint8_t st = p[0];
        size_t len = n - 1;
        if (st != S_STDOUT && st != S_STDERR) {
            violation(s, "DATA for stream %u", st);
            break;
        }
        if (len > P_MAX_DATA)
            violation(s, "DATA of %zu bytes, above 1 MiB", len);
        if (s->eof[st])
            violation(s, "DATA on stream %u after its EOF", st);
        if (!s->spawned)
            violation(s, "DATA before SPAWNED");
        s->received[st] += len;
        if (s->received[st] > s->granted[st])
            violation(s, "credit exceeded on stream %u: received %llu bytes, granted %llu", st,
                      (unsigned long long)s->received[st], (unsigned long long)s->granted[st]);
        if (len > s->max_frame_data)
            s->max_frame_data = len;
        buf_add(&s->data[st], p + 1, len);
        if (!s->manual_credit && s->fd >= 0) {
            frame_credit(&s->out, st, len);
            s->granted[st] += len;
        }
        break;
    }
    case P_EOF:
        if (n != 1 || (p[0] != S_STDOUT && p[0] != S_STDERR)) {
            violation(s, "bad EOF frame (payload %zu bytes)", n);
            break;
        }
        if (s->eof[p[0]])
            violation(s, "second EOF for stream %u", p[0]);
        s->eof[p[0]] = true;
        vlog("%s: EOF %u (%zu bytes)", s->name, p[0], s->data[p[0]].len);
        break;
    case P_EXIT:
        if (n != 6) {
            violation(s, "EXIT payload %zu bytes, expected 6", n);
            break;
        }
        if (s->exited)
            violation(s, "second EXIT");
        s->exited = true;
        s->exit_kind = p[0];
        s->exit_value = (int32_t)get_u32(p + 1);
        s->exit_flags = p[5];
        s->t_exit = now_ms();
        s->acked_at_exit = s->stdin_acked;
        for (int i = 1; i <= 2; i++) {
            s->data_at_exit[i] = s->data[i].len;
            s->eof_at_exit[i] = s->eof[i];
        }
        vlog("%s: EXIT kind %u value %d flags 0x%x", s->name, s->exit_kind, s->exit_value,
             s->exit_flags);
        break;
    case P_STDIN_ACK:
        if (n != 4) {
            violation(s, "STDIN_ACK payload %zu bytes, expected 4", n);
            break;
        }
        if (!(s->flags & FL_STDIN_ACK))
            violation(s, "STDIN_ACK without FLAGS bit 1 in the SPAWN");
        s->stdin_acked += get_u32(p);
        if (s->stdin_acked > s->stdin_sent)
            violation(s, "STDIN_ACK for %llu bytes, only %llu sent",
                      (unsigned long long)s->stdin_acked, (unsigned long long)s->stdin_sent);
        break;
    case P_DETACHED:
        if (n != 16) {
            violation(s, "DETACHED payload %zu bytes, expected 16", n);
            break;
        }
        s->detached = true;
        for (int i = 1; i <= 2; i++) {
            s->det_bytes[i] = get_u64(p + 8 * (i - 1));
            if (s->det_bytes[i] != s->att_bytes[i] + s->received[i])
                violation(s, "DETACHED says %llu bytes sent on stream %d, but %llu arrived (%llu before this "
                          "connection)", (unsigned long long)s->det_bytes[i], i,
                          (unsigned long long)(s->att_bytes[i] + s->received[i]),
                          (unsigned long long)s->att_bytes[i]);
        }
        vlog("%s: DETACHED stdout %llu stderr %llu", s->name, (unsigned long long)s->det_bytes[1],
             (unsigned long long)s->det_bytes[2]);
        break;
    case P_ATTACHED:
        if (n < 26) {
            violation(s, "ATTACHED payload %zu bytes, expected at least 26", n);
            break;
        }
        if (!s->check_attach)
            violation(s, "ATTACHED on a connection that sent no ATTACH");
        if (s->attached)
            violation(s, "second ATTACHED");
        s->attached = true;
        s->spawned = true; /* DATA, EOF and EXIT may follow */
        s->att_pid = get_u32(p);
        s->prog = (pid_t)s->att_pid;
        s->att_state = p[4];
        s->att_kind = p[5];
        s->att_value = (int32_t)get_u32(p + 6);
        s->att_bytes[1] = get_u64(p + 10);
        s->att_bytes[2] = get_u64(p + 18);
        buf_add(&s->att_label, p + 26, n - 26);
        if (s->att_state > 1)
            violation(s, "ATTACHED state %u", s->att_state);
        if (s->att_state == 0 && (s->att_kind || s->att_value))
            violation(s, "ATTACHED running, but with status kind %u value %d", s->att_kind, s->att_value);
        vlog("%s: ATTACHED pid %u state %u kind %u value %d bytes %llu/%llu", s->name, s->att_pid,
             s->att_state, s->att_kind, s->att_value, (unsigned long long)s->att_bytes[1],
             (unsigned long long)s->att_bytes[2]);
        break;
    case P_STATS: {
        /* entries: u16 name length, name, u32 value length, value */
        s->n_stats++;
        s->stats_before_exit = !s->exited;
        s->stats.len = 0;
        size_t at = 0;
        while (at < n) {
            if (n - at < 2) {
                violation(s, "STATS entry at %zu truncated", at);
                break;
            }
            size_t nl = get_u16(p + at);
            if (nl == 0 || n - at - 2 < nl + 4) {
                violation(s, "STATS entry at %zu: name length %zu", at, nl);
                break;
            }
            size_t vl = get_u32(p + at + 2 + nl);
            if (vl > n - at - 6 - nl) {
                violation(s, "STATS entry at %zu: value length %zu beyond the payload", at, vl);
                break;
            }
            buf_add(&s->stats, p + at + 2, nl);
            buf_add(&s->stats, "=", 1);
            for (size_t i = 0; i < vl; i++)
                buf_add(&s->stats, p[at + 6 + nl + i] == '\n' ? "|" : (const char *)p + at + 6 + nl + i, 1);
            buf_add(&s->stats, "\n", 1);
            at += 6 + nl + vl;
        }
        vlog("%s: STATS %zu bytes", s->name, n);
        break;
    }
    case P_HELPER_EXIT:
        if (n != 25) {
            violation(s, "HELPER_EXIT payload %zu bytes, expected 25", n);
            break;
        }
        if (s->role != ROLE_BROKER)
            violation(s, "HELPER_EXIT from a helper (only a broker sends it)");
        if (s->n_helper_exits < 64) {
            struct helper_exit *x = &s->helper_exits[s->n_helper_exits++];
            memcpy(x->token, p, 16);
            x->pid = get_u32(p + 16);
            x->kind = p[20];
            x->value = (int32_t)get_u32(p + 21);
            vlog("%s: HELPER_EXIT pid %u kind %u value %d", s->name, x->pid, x->kind, x->value);
            if (x->kind > EXIT_SIGNALED)
                violation(s, "HELPER_EXIT kind %u", x->kind);
        }
        break;
    case P_STOPPING:
        if (n != 8) {
            violation(s, "STOPPING payload %zu bytes, expected 8", n);
            break;
        }
        s->n_stopping++;
        s->stopping_signo = get_u32(p);
        s->stopping_grace = get_u32(p + 4);
        vlog("%s: STOPPING signal %u grace %u", s->name, s->stopping_signo, s->stopping_grace);
        if (s->n_stopping > s->stops_sent)
            violation(s, "STOPPING number %d, but only %d STOP frames were sent", s->n_stopping, s->stops_sent);
        break;
    case P_MESSAGE: {
        if (n < 1) {
            violation(s, "empty MESSAGE frame");
            break;
        }
        char text[600];
        size_t tn = n - 1 < sizeof text - 1 ? n - 1 : sizeof text - 1;
        memcpy(text, p + 1, tn);
        text[tn] = '\0';
        char line[700];
        int ln = snprintf(line, sizeof line, "%u: %s\n", p[0], text);
        buf_add(&s->msgs, line, ln);
        if (p[0] >= LVL_ERROR)
            s->n_error_msgs++;
        if (strcasestr(text, "subreaper"))
            s->subreaper_warn = true;
        vlog("%s: MESSAGE %s", s->name, line);
        break;
    }
    case P_NOTIFY: {
        if (n < 5 || n > 4 + 4096) {
            violation(s, "NOTIFY payload %zu bytes, expected 5..4100", n);
            break;
        }
        if (!s->spawned)
            violation(s, "NOTIFY before SPAWNED");
        char line[4200];
        int ln = snprintf(line, sizeof line, "%u: ", get_u32(p));
        for (size_t i = 4; i < n && ln < (int)sizeof line - 2; i++)
            line[ln++] = p[i] == '\n' ? '|' : (char)p[i];
        line[ln++] = '\n';
        buf_add(&s->notifies, line, ln);
        s->n_notify++;
        vlog("%s: NOTIFY %.*s", s->name, ln, line);
        break;
    }
    default:
        violation(s, "unknown frame type 0x%02x (%zu bytes)", f->type, n);
    }
}

static void sess_read(sess_t *s)
{
    for (;;) {
        uint8_t chunk[65536];
        ssize_t r = recv(s->fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (r > 0) {
            buf_add(&s->in, chunk, r);
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        /* EOF or error: the helper hung up */
        if (!s->hup)
            vlog("%s: connection closed by the helper (%s)", s->name, r == 0 ? "EOF" : strerror(errno));
        s->hup = true;
        break;
    }
    for (;;) {
        frame_t f;
        size_t used;
        const char *err;
        int k = frame_next(&s->in, &f, &used, &err);
        if (k == 0)
            break;
        if (k < 0) {
            violation(s, "bad frame from the helper: %s", err);
            s->in.len = 0;
            break;
        }
        on_frame(s, &f);
        buf_drop(&s->in, used);
    }
    if (s->hup && s->in.len)
        violation(s, "connection closed inside a frame (%zu bytes left)", s->in.len);
    if (s->hup && s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

static void sess_write(sess_t *s)
{
    while (s->out.len && s->fd >= 0) {
        ssize_t w = send(s->fd, s->out.p, s->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            buf_drop(&s->out, w);
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        vlog("%s: send: %s", s->name, strerror(errno));
        s->out.len = 0; /* the helper is gone; reading will tell */
        break;
    }
}

static void reap(void)
{
    for (int i = 0; i < n_sessions; i++) {
        sess_t *s = sessions[i];
        if (s->pid > 0 && !s->reaped && waitpid(s->pid, &s->wstatus, WNOHANG) == s->pid) {
            s->reaped = true;
            vlog("%s: helper process %d ended, status 0x%x", s->name, s->pid, s->wstatus);
        }
    }
}

void pump(int ms)
{
    struct pollfd pf[MAX_SESS];
    sess_t *who[MAX_SESS];
    int n = 0;
    for (int i = 0; i < n_sessions; i++) {
        sess_t *s = sessions[i];
        if (s->fd < 0)
            continue;
        sess_write(s);
        pf[n].fd = s->fd;
        pf[n].events = POLLIN | (s->out.len ? POLLOUT : 0);
        who[n++] = s;
    }
    if (n == 0) {
        if (ms > 0)
            sleep_ms(ms);
    } else if (poll(pf, n, ms) > 0) {
        for (int i = 0; i < n; i++) {
            if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
                sess_read(who[i]);
            if (who[i]->fd >= 0 && (pf[i].revents & POLLOUT))
                sess_write(who[i]);
        }
    }
    for (int i = 0; i < n_sessions; i++)
        if (sessions[i]->fd >= 0 && sessions[i]->out.len)
            sess_write(sessions[i]);
    reap();
}

/* ---- expectations ------------------------------------------------------------ */

const char *exit_str(sess_t *s)
{
    static char text[8][120];
    static int k;
    char *t = text[k++ % 8];
    if (!s->exited)
        snprintf(t, 120, "no EXIT");
    else if (s->exit_kind == EXIT_EXITED)
        snprintf(t, 120, "exited %d (flags 0x%x)", s->exit_value, s->exit_flags);
    else if (s->exit_kind == EXIT_SIGNALED)
        snprintf(t, 120, "killed by signal %d (flags 0x%x)", s->exit_value, s->exit_flags);
    else
        snprintf(t, 120, "EXIT kind %u value %d (flags 0x%x)", s->exit_kind, s->exit_value,
                 s->exit_flags);
    return t;
}

/* a short printable excerpt of a stream, for failure reasons */
const char *out_str(sess_t *s, int stream)
{
    static char text[4][200];
    static int k;
    char *t = text[k++ % 4];
    buf_t *b = &s->data[stream];
    size_t j = 0;
    t[j++] = '"';
    for (size_t i = 0; i < b->len && j < 180; i++) {
        unsigned char c = b->p[i];
        if (c == '\n') {
            t[j++] = '\\';
            t[j++] = 'n';
        } else
            t[j++] = isprint(c) ? c : '?';
    }
    if (b->len && j >= 180)
        j += sprintf(t + j, "...");
    t[j++] = '"';
    t[j] = '\0';
    return t;
}

void check_clean(sess_t *s)
{
    CHECK(!s->violation[0], "%s: protocol violation: %s", s->name, s->violation);
    CHECK(s->n_error_msgs == 0, "%s: error MESSAGE from the helper: %s", s->name, buf_str(&s->msgs));
}

void expect_exit(sess_t *s, int ms)
{
    if (!WAIT_FOR(s->exited || s->hup || s->violation[0], ms))
        fail("no EXIT within %d ms (stdout %zu bytes, stderr %zu bytes%s)", scaled(ms),
             s->data[1].len, s->data[2].len, s->eof[1] ? ", stdout EOF" : "");
    check_clean(s);
    CHECK(s->exited, "connection closed without EXIT (helper %s)",
          s->reaped ? "exited" : "still running");
    /* drain-before-exit: the output must all be there, pipes at EOF */
    CHECK(s->frames_after_exit == 0, "%d frames after EXIT", s->frames_after_exit);
    CHECK(s->eof_at_exit[S_STDOUT] && s->eof_at_exit[S_STDERR],
          "EXIT came before EOF(%s) (EXIT must follow both EOFs)",
          !s->eof_at_exit[S_STDOUT] ? "stdout" : "stderr");
}

static const char *status_str(int st)
{
    static char t[64];
    if (WIFEXITED(st))
        snprintf(t, sizeof t, "exit status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(t, sizeof t, "killed by signal %d", WTERMSIG(st));
    else
        snprintf(t, sizeof t, "status 0x%x", st);
    return t;
}

bool helper_gone(sess_t *s)
{
    if (s->pid > 0)
        return s->reaped;
    return s->hello_pid == 0 || proc_gone(s->hello_pid);
}

void expect_helper_done(sess_t *s, int ms)
{
    if (!WAIT_FOR(s->hup, ms))
        fail("%s: the helper did not close the connection within %d ms after EXIT", s->name,
             scaled(ms));
    CHECK(!s->violation[0], "%s: protocol violation: %s", s->name, s->violation);
    if (!WAIT_FOR(helper_gone(s), ms))
        fail("%s: the helper process did not exit within %d ms after EXIT", s->name, scaled(ms));
    if (s->pid > 0)
        CHECK(WIFEXITED(s->wstatus) && WEXITSTATUS(s->wstatus) == 0,
              "%s: the helper ended with %s, expected exit status 0", s->name, status_str(s->wstatus));
}

void finish(sess_t *s, int ms)
{
    expect_exit(s, ms);
    expect_helper_done(s, 5000);
    check_clean(s);
}

/* ---- processes ------------------------------------------------------------------ */

bool proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp, pid_t *sid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!ok)
        return false;
    char *close_paren = strrchr(line, ')'); /* comm may contain anything */
    if (!close_paren)
        return false;
    char st;
    int pp, pg, si;
    if (sscanf(close_paren + 2, "%c %d %d %d", &st, &pp, &pg, &si) != 4)
        return false;
    if (state)
        *state = st;
    if (ppid)
        *ppid = pp;
    if (pgrp)
        *pgrp = pg;
    if (sid)
        *sid = si;
    return true;
}

bool proc_gone(pid_t pid)
{
    if (pid <= 0)
        return true;
    if (kill(pid, 0) == -1 && errno == ESRCH)
        return true;
    char st;
    if (!proc_stat(pid, &st, NULL, NULL, NULL))
        return true;
    return st == 'Z' || st == 'X'; /* dead, only waiting to be reaped */
}

long long proc_wchar(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/io", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    long long v = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "wchar: %lld", &v) == 1)
            break;
    fclose(f);
    return v;
}

int parse_pids(const char *text, pid_t *pids, int max)
{
    int n = 0;
    while (*text && n < max) {
        const char *eol = strchr(text, '\n');
        size_t len = eol ? (size_t)(eol - text) : strlen(text);
        bool digits = len > 0;
        for (size_t i = 0; i < len; i++)
            if (!isdigit((unsigned char)text[i]))
                digits = false;
        if (digits)
            pids[n++] = atoi(text);
        if (!eol)
            break;
        text = eol + 1;
    }
    return n;
}

int alive_list(const pid_t *pids, int n, char *out, size_t outsz)
{
    int alive = 0;
    if (out && outsz)
        out[0] = '\0';
    for (int i = 0; i < n; i++)
        if (!proc_gone(pids[i])) {
            alive++;
            if (out && strlen(out) + 12 < outsz)
                sprintf(out + strlen(out), "%s%d", alive > 1 ? " " : "", pids[i]);
        }
    return alive;
}

bool wait_gone(const pid_t *pids, int n, int ms)
{
    return WAIT_FOR(alive_list(pids, n, NULL, 0) == 0, ms);
}

/* Does /proc/<pid>/environ hold an entry CORRAL_ITEST=<tag> (or any
 * CORRAL_ITEST=<tag>-... when tag ends with '-')? */
static bool has_tag(pid_t pid, const char *tag)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    static char env[65536];
    ssize_t n = read(fd, env, sizeof env - 1);
    close(fd);
    if (n <= 0)
        return false;
    env[n] = '\0';
    char want[80];
    snprintf(want, sizeof want, "CORRAL_ITEST=%s", tag);
    size_t wl = strlen(want);
    bool prefix = want[wl - 1] == '-';
    for (char *e = env; e < env + n; e += strlen(e) + 1)
        if (prefix ? strncmp(e, want, wl) == 0 : strcmp(e, want) == 0)
            return true;
    return false;
}

int sweep_tagged(const char *tag, bool kill_them, char *list, size_t listsz)
{
    int found = 0;
    if (list && listsz)
        list[0] = '\0';
    for (int round = 0; round < (kill_them ? 5 : 1); round++) {
        int this_round = 0;
        DIR *d = opendir("/proc");
        if (!d)
            return 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            pid_t pid = atoi(e->d_name);
            if (pid <= 1 || pid == getpid() || proc_gone(pid) || !has_tag(pid, tag))
                continue;
            this_round++;
            if (round == 0) {
                found++;
                if (list && strlen(list) + 40 < listsz) {
                    char comm[32] = "?", path[64];
                    snprintf(path, sizeof path, "/proc/%d/comm", pid);
                    FILE *f = fopen(path, "re");
                    if (f) {
                        if (fscanf(f, "%31s", comm) != 1)
                            strcpy(comm, "?");
                        fclose(f);
                    }
                    sprintf(list + strlen(list), "%s%d(%s)", found > 1 ? " " : "", pid, comm);
                }
            }
            if (kill_them)
                kill(pid, SIGKILL);
        }
        closedir(d);
        if (this_round == 0)
            break;
        sleep_ms(20);
    }
    return found;
}

/* ---- cgroups ---------------------------------------------------------------------- */

const char *cg_mount(void)
{
    static char mount[256];
    static int looked;
    if (looked)
        return mount[0] ? mount : NULL;
    looked = 1;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return NULL;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        char *sep = strstr(line, " - ");
        if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
            continue;
        char mp[256];
        if (sscanf(line, "%*s %*s %*s %*s %255s", mp) == 1) {
            snprintf(mount, sizeof mount, "%s", mp);
            break;
        }
    }
    fclose(f);
    return mount[0] ? mount : NULL;
}

const char *cg_make(void)
{
    const char *root = cg_mount();
    if (!root)
        not_applicable("no cgroup2 mount in /proc/self/mountinfo");
    CHECK(n_cgroups < 16, "too many cgroups in one test");
    char *dir = cgroups[n_cgroups];
    snprintf(dir, 512, "%s/corral-itest-%d-%d-%d", root, suite_pid, test_number, n_cgroups);
    CHECK(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir, strerror(errno));
    n_cgroups++;
    return dir;
}

bool cg_exists(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0;
}

bool cg_contains(pid_t pid, const char *dir)
{
    const char *root = cg_mount();
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool found = false;
    const char *rel = dir + strlen(root); /* "/corral-itest-..." */
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "0::", 3) == 0 && strcmp(line + 3, rel) == 0)
            found = true;
    }
    fclose(f);
    return found;
}

static bool cg_populated(const char *dir)
{
    char path[600], line[256];
    snprintf(path, sizeof path, "%s/cgroup.events", dir);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool pop = false;
    while (fgets(line, sizeof line, f))
        if (strcmp(line, "populated 1\n") == 0)
            pop = true;
    fclose(f);
    return pop;
}

void cg_destroy(const char *dir)
{
    char path[600];
    for (int tries = 0; tries < 100 && cg_populated(dir); tries++) {
        snprintf(path, sizeof path, "%s/cgroup.kill", dir);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (write(fd, "1", 1) != 1) { /* ignore */ }
            close(fd);
        } else {
            snprintf(path, sizeof path, "%s/cgroup.procs", dir);
            FILE *f = fopen(path, "re");
            int pid;
            while (f && fscanf(f, "%d", &pid) == 1)
                kill(pid, SIGKILL);
            if (f)
                fclose(f);
        }
        sleep_ms(20);
    }
    /* children first (a failed test may leave its program's leaf below the base): rmdir of a
     * cgroup with a child fails with EBUSY */
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            cg_destroy(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

int sweep_cgroups(const char *prefix, char *list, size_t listsz)
{
    const char *root = cg_mount();
    int found = 0;
    if (list && listsz)
        list[0] = '\0';
    if (!root)
        return 0;
    DIR *d = opendir(root);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char dir[600];
        snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
        found++;
        if (list && strlen(list) + strlen(dir) + 2 < listsz)
            sprintf(list + strlen(list), "%s%s", found > 1 ? " " : "", dir);
        cg_destroy(dir);
    }
    closedir(d);
    return found;
}

/* ---- detach and re-attach ---------------------------------------------------------- */

#define WAIT 10000

const char *detach_path(void)
{
    CHECK(n_detach_dirs < 16, "too many detach directories in one test");
    char *dir = detach_dirs[n_detach_dirs];
    snprintf(dir, 300, "/tmp/corral-itest-%d-d%d-%d", suite_pid, test_number, n_detach_dirs);
    CHECK(mkdir(dir, 0700) == 0, "mkdir %s: %s", dir, strerror(errno));
    n_detach_dirs++;
    static char path[8][400];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 400, "%s/a.sock", dir);
    return p;
}

void random_secret(uint8_t secret[16])
{
    random_token(secret);
    secret[0] |= 1; /* never all zero */
}

void send_detach(sess_t *s, uint32_t lease_ms, const uint8_t secret[16], const char *path)
{
    vlog("%s: DETACH lease %u ms path %s", s->name, lease_ms, path);
    frame_detach(&s->out, lease_ms, secret, path);
    pump(0);
}

void expect_detached(sess_t *s)
{
    if (!WAIT_FOR((s->detached && s->hup) || s->violation[0] || s->n_error_msgs || s->exited ||
                      (s->hup && !s->detached), WAIT))
        fail("%s: no DETACHED and close within %d ms%s", s->name, scaled(WAIT),
             s->detached ? " (DETACHED came, the connection stayed open)" : "");
    CHECK(!s->violation[0], "%s: protocol violation: %s", s->name, s->violation);
    CHECK(s->n_error_msgs == 0, "%s: DETACH answered with an error: %s", s->name, buf_str(&s->msgs));
    CHECK(!s->exited, "%s: EXIT instead of DETACHED: %s", s->name, exit_str(s));
    CHECK(s->detached, "%s: connection closed without DETACHED", s->name);
}

int connect_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

bool is_socket(const char *path, mode_t *mode)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return false;
    if (mode)
        *mode = st.st_mode & 07777;
    return true;
}

sess_t *attach_to(const char *path, const uint8_t secret[16], uint32_t window, bool manual_credit)
{
    int fd = connect_unix(path);
    if (fd < 0)
        return NULL;
    sess_t *s = sess_new(fd, 0, "attach");
    s->check_attach = true;
    s->manual_credit = manual_credit;
    s->window = window;
    s->granted[1] = s->granted[2] = window;
    vlog("%s: ATTACH window %u to %s", s->name, window, path);
    frame_attach(&s->out, secret, window);
    pump(0);
    return s;
}

void expect_attached(sess_t *a)
{
    if (!WAIT_FOR(a->attached || a->hup || a->violation[0], WAIT))
        fail("%s: no HELLO + ATTACHED within %d ms", a->name, scaled(WAIT));
    CHECK(!a->violation[0], "%s: protocol violation: %s", a->name, a->violation);
    CHECK(a->attached, "%s: the helper closed the connection instead of ATTACHED (%d frames)", a->name,
          a->frames);
    CHECK(a->hello && a->role == ROLE_HELPER, "%s: ATTACHED without HELLO(role helper)", a->name);
}

void expect_refused(sess_t *a, const char *what)
{
    if (!WAIT_FOR(a->hup || a->frames > 0, WAIT))
        fail("%s: the helper kept the connection open for %d ms", what, scaled(WAIT));
    CHECK(a->frames == 0 && a->in.len == 0, "%s: the helper answered (%d frames%s)", what, a->frames,
          a->attached ? ", ATTACHED" : "");
    CHECK(a->hup, "%s: connection not closed", what);
}
