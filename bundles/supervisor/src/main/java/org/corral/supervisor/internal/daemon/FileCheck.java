package org.corral.supervisor.internal.daemon;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

import org.corral.supervisor.internal.engine.Timers;

/** Ready when a file exists: checked on the engine's timers at backing-off intervals (10 ms doubling to 250 ms). */
final class FileCheck extends ReadinessCheck.Probing {

    private final Path file;

    FileCheck(Path file, Timers timers, Consumer<String> passed) {
        super(timers, passed);
        this.file = file;
    }

    @Override
    void probe(int attempt) {
        if (Files.exists(file)) {
            pass(file + " exists");
            return;
        }
        later(Duration.ofMillis(Math.min(250, 10L << Math.min(attempt, 5))), () -> probe(attempt + 1));
    }
}
