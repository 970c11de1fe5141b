/* The helper's event loop: forwards output under credit, feeds stdin,
 * reacts to control frames, signals and child exits, and drives the
 * teardown state machine. */
#include "loop.h"
#include "sig.h"
#include "spawn.h"
#include "tree.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define IN_INITIAL 16384
#define PIPE_BIG (1 << 20)
#define BULK_READ 65536 /* a read this big means a busy stream: enlarge, splice */
/* Pending STDIN bytes at which the helper stops reading its connection.  A
 * JVM using STDIN_ACK never gets near it (it keeps PROTO_STDIN_WINDOW in
 * flight); for one that does not, a generous buffer keeps CREDIT frames that
 * were queued behind STDIN frames flowing (the program may be blocked on
 * stdout waiting for them). */
#define STDIN_BUFFER_MAX (4u * PROTO_STDIN_WINDOW)

void helper_init(struct helper *h, int sock, int sigfd, const uint8_t token[PROTO_TOKEN_LEN])
{
    memset(h, 0, sizeof *h);
    h->sock = sock;
    h->connected = 1;
    memcpy(h->token, token, PROTO_TOKEN_LEN);
    h->listen_fd = -1;
    for (int i = 0; i < ATTACH_PENDING_MAX; i++)
        h->pend[i].fd = -1;
    h->sigfd = sigfd;
    h->ino_fd = -1;
    h->pid = -1;
    h->stdin_fd = -1;
    h->splice_ok = 1;
    for (int i = 0; i < 2; i++) {
        h->out[i].fd = -1;
        h->out[i].id = i + 1;
    }
    notify_init(&h->nt);
}

static void td_apply(struct helper *h, unsigned act);

/* No control connection and none to wait for: output is dropped, the
 * teardown runs to its end, then the helper exits. */
static int hung_up(const struct helper *h)
{
    return !h->connected && !h->detached;
}

/* STDIN payload bytes done with (written or dropped), in order: those of an
 * older connection still buffered at re-attach are never acknowledged. */
static void ack_add(struct helper *h, uint64_t n)
{
    uint64_t skip = n < h->stdin_noack ? n : h->stdin_noack;
    h->stdin_noack -= skip;
    h->stdin_ack += n - skip;
}

static void close_stdin(struct helper *h)
{
    if (h->stdin_fd >= 0)
        close(h->stdin_fd);
    h->stdin_fd = -1;
    ack_add(h, h->stdin_len - h->stdin_off); /* dropped: done with them */
    h->stdin_len = h->stdin_off = 0;
    h->stdin_eof_pending = 0;
}

/* The owner is gone (or spoke nonsense): tear down at once. */
static void hangup(struct helper *h)
{
    if (!h->connected)
        return;
    h->connected = 0;
    close(h->sock);
    h->sock = -1;
    close_stdin(h);
    h->ctl_blocked = 0;
    if (h->pid > 0 && h->spec)
        td_apply(h, td_start(&h->td, (int)h->spec->kill_signal, h->spec->grace_ms, !h->reaped, now_ms()));
}

void helper_send(struct helper *h, const void *buf, size_t n)
{
    if (h->connected && write_all(h->sock, buf, n) < 0)
        hangup(h);
}

