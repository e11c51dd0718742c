package org.kmview.spi;

/**
 * A service that changes part of a view: a file system type, a device, an executable format.
 *
 * <p>kmview finds providers of this interface with {@link java.util.ServiceLoader}, one module
 * layer per service. A service registers its claims with the {@link ServiceContext} in
 * {@link #start}; it never intercepts system calls directly. Every method is called on one
 * kmview thread at a time, but not always the same thread.
 */
public interface ViewService {

    /**
     * Returns the name users load the service by ({@code kmview -p NAME}). It is unique in a view
     * and contains only letters, digits, {@code -} and {@code _}.
     */
    String name();

    /** Returns one line that {@code um_ls_service} shows next to the name. */
    String description();

    /**
     * Starts the service in a view.
     *
     * @param context where the service registers its file system types and other claims
     * @param options the options given after the name ({@code -p NAME,OPTIONS}), possibly empty
     * @throws ServiceException if the service cannot start with these options; kmview reports the
     *         message and does not load the service
     */
    void start(ServiceContext context, Options options) throws ServiceException;

    /**
     * Stops the service. kmview calls it once when the view ends or the service is removed, after
     * every mount of the service is gone. The default does nothing.
     */
    default void stop() {
    }
}
