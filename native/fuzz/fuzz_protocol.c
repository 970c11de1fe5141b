/* libFuzzer target: the frame parser over a stream of frames (both
 * directions), the SPAWN field parser on every SPAWN payload and on the raw
 * input, the DETACH parser on every DETACH payload, the attach-connection
 * check on every prefix of the input, and encode/parse round trips of
 * whatever text the input holds (MESSAGE, ATTACHED with the input as LABEL,
 * DETACH with the input as path, NOTIFY with the input as datagram),
 * HELPER_EXIT and STOPPING with values from the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static void check_spec(const struct spawn_spec *s)
{
    /* touch everything the helper would use */
    size_t n = strlen(s->path);
    for (size_t i = 0; i < s->argc; i++)
        n += strlen(s->argv[i]);
    for (size_t i = 0; i < s->envc; i++)
        n += strlen(s->envp[i]);
    for (size_t i = 0; i < s->ncgroup_remove; i++)
        n += strlen(s->cgroup_remove[i]);
    for (size_t i = 0; i < s->ngroups; i++)
        n += s->groups[i] & 1;
    if (s->cwd)
        n += strlen(s->cwd);
    if (s->cgroup)
        n += strlen(s->cgroup);
    if (s->stdin_path)
        n += strlen(s->stdin_path);
    if (s->argv[s->argc] || s->envp[s->envc] || s->cgroup_remove[s->ncgroup_remove] || !s->has_token)
        abort();
    /* hardening values are within the documented ranges */
    if ((s->has_nice && (s->nice < NICE_MIN || s->nice > NICE_MAX)) ||
        (s->has_oom_score_adj && (s->oom_score_adj < OOM_SCORE_ADJ_MIN || s->oom_score_adj > OOM_SCORE_ADJ_MAX)) ||
        (s->has_umask && s->umask > UMASK_MAX) || (s->rlimit_set >> PROTO_RLIMIT_COUNT))
        abort();
    /* NOTIFY: an absolute directory that leaves room for the socket name */
    if (s->notify_dir && (s->notify_dir[0] != '/' || strlen(s->notify_dir) > NOTIFY_DIR_MAX))
        abort();
    if (!s->notify_dir && s->watchdog_usec != 0)
        abort();
    for (int r = 0; r < PROTO_RLIMIT_COUNT; r++)
        if ((s->rlimit_set & (1u << r)) ? s->rlimit[r].soft > s->rlimit[r].hard
                                        : (s->rlimit[r].soft | s->rlimit[r].hard) != 0)
            abort();
    (void)n;
}

static void spawn(const uint8_t *p, size_t len)
{
    struct spawn_spec s;
    char err[256];
    if (spawn_parse(p, len, &s, err, sizeof err) == 0)
        check_spec(&s);
    else if (!memchr(err, 0, sizeof err) || err[0] == 0)
        abort(); /* every failure names its reason */
    spawn_spec_free(&s);
}

static void detach(const uint8_t *p, size_t len)
{
    struct detach_req d;
    char err[256];
    if (detach_parse(p, len, &d, err, sizeof err) == 0) {
        size_t n = strlen(d.path);
        if (d.lease_ms < 1 || d.lease_ms > LEASE_MAX_MS || d.path[0] != '/' || n != len - 20 ||
            n > PROTO_PATH_MAX)
            abort();
    } else if (!memchr(err, 0, sizeof err) || err[0] == 0) {
        abort();
    }
}

/* attach_check on every prefix: once it says -1 or 1 it keeps saying so. */
static void attach_prefixes(const uint8_t *data, size_t size)
{
    uint8_t secret[PROTO_SECRET_LEN];
    uint32_t window;
    int last = 0;
    for (size_t i = 0; i <= size && i <= ATTACH_FRAME_LEN + 2; i++) {
        int c = attach_check(data, i, secret, &window);
        if (last != 0 && c != last)
            abort();
        if (c == 1 && (i < ATTACH_FRAME_LEN || !secret_equal(secret, data + PROTO_HDR_LEN)))
            abort();
        last = c;
    }
}

