/* Framing, SPAWN field parser and encoders.  No system calls here. */
#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *proto_type_name(uint8_t type)
{
    switch (type) {
    case T_SPAWN: return "SPAWN";
    case T_CREDIT: return "CREDIT";
    case T_STDIN: return "STDIN";
    case T_STDIN_EOF: return "STDIN_EOF";
    case T_SIGNAL: return "SIGNAL";
    case T_STOP: return "STOP";
    case T_DETACH: return "DETACH";
    case T_ATTACH: return "ATTACH";
    case T_KILL_HELPER: return "KILL_HELPER";
    case T_HELLO: return "HELLO";
    case T_SPAWNED: return "SPAWNED";
    case T_SPAWN_FAILED: return "SPAWN_FAILED";
    case T_DATA: return "DATA";
    case T_EOF: return "EOF";
    case T_EXIT: return "EXIT";
    case T_MESSAGE: return "MESSAGE";
    case T_STDIN_ACK: return "STDIN_ACK";
    case T_DETACHED: return "DETACHED";
    case T_ATTACHED: return "ATTACHED";
    case T_HELPER_EXIT: return "HELPER_EXIT";
    case T_STOPPING: return "STOPPING";
    case T_STATS: return "STATS";
    case T_NOTIFY: return "NOTIFY";
    default: return NULL;
    }
}

static const char *const tag_names[F_MAX_TAG + 1] = {
    [F_TOKEN] = "TOKEN",
    [F_PATH] = "PATH",
    [F_ARG] = "ARG",
    [F_ENV] = "ENV",
    [F_CWD] = "CWD",
    [F_STDIN] = "STDIN",
    [F_UID] = "UID",
    [F_GID] = "GID",
    [F_GROUPS] = "GROUPS",
    [F_CGROUP] = "CGROUP",
    [F_CGROUP_REMOVE] = "CGROUP_REMOVE",
    [F_KILL_SIGNAL] = "KILL_SIGNAL",
    [F_GRACE_MS] = "GRACE_MS",
    [F_WINDOW] = "WINDOW",
    [F_STDERR_MODE] = "STDERR_MODE",
    [F_STDOUT_MODE] = "STDOUT_MODE",
    [F_LABEL] = "LABEL",
    [F_FLAGS] = "FLAGS",
    [F_NO_NEW_PRIVS] = "NO_NEW_PRIVS",
    [F_CAPS] = "CAPS",
    [F_RLIMIT] = "RLIMIT",
    [F_NICE] = "NICE",
    [F_OOM_SCORE_ADJ] = "OOM_SCORE_ADJ",
    [F_UMASK] = "UMASK",
    [F_CGROUP_STATS] = "CGROUP_STATS",
    [F_NOTIFY] = "NOTIFY",
};

static const char *const rlimit_names[PROTO_RLIMIT_COUNT] = {
    "cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile",
    "memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime",
};

const char *proto_rlimit_name(unsigned resource)
{
    return resource < PROTO_RLIMIT_COUNT ? rlimit_names[resource] : NULL;
}

const char *proto_tag_name(unsigned tag)
{
    return tag <= F_MAX_TAG ? tag_names[tag] : NULL;
}

/* Payload size rule per type: min..max bytes (exact when equal). */
struct size_rule {
    uint8_t known;
    uint32_t min, max;
};

#define ANY 0xffffffffu
#define EXACT(n) (struct size_rule){1, (n), (n)}
#define RANGE(a, b) (struct size_rule){1, (a), (b)}

