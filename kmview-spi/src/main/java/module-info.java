/**
 * The API that kmview services implement. A service is a {@link org.kmview.spi.ViewService}
 * provider in a module of its own; kmview loads each service into its own module layer.
 */
module kmview.spi {
    exports org.kmview.spi;
}
