package org.corral.supervisor.internal.daemon;

import org.corral.api.CgroupException;
import org.corral.api.CgroupStats;
import org.corral.cgroup.CgroupManager;

/** Reads and writes the interface files of a running daemon's cgroup (paths relative to the cgroup2 mount). */
public interface CgroupAccess {

    CgroupStats stats(String path);

    String get(String path, String file);

    void set(String path, String file, String value);

    /** The real thing: a {@link CgroupManager} of this process's cgroup2 mount, opened on first use. */
    static CgroupAccess system() {
        return SystemCgroups.INSTANCE;
    }

    /** Holder of the shared instance. */
    final class SystemCgroups {
        static final CgroupAccess INSTANCE = new CgroupAccess() {
            private CgroupManager manager;

            private synchronized CgroupManager manager() {
                if (manager == null) {
                    manager = CgroupManager.open();
                }
                return manager;
            }

            @Override
            public CgroupStats stats(String path) {
                CgroupManager m = manager();
                return m.stats(m.resolve(path));
            }

            @Override
            public String get(String path, String file) {
                CgroupManager m = manager();
                return m.get(m.resolve(path), file);
            }

            @Override
            public void set(String path, String file, String value) {
                CgroupManager m = manager();
                m.set(m.resolve(path), file, value);
            }
        };

        private SystemCgroups() {
        }
    }

    /** For daemons whose programs never run in a cgroup. */
    CgroupAccess NONE = new CgroupAccess() {
        @Override
        public CgroupStats stats(String path) {
            throw new CgroupException("no cgroup access here");
        }

        @Override
        public String get(String path, String file) {
            throw new CgroupException("no cgroup access here");
        }

        @Override
        public void set(String path, String file, String value) {
            throw new CgroupException("no cgroup access here");
        }
    };
}
