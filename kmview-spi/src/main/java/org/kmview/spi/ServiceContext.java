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
}
