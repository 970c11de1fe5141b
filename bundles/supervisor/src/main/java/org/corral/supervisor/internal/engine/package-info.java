/**
 * The process engine: NIO loop, broker and helpers, timers, delivery; and its pure-Java fallback.
 * Internal (not exported). {@link org.corral.supervisor.internal.engine.Engine} is the contract used by
 * the ProcessService and daemon supervision.
 */
package org.corral.supervisor.internal.engine;
