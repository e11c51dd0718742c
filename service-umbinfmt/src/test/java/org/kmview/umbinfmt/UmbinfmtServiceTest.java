package org.kmview.umbinfmt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.kmview.spi.Errno;
import org.kmview.spi.Options;
import org.kmview.spi.ServiceException;
import org.kmview.spi.ViewService;

class UmbinfmtServiceTest {

    private final UmbinfmtService service = new UmbinfmtService();

    @Test
    void nameAndDescription() {
        assertEquals("umbinfmt", service.name());
        assertFalse(service.description().isBlank());
        assertFalse(service.description().contains("\n"));
    }

    @Test
    void startRegistersType() throws ServiceException {
        RecordingContext context = new RecordingContext();
        service.start(context, Options.empty());

        assertEquals(1, context.types.size());
        assertEquals("umbinfmt", context.types.get(0).name());
    }

    @Test
    void serviceOptionsRejected() {
        RecordingContext context = new RecordingContext();
        ServiceException e = assertThrows(ServiceException.class, () -> service.start(context, Options.parse("debug")));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("give -o debug to viewmount instead"), e.getMessage());
        assertTrue(e.getMessage().contains("\"debug\""), e.getMessage());
        assertEquals(List.of(), context.types);
    }

    @Test
    void moduleProvidesService() {
        ModuleDescriptor descriptor = UmbinfmtService.class.getModule().getDescriptor();

        assertEquals("kmview.service.umbinfmt", descriptor.name());
        List<String> providers = descriptor.provides().stream()
                .filter(provides -> provides.service().equals(ViewService.class.getName()))
                .flatMap(provides -> provides.providers().stream())
                .toList();
        assertEquals(List.of(UmbinfmtService.class.getName()), providers);
    }
}
