package org.kmview.umfuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.kmview.spi.Errno;
import org.kmview.spi.FileSystemType;
import org.kmview.spi.Options;
import org.kmview.spi.ServiceException;

class UmfuseServiceTest {

    @Test
    void registersEveryType() throws Exception {
        RecordingContext context = new RecordingContext();

        new UmfuseService().start(context, Options.empty());

        assertEquals(List.of("umfusezip", "umfusejar", "umfusetar", "umfuseiso9660", "umfusefat", "umfusemem",
                "umfusenio", "fuse", "fuseblk"), context.types.stream().map(FileSystemType::name).toList());
        assertEquals(List.of("/dev/fuse"), List.copyOf(context.deviceMounts.keySet()));
        context.deviceMounts.values().forEach(org.kmview.spi.VirtualMount::unmount);
    }

    @Test
    void timeoutMustBeWholeSecondsAboveZero() {
        for (String option : List.of("timeout=0", "timeout=-3", "timeout=soon", "timeout")) {
            ServiceException e = assertThrows(ServiceException.class,
                    () -> new UmfuseService().start(new RecordingContext(), Options.parse(option)), option);
            assertEquals(Errno.EINVAL, e.errno(), option);
        }
    }

    @Test
    void nameIsUmfuse() {
        assertEquals("umfuse", new UmfuseService().name());
    }

    @Test
    void serviceOptionsAreEinval() {
        ServiceException e = assertThrows(ServiceException.class,
                () -> new UmfuseService().start(new RecordingContext(), Options.parse("debug")));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("viewmount -o"), e.getMessage());
    }
}
