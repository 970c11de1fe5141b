/**
 * The supervisor's DS components: the singleton {@link org.corral.supervisor.internal.Core} holding the engine,
 * and the bundle-scoped {@link org.corral.api.ProcessService}. Internal (not exported).
 */
package org.corral.supervisor.internal.osgi;
