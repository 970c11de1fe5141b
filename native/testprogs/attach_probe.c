/*
 * attach_probe - try to re-attach to a detached helper, as an intruder would.
 *
 * Usage:   attach_probe SOCKET_PATH SECRET_HEX [WINDOW]
 * Does:    prints "uid U euid E\n", connects to the Unix stream socket
 *          SOCKET_PATH and sends one ATTACH frame: the 25 bytes
 *          "15 00 00 00 08 <16 secret bytes> <u32 WINDOW, little-endian>"
 *          (SECRET_HEX: 32 hex digits; WINDOW defaults to 262144). Then waits
 *          up to 5000 ms for the first byte of an answer and prints one line:
 *            "connect failed: <strerror>" (exit 2): the socket could not be
 *                reached (EACCES from a 0700 directory, ENOENT, ...);
 *            "closed: 0 bytes (eof)" or "closed: 0 bytes (<strerror>)"
 *                (exit 3): the peer closed the connection without a byte;
 *            "no answer: 0 bytes in 5000 ms" (exit 4);
 *            "received N bytes, first frame type 0xTT" (exit 0): the helper
 *                answered (a HELLO is type 0x41): the attach got through.
 *          The probe then closes its connection and exits.
 * Used to: check that a local process running as another user cannot attach
 *          to a helper that a supervisor handed over.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char *argv[])
{
    if (argc != 3 && argc != 4)
        return 100;
    const char *path = argv[1];
    const char *hex = argv[2];
    uint32_t window = argc == 4 ? (uint32_t)strtoul(argv[3], NULL, 10) : 262144u;
    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path) || strlen(hex) != 32)
        return 100;

    unsigned char frame[25] = { 21, 0, 0, 0, 0x08 };
    for (int i = 0; i < 16; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 100;
        frame[5 + i] = (unsigned char)(hi << 4 | lo);
    }
    for (int i = 0; i < 4; i++)
        frame[21 + i] = (unsigned char)(window >> (8 * i));

    printf("uid %u euid %u\n", (unsigned)getuid(), (unsigned)geteuid());
    fflush(stdout);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        printf("connect failed: socket: %s\n", strerror(errno));
        return 2;
    }
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, strlen(path));
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        printf("connect failed: %s\n", strerror(errno));
        return 2;
    }

    /* a helper that refuses may close before or while we write: that is an answer too */
    size_t sent = 0;
    while (sent < sizeof frame) {
        ssize_t n = send(fd, frame + sent, sizeof frame - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        sent += (size_t)n;
    }

    long long deadline = now_ms() + 5000;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            printf("no answer: 0 bytes in 5000 ms\n");
            return 4;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            continue;
        unsigned char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            printf("closed: 0 bytes (eof)\n");
            return 3;
        }
        if (n < 0) {
            printf("closed: 0 bytes (%s)\n", strerror(errno));
            return 3;
        }
        /* the first frame's type is its 5th byte; wait briefly for it if the answer came split */
        size_t got = (size_t)n;
        while (got < 5 && now_ms() < deadline) {
            ssize_t m = recv(fd, buf + got, sizeof buf - got, 0);
            if (m <= 0)
                break;
            got += (size_t)m;
        }
        if (got >= 5)
            printf("received %zu bytes, first frame type 0x%02x\n", got, buf[4]);
        else
            printf("received %zu bytes\n", got);
        close(fd);
        return 0;
    }
}
