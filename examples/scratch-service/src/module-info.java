/** An example kmview service: private scratch directories, each gone when it is unmounted. */
module kmview.example.scratch {
    requires kmview.spi;

    provides org.kmview.spi.ViewService with org.kmview.example.scratch.ScratchService;
}
