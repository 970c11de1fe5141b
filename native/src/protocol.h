/* Corral helper control protocol (docs/protocol.md): framing, the SPAWN
 * field parser and the frame encoders.  Pure code: no system calls (the
 * SPAWN parser allocates its result with malloc), so it is unit-tested and
 * fuzzed on its own. */
#ifndef CORRAL_PROTOCOL_H
#define CORRAL_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 3
#define PROTO_TOKEN_LEN 16
#define PROTO_DATA_MAX (1024u * 1024u)          /* largest DATA/STDIN payload */
#define PROTO_FRAME_MAX (PROTO_DATA_MAX + 16u)  /* largest length field */
#define PROTO_HDR_LEN 5                         /* u32 length + u8 type */
#define PROTO_DATA_HDR_LEN 6                    /* + u8 stream */

/* Detach and re-attach (version 2) */
#define PROTO_SECRET_LEN 16
#define PROTO_PATH_MAX 107                      /* sun_path holds 108 with the NUL */
#define DETACH_MIN_LEN (4 + PROTO_SECRET_LEN + 1)
#define DETACH_MAX_LEN (4 + PROTO_SECRET_LEN + PROTO_PATH_MAX)
#define ATTACH_LEN (PROTO_SECRET_LEN + 4)
#define ATTACH_FRAME_LEN (PROTO_HDR_LEN + ATTACH_LEN) /* 25 */
#define DETACHED_LEN 16
#define ATTACHED_MIN_LEN 26
#define LEASE_MAX_MS 2147483647u

/* Helper loss (version 3) */
#define KILL_HELPER_LEN PROTO_TOKEN_LEN
#define HELPER_EXIT_LEN (PROTO_TOKEN_LEN + 4 + 1 + 4)
#define STOPPING_LEN 8

/* JVM -> broker/helper */
enum {
    T_SPAWN = 0x01,
    T_CREDIT = 0x02,
    T_STDIN = 0x03,
    T_STDIN_EOF = 0x04,
    T_SIGNAL = 0x05,
    T_STOP = 0x06,
    T_DETACH = 0x07,
    T_ATTACH = 0x08,
    T_KILL_HELPER = 0x09,
};

/* broker/helper -> JVM */
enum {
    T_HELLO = 0x41,
    T_SPAWNED = 0x42,
    T_SPAWN_FAILED = 0x43,
    T_DATA = 0x44,
    T_EOF = 0x45,
    T_EXIT = 0x46,
    T_MESSAGE = 0x47,
    T_STDIN_ACK = 0x48,
    T_DETACHED = 0x49,
    T_ATTACHED = 0x4A,
    T_HELPER_EXIT = 0x4B,
    T_STOPPING = 0x4C,
    T_NOTIFY = 0x4D,
    T_STATS = 0x4E,
};

enum { ROLE_BROKER = 1, ROLE_HELPER = 2 };
enum { STREAM_STDOUT = 1, STREAM_STDERR = 2 };
enum { LVL_DEBUG = 1, LVL_INFO = 2, LVL_WARN = 3, LVL_ERROR = 4 };
enum { SIGTARGET_PROGRAM = 0, SIGTARGET_GROUP = 1, SIGTARGET_TREE = 2 };

/* SPAWN_FAILED stages */
enum {
    STAGE_PARSE = 1,
    STAGE_FORK = 2,
    STAGE_STDIO = 3,
    STAGE_CGROUP = 4,
    STAGE_CHDIR = 5,
    STAGE_IDS = 6,
    STAGE_EXEC = 7,
    STAGE_OTHER = 8,
    STAGE_RLIMIT = 9,
    STAGE_NICE = 10,
    STAGE_OOM_SCORE_ADJ = 11,
    STAGE_CAPABILITIES = 12,
    STAGE_NO_NEW_PRIVS = 13,
};

/* EXIT kind and flags */
enum { EXIT_EXITED = 0, EXIT_SIGNALED = 1 };
enum {
    EXITF_SIGNALED_BY_HELPER = 1,
    EXITF_SIGKILL_NEEDED = 2,
    EXITF_CGROUP_NOT_REMOVED = 4,
};