static struct size_rule rule_for(enum proto_dir dir, uint8_t type)
{
    struct size_rule r = {0, 0, 0};
    if (dir == DIR_TO_HELPER) {
        switch (type) {
        case T_SPAWN: r = RANGE(0, ANY); break;
        case T_CREDIT: r = EXACT(5); break;
        case T_STDIN: r = RANGE(0, PROTO_DATA_MAX); break;
        case T_STDIN_EOF: r = EXACT(0); break;
        case T_SIGNAL: r = EXACT(5); break;
        case T_STOP: r = EXACT(8); break;
        case T_DETACH: r = RANGE(DETACH_MIN_LEN, DETACH_MAX_LEN); break;
        case T_ATTACH: r = EXACT(ATTACH_LEN); break;
        case T_KILL_HELPER: r = EXACT(KILL_HELPER_LEN); break;
        }
    } else {
        switch (type) {
        case T_HELLO: r = EXACT(2 + 1 + 4 + PROTO_TOKEN_LEN); break;
        case T_SPAWNED: r = EXACT(4); break;
        case T_SPAWN_FAILED: r = RANGE(5, ANY); break;
        case T_DATA: r = RANGE(2, PROTO_DATA_MAX + 1); break;
        case T_EOF: r = EXACT(1); break;
        case T_EXIT: r = EXACT(6); break;
        case T_MESSAGE: r = RANGE(1, ANY); break;
        case T_STDIN_ACK: r = EXACT(4); break;
        case T_DETACHED: r = EXACT(DETACHED_LEN); break;
        case T_ATTACHED: r = RANGE(ATTACHED_MIN_LEN, ANY); break;
        case T_HELPER_EXIT: r = EXACT(HELPER_EXIT_LEN); break;
        case T_STOPPING: r = EXACT(STOPPING_LEN); break;
        case T_STATS: r = RANGE(0, STATS_MAX); break;
        case T_NOTIFY: r = RANGE(NOTIFY_FRAME_MIN, NOTIFY_FRAME_MAX); break;
        }
    }
    return r;
}

int proto_frame_next(enum proto_dir dir, const uint8_t *buf, size_t avail,
                     struct frame *f, size_t *used, char *err, size_t errlen)
{
    if (avail >= 4) {
        uint32_t len = get_u32(buf);
        if (len < 1 || len > PROTO_FRAME_MAX) {
            snprintf(err, errlen, "bad frame length %lu: must be 1..%u", (unsigned long)len, PROTO_FRAME_MAX);
            return FRAME_ERROR;
        }
    }
    if (avail < PROTO_HDR_LEN) {
        *used = PROTO_HDR_LEN;
        return FRAME_NEED_MORE;
    }
    uint32_t len = get_u32(buf);
    uint8_t type = buf[4];
    struct size_rule r = rule_for(dir, type);
    if (!r.known) {
        snprintf(err, errlen, "unknown frame type 0x%02x (length %lu)", type, (unsigned long)len);
        return FRAME_ERROR;
    }
    uint32_t plen = len - 1;
    if (plen < r.min || plen > r.max) {
        if (type == T_DATA || type == T_STDIN) {
            if (plen > r.max)
                snprintf(err, errlen, "%s frame with payload length %lu: at most %u bytes of data",
                         proto_type_name(type), (unsigned long)plen, PROTO_DATA_MAX);
            else
                snprintf(err, errlen, "%s frame with payload length %lu: must be at least %lu",
                         proto_type_name(type), (unsigned long)plen, (unsigned long)r.min);
        } else if (r.min == r.max) {
            snprintf(err, errlen, "%s frame with payload length %lu: must be %lu",
                     proto_type_name(type), (unsigned long)plen, (unsigned long)r.min);
        } else if (r.max == ANY) {
            snprintf(err, errlen, "%s frame with payload length %lu: must be at least %lu",
                     proto_type_name(type), (unsigned long)plen, (unsigned long)r.min);
        } else {
            snprintf(err, errlen, "%s frame with payload length %lu: must be %lu..%lu",
                     proto_type_name(type), (unsigned long)plen, (unsigned long)r.min,
                     (unsigned long)r.max);
        }
        return FRAME_ERROR;
    }
    size_t total = (size_t)len + 4;
    if (avail < total) {
        *used = total;
        return FRAME_NEED_MORE;
    }
    f->type = type;
    f->len = plen;
    f->payload = buf + PROTO_HDR_LEN;
    *used = total;
    return FRAME_OK;
}

/* ---- SPAWN ---- */

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static int has_nul(const uint8_t *p, uint32_t n)
{
    return memchr(p, 0, n) != NULL;
}