void helper_msg(struct helper *h, int level, const char *fmt, ...)
{
    char text[1024];
    uint8_t frame[1024 + 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (h->connected) {
        helper_send(h, frame, enc_message(frame, sizeof frame, level, text));
    } else if (level >= LVL_WARN) {
        dprintf(2, "corral-helper[%d]: %s\n", (int)getpid(), text);
    }
}

static void protocol_error(struct helper *h, const char *text)
{
    helper_msg(h, LVL_ERROR, "protocol error: %s", text);
    hangup(h);
}

/* ---- teardown actions ---- */

static void check_cgroup(struct helper *h)
{
    if (!h->spec->cgroup || h->td.state == TD_DONE || !h->td.watching)
        return;
    int p = cgroup_populated(h->spec->cgroup);
    if (p < 0)
        helper_msg(h, LVL_WARN, "cannot read %s/cgroup.events: %s; taking the cgroup as empty",
                   h->spec->cgroup, strerror(errno));
    if (p <= 0)
        td_apply(h, td_event(&h->td, TD_EV_CGROUP_EMPTY, now_ms()));
}

/* Removes the CGROUP_REMOVE directories.  final: the program's run is over
 * (not a failed spawn): the CGROUP_STATS directory's files are read first,
 * for the STATS frame that precedes EXIT. */
static void remove_cgroups(struct helper *h, int final)
{
    const char *stats_dir = h->spec->cgroup_stats;
    if (final && stats_dir && !h->stats && !h->stats_failed) {
        h->stats = cgroup_stats_frame(stats_dir, &h->stats_len);
        if (!h->stats) {
            h->stats_failed = 1;
            helper_msg(h, LVL_WARN, "cannot read the statistics of cgroup %s (%s): leaving it to the JVM",
                       stats_dir, strerror(errno));
        }
    }
    for (size_t i = 0; i < h->spec->ncgroup_remove; i++) {
        const char *d = h->spec->cgroup_remove[i];
        if (h->stats_failed && stats_dir && strcmp(d, stats_dir) == 0)
            continue;
        if (rmdir(d) < 0 && errno != ENOENT) {
            h->cgroup_not_removed = 1;
            helper_msg(h, LVL_WARN, "cannot remove cgroup %s: %s", d, strerror(errno));
        }
    }
}

static void td_apply(struct helper *h, unsigned act)
{
    const char *cg = h->spec->cgroup;
    if (act & TD_ACT_WATCH_CGROUP) {
        /* Most programs leave an empty cgroup behind: then no inotify instance
         * is needed (there are 128 per user by default). Otherwise watch, and
         * look again: it may have emptied in between. */
        if (cgroup_populated(cg) > 0) {
            h->ino_fd = cgroup_watch(cg);
            if (h->ino_fd < 0)
                helper_msg(h, LVL_WARN, "cannot watch %s/cgroup.events (%s): checking it on the re-kill timer",
                           cg, strerror(errno));
        }
        check_cgroup(h); /* may finish the machine (and remove the cgroups) */
    }
    if (h->td.state != TD_DONE) {
        if (act & TD_ACT_SIGNAL)
            tree_signal(&h->tree, h->td.signo);
        if (act & TD_ACT_KILL)
            tree_signal(&h->tree, SIGKILL);
    }
    if ((act & TD_ACT_DONE) && h->td.gave_up)
        helper_msg(h, LVL_WARN, "cgroup %s still populated %d ms after SIGKILL: giving up waiting",
                   cg, TD_CGROUP_GIVEUP_MS);
    if (act & TD_ACT_RMDIR)
        remove_cgroups(h, 1);
}

/* ---- children ---- */

static void reap(struct helper *h)
{
    int some = 0, gone = 0, program_now = 0;
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p > 0) {
            some = 1;
            if (p == h->pid) {
                h->reaped = 1;
                h->status = st;
                program_now = 1;
            }
            continue;
        }
        if (p < 0 && errno == EINTR)
            continue;
        if (p < 0 && errno == ECHILD)
            gone = tree_strays(&h->tree) == 0; /* with a subreaper: ECHILD says it all */
        break;
    }
    int64_t now = now_ms();
    if (gone && !h->td.children_gone)
        td_apply(h, td_event(&h->td, TD_EV_CHILDREN_GONE, now));
    else if (some && !gone)
        td_apply(h, td_event(&h->td, TD_EV_REAPED_SOME, now));
    if (program_now) {
        close_stdin(h);
        if (!(h->spec->flags & SPAWN_FLAG_KEEP_DESCENDANTS) || hung_up(h))
            td_apply(h, td_start(&h->td, (int)h->spec->kill_signal, h->spec->grace_ms, 0, now));
    }
}

/* ---- output ---- */

static int ensure_obuf(struct helper *h)
{
    if (!h->obuf)
        h->obuf = malloc(PROTO_DATA_HDR_LEN + PROTO_DATA_MAX);
    return h->obuf ? 0 : -1;
}

static void stream_eof(struct helper *h, struct outstream *s)
{
    uint8_t f[8];
    close(s->fd);
    s->fd = -1;
    s->eof_sent = 1;
    helper_send(h, f, enc_eof(f, s->id));
}

/* Moves n bytes that are known to sit in the pipe into the socket, after
 * the DATA header was written. */
static void move_bytes(struct helper *h, struct outstream *s, size_t n)
{
    while (n > 0 && h->connected) {
        if (h->splice_ok) {
            ssize_t r = splice(s->fd, NULL, h->sock, NULL, n, SPLICE_F_MOVE);
            if (r > 0) {
                n -= (size_t)r;
                continue;
            }
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                h->splice_ok = 0; /* nothing moved: copy instead */
                continue;
            }
            hangup(h);
            return;
        }
        if (ensure_obuf(h) < 0) {
            hangup(h);
            return;
        }
        ssize_t r = read(s->fd, h->obuf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) { /* cannot happen: the bytes were there */
            hangup(h);
            return;
        }
        helper_send(h, h->obuf, (size_t)r);
        n -= (size_t)r;
    }
}

