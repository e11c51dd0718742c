package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kmview.core.internal.dispatch.MountTableTest.entry;
import static org.kmview.core.internal.tracer.ScriptedKernel.PROGRAM;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kmview.core.internal.syscall.X86_64;
import org.kmview.core.internal.tracer.ScriptedKernel;
import org.kmview.spi.Errno;
import org.kmview.spi.PathMapping;
import org.kmview.spi.VirtualMount;

/** Calls that change files below a read-only mount fail with EROFS; reads go on. */
class ReadOnlyMountTest {

    private static final long AT_FDCWD = -100;
    private static final int UNLINK = 87;
    private static final int OPENAT = 257;
    private static final int MKDIRAT = 258;
    private static final long O_WRONLY = 1;
    private static final long RAX = 10 * 8;
    private static final long PATH = 0x1000;

    private final ScriptedKernel kernel = new ScriptedKernel();
    private final HostTree host = new HostTree();
    private final MountTable mounts = new MountTable();

    @BeforeEach
    void setUp() {
        host.dir("/state/tree").file("/state/tree/file").link("/proc/" + PROGRAM + "/cwd", "/");
        host.stub(kernel.libc);
        mounts.add(entry("/image", new VirtualMount() {
            @Override
            public PathMapping map(String relative) {
                return PathMapping.host(relative.isEmpty() ? "/state/tree" : "/state/tree/" + relative);
            }

            @Override
            public boolean readOnly() {
                return true;
            }
        }));
    }

    private void run() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(new Dispatcher(X86_64.INSTANCE, kernel.libc, mounts, new FileSystems(), 4242));
        assertEquals(0, kernel.unreadStops(), "syscall stops left unread");
    }

    @Test
    void openForWritingFailsWithErofs() {
        kernel.string(PATH, "/image/file").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, O_WRONLY);
        run();

        verify(kernel.ptrace).pokeUser(PROGRAM, RAX, -Errno.EROFS.number());
    }

    @Test
    void unlinkAndMkdirFailWithErofs() {
        kernel.string(PATH, "/image/file").seccompStop(PROGRAM, UNLINK, PATH)
                .string(PATH + 0x100, "/image/new").seccompStop(PROGRAM, MKDIRAT, AT_FDCWD, PATH + 0x100, 0755);
        run();

        verify(kernel.ptrace, org.mockito.Mockito.times(2)).pokeUser(PROGRAM, RAX, -Errno.EROFS.number());
    }

    @Test
    void readingGoesOn() {
        kernel.string(PATH, "/image/file").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, 0).syscallExit(PROGRAM, 3);
        run();

        verify(kernel.ptrace, never()).pokeUser(PROGRAM, RAX, -Errno.EROFS.number());
    }

    @Test
    void createOfExistingFileOpensIt() {
        kernel.string(PATH, "/image/file").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, 0100).syscallExit(PROGRAM, 3);
        run();

        verify(kernel.ptrace, never()).pokeUser(PROGRAM, RAX, -Errno.EROFS.number());
    }

    @Test
    void createOfMissingFileFailsWithErofs() {
        kernel.string(PATH, "/image/missing").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, 0100);
        run();

        verify(kernel.ptrace).pokeUser(PROGRAM, RAX, -Errno.EROFS.number());
    }
}