/* Checks one field's value; returns 0 or -1 with err. */
static int check_field(unsigned tag, const uint8_t *v, uint32_t n, size_t off,
                       char *err, size_t errlen)
{
    const char *name = tag_names[tag];
    switch (tag) {
    case F_TOKEN:
        if (n != PROTO_TOKEN_LEN)
            return ERR("field TOKEN (tag 1) at offset %zu: length %lu, must be 16", off, (unsigned long)n);
        return 0;
    case F_PATH:
        if (n == 0 || v[0] != '/')
            return ERR("field PATH (tag 2) at offset %zu: must be an absolute path", off);
        break;
    case F_ENV:
        if (n == 0 || v[0] == '=' || !memchr(v, '=', n))
            return ERR("field ENV (tag 4) at offset %zu: must be NAME=value", off);
        break;
    case F_CWD:
    case F_CGROUP:
    case F_CGROUP_REMOVE:
    case F_CGROUP_STATS:
        if (n == 0)
            return ERR("field %s (tag %u) at offset %zu: must not be empty", name, tag, off);
        break;
    case F_STDIN:
        if (n < 1 || v[0] > STDIN_FILE)
            return ERR("field STDIN (tag 6) at offset %zu: mode must be 0 (null), 1 (pipe) or 2 (file)", off);
        if (v[0] != STDIN_FILE && n != 1)
            return ERR("field STDIN (tag 6) at offset %zu: mode %u takes no path (length %lu, must be 1)",
                       off, v[0], (unsigned long)n);
        if (v[0] == STDIN_FILE && n < 2)
            return ERR("field STDIN (tag 6) at offset %zu: mode 2 (file) needs a path", off);
        if (has_nul(v + 1, n - 1))
            return ERR("field STDIN (tag 6) at offset %zu: path contains a NUL byte", off);
        return 0;
    case F_UID:
    case F_GID:
    case F_GRACE_MS:
    case F_WINDOW:
    case F_FLAGS:
    case F_KILL_SIGNAL:
        if (n != 4)
            return ERR("field %s (tag %u) at offset %zu: length %lu, must be 4", name, tag, off, (unsigned long)n);
        if (tag == F_KILL_SIGNAL && (get_u32(v) < 1 || get_u32(v) > 64))
            return ERR("field KILL_SIGNAL (tag 12) at offset %zu: signal %lu is not 1..64", off,
                       (unsigned long)get_u32(v));
        if (tag == F_FLAGS && (get_u32(v) & ~SPAWN_FLAGS_KNOWN))
            return ERR("field FLAGS (tag 18) at offset %zu: unknown bits 0x%lx", off,
                       (unsigned long)(get_u32(v) & ~SPAWN_FLAGS_KNOWN));
        return 0;
    case F_GROUPS:
        if (n % 4 != 0)
            return ERR("field GROUPS (tag 9) at offset %zu: length %lu is not a multiple of 4", off, (unsigned long)n);
        if (n / 4 > 65536)
            return ERR("field GROUPS (tag 9) at offset %zu: %lu groups, at most 65536", off, (unsigned long)n / 4);
        return 0;
    case F_STDERR_MODE:
    case F_STDOUT_MODE:
        if (n != 1)
            return ERR("field %s (tag %u) at offset %zu: length %lu, must be 1", name, tag, off, (unsigned long)n);
        if (v[0] > OUT_NULL || (tag == F_STDOUT_MODE && v[0] == OUT_MERGE))
            return ERR("field %s (tag %u) at offset %zu: unknown mode %u", name, tag, off, v[0]);
        return 0;
    case F_LABEL:
        return 0;
    case F_NO_NEW_PRIVS:
        if (n != 0)
            return ERR("field NO_NEW_PRIVS (tag 19) at offset %zu: length %lu, must be 0", off, (unsigned long)n);
        return 0;
    case F_CAPS:
        if (n != 8)
            return ERR("field CAPS (tag 20) at offset %zu: length %lu, must be 8", off, (unsigned long)n);
        return 0;
    case F_RLIMIT:
        if (n != RLIMIT_FIELD_LEN)
            return ERR("field RLIMIT (tag 21) at offset %zu: length %lu, must be 17", off, (unsigned long)n);
        if (v[0] >= PROTO_RLIMIT_COUNT)
            return ERR("field RLIMIT (tag 21) at offset %zu: unknown resource %u (0..15)", off, v[0]);
        if (get_u64(v + 1) > get_u64(v + 9))
            return ERR("field RLIMIT (tag 21) at offset %zu: rlimit.%s soft %llu is above hard %llu", off,
                       rlimit_names[v[0]], (unsigned long long)get_u64(v + 1),
                       (unsigned long long)get_u64(v + 9));
        return 0;
    case F_NICE:
    case F_OOM_SCORE_ADJ:
    case F_UMASK: {
        if (n != 4)
            return ERR("field %s (tag %u) at offset %zu: length %lu, must be 4", name, tag, off, (unsigned long)n);
        int32_t x = (int32_t)get_u32(v);
        if (tag == F_NICE && (x < NICE_MIN || x > NICE_MAX))
            return ERR("field NICE (tag 22) at offset %zu: nice %ld is not -20..19", off, (long)x);
        if (tag == F_OOM_SCORE_ADJ && (x < OOM_SCORE_ADJ_MIN || x > OOM_SCORE_ADJ_MAX))
            return ERR("field OOM_SCORE_ADJ (tag 23) at offset %zu: %ld is not -1000..1000", off, (long)x);
        if (tag == F_UMASK && get_u32(v) > UMASK_MAX)
            return ERR("field UMASK (tag 24) at offset %zu: 0%lo is not 0..0777", off, (unsigned long)get_u32(v));
        return 0;
    }
    case F_NOTIFY:
        if (n < NOTIFY_FIELD_MIN || n > NOTIFY_FIELD_MAX)
            return ERR("field NOTIFY (tag 27) at offset %zu: length %lu, must be %u..%u (u64 watchdog_usec and a"
                       " directory of 1..%u bytes)", off, (unsigned long)n, NOTIFY_FIELD_MIN, NOTIFY_FIELD_MAX,
                       NOTIFY_DIR_MAX);
        if (v[8] != '/')
            return ERR("field NOTIFY (tag 27) at offset %zu: the directory must be an absolute path", off);
        if (has_nul(v + 8, n - 8))
            return ERR("field NOTIFY (tag 27) at offset %zu: the directory contains a NUL byte", off);
        return 0;
    }
    if (has_nul(v, n))
        return ERR("field %s (tag %u) at offset %zu: contains a NUL byte", name, tag, off);
    return 0;
}