static void pump(struct helper *h, struct outstream *s, short rev)
{
    if (ensure_obuf(h) < 0)
        return;
    if (hung_up(h)) { /* owner gone: drop output so writers never block */
        ssize_t r = read(s->fd, h->obuf, PROTO_DATA_MAX);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
            close(s->fd);
            s->fd = -1;
            s->eof_sent = 1;
        }
        return;
    }
    if (s->credit == 0) {
        /* polled for POLLHUP only: EOF once the pipe is also empty, else
         * the rest waits for credit (and is not polled for again) */
        int avail = 0;
        if (ioctl(s->fd, FIONREAD, &avail) == 0 && avail == 0)
            stream_eof(h, s);
        else
            s->hup_unread = 1;
        return;
    }
    s->hup_unread = 0; /* after this read, look again */
    size_t want = s->credit < PROTO_DATA_MAX ? (size_t)s->credit : PROTO_DATA_MAX;
    if (s->bulk) {
        int avail = 0;
        if (ioctl(s->fd, FIONREAD, &avail) == 0) {
            if (avail <= 0) {
                if (rev & (POLLHUP | POLLERR))
                    stream_eof(h, s);
                return;
            }
            size_t n = (size_t)avail < want ? (size_t)avail : want;
            uint8_t hdr[PROTO_DATA_HDR_LEN];
            helper_send(h, hdr, enc_data_hdr(hdr, s->id, (uint32_t)n));
            s->credit -= n;
            s->sent += n;
            move_bytes(h, s, n);
            return;
        }
    }
    ssize_t r = read(s->fd, h->obuf + PROTO_DATA_HDR_LEN, want);
    if (r < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return;
        helper_msg(h, LVL_WARN, "reading the program's stream %d: %s", s->id, strerror(errno));
        r = 0;
    }
    if (r == 0) {
        stream_eof(h, s);
        return;
    }
    enc_data_hdr(h->obuf, s->id, (uint32_t)r);
    s->credit -= (uint64_t)r;
    s->sent += (uint64_t)r;
    helper_send(h, h->obuf, PROTO_DATA_HDR_LEN + (size_t)r);
    if (!s->bulk && r >= BULK_READ) {
        s->bulk = 1;
        fcntl(s->fd, F_SETPIPE_SZ, PIPE_BIG); /* may fail (limits): fine */
    }
}

/* ---- stdin ---- */

static size_t stdin_pending(const struct helper *h)
{
    return h->stdin_len - h->stdin_off;
}

/* Writes what the pipe takes without blocking: bytes written, or -1 when
 * the program closed its stdin (EPIPE) or the pipe failed. */
static ssize_t stdin_write(struct helper *h, const uint8_t *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(h->stdin_fd, p + done, n - done);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            break;
        return -1;
    }
    return (ssize_t)done;
}

static void stdin_ack_send(struct helper *h)
{
    if (!h->stdin_ack || !h->spec || !(h->spec->flags & SPAWN_FLAG_STDIN_ACK))
        return;
    uint8_t f[16];
    while (h->stdin_ack > 0 && h->connected) {
        uint32_t n = h->stdin_ack > 0x7fffffffu ? 0x7fffffffu : (uint32_t)h->stdin_ack;
        helper_send(h, f, enc_stdin_ack(f, n));
        h->stdin_ack -= n;
    }
}

static int stdin_append(struct helper *h, const uint8_t *p, size_t n)
{
    if (h->stdin_off > 0 && h->stdin_len + n > h->stdin_cap) {
        memmove(h->stdin_buf, h->stdin_buf + h->stdin_off, stdin_pending(h));
        h->stdin_len -= h->stdin_off;
        h->stdin_off = 0;
    }
    if (h->stdin_len + n > h->stdin_cap) {
        size_t cap = h->stdin_cap ? h->stdin_cap : 65536;
        while (cap < h->stdin_len + n)
            cap *= 2;
        uint8_t *b = realloc(h->stdin_buf, cap);
        if (!b)
            return -1;
        h->stdin_buf = b;
        h->stdin_cap = cap;
    }
    memcpy(h->stdin_buf + h->stdin_len, p, n);
    h->stdin_len += n;
    return 0;
}

static void ctl_process(struct helper *h);

static void stdin_flush(struct helper *h)
{
    ssize_t w = stdin_write(h, h->stdin_buf + h->stdin_off, stdin_pending(h));
    if (w < 0) {
        close_stdin(h);
    } else {
        h->stdin_off += (size_t)w;
        ack_add(h, (size_t)w);
        if (stdin_pending(h) == 0) {
            h->stdin_len = h->stdin_off = 0;
            if (h->stdin_eof_pending)
                close_stdin(h);
        }
    }
    if (h->ctl_blocked && stdin_pending(h) < STDIN_BUFFER_MAX) {
        h->ctl_blocked = 0;
        ctl_process(h);
    }
}

