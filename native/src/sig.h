/* Signals through a self-pipe: the handler writes the signal number as one
 * byte, the event loop reads it.  The pipe's write end is the only mutable
 * global of the helper. */
#ifndef CORRAL_SIG_H
#define CORRAL_SIG_H

#include <signal.h>

/* Creates the self-pipe and installs the handler for every catchable
 * signal (SIGPIPE ignored; the synchronous faults keep their default).
 * Returns the read end, or -1. */
int sig_setup(void);
/* Replace the self-pipe by a new one (a broker's child must not share the
 * broker's); returns the new read end or -1. */
int sig_new_pipe(int old_read_fd);
/* In a forked program child: signals now act as if at their default
 * (the handler re-raises with SIG_DFL), SIGPIPE back to default. */
void sig_child_default(void);
/* Read pending signal numbers from the pipe into buf; how many (0: none). */
int sig_read(int read_fd, unsigned char *buf, int cap);
void sig_block_all(sigset_t *old);
void sig_restore(const sigset_t *old);

#endif
