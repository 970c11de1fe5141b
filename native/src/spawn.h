/* Starting the program: pipes, fork, and the child's setup before execve. */
#ifndef CORRAL_SPAWN_H
#define CORRAL_SPAWN_H

#include <sys/types.h>

#include "protocol.h"

struct spawned {
    pid_t pid;
    int out_fd[2]; /* read ends for stdout, stderr; -1 when not a pipe */
    int stdin_fd;  /* write end (O_NONBLOCK), -1 when not a pipe */
    /* on failure */
    int err;
    int stage;
    char text[512];
};

/* Forks and execs the program described by s.  Returns 0 (exec succeeded)
 * or -1 with r->err, r->stage and r->text set (the child is reaped). */
int spawn_program(const struct spawn_spec *s, struct spawned *r);

#endif