static void stdin_frame(struct helper *h, const uint8_t *p, size_t n)
{
    if (h->stdin_fd < 0) { /* closed (STDIN_EOF, EPIPE, program gone): drop */
        if (h->spec->stdin_mode != STDIN_PIPE)
            helper_msg(h, LVL_WARN, "STDIN frame ignored: the spawn did not ask for a stdin pipe");
        ack_add(h, n);
        return;
    }
    if (h->stdin_eof_pending) {
        helper_msg(h, LVL_WARN, "STDIN frame after STDIN_EOF ignored");
        ack_add(h, n);
        return;
    }
    size_t w = 0;
    if (stdin_pending(h) == 0) {
        ssize_t r = stdin_write(h, p, n);
        if (r < 0) {
            close_stdin(h);
            ack_add(h, n);
            return;
        }
        w = (size_t)r;
        ack_add(h, w);
    }
    if (w < n && stdin_append(h, p + w, n - w) < 0) {
        helper_msg(h, LVL_ERROR, "out of memory buffering stdin: closing it");
        ack_add(h, n - w);
        close_stdin(h);
    }
}

/* ---- detach and re-attach ---- */

static void exit_status(const struct helper *h, int *kind, int32_t *value)
{
    if (WIFSIGNALED(h->status)) {
        *kind = EXIT_SIGNALED;
        *value = WTERMSIG(h->status);
    } else {
        *kind = EXIT_EXITED;
        *value = WEXITSTATUS(h->status);
    }
}

static void pending_close(struct pending_attach *pa)
{
    if (pa->fd >= 0)
        close(pa->fd);
    pa->fd = -1;
    pa->got = 0;
}

/* Leaves the detached state: nobody can attach any more. */
static void end_detach(struct helper *h)
{
    if (!h->detached)
        return;
    h->detached = 0;
    close(h->listen_fd);
    h->listen_fd = -1;
    unlink(h->sock_path);
    for (int i = 0; i < ATTACH_PENDING_MAX; i++)
        pending_close(&h->pend[i]);
}

/* Nobody attached in time, or the helper was told to stop while detached:
 * tear down as on a hang-up. */
static void detached_teardown(struct helper *h)
{
    end_detach(h);
    close_stdin(h);
    td_apply(h, td_start(&h->td, (int)h->spec->kill_signal, h->spec->grace_ms, !h->reaped, now_ms()));
}

static void detach(struct helper *h, const uint8_t *p, size_t n)
{
    struct detach_req d;
    char err[300];
    if (detach_parse(p, n, &d, err, sizeof err) < 0) {
        helper_msg(h, LVL_ERROR, "DETACH refused: %s", err);
        return;
    }
    if (h->stop_requested || h->td.program_signaled) {
        helper_msg(h, LVL_ERROR, "DETACH refused: the teardown has started");
        return;
    }
    int fd = listen_unix(d.path, err, sizeof err);
    if (fd < 0) {
        helper_msg(h, LVL_ERROR, "DETACH refused: %s", err);
        return;
    }
    stdin_ack_send(h);
    uint8_t f[PROTO_HDR_LEN + DETACHED_LEN];
    if (h->connected && write_all(h->sock, f, enc_detached(f, h->out[0].sent, h->out[1].sent)) < 0) {
        /* the old owner is gone already: the lease decides */
    }
    /* Whatever the JVM sent after DETACH is discarded; reading it first
     * spares it a reset (ECONNRESET) where it expects the EOF. */
    set_nonblock(h->sock);
    uint8_t junk[4096];
    while (read(h->sock, junk, sizeof junk) > 0)
        ;
    close(h->sock);
    h->sock = -1;
    h->connected = 0;
    h->detached = 1;
    h->listen_fd = fd;
    memcpy(h->sock_path, d.path, sizeof h->sock_path);
    memcpy(h->secret, d.secret, PROTO_SECRET_LEN);
    h->lease_deadline = now_ms() + d.lease_ms;
    h->in_len = 0; /* nothing after DETACH is read */
    h->ctl_blocked = 0;
    for (int i = 0; i < 2; i++)
        h->out[i].credit = 0;
}

/* A connection sent the right ATTACH: it becomes the control connection. */
static void attach(struct helper *h, struct pending_attach *pa, uint32_t window)
{
    int fd = pa->fd;
    pa->fd = -1;
    end_detach(h);
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    h->sock = fd;
    h->connected = 1;
    for (int i = 0; i < 2; i++)
        h->out[i].credit = window;
    h->stdin_ack = 0;
    h->stdin_noack = stdin_pending(h);

    uint8_t f[64];
    helper_send(h, f, enc_hello(f, ROLE_HELPER, (uint32_t)getpid(), h->token));
    int kind = 0;
    int32_t value = 0;
    if (h->reaped)
        exit_status(h, &kind, &value);
    size_t cap = PROTO_HDR_LEN + ATTACHED_MIN_LEN + h->spec->label_len;
    uint8_t *a = malloc(cap);
    if (!a) {
        helper_msg(h, LVL_ERROR, "out of memory for ATTACHED");
        hangup(h);
        return;
    }
    helper_send(h, a, enc_attached(a, (uint32_t)h->pid, h->reaped, kind, value, h->out[0].sent,
                                   h->out[1].sent, h->spec->label, h->spec->label_len));
    free(a);
    for (int i = 0; i < 2; i++)
        if (h->out[i].eof_sent)
            helper_send(h, f, enc_eof(f, h->out[i].id));
}

