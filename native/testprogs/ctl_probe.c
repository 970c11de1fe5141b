/*
 * ctl_probe - connect to a JVM's control socket as an intruder would.
 *
 * Usage:   ctl_probe SOCKET_PATH WAIT_MS [TOKEN_HEX]
 * Does:    prints "uid U euid E\n", connects to the Unix stream socket
 *          SOCKET_PATH and, when TOKEN_HEX (32 hex digits) is given, sends a
 *          HELLO frame (protocol version 3, role 2 helper, its own pid, that
 *          token); then waits up to WAIT_MS ms for the other side and prints
 *          one line:
 *            "connect failed: <strerror>" (exit 2);
 *            "closed after N ms" (exit 3): the peer closed the connection
 *                without a byte;
 *            "open after N ms" (exit 4): nothing happened within WAIT_MS;
 *            "received N bytes" (exit 0): the peer sent something.
 * Used to: check that the JVM closes control connections of other users at
 *          once and idle ones after its HELLO deadline.
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

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

int main(int argc, char *argv[])
{
    if (argc < 3 || argc > 4 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return 100;
    long wait_ms = atol(argv[2]);
    uint8_t hello[5 + 23];
    if (argc == 4) {
        if (strlen(argv[3]) != 32)
            return 100;
        uint32_t len = 24, pid = (uint32_t)getpid();
        memcpy(hello, &len, 4); /* little-endian hosts only: the test programs run natively */
        hello[4] = 0x41;
        hello[5] = 3;
        hello[6] = 0;
        hello[7] = 2;
        memcpy(hello + 8, &pid, 4);
        for (int i = 0; i < 16; i++) {
            int h = hex_digit(argv[3][2 * i]), l = hex_digit(argv[3][2 * i + 1]);
            if (h < 0 || l < 0)
                return 100;
            hello[12 + i] = (uint8_t)(h << 4 | l);
        }
    }
    printf("uid %d euid %d\n", (int)getuid(), (int)geteuid());
    fflush(stdout);
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, argv[1]);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        printf("connect failed: %s\n", strerror(errno));
        return 2;
    }
    if (argc == 4 && write(fd, hello, sizeof hello) != (ssize_t)sizeof hello) {
        printf("closed after 0 ms\n");
        return 3;
    }
    long long start = now_ms();
    for (;;) {
        long long left = start + wait_ms - now_ms();
        if (left <= 0) {
            printf("open after %ld ms\n", wait_ms);
            return 4;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        char buf[256];
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0) {
            printf("received %zd bytes\n", r);
            return 0;
        }
        printf("closed after %lld ms\n", now_ms() - start);
        return 3;
    }
}
