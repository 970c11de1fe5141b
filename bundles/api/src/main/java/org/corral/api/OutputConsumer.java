package org.corral.api;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives a program's output as it arrives, chunk by chunk, in order per stream. Calls for one program
 * never overlap. While a call is running the program's credit is not returned, so a slow consumer makes
 * the program block on write instead of filling the heap.
 */
@ConsumerType
@FunctionalInterface
public interface OutputConsumer {

    /**
     * One chunk of output.
     *
     * @param stream which stream it came from
     * @param data the bytes, read-only and valid only during this call (copy what you keep)
     */
    void accept(StreamKind stream, ByteBuffer data);
}