static void accept_attachers(struct helper *h)
{
    for (;;) {
        int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return; /* EAGAIN, or nothing we can do about it */
        }
        uid_t uid;
        if (peer_uid(fd, &uid) < 0 || uid != geteuid()) {
            close(fd); /* only the helper's own user may attach */
            continue;
        }
        struct pending_attach *slot = NULL;
        for (int i = 0; i < ATTACH_PENDING_MAX && !slot; i++)
            if (h->pend[i].fd < 0)
                slot = &h->pend[i];
        if (!slot) {
            close(fd);
            continue;
        }
        slot->fd = fd;
        slot->got = 0;
        slot->deadline = now_ms() + ATTACH_READ_MS;
    }
}

static void pending_read(struct helper *h, struct pending_attach *pa)
{
    ssize_t r = read(pa->fd, pa->buf + pa->got, ATTACH_FRAME_LEN - pa->got);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        pending_close(pa);
        return;
    }
    pa->got += (size_t)r;
    uint8_t secret[PROTO_SECRET_LEN];
    uint32_t window;
    int c = attach_check(pa->buf, pa->got, secret, &window);
    if (c < 0 || (c > 0 && !secret_equal(secret, h->secret)))
        pending_close(pa);
    else if (c > 0)
        attach(h, pa, window);
}

/* The detached part of one loop round: pfd[0] the listening socket, then
 * one per pending slot. */
static void detached_events(struct helper *h, const struct pollfd *pfd)
{
    if (pfd[0].revents)
        accept_attachers(h);
    for (int i = 0; i < ATTACH_PENDING_MAX && h->detached; i++)
        if (pfd[1 + i].revents && h->pend[i].fd >= 0 && pfd[1 + i].fd == h->pend[i].fd)
            pending_read(h, &h->pend[i]);
    if (!h->detached)
        return;
    int64_t now = now_ms();
    for (int i = 0; i < ATTACH_PENDING_MAX; i++)
        if (h->pend[i].fd >= 0 && now >= h->pend[i].deadline)
            pending_close(&h->pend[i]);
    if (now >= h->lease_deadline)
        detached_teardown(h);
}

static int min_timeout(int a, int64_t deadline, int64_t now)
{
    int64_t d = deadline <= now ? 0 : deadline - now;
    if (d > 1000000)
        d = 1000000;
    return a < 0 || d < a ? (int)d : a;
}

/* ---- control frames ---- */

static void handle_frame(struct helper *h, const struct frame *f)
{
    const uint8_t *p = f->payload;
    switch (f->type) {
    case T_CREDIT:
        if (p[0] != STREAM_STDOUT && p[0] != STREAM_STDERR) {
            char e[64];
            snprintf(e, sizeof e, "CREDIT for unknown stream %u", p[0]);
            protocol_error(h, e);
            return;
        }
        h->out[p[0] - 1].credit += get_u32(p + 1);
        return;
    case T_STDIN:
        stdin_frame(h, p, f->len);
        return;
    case T_STDIN_EOF:
        if (h->stdin_len > h->stdin_off)
            h->stdin_eof_pending = 1;
        else
            close_stdin(h);
        return;
    case T_SIGNAL: {
        uint32_t sig = get_u32(p + 1);
        if (sig > 64 || p[0] > SIGTARGET_TREE) {
            helper_msg(h, LVL_ERROR, "SIGNAL with target %u, signal %lu: target must be 0..2, signal 0..64",
                       p[0], (unsigned long)sig);
            return;
        }
        if (p[0] == SIGTARGET_PROGRAM) {
            if (h->reaped)
                helper_msg(h, LVL_WARN, "SIGNAL %lu: the program already exited", (unsigned long)sig);
            else if (kill(h->pid, (int)sig) < 0)
                helper_msg(h, LVL_WARN, "SIGNAL %lu to %d: %s", (unsigned long)sig, (int)h->pid, strerror(errno));
        } else if (p[0] == SIGTARGET_GROUP) {
            if (kill(-h->pid, (int)sig) < 0)
                helper_msg(h, LVL_WARN, "SIGNAL %lu to group %d: %s", (unsigned long)sig, (int)h->pid, strerror(errno));
        } else {
            tree_signal(&h->tree, (int)sig);
        }
        return;
    }
    case T_STOP: {
        uint32_t sig = get_u32(p), grace = get_u32(p + 4);
        if (sig < 1 || sig > 64) {
            helper_msg(h, LVL_ERROR, "STOP with signal %lu: must be 1..64; using the spawn's", (unsigned long)sig);
            sig = h->spec->kill_signal;
        }
        h->stop_requested = 1;
        uint8_t ack[PROTO_HDR_LEN + STOPPING_LEN];
        helper_send(h, ack, enc_stopping(ack, sig, grace)); /* the JVM knows the helper answers */
        td_apply(h, td_start(&h->td, (int)sig, grace, !h->reaped, now_ms()));
        return;
    }
    case T_SPAWN:
        helper_msg(h, LVL_ERROR, "SPAWN on a connection that already runs a program: ignored");
        return;
    case T_DETACH:
        detach(h, p, f->len);
        return;
    case T_ATTACH:
        helper_msg(h, LVL_ERROR, "ATTACH on an attached control connection: ignored");
        return;
    case T_KILL_HELPER:
        helper_msg(h, LVL_ERROR, "KILL_HELPER is for the broker: ignored");
        return;
    }
}

