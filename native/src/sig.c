#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* The write end of the self-pipe; -1 in a program child before exec. */
static volatile int sig_wfd = -1;

static void on_signal(int sig)
{
    int saved = errno;
    int fd = sig_wfd;
    if (fd >= 0) {
        unsigned char b = (unsigned char)sig;
        if (write(fd, &b, 1) < 0) {
            /* pipe full: the loop has plenty of wake-ups queued already */
        }
    } else {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigaction(sig, &sa, NULL);
        kill(getpid(), sig); /* delivered with the default action on return */
    }
    errno = saved;
}

static int is_fault(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
           sig == SIGTRAP || sig == SIGABRT || sig == SIGSYS;
}

static int make_pipe(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    sig_wfd = p[1];
    return p[0];
}

int sig_setup(void)
{
    int rfd = make_pipe();
    if (rfd < 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigfillset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || is_fault(sig))
            continue;
        if (sig == SIGPIPE) {
            struct sigaction ign;
            memset(&ign, 0, sizeof ign);
            ign.sa_handler = SIG_IGN;
            sigaction(sig, &ign, NULL);
            continue;
        }
        sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
        sigaction(sig, &sa, NULL); /* EINVAL for libc-reserved ones: fine */
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    return rfd;
}

int sig_new_pipe(int old_read_fd)
{
    close(old_read_fd);
    close(sig_wfd);
    return make_pipe();
}

void sig_child_default(void)
{
    sig_wfd = -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, NULL);
}

int sig_read(int read_fd, unsigned char *buf, int cap)
{
    ssize_t r = read(read_fd, buf, (size_t)cap);
    return r > 0 ? (int)r : 0;
}

void sig_block_all(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, old);
}

void sig_restore(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}