/* SPAWN field tags */
enum {
    F_TOKEN = 1,
    F_PATH = 2,
    F_ARG = 3,
    F_ENV = 4,
    F_CWD = 5,
    F_STDIN = 6,
    F_UID = 7,
    F_GID = 8,
    F_GROUPS = 9,
    F_CGROUP = 10,
    F_CGROUP_REMOVE = 11,
    F_KILL_SIGNAL = 12,
    F_GRACE_MS = 13,
    F_WINDOW = 14,
    F_STDERR_MODE = 15,
    F_STDOUT_MODE = 16,
    F_LABEL = 17,
    F_FLAGS = 18,
    /* hardening, applied just before execve (docs/protocol.md "Hardening") */
    F_NO_NEW_PRIVS = 19,
    F_CAPS = 20,
    F_RLIMIT = 21,
    F_NICE = 22,
    F_OOM_SCORE_ADJ = 23,
    F_UMASK = 24,
    /* 25, 26: taken on other branches */
    /* sd_notify socket and watchdog (docs/protocol.md "sd_notify") */
    F_NOTIFY = 27,
    /* final statistics: a cgroup whose interface files are sent in STATS before EXIT */
    F_CGROUP_STATS = 28,
    F_MAX_TAG = 28,
};

enum { STDIN_NULL = 0, STDIN_PIPE = 1, STDIN_FILE = 2 };
enum { OUT_PIPE = 0, OUT_MERGE = 1, OUT_NULL = 2 };
#define SPAWN_FLAG_KEEP_DESCENDANTS 1u
#define SPAWN_FLAG_STDIN_ACK 2u
#define SPAWN_FLAGS_KNOWN (SPAWN_FLAG_KEEP_DESCENDANTS | SPAWN_FLAG_STDIN_ACK)
/* STDIN bytes the helper holds before it stops reading its connection; a
 * JVM using STDIN_ACK keeps at most this much unacknowledged. */
#define PROTO_STDIN_WINDOW (1024u * 1024u)

/* Hardening values.  RLIMIT resources use the Linux generic numbers
 * (asm-generic/resource.h: 0 cpu .. 15 rttime), the same on x86_64, arm and
 * aarch64; RLIM_UNLIMITED64 is the kernel's RLIM64_INFINITY. */
#define PROTO_RLIMIT_COUNT 16
#define RLIMIT_FIELD_LEN 17                     /* u8 resource, u64 soft, u64 hard */
#define RLIM_UNLIMITED64 0xffffffffffffffffull
#define NICE_MIN (-20)
#define NICE_MAX 19
#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000
#define UMASK_MAX 0777

/* sd_notify: NOTIFY field = u64 watchdog_usec + directory; the socket is
 * <dir>/<helper pid>-<16 hex>.sock, at most PROTO_PATH_MAX bytes, so the
 * directory is at most 107 - 1 - 29 bytes.  NOTIFY frame = u32 sender pid +
 * the datagram (1..NOTIFY_MSG_MAX bytes, as systemd's PIPE_BUF limit). */
#define NOTIFY_DIR_MAX 77
#define NOTIFY_FIELD_MIN (8 + 1)
#define NOTIFY_FIELD_MAX (8 + NOTIFY_DIR_MAX)
#define NOTIFY_MSG_MAX 4096
#define NOTIFY_FRAME_MIN (4 + 1)
#define NOTIFY_FRAME_MAX (4 + NOTIFY_MSG_MAX)
#define NOTIFY_ENV_PID_LEN 32                   /* room for "WATCHDOG_PID=<pid>" */

/* Which side's frames a parser accepts. */
enum proto_dir { DIR_TO_HELPER, DIR_FROM_HELPER };

struct frame {
    uint8_t type;
    uint32_t len; /* payload length (length field - 1) */
    const uint8_t *payload;
};

enum frame_result { FRAME_ERROR = -1, FRAME_NEED_MORE = 0, FRAME_OK = 1 };

/* Look for one frame at the start of buf[0..avail).  FRAME_OK: *f is set and
 * *used is the frame's total size.  FRAME_NEED_MORE: *used is the total size
 * needed to make progress (at least 5, at most PROTO_FRAME_MAX + 4).
 * FRAME_ERROR: err holds a sentence naming what is wrong (bad length,
 * unknown type, wrong payload size of a fixed-size frame); the length is
 * checked as soon as its 4 bytes are there, the type with the 5th. */