static void frames(enum proto_dir dir, const uint8_t *data, size_t size)
{
    size_t off = 0;
    char err[256];
    while (off < size) {
        struct frame f;
        size_t used;
        int r = proto_frame_next(dir, data + off, size - off, &f, &used, err, sizeof err);
        if (r != FRAME_OK) {
            if (r == FRAME_NEED_MORE && (used <= size - off || used > PROTO_FRAME_MAX + 4))
                abort();
            break;
        }
        if (used < PROTO_HDR_LEN || used > size - off || f.len + PROTO_HDR_LEN != used)
            abort();
        if (dir == DIR_TO_HELPER && f.type == T_SPAWN)
            spawn(f.payload, f.len);
        if (dir == DIR_TO_HELPER && f.type == T_DETACH)
            detach(f.payload, f.len);
        off += used;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    frames(DIR_TO_HELPER, data, size);
    frames(DIR_FROM_HELPER, data, size);
    spawn(data, size);

    /* encoders: a message made of the input must parse back to itself */
    char text[300];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = 0;
    uint8_t buf[400];
    size_t len = enc_message(buf, sizeof buf, LVL_INFO, text);
    struct frame f;
    size_t used;
    char err[256];
    if (proto_frame_next(DIR_FROM_HELPER, buf, len, &f, &used, err, sizeof err) != FRAME_OK ||
        used != len || f.len != 1 + strlen(text) || memcmp(f.payload + 1, text, f.len - 1) != 0)
        abort();

    attach_prefixes(data, size);

    /* ATTACHED with the input as LABEL */
    size_t ln = size < 256 ? size : 256;
    uint8_t abuf[PROTO_HDR_LEN + ATTACHED_MIN_LEN + 256];
    len = enc_attached(abuf, 7, size & 1, EXIT_SIGNALED, (int32_t)size, size, ln, data, ln);
    if (proto_frame_next(DIR_FROM_HELPER, abuf, len, &f, &used, err, sizeof err) != FRAME_OK ||
        used != len || f.type != T_ATTACHED || f.len != ATTACHED_MIN_LEN + ln ||
        get_u64(f.payload + 10) != size || (ln && memcmp(f.payload + ATTACHED_MIN_LEN, data, ln) != 0))
        abort();

    /* DETACH with "/" + the input as path (raw bytes): parses back exactly
     * unless the input holds a NUL byte */
    char path[PROTO_PATH_MAX + 1];
    size_t pn = size < PROTO_PATH_MAX - 1 ? size : PROTO_PATH_MAX - 1;
    path[0] = '/';
    memcpy(path + 1, data, pn);
    path[pn + 1] = 0;
    static const uint8_t secret[PROTO_SECRET_LEN] = {1};
    uint8_t dbuf[PROTO_HDR_LEN + DETACH_MAX_LEN];
    enc_frame_hdr(dbuf, T_DETACH, (uint32_t)(4 + PROTO_SECRET_LEN + pn + 1));
    put_u32(dbuf + PROTO_HDR_LEN, 1000);
    memcpy(dbuf + PROTO_HDR_LEN + 4, secret, PROTO_SECRET_LEN);
    memcpy(dbuf + PROTO_HDR_LEN + 4 + PROTO_SECRET_LEN, path, pn + 1);
    len = PROTO_HDR_LEN + 4 + PROTO_SECRET_LEN + pn + 1;
    if (proto_frame_next(DIR_TO_HELPER, dbuf, len, &f, &used, err, sizeof err) != FRAME_OK || used != len)
        abort();
    struct detach_req d;
    int has_nul = memchr(data, 0, pn) != NULL;
    int ok = detach_parse(f.payload, f.len, &d, err, sizeof err) == 0;
    if (ok == has_nul || (ok && memcmp(d.path, path, pn + 2) != 0))
        abort();

    /* NOTIFY with the input as datagram (1..4096 bytes): parses back exactly */
    if (size >= 1) {
        static uint8_t nbuf[PROTO_HDR_LEN + NOTIFY_FRAME_MAX];
        size_t mn = size < NOTIFY_MSG_MAX ? size : NOTIFY_MSG_MAX;
        len = enc_notify(nbuf, (uint32_t)size, data, mn);
        if (proto_frame_next(DIR_FROM_HELPER, nbuf, len, &f, &used, err, sizeof err) != FRAME_OK ||
            used != len || f.type != T_NOTIFY || f.len != 4 + mn || get_u32(f.payload) != (uint32_t)size ||
            memcmp(f.payload + 4, data, mn) != 0)
            abort();
    }

    /* HELPER_EXIT and STOPPING with values taken from the input parse back */
    uint8_t tok[PROTO_TOKEN_LEN] = {0};
    memcpy(tok, data, size < PROTO_TOKEN_LEN ? size : PROTO_TOKEN_LEN);
    uint32_t v = size >= 4 ? get_u32(data) : (uint32_t)size;
    uint8_t hbuf[PROTO_HDR_LEN + HELPER_EXIT_LEN];
    len = enc_helper_exit(hbuf, tok, v, (int)(v & 1), (int32_t)v);
    if (proto_frame_next(DIR_FROM_HELPER, hbuf, len, &f, &used, err, sizeof err) != FRAME_OK ||
        used != len || f.type != T_HELPER_EXIT || memcmp(f.payload, tok, PROTO_TOKEN_LEN) != 0 ||
        get_u32(f.payload + 16) != v || f.payload[20] != (v & 1) || get_u32(f.payload + 21) != v)
        abort();
    len = enc_stopping(hbuf, v, ~v);
    if (proto_frame_next(DIR_FROM_HELPER, hbuf, len, &f, &used, err, sizeof err) != FRAME_OK ||
        used != len || f.type != T_STOPPING || get_u32(f.payload) != v || get_u32(f.payload + 4) != ~v)
        abort();
    return 0;
}
