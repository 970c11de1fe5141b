/* corral-helper: the modes (broker, run, run-fd).  See docs/protocol.md. */
#include "loop.h"
#include "protocol.h"
#include "sig.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_CONNECT_FAILED 3 /* a broker's child could not connect */

static int usage(void)
{
    static const char text[] =
        "usage: corral-helper broker <socket-path> <token-hex>|-\n"
        "       corral-helper run <socket-path> <token-hex>\n"
        "       corral-helper run-fd <fd> [<token-hex>]\n"
        "Corral's native helper, protocol version 2 (see docs/protocol.md).\n";
    if (write(2, text, sizeof text - 1) < 0)
        return 2;
    return 2;
}

static void die(const char *what, int err)
{
    dprintf(2, "corral-helper: %s: %s\n", what, strerror(err));
    exit(1);
}

static int connect_to(const char *path)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    while (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void send_hello(int sock, int role, const uint8_t token[PROTO_TOKEN_LEN])
{
    uint8_t f[64];
    if (write_all(sock, f, enc_hello(f, role, (uint32_t)getpid(), token)) < 0)
        die("sending HELLO", errno);
}

/* Serve one program on a connection that sent HELLO.  spec_rc: 0 parsed,
 * -1 parse error (err), -2 read it from the connection. */
static int serve(int sock, int sigfd, const uint8_t token[PROTO_TOKEN_LEN], struct spawn_spec *spec,
                 int spec_rc, char *err)
{
    struct helper h;
    helper_init(&h, sock, sigfd, token);
    if (spec_rc == -2)
        spec_rc = helper_read_spawn(&h, spec, err, 256);
    if (spec_rc == -2)
        return 1;
    if (spec_rc == -1) {
        uint8_t f[400];
        helper_send(&h, f, enc_spawn_failed(f, sizeof f, EINVAL, STAGE_PARSE, NULL, err));
        return 0;
    }
    return helper_serve(&h, spec);
}

static int mode_run(int sock, const uint8_t token[PROTO_TOKEN_LEN])
{
    int sigfd = sig_setup();
    if (sigfd < 0)
        die("self-pipe", errno);
    send_hello(sock, ROLE_HELPER, token);
    struct spawn_spec spec;
    char err[256];
    return serve(sock, sigfd, token, &spec, -2, err);
}

/* ---- broker ---- */

struct child {
    pid_t pid;
    uint8_t token[PROTO_TOKEN_LEN];
};

struct broker {
    const char *path;
    int sock;
    int sigfd;
    uint8_t *in;
    size_t in_len, in_cap;
    struct child *kids;
    size_t nkids, capkids;
};

static void broker_send(struct broker *b, const void *f, size_t n)
{
    if (write_all(b->sock, f, n) < 0)
        exit(0); /* the JVM is gone: helpers keep their own connections */
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

static void broker_reap(struct broker *b)
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
            b->kids[i] = b->kids[--b->nkids];
            break;
        }
    }
}

