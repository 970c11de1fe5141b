/* The program's sd_notify socket (docs/protocol.md "sd_notify"): a Unix
 * datagram socket with SO_PASSCRED that the helper owns; datagrams from the
 * program's processes are forwarded to the JVM as NOTIFY frames, others are
 * refused. */
#ifndef CORRAL_NOTIFY_H
#define CORRAL_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"

struct notify {
    int fd;                            /* -1: no socket */
    char path[PROTO_PATH_MAX + 1];
    char **envp;                       /* the program's environment (malloc), NULL: none made */
    char env_socket[PROTO_PATH_MAX + 16];
    char env_usec[40];
    char env_pid[NOTIFY_ENV_PID_LEN];  /* "WATCHDOG_PID=<pid>", written by the child */
    unsigned refused;                  /* refused datagrams reported so far */
};

/* What became of one datagram. */
enum notify_verdict {
    NV_FORWARD = 0,      /* from the program's tree: forward it */
    NV_EMPTY,            /* no bytes */
    NV_TOO_LONG,         /* more than NOTIFY_MSG_MAX bytes, or its control data was cut */
    NV_NO_CREDENTIALS,   /* no SCM_CREDENTIALS (cannot happen with SO_PASSCRED) */
    NV_NUL,              /* a NUL byte inside */
    NV_FOREIGN,          /* the sender is no process of the program */
    NV_GONE,             /* the sender exited before it could be checked */
};

void notify_init(struct notify *n);

/* For a spec with NOTIFY: makes sure the directory exists (created 0711, or
 * an existing one of this euid that group and others cannot write), removes
 * sockets there whose helper is gone, binds <dir>/<helper pid>-<16 hex>.sock
 * (mode 0600; owned by the program's UID/GID when the helper is root), and
 * points s->envp at the program's environment with NOTIFY_SOCKET and, with a
 * watchdog, WATCHDOG_USEC and WATCHDOG_PID (s->watchdog_pid_env, which the
 * child fills in).  0, or -1 with errno and err naming the step. */
int notify_open(struct notify *n, struct spawn_spec *s, char *err, size_t errlen);

/* envp without NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, followed by the
 * NULL-terminated extra entries: a malloc'd NULL-terminated array (the
 * strings are not copied), or NULL when out of memory.  Pure. */
char **notify_env(char *const *envp, char *const *extra);

/* Checks a datagram's bytes: NV_FORWARD, NV_EMPTY or NV_NUL.  Pure. */
int notify_check_message(const uint8_t *msg, size_t len);

/* Whether sender is one of the program's processes: the program, one of its
 * descendants, an orphan of its tree that came to the helper (a subreaper),
 * or a process in its cgroup (NULL: none).  Reads /proc.  1 yes, 0 no, -1
 * the sender is gone (no /proc entry) and no cgroup says it was ours: a
 * sender must live until its datagram was read (sd_notify_barrier). */
int notify_sender_ok(pid_t sender, pid_t program, pid_t helper, const char *cgroup);

/* Receives one datagram into buf (cap >= NOTIFY_MSG_MAX): its length with
 * *pid and *verdict set, or -1 with errno (EAGAIN: none waiting).  File
 * descriptors that came with it are closed after the sender was checked (a
 * BARRIER=1 is answered by that). */
ssize_t notify_recv(struct notify *n, uint8_t *buf, size_t cap, pid_t *pid, int *verdict,
                    pid_t program, pid_t helper, const char *cgroup);

/* Closes and unlinks the socket, frees the environment.  Idempotent. */
void notify_close(struct notify *n);

#endif
