/**
 * The value forms of Corral's configuration files, console and text setters (durations, sizes, booleans,
 * numbers, daemon names), parsed and shown in one place: {@link org.corral.api.values.Values}; and how text
 * from programs and configurations is made safe to show ({@link org.corral.api.values.Printable}, since 1.1).
 * JDK types only.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.corral.api.values;
