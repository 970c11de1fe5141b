/**
 * Corral as a plain Java library: {@link org.corral.supervisor.Corral}. In OSGi, use the
 * {@link org.corral.api.ProcessService} service instead. Not exported as an OSGi package.
 */
package org.corral.supervisor;
