/* Unit tests of the helper's pure parts: framing, the SPAWN field parser,
 * the encoders, the teardown state machine (fake events, fake time) and the
 * sd_notify environment and message checks. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "notify.h"
#include "protocol.h"
#include "teardown.h"

/* ---- helpers to build input ---- */

struct buf {
    uint8_t b[8192];
    size_t n;
};

static void add_field(struct buf *b, uint16_t tag, const void *v, uint32_t len)
{
    b->n += enc_field(b->b + b->n, tag, v, len);
}
static void add_str(struct buf *b, uint16_t tag, const char *s)
{
    add_field(b, tag, s, (uint32_t)strlen(s));
}
static void add_u32(struct buf *b, uint16_t tag, uint32_t v)
{
    uint8_t x[4];
    put_u32(x, v);
    add_field(b, tag, x, 4);
}
static const uint8_t TOKEN[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static struct buf minimal(void)
{
    struct buf b = {.n = 0};
    add_field(&b, F_TOKEN, TOKEN, 16);
    add_str(&b, F_PATH, "/bin/echo");
    add_str(&b, F_ARG, "echo");
    return b;
}

static char err[512];

static int parse(const struct buf *b, struct spawn_spec *s)
{
    err[0] = 0;
    return spawn_parse(b->b, b->n, s, err, sizeof err);
}

/* Parse expecting failure; returns the error text. */
static const char *parse_err(const struct buf *b)
{
    struct spawn_spec s;
    int rc = parse(b, &s);
    CHECK_EQ(rc, -1);
    spawn_spec_free(&s);
    return err;
}

/* ---- framing ---- */

static size_t credit_frame(uint8_t *p, uint8_t stream, uint32_t n)
{
    enc_frame_hdr(p, T_CREDIT, 5);
    p[5] = stream;
    put_u32(p + 6, n);
    return 10;
}

static void frame_complete(void)
{
    uint8_t p[16];
    struct frame f;
    size_t used;
    size_t n = credit_frame(p, 1, 4096);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, n, &f, &used, err, sizeof err), FRAME_OK);
    CHECK_EQ(used, 10);
    CHECK_EQ(f.type, T_CREDIT);
    CHECK_EQ(f.len, 5);
    CHECK_EQ(f.payload[0], 1);
    CHECK_EQ(get_u32(f.payload + 1), 4096);
}

static void frame_partial_every_prefix(void)
{
    uint8_t p[16];
    struct frame f;
    size_t n = credit_frame(p, 2, 7);
    for (size_t i = 0; i < n; i++) {
        size_t used = 0;
        CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, i, &f, &used, err, sizeof err), FRAME_NEED_MORE);
        CHECK_EQ(used, i < 5 ? 5 : 10);
    }
}

static void frame_two_back_to_back(void)
{
    uint8_t p[32];
    size_t n = credit_frame(p, 1, 1);
    n += enc_frame_hdr(p + n, T_STDIN_EOF, 0);
    struct frame f;
    size_t used;
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, n, &f, &used, err, sizeof err), FRAME_OK);
    CHECK_EQ(f.type, T_CREDIT);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p + used, n - used, &f, &used, err, sizeof err), FRAME_OK);
    CHECK_EQ(f.type, T_STDIN_EOF);
    CHECK_EQ(f.len, 0);
    CHECK_EQ(used, 5);
}

static void frame_bad_lengths(void)
{
    uint8_t p[8] = {0};
    struct frame f;
    size_t used;
    p[4] = T_CREDIT; /* length 0: an error as soon as the 4 length bytes are there */
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "bad frame length 0");
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 4, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 3, &f, &used, err, sizeof err), FRAME_NEED_MORE);
    put_u32(p, PROTO_FRAME_MAX + 1);
    p[4] = T_STDIN;
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "bad frame length 1048593");
    put_u32(p, 0xffffffffu);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    /* the largest legal frame only needs more data */
    put_u32(p, PROTO_FRAME_MAX);
    p[4] = T_SPAWN;
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_NEED_MORE);
    CHECK_EQ(used, PROTO_FRAME_MAX + 4);
    /* STDIN may carry at most 1 MiB */
    put_u32(p, PROTO_DATA_MAX + 2);
    p[4] = T_STDIN;
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "STDIN frame");
}

static void frame_fixed_sizes(void)
{
    uint8_t p[16] = {0};
    struct frame f;
    size_t used;
    enc_frame_hdr(p, T_CREDIT, 3);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 8, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "CREDIT frame with payload length 3: must be 5");
    enc_frame_hdr(p, T_STOP, 7);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 12, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "STOP");
    enc_frame_hdr(p, T_STDIN_EOF, 1);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 6, &f, &used, err, sizeof err), FRAME_ERROR);
    /* an empty SPAWN is well framed; the field parser says what is missing */
    enc_frame_hdr(p, T_SPAWN, 0);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_OK);
    enc_frame_hdr(p, T_SIGNAL, 4);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 9, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "SIGNAL frame with payload length 4: must be 5");
}

