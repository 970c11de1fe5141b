/* The broker (docs/protocol.md): forks a helper per SPAWN; reports the wait
 * status of every helper it reaps (HELPER_EXIT); kills a helper on
 * KILL_HELPER; and, being a child subreaper, kills every process that
 * reparents to it (an orphan of a helper that died) with all its
 * descendants, on each SIGCHLD and before it exits. */
#include "broker.h"
#include "modes.h"
#include "sig.h"
#include "tree.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct child {
    pid_t pid;
    uint8_t token[PROTO_TOKEN_LEN];
};

/* A helper reaped in this round, reported once the strays were killed. */
struct ended {
    pid_t pid;
    uint8_t token[PROTO_TOKEN_LEN];
    int status;
};

struct broker {
    const char *path;
    int sock;
    int sigfd;
    int hung_up;     /* the JVM is gone (or a write to it failed) */
    int subreaper;
    uint8_t *in;
    size_t in_len, in_cap;
    struct child *kids; /* the helpers forked and not reaped yet */
    size_t nkids, capkids;
    struct ended *ends;
    size_t nends, capends;
};

static void broker_send(struct broker *b, const void *f, size_t n)
{
    if (!b->hung_up && write_all(b->sock, f, n) < 0)
        b->hung_up = 1; /* the JVM is gone: helpers keep their own connections */
}

static void broker_msg(struct broker *b, int level, const char *text)
{
    uint8_t f[600];
    broker_send(b, f, enc_message(f, sizeof f, level, text));
}

static void broker_failed(struct broker *b, const uint8_t *token, int err, int stage, const char *text)
{
    uint8_t f[600];
    broker_send(b, f, enc_spawn_failed(f, sizeof f, (uint32_t)err, stage, token, text));
}

static void broker_spawn(struct broker *b, const uint8_t *payload, size_t len)
{
    struct spawn_spec spec;
    char err[256], text[320];
    int rc = spawn_parse(payload, len, &spec, err, sizeof err);
    if (!spec.has_token) {
        snprintf(text, sizeof text, "SPAWN without a valid TOKEN, not started: %s", err);
        broker_msg(b, LVL_ERROR, text);
        spawn_spec_free(&spec);
        return;
    }
    if (b->nkids == b->capkids) {
        size_t cap = b->capkids ? b->capkids * 2 : 16;
        struct child *k = realloc(b->kids, cap * sizeof *k);
        if (!k) {
            broker_failed(b, spec.token, ENOMEM, STAGE_FORK, "broker: out of memory");
            spawn_spec_free(&spec);
            return;
        }
        b->kids = k;
        b->capkids = cap;
    }
    sigset_t old;
    sig_block_all(&old);
    pid_t pid = fork();
    if (pid == 0) {
        close(b->sock);
        int sigfd = sig_new_pipe(b->sigfd);
        sig_restore(&old);
        if (sigfd < 0)
            _exit(EXIT_CONNECT_FAILED);
        int sock = connect_to(b->path);
        if (sock < 0)
            _exit(EXIT_CONNECT_FAILED);
        send_hello(sock, ROLE_HELPER, spec.token);
        free(b->in);
        free(b->kids);
        free(b->ends);
        exit(serve(sock, sigfd, spec.token, &spec, rc, err));
    }
    int e = errno;
    sig_restore(&old);
    if (pid < 0) {
        snprintf(text, sizeof text, "fork: %s", strerror(e));
        broker_failed(b, spec.token, e, STAGE_FORK, text);
    } else {
        b->kids[b->nkids].pid = pid;
        memcpy(b->kids[b->nkids].token, spec.token, PROTO_TOKEN_LEN);
        b->nkids++;
    }
    spawn_spec_free(&spec);
}

static void note_end(struct broker *b, const struct child *c, int status)
{
    if (b->nends == b->capends) {
        size_t cap = b->capends ? b->capends * 2 : 16;
        struct ended *n = realloc(b->ends, cap * sizeof *n);
        if (!n)
            return; /* the JVM then learns nothing of how it ended, and says so */
        b->ends = n;
        b->capends = cap;
    }
    struct ended *x = &b->ends[b->nends++];
    x->pid = c->pid;
    memcpy(x->token, c->token, PROTO_TOKEN_LEN);
    x->status = status;
}

/* Reaps every child that ended: a helper is noted for HELPER_EXIT (after
 * SPAWN_FAILED when it could not connect); a stray is just reaped. */
static void reap_all(struct broker *b)
{
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        for (size_t i = 0; i < b->nkids; i++) {
            if (b->kids[i].pid != p)
                continue;
            if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_CONNECT_FAILED) {
                char text[400];
                snprintf(text, sizeof text, "the helper could not connect to %s", b->path);
                broker_failed(b, b->kids[i].token, ECONNREFUSED, STAGE_OTHER, text);
            }
            note_end(b, &b->kids[i], st);
            b->kids[i] = b->kids[--b->nkids];
            break;
        }
    }
}

/* SIGKILL to every child that is not a helper, with all its descendants:
 * orphans of helpers that died reparent to the broker (the nearest
 * subreaper).  Returns how many processes were signalled. */
static size_t kill_strays(struct broker *b)
{
    if (!b->subreaper)
        return 0; /* nothing reparents here */
    pid_t keep_small[64];
    pid_t *keep = b->nkids <= 64 ? keep_small : malloc(b->nkids * sizeof *keep);
    if (!keep)
        return 0; /* the next SIGCHLD tries again */
    for (size_t i = 0; i < b->nkids; i++)
        keep[i] = b->kids[i].pid;
    size_t n = tree_kill_strays(keep, b->nkids);
    if (keep != keep_small)
        free(keep);
    return n;
}

