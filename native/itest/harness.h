/*
 * Test harness for helpertest: runs the helper under test, drives it over
 * the control protocol, and inspects the processes it leaves (or not).
 *
 * Every test runs in its own forked process with a deadline. Everything a
 * test starts is tagged: the helper and every program get the environment
 * entry CORRAL_ITEST=<suite pid>-<test number>, and cgroups are named
 * corral-itest-<suite pid>-<test number>-<k>, so whatever a test leaves
 * behind (even after a crash or timeout of the test itself) is found by that
 * tag, reported and killed/removed.
 */
#ifndef ITEST_HARNESS_H
#define ITEST_HARNESS_H

#include "proto.h"

#include <setjmp.h>
#include <stdbool.h>
#include <sys/types.h>

/* ---- configuration and shared state ---------------------------------- */

struct config {
    const char *helper;      /* helper binary (absolute) */
    char *prefix[16];        /* e.g. {"qemu-arm-static", "-cpu", "arm1176"} */
    int nprefix;
    const char *testprogs;   /* directory of the test programs */
    char tmpdir[256];        /* this run's private 0700 directory */
    int slow;                /* timeout multiplier: 1 native, more under qemu */
    bool verbose;
};
extern struct config cfg;

enum { R_NONE, R_OK, R_FAIL, R_NA };

/* Lives in a MAP_SHARED page: the test process writes, the runner reads. */
struct shared {
    int result;
    char reason[1024];
    int subreaper_missing;   /* -1 unknown, 0 helper is a subreaper, 1 it warned */
    char subreaper_text[256];
};
extern struct shared *shared;

extern pid_t suite_pid;       /* the runner's pid, part of every tag */
extern int test_number;      /* current test, for tags */
extern char marker[64];      /* "CORRAL_ITEST=<suite pid>-<test number>" */
extern sigjmp_buf test_jmp;
extern bool na_mode;         /* subreaper-dependent test without a subreaper */
extern char na_reason[256];

