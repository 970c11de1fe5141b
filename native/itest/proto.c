#include "proto.h"

#include <stdlib.h>
#include <string.h>

void buf_add(buf_t *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p)
            abort();
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

void buf_u8(buf_t *b, uint8_t v) { buf_add(b, &v, 1); }

void buf_u16(buf_t *b, uint16_t v)
{
    uint8_t le[2] = { v & 0xff, v >> 8 };
    buf_add(b, le, 2);
}

void buf_u32(buf_t *b, uint32_t v)
{
    uint8_t le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
    buf_add(b, le, 4);
}

void buf_drop(buf_t *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void buf_free(buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

const char *buf_str(buf_t *b)
{
    buf_add(b, "", 0); /* makes room for the terminator */
    b->p[b->len] = '\0';
    return (const char *)b->p;
}

uint16_t get_u16(const uint8_t *p) { return p[0] | p[1] << 8; }

uint32_t get_u32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

void field_bytes(buf_t *spec, uint16_t tag, const void *v, size_t n)
{
    buf_u16(spec, tag);
    buf_u32(spec, n);
    buf_add(spec, v, n);
}

void field_str(buf_t *spec, uint16_t tag, const char *s) { field_bytes(spec, tag, s, strlen(s)); }
void field_u8(buf_t *spec, uint16_t tag, uint8_t v) { field_bytes(spec, tag, &v, 1); }

void field_u32(buf_t *spec, uint16_t tag, uint32_t v)
{
    uint8_t le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
    field_bytes(spec, tag, le, 4);
}

void buf_u64(buf_t *b, uint64_t v)
{
    buf_u32(b, (uint32_t)v);
    buf_u32(b, (uint32_t)(v >> 32));
}

void field_u64(buf_t *spec, uint16_t tag, uint64_t v)
{
    buf_t b = { 0 };
    buf_u64(&b, v);
    field_bytes(spec, tag, b.p, b.len);
    buf_free(&b);
}

void field_rlimit(buf_t *spec, uint8_t resource, uint64_t soft, uint64_t hard)
{
    buf_t b = { 0 };
    buf_u8(&b, resource);
    buf_u64(&b, soft);
    buf_u64(&b, hard);
    field_bytes(spec, T_RLIMIT, b.p, b.len);
    buf_free(&b);
}

void frame(buf_t *out, uint8_t type, const void *payload, size_t n)
{
    buf_u32(out, n + 1);
    buf_u8(out, type);
    buf_add(out, payload, n);
}

void frame_credit(buf_t *out, uint8_t stream, uint32_t bytes)
{
    buf_u32(out, 6);
    buf_u8(out, P_CREDIT);
    buf_u8(out, stream);
    buf_u32(out, bytes);
}

void frame_signal(buf_t *out, uint8_t target, uint32_t signo)
{
    buf_u32(out, 6);
    buf_u8(out, P_SIGNAL);
    buf_u8(out, target);
    buf_u32(out, signo);
}

void frame_stop(buf_t *out, uint32_t signo, uint32_t grace_ms)
{
    buf_u32(out, 9);
    buf_u8(out, P_STOP);
    buf_u32(out, signo);
    buf_u32(out, grace_ms);
}

void frame_detach(buf_t *out, uint32_t lease_ms, const uint8_t secret[16], const char *path)
{
    size_t n = strlen(path);
    buf_u32(out, (uint32_t)(1 + 4 + 16 + n));
    buf_u8(out, P_DETACH);
    buf_u32(out, lease_ms);
    buf_add(out, secret, 16);
    buf_add(out, path, n);
}

void frame_attach(buf_t *out, const uint8_t secret[16], uint32_t window)
{
    buf_u32(out, 21);
    buf_u8(out, P_ATTACH);
    buf_add(out, secret, 16);
    buf_u32(out, window);
}

void frame_kill_helper(buf_t *out, const uint8_t token[16])
{
    buf_u32(out, 17);
    buf_u8(out, P_KILL_HELPER);
    buf_add(out, token, 16);
}

uint64_t get_u64(const uint8_t *p)
{
    return get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

int frame_next(const buf_t *in, frame_t *f, size_t *used, const char **err)
{
    if (in->len < 4)
        return 0;
    uint32_t len = get_u32(in->p);
    if (len < 1 || len > P_MAX_FRAME) {
        *err = len < 1 ? "frame length 0" : "frame length above 1 MiB + 16";
        return -1;
    }
    if (in->len < 4 + (size_t)len)
        return 0;
    f->type = in->p[4];
    f->payload = in->p + 5;
    f->n = len - 1;
    *used = 4 + len;
    return 1;
}

const char *frame_name(uint8_t type)
{
    switch (type) {
    case P_HELLO: return "HELLO";
    case P_SPAWNED: return "SPAWNED";
    case P_SPAWN_FAILED: return "SPAWN_FAILED";
    case P_DATA: return "DATA";
    case P_EOF: return "EOF";
    case P_EXIT: return "EXIT";
    case P_MESSAGE: return "MESSAGE";
    case P_STDIN_ACK: return "STDIN_ACK";
    case P_DETACHED: return "DETACHED";
    case P_ATTACHED: return "ATTACHED";
    case P_HELPER_EXIT: return "HELPER_EXIT";
    case P_STOPPING: return "STOPPING";
    case P_NOTIFY: return "NOTIFY";
    default: return "unknown";
    }
}