static void frame_unknown_types(void)
{
    uint8_t p[8] = {0};
    struct frame f;
    size_t used;
    enc_frame_hdr(p, 0x0A, 0);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "unknown frame type 0x0a");
    enc_frame_hdr(p, 0x4D, 0); /* reserved (sd_notify), not a frame yet */
    CHECK_EQ(proto_frame_next(DIR_FROM_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    enc_frame_hdr(p, 0x00, 0);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    /* helper frames are unknown in the JVM->helper direction and vice versa */
    enc_frame_hdr(p, T_EOF, 1);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 6, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_EQ(proto_frame_next(DIR_FROM_HELPER, p, 6, &f, &used, err, sizeof err), FRAME_OK);
    enc_frame_hdr(p, T_STDIN_EOF, 0);
    CHECK_EQ(proto_frame_next(DIR_FROM_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
}

/* ---- SPAWN ---- */

static void spawn_minimal_defaults(void)
{
    struct buf b = minimal();
    struct spawn_spec s;
    CHECK_EQ(parse(&b, &s), 0);
    CHECK(s.has_token && memcmp(s.token, TOKEN, 16) == 0);
    CHECK(strcmp(s.path, "/bin/echo") == 0);
    CHECK_EQ(s.argc, 1);
    CHECK(strcmp(s.argv[0], "echo") == 0 && s.argv[1] == NULL);
    CHECK_EQ(s.envc, 0);
    CHECK(s.envp[0] == NULL);
    CHECK(s.cwd == NULL && s.cgroup == NULL && s.label == NULL);
    CHECK_EQ(s.ncgroup_remove, 0);
    CHECK_EQ(s.stdin_mode, STDIN_NULL);
    CHECK_EQ(s.stdout_mode, OUT_PIPE);
    CHECK_EQ(s.stderr_mode, OUT_PIPE);
    CHECK_EQ(s.kill_signal, 15);
    CHECK_EQ(s.grace_ms, 500);
    CHECK_EQ(s.window, 262144);
    CHECK_EQ(s.flags, 0);
    CHECK(!s.has_uid && !s.has_gid && !s.has_groups);
    spawn_spec_free(&s);
}

static void spawn_every_field(void)
{
    struct buf b = minimal();
    add_str(&b, F_ARG, "a b");
    add_field(&b, F_ARG, "", 0); /* empty arguments are allowed */
    add_str(&b, F_ENV, "A=1");
    add_str(&b, F_ENV, "EMPTY=");
    add_str(&b, F_CWD, "/tmp");
    add_field(&b, F_STDIN, "\002/etc/hosts", 11);
    add_u32(&b, F_UID, 1000);
    add_u32(&b, F_GID, 100);
    uint8_t g[8];
    put_u32(g, 5);
    put_u32(g + 4, 70000);
    add_field(&b, F_GROUPS, g, 8);
    add_str(&b, F_CGROUP, "/sys/fs/cgroup/corral/x/y");
    add_str(&b, F_CGROUP_REMOVE, "/sys/fs/cgroup/corral/x/y");
    add_str(&b, F_CGROUP_REMOVE, "/sys/fs/cgroup/corral/x");
    add_u32(&b, F_KILL_SIGNAL, 2);
    add_u32(&b, F_GRACE_MS, 0);
    add_u32(&b, F_WINDOW, 1 << 20);
    add_field(&b, F_STDERR_MODE, "\001", 1);
    add_field(&b, F_STDOUT_MODE, "\000", 1);
    add_field(&b, F_LABEL, "my\0daemon", 9);
    add_u32(&b, F_FLAGS, SPAWN_FLAG_KEEP_DESCENDANTS | SPAWN_FLAG_STDIN_ACK);
    struct spawn_spec s;
    CHECK_EQ(parse(&b, &s), 0);
    CHECK_EQ(s.argc, 3);
    CHECK(strcmp(s.argv[1], "a b") == 0 && strcmp(s.argv[2], "") == 0 && s.argv[3] == NULL);
    CHECK_EQ(s.envc, 2);
    CHECK(strcmp(s.envp[0], "A=1") == 0 && strcmp(s.envp[1], "EMPTY=") == 0 && !s.envp[2]);
    CHECK(strcmp(s.cwd, "/tmp") == 0);
    CHECK_EQ(s.stdin_mode, STDIN_FILE);
    CHECK(strcmp(s.stdin_path, "/etc/hosts") == 0);
    CHECK(s.has_uid && s.uid == 1000 && s.has_gid && s.gid == 100);
    CHECK(s.has_groups && s.ngroups == 2 && s.groups[0] == 5 && s.groups[1] == 70000);
    CHECK(strcmp(s.cgroup, "/sys/fs/cgroup/corral/x/y") == 0);
    CHECK_EQ(s.ncgroup_remove, 2);
    CHECK(strcmp(s.cgroup_remove[0], "/sys/fs/cgroup/corral/x/y") == 0);
    CHECK(strcmp(s.cgroup_remove[1], "/sys/fs/cgroup/corral/x") == 0 && !s.cgroup_remove[2]);
    CHECK_EQ(s.kill_signal, 2);
    CHECK_EQ(s.grace_ms, 0);
    CHECK_EQ(s.window, 1 << 20);
    CHECK_EQ(s.stderr_mode, OUT_MERGE);
    CHECK_EQ(s.stdout_mode, OUT_PIPE);
    CHECK(s.label_len == 9 && memcmp(s.label, "my\0daemon", 9) == 0);
    CHECK_EQ(s.flags, SPAWN_FLAG_KEEP_DESCENDANTS | SPAWN_FLAG_STDIN_ACK);
    /* the spec owns its bytes: the LABEL outlives the input (ATTACHED) */
    memset(b.b, 0xa5, b.n);
    CHECK(s.label_len == 9 && memcmp(s.label, "my\0daemon", 9) == 0);
    CHECK(strcmp(s.path, "/bin/echo") == 0);
    spawn_spec_free(&s);
}

static void spawn_stdin_modes(void)
{
    struct spawn_spec s;
    struct buf b = minimal();
    add_field(&b, F_STDIN, "\001", 1);
    CHECK_EQ(parse(&b, &s), 0);
    CHECK_EQ(s.stdin_mode, STDIN_PIPE);
    CHECK(s.stdin_path == NULL);
    spawn_spec_free(&s);

    b = minimal();
    add_field(&b, F_STDIN, "\001x", 2);
    CHECK_CONTAINS(parse_err(&b), "mode 1 takes no path");
    b = minimal();
    add_field(&b, F_STDIN, "\002", 1);
    CHECK_CONTAINS(parse_err(&b), "needs a path");
    b = minimal();
    add_field(&b, F_STDIN, "\003", 1);
    CHECK_CONTAINS(parse_err(&b), "field STDIN (tag 6)");
    b = minimal();
    add_field(&b, F_STDIN, "", 0);
    CHECK_CONTAINS(parse_err(&b), "field STDIN (tag 6)");
    b = minimal();
    add_field(&b, F_STDIN, "\002/a\0b", 5);
    CHECK_CONTAINS(parse_err(&b), "NUL");
}

static void spawn_repeats(void)
{
    static const struct {
        uint16_t tag;
        const char *name;
    } once[] = {{F_PATH, "PATH"}, {F_CWD, "CWD"}, {F_CGROUP, "CGROUP"}, {F_LABEL, "LABEL"}};
    for (size_t i = 0; i < sizeof once / sizeof once[0]; i++) {
        struct buf b = minimal();
        add_str(&b, once[i].tag, "/x");
        add_str(&b, once[i].tag, "/y");
        if (once[i].tag == F_PATH) {
            b = minimal();
            add_str(&b, F_PATH, "/y");
        }
        char want[64];
        snprintf(want, sizeof want, "field %s (tag %u) given twice", once[i].name, once[i].tag);
        CHECK_CONTAINS(parse_err(&b), want);
    }
    struct buf b = minimal();
    add_u32(&b, F_UID, 1);
    add_u32(&b, F_UID, 2);
    CHECK_CONTAINS(parse_err(&b), "field UID (tag 7) given twice");
    b = minimal();
    add_field(&b, F_TOKEN, TOKEN, 16);
    CHECK_CONTAINS(parse_err(&b), "TOKEN (tag 1) given twice");
}

static void spawn_missing_required(void)
{
    struct buf b = {.n = 0};
    CHECK_CONTAINS(parse_err(&b), "missing required field TOKEN (tag 1)");
    add_field(&b, F_TOKEN, TOKEN, 16);
    CHECK_CONTAINS(parse_err(&b), "missing required field PATH (tag 2)");
    add_str(&b, F_PATH, "/bin/true");
    CHECK_CONTAINS(parse_err(&b), "missing required field ARG (tag 3)");
    b = (struct buf){.n = 0};
    add_str(&b, F_PATH, "/bin/true");
    add_str(&b, F_ARG, "true");
    CHECK_CONTAINS(parse_err(&b), "TOKEN");
}

static void spawn_bad_lengths(void)
{
    struct buf b = {.n = 0};
    add_field(&b, F_TOKEN, TOKEN, 15);
    CHECK_CONTAINS(parse_err(&b), "field TOKEN (tag 1) at offset 0: length 15, must be 16");

    static const uint16_t u32_tags[] = {F_UID, F_GID, F_KILL_SIGNAL, F_GRACE_MS, F_WINDOW, F_FLAGS};
    for (size_t i = 0; i < sizeof u32_tags / sizeof u32_tags[0]; i++) {
        b = minimal();
        add_field(&b, u32_tags[i], "abc", 3);
        char want[64];
        snprintf(want, sizeof want, "(tag %u) at offset %zu: length 3, must be 4", u32_tags[i], minimal().n);
        CHECK_CONTAINS(parse_err(&b), want);
    }
    b = minimal();
    add_field(&b, F_STDOUT_MODE, "\0\0", 2);
    CHECK_CONTAINS(parse_err(&b), "STDOUT_MODE (tag 16)");
    b = minimal();
    add_field(&b, F_GROUPS, "123456", 6);
    CHECK_CONTAINS(parse_err(&b), "GROUPS (tag 9) at offset");
    /* a field longer than the rest of the payload */
    b = minimal();
    size_t at = b.n;
    add_str(&b, F_ARG, "abcdef");
    put_u32(b.b + at + 2, 1000);
    char want[96];
    snprintf(want, sizeof want, "field ARG (tag 3) at offset %zu: length 1000 exceeds the 6 bytes left", at);
    CHECK_CONTAINS(parse_err(&b), want);
    /* truncated header */
    b = minimal();
    at = b.n;
    b.b[b.n++] = F_ARG;
    b.b[b.n++] = 0;
    b.b[b.n++] = 1;
    snprintf(want, sizeof want, "truncated field header at offset %zu (3 bytes left", at);
    CHECK_CONTAINS(parse_err(&b), want);
}

static void spawn_bad_values(void)
{
    struct buf b = minimal();
    add_field(&b, F_ARG, "a\0b", 3);
    CHECK_CONTAINS(parse_err(&b), "field ARG (tag 3)");
    CHECK_CONTAINS(err, "NUL");

    b = (struct buf){.n = 0};
    add_field(&b, F_TOKEN, TOKEN, 16);
    add_str(&b, F_PATH, "bin/echo");
    CHECK_CONTAINS(parse_err(&b), "PATH (tag 2) at offset 22: must be an absolute path");

    b = minimal();
    add_str(&b, F_ENV, "NOEQUALS");
    CHECK_CONTAINS(parse_err(&b), "ENV (tag 4)");
    b = minimal();
    add_str(&b, F_ENV, "=x");
    CHECK_CONTAINS(parse_err(&b), "NAME=value");
    b = minimal();
    add_str(&b, F_CWD, "");
    CHECK_CONTAINS(parse_err(&b), "CWD (tag 5) at offset");
    b = minimal();
    add_u32(&b, F_KILL_SIGNAL, 0);
    CHECK_CONTAINS(parse_err(&b), "signal 0 is not 1..64");
    b = minimal();
    add_u32(&b, F_KILL_SIGNAL, 65);
    CHECK_CONTAINS(parse_err(&b), "signal 65");
    b = minimal();
    add_u32(&b, F_FLAGS, 0x0c);
    CHECK_CONTAINS(parse_err(&b), "unknown bits 0xc");
    b = minimal();
    add_field(&b, F_STDOUT_MODE, "\001", 1);
    CHECK_CONTAINS(parse_err(&b), "STDOUT_MODE (tag 16) at offset");
    b = minimal();
    add_field(&b, F_STDERR_MODE, "\003", 1);
    CHECK_CONTAINS(parse_err(&b), "unknown mode 3");
}

/* ---- hardening fields ---- */

static void add_u64(struct buf *b, uint16_t tag, uint64_t v)
{
    uint8_t x[8];
    put_u64(x, v);
    add_field(b, tag, x, 8);
}

static void add_rlimit(struct buf *b, uint8_t res, uint64_t soft, uint64_t hard)
{
    uint8_t x[RLIMIT_FIELD_LEN];
    x[0] = res;
    put_u64(x + 1, soft);
    put_u64(x + 9, hard);
    add_field(b, F_RLIMIT, x, sizeof x);
}

static void spawn_hardening_defaults(void)
{
    struct buf b = minimal();
    struct spawn_spec s;
    CHECK_EQ(parse(&b, &s), 0);
    CHECK(!s.no_new_privs && !s.has_caps && !s.has_nice && !s.has_oom_score_adj && !s.has_umask);
    CHECK_EQ(s.rlimit_set, 0);
    spawn_spec_free(&s);
}

static void spawn_hardening_fields(void)
{
    struct buf b = minimal();
    add_field(&b, F_NO_NEW_PRIVS, "", 0);
    add_u64(&b, F_CAPS, (1ull << 10) | (1ull << 40));
    add_rlimit(&b, 7, 1024, 4096);                            /* nofile */
    add_rlimit(&b, 4, 0, RLIM_UNLIMITED64);                   /* core */
    add_rlimit(&b, 9, RLIM_UNLIMITED64, RLIM_UNLIMITED64);    /* as */
    add_rlimit(&b, 15, 5, 5);                                 /* rttime */
    add_u32(&b, F_NICE, (uint32_t)-20);
    add_u32(&b, F_OOM_SCORE_ADJ, (uint32_t)-1000);
    add_u32(&b, F_UMASK, 0777);
    struct spawn_spec s;
    CHECK_EQ(parse(&b, &s), 0);
    CHECK_EQ(s.no_new_privs, 1);
    CHECK(s.has_caps && s.caps == ((1ull << 10) | (1ull << 40)));
    CHECK_EQ(s.rlimit_set, (1u << 7) | (1u << 4) | (1u << 9) | (1u << 15));
    CHECK(s.rlimit[7].soft == 1024 && s.rlimit[7].hard == 4096);
    CHECK(s.rlimit[4].soft == 0 && s.rlimit[4].hard == RLIM_UNLIMITED64);
    CHECK(s.rlimit[9].soft == RLIM_UNLIMITED64 && s.rlimit[9].hard == RLIM_UNLIMITED64);
    CHECK(s.rlimit[15].soft == 5 && s.rlimit[15].hard == 5);
    CHECK(s.has_nice && s.nice == -20);
    CHECK(s.has_oom_score_adj && s.oom_score_adj == -1000);
    CHECK(s.has_umask && s.umask == 0777);
    spawn_spec_free(&s);

    /* the other ends of the ranges, and an empty capability set */
    b = minimal();
    add_u64(&b, F_CAPS, 0);
    add_u32(&b, F_NICE, 19);
    add_u32(&b, F_OOM_SCORE_ADJ, 1000);
    add_u32(&b, F_UMASK, 0);
    CHECK_EQ(parse(&b, &s), 0);
    CHECK(s.has_caps && s.caps == 0);
    CHECK(s.nice == 19 && s.oom_score_adj == 1000 && s.has_umask && s.umask == 0);
    spawn_spec_free(&s);
}

static void spawn_hardening_bad(void)
{
    size_t at = minimal().n;
    char want[160];
    struct buf b = minimal();
    add_field(&b, F_NO_NEW_PRIVS, "\001", 1);
    snprintf(want, sizeof want, "field NO_NEW_PRIVS (tag 19) at offset %zu: length 1, must be 0", at);
    CHECK_CONTAINS(parse_err(&b), want);
    b = minimal();
    add_field(&b, F_CAPS, "\xff\xff\xff\xff", 4);
    CHECK_CONTAINS(parse_err(&b), "field CAPS (tag 20) at offset");
    CHECK_CONTAINS(err, "length 4, must be 8");
    b = minimal();
    add_field(&b, F_RLIMIT, "\007\0\0\0\0\0\0\0\0", 9);
    CHECK_CONTAINS(parse_err(&b), "field RLIMIT (tag 21)");
    CHECK_CONTAINS(err, "length 9, must be 17");
    b = minimal();
    add_rlimit(&b, 16, 1, 1);
    CHECK_CONTAINS(parse_err(&b), "unknown resource 16 (0..15)");
    b = minimal();
    add_rlimit(&b, 7, 4097, 4096);
    CHECK_CONTAINS(parse_err(&b), "rlimit.nofile soft 4097 is above hard 4096");
    b = minimal();
    add_rlimit(&b, 7, RLIM_UNLIMITED64, 4096);
    CHECK_CONTAINS(parse_err(&b), "rlimit.nofile soft 18446744073709551615 is above hard 4096");
    b = minimal();
    add_rlimit(&b, 6, 1, 2);
    at = b.n;
    add_rlimit(&b, 6, 1, 2);
    snprintf(want, sizeof want, "field RLIMIT (tag 21) at offset %zu: rlimit.nproc (resource 6) given twice", at);
    CHECK_CONTAINS(parse_err(&b), want);
    b = minimal();
    add_u32(&b, F_NICE, 20);
    CHECK_CONTAINS(parse_err(&b), "field NICE (tag 22)");
    CHECK_CONTAINS(err, "nice 20 is not -20..19");
    b = minimal();
    add_u32(&b, F_NICE, (uint32_t)-21);
    CHECK_CONTAINS(parse_err(&b), "nice -21 is not -20..19");
    b = minimal();
    add_field(&b, F_NICE, "\0", 1);
    CHECK_CONTAINS(parse_err(&b), "NICE (tag 22) at offset");
    CHECK_CONTAINS(err, "must be 4");
    b = minimal();
    add_u32(&b, F_OOM_SCORE_ADJ, 1001);
    CHECK_CONTAINS(parse_err(&b), "field OOM_SCORE_ADJ (tag 23)");
    CHECK_CONTAINS(err, "1001 is not -1000..1000");
    b = minimal();
    add_u32(&b, F_OOM_SCORE_ADJ, (uint32_t)-1001);
    CHECK_CONTAINS(parse_err(&b), "-1001 is not -1000..1000");
    b = minimal();
    add_u32(&b, F_UMASK, 01000);
    CHECK_CONTAINS(parse_err(&b), "field UMASK (tag 24)");
    CHECK_CONTAINS(err, "01000 is not 0..0777");
    b = minimal();
    add_u64(&b, F_CAPS, 1);
    add_u64(&b, F_CAPS, 2);
    CHECK_CONTAINS(parse_err(&b), "field CAPS (tag 20) given twice");
    b = minimal();
    add_u32(&b, F_UMASK, 022);
    add_u32(&b, F_UMASK, 022);
    CHECK_CONTAINS(parse_err(&b), "field UMASK (tag 24) given twice");
}

static void rlimit_names(void)
{
    CHECK(strcmp(proto_rlimit_name(0), "cpu") == 0);
    CHECK(strcmp(proto_rlimit_name(7), "nofile") == 0);
    CHECK(strcmp(proto_rlimit_name(9), "as") == 0);
    CHECK(strcmp(proto_rlimit_name(15), "rttime") == 0);
    CHECK(proto_rlimit_name(16) == NULL);
    CHECK(strcmp(proto_tag_name(F_OOM_SCORE_ADJ), "OOM_SCORE_ADJ") == 0);
    for (unsigned t = 1; t <= F_MAX_TAG; t++) /* 25, 26: taken on other branches */
        CHECK((t == 25 || t == 26) == (proto_tag_name(t) == NULL));
    CHECK(strcmp(proto_tag_name(F_NOTIFY), "NOTIFY") == 0);
    CHECK(proto_tag_name(F_MAX_TAG + 1) == NULL);
}

static void spawn_cgroup_stats(void)
{
    struct buf b = minimal();
    add_str(&b, F_CGROUP_STATS, "/sys/fs/cgroup/corral/corral-1-2-3");
    struct spawn_spec s;
    CHECK_EQ(parse(&b, &s), 0);
    CHECK(s.cgroup_stats && strcmp(s.cgroup_stats, "/sys/fs/cgroup/corral/corral-1-2-3") == 0);
    spawn_spec_free(&s);
    b = minimal();
    CHECK_EQ(parse(&b, &s), 0);
    CHECK(s.cgroup_stats == NULL);
    spawn_spec_free(&s);
    b = minimal();
    add_str(&b, F_CGROUP_STATS, "");
    CHECK_CONTAINS(parse_err(&b), "field CGROUP_STATS (tag 28) at offset");
    CHECK_CONTAINS(parse_err(&b), "must not be empty");
    b = minimal();
    add_str(&b, F_CGROUP_STATS, "/a");
    add_str(&b, F_CGROUP_STATS, "/b");
    CHECK_CONTAINS(parse_err(&b), "field CGROUP_STATS (tag 28) given twice");
    b = minimal();
    add_str(&b, 25, "x");
    CHECK_CONTAINS(parse_err(&b), "unknown SPAWN field tag 25");
}


static void spawn_unknown_tag(void)
{
    struct buf b = minimal();
    size_t at = b.n;
    add_str(&b, 99, "x");
    char want[64];
    snprintf(want, sizeof want, "unknown SPAWN field tag 99 at offset %zu", at);
    CHECK_CONTAINS(parse_err(&b), want);
    b = minimal();
    add_str(&b, 0, "x");
    CHECK_CONTAINS(parse_err(&b), "unknown SPAWN field tag 0");
}

static void spawn_token_known_on_error(void)
{
    struct buf b = minimal();
    add_str(&b, 77, "x");
    struct spawn_spec s;
    CHECK_EQ(parse(&b, &s), -1);
    CHECK(s.has_token && memcmp(s.token, TOKEN, 16) == 0);
    spawn_spec_free(&s);
}

static void spawn_many_fields(void)
{
    static uint8_t big[200000];
    size_t n = 0;
    n += enc_field(big + n, F_TOKEN, TOKEN, 16);
    n += enc_field(big + n, F_PATH, "/bin/true", 9);
    for (int i = 0; i < 10000; i++)
        n += enc_field(big + n, F_ARG, "argument", 8);
    for (int i = 0; i < 1000; i++)
        n += enc_field(big + n, F_ENV, "K=v", 3);
    struct spawn_spec s;
    CHECK_EQ(spawn_parse(big, n, &s, err, sizeof err), 0);
    CHECK_EQ(s.argc, 10000);
    CHECK_EQ(s.envc, 1000);
    CHECK(s.argv[9999] && strcmp(s.argv[9999], "argument") == 0 && s.argv[10000] == NULL);
    spawn_spec_free(&s);
}

/* ---- encoders, round-tripped through the frame parser ---- */

static struct frame decode(const uint8_t *p, size_t n)
{
    struct frame f = {0};
    size_t used = 0;
    int r = proto_frame_next(DIR_FROM_HELPER, p, n, &f, &used, err, sizeof err);
    CHECK_EQ(r, FRAME_OK);
    CHECK_EQ(used, n);
    return f;
}

static void stats_entries(void)
{
    static uint8_t big[STATS_VALUE_MAX + 100];
    uint8_t p[PROTO_HDR_LEN + 200];
    size_t len = 0;
    CHECK_EQ(stats_put(p + PROTO_HDR_LEN, 200, &len, "cpu.stat", (const uint8_t *)"usage_usec 7\n", 13), 0);
    CHECK_EQ(stats_put(p + PROTO_HDR_LEN, 200, &len, "cgroup.procs", NULL, 0), 0);
    CHECK_EQ(len, 2 + 8 + 4 + 13 + 2 + 12 + 4);
    /* refused: bad names, no room (nothing appended) */
    CHECK_EQ(stats_put(p + PROTO_HDR_LEN, 200, &len, "", NULL, 0), -1);
    CHECK_EQ(stats_put(p + PROTO_HDR_LEN, 200, &len, "a/b", NULL, 0), -1);
    CHECK_EQ(stats_put(p + PROTO_HDR_LEN, 200, &len, "x", big, 200), -1);
    CHECK_EQ(len, 2 + 8 + 4 + 13 + 2 + 12 + 4);
    char name[300];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    size_t l2 = 0;
    CHECK_EQ(stats_put(big, sizeof big, &l2, name, NULL, 0), -1);
    name[STATS_NAME_MAX] = 0;
    CHECK_EQ(stats_put(big, sizeof big, &l2, name, NULL, 0), 0);
    /* a value beyond STATS_VALUE_MAX is cut */
    static uint8_t out[STATS_VALUE_MAX + 200];
    l2 = 0;
    CHECK_EQ(stats_put(out, sizeof out, &l2, "memory.stat", big, sizeof big), 0);
    CHECK_EQ(get_u32(out + 2 + 11), STATS_VALUE_MAX);
    /* the frame: header + entries, accepted from a helper, not by a helper */
    size_t n = enc_frame_hdr(p, T_STATS, (uint32_t)len) + len;
    struct frame f = decode(p, n);
    CHECK_EQ(f.type, T_STATS);
    CHECK_EQ(f.len, len);
    CHECK_EQ(get_u16(f.payload), 8);
    CHECK(memcmp(f.payload + 2, "cpu.stat", 8) == 0);
    CHECK_EQ(get_u32(f.payload + 10), 13);
    CHECK(strcmp(proto_type_name(T_STATS), "STATS") == 0);
    size_t used;
    char e2[200];
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, n, &f, &used, e2, sizeof e2), FRAME_ERROR);
    enc_frame_hdr(p, T_STATS, 0);
    CHECK_EQ(decode(p, PROTO_HDR_LEN).len, 0);
}

static void enc_roundtrip(void)
{
    uint8_t p[700];
    struct frame f = decode(p, enc_hello(p, ROLE_HELPER, 4242, TOKEN));
    CHECK_EQ(f.type, T_HELLO);
    CHECK_EQ(get_u16(f.payload), 3);
    CHECK_EQ(f.payload[2], ROLE_HELPER);
    CHECK_EQ(get_u32(f.payload + 3), 4242);
    CHECK(memcmp(f.payload + 7, TOKEN, 16) == 0);

    f = decode(p, enc_spawned(p, 77));
    CHECK_EQ(f.type, T_SPAWNED);
    CHECK_EQ(get_u32(f.payload), 77);

    f = decode(p, enc_spawn_failed(p, sizeof p, 2, STAGE_EXEC, NULL, "execve /x: No such file"));
    CHECK_EQ(f.type, T_SPAWN_FAILED);
    CHECK_EQ(get_u32(f.payload), 2);
    CHECK_EQ(f.payload[4], STAGE_EXEC);
    CHECK_EQ(f.len, 5 + strlen("execve /x: No such file"));
    CHECK(memcmp(f.payload + 5, "execve /x", 9) == 0);

    f = decode(p, enc_spawn_failed(p, sizeof p, 12, STAGE_FORK, TOKEN, "fork"));
    CHECK_EQ(f.len, 5 + 16 + 4);
    CHECK(memcmp(f.payload + 5, TOKEN, 16) == 0);
    CHECK(memcmp(f.payload + 21, "fork", 4) == 0);

    size_t h = enc_data_hdr(p, STREAM_STDERR, 3);
    CHECK_EQ(h, PROTO_DATA_HDR_LEN);
    memcpy(p + h, "abc", 3);
    f = decode(p, h + 3);
    CHECK_EQ(f.type, T_DATA);
    CHECK_EQ(f.payload[0], STREAM_STDERR);
    CHECK(memcmp(f.payload + 1, "abc", 3) == 0);

    f = decode(p, enc_eof(p, STREAM_STDOUT));
    CHECK_EQ(f.type, T_EOF);
    CHECK_EQ(f.payload[0], STREAM_STDOUT);

    f = decode(p, enc_exit(p, EXIT_SIGNALED, 9, EXITF_SIGNALED_BY_HELPER | EXITF_SIGKILL_NEEDED));
    CHECK_EQ(f.type, T_EXIT);
    CHECK_EQ(f.payload[0], EXIT_SIGNALED);
    CHECK_EQ((int32_t)get_u32(f.payload + 1), 9);
    CHECK_EQ(f.payload[5], 3);
    f = decode(p, enc_exit(p, EXIT_EXITED, -1, 0));
    CHECK_EQ((int32_t)get_u32(f.payload + 1), -1);

    f = decode(p, enc_stdin_ack(p, 65536));
    CHECK_EQ(f.type, T_STDIN_ACK);
    CHECK_EQ(get_u32(f.payload), 65536);

    f = decode(p, enc_message(p, sizeof p, LVL_WARN, "hello"));
    CHECK_EQ(f.type, T_MESSAGE);
    CHECK_EQ(f.payload[0], LVL_WARN);
    CHECK_EQ(f.len, 6);
}

/* Version 3: helper loss.  HELPER_EXIT and STOPPING come from a broker or
 * helper, KILL_HELPER goes to a broker; each has one size. */
static void helper_loss_frames(void)
{
    uint8_t p[64];
    size_t used;
    struct frame f;
    size_t n = enc_helper_exit(p, TOKEN, 4242, EXIT_SIGNALED, 9);
    CHECK_EQ(n, PROTO_HDR_LEN + 25);
    f = decode(p, n);
    CHECK_EQ(f.type, T_HELPER_EXIT);
    CHECK(memcmp(f.payload, TOKEN, 16) == 0);
    CHECK_EQ(get_u32(f.payload + 16), 4242);
    CHECK_EQ(f.payload[20], EXIT_SIGNALED);
    CHECK_EQ((int32_t)get_u32(f.payload + 21), 9);
    f = decode(p, enc_helper_exit(p, TOKEN, 7, EXIT_EXITED, 3));
    CHECK_EQ(f.payload[20], EXIT_EXITED);
    CHECK_EQ((int32_t)get_u32(f.payload + 21), 3);

    n = enc_stopping(p, 15, 500);
    CHECK_EQ(n, PROTO_HDR_LEN + 8);
    f = decode(p, n);
    CHECK_EQ(f.type, T_STOPPING);
    CHECK_EQ(get_u32(f.payload), 15);
    CHECK_EQ(get_u32(f.payload + 4), 500);

    n = enc_kill_helper(p, TOKEN);
    CHECK_EQ(n, PROTO_HDR_LEN + 16);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, n, &f, &used, err, sizeof err), FRAME_OK);
    CHECK_EQ(f.type, T_KILL_HELPER);
    CHECK(memcmp(f.payload, TOKEN, 16) == 0);
    CHECK(strcmp(proto_type_name(T_KILL_HELPER), "KILL_HELPER") == 0);
    CHECK(strcmp(proto_type_name(T_HELPER_EXIT), "HELPER_EXIT") == 0);
    CHECK(strcmp(proto_type_name(T_STOPPING), "STOPPING") == 0);

    /* each in its own direction only */
    CHECK_EQ(proto_frame_next(DIR_FROM_HELPER, p, n, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "unknown frame type 0x09");
    n = enc_stopping(p, 15, 500);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, n, &f, &used, err, sizeof err), FRAME_ERROR);

    /* wrong sizes are framing errors, seen from the header alone */
    enc_frame_hdr(p, T_KILL_HELPER, 15);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "KILL_HELPER frame with payload length 15: must be 16");
    enc_frame_hdr(p, T_HELPER_EXIT, 26);
    CHECK_EQ(proto_frame_next(DIR_FROM_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "HELPER_EXIT frame with payload length 26: must be 25");
    enc_frame_hdr(p, T_STOPPING, 0);
    CHECK_EQ(proto_frame_next(DIR_FROM_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "STOPPING frame with payload length 0: must be 8");
}

static void enc_truncates_text(void)
{
    uint8_t p[20];
    size_t n = enc_message(p, sizeof p, LVL_INFO, "a rather long message that does not fit");
    CHECK_EQ(n, 20);
    struct frame f = decode(p, n);
    CHECK_EQ(f.len, 15);
    n = enc_spawn_failed(p, sizeof p, 1, STAGE_OTHER, NULL, "a rather long message");
    CHECK_EQ(n, 20);
    decode(p, n);
}

static void spawn_frame_roundtrip(void)
{
    /* a whole SPAWN frame as the JVM sends it, through both parsers */
    uint8_t p[256];
    size_t n = PROTO_HDR_LEN;
    n += enc_field(p + n, F_TOKEN, TOKEN, 16);
    n += enc_field(p + n, F_PATH, "/bin/sh", 7);
    n += enc_field(p + n, F_ARG, "sh", 2);
    enc_frame_hdr(p, T_SPAWN, (uint32_t)(n - PROTO_HDR_LEN));
    struct frame f;
    size_t used;
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, n, &f, &used, err, sizeof err), FRAME_OK);
    struct spawn_spec s;
    CHECK_EQ(spawn_parse(f.payload, f.len, &s, err, sizeof err), 0);
    CHECK(strcmp(s.path, "/bin/sh") == 0);
    spawn_spec_free(&s);
}

