package org.kmview.core.internal.dispatch;

import java.util.List;

import org.kmview.spi.Errno;

/**
 * The view's services as the management calls change them. Methods run on the tracer thread.
 * Each returns null on success or the errno for the caller; the reason goes to kmview's log.
 */
public interface ServiceManager {

    /**
     * Loads and starts a service given as {@code NAME[,OPTIONS]} or a path. A permanent service
     * can never be removed.
     */
    Errno add(String spec, boolean permanent);

    /** Stops a service and drops its module layer. */
    Errno remove(String name);

    /** Moves a service to the 1-based {@code position} of the precedence order; beyond the end means last. */
    Errno move(String name, int position);

    /** Returns one line per service, {@code NAME: description}, in precedence order. */
    List<String> list();
}
