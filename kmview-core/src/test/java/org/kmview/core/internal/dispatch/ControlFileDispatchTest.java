package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kmview.core.internal.dispatch.MountTableTest.entry;
import static org.kmview.core.internal.tracer.ScriptedKernel.PROGRAM;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kmview.core.internal.nativeaccess.Ptrace;
import org.kmview.core.internal.syscall.X86_64;
import org.kmview.core.internal.tracer.ScriptedKernel;
import org.kmview.spi.ControlFile;
import org.kmview.spi.Errno;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;
import org.mockito.InOrder;

/**
 * Control files: an open for writing makes the process trap its writes, and each write on a
 * control file goes to the service, which sets its result.
 */
class ControlFileDispatchTest {

    private static final long AT_FDCWD = -100;
    private static final int WRITE = 1;
    private static final int WRITEV = 20;
    private static final int OPENAT = 257;
    private static final int COPY_FILE_RANGE = 326;
    private static final long O_WRONLY = 1;
    private static final long O_TRUNC = 01000;

    private static final long RAX = 10 * 8;
    private static final long RDX = 12 * 8;
    private static final long ORIG_RAX = 15 * 8;

    private static final long PATH = 0x1000;
    private static final long BUFFER = 0x5000;
    private static final long IOVECS = 0x6000;

    private final ScriptedKernel kernel = new ScriptedKernel();
    private final Ptrace ptrace = kernel.ptrace;
    private final HostTree host = new HostTree();
    private final MountTable mounts = new MountTable();
    private final List<String> received = new ArrayList<>();
    private final List<Integer> trapped = new ArrayList<>();
    private ServiceException serviceError;

    @BeforeEach
    void setUp() {
        host.dir("/state/table").file("/state/table/register").file("/host/plain")
                .link("/proc/" + PROGRAM + "/cwd", "/")
                .link("/proc/" + PROGRAM + "/fd/5", "/state/table/register")
                .link("/proc/" + PROGRAM + "/fd/6", "/host/plain");
        host.stub(kernel.libc);
        ControlFile register = (data, caller) -> {
            if (serviceError != null) {
                throw serviceError;
            }
            received.add(new String(data, StandardCharsets.ISO_8859_1));
            return data.length;
        };
        VirtualMount table = new VirtualMount() {
            @Override
            public PathMapping map(String relative) {
                return PathMapping.host(relative.isEmpty() ? "/state/table" : "/state/table/" + relative);
            }

            @Override
            public Optional<String> hostRoot() {
                return Optional.of("/state/table");
            }

            @Override
            public Optional<ControlFile> controlFile(String relative) {
                return relative.equals("register") ? Optional.of(register) : Optional.empty();
            }
        };
        mounts.add(entry("/binfmt", table));
    }

    private void run() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        Dispatcher dispatcher = new Dispatcher(X86_64.INSTANCE, kernel.libc, mounts, new FileSystems(), 4242);
        dispatcher.trapWritesWith(trapped::add);
        kernel.run(dispatcher);
        assertEquals(0, kernel.unreadStops(), "syscall stops left unread");
    }

    @Test
    void openForWritingTrapsWritesAndKeepsContent() {
        kernel.string(PATH, "/binfmt/register")
                .seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, O_WRONLY | O_TRUNC).syscallExit(PROGRAM, 5);
        run();

        assertEquals(List.of(PROGRAM), trapped);
        InOrder order = inOrder(ptrace);
        order.verify(ptrace).pokeUser(PROGRAM, RDX, O_WRONLY);
        order.verify(ptrace).resumeToSyscallExit(PROGRAM, 0);
        order.verify(ptrace).pokeUser(PROGRAM, RDX, O_WRONLY | O_TRUNC);
    }

    @Test
    void openForReadingTrapsNothing() {
        kernel.string(PATH, "/binfmt/register").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, 0)
                .syscallExit(PROGRAM, 5);
        run();

        assertEquals(List.of(), trapped);
    }

    @Test
    void writeGoesToServiceAndReturnsItsCount() {
        kernel.memory(BUFFER, ":a:E::py::/usr/bin/python3:\n".getBytes(StandardCharsets.ISO_8859_1))
                .seccompStop(PROGRAM, WRITE, 5, BUFFER, 28);
        run();

        assertEquals(List.of(":a:E::py::/usr/bin/python3:\n"), received);
        InOrder order = inOrder(ptrace);
        order.verify(ptrace).pokeUser(PROGRAM, ORIG_RAX, -1);
        order.verify(ptrace).pokeUser(PROGRAM, RAX, 28);
    }

    @Test
    void serviceErrorFailsWrite() {
        serviceError = new ServiceException(Errno.EINVAL, "invalid type X");
        kernel.memory(BUFFER, "bad".getBytes(StandardCharsets.ISO_8859_1)).seccompStop(PROGRAM, WRITE, 5, BUFFER, 3);
        run();

        verify(ptrace).pokeUser(PROGRAM, RAX, -Errno.EINVAL.number());
    }

    @Test
    void writevIsGathered() {
        ByteBuffer iovecs = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
        iovecs.putLong(BUFFER).putLong(2).putLong(BUFFER + 0x100).putLong(3);
        kernel.memory(BUFFER, "-1".getBytes(StandardCharsets.ISO_8859_1))
                .memory(BUFFER + 0x100, "\n..".getBytes(StandardCharsets.ISO_8859_1))
                .memory(IOVECS, iovecs.array()).seccompStop(PROGRAM, WRITEV, 5, IOVECS, 2);
        run();

        assertEquals(List.of("-1\n.."), received);
        verify(ptrace).pokeUser(PROGRAM, RAX, 5);
    }

    @Test
    void writeToOtherFileRunsUntouched() {
        kernel.memory(BUFFER, "data".getBytes(StandardCharsets.ISO_8859_1)).seccompStop(PROGRAM, WRITE, 6, BUFFER, 4);
        run();

        assertEquals(List.of(), received);
        verify(ptrace, never()).pokeUser(PROGRAM, ORIG_RAX, -1);
    }

    @Test
    void copyFileRangeFailsWithExdev() {
        kernel.seccompStop(PROGRAM, COPY_FILE_RANGE, 6, 0, 5, 0, 4096, 0);
        run();

        assertEquals(List.of(), received);
        verify(ptrace).pokeUser(PROGRAM, RAX, -Errno.EXDEV.number());
    }
}