static int repeatable(unsigned tag)
{
    return tag == F_ARG || tag == F_ENV || tag == F_CGROUP_REMOVE || tag == F_RLIMIT;
}

void spawn_spec_free(struct spawn_spec *s)
{
    free(s->mem_);
    memset(s, 0, sizeof *s);
}

/* Copies n bytes as a NUL-terminated string into the arena. */
static char *arena_str(char **arena, const uint8_t *v, uint32_t n)
{
    char *s = *arena;
    memcpy(s, v, n);
    s[n] = 0;
    *arena += n + 1;
    return s;
}

int spawn_parse(const uint8_t *p, size_t len, struct spawn_spec *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->kill_signal = SPAWN_DEFAULT_SIGNAL;
    s->grace_ms = SPAWN_DEFAULT_GRACE_MS;
    s->window = SPAWN_DEFAULT_WINDOW;

    /* Pass 1: validate, count, size the arena. */
    unsigned seen[F_MAX_TAG + 1] = {0};
    size_t strbytes = 0, ngroups = 0;
    uint32_t rlimits = 0;
    size_t off = 0;
    while (off < len) {
        if (len - off < 6)
            return ERR("truncated field header at offset %zu (%zu bytes left, a header is 6)", off, len - off);
        unsigned tag = get_u16(p + off);
        uint32_t n = get_u32(p + off + 2);
        const uint8_t *v = p + off + 6;
        if (tag == 0 || tag > F_MAX_TAG || !tag_names[tag])
            return ERR("unknown SPAWN field tag %u at offset %zu", tag, off);
        if (n > len - off - 6)
            return ERR("field %s (tag %u) at offset %zu: length %lu exceeds the %zu bytes left",
                       tag_names[tag], tag, off, (unsigned long)n, len - off - 6);
        if (seen[tag] && !repeatable(tag))
            return ERR("field %s (tag %u) given twice (again at offset %zu)", tag_names[tag], tag, off);
        if (check_field(tag, v, n, off, err, errlen) < 0)
            return -1;
        if (tag == F_RLIMIT) { /* repeatable, but once per resource */
            if (rlimits & (1u << v[0]))
                return ERR("field RLIMIT (tag 21) at offset %zu: rlimit.%s (resource %u) given twice", off,
                           rlimit_names[v[0]], v[0]);
            rlimits |= 1u << v[0];
        }
        seen[tag]++;
        if (tag == F_TOKEN) {
            s->has_token = 1;
            memcpy(s->token, v, PROTO_TOKEN_LEN);
        } else if (tag == F_GROUPS) {
            ngroups = n / 4;
        } else {
            strbytes += (size_t)n + 1; /* generous: fixed-size fields too */
        }
        off += 6 + (size_t)n;
    }
    if (!seen[F_TOKEN])
        return ERR("missing required field TOKEN (tag 1)");
    if (!seen[F_PATH])
        return ERR("missing required field PATH (tag 2)");
    if (!seen[F_ARG])
        return ERR("missing required field ARG (tag 3): at least argv[0]");

    size_t nptr = seen[F_ARG] + 1 + seen[F_ENV] + 1 + seen[F_CGROUP_REMOVE] + 1;
    size_t memsize = nptr * sizeof(char *) + ngroups * sizeof(uint32_t) + strbytes;
    char *mem = malloc(memsize ? memsize : 1);
    if (!mem)
        return ERR("out of memory parsing SPAWN (%zu bytes)", memsize);
    s->mem_ = mem;
    s->argv = (char **)(void *)mem;
    s->envp = s->argv + seen[F_ARG] + 1;
    s->cgroup_remove = s->envp + seen[F_ENV] + 1;
    s->groups = (uint32_t *)(void *)(s->cgroup_remove + seen[F_CGROUP_REMOVE] + 1);
    char *arena = (char *)(s->groups + ngroups);

    /* Pass 2: fill. */
    for (off = 0; off < len;) {
        unsigned tag = get_u16(p + off);
        uint32_t n = get_u32(p + off + 2);
        const uint8_t *v = p + off + 6;
        off += 6 + (size_t)n;
        switch (tag) {
        case F_PATH: s->path = arena_str(&arena, v, n); break;
        case F_ARG: s->argv[s->argc++] = arena_str(&arena, v, n); break;
        case F_ENV: s->envp[s->envc++] = arena_str(&arena, v, n); break;
        case F_CWD: s->cwd = arena_str(&arena, v, n); break;
        case F_STDIN:
            s->stdin_mode = v[0];
            if (v[0] == STDIN_FILE)
                s->stdin_path = arena_str(&arena, v + 1, n - 1);
            break;
        case F_UID: s->has_uid = 1; s->uid = get_u32(v); break;
        case F_GID: s->has_gid = 1; s->gid = get_u32(v); break;
        case F_GROUPS:
            s->has_groups = 1;
            s->ngroups = n / 4;
            for (size_t i = 0; i < s->ngroups; i++)
                s->groups[i] = get_u32(v + 4 * i);
            break;
        case F_CGROUP: s->cgroup = arena_str(&arena, v, n); break;
        case F_CGROUP_REMOVE: s->cgroup_remove[s->ncgroup_remove++] = arena_str(&arena, v, n); break;
        case F_CGROUP_STATS: s->cgroup_stats = arena_str(&arena, v, n); break;
        case F_KILL_SIGNAL: s->kill_signal = get_u32(v); break;
        case F_GRACE_MS: s->grace_ms = get_u32(v); break;
        case F_WINDOW: s->window = get_u32(v); break;
        case F_STDERR_MODE: s->stderr_mode = v[0]; break;
        case F_STDOUT_MODE: s->stdout_mode = v[0]; break;
        case F_LABEL: /* copied: kept for ATTACHED long after the input is gone */
            s->label = (const uint8_t *)arena_str(&arena, v, n);
            s->label_len = n;
            break;
        case F_FLAGS: s->flags = get_u32(v); break;
        case F_NO_NEW_PRIVS: s->no_new_privs = 1; break;
        case F_CAPS: s->has_caps = 1; s->caps = get_u64(v); break;
        case F_RLIMIT:
            s->rlimit_set |= 1u << v[0];
            s->rlimit[v[0]].soft = get_u64(v + 1);
            s->rlimit[v[0]].hard = get_u64(v + 9);
            break;
        case F_NICE: s->has_nice = 1; s->nice = (int32_t)get_u32(v); break;
        case F_OOM_SCORE_ADJ: s->has_oom_score_adj = 1; s->oom_score_adj = (int32_t)get_u32(v); break;
        case F_UMASK: s->has_umask = 1; s->umask = get_u32(v); break;
        case F_NOTIFY:
            s->watchdog_usec = get_u64(v);
            s->notify_dir = arena_str(&arena, v + 8, n - 8);
            break;
        default: /* TOKEN: done in pass 1 */
            break;
        }
    }
    s->argv[s->argc] = NULL;
    s->envp[s->envc] = NULL;
    s->cgroup_remove[s->ncgroup_remove] = NULL;
    if (s->label && s->label_len == 0)
        s->label = NULL;
    return 0;
}