int proto_frame_next(enum proto_dir dir, const uint8_t *buf, size_t avail,
                     struct frame *f, size_t *used, char *err, size_t errlen);

const char *proto_type_name(uint8_t type);
const char *proto_tag_name(unsigned tag);
/* "nofile" for RLIMIT resource 7, NULL beyond PROTO_RLIMIT_COUNT */
const char *proto_rlimit_name(unsigned resource);

static inline uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}
static inline void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}
static inline void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* ---- SPAWN ---- */

struct spawn_spec {
    int has_token;
    uint8_t token[PROTO_TOKEN_LEN];
    const char *path;
    char **argv; /* NULL-terminated */
    size_t argc;
    char **envp; /* NULL-terminated, exactly the ENV fields */
    size_t envc;
    const char *cwd;          /* NULL: inherit */
    int stdin_mode;           /* STDIN_* */
    const char *stdin_path;   /* STDIN_FILE */
    int has_uid, has_gid, has_groups;
    uint32_t uid, gid;
    uint32_t *groups;
    size_t ngroups;
    const char *cgroup;       /* NULL: none */
    char **cgroup_remove;     /* NULL-terminated, in the order given */
    size_t ncgroup_remove;
    const char *cgroup_stats; /* NULL: no STATS frame */
    uint32_t kill_signal;     /* default 15 */
    uint32_t grace_ms;        /* default 500 */
    uint32_t window;          /* default 262144 */
    int stdout_mode;          /* OUT_PIPE or OUT_NULL */
    int stderr_mode;          /* OUT_* */
    const uint8_t *label;     /* NULL or label_len bytes (own copy) */
    size_t label_len;
    uint32_t flags;
    /* hardening */
    int no_new_privs;         /* NO_NEW_PRIVS present */
    int has_caps;
    uint64_t caps;            /* CAPS: bit n = capability n */
    uint32_t rlimit_set;      /* bit r: rlimit[r] given */
    struct { uint64_t soft, hard; } rlimit[PROTO_RLIMIT_COUNT];
    int has_nice;
    int32_t nice;
    int has_oom_score_adj;
    int32_t oom_score_adj;
    int has_umask;
    uint32_t umask;
    /* sd_notify */
    const char *notify_dir;   /* NULL: no NOTIFY field */
    uint64_t watchdog_usec;   /* 0: no watchdog */
    char *watchdog_pid_env;   /* set by notify_open: "WATCHDOG_PID=..." the child fills in */
    void *mem_; /* the one allocation everything above points into */
};

#define SPAWN_DEFAULT_SIGNAL 15u
#define SPAWN_DEFAULT_GRACE_MS 500u
#define SPAWN_DEFAULT_WINDOW 262144u

/* Parse a SPAWN payload.  Returns 0 and fills *s (free with spawn_spec_free),
 * or -1 with err naming the problem (field name, tag, offset).  Even on
 * failure, s->has_token/s->token tell whether a valid TOKEN field was seen
 * (the broker needs it to route the failure) and *s needs spawn_spec_free. */
int spawn_parse(const uint8_t *p, size_t len, struct spawn_spec *s, char *err, size_t errlen);
void spawn_spec_free(struct spawn_spec *s);

/* ---- DETACH / ATTACH ---- */

struct detach_req {
    uint32_t lease_ms;
    uint8_t secret[PROTO_SECRET_LEN];
    char path[PROTO_PATH_MAX + 1];
};

/* Checks a DETACH payload: 0 and *d filled, or -1 with err naming the
 * problem (the text that follows "DETACH refused: "). */
int detach_parse(const uint8_t *p, size_t len, struct detach_req *d, char *err, size_t errlen);

/* Looks at the first got bytes received on an attach connection.  -1: they
 * cannot start an ATTACH frame (wrong length field or type); 0: not all
 * ATTACH_FRAME_LEN bytes yet; 1: a whole ATTACH, secret and window set.
 * Bytes beyond ATTACH_FRAME_LEN are not looked at. */
int attach_check(const uint8_t *buf, size_t got, uint8_t secret[PROTO_SECRET_LEN], uint32_t *window);

