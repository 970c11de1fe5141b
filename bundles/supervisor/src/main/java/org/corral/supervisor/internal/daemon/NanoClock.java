package org.corral.supervisor.internal.daemon;

/** A monotonic clock in nanoseconds ({@link System#nanoTime()} in production, a fake one in tests). */
@FunctionalInterface
public interface NanoClock {

    /** The system's monotonic clock. */
    NanoClock SYSTEM = System::nanoTime;

    long nanoTime();
}