static void token_hex(void)
{
    uint8_t t[16];
    CHECK_EQ(token_from_hex("0102030405060708090a0b0c0d0e0F10", t), 0);
    CHECK(memcmp(t, TOKEN, 16) == 0);
    CHECK_EQ(token_from_hex("0102", t), -1);
    CHECK_EQ(token_from_hex("0102030405060708090a0b0c0d0e0g10", t), -1);
}

/* ---- DETACH / ATTACH ---- */

static const uint8_t SECRET[16] = {0xde, 0xad, 0xbe, 0xef, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x99};

/* A DETACH payload with the given lease and path (secret SECRET). */
static size_t detach_payload(uint8_t *p, uint32_t lease, const char *path, size_t path_len)
{
    put_u32(p, lease);
    memcpy(p + 4, SECRET, 16);
    memcpy(p + 20, path, path_len);
    return 20 + path_len;
}

static void detach_parse_ok(void)
{
    uint8_t p[200];
    struct detach_req d;
    size_t n = detach_payload(p, 30000, "/run/corral/a-42.sock", 21);
    CHECK_EQ(detach_parse(p, n, &d, err, sizeof err), 0);
    CHECK_EQ(d.lease_ms, 30000);
    CHECK(memcmp(d.secret, SECRET, 16) == 0);
    CHECK(strcmp(d.path, "/run/corral/a-42.sock") == 0);
    /* bounds: lease 1 and 2^31-1, path of 1 and of 107 bytes */
    n = detach_payload(p, 1, "/", 1);
    CHECK_EQ(detach_parse(p, n, &d, err, sizeof err), 0);
    CHECK(strcmp(d.path, "/") == 0);
    char longest[108];
    memset(longest, 'x', 107);
    longest[0] = '/';
    longest[107] = 0;
    n = detach_payload(p, 0x7fffffffu, longest, 107);
    CHECK_EQ(n, DETACH_MAX_LEN);
    CHECK_EQ(detach_parse(p, n, &d, err, sizeof err), 0);
    CHECK_EQ(strlen(d.path), 107);
    CHECK_EQ(d.lease_ms, 0x7fffffffu);
}

