/**
 * Private directories and files of the JVM's user, made, read and removed without following a symbolic link
 * another local user could plant (lstat/fstat checks, O_EXCL|O_NOFOLLOW, removal relative to directory
 * descriptors). Internal (not exported).
 */
package org.corral.supervisor.internal.fs;
