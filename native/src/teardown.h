/* The kill sequence as one explicit state machine.  Pure: the event loop
 * feeds it events and the current time (ms, monotonic) and carries out the
 * actions it returns, so it is unit-tested with fake events and fake time.
 *
 *   RUNNING --start--> TERM_SENT --grace over--> KILL_SENT
 *      |                   |                        |  (SIGKILL again on every
 *      |                   +--no children left--+   |   reap and on a backing-
 *      |                                        v   v   off timer)
 *      +--nothing left to kill---------------> REAPED --cgroup empty--> DONE
 *
 * REAPED means waitpid() reports no children (and the process group is
 * empty); with a cgroup the machine then waits for "populated 0" (the grace
 * and the SIGKILL still apply to pids in the cgroup that are not our
 * children), gives up after TD_CGROUP_GIVEUP_MS of SIGKILLs, and in DONE
 * the CGROUP_REMOVE directories are removed (CGROUP_REMOVED == DONE). */
#ifndef CORRAL_TEARDOWN_H
#define CORRAL_TEARDOWN_H

#include <stdint.h>

#define TD_REKILL_MIN_MS 10
#define TD_REKILL_MAX_MS 1000
#define TD_CGROUP_GIVEUP_MS 10000

enum td_state { TD_RUNNING, TD_TERM_SENT, TD_KILL_SENT, TD_REAPED, TD_DONE };

enum td_event {
    TD_EV_TIMER,          /* the deadline may have passed */
    TD_EV_REAPED_SOME,    /* waitpid reaped something, children remain */
    TD_EV_CHILDREN_GONE,  /* waitpid: ECHILD, and the process group is empty */
    TD_EV_CGROUP_EMPTY,   /* cgroup.events says populated 0 */
};

enum td_action {
    TD_ACT_SIGNAL = 1,        /* send td->signo to group, descendants, cgroup pids */
    TD_ACT_KILL = 2,          /* SIGKILL all of them (cgroup.kill when present) */
    TD_ACT_WATCH_CGROUP = 4,  /* start watching cgroup.events */
    TD_ACT_RMDIR = 8,         /* remove the CGROUP_REMOVE directories */
    TD_ACT_DONE = 16,         /* teardown finished */
};

struct teardown {
    enum td_state state;
    int has_cgroup;
    int signo;
    int64_t deadline;       /* -1: none */
    int64_t giveup;         /* REAPED after SIGKILL: stop waiting for the cgroup */
    int64_t rekill_ms;
    int children_gone;
    int cgroup_empty;
    int watching;
    /* outcome, for the EXIT flags */
    int program_signaled;   /* started while the program was alive */
    int killed;             /* SIGKILL was sent */
    int gave_up;            /* the cgroup never became empty */
};

void td_init(struct teardown *td, int has_cgroup);
/* Start the teardown (program exit, STOP, hang-up, signal to the helper).
 * Once started, a later start can only shorten the grace or change the
 * signal (a STOP during the grace). */
unsigned td_start(struct teardown *td, int signo, uint32_t grace_ms, int program_alive, int64_t now);
unsigned td_event(struct teardown *td, enum td_event ev, int64_t now);
/* Milliseconds until the next deadline (for poll), -1 for none. */
int td_timeout(const struct teardown *td, int64_t now);
const char *td_state_name(enum td_state s);

#endif