/* Constant-time comparison of two secrets: 1 when equal. */
int secret_equal(const uint8_t *a, const uint8_t *b);

/* ---- encoders: write a whole frame into buf, return its size ---- */

size_t enc_hello(uint8_t *buf, int role, uint32_t pid, const uint8_t token[PROTO_TOKEN_LEN]);
size_t enc_spawned(uint8_t *buf, uint32_t pid);
/* token may be NULL (helper form) or the 16 token bytes (broker form).
 * The text is truncated so that the frame fits in cap bytes. */
size_t enc_spawn_failed(uint8_t *buf, size_t cap, uint32_t err, int stage,
                        const uint8_t *token, const char *text);
size_t enc_data_hdr(uint8_t *buf, int stream, uint32_t n); /* 6 bytes, payload follows */
size_t enc_eof(uint8_t *buf, int stream);
size_t enc_exit(uint8_t *buf, int kind, int32_t value, int flags);
size_t enc_message(uint8_t *buf, size_t cap, int level, const char *text);
size_t enc_stdin_ack(uint8_t *buf, uint32_t n);
/* NOTIFY: buf must hold PROTO_HDR_LEN + 4 + len bytes (len <= NOTIFY_MSG_MAX). */
size_t enc_notify(uint8_t *buf, uint32_t pid, const uint8_t *msg, size_t len);
size_t enc_detached(uint8_t *buf, uint64_t stdout_bytes, uint64_t stderr_bytes); /* 21 bytes */
/* ATTACHED: buf must hold PROTO_HDR_LEN + ATTACHED_MIN_LEN + label_len bytes. */
size_t enc_attached(uint8_t *buf, uint32_t pid, int exited, int kind, int32_t value,
                    uint64_t stdout_bytes, uint64_t stderr_bytes, const uint8_t *label, size_t label_len);
/* HELPER_EXIT (broker): the helper forked for token ended with this wait
 * status (kind EXIT_EXITED/EXIT_SIGNALED, value code or signal); 30 bytes. */
size_t enc_helper_exit(uint8_t *buf, const uint8_t token[PROTO_TOKEN_LEN], uint32_t pid, int kind, int32_t value);
/* STOPPING (helper): a STOP was read; the teardown signal and grace; 13 bytes. */
size_t enc_stopping(uint8_t *buf, uint32_t signo, uint32_t grace_ms);
/* JVM-side KILL_HELPER (tests, fuzz seeds); 21 bytes. */
size_t enc_kill_helper(uint8_t *buf, const uint8_t token[PROTO_TOKEN_LEN]);
/* JVM-side DETACH and ATTACH frames (tests, fuzz seeds); DETACH needs
 * PROTO_HDR_LEN + DETACH_MAX_LEN bytes, ATTACH ATTACH_FRAME_LEN. */
size_t enc_detach(uint8_t *buf, uint32_t lease_ms, const uint8_t secret[PROTO_SECRET_LEN], const char *path);
size_t enc_attach(uint8_t *buf, const uint8_t secret[PROTO_SECRET_LEN], uint32_t window);
/* JVM-side frames, used by tests and the fuzz seeds */
size_t enc_frame_hdr(uint8_t *buf, uint8_t type, uint32_t payload_len);
size_t enc_field(uint8_t *buf, uint16_t tag, const void *val, uint32_t len);

/* STATS: the payload is a list of entries "u16 name length, name, u32 value
 * length, value", one per interface file.  stats_put appends one entry at
 * buf[*len], value cut to STATS_VALUE_MAX bytes; 0, or -1 (nothing appended)
 * when the name is empty, longer than STATS_NAME_MAX or holds a '/' or NUL,
 * or when the entry would take the payload beyond cap. */
#define STATS_NAME_MAX 255
#define STATS_VALUE_MAX 65536u
#define STATS_MAX PROTO_DATA_MAX                /* largest STATS payload */
int stats_put(uint8_t *buf, size_t cap, size_t *len, const char *name, const uint8_t *value, size_t n);

/* "0123..." (32 hex digits) -> 16 bytes; 0 on success */
int token_from_hex(const char *hex, uint8_t token[PROTO_TOKEN_LEN]);

#endif