/* Ends the test (longjmp back to the runner in the test process). */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void not_applicable(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

int64_t now_ms(void);
void sleep_ms(int ms);
int scaled(int ms); /* ms * cfg.slow */
void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- sessions: one control connection -------------------------------- */

typedef struct sess {
    char name[24];
    int fd;                  /* our end, -1 once closed */
    pid_t pid;               /* the process we forked (helper or qemu), 0 if none */
    bool reaped;
    int wstatus;
    buf_t in, out;           /* receive buffer, send queue */
    int frames;              /* frames received */

    uint8_t want_token[16];  /* token we expect in HELLO (run/broker) */
    bool check_token;
    bool hello;
    uint16_t version;
    uint8_t role;
    uint32_t hello_pid;
    uint8_t token[16];

    bool spawned;
    pid_t prog;
    bool spawn_failed;
    uint32_t sf_errno;
    uint8_t sf_stage;
    buf_t sf_text;           /* a broker's: the 16-byte token, then the text */
    int n_spawn_failed;      /* a broker may send several */

    uint32_t flags;          /* FLAGS of the SPAWN sent */
    uint64_t stdin_sent;     /* STDIN payload bytes queued */
    uint64_t stdin_acked;    /* sum of STDIN_ACK */
    uint64_t acked_at_exit;

    buf_t data[3];           /* [S_STDOUT], [S_STDERR] */
    bool eof[3];
    uint64_t window;         /* initial credit per stream */
    uint64_t granted[3], received[3];
    bool manual_credit;      /* true: the test sends CREDIT itself */
    size_t max_frame_data;

    int n_stats;             /* STATS frames received */
    buf_t stats;             /* the last one's entries as "name=value-with-newlines-as-|\n" lines */
    bool stats_before_exit;  /* it came before EXIT */

    bool exited;
    uint8_t exit_kind, exit_flags;
    int32_t exit_value;
    int64_t t_exit;
    size_t data_at_exit[3];
    bool eof_at_exit[3];
    int frames_after_exit;

    buf_t msgs;              /* every MESSAGE as "<level>: <text>\n" */
    int n_error_msgs;
    bool subreaper_warn;

    /* detach and re-attach */
    bool detached;           /* DETACHED received (the last frame allowed) */
    uint64_t det_bytes[3];   /* its stdout/stderr totals */
    bool check_attach;       /* we sent ATTACH on this connection */
    bool attached;           /* ATTACHED received: this session is a re-attach */
    uint32_t att_pid;
    uint8_t att_state, att_kind;
    int32_t att_value;
    uint64_t att_bytes[3];   /* totals sent before this connection */
    buf_t att_label;

    /* sd_notify: every NOTIFY frame as "<pid>: <text with newlines as |>\n" */
    buf_t notifies;
    int n_notify;

    /* helper loss (version 3) */
    int stops_sent;          /* STOP frames sent */
    int n_stopping;          /* STOPPING frames received (one per STOP) */
    uint32_t stopping_signo, stopping_grace; /* of the last one */
    struct helper_exit {     /* HELPER_EXIT frames from a broker */
        uint8_t token[16];
        uint32_t pid;
        uint8_t kind;
        int32_t value;
    } helper_exits[64];
    int n_helper_exits;

    bool hup;                /* the helper closed (EOF/error on the socket) */
    char violation[300];     /* first protocol violation seen */
} sess_t;

/* Launch modes. Each waits for HELLO (failing the test if none comes). */
sess_t *launch_fd(void);                 /* corral-helper run-fd 3 (socketpair) */
sess_t *launch_fd_token(const uint8_t token[16]); /* corral-helper run-fd 3 <token-hex> */
typedef struct listener {
    int fd;
    char path[256];
    uint8_t token[16];       /* the token on the command line */
    sess_t *accepted[32];
    int n_accepted;
} listener_t;
listener_t *listen_new(void);
sess_t *launch_run(listener_t *l);       /* corral-helper run <sock> <token> */
sess_t *launch_broker(listener_t *l);    /* corral-helper broker <sock> <token> */
sess_t *accept_helper(listener_t *l, const uint8_t token[16], int ms); /* HELLO with that token */
pid_t launch_plain(char *const argv[]);  /* any helper argv, for bad-usage tests */
const char *last_log(void);              /* stdout+stderr file of the last launched helper */

/* Spawn specs: fields without TOKEN (sess_spawn adds it). */
buf_t spec_prog(const char *prog, ...);  /* testprog name or absolute path, args, NULL */
void spec_env(buf_t *spec, const char *entry);
void spawn_raw(sess_t *s, const buf_t *spec, const uint8_t token[16]);
void sess_spawn(sess_t *s, buf_t *spec); /* adds TOKEN, sends, frees spec */
void expect_spawned(sess_t *s);          /* waits for SPAWNED, fails on SPAWN_FAILED */
sess_t *start(buf_t spec);               /* launch_fd + spawn + expect_spawned */

void send_frame(sess_t *s, uint8_t type, const void *payload, size_t n);
void send_credit(sess_t *s, uint8_t stream, uint32_t bytes);
void queue_stdin(sess_t *s, const void *data, size_t n); /* one STDIN frame */
void send_stop(sess_t *s, uint32_t signo, uint32_t grace_ms);
void send_kill_helper(sess_t *broker, const uint8_t token[16]);
/* The broker's HELLO_EXIT for token, waiting up to ms; NULL when none came. */
const struct helper_exit *await_helper_exit(sess_t *broker, const uint8_t token[16], int ms);
void send_signal(sess_t *s, uint8_t target, uint32_t signo);
void hang_up(sess_t *s);                 /* close our end */

/* ---- detach and re-attach ------------------------------------------------ */

/* A fresh socket path in a new 0700 directory of its own under /tmp
 * (removed at the end of the test). */
const char *detach_path(void);
void random_secret(uint8_t secret[16]);
void send_detach(sess_t *s, uint32_t lease_ms, const uint8_t secret[16], const char *path);
/* Waits for DETACHED and the close after it; fails on anything else
 * (a refusal MESSAGE, EXIT, a violation). */
void expect_detached(sess_t *s);
/* Connects to path and sends ATTACH; NULL when connect() fails (errno). */
sess_t *attach_to(const char *path, const uint8_t secret[16], uint32_t window, bool manual_credit);
/* Waits for HELLO + ATTACHED on an attach session; fails when refused. */
void expect_attached(sess_t *a);
/* The connection is closed without one byte (an attach refused). */
void expect_refused(sess_t *a, const char *what);
int connect_unix(const char *path);      /* fd or -1 (errno) */
bool is_socket(const char *path, mode_t *mode);

/* ---- sd_notify ------------------------------------------------------------ */

/* A fresh directory path for notify sockets under /tmp, not created (the
 * helper creates it); it and everything in it are removed at the end of the
 * test. */
const char *notify_dir(void);

/* Drives every open session for up to ms. */
void pump(int ms);
#define WAIT_FOR(cond, ms)                                                  \
    ({                                                                      \
        int64_t _deadline = now_ms() + scaled(ms);                          \
        while (!(cond) && now_ms() < _deadline)                             \
            pump((int)(_deadline - now_ms() < 20 ? _deadline - now_ms() : 20)); \
        (bool)(cond);                                                       \
    })

/* Waits for EXIT (failing after ms), checks the session's invariants. */
void expect_exit(sess_t *s, int ms);
/* After EXIT: the helper closes the connection and exits 0. */
void expect_helper_done(sess_t *s, int ms);
/* Both of the above, plus no protocol violation and no error MESSAGE. */
void finish(sess_t *s, int ms);
void check_clean(sess_t *s);             /* violations, error messages */
bool helper_gone(sess_t *s);             /* reaped (ours) or no such pid */

const char *exit_str(sess_t *s);         /* "exited 3" / "killed by signal 9 flags=0x3" */
const char *out_str(sess_t *s, int stream);

/* ---- processes -------------------------------------------------------- */

bool proc_gone(pid_t pid);               /* no such pid, or a zombie */
bool proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp, pid_t *sid);
long long proc_wchar(pid_t pid);         /* /proc/<pid>/io wchar, -1 if unknown */
int parse_pids(const char *text, pid_t *pids, int max); /* lines of digits */
int alive_list(const pid_t *pids, int n, char *out, size_t outsz); /* count alive, list them */
bool wait_gone(const pid_t *pids, int n, int ms);
void track_pid(pid_t pid);               /* killed at the end of the test */
/* Processes carrying this test's (or any test's: all=true) tag. */
int sweep_tagged(const char *tag, bool kill_them, char *list, size_t listsz);

/* ---- cgroups ---------------------------------------------------------- */

const char *cg_mount(void);              /* cgroup2 mount point, NULL if none */
const char *cg_make(void);               /* new empty cgroup of this test */
bool cg_exists(const char *dir);
bool cg_contains(pid_t pid, const char *dir); /* /proc/<pid>/cgroup names dir */
void cg_destroy(const char *dir);        /* kill members, wait, rmdir */
int sweep_cgroups(const char *prefix, char *list, size_t listsz);

/* ---- per test cleanup (run in the test process, also after a failure) -- */
void test_cleanup(void);

/* ---- files ------------------------------------------------------------ */
const char *tmp_file(const char *name, const void *data, size_t n); /* in cfg.tmpdir */
const char *prog_path(const char *name);
bool pattern_ok(const uint8_t *p, size_t n, size_t *bad_at); /* print_a_lot's pattern */

#endif