static int grow_in(struct helper *h, size_t need)
{
    if (need <= h->in_cap)
        return 0;
    size_t cap = h->in_cap ? h->in_cap : IN_INITIAL;
    while (cap < need)
        cap *= 2;
    uint8_t *n = realloc(h->in, cap);
    if (!n)
        return -1;
    h->in = n;
    h->in_cap = cap;
    return 0;
}

static void ctl_process(struct helper *h)
{
    size_t off = 0;
    char err[256];
    while (h->connected && !h->ctl_blocked) {
        struct frame f;
        size_t used;
        int r = proto_frame_next(DIR_TO_HELPER, h->in + off, h->in_len - off, &f, &used, err, sizeof err);
        if (r == FRAME_ERROR) {
            protocol_error(h, err);
            return;
        }
        if (r == FRAME_NEED_MORE) {
            if (grow_in(h, used) < 0) {
                protocol_error(h, "out of memory for an incoming frame");
                return;
            }
            break;
        }
        if (f.type == T_STDIN && stdin_pending(h) >= STDIN_BUFFER_MAX) {
            h->ctl_blocked = 1; /* back-pressure: stop reading until the pipe drains */
            break;
        }
        handle_frame(h, &f);
        off += used;
    }
    if (!h->connected)
        return;
    if (off > 0) {
        memmove(h->in, h->in + off, h->in_len - off);
        h->in_len -= off;
    }
}

static void ctl_read(struct helper *h)
{
    if (grow_in(h, h->in_len + 1) < 0) {
        protocol_error(h, "out of memory");
        return;
    }
    ssize_t r = read(h->sock, h->in + h->in_len, h->in_cap - h->in_len);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        hangup(h);
        return;
    }
    h->in_len += (size_t)r;
    ctl_process(h);
}

/* ---- the spawn and the loop ---- */

int helper_read_spawn(struct helper *h, struct spawn_spec *spec, char *err, size_t errlen)
{
    memset(spec, 0, sizeof *spec);
    for (;;) {
        struct frame f;
        size_t used;
        int r = proto_frame_next(DIR_TO_HELPER, h->in, h->in_len, &f, &used, err, errlen);
        if (r == FRAME_ERROR) {
            helper_msg(h, LVL_ERROR, "protocol error: %s", err);
            return -2;
        }
        if (r == FRAME_OK) {
            if (f.type != T_SPAWN) {
                helper_msg(h, LVL_ERROR, "protocol error: %s frame before SPAWN", proto_type_name(f.type));
                return -2;
            }
            int pr = spawn_parse(f.payload, f.len, spec, err, errlen);
            memmove(h->in, h->in + used, h->in_len - used);
            h->in_len -= used;
            return pr;
        }
        if (grow_in(h, used) < 0)
            return -2;
        struct pollfd pfd[2] = {{h->sock, POLLIN, 0}, {h->sigfd, POLLIN, 0}};
        if (poll(pfd, 2, -1) < 0)
            continue;
        if (pfd[1].revents) {
            unsigned char sigs[64];
            int n = sig_read(h->sigfd, sigs, sizeof sigs);
            for (int i = 0; i < n; i++)
                if (sigs[i] == SIGTERM || sigs[i] == SIGINT || sigs[i] == SIGHUP || sigs[i] == SIGQUIT)
                    return -2;
        }
        if (pfd[0].revents) {
            ssize_t n = read(h->sock, h->in + h->in_len, h->in_cap - h->in_len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return -2;
            h->in_len += (size_t)n;
        }
    }
}

static const char *signame(int sig)
{
    switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    default: return "signal";
    }
}

