package org.corral.supervisor.internal.daemon;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

import org.corral.supervisor.internal.engine.Timers;

/** Ready when a file exists: checked on the engine's timers at backing-off intervals (10 ms doubling to 250 ms). */
final class FileCheck extends ReadinessCheck {

    private final Path file;
    private final Timers timers;

    FileCheck(Path file, Timers timers, Consumer<String> passed) {
        super(passed);
        this.file = file;
        this.timers = timers;
    }

    @Override
    void start() {
        schedule(timers, Duration.ZERO, () -> probe(0));
    }

    private void probe(int attempt) {
        if (!active()) {
            return;
        }
        if (Files.exists(file)) {
            pass(file + " exists");
            return;
        }
        long ms = Math.min(250, 10L << Math.min(attempt, 5));
        schedule(timers, Duration.ofMillis(ms), () -> probe(attempt + 1));
    }
}
