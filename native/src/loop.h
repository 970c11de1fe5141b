/* The helper's poll() event loop: one program, one control connection. */
#ifndef CORRAL_LOOP_H
#define CORRAL_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "notify.h"
#include "protocol.h"
#include "teardown.h"
#include "tree.h"

struct outstream {
    int fd;          /* pipe read end; -1 once closed (or not a pipe) */
    int id;          /* STREAM_STDOUT / STREAM_STDERR */
    uint64_t credit;
    int eof_sent;
    int bulk;        /* high volume seen: pipe enlarged, splice used */
    uint64_t sent;   /* DATA payload bytes sent, over every connection */
    int hup_unread;  /* no writer left, but bytes wait for credit */
};

/* Detached: connections to the listening socket that have not sent their
 * ATTACH yet. */
#define ATTACH_PENDING_MAX 8
#define ATTACH_READ_MS 2000
struct pending_attach {
    int fd;          /* -1: free slot */
    int64_t deadline;
    size_t got;
    uint8_t buf[ATTACH_FRAME_LEN];
};

struct helper {
    int sock;
    int connected;
    uint8_t token[PROTO_TOKEN_LEN]; /* of the first HELLO, repeated on re-attach */
    int stop_requested;      /* STOP, or a teardown signal to the helper */
    /* detached (docs/protocol.md "Detach and re-attach") */
    int detached;
    int listen_fd;
    char sock_path[PROTO_PATH_MAX + 1];
    uint8_t secret[PROTO_SECRET_LEN];
    int64_t lease_deadline;
    struct pending_attach pend[ATTACH_PENDING_MAX];
    int sigfd;
    int ino_fd;              /* inotify on cgroup.events, -1 */
    struct spawn_spec *spec;
    pid_t pid;
    int reaped;
    int status;
    int subreaper;
    int splice_ok;
    struct outstream out[2];
    /* stdin: bytes [stdin_off, stdin_len) of stdin_buf wait for the pipe;
     * at most STDIN_BUFFER_MAX (loop.c) plus one frame */
    int stdin_fd;
    uint8_t *stdin_buf;
    size_t stdin_len, stdin_off, stdin_cap;
    int stdin_eof_pending;
    uint64_t stdin_ack;      /* STDIN bytes done with, not yet acknowledged */
    uint64_t stdin_noack;    /* buffered bytes of an older connection: never acknowledged */
    /* control input */
    uint8_t *in;
    size_t in_len, in_cap;
    int ctl_blocked;         /* parsing waits: STDIN_BUFFER_MAX bytes pending */
    /* output buffer for read()/write() DATA frames */
    uint8_t *obuf;
    struct teardown td;
    struct tree tree;        /* what the teardown must reach */
    int cgroup_not_removed;
    /* the STATS frame of spec->cgroup_stats, read once the cgroup is empty,
     * sent just before EXIT; stats_failed: reading it failed (the directory
     * is then left for the JVM) */
    uint8_t *stats;
    size_t stats_len;
    int stats_failed;
    struct notify nt;        /* the program's sd_notify socket (NOTIFY field) */
};

/* Initialises h for a connected socket; token is the one of the HELLO
 * already sent on it. */
void helper_init(struct helper *h, int sock, int sigfd, const uint8_t token[PROTO_TOKEN_LEN]);
/* Receives frames until a SPAWN arrives (run/run-fd modes).  Returns the
 * SPAWN payload's parse result: 0 parsed into *spec; -1 parse error (err
 * set, a token may be known); -2 hang-up or a protocol error before it. */
int helper_read_spawn(struct helper *h, struct spawn_spec *spec, char *err, size_t errlen);
/* Spawns the spec's program and runs the loop until EXIT was sent (or the
 * connection hung up and the teardown finished).  Returns the exit status
 * for the helper process.  Takes ownership of spec. */
int helper_serve(struct helper *h, struct spawn_spec *spec);
/* Sends a frame if still connected; a failure is a hang-up. */
void helper_send(struct helper *h, const void *buf, size_t n);
void helper_msg(struct helper *h, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