/* ---- encoders ---- */

size_t enc_frame_hdr(uint8_t *buf, uint8_t type, uint32_t payload_len)
{
    put_u32(buf, payload_len + 1);
    buf[4] = type;
    return PROTO_HDR_LEN;
}

size_t enc_field(uint8_t *buf, uint16_t tag, const void *val, uint32_t len)
{
    put_u16(buf, tag);
    put_u32(buf + 2, len);
    if (len)
        memcpy(buf + 6, val, len);
    return 6 + (size_t)len;
}

size_t enc_hello(uint8_t *buf, int role, uint32_t pid, const uint8_t token[PROTO_TOKEN_LEN])
{
    uint8_t *p = buf + enc_frame_hdr(buf, T_HELLO, 2 + 1 + 4 + PROTO_TOKEN_LEN);
    put_u16(p, PROTO_VERSION);
    p[2] = (uint8_t)role;
    put_u32(p + 3, pid);
    memcpy(p + 7, token, PROTO_TOKEN_LEN);
    return PROTO_HDR_LEN + 7 + PROTO_TOKEN_LEN;
}

size_t enc_spawned(uint8_t *buf, uint32_t pid)
{
    enc_frame_hdr(buf, T_SPAWNED, 4);
    put_u32(buf + PROTO_HDR_LEN, pid);
    return PROTO_HDR_LEN + 4;
}