/* One SIGCHLD round: reap, kill the strays, then report the helpers that
 * ended (so that a HELPER_EXIT means: what had reparented here by then got
 * SIGKILL). */
static void on_child(struct broker *b)
{
    reap_all(b);
    size_t strays = kill_strays(b);
    if (strays > 0) {
        char text[120];
        snprintf(text, sizeof text, "broker: killed %zu process(es) left behind by a helper that ended", strays);
        broker_msg(b, LVL_DEBUG, text);
    }
    for (size_t i = 0; i < b->nends; i++) {
        int st = b->ends[i].status;
        int kind = WIFSIGNALED(st) ? EXIT_SIGNALED : EXIT_EXITED;
        int32_t value = WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st);
        uint8_t f[PROTO_HDR_LEN + HELPER_EXIT_LEN];
        broker_send(b, f, enc_helper_exit(f, b->ends[i].token, (uint32_t)b->ends[i].pid, kind, value));
    }
    b->nends = 0;
}

static void kill_helper(struct broker *b, const uint8_t *token)
{
    for (size_t i = 0; i < b->nkids; i++) {
        if (memcmp(b->kids[i].token, token, PROTO_TOKEN_LEN) == 0) {
            kill(b->kids[i].pid, SIGKILL); /* not reaped yet: the pid is still this helper's */
            return;
        }
    }
    /* already reaped: its HELPER_EXIT was sent or is on its way */
}

/* Before exiting: nothing that reparented here may go on to init.  Kills
 * and reaps strays until none is left (bounded: about a second). */
static void cleanup_before_exit(struct broker *b)
{
    b->hung_up = 1; /* report nothing more */
    for (int round = 0; round < 50; round++) {
        reap_all(b);
        b->nends = 0;
        if (kill_strays(b) == 0)
            return;
        struct pollfd p = {b->sigfd, POLLIN, 0};
        if (poll(&p, 1, 20) > 0) {
            unsigned char sigs[64];
            sig_read(b->sigfd, sigs, sizeof sigs);
        }
    }
}

/* Handles the frames in b->in; returns -1 after a framing error. */
static int broker_frames(struct broker *b)
{
    size_t off = 0;
    for (;;) {
        struct frame f;
        size_t used;
        char err[256];
        int fr = proto_frame_next(DIR_TO_HELPER, b->in + off, b->in_len - off, &f, &used, err, sizeof err);
        if (fr == FRAME_ERROR) {
            char text[300];
            snprintf(text, sizeof text, "broker: protocol error: %s", err);
            broker_msg(b, LVL_ERROR, text);
            return -1;
        }
        if (fr == FRAME_NEED_MORE) {
            if (used > b->in_cap) {
                uint8_t *n = realloc(b->in, used);
                if (!n)
                    return -1;
                b->in = n;
                b->in_cap = used;
            }
            break;
        }
        if (f.type == T_SPAWN) {
            broker_spawn(b, f.payload, f.len);
        } else if (f.type == T_KILL_HELPER) {
            kill_helper(b, f.payload);
        } else {
            char text[100];
            snprintf(text, sizeof text, "broker: unexpected %s frame ignored", proto_type_name(f.type));
            broker_msg(b, LVL_ERROR, text);
        }
        off += used;
    }
    memmove(b->in, b->in + off, b->in_len - off);
    b->in_len -= off;
    return 0;
}

int broker_main(const char *path, const uint8_t token[PROTO_TOKEN_LEN])
{
    struct broker b;
    memset(&b, 0, sizeof b);
    b.path = path;
    b.sigfd = sig_setup();
    if (b.sigfd < 0) {
        dprintf(2, "corral-helper: self-pipe: %s\n", strerror(errno));
        return 1;
    }
    b.subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
    int subreaper_errno = errno;
    b.sock = connect_to(path);
    if (b.sock < 0) {
        dprintf(2, "corral-helper: %s: %s\n", path, strerror(errno));
        return 1;
    }
    send_hello(b.sock, ROLE_BROKER, token);
    if (!b.subreaper) {
        char text[300];
        snprintf(text, sizeof text, "broker: cannot become a child subreaper (%s): without a cgroup, "
                 "descendants of a helper that dies are not killed", strerror(subreaper_errno));
        broker_msg(&b, LVL_WARN, text);
    }
    int status = 0;
    while (!b.hung_up) {
        struct pollfd pfd[2] = {{b.sock, POLLIN, 0}, {b.sigfd, POLLIN, 0}};
        if (poll(pfd, 2, -1) < 0)
            continue;
        if (pfd[1].revents) {
            unsigned char sigs[64];
            int n = sig_read(b.sigfd, sigs, sizeof sigs);
            int child = 0, stop = 0;
            for (int i = 0; i < n; i++) {
                if (sigs[i] == SIGCHLD)
                    child = 1;
                else if (sigs[i] == SIGTERM || sigs[i] == SIGINT || sigs[i] == SIGHUP || sigs[i] == SIGQUIT)
                    stop = 1;
            }
            if (child)
                on_child(&b);
            if (stop)
                break;
        }
        if (!pfd[0].revents)
            continue;
        if (b.in_len == b.in_cap) {
            size_t cap = b.in_cap ? b.in_cap * 2 : 16384;
            uint8_t *n = realloc(b.in, cap);
            if (!n) {
                status = 1;
                break;
            }
            b.in = n;
            b.in_cap = cap;
        }
        ssize_t r = read(b.sock, b.in + b.in_len, b.in_cap - b.in_len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* hang-up: the JVM is gone */
        b.in_len += (size_t)r;
        if (broker_frames(&b) < 0) {
            status = 1;
            break;
        }
    }
    cleanup_before_exit(&b);
    free(b.in);
    free(b.kids);
    free(b.ends);
    return status;
}
