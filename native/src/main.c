/* corral-helper: the modes (broker, run, run-fd).  See docs/protocol.md. */
#include "broker.h"
#include "loop.h"
#include "modes.h"
#include "protocol.h"
#include "sig.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int usage(void)
{
    static const char text[] =
        "usage: corral-helper broker <socket-path> <token-hex>|-\n"
        "       corral-helper run <socket-path> <token-hex>\n"
        "       corral-helper run-fd <fd> [<token-hex>]\n"
        "Corral's native helper, protocol version 3 (see docs/protocol.md).\n";
    if (write(2, text, sizeof text - 1) < 0)
        return 2;
    return 2;
}

static void die(const char *what, int err)
{
    dprintf(2, "corral-helper: %s: %s\n", what, strerror(err));
    exit(1);
}

int connect_to(const char *path)
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

void send_hello(int sock, int role, const uint8_t token[PROTO_TOKEN_LEN])
{
    uint8_t f[64];
    if (write_all(sock, f, enc_hello(f, role, (uint32_t)getpid(), token)) < 0)
        die("sending HELLO", errno);
}

int serve(int sock, int sigfd, const uint8_t token[PROTO_TOKEN_LEN], struct spawn_spec *spec,
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
        return broker_main(argv[2], token);
    return usage();
}