static size_t text_fit(const char *text, size_t room)
{
    size_t n = strlen(text);
    return n < room ? n : room;
}

size_t enc_spawn_failed(uint8_t *buf, size_t cap, uint32_t err, int stage,
                        const uint8_t *token, const char *text)
{
    size_t fixed = PROTO_HDR_LEN + 5 + (token ? PROTO_TOKEN_LEN : 0);
    size_t n = text_fit(text, cap > fixed ? cap - fixed : 0);
    enc_frame_hdr(buf, T_SPAWN_FAILED, (uint32_t)(fixed - PROTO_HDR_LEN + n));
    uint8_t *p = buf + PROTO_HDR_LEN;
    put_u32(p, err);
    p[4] = (uint8_t)stage;
    p += 5;
    if (token) {
        memcpy(p, token, PROTO_TOKEN_LEN);
        p += PROTO_TOKEN_LEN;
    }
    memcpy(p, text, n);
    return fixed + n;
}

size_t enc_data_hdr(uint8_t *buf, int stream, uint32_t n)
{
    enc_frame_hdr(buf, T_DATA, n + 1);
    buf[5] = (uint8_t)stream;
    return PROTO_DATA_HDR_LEN;
}

size_t enc_eof(uint8_t *buf, int stream)
{
    enc_frame_hdr(buf, T_EOF, 1);
    buf[5] = (uint8_t)stream;
    return 6;
}

size_t enc_exit(uint8_t *buf, int kind, int32_t value, int flags)
{
    enc_frame_hdr(buf, T_EXIT, 6);
    buf[5] = (uint8_t)kind;
    put_u32(buf + 6, (uint32_t)value);
    buf[10] = (uint8_t)flags;
    return 11;
}

