package org.kmview.core.internal.dispatch;

import java.util.Objects;

/**
 * The identity of a view: the server id (kmview's pid), the view id within that server, and the
 * name that {@code kmview -V} and {@code viewname} set. Thread-safe: the tracer sets the name and
 * services read it.
 */
public final class ViewIdentity {

    /** Maximum length of a view name, in bytes. */
    public static final int MAX_NAME = 255;

    private final int serverId;
    private volatile String name;

    /** Creates the identity of the only view of server {@code serverId}. */
    public ViewIdentity(int serverId, String name) {
        this.serverId = serverId;
        this.name = Objects.requireNonNull(name, "name");
    }

    /** Returns the server id: the pid of the kmview process. */
    public int serverId() {
        return serverId;
    }

    /** Returns the view id; kmview runs one view per server, so it is 0. */
    public int viewId() {
        return 0;
    }

    /** Returns the view name, or an empty string if it has none. */
    public String name() {
        return name;
    }

    /** Sets the view name; an empty string removes it. */
    public void setName(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }
}
