/* libFuzzer target: the frame parser over a stream of frames (both
 * directions), the SPAWN field parser on every SPAWN payload and on the raw
 * input, and an encode/parse round trip of whatever text the input holds. */
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
    return 0;
}
