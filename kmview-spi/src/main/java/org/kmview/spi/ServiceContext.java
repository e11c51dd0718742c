package org.kmview.spi;

/**
 * The view as a service reaches it while it starts. Arguments must not be null.
 */
public interface ServiceContext {

    /**
     * Registers a file system type. From then on a {@code mount(2)} in the view whose type is
     * {@code type.name()} is served by {@code type} instead of the kernel.
     *
     * @throws IllegalStateException if this service already registered a type of that name
     */
    void registerFileSystem(FileSystemType type);

    /**
     * Writes one line to the view's debug log ({@code kmview -o FILE}), marked with the service's
     * name. Without {@code -o} the line goes nowhere.
     */
    void debug(String message);

    /**
     * Reports a failure the user must hear of, such as changes that could not be saved: one line
     * on kmview's stderr, marked with the service's name, and in the debug log.
     */
    void warn(String message);

    /** Returns the name of the view ({@code kmview -V NAME}), or an empty string if it has none. */
    String viewName();

    /**
     * Makes {@code mount} serve the file or directory {@code viewPath}, as a mount the service
     * made itself: a device file such as {@code /dev/fuse}. kmview drops it when the service is
     * removed, and {@code um_del_service} does not count it as a mount in use.
     *
     * @throws UnsupportedOperationException if this view cannot add mounts of services
     */
    default void addDeviceMount(String viewPath, VirtualMount mount) {
        throw new UnsupportedOperationException("this view cannot add device mounts");
    }

    /**
     * Makes the process {@code pid} hand its writes to control files to their services, and
     * its reads of them too, as a process that opened a control file for writing does itself.
     * A FUSE daemon needs it when it got the descriptor of its device from another process
     * ({@code fusermount} passes it over a socket).
     *
     * <p>Precondition: kmview called the service to serve a process's call.
     *
     * @throws UnsupportedOperationException if this view cannot trap a process's writes
     */
    default void trapControlFileWrites(int pid) {
        throw new UnsupportedOperationException("this view cannot trap a process's writes");
    }

    /**
     * Lets the view's processes run until {@code condition} holds, while the service serves a
     * call: a FUSE daemon in the view must reply before a call on its file system can finish.
     * The stops of the threads {@code serves} accepts (by thread id) are served meanwhile, as
     * usual; every other thread stays stopped, so no other call reaches the service.
     *
     * <p>Precondition: kmview called the service to serve a process's call (a {@link VirtualMount}
     * or {@link ControlFile} method).
     *
     * @return how the wait ended
     * @throws UnsupportedOperationException if this view cannot wait for its processes
     */
    default WaitOutcome serveUntil(java.util.function.BooleanSupplier condition,
                                   java.util.function.IntPredicate serves, java.time.Duration timeout) {
        throw new UnsupportedOperationException("this view cannot wait for its processes");
    }

    /** The outcome of {@link #serveUntil}. */
    enum WaitOutcome {
        /** The condition holds. */
        DONE,
        /** The timeout passed first. */
        TIMED_OUT,
        /** No thread that {@code serves} accepts is left: the processes waited for ended. */
        NONE_LEFT,
        /** The thread whose call the service serves is one of those waited for, so it cannot run. */
        CALLER_WAITED_FOR
    }
}
