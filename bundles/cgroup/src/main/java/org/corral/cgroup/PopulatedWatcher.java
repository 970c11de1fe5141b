package org.corral.cgroup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells when a cgroup becomes empty ({@code cgroup.events: populated 0}) without polling: the kernel sends
 * an inotify IN_MODIFY for {@code cgroup.events} whenever {@code populated} changes (verified on 6.1 and
 * 6.18 kernels), which {@link WatchService} delivers as ENTRY_MODIFY on the cgroup directory. kernfs sends
 * it only while the file's inode is in the inode cache (never opened or stat'ed: no event), so each wait
 * keeps {@code cgroup.events} open until it ends. One
 * WatchService and one dispatcher thread serve every wait of a {@link CgroupManager}, however many cgroups
 * are watched.
 *
 * <p>When the WatchService cannot watch a directory (a file system without inotify support), the
 * blocking {@link CgroupManager#awaitEmpty} falls back to re-reading {@code cgroup.events} with a
 * bounded back-off (1 ms doubling to 50 ms); that fallback is logged once.
 */
final class PopulatedWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PopulatedWatcher.class);

    private final Predicate<Path> isEmpty;
    private final Map<WatchKey, List<Waiter>> waiters = new HashMap<>();
    private WatchService service;
    private Thread dispatcher;
    private boolean closed;

    private static final class Waiter {
        final Path dir;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        /** Keeps the inode of cgroup.events in the cache: kernfs only notifies files whose inode exists. */
        FileChannel events;

        Waiter(Path dir) {
            this.dir = dir;
        }
    }

    PopulatedWatcher(Predicate<Path> isEmpty) {
        this.isEmpty = isEmpty;
    }

    /**
     * A future completed when {@code dir} is empty (or gone). Cancelling it stops the watch.
     *
     * @throws IOException when the directory cannot be watched (the caller then falls back to re-reading)
     */
    synchronized CompletableFuture<Void> whenEmpty(Path dir) throws IOException {
        if (closed) {
            throw new IOException("the cgroup watcher is closed");
        }
        if (service == null) {
            service = dir.getFileSystem().newWatchService();
            dispatcher = new Thread(this::dispatch, "corral-cgroup-watch");
            dispatcher.setDaemon(true);
            dispatcher.start();
        }
        WatchKey key;
        try {
            key = dir.register(service, StandardWatchEventKinds.ENTRY_MODIFY);
        } catch (NoSuchFileException e) {
            return CompletableFuture.completedFuture(null);
        }
        Waiter w = new Waiter(dir);
        try {
            w.events = FileChannel.open(dir.resolve("cgroup.events"), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            forgetKeyIfUnused(key);
            return CompletableFuture.completedFuture(null);
        }
        waiters.computeIfAbsent(key, k -> new ArrayList<>()).add(w);
        w.done.whenComplete((v, t) -> forget(key, w));
        // registered before this check, so a change after it cannot be missed
        if (isEmpty.test(dir)) {
            w.done.complete(null);
        }
        return w.done;
    }

    private synchronized void forget(WatchKey key, Waiter w) {
        closeQuietly(w);
        List<Waiter> list = waiters.get(key);
        if (list != null && list.remove(w) && list.isEmpty()) {
            waiters.remove(key);
            key.cancel();
        }
    }

    private void forgetKeyIfUnused(WatchKey key) {
        if (!waiters.containsKey(key)) {
            key.cancel();
        }
    }

    private static void closeQuietly(Waiter w) {
        if (w.events != null) {
            try {
                w.events.close();
            } catch (IOException e) {
                LOG.debug("closing {}/cgroup.events", w.dir, e);
            }
        }
    }

    private void dispatch() {
        while (true) {
            WatchKey key;
            try {
                key = service.poll(1, TimeUnit.HOURS);
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            if (key == null) {
                continue;
            }
            key.pollEvents();
            boolean valid = key.reset();
            List<Waiter> list;
            synchronized (this) {
                list = waiters.get(key);
                list = list == null ? List.of() : new ArrayList<>(list);
            }
            for (Waiter w : list) {
                try {
                    if (!valid || isEmpty.test(w.dir)) {
                        w.done.complete(null);
                    }
                } catch (RuntimeException e) {
                    LOG.debug("checking {} failed", w.dir, e);
                    w.done.complete(null);
                }
            }
        }
    }

    @Override
    public void close() {
        List<Waiter> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            waiters.values().forEach(all::addAll);
            waiters.clear();
            if (service != null) {
                try {
                    service.close();
                } catch (IOException e) {
                    LOG.debug("closing the watch service", e);
                }
            }
        }
        for (Waiter w : all) {
            closeQuietly(w);
            w.done.cancel(false);
        }
    }
}