static void on_signals(struct helper *h)
{
    unsigned char sigs[64];
    int n, child = 0;
    while ((n = sig_read(h->sigfd, sigs, sizeof sigs)) > 0) {
        for (int i = 0; i < n; i++) {
            int sig = sigs[i];
            if (sig == SIGCHLD) {
                child = 1;
            } else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT) {
                h->stop_requested = 1;
                if (h->detached) {
                    detached_teardown(h);
                    continue;
                }
                helper_msg(h, LVL_INFO, "helper received %s: tearing the program down", signame(sig));
                td_apply(h, td_start(&h->td, (int)h->spec->kill_signal, h->spec->grace_ms, !h->reaped, now_ms()));
            } else {
                helper_msg(h, LVL_DEBUG, "helper ignored signal %d", sig);
            }
        }
        if (n < (int)sizeof sigs)
            break;
    }
    if (child)
        reap(h);
}

static int exit_frame(struct helper *h)
{
    uint8_t f[16];
    int kind;
    int32_t value;
    exit_status(h, &kind, &value);
    int flags = (h->td.program_signaled ? EXITF_SIGNALED_BY_HELPER : 0) |
                (h->td.killed ? EXITF_SIGKILL_NEEDED : 0) |
                (h->cgroup_not_removed || h->td.gave_up ? EXITF_CGROUP_NOT_REMOVED : 0);
    helper_send(h, f, enc_exit(f, kind, value, flags));
    return 0;
}

/* Spawn failed: report, clean the cgroups up, done. */
static int spawn_failed(struct helper *h, struct spawned *r)
{
    uint8_t f[600];
    helper_send(h, f, enc_spawn_failed(f, sizeof f, (uint32_t)r->err, r->stage, NULL, r->text));
    remove_cgroups(h, 0);
    return 0;
}

/* Datagrams on the notify socket: forwarded as NOTIFY frames when they come
 * from the program's processes; refusals are reported (the first few). */
#define NOTIFY_REFUSALS_REPORTED 10
static void notify_events(struct helper *h)
{
    static const char *const why[] = {
        [NV_EMPTY] = "it is empty",
        [NV_TOO_LONG] = "it is longer than 4096 bytes",
        [NV_NO_CREDENTIALS] = "it carries no credentials",
        [NV_NUL] = "it contains a NUL byte",
        [NV_FOREIGN] = "the sender is no process of the program",
        [NV_GONE] = "the sender exited before it could be checked (a sender must wait until its datagram"
                    " was read: sd_notify_barrier, or systemd-notify without --no-block)",
    };
    static uint8_t frame[PROTO_HDR_LEN + NOTIFY_FRAME_MAX];
    for (int i = 0; i < 64 && h->nt.fd >= 0; i++) { /* then let the rest of the loop run */
        pid_t pid;
        int verdict;
        ssize_t n = notify_recv(&h->nt, frame + PROTO_HDR_LEN + 4, NOTIFY_MSG_MAX, &pid, &verdict, h->pid,
                                getpid(), h->spec->cgroup);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                helper_msg(h, LVL_WARN, "notify socket: %s", strerror(errno));
            return;
        }
        if (verdict == NV_FORWARD) {
            uint8_t *msg = frame + PROTO_HDR_LEN + 4;
            helper_send(h, frame, enc_notify(frame, (uint32_t)pid, msg, (size_t)n));
        } else if (verdict != NV_EMPTY && h->nt.refused++ < NOTIFY_REFUSALS_REPORTED) {
            helper_msg(h, LVL_WARN, "notify: refused a datagram from pid %ld: %s%s", (long)pid, why[verdict],
                       h->nt.refused == NOTIFY_REFUSALS_REPORTED ? " (further refusals are not reported)" : "");
        }
    }
}

static int serve(struct helper *h, struct spawn_spec *spec);

int helper_serve(struct helper *h, struct spawn_spec *spec)
{
    int rc = serve(h, spec);
    notify_close(&h->nt);
    return rc;
}

