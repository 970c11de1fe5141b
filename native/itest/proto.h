/*
 * A small, independent encoder/decoder for the helper control protocol
 * (docs/protocol.md, version 3), written for the test suite only: it does
 * not share code with native/src on purpose, so a misreading of the
 * protocol on one side shows up as a test failure instead of cancelling out.
 */
#ifndef ITEST_PROTO_H
#define ITEST_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define P_MAX_FRAME (1024 * 1024 + 16) /* largest allowed length field */
#define P_MAX_DATA (1024 * 1024)
#define P_STDIN_WINDOW (1024 * 1024) /* unacknowledged STDIN bytes, with FLAGS bit 1 */

/* JVM -> helper */
enum { P_SPAWN = 0x01, P_CREDIT, P_STDIN, P_STDIN_EOF, P_SIGNAL, P_STOP, P_DETACH, P_ATTACH, P_KILL_HELPER };
/* helper -> JVM */
enum { P_HELLO = 0x41, P_SPAWNED, P_SPAWN_FAILED, P_DATA, P_EOF, P_EXIT, P_MESSAGE, P_STDIN_ACK,
       P_DETACHED, P_ATTACHED, P_HELPER_EXIT, P_STOPPING, P_NOTIFY, P_STATS };
#define P_VERSION 3

/* SPAWN field tags */
enum {
    T_TOKEN = 1, T_PATH, T_ARG, T_ENV, T_CWD, T_STDIN, T_UID, T_GID, T_GROUPS,
    T_CGROUP, T_CGROUP_REMOVE, T_KILL_SIGNAL, T_GRACE_MS, T_WINDOW,
    T_STDERR_MODE, T_STDOUT_MODE, T_LABEL, T_FLAGS,
    /* hardening */
    T_NO_NEW_PRIVS, T_CAPS, T_RLIMIT, T_NICE, T_OOM_SCORE_ADJ, T_UMASK,
    /* sd_notify: u64 watchdog_usec + the socket's directory */
    T_NOTIFY = 27,
    /* final statistics (STATS before EXIT) */
    T_CGROUP_STATS = 28
};
/* RLIMIT resources (Linux generic numbering) and the unlimited value */
enum { RL_CPU, RL_FSIZE, RL_DATA, RL_STACK, RL_CORE, RL_RSS, RL_NPROC, RL_NOFILE, RL_MEMLOCK, RL_AS,
       RL_LOCKS, RL_SIGPENDING, RL_MSGQUEUE, RL_NICE, RL_RTPRIO, RL_RTTIME, RL_COUNT };
#define RL_UNLIMITED 0xffffffffffffffffull

enum { ROLE_BROKER = 1, ROLE_HELPER = 2 };
enum { S_STDOUT = 1, S_STDERR = 2 };
enum { EXIT_EXITED = 0, EXIT_SIGNALED = 1 };
enum { XF_SIGNALED = 1, XF_SIGKILL = 2, XF_CGROUP_LEFT = 4 };
enum { FL_KEEP_DESCENDANTS = 1, FL_STDIN_ACK = 2 };
enum { SIGT_PROGRAM = 0, SIGT_GROUP = 1, SIGT_DESCENDANTS = 2 };
enum { LVL_DEBUG = 1, LVL_INFO, LVL_WARN, LVL_ERROR };

/* A growable byte buffer. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} buf_t;

void buf_add(buf_t *b, const void *data, size_t n);
void buf_u8(buf_t *b, uint8_t v);
void buf_u16(buf_t *b, uint16_t v);
void buf_u32(buf_t *b, uint32_t v);
void buf_drop(buf_t *b, size_t n); /* remove n bytes from the front */
void buf_free(buf_t *b);
const char *buf_str(buf_t *b); /* NUL-terminated view (adds a hidden NUL) */

uint16_t get_u16(const uint8_t *p);
uint32_t get_u32(const uint8_t *p);

/* SPAWN field list. */
void field_bytes(buf_t *spec, uint16_t tag, const void *v, size_t n);
void field_str(buf_t *spec, uint16_t tag, const char *s);
void field_u8(buf_t *spec, uint16_t tag, uint8_t v);
void field_u32(buf_t *spec, uint16_t tag, uint32_t v);
void field_u64(buf_t *spec, uint16_t tag, uint64_t v);
void field_rlimit(buf_t *spec, uint8_t resource, uint64_t soft, uint64_t hard);
void buf_u64(buf_t *b, uint64_t v);

/* Appends one whole frame (length, type, payload) to out. */
void frame(buf_t *out, uint8_t type, const void *payload, size_t n);
void frame_credit(buf_t *out, uint8_t stream, uint32_t bytes);
void frame_signal(buf_t *out, uint8_t target, uint32_t signo);
void frame_stop(buf_t *out, uint32_t signo, uint32_t grace_ms);
void frame_detach(buf_t *out, uint32_t lease_ms, const uint8_t secret[16], const char *path);
void frame_attach(buf_t *out, const uint8_t secret[16], uint32_t window);
void frame_kill_helper(buf_t *out, const uint8_t token[16]);
uint64_t get_u64(const uint8_t *p);

/* A decoded frame from the helper; payload points into the receive buffer. */
typedef struct {
    uint8_t type;
    const uint8_t *payload;
    size_t n;
} frame_t;

/*
 * Takes one frame from the front of in when a whole one is there.
 * Returns 1 (frame filled, consume with buf_drop(in, *used)), 0 (need more),
 * -1 (bad length: *err says why).
 */
int frame_next(const buf_t *in, frame_t *f, size_t *used, const char **err);

const char *frame_name(uint8_t type);

#endif
