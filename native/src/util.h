/* Small system helpers shared by the helper's files. */
#ifndef CORRAL_UTIL_H
#define CORRAL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int64_t now_ms(void);
/* Writes all n bytes (restarting on EINTR); 0, or -1 with errno. */
int write_all(int fd, const void *buf, size_t n);
/* Reads a small file into buf (NUL-terminated); bytes read or -1. */
ssize_t read_small_file(const char *path, char *buf, size_t cap);
/* Writes a short string to a file (O_WRONLY); 0 or -1 with errno. */
int write_file(const char *path, const char *s);
int set_nonblock(int fd);
/* Close every fd >= lowfd (close_range, else /proc/self/fd). */
void close_from(int lowfd);
/* Make sure fds 0, 1 and 2 are open (on /dev/null). */
void ensure_std_fds(void);
/* Listens on a Unix stream socket at path with mode 0600 (backlog 8): an
 * existing socket file there is unlinked first, any other file refuses.
 * Returns the listening fd (non-blocking, close-on-exec), or -1 with err
 * naming the failing step and path. */
int listen_unix(const char *path, char *err, size_t errlen);
/* The effective uid of the peer of a connected Unix socket (SO_PEERCRED);
 * 0 on success, -1 with errno. */
int peer_uid(int fd, uid_t *uid);
/* "<dir>/<name>" into buf; -1 when it does not fit. */
int path_join(char *buf, size_t cap, const char *dir, const char *name);

#endif
