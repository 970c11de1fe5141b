/**
 * The helper control protocol of docs/protocol.md, JVM side: frame decoding without copies or allocation
 * for DATA ({@link org.corral.supervisor.internal.protocol.FrameDecoder}), and the frames the JVM sends
 * ({@link org.corral.supervisor.internal.protocol.SpawnFrame},
 * {@link org.corral.supervisor.internal.protocol.FrameEncoder}). Internal (not exported).
 */
package org.corral.supervisor.internal.protocol;
