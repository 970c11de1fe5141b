/*
 * notify_send - speak the sd_notify protocol, step by step, without libsystemd.
 *
 * Usage:   notify_send STEP...
 * Steps, run in order:
 *   env           prints "NOTIFY_SOCKET=<v>", "WATCHDOG_USEC=<v>", "WATCHDOG_PID=<v>"
 *                 ("-" when unset) and "pid=<own pid>", one per line
 *   send=TEXT     sends TEXT ("\n" in TEXT is a newline) as one datagram to
 *                 $NOTIFY_SOCKET, then prints "sent"
 *   child=TEXT    a child process sends TEXT and a BARRIER=1 (it waits until the
 *                 receiver closed the passed fd, as systemd-notify does), then
 *                 exits; prints "sent" after it
 *   orphan=TEXT   the same from a grandchild whose parent exited (an orphan, in
 *                 a new session)
 *   barrier       sends "BARRIER=1" with the write end of a pipe and waits
 *                 (at most 5 s) until the receiver closed it: prints "barrier ok"
 *                 or "barrier timeout"
 *   watchdog=N    sends WATCHDOG=1 N times, every WATCHDOG_USEC/4, then prints
 *                 "petted N"
 *   sleep=MS      sleeps MS milliseconds
 *   quick=TEXT    a child sends TEXT and exits at once (no barrier): a
 *                 receiver may find it gone; prints "sent" after it
 *   exit=CODE     exits with CODE
 * At the end: exits 0 (or 99 when $NOTIFY_SOCKET is unset for a send, 98 when
 * a send failed: the error goes to stderr).
 * Used to: sd_notify tests of the helper and the daemons (ready.notify, STATUS,
 * WATCHDOG, STOPPING, MAINPID, senders inside and outside the program).
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static socklen_t address(struct sockaddr_un *a)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path) {
        fprintf(stderr, "notify_send: NOTIFY_SOCKET is not set\n");
        exit(99);
    }
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (n >= sizeof a->sun_path) {
        fprintf(stderr, "notify_send: NOTIFY_SOCKET too long\n");
        exit(98);
    }
    memcpy(a->sun_path, path, n);
    if (a->sun_path[0] == '@')
        a->sun_path[0] = 0;
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

/* TEXT with "\n" turned into newlines */
static size_t unescape(const char *in, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; in[i] && k + 1 < cap; i++) {
        if (in[i] == '\\' && in[i + 1] == 'n') {
            out[k++] = '\n';
            i++;
        } else {
            out[k++] = in[i];
        }
    }
    out[k] = 0;
    return k;
}

static void send_text(const char *text, int fd_to_pass)
{
    static char msg[8192];
    size_t n = unescape(text, msg, sizeof msg);
    struct sockaddr_un a;
    socklen_t alen = address(&a);
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        perror("notify_send: socket");
        exit(98);
    }
    struct iovec iov = {msg, n};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_name = &a;
    m.msg_namelen = alen;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int))];
    } control;
    if (fd_to_pass >= 0) {
        memset(&control, 0, sizeof control);
        m.msg_control = control.bytes;
        m.msg_controllen = sizeof control.bytes;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd_to_pass, sizeof(int));
    }
    if (sendmsg(s, &m, MSG_NOSIGNAL) < 0) {
        fprintf(stderr, "notify_send: sendmsg %s: %s\n", a.sun_path[0] ? a.sun_path : "(abstract)", strerror(errno));
        exit(98);
    }
    close(s);
}

static void show(const char *name)
{
    const char *v = getenv(name);
    printf("%s=%s\n", name, v ? v : "-");
}

int main(int argc, char *argv[])
{
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "env") == 0) {
            show("NOTIFY_SOCKET");
            show("WATCHDOG_USEC");
            show("WATCHDOG_PID");
            printf("pid=%ld\n", (long)getpid());
        } else if (strncmp(a, "send=", 5) == 0) {
            send_text(a + 5, -1);
            printf("sent\n");
        } else if (strncmp(a, "child=", 6) == 0 || strncmp(a, "orphan=", 7) == 0) {
            int orphan = a[0] == 'o';
            const char *text = strchr(a, '=') + 1;
            int done[2];
            if (pipe(done) < 0)
                return 98;
            pid_t c = fork();
            if (c == 0) {
                close(done[0]);
                if (orphan) {
                    setsid();
                    pid_t middle = getpid();
                    if (fork() != 0)
                        _exit(0); /* the grandchild is an orphan now */
                    while (getppid() == middle) /* wait until it was reparented */
                        sleep_ms(1);
                }
                send_text(text, -1);
                /* like systemd-notify: stay until the receiver read it (it checks who we are) */
                int b[2];
                if (pipe(b) < 0)
                    _exit(98);
                send_text("BARRIER=1", b[1]);
                close(b[1]);
                struct pollfd pfd = {b[0], POLLIN, 0};
                poll(&pfd, 1, 5000);
                if (write(done[1], "x", 1) < 0)
                    _exit(98);
                _exit(0);
            }
            close(done[1]);
            char x;
            ssize_t r = read(done[0], &x, 1);
            close(done[0]);
            waitpid(c, NULL, 0);
            if (r != 1)
                return 98;
            printf("sent\n");
        } else if (strncmp(a, "quick=", 6) == 0) {
            pid_t c = fork();
            if (c == 0) {
                send_text(a + 6, -1);
                _exit(0);
            }
            waitpid(c, NULL, 0);
            printf("sent\n");
        } else if (strcmp(a, "barrier") == 0) {
            int p[2];
            if (pipe(p) < 0)
                return 98;
            send_text("BARRIER=1", p[1]);
            close(p[1]);
            struct pollfd pfd = {p[0], POLLIN, 0};
            int r = poll(&pfd, 1, 5000);
            printf(r == 1 ? "barrier ok\n" : "barrier timeout\n");
            close(p[0]);
        } else if (strncmp(a, "watchdog=", 9) == 0) {
            const char *u = getenv("WATCHDOG_USEC");
            long usec = u ? atol(u) : 0;
            int n = atoi(a + 9);
            for (int k = 0; k < n; k++) {
                send_text("WATCHDOG=1", -1);
                sleep_ms(usec / 4000 > 0 ? usec / 4000 : 1);
            }
            printf("petted %d\n", n);
        } else if (strncmp(a, "sleep=", 6) == 0) {
            sleep_ms(atol(a + 6));
        } else if (strncmp(a, "exit=", 5) == 0) {
            return atoi(a + 5);
        } else {
            fprintf(stderr, "notify_send: unknown step '%s'\n", a);
            return 100;
        }
    }
    return 0;
}
