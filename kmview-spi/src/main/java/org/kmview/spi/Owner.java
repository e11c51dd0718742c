package org.kmview.spi;

/**
 * The owner and group that stat shows for an entry.
 *
 * @param uid the numeric owner
 * @param gid the numeric group
 */
public record Owner(int uid, int gid) {
}