static int mode_broker(const char *path, const uint8_t token[PROTO_TOKEN_LEN])
{
    struct broker b;
    memset(&b, 0, sizeof b);
    b.path = path;
    b.sigfd = sig_setup();
    if (b.sigfd < 0)
        die("self-pipe", errno);
    b.sock = connect_to(path);
    if (b.sock < 0)
        die(path, errno);
    send_hello(b.sock, ROLE_BROKER, token);
    for (;;) {
        struct pollfd pfd[2] = {{b.sock, POLLIN, 0}, {b.sigfd, POLLIN, 0}};
        if (poll(pfd, 2, -1) < 0)
            continue;
        if (pfd[1].revents) {
            unsigned char sigs[64];
            int n = sig_read(b.sigfd, sigs, sizeof sigs);
            for (int i = 0; i < n; i++) {
                if (sigs[i] == SIGCHLD)
                    broker_reap(&b);
                else if (sigs[i] == SIGTERM || sigs[i] == SIGINT || sigs[i] == SIGHUP || sigs[i] == SIGQUIT)
                    return 0;
            }
        }
        if (!pfd[0].revents)
            continue;
        if (b.in_len == b.in_cap) {
            size_t cap = b.in_cap ? b.in_cap * 2 : 16384;
            uint8_t *n = realloc(b.in, cap);
            if (!n)
                die("broker input buffer", ENOMEM);
            b.in = n;
            b.in_cap = cap;
        }
        ssize_t r = read(b.sock, b.in + b.in_len, b.in_cap - b.in_len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0; /* hang-up: the JVM is gone */
        b.in_len += (size_t)r;
        size_t off = 0;
        for (;;) {
            struct frame f;
            size_t used;
            char err[256];
            int fr = proto_frame_next(DIR_TO_HELPER, b.in + off, b.in_len - off, &f, &used, err, sizeof err);
            if (fr == FRAME_ERROR) {
                char text[300];
                snprintf(text, sizeof text, "broker: protocol error: %s", err);
                broker_msg(&b, LVL_ERROR, text);
                return 1;
            }
            if (fr == FRAME_NEED_MORE) {
                if (used > b.in_cap) {
                    uint8_t *n = realloc(b.in, used);
                    if (!n)
                        die("broker input buffer", ENOMEM);
                    b.in = n;
                    b.in_cap = used;
                }
                break;
            }
            if (f.type == T_SPAWN) {
                broker_spawn(&b, f.payload, f.len);
            } else {
                char text[100];
                snprintf(text, sizeof text, "broker: unexpected %s frame ignored", proto_type_name(f.type));
                broker_msg(&b, LVL_ERROR, text);
            }
            off += used;
        }
        memmove(b.in, b.in + off, b.in_len - off);
        b.in_len -= off;
    }
}

/* The broker's token from its argument, or with "-" from the first line of stdin, which then becomes
 * /dev/null: a command line is readable by every user in /proc/<pid>/cmdline, stdin is not. */
static int token_arg(const char *arg, uint8_t token[PROTO_TOKEN_LEN])
{
    if (strcmp(arg, "-") != 0)
        return token_from_hex(arg, token);
    char hex[2 * PROTO_TOKEN_LEN + 2];
    size_t got = 0;
    while (got < sizeof hex - 1) {
        ssize_t n = read(0, hex + got, sizeof hex - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
        if (memchr(hex, '\n', got))
            break;
    }
    hex[got] = '\0';
    char *nl = strchr(hex, '\n');
    if (nl)
        *nl = '\0';
    int fd = open("/dev/null", O_RDONLY);
    if (fd > 0) {
        (void)dup2(fd, 0);
        close(fd);
    }
    return token_from_hex(hex, token);
}

int main(int argc, char **argv)
{
    uint8_t token[PROTO_TOKEN_LEN] = {0};
    if (argc < 3)
        return usage();
    ensure_std_fds();
    const char *mode = argv[1];
    if (strcmp(mode, "run-fd") == 0 && argc <= 4) {
        char *end;
        long fd = strtol(argv[2], &end, 10);
        if (*end || fd < 0 || (argc == 4 && token_from_hex(argv[3], token) < 0))
            return usage();
        return mode_run((int)fd, token);
    }
    if (argc != 4 || token_arg(argv[3], token) < 0)
        return usage();
    /* Leave the JVM's session: a Ctrl-C (SIGINT to the terminal's foreground
     * process group) or a hang-up of the JVM's terminal must not reach the
     * broker or the helpers it forks. The owner's death is seen as the
     * hang-up of the control socket instead. Fails only when already a
     * session leader, which is fine. */
    (void)setsid();
    if (strcmp(mode, "run") == 0) {
        int sock = connect_to(argv[2]);
        if (sock < 0)
            die(argv[2], errno);
        return mode_run(sock, token);
    }
    if (strcmp(mode, "broker") == 0)
        return mode_broker(argv[2], token);
    return usage();
}