size_t enc_message(uint8_t *buf, size_t cap, int level, const char *text)
{
    size_t n = text_fit(text, cap > 6 ? cap - 6 : 0);
    enc_frame_hdr(buf, T_MESSAGE, (uint32_t)(1 + n));
    buf[5] = (uint8_t)level;
    memcpy(buf + 6, text, n);
    return 6 + n;
}

size_t enc_stdin_ack(uint8_t *buf, uint32_t n)
{
    enc_frame_hdr(buf, T_STDIN_ACK, 4);
    put_u32(buf + PROTO_HDR_LEN, n);
    return PROTO_HDR_LEN + 4;
}

int stats_put(uint8_t *buf, size_t cap, size_t *len, const char *name, const uint8_t *value, size_t n)
{
    size_t nl = strnlen(name, STATS_NAME_MAX + 1);
    if (nl == 0 || nl > STATS_NAME_MAX || memchr(name, '/', nl))
        return -1;
    if (n > STATS_VALUE_MAX)
        n = STATS_VALUE_MAX;
    size_t need = 2 + nl + 4 + n;
    if (*len > cap || need > cap - *len)
        return -1;
    uint8_t *p = buf + *len;
    put_u16(p, (uint16_t)nl);
    memcpy(p + 2, name, nl);
    put_u32(p + 2 + nl, (uint32_t)n);
    if (n > 0)
        memcpy(p + 6 + nl, value, n);
    *len += need;
    return 0;
}

size_t enc_notify(uint8_t *buf, uint32_t pid, const uint8_t *msg, size_t len)
{
    enc_frame_hdr(buf, T_NOTIFY, (uint32_t)(4 + len));
    put_u32(buf + PROTO_HDR_LEN, pid);
    if (len)
        memcpy(buf + PROTO_HDR_LEN + 4, msg, len);
    return PROTO_HDR_LEN + 4 + len;
}

/* ---- DETACH / ATTACH ---- */

int detach_parse(const uint8_t *p, size_t len, struct detach_req *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    if (len < DETACH_MIN_LEN || len > DETACH_MAX_LEN)
        return ERR("DETACH payload of %zu bytes: must be %u..%u", len, DETACH_MIN_LEN, DETACH_MAX_LEN);
    d->lease_ms = get_u32(p);
    if (d->lease_ms < 1 || d->lease_ms > LEASE_MAX_MS)
        return ERR("lease %lu ms: must be 1..%u", (unsigned long)d->lease_ms, LEASE_MAX_MS);
    memcpy(d->secret, p + 4, PROTO_SECRET_LEN);
    uint8_t any = 0;
    for (int i = 0; i < PROTO_SECRET_LEN; i++)
        any |= d->secret[i];
    if (!any)
        return ERR("secret is all zero bytes");
    const uint8_t *path = p + 4 + PROTO_SECRET_LEN;
    size_t n = len - 4 - PROTO_SECRET_LEN;
    if (path[0] != '/')
        return ERR("socket path must be absolute");
    if (has_nul(path, (uint32_t)n))
        return ERR("socket path contains a NUL byte");
    memcpy(d->path, path, n);
    d->path[n] = 0;
    return 0;
}

int attach_check(const uint8_t *buf, size_t got, uint8_t secret[PROTO_SECRET_LEN], uint32_t *window)
{
    if (got >= 4 && get_u32(buf) != 1 + ATTACH_LEN)
        return -1;
    if (got >= 5 && buf[4] != T_ATTACH)
        return -1;
    if (got < ATTACH_FRAME_LEN)
        return 0;
    memcpy(secret, buf + PROTO_HDR_LEN, PROTO_SECRET_LEN);
    *window = get_u32(buf + PROTO_HDR_LEN + PROTO_SECRET_LEN);
    return 1;
}

