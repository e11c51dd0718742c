/**
 * The umbinfmt service: a binfmt_misc table per mount ({@code viewmount -t umbinfmt none DIR}) that
 * runs executables through interpreters chosen by magic bytes or file name extension.
 */
module kmview.service.umbinfmt {
    requires kmview.spi;

    provides org.kmview.spi.ViewService with org.kmview.umbinfmt.UmbinfmtService;
}
