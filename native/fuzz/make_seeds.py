#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_protocol (run from native/fuzz)."""
import os, struct

def field(tag, val): return struct.pack('<HI', tag, len(val)) + val
def frame(t, payload): return struct.pack('<IB', len(payload) + 1, t) + payload
tok = bytes(range(1, 17))
minimal = field(1, tok) + field(2, b'/bin/echo') + field(3, b'echo') + field(3, b'hi')
full = (minimal + field(4, b'PATH=/bin') + field(5, b'/tmp') + field(6, b'\x02/etc/hosts')
        + field(7, struct.pack('<I', 1000)) + field(8, struct.pack('<I', 1000))
        + field(9, struct.pack('<II', 4, 27)) + field(10, b'/sys/fs/cgroup/c/x')
        + field(11, b'/sys/fs/cgroup/c/x') + field(12, struct.pack('<I', 15))
        + field(13, struct.pack('<I', 500)) + field(14, struct.pack('<I', 262144))
        + field(15, b'\x01') + field(16, b'\x00') + field(17, b'daemon') + field(18, struct.pack('<I', 1)))
def rlimit(res, soft, hard): return field(21, struct.pack('<BQQ', res, soft, hard))
hardening = (minimal + field(19, b'') + field(20, struct.pack('<Q', 1 << 10)) + rlimit(7, 1024, 4096)
             + rlimit(4, 0, 0xffffffffffffffff) + rlimit(6, 100, 200)
             + field(22, struct.pack('<i', -5)) + field(23, struct.pack('<i', 500)) + field(24, struct.pack('<I', 0o027)))
seeds = {
    'spawn_minimal': frame(1, minimal),
    'spawn_full': frame(1, full),
    'spawn_fields_raw': full,
    'session': frame(1, minimal) + frame(2, b'\x01' + struct.pack('<I', 65536))
               + frame(3, b'input') + frame(4, b'') + frame(5, b'\x02' + struct.pack('<I', 15))
               + frame(6, struct.pack('<II', 15, 500)) + frame(7, struct.pack('<I', 1000)),
    'helper_side': frame(0x41, struct.pack('<HBI', 1, 2, 42) + tok) + frame(0x42, struct.pack('<I', 42))
                   + frame(0x44, b'\x01hello') + frame(0x45, b'\x01')
                   + frame(0x46, struct.pack('<BiB', 0, 0, 0)) + frame(0x47, b'\x03warn'),
    'spawn_failed': frame(0x43, struct.pack('<IB', 2, 7) + b'execve /x: No such file or directory'),
    'bad_length': struct.pack('<IB', 0, 2),
    'unknown_tag': frame(1, minimal + field(99, b'x')),
    # hardening fields (19..24)
    'spawn_hardening': frame(1, hardening),
    'spawn_hardening_bad': frame(1, minimal + rlimit(7, 10, 5) + field(22, struct.pack('<i', 20))),
    'truncated': frame(1, minimal)[:-3],
    # version 2: detach and re-attach
    'detach': frame(7, struct.pack('<I', 30000) + tok + b'/run/corral/attach-4242.sock'),
    'detach_bad': frame(7, struct.pack('<I', 0) + bytes(16) + b'relative.sock'),
    'attach': frame(8, tok + struct.pack('<I', 65536)),
    'attach_then_credit': frame(8, tok + struct.pack('<I', 0)) + frame(2, b'\x02' + struct.pack('<I', 4096)),
    # sd_notify: the NOTIFY field (27) and frame (0x4D)
    'spawn_notify': frame(1, minimal + field(27, struct.pack('<Q', 30000000) + b'/run/corral-notify')),
    'spawn_notify_bad': frame(1, minimal + field(27, struct.pack('<Q', 1) + b'relative/dir')
                             + field(27, struct.pack('<Q', 0))),
    'notify_frames': frame(0x4D, struct.pack('<I', 4242) + b'READY=1\nSTATUS=serving 3 clients')
                     + frame(0x4D, struct.pack('<I', 4243) + b'WATCHDOG=1')
                     + frame(0x4D, struct.pack('<I', 1) + b'MAINPID=1\nSTOPPING=1'),
    'detached_attached': frame(0x49, struct.pack('<QQ', 1 << 33, 12))
                         + frame(0x41, struct.pack('<HBI', 2, 2, 42) + tok)
                         + frame(0x4A, struct.pack('<IBBiQQ', 4242, 1, 1, 9, 1 << 33, 12) + b'daemon-a'),
    # final statistics: CGROUP_STATS (28) in a SPAWN, a STATS frame (0x4E) before EXIT
    'spawn_cgroup_stats': frame(1, minimal + field(10, b'/sys/fs/cgroup/c/x/program')
                                + field(11, b'/sys/fs/cgroup/c/x/program') + field(11, b'/sys/fs/cgroup/c/x')
                                + field(28, b'/sys/fs/cgroup/c/x')),
    'stats_exit': frame(0x4E, struct.pack('<H', 13) + b'cgroup.events' + struct.pack('<I', 21)
                        + b'populated 0\nfrozen 0\n' + struct.pack('<H', 12) + b'cgroup.procs' + struct.pack('<I', 0))
                  + frame(0x46, struct.pack('<BiB', 0, 0, 0)),
    # version 3: helper loss
    'kill_helper': frame(9, tok),
    'helper_exit_stopping': frame(0x4B, tok + struct.pack('<IBi', 4242, 1, 9))
                            + frame(0x4C, struct.pack('<II', 15, 500))
                            + frame(0x4B, tok + struct.pack('<IBi', 4243, 0, 0)),
}
os.makedirs('corpus', exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join('corpus', name), 'wb') as f:
        f.write(data)