static void detach_parse_refusals(void)
{
    uint8_t p[200];
    struct detach_req d;
    size_t n = detach_payload(p, 0, "/tmp/x.sock", 11);
    CHECK_EQ(detach_parse(p, n, &d, err, sizeof err), -1);
    CHECK_CONTAINS(err, "lease 0 ms: must be 1..2147483647");
    n = detach_payload(p, 0x80000000u, "/tmp/x.sock", 11);
    CHECK_EQ(detach_parse(p, n, &d, err, sizeof err), -1);
    CHECK_CONTAINS(err, "lease 2147483648 ms");
    n = detach_payload(p, 1000, "tmp/x.sock", 10);
    CHECK_EQ(detach_parse(p, n, &d, err, sizeof err), -1);
    CHECK_CONTAINS(err, "socket path must be absolute");
    n = detach_payload(p, 1000, "/tmp/x\0y", 8);
    CHECK_EQ(detach_parse(p, n, &d, err, sizeof err), -1);
    CHECK_CONTAINS(err, "socket path contains a NUL byte");
    n = detach_payload(p, 1000, "/tmp/x.sock", 11);
    memset(p + 4, 0, 16);
    CHECK_EQ(detach_parse(p, n, &d, err, sizeof err), -1);
    CHECK_CONTAINS(err, "secret is all zero bytes");
    /* lengths the framing already refuses are refused here too */
    CHECK_EQ(detach_parse(p, 20, &d, err, sizeof err), -1);
    CHECK_CONTAINS(err, "DETACH payload of 20 bytes: must be 21..127");
    CHECK_EQ(detach_parse(p, 128, &d, err, sizeof err), -1);
}

