/** The viewfs service: binds ({@code move}) and hides ({@code hide}) paths of the view. */
module kmview.service.viewfs {
    requires kmview.spi;

    provides org.kmview.spi.ViewService with org.kmview.viewfs.ViewFsService;
}