static int serve(struct helper *h, struct spawn_spec *spec)
{
    h->spec = spec;
    td_init(&h->td, spec->cgroup != NULL);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) == 0)
        h->subreaper = 1;
    else
        helper_msg(h, LVL_WARN, "cannot become a child subreaper (%s): descendants that leave the "
                   "process group can only be found through a cgroup", strerror(errno));

    struct spawned r;
    char step[400];
    if (notify_open(&h->nt, spec, step, sizeof step) < 0) {
        r.err = errno;
        r.stage = STAGE_OTHER;
        snprintf(r.text, sizeof r.text, "notify socket: %s", step);
        return spawn_failed(h, &r);
    }
    if (spawn_program(spec, &r) < 0)
        return spawn_failed(h, &r);
    h->pid = r.pid;
    h->stdin_fd = r.stdin_fd;
    tree_init(&h->tree, r.pid, spec->cgroup, h->subreaper);
    tree_pipe(&h->tree, 0, r.out_fd[0]);
    tree_pipe(&h->tree, 1, r.out_fd[1]);
    uint8_t f[16];
    helper_send(h, f, enc_spawned(f, (uint32_t)r.pid));
    for (int i = 0; i < 2; i++) {
        h->out[i].fd = r.out_fd[i];
        h->out[i].credit = spec->window;
        if (h->out[i].fd < 0) { /* not a pipe: nothing will ever come */
            h->out[i].eof_sent = 1;
            helper_send(h, f, enc_eof(f, h->out[i].id));
        }
    }
    if (h->in_len > 0)
        ctl_process(h); /* frames that came right behind the SPAWN */

    for (;;) {
        if (h->connected && h->reaped && h->out[0].eof_sent && h->out[1].eof_sent) {
            if (h->td.state == TD_RUNNING) /* FLAGS: keep descendants */
                remove_cgroups(h, 1);
            if (h->td.state == TD_RUNNING || h->td.state == TD_DONE) {
                stdin_ack_send(h);
                if (h->stats)
                    helper_send(h, h->stats, h->stats_len);
                exit_frame(h);
                close(h->sock);
                return 0;
            }
        }
        if (hung_up(h) && h->td.state == TD_DONE)
            return 0;
        if (h->ctl_blocked && stdin_pending(h) < STDIN_BUFFER_MAX) {
            h->ctl_blocked = 0; /* stdin drained or closed: parse what waits */
            ctl_process(h);
            continue;
        }
        stdin_ack_send(h);

        struct pollfd pfd[8 + ATTACH_PENDING_MAX];
        pfd[0] = (struct pollfd){h->sigfd, POLLIN, 0};
        pfd[1] = (struct pollfd){h->connected ? h->sock : -1, (short)(h->ctl_blocked ? 0 : POLLIN), 0};
        for (int i = 0; i < 2; i++) {
            struct outstream *s = &h->out[i];
            int live = s->fd >= 0 && !h->detached;
            if (live && (s->credit > 0 || !h->connected))
                pfd[2 + i] = (struct pollfd){s->fd, POLLIN, 0};
            else if (live && !s->hup_unread) /* no credit: still see the EOF of an empty pipe */
                pfd[2 + i] = (struct pollfd){s->fd, 0, 0};
            else
                pfd[2 + i] = (struct pollfd){-1, 0, 0};
        }
        pfd[4] = (struct pollfd){stdin_pending(h) > 0 ? h->stdin_fd : -1, POLLOUT, 0};
        pfd[5] = (struct pollfd){h->ino_fd, POLLIN, 0};
        pfd[6] = (struct pollfd){h->detached ? h->listen_fd : -1, POLLIN, 0};
        for (int i = 0; i < ATTACH_PENDING_MAX; i++)
            pfd[7 + i] = (struct pollfd){h->detached ? h->pend[i].fd : -1, POLLIN, 0};
        /* while detached, datagrams wait in the socket for the next connection */
        pfd[7 + ATTACH_PENDING_MAX] = (struct pollfd){h->connected ? h->nt.fd : -1, POLLIN, 0};

        int64_t now = now_ms();
        int timeout = td_timeout(&h->td, now);
        if (h->detached) {
            timeout = min_timeout(timeout, h->lease_deadline, now);
            for (int i = 0; i < ATTACH_PENDING_MAX; i++)
                if (h->pend[i].fd >= 0)
                    timeout = min_timeout(timeout, h->pend[i].deadline, now);
        }
        int n = poll(pfd, 8 + ATTACH_PENDING_MAX, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            helper_msg(h, LVL_ERROR, "poll: %s", strerror(errno));
            if (h->detached)
                detached_teardown(h);
            else
                hangup(h);
            continue;
        }
        if (pfd[0].revents)
            on_signals(h);
        for (int i = 0; i < 2; i++)
            if (pfd[2 + i].revents && h->out[i].fd >= 0 && pfd[2 + i].fd == h->out[i].fd)
                pump(h, &h->out[i], pfd[2 + i].revents);
        if (pfd[1].revents && h->connected) {
            if (pfd[1].revents & POLLIN)
                ctl_read(h);
            else
                hangup(h); /* POLLHUP/POLLERR while parsing waits */
        }
        if (pfd[4].revents && h->stdin_fd >= 0) {
            if (pfd[4].revents & POLLOUT)
                stdin_flush(h);
            else
                close_stdin(h);
        }
        if (pfd[5].revents) {
            cgroup_watch_drain(h->ino_fd);
            check_cgroup(h);
        }
        if (h->detached)
            detached_events(h, pfd + 6);
        if (pfd[7 + ATTACH_PENDING_MAX].revents && h->connected)
            notify_events(h);
        if (h->td.deadline >= 0 && now_ms() >= h->td.deadline) {
            reap(h);
            check_cgroup(h);
            td_apply(h, td_event(&h->td, TD_EV_TIMER, now_ms()));
        }
    }
}