static void detach_attach_framing(void)
{
    uint8_t p[256] = {0};
    struct frame f;
    size_t used;
    /* DETACH: 21..127 bytes of payload, known from the header */
    enc_frame_hdr(p, T_DETACH, 20);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "DETACH frame with payload length 20: must be 21..127");
    enc_frame_hdr(p, T_DETACH, 128);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "must be 21..127");
    /* the old 4-byte DETACH of version 1's reservation is a framing error now */
    enc_frame_hdr(p, T_DETACH, 4);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 9, &f, &used, err, sizeof err), FRAME_ERROR);
    size_t n = enc_detach(p, 5000, SECRET, "/run/x.sock");
    CHECK_EQ(n, 5 + 4 + 16 + 11);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, n, &f, &used, err, sizeof err), FRAME_OK);
    CHECK_EQ(f.type, T_DETACH);
    struct detach_req d;
    CHECK_EQ(detach_parse(f.payload, f.len, &d, err, sizeof err), 0);
    CHECK_EQ(d.lease_ms, 5000);
    CHECK(strcmp(d.path, "/run/x.sock") == 0);
    /* ATTACH: exactly 20 bytes */
    enc_frame_hdr(p, T_ATTACH, 19);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "ATTACH frame with payload length 19: must be 20");
    n = enc_attach(p, SECRET, 4096);
    CHECK_EQ(n, ATTACH_FRAME_LEN);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, n, &f, &used, err, sizeof err), FRAME_OK);
    CHECK_EQ(f.type, T_ATTACH);
    /* DETACHED exactly 16, ATTACHED at least 26, only from the helper */
    enc_frame_hdr(p, T_DETACHED, 15);
    CHECK_EQ(proto_frame_next(DIR_FROM_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    enc_frame_hdr(p, T_ATTACHED, 25);
    CHECK_EQ(proto_frame_next(DIR_FROM_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "ATTACHED frame with payload length 25: must be at least 26");
    enc_frame_hdr(p, T_DETACHED, 16);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, 5, &f, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "unknown frame type 0x49");
}

static void attach_check_every_prefix(void)
{
    uint8_t p[32], secret[16];
    uint32_t window = 0;
    size_t n = enc_attach(p, SECRET, 0x01020304u);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(attach_check(p, i, secret, &window), 0);
    CHECK_EQ(attach_check(p, n, secret, &window), 1);
    CHECK(memcmp(secret, SECRET, 16) == 0);
    CHECK_EQ(window, 0x01020304u);
    /* a wrong length is seen with 4 bytes, a wrong type with 5 */
    uint8_t q[32];
    memcpy(q, p, n);
    q[0] = 22;
    CHECK_EQ(attach_check(q, 3, secret, &window), 0);
    CHECK_EQ(attach_check(q, 4, secret, &window), -1);
    memcpy(q, p, n);
    q[4] = T_CREDIT;
    CHECK_EQ(attach_check(q, 4, secret, &window), 0);
    CHECK_EQ(attach_check(q, 5, secret, &window), -1);
    /* a DETACH frame on the attach socket is no ATTACH */
    uint8_t d[200];
    size_t dn = enc_detach(d, 1000, SECRET, "/x");
    CHECK_EQ(attach_check(d, dn, secret, &window), -1);
}

static void secret_compare(void)
{
    uint8_t a[16], b[16];
    memcpy(a, SECRET, 16);
    memcpy(b, SECRET, 16);
    CHECK_EQ(secret_equal(a, b), 1);
    for (int i = 0; i < 16; i++) {
        b[i] ^= 0x80;
        CHECK_EQ(secret_equal(a, b), 0);
        b[i] ^= 0x80;
    }
}

static void enc_detached_attached(void)
{
    uint8_t p[128];
    struct frame f = decode(p, enc_detached(p, 0x123456789aull, 7));
    CHECK_EQ(f.type, T_DETACHED);
    CHECK_EQ(f.len, 16);
    CHECK(get_u64(f.payload) == 0x123456789aull);
    CHECK(get_u64(f.payload + 8) == 7);

    f = decode(p, enc_attached(p, 4321, 0, EXIT_SIGNALED, 9, 1, 2, (const uint8_t *)"daemon-a", 8));
    CHECK_EQ(f.type, T_ATTACHED);
    CHECK_EQ(f.len, 26 + 8);
    CHECK_EQ(get_u32(f.payload), 4321);
    CHECK_EQ(f.payload[4], 0);
    CHECK_EQ(f.payload[5], 0); /* running: no status */
    CHECK_EQ(get_u32(f.payload + 6), 0);
    CHECK(get_u64(f.payload + 10) == 1);
    CHECK(get_u64(f.payload + 18) == 2);
    CHECK(memcmp(f.payload + 26, "daemon-a", 8) == 0);

    f = decode(p, enc_attached(p, 4321, 1, EXIT_EXITED, -3, 0, 0, NULL, 0));
    CHECK_EQ(f.len, 26);
    CHECK_EQ(f.payload[4], 1);
    CHECK_EQ(f.payload[5], EXIT_EXITED);
    CHECK_EQ((int32_t)get_u32(f.payload + 6), -3);
    f = decode(p, enc_attached(p, 1, 1, EXIT_SIGNALED, 15, 0, 0, NULL, 0));
    CHECK_EQ(f.payload[5], EXIT_SIGNALED);
    CHECK_EQ(get_u32(f.payload + 6), 15);
}

/* ---- teardown state machine ---- */

static void td_normal_exit_nothing_left(void)
{
    struct teardown td;
    td_init(&td, 0);
    CHECK_EQ(td_event(&td, TD_EV_CHILDREN_GONE, 100), 0);
    CHECK_EQ(td.state, TD_RUNNING);
    CHECK_EQ(td_start(&td, SIGTERM, 500, 0, 100), TD_ACT_RMDIR | TD_ACT_DONE);
    CHECK_EQ(td.state, TD_DONE);
    CHECK(!td.program_signaled && !td.killed);
    CHECK_EQ(td_timeout(&td, 100), -1);
    CHECK_EQ(td_start(&td, SIGTERM, 500, 0, 200), 0); /* DONE stays DONE */
}

static void td_term_then_exit_in_grace(void)
{
    struct teardown td;
    td_init(&td, 0);
    CHECK_EQ(td_start(&td, SIGTERM, 500, 1, 1000), TD_ACT_SIGNAL);
    CHECK_EQ(td.state, TD_TERM_SENT);
    CHECK_EQ(td.signo, SIGTERM);
    CHECK(td.program_signaled);
    CHECK_EQ(td_timeout(&td, 1000), 500);
    CHECK_EQ(td_timeout(&td, 1300), 200);
    CHECK_EQ(td_event(&td, TD_EV_TIMER, 1499), 0);
    CHECK_EQ(td_event(&td, TD_EV_REAPED_SOME, 1200), 0); /* no SIGKILL during the grace */
    CHECK_EQ(td_event(&td, TD_EV_CHILDREN_GONE, 1300), TD_ACT_RMDIR | TD_ACT_DONE);
    CHECK_EQ(td.state, TD_DONE);
    CHECK(!td.killed);
}

static void td_grace_expires_then_kill_until_reaped(void)
{
    struct teardown td;
    td_init(&td, 0);
    td_start(&td, SIGTERM, 500, 1, 0);
    CHECK_EQ(td_event(&td, TD_EV_TIMER, 500), TD_ACT_KILL);
    CHECK_EQ(td.state, TD_KILL_SENT);
    CHECK(td.killed);
    CHECK_EQ(td_timeout(&td, 500), TD_REKILL_MIN_MS);
    /* a reap while children remain: kill again (orphans may have arrived) */
    CHECK_EQ(td_event(&td, TD_EV_REAPED_SOME, 505), TD_ACT_KILL);
    /* the re-kill timer backs off: 10, 20, 40 ... up to TD_REKILL_MAX_MS */
    int64_t now = 510, expect = 20;
    for (int i = 0; i < 12; i++) {
        CHECK_EQ(td_event(&td, TD_EV_TIMER, now), TD_ACT_KILL);
        CHECK_EQ(td_timeout(&td, now), expect);
        now += expect;
        expect = expect * 2 > TD_REKILL_MAX_MS ? TD_REKILL_MAX_MS : expect * 2;
    }
    CHECK_EQ(td.state, TD_KILL_SENT);
    CHECK_EQ(td_event(&td, TD_EV_CHILDREN_GONE, now), TD_ACT_RMDIR | TD_ACT_DONE);
    CHECK_EQ(td_timeout(&td, now), -1);
}

static void td_grace_zero_and_sigkill(void)
{
    struct teardown td;
    td_init(&td, 0);
    CHECK_EQ(td_start(&td, SIGTERM, 0, 1, 0), TD_ACT_KILL);
    CHECK_EQ(td.state, TD_KILL_SENT);
    td_init(&td, 0);
    CHECK_EQ(td_start(&td, SIGKILL, 5000, 1, 0), TD_ACT_KILL);
    CHECK_EQ(td.state, TD_KILL_SENT);
    CHECK(td.killed && td.program_signaled);
}

static void td_stop_during_grace(void)
{
    struct teardown td;
    td_init(&td, 0);
    td_start(&td, SIGTERM, 10000, 1, 0);
    /* a hang-up with the configured (same) signal and a longer grace: no change */
    CHECK_EQ(td_start(&td, SIGTERM, 20000, 1, 100), 0);
    CHECK_EQ(td_timeout(&td, 100), 9900);
    /* STOP with a shorter grace shortens it */
    CHECK_EQ(td_start(&td, SIGTERM, 1000, 1, 100), 0);
    CHECK_EQ(td_timeout(&td, 100), 1000);
    /* STOP with another signal sends it */
    CHECK_EQ(td_start(&td, SIGINT, 5000, 1, 200), TD_ACT_SIGNAL);
    CHECK_EQ(td.signo, SIGINT);
    CHECK_EQ(td_timeout(&td, 200), 900);
    /* STOP with grace 0 kills now */
    CHECK_EQ(td_start(&td, SIGTERM, 0, 1, 300), TD_ACT_KILL);
    CHECK_EQ(td.state, TD_KILL_SENT);
    /* once killing, nothing more to hurry */
    CHECK_EQ(td_start(&td, SIGTERM, 0, 1, 301), 0);
}

static void td_cgroup_normal(void)
{
    struct teardown td;
    td_init(&td, 1);
    CHECK_EQ(td_start(&td, SIGTERM, 500, 1, 0), TD_ACT_WATCH_CGROUP | TD_ACT_SIGNAL);
    CHECK(td.watching);
    CHECK_EQ(td_event(&td, TD_EV_CHILDREN_GONE, 10), 0);
    CHECK_EQ(td.state, TD_REAPED);
    CHECK_EQ(td_event(&td, TD_EV_CGROUP_EMPTY, 12), TD_ACT_RMDIR | TD_ACT_DONE);
    CHECK_EQ(td.state, TD_DONE);
}

static void td_cgroup_empty_before_reaped(void)
{
    struct teardown td;
    td_init(&td, 1);
    td_start(&td, SIGTERM, 500, 1, 0);
    CHECK_EQ(td_event(&td, TD_EV_CGROUP_EMPTY, 5), 0);
    CHECK_EQ(td.state, TD_TERM_SENT);
    CHECK_EQ(td_event(&td, TD_EV_CHILDREN_GONE, 6), TD_ACT_RMDIR | TD_ACT_DONE);
}

static void td_cgroup_only_strangers_left(void)
{
    /* the program exited, no children, but the cgroup still has pids */
    struct teardown td;
    td_init(&td, 1);
    td_event(&td, TD_EV_CHILDREN_GONE, 0);
    CHECK_EQ(td_start(&td, SIGTERM, 500, 0, 0), TD_ACT_WATCH_CGROUP | TD_ACT_SIGNAL);
    CHECK_EQ(td.state, TD_REAPED);
    CHECK(!td.program_signaled);
    CHECK_EQ(td_event(&td, TD_EV_TIMER, 499), 0);
    CHECK_EQ(td_event(&td, TD_EV_TIMER, 500), TD_ACT_KILL);
    CHECK(td.killed);
    CHECK_EQ(td.state, TD_REAPED);
    CHECK_EQ(td_event(&td, TD_EV_CGROUP_EMPTY, 600), TD_ACT_RMDIR | TD_ACT_DONE);
    CHECK(!td.gave_up);
}

static void td_cgroup_never_empty_gives_up(void)
{
    struct teardown td;
    td_init(&td, 1);
    td_start(&td, SIGTERM, 0, 1, 0); /* KILL_SENT */
    CHECK_EQ(td_event(&td, TD_EV_CHILDREN_GONE, 5), 0);
    CHECK_EQ(td.state, TD_REAPED);
    int64_t now = 5;
    unsigned act = 0;
    int kills = 0;
    for (int i = 0; i < 1000 && td.state != TD_DONE; i++) {
        now += td_timeout(&td, now);
        act = td_event(&td, TD_EV_TIMER, now);
        kills += (act & TD_ACT_KILL) != 0;
    }
    CHECK_EQ(td.state, TD_DONE);
    CHECK_EQ(act, TD_ACT_RMDIR | TD_ACT_DONE);
    CHECK(td.gave_up);
    CHECK(kills > 5);
    CHECK_EQ(now, 5 + TD_CGROUP_GIVEUP_MS);
}

static void td_cgroup_already_empty_at_start(void)
{
    struct teardown td;
    td_init(&td, 1);
    td_event(&td, TD_EV_CHILDREN_GONE, 0);
    td_event(&td, TD_EV_CGROUP_EMPTY, 0);
    CHECK_EQ(td_start(&td, SIGTERM, 500, 0, 0), TD_ACT_RMDIR | TD_ACT_DONE);
}

static void td_names(void)
{
    CHECK(strcmp(td_state_name(TD_KILL_SENT), "KILL_SENT") == 0);
    CHECK(strcmp(td_state_name(TD_DONE), "DONE") == 0);
}

/* ---- sd_notify: the NOTIFY field, the NOTIFY frame, environment, messages ---- */

static void add_notify(struct buf *b, uint64_t usec, const char *dir, size_t dir_len)
{
    uint8_t x[8 + 200];
    put_u64(x, usec);
    memcpy(x + 8, dir, dir_len);
    add_field(b, F_NOTIFY, x, (uint32_t)(8 + dir_len));
}

static void spawn_notify_field(void)
{
    struct buf b = minimal();
    struct spawn_spec s;
    CHECK_EQ(parse(&b, &s), 0);
    CHECK(s.notify_dir == NULL && s.watchdog_usec == 0 && s.watchdog_pid_env == NULL);
    spawn_spec_free(&s);

    b = minimal();
    add_notify(&b, 30000000, "/run/corral-notify", 18);
    CHECK_EQ(parse(&b, &s), 0);
    CHECK(s.notify_dir && strcmp(s.notify_dir, "/run/corral-notify") == 0);
    CHECK(s.watchdog_usec == 30000000);
    spawn_spec_free(&s);

    /* the longest directory, and no watchdog */
    char dir[NOTIFY_DIR_MAX + 2];
    memset(dir, 'd', sizeof dir);
    dir[0] = '/';
    b = minimal();
    add_notify(&b, 0, dir, NOTIFY_DIR_MAX);
    CHECK_EQ(parse(&b, &s), 0);
    CHECK(s.notify_dir && strlen(s.notify_dir) == NOTIFY_DIR_MAX && s.watchdog_usec == 0);
    spawn_spec_free(&s);
}

static void spawn_notify_bad(void)
{
    struct buf b = minimal();
    add_notify(&b, 1, "/", 0);
    CHECK_CONTAINS(parse_err(&b), "field NOTIFY (tag 27) at offset");
    CHECK_CONTAINS(err, "length 8, must be 9..85");
    char dir[NOTIFY_DIR_MAX + 2];
    memset(dir, 'd', sizeof dir);
    dir[0] = '/';
    b = minimal();
    add_notify(&b, 1, dir, NOTIFY_DIR_MAX + 1);
    CHECK_CONTAINS(parse_err(&b), "length 86, must be 9..85");
    b = minimal();
    add_notify(&b, 1, "run/x", 5);
    CHECK_CONTAINS(parse_err(&b), "the directory must be an absolute path");
    b = minimal();
    add_notify(&b, 1, "/run\0x", 7);
    b.b[b.n - 3] = 0;
    CHECK_CONTAINS(parse_err(&b), "the directory contains a NUL byte");
    b = minimal();
    add_notify(&b, 1, "/a", 2);
    add_notify(&b, 1, "/b", 2);
    CHECK_CONTAINS(parse_err(&b), "field NOTIFY (tag 27) given twice");
    /* a tag above the last one this helper knows (CGROUP_STATS, 28) is still refused */
    b = minimal();
    add_str(&b, F_MAX_TAG + 1, "x");
    char want[64];
    snprintf(want, sizeof want, "unknown SPAWN field tag %d", F_MAX_TAG + 1);
    CHECK_CONTAINS(parse_err(&b), want);
}

static void enc_notify_roundtrip(void)
{
    static uint8_t p[PROTO_HDR_LEN + NOTIFY_FRAME_MAX];
    const char *msg = "READY=1\nSTATUS=up";
    size_t n = enc_notify(p, 4242, (const uint8_t *)msg, strlen(msg));
    CHECK_EQ(n, PROTO_HDR_LEN + 4 + strlen(msg));
    struct frame f = decode(p, n);
    CHECK_EQ(f.type, T_NOTIFY);
    CHECK_EQ(get_u32(f.payload), 4242);
    CHECK(f.len == 4 + strlen(msg) && memcmp(f.payload + 4, msg, strlen(msg)) == 0);
    CHECK(strcmp(proto_type_name(T_NOTIFY), "NOTIFY") == 0);
    CHECK(strcmp(proto_tag_name(F_NOTIFY), "NOTIFY") == 0);
    /* the largest datagram fits, one byte more does not, an empty one is no frame */
    static uint8_t big[NOTIFY_MSG_MAX + 1];
    memset(big, 'x', sizeof big);
    n = enc_notify(p, 1, big, NOTIFY_MSG_MAX);
    decode(p, n);
    struct frame g;
    size_t used;
    enc_frame_hdr(p, T_NOTIFY, 4 + NOTIFY_MSG_MAX + 1);
    CHECK_EQ(proto_frame_next(DIR_FROM_HELPER, p, PROTO_HDR_LEN, &g, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "NOTIFY frame with payload length 4101: must be 5..4100");
    enc_frame_hdr(p, T_NOTIFY, 4);
    CHECK_EQ(proto_frame_next(DIR_FROM_HELPER, p, PROTO_HDR_LEN, &g, &used, err, sizeof err), FRAME_ERROR);
    /* the JVM never sends one */
    enc_frame_hdr(p, T_NOTIFY, 5);
    CHECK_EQ(proto_frame_next(DIR_TO_HELPER, p, PROTO_HDR_LEN, &g, &used, err, sizeof err), FRAME_ERROR);
    CHECK_CONTAINS(err, "unknown frame type 0x4d");
}

static void notify_environment(void)
{
    char *envp[] = {"PATH=/bin", "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=1", "LANG=C",
                    "WATCHDOG_PID=7", "NOTIFY_SOCKETX=kept? no: prefix", NULL};
    char *extra[] = {"NOTIFY_SOCKET=/run/corral-notify/1-00.sock", "WATCHDOG_USEC=30000000", NULL};
    char **e = notify_env(envp, extra);
    CHECK(e != NULL);
    CHECK(strcmp(e[0], "PATH=/bin") == 0);
    CHECK(strcmp(e[1], "LANG=C") == 0);
    CHECK(strcmp(e[2], "NOTIFY_SOCKETX=kept? no: prefix") == 0);
    CHECK(strcmp(e[3], "NOTIFY_SOCKET=/run/corral-notify/1-00.sock") == 0);
    CHECK(strcmp(e[4], "WATCHDOG_USEC=30000000") == 0);
    CHECK(e[5] == NULL);
    free(e);
    char *none[] = {NULL};
    e = notify_env(none, extra);
    CHECK(e && e[2] == NULL);
    free(e);
}

static void notify_messages(void)
{
    CHECK_EQ(notify_check_message((const uint8_t *)"READY=1", 7), NV_FORWARD);
    CHECK_EQ(notify_check_message((const uint8_t *)"", 0), NV_EMPTY);
    CHECK_EQ(notify_check_message((const uint8_t *)"READY=1\0STATUS=x", 17), NV_NUL);
    /* pid 0 and init are no program processes; the program and the helper (its parent) are */
    CHECK_EQ(notify_sender_ok(0, 100, 99, NULL), 0);
    CHECK_EQ(notify_sender_ok(1, 100, 99, NULL), 0);
    CHECK(notify_sender_ok(99, 100, 99, NULL));
    CHECK(notify_sender_ok(100, 100, 99, NULL));
    /* this process descends from its parent, not from a pid that is neither */
    CHECK(notify_sender_ok(getpid(), getppid(), 99999999, NULL));
    CHECK_EQ(notify_sender_ok(getppid(), getpid(), 99999999, NULL), 0);
    /* a sender that no longer exists cannot be checked */
    CHECK_EQ(notify_sender_ok(999999999, getpid(), 99999999, NULL), -1);
}

int main(void)
{
    RUN(frame_complete);
    RUN(frame_partial_every_prefix);
    RUN(frame_two_back_to_back);
    RUN(frame_bad_lengths);
    RUN(frame_fixed_sizes);
    RUN(frame_unknown_types);
    RUN(spawn_minimal_defaults);
    RUN(spawn_every_field);
    RUN(spawn_stdin_modes);
    RUN(spawn_repeats);
    RUN(spawn_missing_required);
    RUN(spawn_bad_lengths);
    RUN(spawn_bad_values);
    RUN(spawn_hardening_defaults);
    RUN(spawn_hardening_fields);
    RUN(spawn_hardening_bad);
    RUN(rlimit_names);
    RUN(spawn_unknown_tag);
    RUN(spawn_cgroup_stats);
    RUN(stats_entries);
    RUN(spawn_token_known_on_error);
    RUN(spawn_many_fields);
    RUN(enc_roundtrip);
    RUN(helper_loss_frames);
    RUN(enc_truncates_text);
    RUN(spawn_frame_roundtrip);
    RUN(token_hex);
    RUN(detach_parse_ok);
    RUN(detach_parse_refusals);
    RUN(detach_attach_framing);
    RUN(attach_check_every_prefix);
    RUN(secret_compare);
    RUN(enc_detached_attached);
    RUN(td_normal_exit_nothing_left);
    RUN(td_term_then_exit_in_grace);
    RUN(td_grace_expires_then_kill_until_reaped);
    RUN(td_grace_zero_and_sigkill);
    RUN(td_stop_during_grace);
    RUN(td_cgroup_normal);
    RUN(td_cgroup_empty_before_reaped);
    RUN(td_cgroup_only_strangers_left);
    RUN(td_cgroup_never_empty_gives_up);
    RUN(td_cgroup_already_empty_at_start);
    RUN(td_names);
    RUN(spawn_notify_field);
    RUN(spawn_notify_bad);
    RUN(enc_notify_roundtrip);
    RUN(notify_environment);
    RUN(notify_messages);
    return REPORT();
}