int secret_equal(const uint8_t *a, const uint8_t *b)
{
    uint8_t diff = 0;
    for (int i = 0; i < PROTO_SECRET_LEN; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    return diff == 0;
}

size_t enc_detached(uint8_t *buf, uint64_t stdout_bytes, uint64_t stderr_bytes)
{
    enc_frame_hdr(buf, T_DETACHED, DETACHED_LEN);
    put_u64(buf + PROTO_HDR_LEN, stdout_bytes);
    put_u64(buf + PROTO_HDR_LEN + 8, stderr_bytes);
    return PROTO_HDR_LEN + DETACHED_LEN;
}

size_t enc_attached(uint8_t *buf, uint32_t pid, int exited, int kind, int32_t value,
                    uint64_t stdout_bytes, uint64_t stderr_bytes, const uint8_t *label, size_t label_len)
{
    enc_frame_hdr(buf, T_ATTACHED, (uint32_t)(ATTACHED_MIN_LEN + label_len));
    uint8_t *p = buf + PROTO_HDR_LEN;
    put_u32(p, pid);
    p[4] = exited ? 1 : 0;
    p[5] = exited ? (uint8_t)kind : 0;
    put_u32(p + 6, exited ? (uint32_t)value : 0);
    put_u64(p + 10, stdout_bytes);
    put_u64(p + 18, stderr_bytes);
    if (label_len)
        memcpy(p + ATTACHED_MIN_LEN, label, label_len);
    return PROTO_HDR_LEN + ATTACHED_MIN_LEN + label_len;
}

size_t enc_detach(uint8_t *buf, uint32_t lease_ms, const uint8_t secret[PROTO_SECRET_LEN], const char *path)
{
    size_t n = strlen(path);
    if (n > PROTO_PATH_MAX)
        n = PROTO_PATH_MAX;
    enc_frame_hdr(buf, T_DETACH, (uint32_t)(4 + PROTO_SECRET_LEN + n));
    put_u32(buf + PROTO_HDR_LEN, lease_ms);
    memcpy(buf + PROTO_HDR_LEN + 4, secret, PROTO_SECRET_LEN);
    memcpy(buf + PROTO_HDR_LEN + 4 + PROTO_SECRET_LEN, path, n);
    return PROTO_HDR_LEN + 4 + PROTO_SECRET_LEN + n;
}

size_t enc_attach(uint8_t *buf, const uint8_t secret[PROTO_SECRET_LEN], uint32_t window)
{
    enc_frame_hdr(buf, T_ATTACH, ATTACH_LEN);
    memcpy(buf + PROTO_HDR_LEN, secret, PROTO_SECRET_LEN);
    put_u32(buf + PROTO_HDR_LEN + PROTO_SECRET_LEN, window);
    return ATTACH_FRAME_LEN;
}

size_t enc_helper_exit(uint8_t *buf, const uint8_t token[PROTO_TOKEN_LEN], uint32_t pid, int kind, int32_t value)
{
    enc_frame_hdr(buf, T_HELPER_EXIT, HELPER_EXIT_LEN);
    uint8_t *p = buf + PROTO_HDR_LEN;
    memcpy(p, token, PROTO_TOKEN_LEN);
    put_u32(p + PROTO_TOKEN_LEN, pid);
    p[PROTO_TOKEN_LEN + 4] = (uint8_t)kind;
    put_u32(p + PROTO_TOKEN_LEN + 5, (uint32_t)value);
    return PROTO_HDR_LEN + HELPER_EXIT_LEN;
}

size_t enc_stopping(uint8_t *buf, uint32_t signo, uint32_t grace_ms)
{
    enc_frame_hdr(buf, T_STOPPING, STOPPING_LEN);
    put_u32(buf + PROTO_HDR_LEN, signo);
    put_u32(buf + PROTO_HDR_LEN + 4, grace_ms);
    return PROTO_HDR_LEN + STOPPING_LEN;
}

size_t enc_kill_helper(uint8_t *buf, const uint8_t token[PROTO_TOKEN_LEN])
{
    enc_frame_hdr(buf, T_KILL_HELPER, KILL_HELPER_LEN);
    memcpy(buf + PROTO_HDR_LEN, token, PROTO_TOKEN_LEN);
    return PROTO_HDR_LEN + KILL_HELPER_LEN;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int token_from_hex(const char *hex, uint8_t token[PROTO_TOKEN_LEN])
{
    if (strlen(hex) != 2 * PROTO_TOKEN_LEN)
        return -1;
    for (int i = 0; i < PROTO_TOKEN_LEN; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        token[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
